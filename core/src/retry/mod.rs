//! Retry and fallback decisions, as pure functions.
//!
//! After a failed upstream attempt the host asks [`decide`] what to do next: retry the same
//! provider after a pause, fall back to the next candidate now, or give up and answer the
//! client. The host supplies everything that varies: the time (`now_ms`), the randomness
//! (`jitter` in `[0, 1)`), how many attempts were made and whether any byte has reached the
//! client.
//!
//! # Rules
//!
//! 1. Once any byte has reached the client, never retry: the client would see two answers.
//! 2. What the failure allows ([`RetryType`]):
//!    - connect errors and connect timeouts, 408, 429, 500, 502, 503, 504, 529 and other
//!      5xx are [`RetryType::Transient`]: retry the same provider while attempts remain, then
//!      fall back;
//!    - response and idle timeouts, undecodable responses ([`crate::error`]), 401, 402, 403,
//!      404, 501 and 505 are [`RetryType::OtherUpstream`]: fall back, never retry the same
//!      provider (its credentials, model or API are the problem, or it already cost a whole
//!      timeout);
//!    - every other status (400, 409, 413, 422, ...) and every gateway-side failure is
//!      [`RetryType::Never`]: the request itself is at fault and would fail anywhere.
//! 3. The pause before a same-provider retry is exponential backoff with full jitter:
//!    `jitter * min(max_backoff_ms, base_backoff_ms * 2^(attempt - 1))`.
//! 4. A `retry-after` (seconds or HTTP-date) replaces the backoff. It is capped by the
//!    policy: when the upstream asks for longer than `max_retry_after_ms` the gateway does
//!    not wait at all but falls back (or gives up), since retrying early would only meet
//!    the same refusal.

mod http_date;

use crate::error::{ExchangeError, RetryType, UpstreamError};

pub use http_date::parse_http_date;

/// How persistent to be. The defaults keep the added latency of a failing provider under a
/// few seconds before falling back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts on one candidate, the first included (default 2: one retry).
    pub max_attempts: u32,
    /// Backoff ceiling of the first retry, in ms (default 250).
    pub base_backoff_ms: u64,
    /// Largest backoff ceiling, in ms (default 4 000).
    pub max_backoff_ms: u64,
    /// Longest `retry-after` the gateway waits for, in ms (default 10 000); longer requests
    /// move on to the next candidate.
    pub max_retry_after_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 2,
            base_backoff_ms: 250,
            max_backoff_ms: 4_000,
            max_retry_after_ms: 10_000,
        }
    }
}

/// What went wrong with one upstream attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure<'a> {
    /// No connection (DNS, refused, reset before the request was sent, TLS).
    Connect,
    /// No connection within the connect timeout.
    ConnectTimeout,
    /// Connected and sent, but no response head within the request timeout.
    ResponseTimeout,
    /// The response went silent longer than the idle timeout.
    IdleTimeout,
    /// The response could not be decoded.
    InvalidResponse,
    /// An error status.
    Status {
        /// The HTTP status.
        status: u16,
        /// The raw `retry-after` header value, if any.
        retry_after: Option<&'a str>,
    },
    /// A failure that no other attempt can fix (client mistake, gateway failure).
    Fatal,
}

impl Failure<'_> {
    /// The failure an [`ExchangeError`] describes; `retry_after` is the upstream's raw
    /// `retry-after` header (the error keeps it only parsed).
    pub fn of<'a>(err: &ExchangeError, retry_after: Option<&'a str>) -> Failure<'a> {
        match err {
            ExchangeError::Upstream(e) => match e {
                UpstreamError::Status { status, .. } => Failure::Status {
                    status: *status,
                    retry_after,
                },
                UpstreamError::Connect { .. } => Failure::Connect,
                UpstreamError::ConnectTimeout { .. } => Failure::ConnectTimeout,
                UpstreamError::Timeout { .. } => Failure::ResponseTimeout,
                UpstreamError::IdleTimeout { .. } => Failure::IdleTimeout,
                UpstreamError::InvalidResponse(_) => Failure::InvalidResponse,
            },
            _ => Failure::Fatal,
        }
    }

    /// What this failure allows.
    pub fn retry_type(&self) -> RetryType {
        match self {
            Failure::Connect | Failure::ConnectTimeout => RetryType::Transient,
            Failure::ResponseTimeout | Failure::IdleTimeout | Failure::InvalidResponse => {
                RetryType::OtherUpstream
            }
            Failure::Status { status, .. } => status_retry_type(*status),
            Failure::Fatal => RetryType::Never,
        }
    }
}

/// What a status allows (see the [module rules](self)).
pub fn status_retry_type(status: u16) -> RetryType {
    match status {
        401..=404 | 501 | 505 => RetryType::OtherUpstream,
        408 | 429 | 500..=599 => RetryType::Transient,
        _ => RetryType::Never,
    }
}

/// The state of the exchange when an attempt failed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Attempt {
    /// Attempts made on the current candidate so far, the failed one included (1 after the
    /// first failure).
    pub attempt: u32,
    /// Whether any response byte has been sent to the client.
    pub client_bytes_sent: bool,
    /// Whether another candidate is left to fall back to.
    pub has_fallback: bool,
    /// Unix ms now, for `retry-after` dates.
    pub now_ms: u64,
    /// A random number in `[0, 1)` from the host (values outside are clamped; NaN is 0).
    pub jitter: f64,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Retry the same candidate after this many ms.
    RetryAfter(u64),
    /// Try the next candidate now.
    Fallback,
    /// Answer the client with the failure.
    GiveUp(GiveUpReason),
}

/// Why [`decide`] gave up (for logs and metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GiveUpReason {
    /// Bytes already reached the client.
    ClientBytesSent,
    /// The failure would repeat anywhere.
    NotRetryable,
    /// Attempts on this candidate are used up and no candidate is left.
    Exhausted,
    /// The upstream asked to wait longer than the policy allows and no candidate is left.
    RetryAfterTooLong,
}

/// Decides what to do after a failed attempt (see the [module rules](self)).
pub fn decide(failure: &Failure<'_>, at: &Attempt, policy: &RetryPolicy) -> Decision {
    if at.client_bytes_sent {
        return Decision::GiveUp(GiveUpReason::ClientBytesSent);
    }
    let next_or = |reason| {
        if at.has_fallback {
            Decision::Fallback
        } else {
            Decision::GiveUp(reason)
        }
    };
    match failure.retry_type() {
        RetryType::Never => Decision::GiveUp(GiveUpReason::NotRetryable),
        RetryType::OtherUpstream => next_or(GiveUpReason::Exhausted),
        RetryType::Transient => {
            if at.attempt >= policy.max_attempts {
                return next_or(GiveUpReason::Exhausted);
            }
            let asked = match failure {
                Failure::Status {
                    retry_after: Some(v),
                    ..
                } => parse_retry_after(v, at.now_ms),
                _ => None,
            };
            match asked {
                Some(ms) if ms > policy.max_retry_after_ms => {
                    next_or(GiveUpReason::RetryAfterTooLong)
                }
                Some(ms) => Decision::RetryAfter(ms),
                None => Decision::RetryAfter(backoff_ms(at.attempt, at.jitter, policy)),
            }
        }
    }
}

/// Full-jitter exponential backoff after `attempt` failed attempts:
/// `jitter * min(max_backoff_ms, base_backoff_ms * 2^(attempt - 1))`, rounded down.
pub fn backoff_ms(attempt: u32, jitter: f64, policy: &RetryPolicy) -> u64 {
    let doublings = attempt.saturating_sub(1).min(63);
    let ceiling = policy
        .base_backoff_ms
        .saturating_mul(1u64 << doublings)
        .min(policy.max_backoff_ms);
    let jitter = if jitter.is_nan() {
        0.0
    } else {
        jitter.clamp(0.0, 1.0)
    };
    // Casts: `ceiling` fits an f64 closely enough for a delay; the product is in
    // [0, ceiling], so the cast back cannot overflow.
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
    let ms = (ceiling as f64 * jitter).floor() as u64;
    ms.min(ceiling)
}

/// Parses a `retry-after` value into ms from `now_ms`: delay-seconds (`120`) or an
/// HTTP-date (`Wed, 21 Oct 2015 07:28:00 GMT`, also the obsolete RFC 850 and asctime
/// forms). A date in the past is 0. `None` when unreadable.
pub fn parse_retry_after(value: &str, now_ms: u64) -> Option<u64> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Overlong digit strings saturate rather than fail: they mean "very long".
        let secs = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(secs.saturating_mul(1000));
    }
    parse_http_date(value).map(|at| at.saturating_sub(now_ms))
}
