//! A host plugs the counter into the exchange: `count_tokens` answers with tiktoken's count.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use plano_core::config::Config;
use plano_core::exchange::{Action, Exchange, ExchangeOptions, Ids, RequestHead};
use plano_core::kv::{MemoryKv, now_or_never};
use plano_core::time::ManualClock;

const ANTHROPIC_2KB: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/bench/anthropic-messages-request-2kb.json"
));

const YAML: &str = "version: v0.4.0
listeners:
  - type: model
    name: llm
    port: 12000
model_providers:
  - model: anthropic/claude-sonnet-4-5
    access_key: $ANTHROPIC_API_KEY
    default: true
";

fn count_tokens(options: ExchangeOptions<'_>, body: &[u8]) -> serde_json::Value {
    let secrets: BTreeMap<String, String> =
        [("ANTHROPIC_API_KEY".to_owned(), "sk-ant-x".to_owned())].into();
    let config = Config::load(YAML, &secrets).unwrap();
    let ids = Ids {
        token: "t".into(),
        span_id: [1; 8],
    };
    let mut ex = Exchange::new(&config, options, ids, 1_700_000_000_000);
    let head = RequestHead {
        method: "POST",
        target: "/v1/messages/count_tokens",
        headers: &[("anthropic-version", "2023-06-01")],
    };
    let clock = ManualClock::new(1_700_000_000_000);
    let kv = MemoryKv::new(&clock);
    match now_or_never(ex.on_request(&kv, &head, body, 1_700_000_000_000)).unwrap() {
        Action::Respond(reply) => {
            assert_eq!(
                reply.status,
                200,
                "{}",
                String::from_utf8_lossy(&reply.body)
            );
            serde_json::from_slice(&reply.body).unwrap()
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn count_tokens_uses_the_plugged_counter() {
    let exact = count_tokens(
        ExchangeOptions::default().token_counter(Some(plano_tiktoken::counter_for_model)),
        ANTHROPIC_2KB,
    );
    // The same numbers as tests/counts.rs: cl100k for Claude, the estimator by default.
    assert_eq!(exact["input_tokens"], 462);
    let estimated = count_tokens(ExchangeOptions::default(), ANTHROPIC_2KB);
    assert_eq!(estimated["input_tokens"], 450);
    // "hello world" is 2 cl100k tokens, 3 estimated (11 bytes / 4): 3 + 4 + text.
    let small =
        br#"{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hello world"}]}"#;
    let exact = count_tokens(
        ExchangeOptions::default().token_counter(Some(plano_tiktoken::counter_for_model)),
        small,
    );
    assert_eq!(exact["input_tokens"], 9);
    assert_eq!(
        count_tokens(ExchangeOptions::default(), small)["input_tokens"],
        10
    );
}
