//! Exchange scenarios: retries with backoff and `retry-after`, fallback to the next
//! candidate, no retry after the first client byte, rate limits reserved and settled.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod exchange_support;

use exchange_support::*;
use plano_core::exchange::driver::{BodyError, SendError};
use plano_core::kv::{Kv, now_or_never};

const GPT4O: &str = r#"{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}"#;
const MINI: &str = r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}"#;

fn ok() -> Canned {
    Canned::ok(fixture("openai_chat/responses/text.json"))
}

#[test]
fn retries_5xx_with_backoff_then_succeeds() {
    let gw = Gw::new(config());
    let (out, sent, sleeps) = gw.run(
        "POST",
        "/v1/chat/completions",
        &[],
        MINI.as_bytes(),
        vec![
            Canned::status(503, fixture("openai_chat/errors/overloaded.503.json")),
            ok(),
        ],
    );
    assert_eq!(out.status, 200);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].url, sent[1].url);
    // Full jitter 0.5 of the 250 ms first ceiling.
    assert_eq!(sleeps, vec![125]);
    // The request timeout bounds the whole exchange: the second attempt gets what is left
    // (the fake upstream takes 10 ms per call).
    assert_eq!(sent[0].deadlines.response_ms, 300_000);
    assert_eq!(sent[1].deadlines.response_ms, 300_000 - 135);
    let a = &out.record.attempts;
    assert_eq!(a.len(), 2);
    assert_eq!((a[0].status, a[0].error), (Some(503), Some("503")));
    assert_eq!((a[1].status, a[1].error), (Some(200), None));
}

#[test]
fn retry_after_is_honoured() {
    let gw = Gw::new(config());
    let (out, _, sleeps) = gw.run(
        "POST",
        "/v1/chat/completions",
        &[],
        MINI.as_bytes(),
        vec![
            Canned::status(429, fixture("openai_chat/errors/rate_limit.429.json"))
                .header("Retry-After", "2"),
            ok(),
        ],
    );
    assert_eq!(out.status, 200);
    assert_eq!(sleeps, vec![2000]);
}

#[test]
fn attempts_exhausted_returns_last_error_with_retry_after() {
    let gw = Gw::new(config());
    let (out, sent, sleeps) = gw.run(
        "POST",
        "/v1/chat/completions",
        &[],
        MINI.as_bytes(),
        vec![
            Canned::status(429, fixture("openai_chat/errors/rate_limit.429.json"))
                .header("retry-after", "1"),
            Canned::status(429, fixture("openai_chat/errors/rate_limit.429.json"))
                .header("retry-after", "7"),
        ],
    );
    assert_eq!(sent.len(), 2, "max_attempts is 2");
    assert_eq!(sleeps, vec![1000]);
    assert_eq!(out.status, 429);
    assert_eq!(out.header("retry-after"), Some("7"));
    assert_eq!(
        out.body(),
        fixture("openai_chat/errors/rate_limit.429.json")
    );
}

#[test]
fn falls_back_to_the_next_candidate() {
    let gw = Gw::new(config());
    let (out, sent, sleeps) = gw.run(
        "POST",
        "/v1/chat/completions",
        &[],
        GPT4O.as_bytes(),
        vec![
            Canned::Fail(SendError::Connect("connection refused".into())),
            Canned::Fail(SendError::ConnectTimeout),
            ok(),
        ],
    );
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[0].url, "https://api.openai.com/v1/chat/completions");
    assert_eq!(sent[1].url, "https://api.openai.com/v1/chat/completions");
    assert_eq!(
        sent[2].url,
        "https://backup.example.com/v1/chat/completions"
    );
    assert_eq!(
        sent[2].header("authorization"),
        Some("Bearer backup-SECRET6")
    );
    assert_eq!(sleeps, vec![125]);
    let providers: Vec<&str> = out
        .record
        .attempts
        .iter()
        .map(|a| a.provider.as_str())
        .collect();
    assert_eq!(providers, ["openai/gpt-4o", "openai/gpt-4o", "backup"]);
    assert_eq!(sent[0].deadlines.connect_ms, 5_000);
}

#[test]
fn auth_failure_falls_back_at_once_and_timeouts_do_not_retry_same() {
    let gw = Gw::new(config());
    let (out, sent, sleeps) = gw.run(
        "POST",
        "/v1/chat/completions",
        &[],
        GPT4O.as_bytes(),
        vec![
            Canned::status(401, fixture("openai_chat/errors/invalid_api_key.401.json")),
            Canned::Fail(SendError::Timeout),
        ],
    );
    assert_eq!(sent.len(), 2);
    assert!(sleeps.is_empty());
    assert_eq!(out.status, 504);
    assert_eq!(
        out.record.error.as_ref().map(|e| e.code()),
        Some("upstream_timeout")
    );
}

#[test]
fn client_errors_are_not_retried() {
    let gw = Gw::new(config());
    let (out, sent, _) = gw.run(
        "POST",
        "/v1/chat/completions",
        &[],
        GPT4O.as_bytes(),
        vec![
            Canned::status(400, fixture("openai_chat/errors/context_length.400.json")),
            ok(),
        ],
    );
    assert_eq!(sent.len(), 1);
    assert_eq!(out.status, 400);
    assert_eq!(
        out.body(),
        fixture("openai_chat/errors/context_length.400.json")
    );
}

#[test]
fn no_retry_after_the_first_client_byte() {
    let gw = Gw::new(config());
    let stream = fixture("openai_chat/streams/text.sse");
    let half = stream[..stream.len() / 2].to_vec();
    let body = r#"{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"Hi"}]}"#;
    let (out, sent, _) = gw.run(
        "POST",
        "/v1/chat/completions",
        &[],
        body.as_bytes(),
        vec![
            Canned::chunked(&half, 40).then(BodyError::Broken("reset".into())),
            ok(),
        ],
    );
    assert_eq!(sent.len(), 1, "the second canned answer is never asked for");
    assert_eq!(out.status, 200);
    let text = out.text();
    assert!(text.starts_with("data: {"), "{text}");
    assert!(
        text.contains("\"error\""),
        "ends with an error event: {text}"
    );
    assert_eq!(
        out.record.error.as_ref().map(|e| e.code()),
        Some("upstream_connect")
    );
}

const LIMITS: &str = r#"ratelimits:
  - model: openai/gpt-4o-mini
    selector: { key: x-user-id, value: "*" }
    limit: { tokens: 100, unit: minute }
"#;

#[test]
fn rate_limit_reserves_settles_and_refuses() {
    let gw = Gw::new(config_with(LIMITS));
    let hdr = [("x-user-id", "alice")];
    // Usage of the canned response: 19 + 10 = 29 tokens.
    let (out, _, _) = gw.run(
        "POST",
        "/v1/chat/completions",
        &hdr,
        MINI.as_bytes(),
        vec![ok()],
    );
    assert_eq!(out.status, 200);
    assert_eq!(out.header("x-ratelimit-limit-tokens"), Some("100"));
    assert!(out.record.rate_limit_error.is_none());
    let counter = |gw: &Gw| -> i64 {
        let window = T0 / 60_000;
        let key = format!("rl:0:openai/gpt-4o-mini:x-user-id:*=alice:m:{window}");
        let v = now_or_never(gw.kv.get(&key)).unwrap().unwrap().unwrap();
        String::from_utf8(v.value).unwrap().parse().unwrap()
    };
    assert_eq!(counter(&gw), 29, "settled with the real usage");

    for _ in 0..2 {
        let (out, _, _) = gw.run(
            "POST",
            "/v1/chat/completions",
            &hdr,
            MINI.as_bytes(),
            vec![ok()],
        );
        assert_eq!(out.status, 200);
    }
    assert_eq!(counter(&gw), 87);
    // 13 tokens left; the estimate (about 9) fits, once more.
    let (out, _, _) = gw.run(
        "POST",
        "/v1/chat/completions",
        &hdr,
        MINI.as_bytes(),
        vec![ok()],
    );
    assert_eq!(out.status, 200);
    let (out, sent, _) = gw.run(
        "POST",
        "/v1/chat/completions",
        &hdr,
        MINI.as_bytes(),
        vec![ok()],
    );
    assert!(sent.is_empty());
    assert_eq!(out.status, 429);
    assert!(out.header("retry-after").is_some());
    assert_eq!(out.header("x-ratelimit-remaining-tokens"), Some("0"));
    assert_eq!(out.json()["error"]["type"], "rate_limit_error");

    // Another user has their own budget; a failed request is released.
    let bob = [("x-user-id", "bob")];
    let (out, _, _) = gw.run(
        "POST",
        "/v1/chat/completions",
        &bob,
        MINI.as_bytes(),
        vec![
            Canned::status(500, fixture("openai_chat/errors/server_error.500.json")),
            Canned::status(500, fixture("openai_chat/errors/server_error.500.json")),
        ],
    );
    assert_eq!(out.status, 500);
    let window = T0 / 60_000;
    let key = format!("rl:0:openai/gpt-4o-mini:x-user-id:*=bob:m:{window}");
    let v = now_or_never(gw.kv.get(&key)).unwrap().unwrap().unwrap();
    assert_eq!(v.value, b"0", "released");
}

#[test]
fn no_retry_past_the_request_timeout() {
    let gw = Gw::new(config_with("gateway:\n  timeouts:\n    request: 1s\n"));
    let (out, sent, sleeps) = gw.run(
        "POST",
        "/v1/chat/completions",
        &[],
        MINI.as_bytes(),
        vec![
            Canned::status(503, fixture("openai_chat/errors/overloaded.503.json"))
                .header("retry-after", "2"),
            ok(),
        ],
    );
    assert_eq!(sent.len(), 1);
    assert!(sleeps.is_empty());
    assert_eq!(out.status, 503);
    assert_eq!(out.header("retry-after"), Some("2"));
}

#[test]
fn fallback_moves_the_reservation_to_the_new_providers_limits() {
    let limits = r#"ratelimits:
  - model: openai/gpt-4o
    selector: { key: x-user-id, value: "*" }
    limit: { tokens: 1000, unit: minute }
  - model: backup
    selector: { key: x-user-id, value: "*" }
    limit: { tokens: 1000, unit: minute }
"#;
    let gw = Gw::new(config_with(limits));
    let hdr = [("x-user-id", "carol")];
    let (out, sent, _) = gw.run(
        "POST",
        "/v1/chat/completions",
        &hdr,
        GPT4O.as_bytes(),
        vec![
            Canned::Fail(SendError::Connect("refused".into())),
            Canned::Fail(SendError::Connect("refused".into())),
            ok(),
        ],
    );
    assert_eq!(out.status, 200);
    assert_eq!(sent.len(), 3);
    let window = T0 / 60_000;
    let read = |key: String| -> Vec<u8> {
        now_or_never(gw.kv.get(&key))
            .unwrap()
            .unwrap()
            .unwrap()
            .value
    };
    assert_eq!(
        read(format!("rl:0:openai/gpt-4o:x-user-id:*=carol:m:{window}")),
        b"0",
        "released from the provider that failed"
    );
    assert_eq!(
        read(format!("rl:1:backup:x-user-id:*=carol:m:{window}")),
        b"29",
        "settled under the provider that answered"
    );
}

#[test]
fn a_spent_budget_on_the_fallback_is_a_429_not_a_way_around() {
    let limits = r#"ratelimits:
  - model: backup
    selector: { key: x-user-id, value: "*" }
    limit: { tokens: 5, unit: minute }
"#;
    let gw = Gw::new(config_with(limits));
    let (out, sent, _) = gw.run(
        "POST",
        "/v1/chat/completions",
        &[("x-user-id", "dan")],
        GPT4O.as_bytes(),
        vec![
            Canned::status(401, fixture("openai_chat/errors/invalid_api_key.401.json")),
            ok(),
        ],
    );
    assert_eq!(sent.len(), 1, "the fallback is refused by its own limit");
    assert_eq!(out.status, 429);
    assert_eq!(out.json()["error"]["type"], "rate_limit_error");
    assert_eq!(out.header("x-ratelimit-limit-tokens"), Some("5"));
}

#[test]
fn listener_max_retries_sets_the_attempts_per_provider() {
    let gw = Gw::new(config_listener(12000, "    max_retries: 0\n", ""));
    let (out, sent, sleeps) = gw.run(
        "POST",
        "/v1/chat/completions",
        &[],
        MINI.as_bytes(),
        vec![
            Canned::status(503, fixture("openai_chat/errors/overloaded.503.json")),
            ok(),
        ],
    );
    assert_eq!(sent.len(), 1);
    assert!(sleeps.is_empty());
    assert_eq!(out.status, 503);

    let gw = Gw::new(config_listener(12000, "    max_retries: 2\n", ""));
    let err = || Canned::status(500, fixture("openai_chat/errors/server_error.500.json"));
    let (out, sent, sleeps) = gw.run(
        "POST",
        "/v1/chat/completions",
        &[],
        MINI.as_bytes(),
        vec![err(), err(), ok()],
    );
    assert_eq!(out.status, 200);
    assert_eq!(sent.len(), 3);
    // Backoff ceilings 250 then 500 ms, jitter 0.5.
    assert_eq!(sleeps, vec![125, 250]);
}

#[test]
fn an_oversized_request_is_refused_without_its_body() {
    use plano_core::exchange::{Action, Exchange, ExchangeOptions, Ids, RequestHead};
    let gw = Gw::new(config());
    let ids = Ids {
        token: "t".into(),
        span_id: [1; 8],
    };
    let refuse = |method: &str, target: &str| {
        let mut ex = Exchange::new(&gw.config, ExchangeOptions::default(), ids.clone(), T0);
        let head = RequestHead {
            method,
            target,
            headers: &[],
        };
        match ex.on_oversized_request(&head) {
            Action::Respond(r) => (r, ex.client_api()),
            Action::Send(_) => panic!("an oversized request is never sent"),
        }
    };
    let (reply, api) = refuse("POST", "/v1/messages");
    assert_eq!(reply.status, 413);
    assert_eq!(api, hermesllm::Api::AnthropicMessages);
    let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(body["type"], "error", "Anthropic's error shape: {body}");
    assert_eq!(refuse("POST", "/nowhere").0.status, 404);
}
