//! What a host needs to answer: the 429 for a refused request, and the rate-limit headers
//! on every response.

use std::fmt::Write as _;

use hermesllm::ir::{ApiError, ErrorKind};

use crate::config::TimeUnit;

/// `x-ratelimit-limit-tokens`: the limit's tokens per window.
pub const HEADER_LIMIT: &str = "x-ratelimit-limit-tokens";
/// `x-ratelimit-remaining-tokens`: tokens left in the window.
pub const HEADER_REMAINING: &str = "x-ratelimit-remaining-tokens";
/// `x-ratelimit-reset-tokens`: time until the window resets, as OpenAI writes it (`6m0s`,
/// `1.5s`, `250ms`).
pub const HEADER_RESET: &str = "x-ratelimit-reset-tokens";
/// `retry-after`: whole seconds (only on a 429 that a retry can pass).
pub const HEADER_RETRY_AFTER: &str = "retry-after";

/// Which configured limit, and which budget of it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LimitId {
    /// Position in [`Config::rate_limits`](crate::config::Config::rate_limits).
    pub index: usize,
    /// The model the limit was written for.
    pub model: String,
    /// The selector header (lowercase).
    pub header: String,
    /// The header value counted: the configured value, or the request's for `*`.
    /// `<redacted>` for credential headers (`authorization`, `x-api-key`, ...).
    pub value: String,
    /// Whether the limit is `*` (one budget per value).
    pub each: bool,
    /// The window.
    pub unit: TimeUnit,
}

/// The state of one limit's budget as of a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateStatus {
    /// Which limit.
    pub id: LimitId,
    /// Tokens per window.
    pub limit: u64,
    /// Tokens left (after this request's reservation, when admitted).
    pub remaining: u64,
    /// When the current window ends, Unix ms.
    pub reset_at_ms: u64,
}

impl RateStatus {
    /// The three `x-ratelimit-*-tokens` headers, with the reset relative to `now_ms`.
    pub fn headers(&self, now_ms: u64) -> Vec<(&'static str, String)> {
        vec![
            (HEADER_LIMIT, self.limit.to_string()),
            (HEADER_REMAINING, self.remaining.to_string()),
            (
                HEADER_RESET,
                format_duration_ms(self.reset_at_ms.saturating_sub(now_ms)),
            ),
        ]
    }
}

/// A refused request: everything the host needs for the 429.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limited {
    /// The limit that refused it, with its budget at the time.
    pub status: RateStatus,
    /// The tokens the request asked to reserve (its input estimate).
    pub requested: u64,
    /// `true` when the estimate alone exceeds the limit's whole window: no retry can pass.
    pub never_fits: bool,
    /// Seconds until a retry of the same request may pass (at least 1), assuming no other
    /// traffic; `None` when [`Limited::never_fits`].
    pub retry_after_secs: Option<u64>,
    /// When the decision was made, Unix ms.
    pub now_ms: u64,
}

impl Limited {
    /// The HTTP status to answer with: 429.
    pub const STATUS: u16 = 429;

    /// Response headers: `retry-after` (unless [`Limited::never_fits`]) and the three
    /// `x-ratelimit-*-tokens` headers.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::with_capacity(4);
        if let Some(secs) = self.retry_after_secs {
            out.push((HEADER_RETRY_AFTER, secs.to_string()));
        }
        out.extend(self.status.headers(self.now_ms));
        out
    }

    /// The message for the client.
    pub fn message(&self) -> String {
        let s = &self.status;
        let id = &s.id;
        let per = unit_name(id.unit);
        let scope = format!(
            "model `{}` (header `{}`: `{}`)",
            id.model, id.header, id.value
        );
        if self.never_fits {
            format!(
                "This request needs an estimated {} tokens, more than the whole token rate limit \
                 of {} tokens per {per} for {scope}: it can never be admitted under this limit. \
                 Shorten the request.",
                self.requested, s.limit
            )
        } else {
            let mut m = format!(
                "Token rate limit of {} tokens per {per} exceeded for {scope}: {} tokens remaining, \
                 this request needs an estimated {}.",
                s.limit, s.remaining, self.requested
            );
            if let Some(secs) = self.retry_after_secs {
                let _ = write!(m, " Retry after {secs} seconds.");
            }
            m
        }
    }

    /// The error to render in the client's API shape ([`ErrorKind::RateLimit`], status 429).
    pub fn api_error(&self) -> ApiError<'static> {
        ApiError::new(ErrorKind::RateLimit, self.message())
    }
}

fn unit_name(unit: TimeUnit) -> &'static str {
    match unit {
        TimeUnit::Second => "second",
        TimeUnit::Minute => "minute",
        TimeUnit::Hour => "hour",
        TimeUnit::Day => "day",
    }
}

/// Formats a duration as OpenAI's rate-limit headers do (Go's duration syntax, millisecond
/// precision): `0s`, `250ms`, `1.5s`, `6m0s`, `1h2m3.25s`.
pub fn format_duration_ms(ms: u64) -> String {
    if ms == 0 {
        return "0s".to_owned();
    }
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let hours = ms / 3_600_000;
    let minutes = (ms / 60_000) % 60;
    let secs = (ms / 1000) % 60;
    let frac = ms % 1000;
    let mut out = String::new();
    if hours > 0 {
        let _ = write!(out, "{hours}h");
    }
    if hours > 0 || minutes > 0 {
        let _ = write!(out, "{minutes}m");
    }
    let _ = write!(out, "{secs}");
    if frac > 0 {
        let digits = format!("{frac:03}");
        let _ = write!(out, ".{}", digits.trim_end_matches('0'));
    }
    out.push('s');
    out
}

#[cfg(test)]
mod tests {
    use super::format_duration_ms as f;

    #[test]
    fn durations_as_openai_writes_them() {
        assert_eq!(f(0), "0s");
        assert_eq!(f(250), "250ms");
        assert_eq!(f(1_000), "1s");
        assert_eq!(f(1_500), "1.5s");
        assert_eq!(f(360_000), "6m0s");
        assert_eq!(f(3_723_250), "1h2m3.25s");
        assert_eq!(f(86_400_000), "24h0m0s");
    }
}
