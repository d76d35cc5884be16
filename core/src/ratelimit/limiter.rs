//! Reserve, settle, release.

use hermesllm::ir::Usage;

use crate::config::{RateLimit, SelectorValue};
use crate::kv::{Kv, KvCaps};

use super::denial::{LimitId, Limited, RateStatus};
use super::error::RateLimitError;
use super::key::{Window, budget_prefix, is_sensitive, window_key};
use super::select::{Applicable, Headers, applicable};
use super::store::{self, Added, Counter, Method, StoreFail};
use super::{OnUnavailable, Policy, WindowMode};

/// The token rate limits of one config, checked against a store.
///
/// # Call contract
///
/// 1. When the request's provider is resolved, estimate its input tokens
///    ([`crate::tokens::estimate_request`]) and call [`RateLimiter::reserve`].
/// 2. On [`Decision::Limited`], answer 429 with [`Limited::headers`] and
///    [`Limited::api_error`] rendered in the client's API; nothing was reserved.
/// 3. On [`Decision::Admitted`], keep the [`Reservation`] with the exchange and add
///    [`Reservation::headers`] to the response head.
/// 4. When the response completes with usage, call [`Reservation::settle`]. When the request
///    fails before the provider used any tokens (connection refused, upstream 4xx/5xx before
///    generation), call [`Reservation::release`]. Dropping a reservation without either keeps
///    the estimate charged (right for a stream cut off without usage).
#[derive(Debug, Clone)]
pub struct RateLimiter<'c> {
    limits: &'c [RateLimit],
    policy: Policy,
}

/// The outcome of [`RateLimiter::reserve`].
#[derive(Debug)]
#[must_use = "answer a Limited decision with a 429; settle or release an admitted one"]
pub enum Decision {
    /// Within every applicable limit (or not checked, see [`Reservation::unchecked`]).
    Admitted(Reservation),
    /// Refused by a limit.
    Limited(Limited),
}

/// Tokens held for an admitted request until it is settled or released.
///
/// Not `Clone`: settling or releasing consumes it, so a reservation is adjusted at most once.
#[derive(Debug)]
#[must_use = "settle or release the reservation when the request ends (dropping keeps the estimate charged)"]
pub struct Reservation {
    estimate: u64,
    entries: Vec<Entry>,
    unchecked: Vec<usize>,
    retries: u32,
}

#[derive(Debug)]
struct Entry {
    key: String,
    window: Window,
    status: RateStatus,
}

/// One limit's outcome inside [`RateLimiter::reserve`].
enum One {
    Reserved(Entry),
    Full(Box<Limited>),
}

impl<'c> RateLimiter<'c> {
    /// Limits from [`Config::rate_limits`](crate::config::Config::rate_limits) (indexes in
    /// keys and errors refer to positions in this slice).
    pub fn new(limits: &'c [RateLimit], policy: Policy) -> Self {
        RateLimiter { limits, policy }
    }

    /// The limits that apply to a request to `provider` (see [`applicable`]).
    pub fn applicable(
        &self,
        provider: &str,
        headers: &(impl Headers + ?Sized),
    ) -> Vec<Applicable<'c>> {
        applicable(self.limits, provider, headers)
    }

    /// Reserves `estimate` tokens in every limit that applies to a request to `provider`
    /// (the resolved provider name) with `headers`, at `now_ms` (Unix ms).
    ///
    /// `estimate` is usually the input estimate ([`crate::tokens::estimate_request`]), as in
    /// Plano; adding the request's `max_output_tokens` reserves for the worst case and refuses
    /// earlier, at the cost of refusing requests that would have fitted.
    ///
    /// Limits are checked in config order; the first that cannot fit the estimate refuses
    /// the request and the reservations already made are taken back. A request whose
    /// estimate exceeds a limit's whole window is refused before touching the store, with
    /// [`Limited::never_fits`]. An estimate of zero is checked as one token (a request is
    /// refused once the budget is spent) and reserves nothing.
    ///
    /// # Errors
    /// [`RateLimitError`] when the store fails and the policy is [`OnUnavailable::Deny`]
    /// (the host answers 503 with [`RateLimitError::api_error`]). With
    /// [`OnUnavailable::Allow`] the limit is skipped and listed in
    /// [`Reservation::unchecked`].
    pub async fn reserve(
        &self,
        kv: &impl Kv,
        now_ms: u64,
        provider: &str,
        headers: &(impl Headers + ?Sized),
        estimate: u64,
    ) -> Result<Decision, RateLimitError> {
        let applied = self.applicable(provider, headers);
        for a in &applied {
            if estimate > a.limit.tokens.get() {
                return Ok(Decision::Limited(
                    self.never_fits(kv, a, now_ms, estimate).await,
                ));
            }
        }
        let caps = kv.caps();
        let mut reservation = Reservation {
            estimate,
            entries: Vec::with_capacity(applied.len()),
            unchecked: Vec::new(),
            retries: self.policy.cas_retries,
        };
        for a in &applied {
            match self.reserve_one(kv, caps, a, now_ms, estimate).await {
                Ok(One::Reserved(entry)) => reservation.entries.push(entry),
                Ok(One::Full(limited)) => {
                    // Taking back is best effort: a failure over-counts until the window ends.
                    let _ = reservation.release(kv, now_ms).await;
                    return Ok(Decision::Limited(*limited));
                }
                Err(fail) => match self.policy.on_unavailable {
                    OnUnavailable::Allow => reservation.unchecked.push(a.index),
                    OnUnavailable::Deny => {
                        let _ = reservation.release(kv, now_ms).await;
                        return Err(to_error(a.index, fail));
                    }
                },
            }
        }
        Ok(Decision::Admitted(reservation))
    }

    async fn reserve_one(
        &self,
        kv: &impl Kv,
        caps: KvCaps,
        a: &Applicable<'_>,
        now_ms: u64,
        estimate: u64,
    ) -> Result<One, StoreFail> {
        let limit = a.limit.tokens.get();
        let window = Window::at(now_ms, a.limit.unit);
        let prefix = budget_prefix(a);
        let (prev, carried) = self.carried(kv, &prefix, window, now_ms).await?;
        let key = window_key(&prefix, window.index);
        let counter = counter(&key, caps, window, now_ms, self.policy.cas_retries);
        let status = |used: u64| RateStatus {
            id: limit_id(a),
            limit,
            remaining: limit.saturating_sub(used),
            reset_at_ms: window.end_ms(),
        };
        match store::try_add(kv, counter, estimate, carried, limit).await? {
            Added::Yes { count_after } => Ok(One::Reserved(Entry {
                key,
                window,
                status: status(count_after.saturating_add(carried)),
            })),
            Added::Full { count } => {
                let wait = match self.policy.window {
                    WindowMode::Fixed => window.end_ms().saturating_sub(now_ms),
                    WindowMode::Sliding => {
                        sliding_wait_ms(window, now_ms, limit, count, prev, estimate)
                    }
                };
                Ok(One::Full(Box::new(Limited {
                    status: status(count.saturating_add(carried)),
                    requested: estimate,
                    never_fits: false,
                    retry_after_secs: Some(wait.div_ceil(1000).max(1)),
                    now_ms,
                })))
            }
        }
    }

    /// The previous window's count and the part of it still weighing on the current one.
    ///
    /// Sliding mode approximates a true sliding window by assuming the previous window's
    /// tokens were spread evenly: at a fraction `f` into the current window, `(1 - f)` of the
    /// previous count still counts. Without it, a client could spend the whole budget at the
    /// end of one window and again at the start of the next (twice the limit within a few
    /// seconds). It costs one extra read per limit.
    async fn carried(
        &self,
        kv: &impl Kv,
        prefix: &str,
        window: Window,
        now_ms: u64,
    ) -> Result<(u64, u64), StoreFail> {
        if self.policy.window == WindowMode::Fixed || window.index == 0 {
            return Ok((0, 0));
        }
        let prev_key = window_key(prefix, window.index.saturating_sub(1));
        let prev = store::read(kv, &prev_key, now_ms).await?;
        let left = window.end_ms().saturating_sub(now_ms);
        // Rounded up: a fraction of a token still counts (and `retry-after` agrees exactly).
        let carried =
            (u128::from(prev) * u128::from(left)).div_ceil(u128::from(window.len_ms.max(1)));
        Ok((prev, u64::try_from(carried).unwrap_or(u64::MAX)))
    }

    async fn never_fits(
        &self,
        kv: &impl Kv,
        a: &Applicable<'_>,
        now_ms: u64,
        estimate: u64,
    ) -> Limited {
        let limit = a.limit.tokens.get();
        let window = Window::at(now_ms, a.limit.unit);
        let prefix = budget_prefix(a);
        // Only for the `remaining` header: a store failure reports the full limit.
        let used = match self.carried(kv, &prefix, window, now_ms).await {
            Ok((_, carried)) => store::read(kv, &window_key(&prefix, window.index), now_ms)
                .await
                .map_or(0, |c| c.saturating_add(carried)),
            Err(_) => 0,
        };
        Limited {
            status: RateStatus {
                id: limit_id(a),
                limit,
                remaining: limit.saturating_sub(used),
                reset_at_ms: window.end_ms(),
            },
            requested: estimate,
            never_fits: true,
            retry_after_secs: None,
            now_ms,
        }
    }
}

impl Reservation {
    /// The tokens reserved in each limit.
    pub fn estimate(&self) -> u64 {
        self.estimate
    }

    /// The budgets this request was counted in, in config order, as of the reservation.
    pub fn statuses(&self) -> impl Iterator<Item = &RateStatus> {
        self.entries.iter().map(|e| &e.status)
    }

    /// Indexes of applicable limits that were not checked because the store failed and the
    /// policy is [`OnUnavailable::Allow`] (for the host's logs and metrics).
    pub fn unchecked(&self) -> &[usize] {
        &self.unchecked
    }

    /// The counter keys holding this reservation, in config order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.key.as_str())
    }

    /// The `x-ratelimit-*-tokens` headers for the response: those of the budget with the
    /// fewest tokens remaining (the first in config order on ties); none when no limit
    /// applied.
    pub fn headers(&self, now_ms: u64) -> Vec<(&'static str, String)> {
        self.statuses()
            .min_by_key(|s| s.remaining)
            .map(|s| s.headers(now_ms))
            .unwrap_or_default()
    }

    /// Replaces the estimate with the real usage: `usage.input_tokens + usage.output_tokens`
    /// ([`Usage::total_tokens`]). That includes cached input tokens (cache reads and writes
    /// are part of `input_tokens`: a provider's cache discount is billing, not throughput)
    /// and reasoning tokens (part of `output_tokens`). Each counter moves by
    /// `total - estimate`, up or down.
    ///
    /// The tokens stay charged to the window of the reservation. When that window is older
    /// than the previous one (a per-second limit and a long stream), nothing is written:
    /// that counter no longer affects any decision.
    ///
    /// # Errors
    /// [`RateLimitError`] when the store fails; every counter is still attempted, and the
    /// first error is returned. Nothing for the host to do but log it.
    pub async fn settle(
        self,
        kv: &impl Kv,
        now_ms: u64,
        usage: &Usage,
    ) -> Result<(), RateLimitError> {
        let total = usage.total_tokens();
        let delta = to_i64(total).saturating_sub(to_i64(self.estimate));
        self.adjust_all(kv, now_ms, delta).await
    }

    /// Takes the reservation back: for a request that failed before the provider used any
    /// tokens.
    ///
    /// # Errors
    /// As [`Reservation::settle`].
    pub async fn release(self, kv: &impl Kv, now_ms: u64) -> Result<(), RateLimitError> {
        self.adjust_all(kv, now_ms, to_i64(self.estimate).saturating_neg())
            .await
    }

    async fn adjust_all(
        &self,
        kv: &impl Kv,
        now_ms: u64,
        delta: i64,
    ) -> Result<(), RateLimitError> {
        let caps = kv.caps();
        let mut first_error = None;
        for e in &self.entries {
            let current = now_ms / e.window.len_ms.max(1);
            if current > e.window.index.saturating_add(1) {
                continue;
            }
            let c = counter(&e.key, caps, e.window, now_ms, self.retries);
            if let Err(fail) = store::adjust(kv, c, delta).await {
                first_error.get_or_insert(to_error(e.status.id.index, fail));
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

fn counter<'k>(
    key: &'k str,
    caps: KvCaps,
    window: Window,
    now_ms: u64,
    retries: u32,
) -> Counter<'k> {
    let expires_at_ms = window.expires_at_ms();
    let ttl_ms = expires_at_ms.saturating_sub(now_ms);
    let ttl_secs = u32::try_from(ttl_ms.div_ceil(1000))
        .unwrap_or(u32::MAX)
        .max(caps.min_ttl_secs)
        .max(1);
    Counter {
        key,
        method: Method::for_caps(caps),
        native_ttl: caps.native_ttl,
        ttl_secs,
        expires_at_ms,
        now_ms,
        retries,
    }
}

/// How long until `estimate` fits under the sliding estimate, assuming no other traffic.
fn sliding_wait_ms(
    window: Window,
    now_ms: u64,
    limit: u64,
    count: u64,
    prev: u64,
    estimate: u64,
) -> u64 {
    let need = u128::from(estimate.max(1));
    let (limit, count, prev) = (u128::from(limit), u128::from(count), u128::from(prev));
    let len = u128::from(window.len_ms);
    let elapsed = u128::from(now_ms.saturating_sub(window.start_ms));
    let to_end = len.saturating_sub(elapsed);
    let wait = if count + need <= limit {
        // Only the previous window's tail is in the way: wait until enough of it has decayed.
        let allowed = limit - count - need;
        let keep = (allowed * len)
            .checked_div(prev)
            .map_or(len, |k| k.min(len));
        (len - keep).saturating_sub(elapsed)
    } else {
        // This window's own count is in the way: wait into the next window until the
        // decaying share of this one leaves room.
        let keep = (limit.saturating_sub(need) * len)
            .checked_div(count)
            .map_or(len, |k| k.min(len));
        to_end + (len - keep)
    };
    u64::try_from(wait).unwrap_or(u64::MAX)
}

fn limit_id(a: &Applicable<'_>) -> LimitId {
    let l = a.limit;
    LimitId {
        index: a.index,
        model: l.model.clone(),
        header: l.header.clone(),
        value: if is_sensitive(&l.header) {
            "<redacted>".to_owned()
        } else {
            a.value.clone()
        },
        each: matches!(l.value, SelectorValue::Each),
        unit: l.unit,
    }
}

fn to_error(limit: usize, fail: StoreFail) -> RateLimitError {
    match fail {
        StoreFail::Kv(source) => RateLimitError::StoreUnavailable { limit, source },
        StoreFail::Contention { attempts } => RateLimitError::Contention { limit, attempts },
    }
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
