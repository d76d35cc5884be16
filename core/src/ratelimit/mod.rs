//! Token rate limits (Plano's `ratelimits`), over any [`Kv`](crate::kv::Kv) store.
//!
//! A limit caps the tokens (input plus output) that requests to some providers may use per
//! window, counted per value of a request header: one value (`value: alice`) or each value
//! separately (`value: "*"`). See [`RateLimiter`] for the call contract:
//! **estimate → reserve → settle** with the real usage, or **release** when the request
//! failed before using tokens.
//!
//! # Choices, and why
//!
//! - **Matching.** Limits are matched by the *resolved provider name* and header names
//!   case-insensitively ([`applicable`]). Plano keys its limiters by model but looks them up
//!   by provider, so a limit written for a model can silently never apply; it also panics on
//!   a zero budget, which the config loader here rejects.
//! - **Reserve, then settle.** Plano checks only the input estimate. Here the estimate is
//!   reserved before the upstream call (so concurrent requests see each other) and replaced
//!   by the provider's reported input plus output when the response ends, so long answers
//!   count.
//! - **Windows.** Counters per fixed window aligned to the epoch, with a sliding estimate by
//!   default ([`WindowMode::Sliding`]): the previous window's count weighs on the current one
//!   in proportion to the time it still overlaps, which prevents the 2x burst at window
//!   edges of plain fixed windows for one extra read. The tokens of an admitted request stay
//!   in the window it was admitted in, settlement included.
//! - **Store capabilities.** Atomic increments give exact counters; compare-and-swap gives
//!   exact counters with bounded retries; a store with neither gets best-effort
//!   read-then-write, which can over-admit under concurrency (details in the `store` module
//!   docs). Stores without native TTL get the expiry written into the value. Eventually
//!   consistent stores (Workers KV, some Spin backends) let instances in different places
//!   admit on stale counts: limits there are approximate by the store's propagation delay.
//! - **Store failures.** [`OnUnavailable::Allow`] (fail open) is the default: a state-store
//!   outage should not take the LLM traffic down with it, and the skipped limits are listed
//!   in [`Reservation::unchecked`] for alerting. Deployments where the budget protects money
//!   more than availability choose [`OnUnavailable::Deny`] (503).
//! - **Keys.** `rl:<index>:<model>:<header>:<selector>:<unit>:<window>`, for example
//!   `rl:0:openai/gpt-4o-mini:x-user-id:*=alice:m:29918880`: the limit's position and
//!   definition (two limits never share a counter; editing the config starts fresh budgets),
//!   `=value` for a one-value limit or `*=value` for the request's value under `*`, the unit
//!   (`s`, `m`, `h`, `d`) and the window number (`now_ms / window_ms`, aligned to the epoch,
//!   days at 00:00 UTC, so every instance agrees). Parts are percent-encoded outside
//!   `A-Za-z0-9._/-`. Values over 64 bytes and all values of credential headers
//!   (`authorization`, `x-api-key`, `cookie`, ...) become `#` and a 64-bit FNV-1a hash in 16
//!   hex digits, so keys stay short and credentials never reach the store (such values are
//!   also `<redacted>` in denials).
//! - **Impossible requests.** An estimate larger than a limit's whole window can never pass;
//!   the denial says so ([`Limited::never_fits`]) and carries no `retry-after`.

mod denial;
mod error;
mod key;
mod limiter;
mod select;
mod store;

pub use denial::{
    HEADER_LIMIT, HEADER_REMAINING, HEADER_RESET, HEADER_RETRY_AFTER, LimitId, Limited, RateStatus,
    format_duration_ms,
};
pub use error::RateLimitError;
pub use limiter::{Decision, RateLimiter, Reservation};
pub use select::{Applicable, Headers, applicable};

/// What [`RateLimiter::reserve`] does when the state store fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OnUnavailable {
    /// Fail open: admit, skip the limit, list it in [`Reservation::unchecked`]. The default.
    #[default]
    Allow,
    /// Fail closed: refuse with [`RateLimitError`] (the host answers 503).
    Deny,
}

/// How a window's budget is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum WindowMode {
    /// Fixed windows plus the overlapping share of the previous window (one extra read per
    /// limit). The default.
    #[default]
    Sliding,
    /// Plain fixed windows: the budget refills fully at each window start, so up to twice the
    /// limit can pass around a window edge.
    Fixed,
}

/// How a [`RateLimiter`] behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Policy {
    /// On store failure. Default: [`OnUnavailable::Allow`].
    pub on_unavailable: OnUnavailable,
    /// Window counting. Default: [`WindowMode::Sliding`].
    pub window: WindowMode,
    /// Compare-and-swap retries after the first attempt (stores without atomic increment).
    /// Default: 8.
    pub cas_retries: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            on_unavailable: OnUnavailable::Allow,
            window: WindowMode::Sliding,
            cas_retries: 8,
        }
    }
}

impl Policy {
    /// The default policy with another store-failure behaviour.
    pub fn on_unavailable(mut self, on_unavailable: OnUnavailable) -> Self {
        self.on_unavailable = on_unavailable;
        self
    }

    /// The default policy with another window mode.
    pub fn window(mut self, window: WindowMode) -> Self {
        self.window = window;
        self
    }

    /// The default policy with another retry bound.
    pub fn cas_retries(mut self, cas_retries: u32) -> Self {
        self.cas_retries = cas_retries;
        self
    }
}
