//! `plano serve` end to end: the built binary against an in-test upstream.
// Helpers outside `#[test]` functions get the same allowances as the tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::disallowed_methods
)]

mod common;

use std::time::{Duration, Instant};

use common::*;

async fn gateway(upstream: &Upstream, extra: &str) -> Gateway {
    Gateway::with_config(&config(&upstream.url, extra), &keys()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn openai_chat_passthrough() {
    let up = Upstream::start(Duration::ZERO).await;
    let gw = gateway(&up, "").await;
    let resp = client()
        .post(format!("{}/v1/chat/completions", gw.url))
        .json(&chat("gpt-4o-mini", false))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers().get("content-length").is_some(),
        "whole bodies have a length"
    );
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "Hello from upstream"
    );
    let reqs = up.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].path, "/v1/chat/completions");
    assert_eq!(
        reqs[0].header("authorization"),
        Some(format!("Bearer {OPENAI_KEY}").as_str())
    );
    assert_eq!(reqs[0].json()["model"], "gpt-4o-mini");
    gw.assert_no_keys_logged();
    let (status, err) = gw.stop().await;
    assert!(status.success(), "{err}");
    assert!(
        err.contains("exchange"),
        "one log line per exchange:\n{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn openai_to_anthropic_non_stream() {
    let up = Upstream::start(Duration::ZERO).await;
    let gw = gateway(&up, "").await;
    let resp = client()
        .post(format!("{}/v1/chat/completions", gw.url))
        .json(&chat("claude-sonnet-4-5", false))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "Hello from Claude"
    );
    let reqs = up.requests();
    assert_eq!(reqs[0].path, "/v1/messages");
    assert_eq!(reqs[0].header("x-api-key"), Some(ANTHROPIC_KEY));
    assert_eq!(reqs[0].json()["model"], "claude-sonnet-4-5");
    gw.assert_no_keys_logged();
}

/// Reads a streamed response; returns the body and when the first chunk arrived.
async fn read_stream(resp: reqwest::Response, started: Instant) -> (String, Duration) {
    let mut resp = resp;
    let mut first = None;
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.unwrap() {
        first.get_or_insert_with(|| started.elapsed());
        body.extend_from_slice(&chunk);
    }
    (String::from_utf8(body).unwrap(), first.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn stream_passthrough_chunks_arrive_before_upstream_ends() {
    let pause = Duration::from_millis(1500);
    let up = Upstream::start(pause).await;
    let gw = gateway(&up, "").await;
    let started = Instant::now();
    let resp = client()
        .post(format!("{}/v1/chat/completions", gw.url))
        .json(&chat("gpt-4o-mini", true))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let (body, first) = read_stream(resp, started).await;
    assert!(first < pause, "first chunk after {first:?}: buffered?");
    assert!(started.elapsed() >= pause);
    assert!(
        body.contains("\"Hel\"") && body.contains("\"lo\""),
        "{body}"
    );
    assert!(body.trim_end().ends_with("data: [DONE]"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn stream_openai_client_anthropic_upstream() {
    let pause = Duration::from_millis(1500);
    let up = Upstream::start(pause).await;
    let gw = gateway(&up, "").await;
    let started = Instant::now();
    let resp = client()
        .post(format!("{}/v1/chat/completions", gw.url))
        .json(&chat("claude-sonnet-4-5", true))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (body, first) = read_stream(resp, started).await;
    assert!(first < pause, "first chunk after {first:?}");
    assert!(body.contains("chat.completion.chunk"), "{body}");
    assert!(body.contains("Hello") && body.contains(" Claude"), "{body}");
    assert!(body.trim_end().ends_with("data: [DONE]"), "{body}");
    assert_eq!(up.requests()[0].path, "/v1/messages");

    // Anthropic client to the same upstream: its own event shapes come back.
    let resp = client()
        .post(format!("{}/v1/messages", gw.url))
        .json(&serde_json::json!({
            "model": "claude-sonnet-4-5", "max_tokens": 64, "stream": true,
            "messages": [{"role": "user", "content": "Say hello"}]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body = resp.text().await.unwrap();
    assert!(body.contains("event: message_stop"), "{body}");
    gw.assert_no_keys_logged();
}

#[tokio::test(flavor = "multi_thread")]
async fn body_over_the_limit_is_413_in_the_client_shape() {
    let up = Upstream::start(Duration::ZERO).await;
    let gw = gateway(&up, "gateway:\n  body_limit: 1KiB\n").await;
    let big = "x".repeat(4096);
    let resp = client()
        .post(format!("{}/v1/messages", gw.url))
        .json(&serde_json::json!({
            "model": "claude-sonnet-4-5", "max_tokens": 8,
            "messages": [{"role": "user", "content": big}]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["type"], "error", "Anthropic shape: {body}");
    let resp = client()
        .post(format!("{}/v1/chat/completions", gw.url))
        .json(&serde_json::json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": big}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert!(body["error"]["message"].is_string(), "OpenAI shape: {body}");
    assert!(up.requests().is_empty(), "nothing reached the upstream");
    // Under the limit still works.
    let resp = client()
        .post(format!("{}/v1/chat/completions", gw.url))
        .json(&chat("gpt-4o-mini", false))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_after_requests() {
    let up = Upstream::start(Duration::from_millis(20)).await;
    let gw = gateway(&up, "").await;
    let c = client();
    for _ in 0..2 {
        let r = c
            .post(format!("{}/v1/chat/completions", gw.url))
            .json(&chat("gpt-4o-mini", false))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap();
    }
    let r = c
        .post(format!("{}/v1/chat/completions", gw.url))
        .json(&chat("claude-sonnet-4-5", true))
        .send()
        .await
        .unwrap();
    r.text().await.unwrap();
    // A bad body: counted with its error type.
    let r = c
        .post(format!("{}/v1/chat/completions", gw.url))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    r.bytes().await.unwrap();
    // Records of streams are taken when the body ends: give the worker a moment.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let resp = c.get(format!("{}/metrics", gw.url)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = resp.text().await.unwrap();
    let has = |needle: &str| assert!(text.contains(needle), "missing {needle} in\n{text}");
    has(
        r#"plano_requests_total{client_api="openai_chat",provider="openai",model="gpt-4o-mini",status="200",error_type=""} 2"#,
    );
    has(
        r#"plano_requests_total{client_api="openai_chat",provider="anthropic",model="claude-sonnet-4-5",status="200",error_type=""} 1"#,
    );
    has(r#"status="400",error_type="invalid_request"} 1"#);
    has(
        r#"plano_tokens_total{client_api="openai_chat",provider="openai",model="gpt-4o-mini",token_type="input"} 10"#,
    );
    has(
        r#"plano_tokens_total{client_api="openai_chat",provider="openai",model="gpt-4o-mini",token_type="output"} 6"#,
    );
    has(
        r#"gen_ai_client_operation_duration_seconds_count{client_api="openai_chat",provider="openai",model="gpt-4o-mini"} 2"#,
    );
    has(
        r#"gen_ai_client_operation_time_to_first_chunk_seconds_count{client_api="openai_chat",provider="anthropic",model="claude-sonnet-4-5"} 1"#,
    );
    has("# TYPE plano_gateway_overhead_seconds histogram");
    has("plano_gateway_overhead_seconds_bucket{");
}

#[tokio::test(flavor = "multi_thread")]
async fn upstream_errors_are_counted() {
    // Nothing listens on this port: every attempt fails to connect.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let gw = Gateway::with_config(&config(&dead, ""), &keys()).await;
    let c = client();
    let r = c
        .post(format!("{}/v1/chat/completions", gw.url))
        .json(&chat("gpt-4o-mini", false))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_server_error(), "{}", r.status());
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["error"]["message"].is_string(), "{body}");
    let text = c
        .get(format!("{}/metrics", gw.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(r#"plano_upstream_errors_total{client_api="openai_chat",provider="openai",model="gpt-4o-mini",error_type="upstream_connect"}"#),
        "{text}"
    );
    gw.assert_no_keys_logged();
}

#[tokio::test(flavor = "multi_thread")]
async fn graceful_shutdown_lets_a_stream_finish() {
    let pause = Duration::from_millis(1500);
    let up = Upstream::start(pause).await;
    let gw = gateway(&up, "").await;
    let mut resp = client()
        .post(format!("{}/v1/chat/completions", gw.url))
        .json(&chat("gpt-4o-mini", true))
        .send()
        .await
        .unwrap();
    let first = resp.chunk().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("Hel"));
    gw.terminate();
    // New connections are refused once the listener is closed.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let refused = client()
        .post(format!("{}/v1/chat/completions", gw.url))
        .json(&chat("gpt-4o-mini", false))
        .send()
        .await;
    assert!(refused.is_err(), "still accepting after SIGTERM");
    let mut rest = Vec::new();
    while let Some(c) = resp.chunk().await.unwrap() {
        rest.extend_from_slice(&c);
    }
    let rest = String::from_utf8(rest).unwrap();
    assert!(rest.trim_end().ends_with("data: [DONE]"), "{rest}");
    let (status, err) = gw.stop_after_signal().await;
    assert!(status.success(), "{err}");
    assert!(
        err.contains("status=200"),
        "the stream was recorded:\n{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn client_gone_mid_stream_is_still_recorded() {
    let up = Upstream::start(Duration::from_millis(800)).await;
    let gw = gateway(&up, "").await;
    let mut resp = client()
        .post(format!("{}/v1/chat/completions", gw.url))
        .json(&chat("gpt-4o-mini", true))
        .send()
        .await
        .unwrap();
    resp.chunk().await.unwrap().unwrap();
    drop(resp);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let err = gw.stderr();
    assert!(err.contains("aborted=true"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn zero_config_with_a_fake_key() {
    let dir = TempDir::new("zero");
    let gw = Gateway::spawn(
        &["serve", "--port", "0"],
        &[("OPENAI_API_KEY", OPENAI_KEY)],
        dir,
    )
    .await;
    assert!(gw.url.starts_with("http://127.0.0.1:"), "{}", gw.url);
    let err = gw.stderr();
    assert!(err.contains("openai/*"), "{err}");
    // An unknown provider prefix: not configured.
    let r = client()
        .post(format!("{}/v1/chat/completions", gw.url))
        .json(&chat("anthropic/claude-sonnet-4-5", false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    gw.assert_no_keys_logged();
}

#[tokio::test(flavor = "multi_thread")]
async fn zero_config_without_keys_explains() {
    let dir = TempDir::new("nokey");
    let gw = Gateway::spawn(&["serve", "--port", "0"], &[], dir).await;
    let r = client()
        .post(format!("{}/v1/messages", gw.url))
        .json(&serde_json::json!({"model": "claude-sonnet-4-5", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["type"], "error", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no model provider is configured"),
        "{body}"
    );
    let health = client()
        .get(format!("{}/healthz", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let (status, err) = gw.stop().await;
    assert!(status.success());
    assert!(err.contains("no provider API key"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_config_prints_diagnostics_and_exits_1() {
    let dir = TempDir::new("bad");
    let path = dir.file(
        "plano.yaml",
        "version: v0.4.0\nmodel_providers:\n  - model: openai/gpt-4o\n    access_key: $PLANO_TEST_UNSET_VAR\n",
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_plano"))
        .args(["serve", "--config", path.to_str().unwrap(), "--port", "0"])
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("plano.yaml:4:17: error: model_providers[0].access_key:"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}
