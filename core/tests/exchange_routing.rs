//! Preference routing scenarios: the router call (its exact prompt), routed and unrouted
//! requests, router failures falling back to the requested model, session pins with tenant
//! scope and expiry, turns that are not the user's, per-request routes, the decision API,
//! and ranking by static prices.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod exchange_support;

use exchange_support::*;
use plano_core::exchange::driver::SendError;
use plano_core::routing::Source;

const ROUTING: &str = r#"overrides:
  llm_routing_model: gpt-4o-mini
routing_preferences:
  - name: code
    description: writing or fixing code
    models: [anthropic/claude-sonnet-4-5, gpt-4o]
  - name: chat
    description: small talk
    models: [gemini/gemini-2.5-flash]
  - name: cheap_code
    description: trivial code questions
    models: [gpt-4o, anthropic/claude-sonnet-4-5, gpt-4o-mini]
    selection_policy:
      prefer: cheapest
model_metrics_sources:
  - type: cost
    provider: static
    prices:
      openai/gpt-4o: 10
      anthropic/claude-sonnet-4-5: 15
      gpt-4o-mini: 0.6
routing:
  session_ttl_seconds: 60
  session_cache:
    tenant_header: x-tenant
"#;

const ASK: &str = r#"{"model":"gpt-4o","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"write a parser"}]}"#;

fn gw() -> Gw {
    Gw::new(config_with(ROUTING))
}

/// A router reply (an OpenAI chat completion) whose text is `content`.
fn router_says(content: &str) -> Canned {
    let body = serde_json::json!({
        "id": "chatcmpl-r", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 50, "completion_tokens": 5, "total_tokens": 55}
    });
    Canned::ok(serde_json::to_vec(&body).unwrap())
}

fn anthropic_ok() -> Canned {
    Canned::ok(fixture("anthropic_messages/responses/text.json"))
}

fn openai_ok() -> Canned {
    Canned::ok(fixture("openai_chat/responses/text.json"))
}

#[test]
fn the_router_picks_the_route_and_its_first_model_serves() {
    let gw = gw();
    let (out, sent) = gw.post(
        "/v1/chat/completions",
        ASK,
        vec![router_says(r#"{"route": "code"}"#), anthropic_ok()],
    );
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(sent.len(), 2);
    // The router call: the router model's provider, one user message with the prompt.
    assert!(
        sent[0].url.ends_with("/v1/chat/completions"),
        "{}",
        sent[0].url
    );
    let router = sent[0].json();
    assert_eq!(router["model"], "gpt-4o-mini");
    assert_eq!(router["stream"], false);
    let prompt = router["messages"][0]["content"].as_str().unwrap();
    assert!(prompt.contains(
        "<routes>\n[{\"name\":\"code\",\"description\":\"writing or fixing code\"},{\"name\":\"chat\",\"description\":\"small talk\"},"
    ));
    // The system prompt is not shown to the router.
    assert!(prompt.contains(
        "<conversation>\n[{\"role\":\"user\",\"content\":\"write a parser\"}]\n</conversation>"
    ));
    // The router provider's own key, never the client's headers.
    assert_eq!(
        sent[0].header("authorization"),
        Some("Bearer sk-openai-SECRET1")
    );
    // The request itself went to the route's first model.
    assert!(
        sent[1].url.contains("anthropic.com/v1/messages"),
        "{}",
        sent[1].url
    );
    assert_eq!(sent[1].json()["model"], "claude-sonnet-4-5");
    let d = out.record.routing.clone().unwrap();
    assert_eq!(d.source, Source::Router);
    assert_eq!(d.route.as_deref(), Some("code"));
    assert_eq!(d.models, ["anthropic/claude-sonnet-4-5", "gpt-4o"]);
    assert_eq!(
        out.record.attempts.len(),
        1,
        "the router call is not an attempt"
    );
    let attrs = &out.record.custom_attributes;
    assert!(attrs.contains(&("plano.routing.route".into(), "code".into())));
    assert!(attrs.contains(&("plano.routing.pinned".into(), "false".into())));
    assert!(attrs.contains(&("plano.routing.switched".into(), "true".into())));
}

#[test]
fn no_route_or_a_failed_router_serves_the_requested_model() {
    for router in [
        router_says(r#"{"route": "other"}"#),
        router_says("I cannot decide"),
        router_says(r#"{"route": "no_such_route"}"#),
        Canned::status(
            500,
            br#"{"error":{"message":"boom","type":"server_error"}}"#.to_vec(),
        ),
        Canned::Fail(SendError::Timeout),
        Canned::Fail(SendError::Connect("refused".into())),
    ] {
        let gw = gw();
        let (out, sent) = gw.post(
            "/v1/chat/completions",
            ASK,
            vec![router.clone(), openai_ok()],
        );
        assert_eq!(out.status, 200, "{router:?}: {}", out.text());
        assert_eq!(sent.len(), 2, "{router:?}");
        assert!(sent[1].url.contains("api.openai.com"), "{router:?}");
        assert_eq!(sent[1].json()["model"], "gpt-4o", "{router:?}");
        let d = out.record.routing.clone().unwrap();
        assert!(
            matches!(d.source, Source::NoRoute | Source::RouterFailed),
            "{d:?}"
        );
        assert!(d.models.is_empty());
    }
}

#[test]
fn a_session_pin_skips_the_router_per_tenant_until_it_expires() {
    let gw = gw();
    let pin = [("x-model-affinity", "sess-1"), ("x-tenant", "acme")];
    let (out, sent, _) = gw.run(
        "POST",
        "/v1/chat/completions",
        &pin,
        ASK.as_bytes(),
        vec![router_says(r#"{"route": "code"}"#), anthropic_ok()],
    );
    assert_eq!((out.status, sent.len()), (200, 2));
    // The next turn: no router call, same model.
    let (out, sent, _) = gw.run(
        "POST",
        "/v1/chat/completions",
        &pin,
        ASK.as_bytes(),
        vec![anthropic_ok()],
    );
    assert_eq!((out.status, sent.len()), (200, 1), "{}", out.text());
    assert!(sent[0].url.contains("anthropic.com"));
    assert_eq!(out.record.routing.clone().unwrap().source, Source::Pinned);
    // Another tenant with the same session id is routed afresh.
    let other = [("x-model-affinity", "sess-1"), ("x-tenant", "globex")];
    let (_, sent, _) = gw.run(
        "POST",
        "/v1/chat/completions",
        &other,
        ASK.as_bytes(),
        vec![
            router_says(r#"{"route": "chat"}"#),
            Canned::ok(fixture("gemini/responses/text.json")),
        ],
    );
    assert_eq!(sent.len(), 2);
    // After the TTL the pin is gone.
    gw.clock().advance(61_000);
    let (_, sent, _) = gw.run(
        "POST",
        "/v1/chat/completions",
        &pin,
        ASK.as_bytes(),
        vec![router_says(r#"{"route": "code"}"#), anthropic_ok()],
    );
    assert_eq!(sent.len(), 2, "expired pin: the router is asked again");
}

#[test]
fn tool_results_reuse_the_pin_or_go_to_the_requested_model() {
    let gw = gw();
    let tool_turn = r#"{"model":"gpt-4o","messages":[{"role":"user","content":"weather?"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"w","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c1","content":"sunny"}]}"#;
    let (out, sent) = gw.post("/v1/chat/completions", tool_turn, vec![openai_ok()]);
    assert_eq!((out.status, sent.len()), (200, 1));
    assert!(sent[0].url.contains("api.openai.com"));
    assert_eq!(
        out.record.routing.clone().unwrap().source,
        Source::NotUserTurn
    );

    let pin = [("x-model-affinity", "s2")];
    gw.run(
        "POST",
        "/v1/chat/completions",
        &pin,
        ASK.as_bytes(),
        vec![router_says(r#"{"route": "code"}"#), anthropic_ok()],
    );
    let (out, sent, _) = gw.run(
        "POST",
        "/v1/chat/completions",
        &pin,
        tool_turn.as_bytes(),
        vec![anthropic_ok()],
    );
    assert_eq!((out.status, sent.len()), (200, 1));
    assert!(
        sent[0].url.contains("anthropic.com"),
        "the pinned decision serves tool turns"
    );
}

#[test]
fn a_provider_hint_is_not_routed() {
    let gw = gw();
    let (out, sent, _) = gw.run(
        "POST",
        "/v1/chat/completions",
        &[("x-arch-llm-provider-hint", "openai/gpt-4o")],
        ASK.as_bytes(),
        vec![openai_ok()],
    );
    assert_eq!((out.status, sent.len()), (200, 1));
    assert!(out.record.routing.is_none());
}

#[test]
fn routes_in_the_body_are_used_and_never_forwarded() {
    let gw = gw();
    let body = r#"{"model":"gpt-4o","routing_preferences":[{"name":"poetry","description":"writing poems","models":["gemini/gemini-2.5-flash"]}],"messages":[{"role":"user","content":"a haiku please"}]}"#;
    let (out, sent) = gw.post(
        "/v1/chat/completions",
        body,
        vec![
            router_says(r#"{"route": "poetry"}"#),
            Canned::ok(fixture("gemini/responses/text.json")),
        ],
    );
    assert_eq!(out.status, 200, "{}", out.text());
    let prompt = sent[0].json()["messages"][0]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(prompt.contains("{\"name\":\"poetry\",\"description\":\"writing poems\"}"));
    assert!(
        !prompt.contains("\"code\""),
        "the body's routes replace the config's"
    );
    assert!(
        sent[1].url.contains("generativelanguage.googleapis.com"),
        "{}",
        sent[1].url
    );
    assert!(!String::from_utf8_lossy(&sent[1].body).contains("routing_preferences"));

    let bad = r#"{"model":"gpt-4o","routing_preferences":{"x":1},"messages":[{"role":"user","content":"hi"}]}"#;
    let (out, sent) = gw.post("/v1/chat/completions", bad, vec![]);
    assert_eq!(out.status, 400);
    assert!(sent.is_empty());
    assert_eq!(
        out.json()["error"]["type"],
        "invalid_request_error",
        "{}",
        out.text()
    );
}

#[test]
fn the_decision_api_answers_without_calling_a_model() {
    let gw = gw();
    let (out, sent) = gw.post(
        "/routing/v1/chat/completions",
        ASK,
        vec![router_says(r#"{"route": "cheap_code"}"#)],
    );
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(sent.len(), 1, "only the router");
    let j = out.json();
    assert_eq!(j["route"], "cheap_code");
    // Cheapest first by the static prices.
    assert_eq!(
        j["models"],
        serde_json::json!(["gpt-4o-mini", "gpt-4o", "anthropic/claude-sonnet-4-5"])
    );
    assert_eq!(j["pinned"], false);

    let anthropic = r#"{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hello there"}]}"#;
    let (out, sent) = gw.post(
        "/routing/v1/messages",
        anthropic,
        vec![router_says(r#"{"route": "other"}"#)],
    );
    assert_eq!((out.status, sent.len()), (200, 1));
    assert_eq!(
        out.json()["models"],
        serde_json::json!(["claude-sonnet-4-5"])
    );
    assert_eq!(out.json()["route"], serde_json::Value::Null);

    let (out, _) = gw.post("/routing/v1/responses", "{not json", vec![]);
    assert_eq!(out.status, 400);
    let (out, _, _) = gw.run("GET", "/routing/v1/chat/completions", &[], b"", vec![]);
    assert_eq!(out.status, 405);
}

#[test]
fn without_a_router_provider_routing_is_off() {
    let gw = Gw::new(config_with(
        "routing_preferences:\n  - name: code\n    description: code\n    models: [gpt-4o]\n",
    ));
    assert!(
        gw.config
            .warnings
            .iter()
            .any(|w| w.to_string().contains("routing is off"))
    );
    let (out, sent) = gw.post("/v1/chat/completions", ASK, vec![openai_ok()]);
    assert_eq!((out.status, sent.len()), (200, 1));
    assert!(out.record.routing.is_none());
}

#[test]
fn the_router_sees_a_trimmed_conversation() {
    let gw = Gw::new(config_with(&ROUTING.replace(
        "  llm_routing_model: gpt-4o-mini\n",
        "  llm_routing_model: gpt-4o-mini\n  llm_routing_model_context_length: 400\n",
    )));
    let long = "x".repeat(5_000);
    let body = serde_json::json!({"model": "gpt-4o", "messages": [
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": long},
        {"role": "user", "content": format!("START{long}END")},
    ]});
    let (_, sent) = gw.post(
        "/v1/chat/completions",
        &body.to_string(),
        vec![router_says(r#"{"route": "code"}"#), anthropic_ok()],
    );
    let prompt = sent[0].json()["messages"][0]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!prompt.contains("first question"), "older turns dropped");
    assert!(prompt.contains("START") && prompt.contains("END") && prompt.contains('…'));
    assert!(prompt.len() < 3_000, "{}", prompt.len());
}
