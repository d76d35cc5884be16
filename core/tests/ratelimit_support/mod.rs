//! Shared by the rate-limit scenario tests: the config, the clock and store helpers.
#![allow(dead_code, unused_imports)]

pub use std::cell::Cell;
pub use std::future::Future;
pub use std::pin::Pin;
pub use std::task::{Context, Poll, Waker};

pub use hermesllm::ir::{ErrorKind, Usage};
pub use plano_core::config::Config;
pub use plano_core::kv::{Kv, KvCaps, KvError, MemoryKv, Versioned, now_or_never};
pub use plano_core::ratelimit::{
    Decision, Limited, OnUnavailable, Policy, RateLimitError, RateLimiter, Reservation, WindowMode,
};
pub use plano_core::time::ManualClock;

pub const YAML: &str = r#"
version: 0.2.0
listeners:
  - type: model
    name: model_listener
    address: 0.0.0.0
    port: 12000
model_providers:
  - model: openai/gpt-4o-mini
    access_key: $OPENAI_API_KEY
    default: true
  - model: anthropic/claude-3-5-haiku-latest
    access_key: $ANTHROPIC_API_KEY
ratelimits:
  - model: openai/gpt-4o-mini
    selector: { key: x-user-id, value: "*" }
    limit: { tokens: 100, unit: minute }
  - model: claude-3-5-haiku-latest
    selector: { key: X-Org-Id, value: acme }
    limit: { tokens: 50, unit: minute }
  - model: openai/gpt-4o-mini
    selector: { key: x-team, value: research }
    limit: { tokens: 1000, unit: hour }
  - model: openai/gpt-4o-mini
    selector: { key: authorization, value: "*" }
    limit: { tokens: 500, unit: day }
  - model: claude-3-5-haiku-latest
    selector: { key: x-burst, value: "*" }
    limit: { tokens: 10, unit: second }
"#;

pub const OPENAI: &str = "openai/gpt-4o-mini";
pub const CLAUDE: &str = "anthropic/claude-3-5-haiku-latest";
/// 2026-11-21T00:00:00Z, a day boundary (so minute, hour and day windows all start here).
pub const T0: u64 = 1_795_132_800_000;

pub fn config() -> Config {
    Config::check(YAML).expect("test config loads")
}

pub fn ready<F: Future>(f: F) -> F::Output {
    now_or_never(f).expect("store futures are ready")
}

/// Moves the store's clock to `ms` and returns it: the time passed to the limiter and the
/// store's own clock must agree, as they do in a host.
pub fn at(clock: &ManualClock, ms: u64) -> u64 {
    clock.set(ms);
    ms
}

pub fn hdrs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

pub fn admitted(d: Decision) -> Reservation {
    match d {
        Decision::Admitted(r) => r,
        Decision::Limited(l) => panic!("expected admission, got {}", l.message()),
    }
}

pub fn limited(d: Decision) -> Limited {
    match d {
        Decision::Limited(l) => l,
        Decision::Admitted(r) => panic!("expected a denial, got {r:?}"),
    }
}

pub fn count(kv: &impl Kv, key: &str) -> Option<String> {
    ready(kv.get(key))
        .unwrap()
        .map(|v| String::from_utf8(v.value).unwrap())
}

pub fn usage(input: u64, output: u64) -> Usage {
    Usage {
        input_tokens: input,
        output_tokens: output,
        ..Usage::default()
    }
}

pub const ALICE_KEY: &str = "rl:0:openai/gpt-4o-mini:x-user-id:*=alice:m:29918880";
