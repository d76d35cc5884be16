//! Exchange scenarios, non-streaming: each client API to a same-API and a different-API
//! upstream; model resolution; credentials; local routes; bad input; upstream errors.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod exchange_support;

use exchange_support::*;

const CHAT: &str = r#"{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}"#;

#[test]
fn chat_to_openai_passes_through() {
    let gw = Gw::new(config());
    let (out, sent) = gw.post(
        "/v1/chat/completions",
        CHAT,
        vec![Canned::ok(fixture("openai_chat/responses/text.json"))],
    );
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(out.body(), fixture("openai_chat/responses/text.json"));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].url, "https://api.openai.com/v1/chat/completions");
    assert_eq!(
        sent[0].header("authorization"),
        Some("Bearer sk-openai-SECRET1")
    );
    assert_eq!(sent[0].json()["model"], "gpt-4o");
    let u = out.record.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (19, 10));
}

#[test]
fn chat_to_anthropic_translates_both_ways() {
    let gw = Gw::new(config());
    let body = r#"{"model":"claude-sonnet-4-5","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],"max_tokens":100}"#;
    let (out, sent) = gw.post(
        "/v1/chat/completions",
        body,
        vec![Canned::ok(fixture(
            "anthropic_messages/responses/text.json",
        ))],
    );
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(sent[0].url, "https://api.anthropic.com/v1/messages");
    assert_eq!(sent[0].header("x-api-key"), Some("sk-ant-SECRET2"));
    assert_eq!(sent[0].header("authorization"), None);
    let up = sent[0].json();
    assert_eq!(up["model"], "claude-sonnet-4-5");
    assert_eq!(up["system"], "Be brief.");
    let j = out.json();
    assert_eq!(j["object"], "chat.completion");
    assert_eq!(
        j["choices"][0]["message"]["content"],
        "Hi! My name is Claude."
    );
    assert_eq!(j["choices"][0]["finish_reason"], "stop");
    assert_eq!(j["usage"]["prompt_tokens"], 2095);
    assert_eq!(out.header("content-type"), Some("application/json"));
    let attrs = &out.record.attributes;
    let get = |k: &str| {
        attrs
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| format!("{v:?}"))
    };
    assert_eq!(
        get("gen_ai.provider.name").as_deref(),
        Some("Str(\"anthropic\")")
    );
    assert_eq!(
        get("gen_ai.usage.output_tokens").as_deref(),
        Some("Int(503)")
    );
}

#[test]
fn anthropic_client_same_and_cross_api() {
    let gw = Gw::new(config());
    let body = r#"{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Hi"}]}"#;
    let (out, sent, _) = gw.run(
        "POST",
        "/v1/messages",
        &[("anthropic-version", "2023-06-01")],
        body.as_bytes(),
        vec![Canned::ok(fixture(
            "anthropic_messages/responses/text.json",
        ))],
    );
    assert_eq!(out.status, 200);
    assert_eq!(
        out.body(),
        fixture("anthropic_messages/responses/text.json")
    );
    assert_eq!(sent[0].header("anthropic-version"), Some("2023-06-01"));

    let body = r#"{"model":"gpt-4o","max_tokens":64,"messages":[{"role":"user","content":"Hi"}]}"#;
    let (out, sent) = gw.post(
        "/v1/messages",
        body,
        vec![Canned::ok(fixture("openai_chat/responses/text.json"))],
    );
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(sent[0].url, "https://api.openai.com/v1/chat/completions");
    let j = out.json();
    assert_eq!(j["type"], "message");
    assert_eq!(
        j["content"][0]["text"],
        "Hello! How can I assist you today?"
    );
    assert_eq!(j["stop_reason"], "end_turn");
    assert_eq!(j["usage"]["input_tokens"], 19);
}

#[test]
fn responses_client_to_openai_and_to_anthropic() {
    let gw = Gw::new(config());
    let body = r#"{"model":"gpt-4o","input":"Hi"}"#;
    let (out, sent) = gw.post(
        "/v1/responses",
        body,
        vec![Canned::ok(fixture("openai_responses/responses/text.json"))],
    );
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(sent[0].url, "https://api.openai.com/v1/responses");
    assert_eq!(out.body(), fixture("openai_responses/responses/text.json"));
    assert!(out.record.state.is_none(), "OpenAI keeps its own state");

    let body = r#"{"model":"smart","input":"Hi"}"#;
    let (out, sent) = gw.post(
        "/v1/responses",
        body,
        vec![Canned::ok(fixture(
            "anthropic_messages/responses/text.json",
        ))],
    );
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(sent[0].url, "https://api.anthropic.com/v1/messages");
    let j = out.json();
    assert_eq!(j["object"], "response");
    assert_eq!(j["status"], "completed");
    assert_eq!(
        j["output"][0]["content"][0]["text"],
        "Hi! My name is Claude."
    );
    assert!(
        matches!(out.record.state, Some(Ok(_))),
        "{:?}",
        out.record.state
    );
}

#[test]
fn bedrock_client_to_bedrock_and_to_openai() {
    let gw = Gw::new(config());
    let body = r#"{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"inferenceConfig":{"maxTokens":64}}"#;
    let target = "/model/us.anthropic.claude-sonnet-4-5-v1:0/converse";
    let (out, sent) = gw.post(
        target,
        body,
        vec![Canned::ok(fixture("bedrock_converse/responses/text.json"))],
    );
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(
        sent[0].url,
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-sonnet-4-5-v1%3A0/converse"
    );
    assert_eq!(
        sent[0].header("authorization"),
        Some("Bearer bedrock-SECRET5")
    );
    assert_eq!(out.body(), fixture("bedrock_converse/responses/text.json"));

    let (out, sent) = gw.post(
        "/model/gpt-4o/converse",
        body,
        vec![Canned::ok(fixture("openai_chat/responses/text.json"))],
    );
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(sent[0].json()["model"], "gpt-4o");
    let j = out.json();
    assert_eq!(
        j["output"]["message"]["content"][0]["text"],
        "Hello! How can I assist you today?"
    );
    assert_eq!(j["stopReason"], "end_turn");
}

#[test]
fn gemini_client_to_gemini_and_to_anthropic() {
    let gw = Gw::new(config());
    let body = r#"{"contents":[{"role":"user","parts":[{"text":"Hi"}]}]}"#;
    let (out, sent) = gw.post(
        "/v1beta/models/gemini-2.5-flash:generateContent",
        body,
        vec![Canned::ok(fixture("gemini/responses/text.json"))],
    );
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(
        sent[0].url,
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent"
    );
    assert_eq!(sent[0].header("x-goog-api-key"), Some("AIzaSECRET3"));
    assert_eq!(out.body(), fixture("gemini/responses/text.json"));

    let (out, sent) = gw.post(
        "/v1beta/models/claude-sonnet-4-5:generateContent",
        body,
        vec![Canned::ok(fixture(
            "anthropic_messages/responses/text.json",
        ))],
    );
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(sent[0].url, "https://api.anthropic.com/v1/messages");
    let j = out.json();
    assert_eq!(
        j["candidates"][0]["content"]["parts"][0]["text"],
        "Hi! My name is Claude."
    );
}

#[test]
fn model_resolution_alias_wildcard_default_hint_unknown() {
    let gw = Gw::new(config());
    let ok = || vec![Canned::ok(fixture("openai_chat/responses/text.json"))];
    let chat =
        |m: &str| format!(r#"{{"model":"{m}","messages":[{{"role":"user","content":"Hi"}}]}}"#);

    // Alias to a bare model id.
    let (out, sent) = gw.post("/v1/chat/completions", &chat("fast"), ok());
    assert_eq!(out.status, 200);
    assert_eq!(sent[0].json()["model"], "gpt-4o-mini");

    // Wildcard: the model after the prefix is forwarded, with that provider's key.
    let (out, sent) = gw.post("/v1/chat/completions", &chat("groq/llama-3.3-70b"), ok());
    assert_eq!(out.status, 200);
    assert_eq!(
        sent[0].url,
        "https://api.groq.com/openai/v1/chat/completions"
    );
    assert_eq!(sent[0].json()["model"], "llama-3.3-70b");
    assert_eq!(sent[0].header("authorization"), Some("Bearer gsk-SECRET7"));

    // No model: the default provider.
    let (out, sent) = gw.post(
        "/v1/chat/completions",
        r#"{"messages":[{"role":"user","content":"Hi"}]}"#,
        ok(),
    );
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(sent[0].json()["model"], "gpt-4o");

    // Hint header names a provider for a model the config does not know... but the
    // default provider exists, so an unknown model goes there unless hinted.
    let (out, sent, _) = gw.run(
        "POST",
        "/v1/chat/completions",
        &[("x-arch-llm-provider-hint", "anthropic/claude-sonnet-4-5")],
        chat("mystery-model").as_bytes(),
        vec![Canned::ok(fixture(
            "anthropic_messages/responses/text.json",
        ))],
    );
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(sent[0].url, "https://api.anthropic.com/v1/messages");
    assert_eq!(sent[0].json()["model"], "claude-sonnet-4-5");
}

#[test]
fn unknown_model_without_default_is_404_in_client_shape() {
    let cfg = {
        let yaml = PROVIDERS.replace("    default: true\n", "");
        let full = format!(
            "version: v0.4.0\nlisteners:\n  - type: model\n    name: llm\n    port: 12000\n{yaml}"
        );
        let secrets: std::collections::BTreeMap<String, String> = SECRETS
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        plano_core::config::Config::load(&full, &secrets).unwrap()
    };
    let gw = Gw::new(cfg);
    let (out, sent) = gw.post(
        "/v1/chat/completions",
        r#"{"model":"nope","messages":[{"role":"user","content":"Hi"}]}"#,
        vec![],
    );
    assert!(sent.is_empty());
    assert_eq!(out.status, 404);
    let j = out.json();
    assert_eq!(j["error"]["code"], "model_not_found");
    assert_eq!(j["error"]["param"], "model");

    let (out, _) = gw.post(
        "/v1/messages",
        r#"{"model":"nope","max_tokens":5,"messages":[{"role":"user","content":"Hi"}]}"#,
        vec![],
    );
    assert_eq!(out.status, 404);
    assert_eq!(out.json()["type"], "error");
    assert_eq!(out.json()["error"]["type"], "not_found_error");
}

#[test]
fn credentials_never_leak_into_debug_or_client_bytes() {
    let gw = Gw::new(config());
    let (out, sent) = gw.post(
        "/v1/chat/completions",
        r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}"#,
        vec![Canned::status(
            401,
            br#"{"error":{"message":"Incorrect API key provided: sk-openai-SECRET1","type":"invalid_request_error","code":"invalid_api_key"}}"#.to_vec(),
        )],
    );
    assert_eq!(out.status, 401);
    for (_, v) in SECRETS {
        assert!(
            !out.text().contains(v),
            "secret in client body: {}",
            out.text()
        );
        assert!(
            !sent[0].debug.contains(v),
            "secret in Debug: {}",
            sent[0].debug
        );
        assert!(!format!("{:?}", out.record).contains(v));
    }
    assert!(
        sent[0]
            .headers
            .iter()
            .any(|(n, _, s)| n == "authorization" && *s)
    );
}

#[test]
fn local_routes() {
    let gw = Gw::new(config());
    let (out, sent, _) = gw.run("GET", "/healthz", &[], b"", vec![]);
    assert_eq!(
        (out.status, out.text().as_str()),
        (200, r#"{"status":"ok"}"#)
    );
    assert!(sent.is_empty());

    let (out, _, _) = gw.run("GET", "/v1/models", &[], b"", vec![]);
    assert_eq!(out.status, 200);
    let ids: Vec<String> = out.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(ids.contains(&"openai/gpt-4o".to_owned()), "{ids:?}");
    assert!(ids.contains(&"smart".to_owned()));

    let (out, _, _) = gw.run(
        "GET",
        "/v1/models",
        &[("anthropic-version", "2023-06-01")],
        b"",
        vec![],
    );
    assert_eq!(out.json()["has_more"], false);

    let (out, _, _) = gw.run(
        "POST",
        "/v1/messages/count_tokens",
        &[],
        br#"{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"Hello, world!"}]}"#,
        vec![],
    );
    assert_eq!(out.status, 200);
    // 3 per request + 4 per message + 4 tokens of text.
    assert_eq!(out.json()["input_tokens"], 11);
}

#[test]
fn bad_input_is_4xx_in_the_client_shape() {
    let gw = Gw::new(config());
    // Invalid JSON.
    let (out, sent) = gw.post("/v1/chat/completions", "{not json", vec![]);
    assert!(sent.is_empty());
    assert_eq!(out.status, 400);
    assert_eq!(out.json()["error"]["type"], "invalid_request_error");
    // Wrong types, Anthropic shape.
    let (out, _) = gw.post("/v1/messages", r#"{"model":5,"messages":"x"}"#, vec![]);
    assert_eq!(out.status, 400);
    assert_eq!(out.json()["error"]["type"], "invalid_request_error");
    // Bedrock shape with its error header.
    let (out, _) = gw.post("/model/gpt-4o/converse", "[]", vec![]);
    assert_eq!(out.status, 400);
    assert_eq!(out.header("x-amzn-ErrorType"), Some("ValidationException"));
    // Unknown path and wrong method.
    let (out, _, _) = gw.run("GET", "/v1/nope", &[], b"", vec![]);
    assert_eq!(out.status, 404);
    assert_eq!(out.json()["error"]["message"], "no route for GET /v1/nope");
    let (out, _, _) = gw.run("GET", "/v1/chat/completions", &[], b"", vec![]);
    assert_eq!(out.status, 405);
    assert_eq!(out.header("allow"), Some("POST"));
}

#[test]
fn oversized_body_is_413() {
    let gw = Gw::new(config_with("gateway:\n  body_limit: 1KiB\n"));
    let big = format!(
        r#"{{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{{"role":"user","content":"{}"}}]}}"#,
        "a".repeat(2000)
    );
    let (out, sent) = gw.post("/v1/messages", &big, vec![]);
    assert!(sent.is_empty());
    assert_eq!(out.status, 413);
    assert_eq!(out.json()["error"]["type"], "request_too_large");
    let (out, _) = gw.post("/v1/chat/completions", &big, vec![]);
    assert_eq!(out.status, 413);
    assert_eq!(out.json()["error"]["type"], "invalid_request_error");
}

#[test]
fn upstream_errors_translated_with_status_and_retry_after() {
    let gw = Gw::new(config());
    let body = r#"{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"Hi"}]}"#;
    // 400 from Anthropic to a Chat client: no retry, translated.
    let (out, sent) = gw.post(
        "/v1/chat/completions",
        body,
        vec![Canned::status(
            400,
            fixture("anthropic_messages/errors/invalid_request.400.json"),
        )],
    );
    assert_eq!(sent.len(), 1);
    assert_eq!(out.status, 400);
    assert_eq!(out.json()["error"]["type"], "invalid_request_error");
    // 429 with retry-after too long to wait: given up, retry-after passed to the client.
    let (out, sent) = gw.post(
        "/v1/chat/completions",
        body,
        vec![
            Canned::status(
                429,
                fixture("anthropic_messages/errors/rate_limit.429.json"),
            )
            .header("retry-after", "60"),
        ],
    );
    assert_eq!(sent.len(), 1);
    assert_eq!(out.status, 429);
    assert_eq!(out.header("retry-after"), Some("60"));
    assert_eq!(out.json()["error"]["type"], "rate_limit_error");
}

#[test]
fn upstream_garbage_is_a_clean_502() {
    let gw = Gw::new(config());
    let body = r#"{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"Hi"}]}"#;
    let (out, sent) = gw.post(
        "/v1/chat/completions",
        body,
        vec![Canned::ok(b"<html>oops</html>".to_vec())],
    );
    assert_eq!(sent.len(), 1);
    assert_eq!(out.status, 502);
    assert_eq!(out.json()["error"]["type"], "server_error");
    assert_eq!(
        out.record.error.as_ref().map(|e| e.code()),
        Some("upstream_invalid_response")
    );
}

#[test]
fn passthrough_auth_uses_the_clients_key_or_answers_401() {
    let gw = Gw::new(config());
    let body =
        r#"{"model":"gpt-4o-litellm","max_tokens":5,"messages":[{"role":"user","content":"Hi"}]}"#;
    let (out, sent, _) = gw.run(
        "POST",
        "/v1/chat/completions",
        &[("authorization", "Bearer client-key-123")],
        body.as_bytes(),
        vec![Canned::ok(fixture("openai_chat/responses/text.json"))],
    );
    assert_eq!(out.status, 200);
    assert_eq!(
        sent[0].url,
        "https://litellm.example.com/v1/chat/completions"
    );
    assert_eq!(
        sent[0].header("authorization"),
        Some("Bearer client-key-123")
    );

    let (out, sent, _) = gw.run("POST", "/v1/messages", &[], body.as_bytes(), vec![]);
    assert!(sent.is_empty());
    assert_eq!(out.status, 401);
    assert_eq!(out.json()["error"]["type"], "authentication_error");
}

#[test]
fn bedrock_client_gets_upstream_errors_with_its_error_type_header() {
    let gw = Gw::new(config());
    let body = r#"{"messages":[{"role":"user","content":[{"text":"Hi"}]}]}"#;
    let overloaded = || {
        Canned::status(
            529,
            fixture("anthropic_messages/errors/overloaded.529.json"),
        )
    };
    let (out, sent, sleeps) = gw.run(
        "POST",
        "/model/claude-sonnet-4-5/converse",
        &[],
        body.as_bytes(),
        vec![overloaded(), overloaded()],
    );
    assert_eq!(sent.len(), 2);
    assert_eq!(sleeps.len(), 1);
    assert_eq!(out.status, 529);
    assert!(out.header("x-amzn-ErrorType").is_some());
    let j = out.json();
    assert!(j["message"].as_str().unwrap().contains("verloaded"), "{j}");
}
