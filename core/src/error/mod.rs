//! The gateway's one error type for an exchange.
//!
//! [`ExchangeError`] says what went wrong, split by who is at fault ([`Fault`], after
//! Pingora's `ErrorSource`): the client's request ([`RequestError`]), the upstream provider
//! ([`UpstreamError`]) or the gateway itself ([`GatewayError`]). Each error also says whether
//! another attempt may succeed ([`RetryType`], after Pingora's `RetryType`), and renders into
//! an HTTP response in the client's own API shape ([`ExchangeError::render`]).
//!
//! Rules the rendering keeps:
//! - a client mistake is never answered with a 5xx;
//! - an upstream error body is translated into the client's API with the upstream status
//!   kept;
//! - no message carries a credential: the gateway's own messages never include one, and every
//!   rendered body goes through [`redact_secrets`], which masks key-shaped tokens an upstream
//!   may echo (`sk-...`, `AKIA...`, `AIza...`, `Bearer ...`).

mod redact;
mod render;

use hermesllm::ir::ErrorKind;
use hermesllm::{Api, DecodeError, EncodeError};

use crate::kv::KvError;

pub use redact::redact_secrets;
pub use render::ErrorResponse;

/// Who is at fault for an error (Pingora's `ErrorSource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The client sent something the gateway cannot serve (4xx).
    Client,
    /// The upstream provider failed or refused.
    Upstream,
    /// The gateway (its configuration, state store or code) failed.
    Gateway,
}

/// Whether another attempt may succeed (Pingora's `RetryType`). The decision of *when* and
/// *where* belongs to [`crate::retry`]; this is what the error alone says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetryType {
    /// The same request will fail again anywhere: do not retry.
    Never,
    /// Transient: the same upstream (after a pause) or another candidate may succeed.
    Transient,
    /// This upstream cannot serve the request (its credentials, model or API refused it), but
    /// another candidate may.
    OtherUpstream,
}

/// Everything that can end an exchange with an error response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExchangeError {
    /// The client's request is at fault.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// The upstream failed or refused.
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    /// The gateway failed.
    #[error(transparent)]
    Gateway(#[from] GatewayError),
}

/// The client's request cannot be served (always a 4xx, never retried by the gateway).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The body is larger than `gateway.body_limit` (413).
    #[error("request body exceeds the limit of {limit} bytes")]
    BodyTooLarge {
        /// The configured limit in bytes.
        limit: u64,
    },
    /// The body is not valid JSON or not a valid request of the client's API (400).
    #[error(transparent)]
    InvalidBody(DecodeError),
    /// The chosen upstream API cannot express the request (400).
    #[error(transparent)]
    Unsupported(EncodeError),
    /// No configured provider or alias serves the requested model (404).
    #[error("model '{model}' is not configured on this gateway")]
    UnknownModel {
        /// The model as the client named it.
        model: String,
    },
    /// Credentials the route requires are missing (401). Only the header's name is kept,
    /// never a value.
    #[error("missing credentials: the {header} header is required")]
    MissingCredentials {
        /// The header that should carry them (`authorization`, `x-api-key`, ...).
        header: &'static str,
    },
    /// A rate limit is exhausted (429, with `retry-after`).
    #[error("rate limit exceeded for model '{model}'; retry after {retry_after_ms} ms")]
    RateLimited {
        /// The model (or alias) whose limit applies.
        model: String,
        /// When the window resets, in milliseconds from now.
        retry_after_ms: u64,
    },
}

/// The upstream failed or refused. `Debug` shows an error body's length, never its bytes:
/// a provider may echo the request's credentials in it.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UpstreamError {
    /// The upstream answered with an error status; its body is translated for the client and
    /// its status kept.
    #[error("upstream {api} returned HTTP {status}")]
    Status {
        /// The API the upstream speaks (the shape of `body`).
        api: Api,
        /// The upstream status (4xx or 5xx).
        status: u16,
        /// The upstream error body as received.
        body: Vec<u8>,
        /// The upstream's `retry-after`, parsed with [`crate::retry::parse_retry_after`].
        retry_after_ms: Option<u64>,
    },
    /// The connection could not be made (DNS, refused, TLS) (502).
    #[error("could not connect to the upstream: {}", redact_secrets(.reason))]
    Connect {
        /// What the host's HTTP client said (must not contain credentials).
        reason: String,
    },
    /// The connection was not made within `gateway.timeouts.connect` (504).
    #[error("connecting to the upstream timed out after {after_ms} ms")]
    ConnectTimeout {
        /// The timeout that expired.
        after_ms: u64,
    },
    /// The upstream did not answer within `gateway.timeouts.request` (504).
    #[error("the upstream did not respond within {after_ms} ms")]
    Timeout {
        /// The timeout that expired.
        after_ms: u64,
    },
    /// A streaming response went silent longer than `gateway.timeouts.idle` (504).
    #[error("the upstream stream was idle for {after_ms} ms")]
    IdleTimeout {
        /// The timeout that expired.
        after_ms: u64,
    },
    /// The upstream's success response could not be decoded (502).
    #[error("the upstream sent an invalid response: {0}")]
    InvalidResponse(DecodeError),
}

impl std::fmt::Debug for UpstreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UpstreamError::Status {
                api,
                status,
                body,
                retry_after_ms,
            } => f
                .debug_struct("Status")
                .field("api", api)
                .field("status", status)
                .field("body_bytes", &body.len())
                .field("retry_after_ms", retry_after_ms)
                .finish(),
            UpstreamError::Connect { reason } => f
                .debug_struct("Connect")
                .field("reason", &redact_secrets(reason))
                .finish(),
            UpstreamError::ConnectTimeout { after_ms } => f
                .debug_struct("ConnectTimeout")
                .field("after_ms", after_ms)
                .finish(),
            UpstreamError::Timeout { after_ms } => f
                .debug_struct("Timeout")
                .field("after_ms", after_ms)
                .finish(),
            UpstreamError::IdleTimeout { after_ms } => f
                .debug_struct("IdleTimeout")
                .field("after_ms", after_ms)
                .finish(),
            UpstreamError::InvalidResponse(e) => f.debug_tuple("InvalidResponse").field(e).finish(),
        }
    }
}

/// The gateway failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GatewayError {
    /// The state store (rate-limit counters, conversation state) failed (503).
    #[error("{}", redact_secrets(&.0.to_string()))]
    StateStore(#[from] KvError),
    /// A bug or an impossible state (500). The message is for logs and the client.
    #[error("internal error: {}", redact_secrets(.0))]
    Internal(String),
}

impl ExchangeError {
    /// Who is at fault.
    ///
    /// Upstream statuses are judged by what they mean: 400, 404, 413 and 422 refuse the
    /// client's request; 401, 402 and 403 refuse the gateway's configured credentials; the
    /// rest (408, 429, 5xx) are the upstream's.
    pub fn fault(&self) -> Fault {
        match self {
            ExchangeError::Request(_) => Fault::Client,
            ExchangeError::Upstream(UpstreamError::Status { status, .. }) => match status {
                400 | 404 | 413 | 422 => Fault::Client,
                401..=403 => Fault::Gateway,
                _ => Fault::Upstream,
            },
            ExchangeError::Upstream(_) => Fault::Upstream,
            ExchangeError::Gateway(_) => Fault::Gateway,
        }
    }

    /// Whether another attempt may succeed (see [`crate::retry::decide`] for the full
    /// decision, which also weighs attempts, bytes sent and `retry-after`).
    pub fn retry_type(&self) -> RetryType {
        match self {
            ExchangeError::Request(_) | ExchangeError::Gateway(GatewayError::Internal(_)) => {
                RetryType::Never
            }
            // A failing store fails every upstream alike.
            ExchangeError::Gateway(GatewayError::StateStore(_)) => RetryType::Never,
            ExchangeError::Upstream(UpstreamError::Status { status, .. }) => {
                crate::retry::status_retry_type(*status)
            }
            ExchangeError::Upstream(
                UpstreamError::Connect { .. } | UpstreamError::ConnectTimeout { .. },
            ) => RetryType::Transient,
            // Waiting a whole timeout again on the same upstream is rarely worth it.
            ExchangeError::Upstream(
                UpstreamError::Timeout { .. }
                | UpstreamError::IdleTimeout { .. }
                | UpstreamError::InvalidResponse(_),
            ) => RetryType::OtherUpstream,
        }
    }

    /// The API-neutral kind the client sees (for upstream statuses: what the upstream body
    /// says, decoded with hermesllm).
    pub fn kind(&self) -> ErrorKind {
        match self {
            ExchangeError::Request(e) => match e {
                RequestError::BodyTooLarge { .. } => ErrorKind::RequestTooLarge,
                RequestError::InvalidBody(_) | RequestError::Unsupported(_) => {
                    ErrorKind::InvalidRequest
                }
                RequestError::UnknownModel { .. } => ErrorKind::NotFound,
                RequestError::MissingCredentials { .. } => ErrorKind::Authentication,
                RequestError::RateLimited { .. } => ErrorKind::RateLimit,
            },
            ExchangeError::Upstream(e) => match e {
                UpstreamError::Status {
                    api, status, body, ..
                } => hermesllm::translate::decode_error(*api, *status, body).kind,
                UpstreamError::Connect { .. } | UpstreamError::InvalidResponse(_) => {
                    ErrorKind::Server
                }
                UpstreamError::ConnectTimeout { .. }
                | UpstreamError::Timeout { .. }
                | UpstreamError::IdleTimeout { .. } => ErrorKind::Timeout,
            },
            ExchangeError::Gateway(GatewayError::StateStore(_)) => ErrorKind::Overloaded,
            ExchangeError::Gateway(_) => ErrorKind::Server,
        }
    }

    /// The HTTP status of the response: the upstream's for [`UpstreamError::Status`], else
    /// fixed per variant (see each variant).
    pub fn status(&self) -> u16 {
        match self {
            // A "failure" status outside 4xx/5xx is the host's mistake; it is not passed on.
            ExchangeError::Upstream(UpstreamError::Status { status, .. }) => {
                if (400..=599).contains(status) {
                    *status
                } else {
                    502
                }
            }
            ExchangeError::Upstream(
                UpstreamError::Connect { .. } | UpstreamError::InvalidResponse(_),
            ) => 502,
            other => other.kind().status(),
        }
    }

    /// How long the client should wait before trying again, when known.
    pub fn retry_after_ms(&self) -> Option<u64> {
        match self {
            ExchangeError::Request(RequestError::RateLimited { retry_after_ms, .. }) => {
                Some(*retry_after_ms)
            }
            ExchangeError::Upstream(UpstreamError::Status { retry_after_ms, .. }) => {
                *retry_after_ms
            }
            _ => None,
        }
    }

    /// A stable, low-cardinality name for logs and the OpenTelemetry `error.type` attribute:
    /// the upstream status code for [`UpstreamError::Status`] (`"429"`), else the variant
    /// (`"body_too_large"`, `"upstream_timeout"`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            ExchangeError::Request(e) => match e {
                RequestError::BodyTooLarge { .. } => "body_too_large",
                RequestError::InvalidBody(_) => "invalid_request",
                RequestError::Unsupported(_) => "unsupported_request",
                RequestError::UnknownModel { .. } => "unknown_model",
                RequestError::MissingCredentials { .. } => "missing_credentials",
                RequestError::RateLimited { .. } => "rate_limited",
            },
            ExchangeError::Upstream(e) => match e {
                UpstreamError::Status { status, .. } => status_code_str(*status),
                UpstreamError::Connect { .. } => "upstream_connect",
                UpstreamError::ConnectTimeout { .. } => "upstream_connect_timeout",
                UpstreamError::Timeout { .. } => "upstream_timeout",
                UpstreamError::IdleTimeout { .. } => "upstream_idle_timeout",
                UpstreamError::InvalidResponse(_) => "upstream_invalid_response",
            },
            ExchangeError::Gateway(e) => match e {
                GatewayError::StateStore(_) => "state_store",
                GatewayError::Internal(_) => "internal",
            },
        }
    }
}

/// The status as a static string: the common ones by number, the rest by class (the
/// attribute must stay low-cardinality).
fn status_code_str(status: u16) -> &'static str {
    const NAMED: [(u16, &str); 17] = [
        (400, "400"),
        (401, "401"),
        (402, "402"),
        (403, "403"),
        (404, "404"),
        (408, "408"),
        (409, "409"),
        (413, "413"),
        (422, "422"),
        (424, "424"),
        (429, "429"),
        (500, "500"),
        (501, "501"),
        (502, "502"),
        (503, "503"),
        (504, "504"),
        (529, "529"),
    ];
    if let Some((_, name)) = NAMED.iter().find(|(s, _)| *s == status) {
        return name;
    }
    match status {
        400..=499 => "upstream_4xx",
        500..=599 => "upstream_5xx",
        _ => "upstream_status",
    }
}
