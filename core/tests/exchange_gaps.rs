//! Exchange scenarios for the closed gaps: stored responses forwarded to a Responses-native
//! provider, Responses state decided per attempt, the stream's model and id in the span, the
//! config's custom span attributes, a cut passthrough stream, and upstream error bodies kept
//! out of Debug output.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod exchange_support;

use std::collections::BTreeMap;

use exchange_support::*;
use hermesllm::Api;
use plano_core::config::Config;
use plano_core::error::{ExchangeError, UpstreamError};
use plano_core::state::Saved;

/// A config from a providers section (and optional extra top-level sections).
fn config_yaml(providers: &str, extra: &str) -> Config {
    let yaml = format!(
        "version: v0.4.0\nlisteners:\n  - type: model\n    name: llm\n    port: 12000\n    max_retries: 0\nmodel_providers:\n{providers}{extra}"
    );
    let secrets: BTreeMap<String, String> = SECRETS
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::load(&yaml, &secrets).unwrap_or_else(|e| panic!("{e}\n{yaml}"))
}

fn method_of(sent: &Sent) -> &str {
    if sent.debug.contains("method: \"GET\"") {
        "GET"
    } else if sent.debug.contains("method: \"DELETE\"") {
        "DELETE"
    } else if sent.debug.contains("method: \"POST\"") {
        "POST"
    } else {
        panic!("no method in {}", sent.debug)
    }
}

const OPENAI_RESPONSE: &str = r#"{"id":"resp_upstream1","object":"response","status":"completed","model":"gpt-4o","output":[]}"#;

// ---- 1. stored responses the provider keeps ----

#[test]
fn get_unknown_id_is_forwarded_to_the_default_responses_provider() {
    let gw = Gw::new(config());
    let (out, sent, _) = gw.run(
        "GET",
        "/v1/responses/resp_upstream1",
        &[("authorization", "Bearer client-token")],
        b"",
        vec![Canned::ok(OPENAI_RESPONSE.as_bytes().to_vec())],
    );
    assert_eq!(sent.len(), 1);
    assert_eq!(method_of(&sent[0]), "GET");
    assert_eq!(
        sent[0].url,
        "https://api.openai.com/v1/responses/resp_upstream1"
    );
    assert_eq!(
        sent[0].header("authorization"),
        Some("Bearer sk-openai-SECRET1"),
        "the provider's key, not the client's"
    );
    assert!(sent[0].body.is_empty());
    assert_eq!(out.status, 200);
    assert_eq!(out.body(), OPENAI_RESPONSE.as_bytes());
    assert_eq!(out.record.attempts.len(), 1);
    assert_eq!(out.record.attempts[0].provider, "openai/gpt-4o");
    assert_eq!(out.record.attempts[0].status, Some(200));
}

#[test]
fn delete_unknown_id_is_forwarded_and_its_404_passed_through() {
    let gw = Gw::new(config());
    let upstream_404 = br#"{"error":{"message":"No response found with id 'resp_x%2Fy'.","type":"invalid_request_error","param":null,"code":null}}"#;
    let (out, sent, _) = gw.run(
        "DELETE",
        "/v1/responses/resp_x%2Fy",
        &[],
        b"",
        vec![Canned::status(404, upstream_404.to_vec())],
    );
    assert_eq!(method_of(&sent[0]), "DELETE");
    assert_eq!(
        sent[0].url, "https://api.openai.com/v1/responses/resp_x%2Fy",
        "the id is encoded back into one segment"
    );
    assert_eq!(out.status, 404);
    assert_eq!(out.body(), upstream_404.to_vec());
    assert_eq!(out.record.attempts.len(), 1, "no retry");
}

#[test]
fn forwarded_error_body_echoing_a_key_is_redacted() {
    let gw = Gw::new(config());
    let body = br#"{"error":{"message":"Incorrect API key provided: Bearer sk-openai-SECRET1","type":"invalid_request_error"}}"#;
    let (out, _, _) = gw.run(
        "GET",
        "/v1/responses/resp_1",
        &[],
        b"",
        vec![Canned::status(401, body.to_vec())],
    );
    assert_eq!(out.status, 401);
    assert!(!out.text().contains("SECRET1"), "{}", out.text());
}

#[test]
fn the_first_native_provider_serves_when_the_default_is_not() {
    let cfg = config_yaml(
        "  - model: anthropic/claude-sonnet-4-5\n    access_key: $ANTHROPIC_API_KEY\n    default: true\n  - name: backup\n    model: openai/gpt-4o\n    base_url: https://backup.example.com\n    access_key: $BACKUP_KEY\n",
        "",
    );
    let gw = Gw::new(cfg);
    let (out, sent, _) = gw.run(
        "GET",
        "/v1/responses/resp_9",
        &[],
        b"",
        vec![Canned::ok(OPENAI_RESPONSE.as_bytes().to_vec())],
    );
    assert_eq!(
        sent[0].url,
        "https://backup.example.com/v1/responses/resp_9"
    );
    assert_eq!(
        sent[0].header("authorization"),
        Some("Bearer backup-SECRET6")
    );
    assert_eq!(out.status, 200);
}

#[test]
fn without_a_responses_provider_the_local_404_stands() {
    let cfg = config_yaml(
        "  - model: anthropic/claude-sonnet-4-5\n    access_key: $ANTHROPIC_API_KEY\n    default: true\n",
        "",
    );
    let gw = Gw::new(cfg);
    for method in ["GET", "DELETE"] {
        let (out, sent, _) = gw.run(method, "/v1/responses/resp_9", &[], b"", vec![]);
        assert!(sent.is_empty(), "{method}");
        assert_eq!(out.status, 404, "{method}");
        assert_eq!(out.json()["error"]["type"], "invalid_request_error");
    }
}

#[test]
fn a_forward_that_cannot_connect_is_a_502_in_responses_shape() {
    let gw = Gw::new(config());
    let (out, sent, _) = gw.run(
        "GET",
        "/v1/responses/resp_1",
        &[],
        b"",
        vec![Canned::Fail(
            plano_core::exchange::driver::SendError::Connect("refused".into()),
        )],
    );
    assert_eq!(sent.len(), 1);
    assert_eq!(out.status, 502);
    assert!(out.json()["error"]["message"].is_string());
}

#[test]
fn a_stored_id_is_still_answered_locally() {
    let gw = Gw::new(config());
    let t1 = r#"{"model":"smart","input":"Hi"}"#;
    let (out, _) = gw.post(
        "/v1/responses",
        t1,
        vec![Canned::ok(anthropic_text("msg_01", "Hello"))],
    );
    let id = out.json()["id"].as_str().unwrap().to_owned();
    let (out, sent, _) = gw.run("GET", &format!("/v1/responses/{id}"), &[], b"", vec![]);
    assert!(sent.is_empty());
    assert_eq!(out.status, 200);
    assert_eq!(out.json()["id"], id.as_str());
}

// ---- 2. Responses state per attempt ----

fn anthropic_text(id: &str, text: &str) -> Vec<u8> {
    format!(
        r#"{{"id":"{id}","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{{"type":"text","text":"{text}"}}],"stop_reason":"end_turn","stop_sequence":null,"usage":{{"input_tokens":10,"output_tokens":5}}}}"#
    )
    .into_bytes()
}

/// `gpt-4o` on OpenAI (native Responses) with an Anthropic fallback serving the same id.
fn fallback_config() -> Config {
    config_yaml(
        "  - model: openai/gpt-4o\n    access_key: $OPENAI_API_KEY\n    default: true\n  - name: anthro\n    model: anthropic/gpt-4o\n    access_key: $ANTHROPIC_API_KEY\n  - model: anthropic/claude-sonnet-4-5\n    access_key: $ANTHROPIC_API_KEY\n",
        "",
    )
}

#[test]
fn fallback_from_native_responses_to_anthropic_expands_the_stored_turn() {
    let gw = Gw::new(fallback_config());
    let t1 = r#"{"model":"claude-sonnet-4-5","input":"Hi, I'm Ana."}"#;
    let (out, _) = gw.post(
        "/v1/responses",
        t1,
        vec![Canned::ok(anthropic_text("msg_01", "Hello Ana!"))],
    );
    assert_eq!(out.status, 200, "{}", out.text());
    let id1 = out.json()["id"].as_str().unwrap().to_owned();

    let t2 = format!(r#"{{"model":"gpt-4o","input":"My name?","previous_response_id":"{id1}"}}"#);
    let (out, sent) = gw.post(
        "/v1/responses",
        &t2,
        vec![
            Canned::status(
                503,
                br#"{"error":{"message":"down","type":"server_error"}}"#.to_vec(),
            ),
            Canned::ok(anthropic_text("msg_02", "Ana.")),
        ],
    );
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(sent.len(), 2);
    // OpenAI got the client's body as is (it would resolve its own ids).
    assert!(sent[0].url.ends_with("/v1/responses"), "{}", sent[0].url);
    assert_eq!(sent[0].json()["previous_response_id"], id1.as_str());
    // Anthropic got the whole conversation.
    assert!(sent[1].url.ends_with("/v1/messages"), "{}", sent[1].url);
    let msgs = sent[1].json()["messages"].as_array().unwrap().clone();
    assert_eq!(msgs.len(), 3, "{msgs:?}");
    assert!(!String::from_utf8_lossy(&sent[1].body).contains("previous_response_id"));
    // The reply names the previous id and the turn is stored.
    assert_eq!(out.json()["previous_response_id"], id1.as_str());
    assert!(
        matches!(&out.record.state, Some(Ok(Saved::Stored { .. }))),
        "{:?}",
        out.record.state
    );
}

#[test]
fn an_upstream_id_unknown_here_goes_to_the_native_provider_untouched() {
    let gw = Gw::new(fallback_config());
    let t = r#"{"model":"gpt-4o","input":"More","previous_response_id":"resp_openai_own"}"#;
    let (out, sent) = gw.post(
        "/v1/responses",
        t,
        vec![Canned::ok(OPENAI_RESPONSE.as_bytes().to_vec())],
    );
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(sent[0].json()["previous_response_id"], "resp_openai_own");
    assert_eq!(out.record.state, None, "the provider keeps its own state");
}

#[test]
fn an_unknown_id_rules_out_the_fallback_that_needs_it() {
    let gw = Gw::new(fallback_config());
    let t = r#"{"model":"gpt-4o","input":"More","previous_response_id":"resp_openai_own"}"#;
    let (out, sent) = gw.post(
        "/v1/responses",
        t,
        vec![Canned::status(
            503,
            br#"{"error":{"message":"down","type":"server_error"}}"#.to_vec(),
        )],
    );
    assert_eq!(
        sent.len(),
        1,
        "Anthropic cannot continue an OpenAI-held turn"
    );
    assert_eq!(out.status, 400, "{}", out.text());
    assert_eq!(out.json()["error"]["param"], "previous_response_id");
}

#[test]
fn unknown_id_with_a_stateless_first_candidate_is_refused_at_once() {
    let gw = Gw::new(fallback_config());
    let t = r#"{"model":"claude-sonnet-4-5","input":"More","previous_response_id":"resp_nope"}"#;
    let (out, sent) = gw.post("/v1/responses", t, vec![]);
    assert!(sent.is_empty());
    assert_eq!(out.status, 400);
}

// ---- 3. the stream's model and id in the span ----

fn attr(out: &Outcome, key: &str) -> Option<String> {
    out.record
        .attributes
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| format!("{v:?}"))
}

#[test]
fn streamed_spans_carry_the_response_model_and_id() {
    let gw = Gw::new(config());
    let upstream = fixture("openai_chat/streams/text.sse");
    let body = r#"{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"Hi"}]}"#;
    let (out, _) = gw.post(
        "/v1/chat/completions",
        body,
        vec![Canned::chunked(&upstream, 40)],
    );
    assert_eq!(out.status, 200);
    assert_eq!(
        attr(&out, "gen_ai.response.model").as_deref(),
        Some("Str(\"gpt-4o-2024-08-06\")")
    );
    assert_eq!(
        attr(&out, "gen_ai.response.id").as_deref(),
        Some("Str(\"chatcmpl-BSa1UazcvuTxdoF8hJPQ7VrWqQjBr\")")
    );

    // Translated (Anthropic upstream, Chat client): the upstream's model.
    let upstream = fixture("anthropic_messages/streams/text.sse");
    let body = r#"{"model":"claude-sonnet-4-5","stream":true,"messages":[{"role":"user","content":"Hi"}]}"#;
    let (out, _) = gw.post(
        "/v1/chat/completions",
        body,
        vec![Canned::chunked(&upstream, 40)],
    );
    let model = attr(&out, "gen_ai.response.model").unwrap();
    assert!(model.contains("claude"), "{model}");
}

// ---- 4. custom span attributes ----

const TRACING: &str = "tracing:\n  random_sampling: 100\n  span_attributes:\n    header_prefixes:\n      - x-katanemo-\n    static:\n      environment: production\n      service.version: \"1.0.0\"\n";

#[test]
fn header_prefixes_and_static_attributes_reach_the_record() {
    let gw = Gw::new(config_with(TRACING));
    let body = r#"{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}"#;
    let chat = fixture("openai_chat/responses/text.json");
    let (out, _, _) = gw.run(
        "POST",
        "/v1/chat/completions",
        &[
            ("X-Katanemo-Workspace-Id", "ws_123"),
            ("x-katanemo-tenant-id", "ten_456"),
            ("X-Katanemo-Environment", "staging"),
            ("X-Katanemo-Api-Key", "sk-leak-1"),
            ("x-katanemo-authorization", "Bearer leak-2"),
            ("x-katanemo-session-token", "leak-3"),
            ("x-other-user-id", "usr_999"),
            ("authorization", "Bearer leak-4"),
        ],
        body.as_bytes(),
        vec![Canned::ok(chat)],
    );
    assert_eq!(out.status, 200, "{}", out.text());
    let got: Vec<(&str, &str)> = out
        .record
        .custom_attributes
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("environment", "staging"),
            ("service.version", "1.0.0"),
            ("workspace.id", "ws_123"),
            ("tenant.id", "ten_456"),
        ]
    );
    assert!(!format!("{:?}", out.record).contains("leak"));
}

#[test]
fn without_tracing_config_there_are_no_custom_attributes() {
    let gw = Gw::new(config());
    let body = r#"{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}"#;
    let (out, _, _) = gw.run(
        "POST",
        "/v1/chat/completions",
        &[("x-katanemo-tenant-id", "t")],
        body.as_bytes(),
        vec![Canned::ok(fixture("openai_chat/responses/text.json"))],
    );
    assert!(out.record.custom_attributes.is_empty());
}

// ---- 5. a cut passthrough stream ----

#[test]
fn a_cut_passthrough_stream_ends_with_an_error_chunk() {
    let gw = Gw::new(config());
    let upstream = fixture("openai_chat/streams/text.sse");
    let text = String::from_utf8(upstream.clone()).unwrap();
    let cut = text.rfind("data: {").unwrap() + 20;
    let body = r#"{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"Hi"}]}"#;
    let (out, _) = gw.post(
        "/v1/chat/completions",
        body,
        vec![Canned::chunked(&upstream[..cut], 64)],
    );
    let got = out.text();
    let complete = &text[..text.rfind("data: {").unwrap()];
    assert!(got.starts_with(complete));
    let tail = &got[complete.len()..];
    assert!(tail.starts_with("data: {\"error\""), "{tail}");
    assert!(!tail.contains("[DONE]"));
    let summary = out.record.summary.as_ref().unwrap();
    assert!(summary.ended_in_error());
}

// ---- 6. upstream error bodies out of Debug ----

#[test]
fn upstream_status_debug_shows_the_body_length_only() {
    let e = UpstreamError::Status {
        api: Api::OpenAiChat,
        status: 401,
        body: b"Incorrect API key provided: sk-proj-abc123".to_vec(),
        retry_after_ms: None,
    };
    let d = format!("{e:?}");
    assert!(!d.contains("sk-proj"), "{d}");
    assert!(d.contains("401"), "{d}");
    assert!(d.contains("body_bytes: 42"), "{d}");
    let d = format!("{:?}", ExchangeError::from(e));
    assert!(!d.contains("sk-proj"), "{d}");
}

#[test]
fn a_record_with_an_echoed_key_does_not_leak_it() {
    let gw = Gw::new(config());
    let body = r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}"#;
    let (out, _) = gw.post(
        "/v1/chat/completions",
        body,
        vec![Canned::status(
            401,
            br#"{"error":{"message":"Incorrect API key provided: sk-openai-SECRET1","type":"invalid_request_error"}}"#.to_vec(),
        )],
    );
    assert_eq!(out.status, 401);
    assert!(matches!(
        out.record.error,
        Some(ExchangeError::Upstream(UpstreamError::Status {
            status: 401,
            ..
        }))
    ));
    assert!(!format!("{:?}", out.record).contains("SECRET1"));
}
