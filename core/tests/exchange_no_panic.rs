//! Deterministic no-panic run of the exchange over a few thousand generated requests and
//! upstream answers (what `core/fuzz`'s `exchange_request` target does at random), plus the
//! sans-IO phases called out of order.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod exchange_support;

use exchange_support::*;
use plano_core::exchange::{
    Action, AttemptFailure, Exchange, ExchangeOptions, HeadAction, Ids, Next, RequestHead,
};
use plano_core::kv::now_or_never;

/// xorshift64*: small, deterministic, good enough to pick fragments.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

const METHODS: &[&str] = &["POST", "GET", "DELETE", "PUT", "", "post"];
const TARGETS: &[&str] = &[
    "/v1/chat/completions",
    "/v1/messages",
    "/v1/messages/count_tokens",
    "/v1/responses",
    "/v1/responses/resp_x",
    "/v1/responses/%ZZ",
    "/v1/models",
    "/healthz",
    "/model/us.anthropic.claude-sonnet-4-5-v1:0/converse",
    "/model/gpt-4o/converse-stream",
    "/model/%2F/converse",
    "/v1beta/models/gemini-2.5-flash:generateContent",
    "/v1beta/models/claude-sonnet-4-5:streamGenerateContent?alt=sse&key=k",
    "/v1beta/models/:generateContent",
    "/nope",
    "",
    "v1/chat/completions",
    "/v1/chat/completions?x=%",
];
const MODELS: &[&str] = &[
    "gpt-4o",
    "gpt-4o-mini",
    "smart",
    "fast",
    "claude-sonnet-4-5",
    "groq/x",
    "groq/",
    "",
    "unknown",
    "gemini-2.5-flash",
];
const BODIES: &[&str] = &[
    r#"{"model":"M","messages":[{"role":"user","content":"Hi"}]}"#,
    r#"{"model":"M","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"Hi"}]}"#,
    r#"{"model":"M","input":"Hi","previous_response_id":"resp_1","store":false}"#,
    r#"{"model":"M","input":[{"role":"user","content":[{"type":"input_text","text":"x"}]}],"stream":true}"#,
    r#"{"messages":[{"role":"user","content":[{"text":"Hi"}]}]}"#,
    r#"{"contents":[{"role":"user","parts":[{"text":"Hi"}]}]}"#,
    r#"{"model":5,"messages":"x","max_tokens":-1}"#,
    r#"{"model":"M","messages":[{"role":"tool","content":null}],"tools":[{"type":"function"}]}"#,
    "[]",
    "null",
    "{",
    "",
];
const UPSTREAM: &[&str] = &[
    "openai_chat/responses/text.json",
    "anthropic_messages/responses/text.json",
    "openai_chat/streams/text.sse",
    "anthropic_messages/streams/tools.sse",
    "openai_responses/streams/text.sse",
    "gemini/responses/text.json",
    "bedrock_converse/responses/text.json",
    "openai_chat/errors/rate_limit.429.json",
];

#[test]
fn thousands_of_generated_exchanges_never_panic() {
    let gw = Gw::new(config_with("gateway:\n  body_limit: 4KiB\n"));
    let upstream: Vec<Vec<u8>> = UPSTREAM.iter().map(|p| fixture(p)).collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut statuses = std::collections::BTreeMap::new();
    for _ in 0..3000 {
        let method = *rng.pick(METHODS);
        let target = *rng.pick(TARGETS);
        let model = *rng.pick(MODELS);
        let mut body = rng.pick(BODIES).replace('M', model).into_bytes();
        match rng.below(6) {
            0 => body.truncate(rng.below(body.len().max(1))),
            1 => {
                let at = rng.below(body.len().max(1));
                let n = rng.below(8);
                let junk = rng.bytes(n);
                body.splice(at..at, junk);
            }
            2 => {
                let n = rng.below(64);
                body = rng.bytes(n);
            }
            3 => body.extend(std::iter::repeat_n(b' ', 5000)),
            _ => {}
        }
        let mut headers: Vec<(&str, &str)> = Vec::new();
        for _ in 0..rng.below(4) {
            headers.push(*rng.pick(&[
                ("anthropic-version", "2023-06-01"),
                ("x-arch-llm-provider-hint", "anthropic/claude-sonnet-4-5"),
                ("x-arch-llm-provider-hint", "nope"),
                (
                    "traceparent",
                    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                ),
                ("authorization", "Bearer client-key"),
                ("x-goog-api-key", "k"),
                ("content-type", "text/plain"),
            ]));
        }
        let client_error = matches!(method, "POST" | "GET" | "DELETE") && !body.is_empty();
        let mut ex = Exchange::new(
            &gw.config,
            ExchangeOptions::default(),
            Ids {
                token: "t".repeat(32),
                span_id: [1; 8],
            },
            T0,
        );
        let head = RequestHead {
            method,
            target,
            headers: &headers,
        };
        let action = now_or_never(ex.on_request(&gw.kv, &head, &body, T0)).unwrap();
        let status = match action {
            Action::Respond(r) => {
                if client_error {
                    assert!(
                        r.status < 500 || r.status == 503,
                        "{} {target} {:?}",
                        r.status,
                        String::from_utf8_lossy(&r.body)
                    );
                }
                assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_ok());
                r.status
            }
            Action::Send(_) => {
                // Answer with a random canned upstream reply, chunked at random.
                let up = rng.pick(&upstream).clone();
                let status = *rng.pick(&[200u16, 200, 200, 429, 500, 401]);
                let mut data = up.clone();
                if rng.below(4) == 0 {
                    let at = rng.below(data.len().max(1));
                    data.truncate(at);
                }
                match ex.on_upstream_head(status, &[("retry-after", "1")], T0) {
                    HeadAction::ReadError => {
                        let _ = ex.on_upstream_failure(AttemptFailure::ErrorBody(&data), T0, 0.3);
                    }
                    HeadAction::ReadBody => {
                        let _ = now_or_never(ex.on_upstream_body(&gw.kv, &data, T0, 0.3)).unwrap();
                    }
                    HeadAction::Stream { .. } => {
                        let mut out = Vec::new();
                        let step = 1 + rng.below(40);
                        for c in data.chunks(step) {
                            now_or_never(ex.on_upstream_chunk(&gw.kv, c, T0, &mut out)).unwrap();
                        }
                        if rng.below(3) == 0 {
                            ex.on_upstream_broken(true, T0, &mut out);
                        } else {
                            now_or_never(ex.on_upstream_end(&gw.kv, T0, &mut out)).unwrap();
                        }
                    }
                }
                0
            }
        };
        let record = now_or_never(ex.finish(&gw.kv, T0)).unwrap();
        let _ = format!("{record:?}");
        *statuses.entry(status).or_insert(0u32) += 1;
    }
    // The generator reaches every kind of local answer and the upstream.
    for s in [0u16, 200, 400, 404, 405, 413] {
        assert!(statuses.contains_key(&s), "{statuses:?}");
    }
}

#[test]
fn phases_out_of_order_answer_instead_of_panicking() {
    let gw = Gw::new(config());
    let ids = Ids {
        token: "x".repeat(32),
        span_id: [0; 8],
    };
    let mut ex = Exchange::new(&gw.config, ExchangeOptions::default(), ids.clone(), T0);
    // Nothing sent yet.
    assert_eq!(ex.on_upstream_head(200, &[], T0), HeadAction::ReadError);
    match ex.on_upstream_failure(AttemptFailure::Timeout, T0, 0.0) {
        Next::Respond(r) => assert_eq!(r.status, 500),
        other => panic!("{other:?}"),
    }
    match now_or_never(ex.next_request(&gw.kv, T0)).unwrap() {
        Action::Respond(r) => assert_eq!(r.status, 500),
        Action::Send(_) => panic!("nothing to send"),
    }
    let mut out = Vec::new();
    now_or_never(ex.on_upstream_chunk(&gw.kv, b"data: x\n\n", T0, &mut out)).unwrap();
    now_or_never(ex.on_upstream_end(&gw.kv, T0, &mut out)).unwrap();
    assert!(out.is_empty());
    let record = now_or_never(ex.finish(&gw.kv, T0)).unwrap();
    assert_eq!(record.status, 500);

    // A second on_request on a used exchange.
    let mut ex = Exchange::new(&gw.config, ExchangeOptions::default(), ids, T0);
    let head = RequestHead {
        method: "GET",
        target: "/healthz",
        headers: &[],
    };
    assert!(
        matches!(now_or_never(ex.on_request(&gw.kv, &head, b"", T0)).unwrap(), Action::Respond(ref r) if r.status == 200)
    );
    assert!(
        matches!(now_or_never(ex.on_request(&gw.kv, &head, b"", T0)).unwrap(), Action::Respond(ref r) if r.status == 500)
    );
}

#[test]
fn sans_io_phases_drive_a_stream_like_a_proxy_wasm_filter() {
    // Envoy forwards the rewritten request itself and feeds body chunks from callbacks.
    let gw = Gw::new(config());
    let ids = Ids {
        token: "0".repeat(32),
        span_id: [7; 8],
    };
    let mut ex = Exchange::new(&gw.config, ExchangeOptions::default(), ids, T0);
    let head = RequestHead {
        method: "POST",
        target: "/v1/messages",
        headers: &[("anthropic-version", "2023-06-01")],
    };
    let body = br#"{"model":"gpt-4o-mini","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"Hi"}]}"#;
    let Action::Send(req) = now_or_never(ex.on_request(&gw.kv, &head, body, T0)).unwrap() else {
        panic!("expected an upstream request");
    };
    assert_eq!(req.url, "https://api.openai.com/v1/chat/completions");
    let HeadAction::Stream { status, headers } =
        ex.on_upstream_head(200, &[("content-type", "text/event-stream")], T0 + 5)
    else {
        panic!("expected a stream");
    };
    assert_eq!(status, 200);
    assert_eq!(
        headers[0],
        ("content-type".to_owned(), "text/event-stream".to_owned())
    );
    let mut out = Vec::new();
    for c in fixture("openai_chat/streams/text.sse").chunks(17) {
        now_or_never(ex.on_upstream_chunk(&gw.kv, c, T0 + 10, &mut out)).unwrap();
    }
    now_or_never(ex.on_upstream_end(&gw.kv, T0 + 20, &mut out)).unwrap();
    assert!(ex.is_done());
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("event: message_start\n"), "{text}");
    assert!(text.contains("event: message_stop"), "{text}");
    let record = now_or_never(ex.finish(&gw.kv, T0 + 30)).unwrap();
    assert_eq!(record.timing.duration_ms, 30);
    assert_eq!(record.timing.time_to_first_token_ms, Some(10));
    assert_eq!(record.attempts.len(), 1);
    assert_eq!(record.attempts[0].end_ms, Some(T0 + 20));
}
