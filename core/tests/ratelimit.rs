//! Token rate limits over MemoryKv with a ManualClock: selectors, keys, windows, settle and
//! release, denials.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    async_fn_in_trait
)]

mod ratelimit_support;

use ratelimit_support::*;

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
    // Arrays and slices of borrowed pairs work too.
    assert_eq!(
        rl.applicable(OPENAI, &[("X-User-Id", "carol")])[0].value,
        "carol"
    );
    let pairs: &[(&str, &str)] = &[("x-user-id", "")];
    assert_eq!(
        rl.applicable(OPENAI, pairs)[0].value,
        "",
        "an empty value is a value"
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
    let r2 = admitted(ready(rl.reserve(&kv, at(&clock, T0), OPENAI, &alice, 10)).unwrap());
    // In the next window the counter still weighs: settled.
    ready(r.settle(&kv, at(&clock, T0 + 61_000), &usage(20, 0))).unwrap();
    assert_eq!(count(&kv, ALICE_KEY).as_deref(), Some("30"));
    // Two windows later it is gone and not recreated.
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
