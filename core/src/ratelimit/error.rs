//! Rate-limit errors.

use hermesllm::ir::{ApiError, ErrorKind};

use crate::kv::KvError;

/// Why a rate-limit operation could not be carried out. Always the gateway's side (its state
/// store), never the client's; retrying later may succeed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RateLimitError {
    /// The state store failed while checking or updating limit `limit` (its index in the
    /// config). On [`RateLimiter::reserve`](super::RateLimiter::reserve) this is only
    /// returned with [`OnUnavailable::Deny`](super::OnUnavailable::Deny).
    #[error("token rate limit {limit} could not be checked: {source}")]
    StoreUnavailable {
        /// Index of the limit in the config.
        limit: usize,
        /// The store's error.
        source: KvError,
    },
    /// Compare-and-swap kept losing to concurrent writers.
    #[error("token rate limit {limit}: state store contention after {attempts} attempts")]
    Contention {
        /// Index of the limit in the config.
        limit: usize,
        /// Attempts made.
        attempts: u32,
    },
}

impl RateLimitError {
    /// Whether retrying later may succeed: always (store outages and contention pass).
    pub fn is_retryable(&self) -> bool {
        true
    }

    /// The error to render for the client when the gateway fails closed: 503, retryable, no
    /// store details.
    pub fn api_error(&self) -> ApiError<'static> {
        ApiError::new(
            ErrorKind::Overloaded,
            "The gateway could not check token rate limits; retry later.",
        )
    }
}
