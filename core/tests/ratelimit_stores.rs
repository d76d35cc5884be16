//! Token rate limits over test stores that hide capabilities, fail, conflict or interleave.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    async_fn_in_trait
)]

mod ratelimit_support;

use ratelimit_support::*;

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
        ready(release_below_zero_reads_zero(&kv, &rl, &alice)).unwrap();
    }
}

/// With 10 tokens counted, reserves 10, loses part of the count (evicted, overwritten by a
/// best-effort neighbour), then releases: read-modify-write counters clamp at zero, increment
/// counters may dip below and read as zero.
async fn release_below_zero_reads_zero(
    kv: &impl Kv,
    rl: &RateLimiter<'_>,
    h: &Vec<(String, String)>,
) -> Result<(), RateLimitError> {
    let Decision::Admitted(r) = rl.reserve(kv, T0, OPENAI, h, 10).await? else {
        panic!("admitted")
    };
    let v = kv.get(ALICE_KEY).await.unwrap().unwrap().value;
    let lost = String::from_utf8(v).unwrap().replacen("20", "5", 1);
    kv.put(ALICE_KEY, lost.as_bytes(), Some(120)).await.unwrap();
    r.release(kv, T0).await?;
    let v = kv.get(ALICE_KEY).await.unwrap().unwrap().value;
    let text = String::from_utf8(v).unwrap();
    let n: i64 = text.split('@').next().unwrap().parse().unwrap();
    let expected = if kv.caps().atomic_increment { -5 } else { 0 };
    assert_eq!(n, expected, "{:?}", kv.caps());
    // Either way the next request sees a full budget.
    let Decision::Admitted(r) = rl.reserve(kv, T0, OPENAI, h, 100).await? else {
        panic!("full budget")
    };
    r.release(kv, T0).await
}

/// A store that is down: every operation fails.
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

/// Deterministic xorshift, so the sequence is the same on every run and target.
struct Rng(u64);
impl Rng {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

type Spent = std::collections::BTreeMap<(u64, u64), u64>;

/// Whether `estimate` fits user's budget at `now`, in the model of the documented algorithm.
fn fits_at(spent: &Spent, mode: WindowMode, user: u64, now: u64, estimate: u64) -> bool {
    let window = now / 60_000;
    let current = spent.get(&(user, window)).copied().unwrap_or(0);
    let carried = match mode {
        WindowMode::Fixed => 0,
        _ => {
            let prev = spent.get(&(user, window - 1)).copied().unwrap_or(0);
            let left = (window + 1) * 60_000 - now;
            (prev * left).div_ceil(60_000)
        }
    };
    current + carried + estimate.max(1) <= 100
}

#[test]
fn sequential_traffic_follows_the_model_on_every_store() {
    let cfg = config();
    for mode in [WindowMode::Fixed, WindowMode::Sliding] {
        let rl = RateLimiter::new(&cfg.rate_limits, Policy::default().window(mode));
        let mut runs = Vec::new();
        for c in [
            caps(true, true, true),
            caps(false, true, true),
            caps(false, false, true),
            caps(false, false, false),
        ] {
            let clock = ManualClock::new(T0);
            let kv = Hidden {
                inner: MemoryKv::new(&clock),
                caps: c,
            };
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
            let mut now = T0;
            let mut decisions = Vec::new();
            // Tokens admitted per (user, minute window), with estimates never settled.
            let mut spent = Spent::new();
            for _ in 0..600 {
                now += rng.next(2_000);
                let user = rng.next(3);
                let estimate = rng.next(61);
                let h = hdrs(&[("x-user-id", &format!("user{user}"))]);
                let d = ready(rl.reserve(&kv, at(&clock, now), OPENAI, &h, estimate)).unwrap();
                let window = now / 60_000;
                // The model the limiter must follow exactly on a sequential store.
                let current = spent.get(&(user, window)).copied().unwrap_or(0);
                let carried = match mode {
                    WindowMode::Fixed => 0,
                    _ => {
                        let prev = spent.get(&(user, window - 1)).copied().unwrap_or(0);
                        let left = (window + 1) * 60_000 - now;
                        (prev * left).div_ceil(60_000)
                    }
                };
                let fits = fits_at(&spent, mode, user, now, estimate);
                match d {
                    Decision::Admitted(r) => {
                        assert!(
                            fits,
                            "{c:?} {mode:?} at {now}: {current}+{carried}+{estimate}"
                        );
                        // Half the requests fail before using tokens.
                        if rng.next(2) == 0 {
                            ready(r.release(&kv, now)).unwrap();
                        } else {
                            *spent.entry((user, window)).or_default() += estimate;
                        }
                        decisions.push((now, user, estimate, true));
                    }
                    Decision::Limited(l) => {
                        assert!(
                            !fits,
                            "{c:?} {mode:?} at {now}: {current}+{carried}+{estimate}"
                        );
                        assert_eq!(l.status.remaining, 100u64.saturating_sub(current + carried));
                        // `retry-after` is exact to the second, with no other traffic.
                        let ra = l.retry_after_secs.unwrap();
                        assert!((1..=120).contains(&ra));
                        assert!(fits_at(&spent, mode, user, now + ra * 1000, estimate));
                        if ra > 1 {
                            let early = now + (ra - 1) * 1000;
                            assert!(!fits_at(&spent, mode, user, early, estimate), "{mode:?}");
                        }
                        decisions.push((now, user, estimate, false));
                    }
                }
            }
            for ((user, window), tokens) in &spent {
                assert!(
                    *tokens <= 100,
                    "{c:?} {mode:?}: user{user} window {window}: {tokens}"
                );
            }
            let admitted = decisions.iter().filter(|d| d.3).count();
            assert!(
                admitted > 100 && admitted < 600,
                "{c:?} {mode:?}: {admitted}"
            );
            runs.push(decisions);
        }
        assert!(
            runs.windows(2).all(|w| w[0] == w[1]),
            "{mode:?}: stores disagree"
        );
    }
}

/// Records the TTL of every write.
struct Ttls<'c> {
    inner: Hidden<'c>,
    seen: std::cell::RefCell<Vec<Option<u32>>>,
}

impl Kv for Ttls<'_> {
    fn caps(&self) -> KvCaps {
        self.inner.caps()
    }
    async fn get(&self, key: &str) -> Result<Option<Versioned>, KvError> {
        self.inner.get(key).await
    }
    async fn put(&self, key: &str, value: &[u8], ttl: Option<u32>) -> Result<(), KvError> {
        self.seen.borrow_mut().push(ttl);
        self.inner.put(key, value, ttl).await
    }
    async fn delete(&self, key: &str) -> Result<(), KvError> {
        self.inner.delete(key).await
    }
    async fn increment(&self, key: &str, d: i64, ttl: Option<u32>) -> Result<i64, KvError> {
        self.seen.borrow_mut().push(ttl);
        self.inner.increment(key, d, ttl).await
    }
    async fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &[u8],
        ttl: Option<u32>,
    ) -> Result<bool, KvError> {
        self.seen.borrow_mut().push(ttl);
        self.inner.compare_and_swap(key, expected, value, ttl).await
    }
}

#[test]
fn ttls_cover_the_next_window_and_respect_the_store_minimum() {
    let cfg = config();
    let rl = RateLimiter::new(&cfg.rate_limits, Policy::default());
    let burst = hdrs(&[("x-burst", "b1")]);
    let user = hdrs(&[("x-user-id", "alice")]);
    for (min_ttl, burst_ttl) in [(1, 2), (60, 60)] {
        let clock = ManualClock::new(T0);
        let kv = Ttls {
            inner: Hidden {
                inner: MemoryKv::new(&clock),
                caps: KvCaps {
                    min_ttl_secs: min_ttl,
                    ..caps(true, true, true)
                },
            },
            seen: Default::default(),
        };
        // 250 ms into a second: kept until the end of the next one, 1.75 s, rounded up.
        let r = admitted(ready(rl.reserve(&kv, at(&clock, T0 + 250), CLAUDE, &burst, 4)).unwrap());
        assert_eq!(
            r.keys().collect::<Vec<_>>(),
            vec!["rl:4:claude-3-5-haiku-latest:x-burst:*=b1:s:1795132800"]
        );
        // 15 s into a minute: until the end of the next minute, 105 s.
        let _ =
            admitted(ready(rl.reserve(&kv, at(&clock, T0 + 15_000), OPENAI, &user, 4)).unwrap());
        assert_eq!(
            *kv.seen.borrow(),
            vec![Some(burst_ttl), Some(105)],
            "min {min_ttl}"
        );
    }
}

#[test]
fn per_second_limits_roll_over_each_second() {
    let cfg = config();
    let clock = ManualClock::new(T0);
    let kv = MemoryKv::new(&clock);
    let rl = RateLimiter::new(&cfg.rate_limits, Policy::default());
    let burst = hdrs(&[("x-burst", "b1")]);
    let _ = admitted(ready(rl.reserve(&kv, at(&clock, T0), CLAUDE, &burst, 10)).unwrap());
    let l = limited(ready(rl.reserve(&kv, at(&clock, T0 + 999), CLAUDE, &burst, 1)).unwrap());
    assert_eq!(l.status.id.unit, plano_core::config::TimeUnit::Second);
    assert_eq!(
        l.headers()[3],
        ("x-ratelimit-reset-tokens", "1ms".to_owned())
    );
    // Sliding: at 1.5 s half of the previous second still counts.
    let l = limited(ready(rl.reserve(&kv, at(&clock, T0 + 1_500), CLAUDE, &burst, 6)).unwrap());
    assert_eq!(l.status.remaining, 5);
    assert_eq!(l.retry_after_secs, Some(1));
    let _ = admitted(ready(rl.reserve(&kv, at(&clock, T0 + 1_500), CLAUDE, &burst, 5)).unwrap());
    let _ = admitted(ready(rl.reserve(&kv, at(&clock, T0 + 3_000), CLAUDE, &burst, 10)).unwrap());
}
