//! Token rate limits over MemoryKv with a ManualClock, and over test stores that hide
//! capabilities, fail, or interleave.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    async_fn_in_trait
)]

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use hermesllm::ir::{ErrorKind, Usage};
use plano_core::config::Config;
use plano_core::kv::{Kv, KvCaps, KvError, MemoryKv, Versioned, now_or_never};
use plano_core::ratelimit::{
    Decision, Limited, OnUnavailable, Policy, RateLimitError, RateLimiter, Reservation, WindowMode,
};
use plano_core::time::ManualClock;

const YAML: &str = r#"
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
"#;

const OPENAI: &str = "openai/gpt-4o-mini";
const CLAUDE: &str = "anthropic/claude-3-5-haiku-latest";
/// 2026-11-21T00:00:00Z, a day boundary (so minute, hour and day windows all start here).
const T0: u64 = 1_795_132_800_000;

fn config() -> Config {
    Config::check(YAML).expect("test config loads")
}

fn ready<F: Future>(f: F) -> F::Output {
    now_or_never(f).expect("store futures are ready")
}

/// Moves the store's clock to `ms` and returns it: the time passed to the limiter and the
/// store's own clock must agree, as they do in a host.
fn at(clock: &ManualClock, ms: u64) -> u64 {
    clock.set(ms);
    ms
}

fn hdrs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn admitted(d: Decision) -> Reservation {
    match d {
        Decision::Admitted(r) => r,
        Decision::Limited(l) => panic!("expected admission, got {}", l.message()),
    }
}

fn limited(d: Decision) -> Limited {
    match d {
        Decision::Limited(l) => l,
        Decision::Admitted(r) => panic!("expected a denial, got {r:?}"),
    }
}

fn count(kv: &impl Kv, key: &str) -> Option<String> {
    ready(kv.get(key))
        .unwrap()
        .map(|v| String::from_utf8(v.value).unwrap())
}

fn usage(input: u64, output: u64) -> Usage {
    Usage {
        input_tokens: input,
        output_tokens: output,
        ..Usage::default()
    }
}

const ALICE_KEY: &str = "rl:0:openai/gpt-4o-mini:x-user-id:*=alice:m:29918880";

#[test]
fn applicable_by_provider_name_and_header_case_insensitive() {
    let cfg = config();
    let rl = RateLimiter::new(&cfg.rate_limits, Policy::default());
    let h = hdrs(&[("X-USER-ID", " alice "), ("X-Team", "research")]);
    let a = rl.applicable(OPENAI, &h);
    assert_eq!(
        a.iter()
            .map(|a| (a.index, a.value.as_str()))
            .collect::<Vec<_>>(),
        vec![(0, "alice"), (2, "research")]
    );
    // Another value of an exact selector does not apply; nor a missing header.
    assert!(
        rl.applicable(OPENAI, &hdrs(&[("x-team", "sales")]))
            .is_empty()
    );
    assert!(rl.applicable(OPENAI, &hdrs(&[])).is_empty());
    // The limit written for model `claude-3-5-haiku-latest` applies to the provider it
    // resolves to (Plano keys by the model string and looks up by provider: never applies).
    let c = rl.applicable(CLAUDE, &hdrs(&[("x-org-id", "acme")]));
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].index, 1);
    assert!(
        rl.applicable("claude-3-5-haiku-latest", &hdrs(&[("x-org-id", "acme")]))
            .is_empty()
    );
    // Exact values are case-sensitive.
    assert!(
        rl.applicable(CLAUDE, &hdrs(&[("x-org-id", "ACME")]))
            .is_empty()
    );
    // First occurrence of a repeated header counts.
    let a = rl.applicable(OPENAI, &hdrs(&[("x-user-id", "a"), ("X-User-Id", "b")]));
    assert_eq!(a[0].value, "a");
}

#[test]
fn keys_are_deterministic_and_documented() {
    let cfg = config();
    let clock = ManualClock::new(T0 + 1_000);
    let kv = MemoryKv::new(&clock);
    let rl = RateLimiter::new(&cfg.rate_limits, Policy::default());
    let long = "x".repeat(65);
    let h = hdrs(&[
        ("x-user-id", "alice"),
        ("x-team", "research"),
        ("Authorization", "Bearer sk-secret"),
    ]);
    let r = admitted(ready(rl.reserve(&kv, at(&clock, T0 + 1_000), OPENAI, &h, 10)).unwrap());
    let keys: Vec<&str> = r.keys().collect();
    assert_eq!(
        keys,
        vec![
            ALICE_KEY,
            "rl:2:openai/gpt-4o-mini:x-team:=research:h:498648",
            "rl:3:openai/gpt-4o-mini:authorization:*=#bcb1a618eee67aa5:d:20777",
        ]
    );
    assert!(keys.iter().all(|k| !k.contains("sk-secret")));
    // Escaping and long values.
    let h = hdrs(&[("x-user-id", "a:b c")]);
    let r2 = admitted(ready(rl.reserve(&kv, at(&clock, T0), OPENAI, &h, 1)).unwrap());
    assert_eq!(
        r2.keys().collect::<Vec<_>>(),
        vec!["rl:0:openai/gpt-4o-mini:x-user-id:*=a%3Ab%20c:m:29918880"]
    );
    let h = hdrs(&[("x-user-id", long.as_str())]);
    let r3 = admitted(ready(rl.reserve(&kv, at(&clock, T0), OPENAI, &h, 1)).unwrap());
    let k3 = r3.keys().next().unwrap().to_owned();
    assert!(
        k3.starts_with("rl:0:openai/gpt-4o-mini:x-user-id:*=#"),
        "{k3}"
    );
    assert_eq!(
        k3.len(),
        "rl:0:openai/gpt-4o-mini:x-user-id:*=#".len() + 16 + ":m:29918880".len()
    );
    let r4 = admitted(ready(rl.reserve(&kv, at(&clock, T0), OPENAI, &h, 1)).unwrap());
    assert_eq!(r4.keys().next().unwrap(), k3, "same value, same key");
}

#[test]
fn budgets_per_value_and_per_star() {
    let cfg = config();
    let clock = ManualClock::new(T0);
    let kv = MemoryKv::new(&clock);
    let rl = RateLimiter::new(&cfg.rate_limits, Policy::default());
    let alice = hdrs(&[("x-user-id", "alice")]);
    let bob = hdrs(&[("x-user-id", "bob")]);
    let _ = admitted(ready(rl.reserve(&kv, at(&clock, T0), OPENAI, &alice, 60)).unwrap());
    let _ = admitted(ready(rl.reserve(&kv, at(&clock, T0), OPENAI, &alice, 40)).unwrap());
    assert_eq!(count(&kv, ALICE_KEY).as_deref(), Some("100"));
    let l = limited(ready(rl.reserve(&kv, at(&clock, T0), OPENAI, &alice, 1)).unwrap());
    assert_eq!(
        (l.status.limit, l.status.remaining, l.requested),
        (100, 0, 1)
    );
    // Bob has his own budget.
    let _ = admitted(ready(rl.reserve(&kv, at(&clock, T0), OPENAI, &bob, 100)).unwrap());
    // An exact selector is one shared budget.
    let acme = hdrs(&[("x-org-id", "acme")]);
    let _ = admitted(ready(rl.reserve(&kv, at(&clock, T0), CLAUDE, &acme, 50)).unwrap());
    let l = limited(ready(rl.reserve(&kv, at(&clock, T0), CLAUDE, &acme, 1)).unwrap());
    assert_eq!(l.status.id.index, 1);
    assert_eq!(l.status.id.value, "acme");
    assert!(!l.status.id.each);
    // Another provider with the same headers is not limited.
    let _ = admitted(ready(rl.reserve(&kv, at(&clock, T0), CLAUDE, &alice, 1_000)).unwrap());
}

#[test]
fn denial_carries_everything_for_the_429() {
    let cfg = config();
    let clock = ManualClock::new(T0);
    let kv = MemoryKv::new(&clock);
    let rl = RateLimiter::new(
        &cfg.rate_limits,
        Policy::default().window(WindowMode::Fixed),
    );
    let alice = hdrs(&[("x-user-id", "alice")]);
    let r = admitted(ready(rl.reserve(&kv, at(&clock, T0 + 15_000), OPENAI, &alice, 70)).unwrap());
    assert_eq!(
        r.headers(T0 + 15_000),
        vec![
            ("x-ratelimit-limit-tokens", "100".to_owned()),
            ("x-ratelimit-remaining-tokens", "30".to_owned()),
            ("x-ratelimit-reset-tokens", "45s".to_owned()),
        ]
    );
    let l = limited(ready(rl.reserve(&kv, at(&clock, T0 + 20_500), OPENAI, &alice, 40)).unwrap());
    assert_eq!(l.status.reset_at_ms, T0 + 60_000);
    assert_eq!(l.retry_after_secs, Some(40)); // 39.5 s rounded up
    assert!(!l.never_fits);
    assert_eq!(
        l.headers(),
        vec![
            ("retry-after", "40".to_owned()),
            ("x-ratelimit-limit-tokens", "100".to_owned()),
            ("x-ratelimit-remaining-tokens", "30".to_owned()),
            ("x-ratelimit-reset-tokens", "39.5s".to_owned()),
        ]
    );
    assert_eq!(
        l.message(),
        "Token rate limit of 100 tokens per minute exceeded for model `openai/gpt-4o-mini` \
         (header `x-user-id`: `alice`): 30 tokens remaining, this request needs an estimated 40. \
         Retry after 40 seconds."
    );
    let e = l.api_error();
    assert_eq!((e.kind, e.status), (ErrorKind::RateLimit, 429));
    assert_eq!(&*e.message, l.message());
    assert_eq!(Limited::STATUS, 429);
    // The denied request reserved nothing.
    assert_eq!(count(&kv, ALICE_KEY).as_deref(), Some("70"));
}

#[test]
fn estimate_beyond_the_whole_window_never_fits() {
    let cfg = config();
    let clock = ManualClock::new(T0);
    let kv = MemoryKv::new(&clock);
    let rl = RateLimiter::new(&cfg.rate_limits, Policy::default());
    let alice = hdrs(&[("x-user-id", "alice")]);
    for est in [101, u64::MAX] {
        let l = limited(ready(rl.reserve(&kv, at(&clock, T0), OPENAI, &alice, est)).unwrap());
        assert!(l.never_fits);
        assert_eq!(l.retry_after_secs, None);
        assert_eq!(l.status.remaining, 100);
        assert!(l.headers().iter().all(|(n, _)| *n != "retry-after"));
        assert!(
            l.message().contains("can never be admitted"),
            "{}",
            l.message()
        );
        assert!(l.message().contains(&format!("estimated {est} tokens")));
    }
    assert!(kv.is_empty(), "nothing written");
    // Exactly the limit fits.
    let _ = admitted(ready(rl.reserve(&kv, at(&clock, T0), OPENAI, &alice, 100)).unwrap());
}

#[test]
fn zero_estimate_reserves_nothing_but_needs_a_token_left() {
    let cfg = config();
    let clock = ManualClock::new(T0);
    let kv = MemoryKv::new(&clock);
    let rl = RateLimiter::new(&cfg.rate_limits, Policy::default());
    let alice = hdrs(&[("x-user-id", "alice")]);
    let r = admitted(ready(rl.reserve(&kv, at(&clock, T0), OPENAI, &alice, 0)).unwrap());
    assert_eq!(count(&kv, ALICE_KEY).as_deref(), Some("0"));
    ready(r.settle(&kv, at(&clock, T0), &usage(7, 3))).unwrap();
    assert_eq!(count(&kv, ALICE_KEY).as_deref(), Some("10"));
    let _ = admitted(ready(rl.reserve(&kv, at(&clock, T0), OPENAI, &alice, 90)).unwrap());
    let l = limited(ready(rl.reserve(&kv, at(&clock, T0), OPENAI, &alice, 0)).unwrap());
    assert_eq!(l.status.remaining, 0);
}

#[test]
fn settle_adjusts_up_and_down_and_release_takes_back() {
    let cfg = config();
    let clock = ManualClock::new(T0);
    let kv = MemoryKv::new(&clock);
    let rl = RateLimiter::new(&cfg.rate_limits, Policy::default());
    let alice = hdrs(&[("x-user-id", "alice")]);
    let r = admitted(ready(rl.reserve(&kv, at(&clock, T0), OPENAI, &alice, 20)).unwrap());
    assert_eq!(r.estimate(), 20);
    ready(r.settle(&kv, at(&clock, T0 + 5_000), &usage(25, 30))).unwrap();
    assert_eq!(count(&kv, ALICE_KEY).as_deref(), Some("55"), "up by 35");
    let r = admitted(ready(rl.reserve(&kv, at(&clock, T0), OPENAI, &alice, 40)).unwrap());
    assert_eq!(count(&kv, ALICE_KEY).as_deref(), Some("95"));
    // Cached and reasoning tokens are parts of input/output: not added twice.
    let u = Usage {
        input_tokens: 8,
        output_tokens: 2,
        cache_read_input_tokens: 5,
        reasoning_tokens: 1,
        ..Usage::default()
    };
    ready(r.settle(&kv, at(&clock, T0 + 5_000), &u)).unwrap();
    assert_eq!(count(&kv, ALICE_KEY).as_deref(), Some("65"), "down by 30");
    let r = admitted(ready(rl.reserve(&kv, at(&clock, T0), OPENAI, &alice, 35)).unwrap());
    assert_eq!(count(&kv, ALICE_KEY).as_deref(), Some("100"));
    ready(r.release(&kv, at(&clock, T0 + 1))).unwrap();
    assert_eq!(count(&kv, ALICE_KEY).as_deref(), Some("65"));
}

#[test]
fn windows_roll_over_fixed_and_sliding() {
    let cfg = config();
    let alice = hdrs(&[("x-user-id", "alice")]);

    // Fixed: the budget refills at the window start (up to 2x around the edge).
    let clock = ManualClock::new(T0);
    let kv = MemoryKv::new(&clock);
    let rl = RateLimiter::new(
        &cfg.rate_limits,
        Policy::default().window(WindowMode::Fixed),
    );
    let _ = admitted(ready(rl.reserve(&kv, at(&clock, T0 + 59_000), OPENAI, &alice, 100)).unwrap());
    let _ = limited(ready(rl.reserve(&kv, at(&clock, T0 + 59_999), OPENAI, &alice, 1)).unwrap());
    let _ = admitted(ready(rl.reserve(&kv, at(&clock, T0 + 60_000), OPENAI, &alice, 100)).unwrap());

    // Sliding: the previous window's count decays over the current one.
    let clock = ManualClock::new(T0);
    let kv = MemoryKv::new(&clock);
    let rl = RateLimiter::new(&cfg.rate_limits, Policy::default());
    let _ = admitted(ready(rl.reserve(&kv, at(&clock, T0 + 59_000), OPENAI, &alice, 80)).unwrap());
    // 6 s into the next window: 80 * 54/60 = 72 still counts; 28 remain.
    let l = limited(ready(rl.reserve(&kv, at(&clock, T0 + 66_000), OPENAI, &alice, 40)).unwrap());
    assert_eq!(l.status.remaining, 28);
    // 40 fits when 80 * left/60 <= 60, left <= 45 s: at 75 s, 9 s from now.
    assert_eq!(l.retry_after_secs, Some(9));
    let _ = limited(ready(rl.reserve(&kv, at(&clock, T0 + 74_999), OPENAI, &alice, 40)).unwrap());
    clock.set(T0 + 75_000);
    let r = admitted(ready(rl.reserve(&kv, at(&clock, T0 + 75_000), OPENAI, &alice, 40)).unwrap());
    assert_eq!(r.statuses().next().unwrap().remaining, 0);
    // Two windows later nothing of it is left.
    clock.set(T0 + 180_000);
    let _ =
        admitted(ready(rl.reserve(&kv, at(&clock, T0 + 180_000), OPENAI, &alice, 100)).unwrap());
}

#[test]
fn sliding_retry_after_when_the_current_window_is_full() {
    let cfg = config();
    let clock = ManualClock::new(T0);
    let kv = MemoryKv::new(&clock);
    let rl = RateLimiter::new(&cfg.rate_limits, Policy::default());
    let alice = hdrs(&[("x-user-id", "alice")]);
    let _ = admitted(ready(rl.reserve(&kv, at(&clock, T0 + 30_000), OPENAI, &alice, 100)).unwrap());
    // Needs 50: in the next window 100 * left/60 <= 50 at 30 s into it: 30 s + 30 s.
    let l = limited(ready(rl.reserve(&kv, at(&clock, T0 + 30_000), OPENAI, &alice, 50)).unwrap());
    assert_eq!(l.retry_after_secs, Some(60));
    clock.set(T0 + 90_000);
    let _ = admitted(ready(rl.reserve(&kv, at(&clock, T0 + 90_000), OPENAI, &alice, 50)).unwrap());
}

#[test]
fn settle_after_the_window_stopped_counting_writes_nothing() {
    let cfg = config();
    let clock = ManualClock::new(T0);
    let kv = MemoryKv::new(&clock);
    let rl = RateLimiter::new(&cfg.rate_limits, Policy::default());
    let alice = hdrs(&[("x-user-id", "alice")]);
    let r = admitted(ready(rl.reserve(&kv, at(&clock, T0), OPENAI, &alice, 10)).unwrap());
    let r2 = r.clone();
    // In the next window the counter still weighs: settled.
    clock.set(T0 + 61_000);
    ready(r.settle(&kv, at(&clock, T0 + 61_000), &usage(20, 0))).unwrap();
    assert_eq!(count(&kv, ALICE_KEY).as_deref(), Some("20"));
    // Two windows later it is gone and not recreated.
    clock.set(T0 + 120_000);
    ready(r2.settle(&kv, at(&clock, T0 + 120_000), &usage(500, 0))).unwrap();
    assert_eq!(count(&kv, ALICE_KEY), None);
    assert!(kv.is_empty());
}

#[test]
fn a_later_limit_refusing_takes_back_earlier_reservations() {
    let cfg = config();
    let clock = ManualClock::new(T0);
    let kv = MemoryKv::new(&clock);
    let rl = RateLimiter::new(&cfg.rate_limits, Policy::default());
    let team = hdrs(&[("x-team", "research")]);
    let _ = admitted(ready(rl.reserve(&kv, at(&clock, T0), OPENAI, &team, 950)).unwrap());
    let both = hdrs(&[("x-user-id", "alice"), ("x-team", "research")]);
    let l = limited(ready(rl.reserve(&kv, at(&clock, T0), OPENAI, &both, 60)).unwrap());
    assert_eq!(l.status.id.index, 2);
    assert_eq!(l.status.id.unit, plano_core::config::TimeUnit::Hour);
    assert_eq!(count(&kv, ALICE_KEY).as_deref(), Some("0"), "taken back");
    // Success headers name the tightest budget.
    let r = admitted(ready(rl.reserve(&kv, at(&clock, T0), OPENAI, &both, 40)).unwrap());
    assert_eq!(
        r.headers(T0),
        vec![
            ("x-ratelimit-limit-tokens", "1000".to_owned()),
            ("x-ratelimit-remaining-tokens", "10".to_owned()),
            ("x-ratelimit-reset-tokens", "1h0m0s".to_owned()),
        ]
    );
    assert_eq!(r.statuses().count(), 2);
}

#[test]
fn credentials_never_appear_in_denials() {
    let cfg = config();
    let clock = ManualClock::new(T0);
    let kv = MemoryKv::new(&clock);
    let rl = RateLimiter::new(&cfg.rate_limits, Policy::default());
    let h = hdrs(&[("authorization", "Bearer sk-secret")]);
    let l = limited(ready(rl.reserve(&kv, at(&clock, T0), OPENAI, &h, 501)).unwrap());
    assert_eq!(l.status.id.value, "<redacted>");
    assert!(!format!("{l:?}{}", l.message()).contains("sk-secret"));
}

#[test]
fn no_applicable_limit_admits_without_store_access() {
    let cfg = config();
    let rl = RateLimiter::new(
        &cfg.rate_limits,
        Policy::default().on_unavailable(OnUnavailable::Deny),
    );
    let r = admitted(ready(rl.reserve(&Down, T0, OPENAI, &hdrs(&[]), 1_000_000)).unwrap());
    assert!(r.headers(T0).is_empty());
    assert_eq!(r.keys().count(), 0);
    ready(r.settle(&Down, T0, &usage(1, 1))).unwrap();
}

// ---------------------------------------------------------------------------------------
// Stores with fewer capabilities, failing stores, interleaving.

/// MemoryKv with some capabilities hidden.
struct Hidden<'c> {
    inner: MemoryKv<&'c ManualClock>,
    caps: KvCaps,
}

impl Kv for Hidden<'_> {
    fn caps(&self) -> KvCaps {
        self.caps
    }
    async fn get(&self, key: &str) -> Result<Option<Versioned>, KvError> {
        self.inner.get(key).await
    }
    async fn put(&self, key: &str, value: &[u8], ttl: Option<u32>) -> Result<(), KvError> {
        self.inner.put(key, value, ttl).await
    }
    async fn delete(&self, key: &str) -> Result<(), KvError> {
        self.inner.delete(key).await
    }
    async fn increment(&self, key: &str, d: i64, ttl: Option<u32>) -> Result<i64, KvError> {
        if !self.caps.atomic_increment {
            return Err(KvError::Unsupported("increment"));
        }
        self.inner.increment(key, d, ttl).await
    }
    async fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &[u8],
        ttl: Option<u32>,
    ) -> Result<bool, KvError> {
        if !self.caps.compare_and_swap {
            return Err(KvError::Unsupported("compare_and_swap"));
        }
        self.inner.compare_and_swap(key, expected, value, ttl).await
    }
}

fn caps(increment: bool, cas: bool, native_ttl: bool) -> KvCaps {
    KvCaps {
        atomic_increment: increment,
        compare_and_swap: cas,
        strong_consistency: true,
        min_ttl_secs: 60,
        native_ttl,
    }
}

#[test]
fn same_scenario_on_every_capability_set() {
    let cfg = config();
    let alice = hdrs(&[("x-user-id", "alice")]);
    let expiry = T0 + 120_000;
    for (c, stored) in [
        (
            caps(true, true, true),
            ["60", "90", "40"].map(str::to_owned),
        ),
        (
            caps(false, true, true),
            ["60", "90", "40"].map(str::to_owned),
        ),
        (
            caps(false, false, true),
            ["60", "90", "40"].map(str::to_owned),
        ),
        (
            caps(false, true, false),
            ["60", "90", "40"].map(|n| format!("{n}@{expiry}")),
        ),
        (
            caps(false, false, false),
            ["60", "90", "40"].map(|n| format!("{n}@{expiry}")),
        ),
    ] {
        let clock = ManualClock::new(T0);
        let kv = Hidden {
            inner: MemoryKv::new(&clock),
            caps: c,
        };
        let rl = RateLimiter::new(&cfg.rate_limits, Policy::default());
        let r1 = admitted(ready(rl.reserve(&kv, at(&clock, T0), OPENAI, &alice, 60)).unwrap());
        assert_eq!(count(&kv, ALICE_KEY).as_ref(), Some(&stored[0]), "{c:?}");
        let r2 = admitted(ready(rl.reserve(&kv, at(&clock, T0), OPENAI, &alice, 30)).unwrap());
        assert_eq!(count(&kv, ALICE_KEY).as_ref(), Some(&stored[1]), "{c:?}");
        let l = limited(ready(rl.reserve(&kv, at(&clock, T0), OPENAI, &alice, 11)).unwrap());
        assert_eq!(l.status.remaining, 10, "{c:?}");
        assert_eq!(count(&kv, ALICE_KEY).as_ref(), Some(&stored[1]), "{c:?}");
        ready(r1.settle(&kv, at(&clock, T0 + 1), &usage(5, 5))).unwrap();
        assert_eq!(count(&kv, ALICE_KEY).as_ref(), Some(&stored[2]), "{c:?}");
        ready(r2.release(&kv, at(&clock, T0 + 2))).unwrap();
        assert_eq!(
            count(&kv, ALICE_KEY).as_ref(),
            Some(&stored[1].replacen("90", "10", 1)),
            "{c:?}"
        );
        ready(released_twice_reads_zero(&kv, &rl, &alice)).unwrap();
    }
}

/// With 10 tokens counted, reserves 10 and releases it three times: read-modify-write
/// counters clamp at zero, increment counters may dip below and read as zero.
async fn released_twice_reads_zero(
    kv: &impl Kv,
    rl: &RateLimiter<'_>,
    h: &Vec<(String, String)>,
) -> Result<(), RateLimitError> {
    let Decision::Admitted(r) = rl.reserve(kv, T0, OPENAI, h, 10).await? else {
        panic!("admitted")
    };
    let (again, third) = (r.clone(), r.clone());
    r.release(kv, T0).await?;
    again.release(kv, T0).await?;
    third.release(kv, T0).await?;
    let v = kv.get(ALICE_KEY).await.unwrap().unwrap().value;
    let text = String::from_utf8(v).unwrap();
    let n: i64 = text.split('@').next().unwrap().parse().unwrap();
    let expected = if kv.caps().atomic_increment { -10 } else { 0 };
    assert_eq!(n, expected, "{:?}", kv.caps());
    // Either way the next request sees a full budget.
    let Decision::Admitted(r) = rl.reserve(kv, T0, OPENAI, h, 100).await? else {
        panic!("full budget")
    };
    r.release(kv, T0).await
}

/// A store that is down for keys starting with `prefix` ("" = everything).
struct Down;

impl Kv for Down {
    fn caps(&self) -> KvCaps {
        caps(true, true, true)
    }
    async fn get(&self, _: &str) -> Result<Option<Versioned>, KvError> {
        Err(KvError::Unavailable("connection refused".into()))
    }
    async fn put(&self, _: &str, _: &[u8], _: Option<u32>) -> Result<(), KvError> {
        Err(KvError::Unavailable("connection refused".into()))
    }
    async fn delete(&self, _: &str) -> Result<(), KvError> {
        Err(KvError::Unavailable("connection refused".into()))
    }
    async fn increment(&self, _: &str, _: i64, _: Option<u32>) -> Result<i64, KvError> {
        Err(KvError::Unavailable("connection refused".into()))
    }
    async fn compare_and_swap(
        &self,
        _: &str,
        _: Option<u64>,
        _: &[u8],
        _: Option<u32>,
    ) -> Result<bool, KvError> {
        Err(KvError::Unavailable("connection refused".into()))
    }
}

#[test]
fn store_unavailable_fails_open_by_default_and_closed_on_request() {
    let cfg = config();
    let alice = hdrs(&[("x-user-id", "alice"), ("x-team", "research")]);
    assert_eq!(Policy::default().on_unavailable, OnUnavailable::Allow);
    let rl = RateLimiter::new(&cfg.rate_limits, Policy::default());
    let r = admitted(ready(rl.reserve(&Down, T0, OPENAI, &alice, 10)).unwrap());
    assert_eq!(r.unchecked(), &[0, 2]);
    assert_eq!(r.keys().count(), 0);
    ready(r.settle(&Down, T0, &usage(1, 1))).unwrap();

    let rl = RateLimiter::new(
        &cfg.rate_limits,
        Policy::default().on_unavailable(OnUnavailable::Deny),
    );
    let e = ready(rl.reserve(&Down, T0, OPENAI, &alice, 10)).unwrap_err();
    assert_eq!(
        e,
        RateLimitError::StoreUnavailable {
            limit: 0,
            source: KvError::Unavailable("connection refused".into())
        }
    );
    assert!(e.is_retryable());
    let api = e.api_error();
    assert_eq!((api.kind, api.status), (ErrorKind::Overloaded, 503));
    assert!(!api.message.contains("connection refused"));
}

/// MemoryKv that fails every operation on keys of limit 2.
struct PartlyDown<'c>(MemoryKv<&'c ManualClock>);

impl PartlyDown<'_> {
    fn check(key: &str) -> Result<(), KvError> {
        if key.starts_with("rl:2:") {
            Err(KvError::Unavailable("shard down".into()))
        } else {
            Ok(())
        }
    }
}

impl Kv for PartlyDown<'_> {
    fn caps(&self) -> KvCaps {
        self.0.caps()
    }
    async fn get(&self, key: &str) -> Result<Option<Versioned>, KvError> {
        Self::check(key)?;
        self.0.get(key).await
    }
    async fn put(&self, key: &str, value: &[u8], ttl: Option<u32>) -> Result<(), KvError> {
        Self::check(key)?;
        self.0.put(key, value, ttl).await
    }
    async fn delete(&self, key: &str) -> Result<(), KvError> {
        Self::check(key)?;
        self.0.delete(key).await
    }
    async fn increment(&self, key: &str, d: i64, ttl: Option<u32>) -> Result<i64, KvError> {
        Self::check(key)?;
        self.0.increment(key, d, ttl).await
    }
    async fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &[u8],
        ttl: Option<u32>,
    ) -> Result<bool, KvError> {
        Self::check(key)?;
        self.0.compare_and_swap(key, expected, value, ttl).await
    }
}

#[test]
fn failing_closed_takes_back_what_was_reserved() {
    let cfg = config();
    let clock = ManualClock::new(T0);
    let kv = PartlyDown(MemoryKv::new(&clock));
    let both = hdrs(&[("x-user-id", "alice"), ("x-team", "research")]);
    let rl = RateLimiter::new(
        &cfg.rate_limits,
        Policy::default().on_unavailable(OnUnavailable::Deny),
    );
    let e = ready(rl.reserve(&kv, at(&clock, T0), OPENAI, &both, 10)).unwrap_err();
    assert!(matches!(
        e,
        RateLimitError::StoreUnavailable { limit: 2, .. }
    ));
    assert_eq!(count(&kv, ALICE_KEY).as_deref(), Some("0"));
    // Failing open keeps the checked limit and reports the other.
    let rl = RateLimiter::new(&cfg.rate_limits, Policy::default());
    let r = admitted(ready(rl.reserve(&kv, at(&clock, T0), OPENAI, &both, 10)).unwrap());
    assert_eq!(r.unchecked(), &[2]);
    assert_eq!(r.keys().collect::<Vec<_>>(), vec![ALICE_KEY]);
    assert_eq!(count(&kv, ALICE_KEY).as_deref(), Some("10"));
}

#[test]
fn a_corrupt_counter_is_treated_as_an_unavailable_store() {
    let cfg = config();
    let clock = ManualClock::new(T0);
    let kv = MemoryKv::new(&clock);
    ready(kv.put(ALICE_KEY, b"garbage", None)).unwrap();
    let alice = hdrs(&[("x-user-id", "alice")]);
    let rl = RateLimiter::new(
        &cfg.rate_limits,
        Policy::default().on_unavailable(OnUnavailable::Deny),
    );
    let e = ready(rl.reserve(&kv, at(&clock, T0), OPENAI, &alice, 10)).unwrap_err();
    assert!(matches!(
        e,
        RateLimitError::StoreUnavailable {
            limit: 0,
            source: KvError::Invalid { .. }
        }
    ));
}

/// A CAS store where every swap loses.
struct AlwaysConflicts<'c>(Hidden<'c>);

impl Kv for AlwaysConflicts<'_> {
    fn caps(&self) -> KvCaps {
        self.0.caps()
    }
    async fn get(&self, key: &str) -> Result<Option<Versioned>, KvError> {
        self.0.get(key).await
    }
    async fn put(&self, key: &str, value: &[u8], ttl: Option<u32>) -> Result<(), KvError> {
        self.0.put(key, value, ttl).await
    }
    async fn delete(&self, key: &str) -> Result<(), KvError> {
        self.0.delete(key).await
    }
    async fn increment(&self, key: &str, d: i64, ttl: Option<u32>) -> Result<i64, KvError> {
        self.0.increment(key, d, ttl).await
    }
    async fn compare_and_swap(
        &self,
        _: &str,
        _: Option<u64>,
        _: &[u8],
        _: Option<u32>,
    ) -> Result<bool, KvError> {
        Ok(false)
    }
}

#[test]
fn compare_and_swap_retries_are_bounded() {
    let cfg = config();
    let clock = ManualClock::new(T0);
    let kv = AlwaysConflicts(Hidden {
        inner: MemoryKv::new(&clock),
        caps: caps(false, true, true),
    });
    let alice = hdrs(&[("x-user-id", "alice")]);
    let rl = RateLimiter::new(
        &cfg.rate_limits,
        Policy::default()
            .on_unavailable(OnUnavailable::Deny)
            .cas_retries(3),
    );
    let e = ready(rl.reserve(&kv, at(&clock, T0), OPENAI, &alice, 10)).unwrap_err();
    assert_eq!(
        e,
        RateLimitError::Contention {
            limit: 0,
            attempts: 4
        }
    );
}

// Interleaving: a store whose reads return, then yield once, so two reservations can both
// read before either writes.

struct YieldOnce(bool);
impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            Poll::Pending
        }
    }
}

struct Interleaving<'c> {
    inner: Hidden<'c>,
    reads: Cell<u32>,
}

impl Kv for Interleaving<'_> {
    fn caps(&self) -> KvCaps {
        self.inner.caps()
    }
    async fn get(&self, key: &str) -> Result<Option<Versioned>, KvError> {
        let r = self.inner.get(key).await;
        self.reads.set(self.reads.get() + 1);
        YieldOnce(false).await;
        r
    }
    async fn put(&self, key: &str, value: &[u8], ttl: Option<u32>) -> Result<(), KvError> {
        self.inner.put(key, value, ttl).await
    }
    async fn delete(&self, key: &str) -> Result<(), KvError> {
        self.inner.delete(key).await
    }
    async fn increment(&self, key: &str, d: i64, ttl: Option<u32>) -> Result<i64, KvError> {
        let r = self.inner.increment(key, d, ttl).await;
        YieldOnce(false).await;
        r
    }
    async fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &[u8],
        ttl: Option<u32>,
    ) -> Result<bool, KvError> {
        self.inner.compare_and_swap(key, expected, value, ttl).await
    }
}

/// Polls both futures in turn until both finish: every store read of one is followed by
/// the other's next step.
fn race<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let mut cx = Context::from_waker(Waker::noop());
    let (mut a, mut b) = (Box::pin(a), Box::pin(b));
    let (mut ra, mut rb) = (None, None);
    for _ in 0..100 {
        if ra.is_none()
            && let Poll::Ready(v) = a.as_mut().poll(&mut cx)
        {
            ra = Some(v);
        }
        if rb.is_none()
            && let Poll::Ready(v) = b.as_mut().poll(&mut cx)
        {
            rb = Some(v);
        }
        if ra.is_some() && rb.is_some() {
            break;
        }
    }
    (ra.unwrap(), rb.unwrap())
}

#[test]
fn concurrent_reservations_per_capability() {
    let cfg = config();
    let alice = hdrs(&[("x-user-id", "alice")]);
    // Fixed windows: the only read is the counter's own (sliding adds the previous window's).
    let rl = RateLimiter::new(
        &cfg.rate_limits,
        Policy::default().window(WindowMode::Fixed),
    );
    let outcome = |c: KvCaps| {
        let clock = ManualClock::new(T0);
        let kv = Interleaving {
            inner: Hidden {
                inner: MemoryKv::new(&clock),
                caps: c,
            },
            reads: Cell::new(0),
        };
        let (a, b) = race(
            rl.reserve(&kv, at(&clock, T0), OPENAI, &alice, 60),
            rl.reserve(&kv, at(&clock, T0), OPENAI, &alice, 60),
        );
        let admitted = [a.unwrap(), b.unwrap()]
            .iter()
            .filter(|d| matches!(d, Decision::Admitted(_)))
            .count();
        (
            admitted,
            count(&kv.inner, ALICE_KEY).unwrap(),
            kv.reads.get(),
        )
    };
    // Atomic increment: exact; the second sees 120 and takes its 60 back.
    assert_eq!(outcome(caps(true, true, true)), (1, "60".to_owned(), 0));
    // Compare-and-swap: the second swap loses, re-reads 60 and refuses.
    assert_eq!(outcome(caps(false, true, true)), (1, "60".to_owned(), 3));
    // Best effort: both read 0, both admitted, one write lost (documented over-admission).
    assert_eq!(outcome(caps(false, false, true)), (2, "60".to_owned(), 2));
}
