//! [`ExchangeRecord`]: what an exchange did, for the host to log and export.

use hermesllm::ir::Usage;
use hermesllm::stream::StreamSummary;
use hermesllm::{Api, Losses};

use crate::error::ExchangeError;
use crate::ratelimit::RateLimitError;
use crate::state::{SaveError, Saved};
use crate::telemetry::{Attribute, Timing};

/// One upstream attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AttemptRecord {
    /// The provider's configured name.
    pub provider: String,
    /// The model id sent.
    pub upstream_model: String,
    /// The API spoken upstream.
    pub api: Api,
    /// When the request was handed to the host, Unix ms.
    pub start_ms: u64,
    /// When the attempt ended (failure, body or stream end); `None` if it never did.
    pub end_ms: Option<u64>,
    /// The response status, when a head arrived.
    pub status: Option<u16>,
    /// [`ExchangeError::code`] of the attempt's failure.
    pub error: Option<&'static str>,
}

/// What an exchange did: returned by [`Exchange::finish`](super::Exchange::finish).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ExchangeRecord {
    /// The client's API.
    pub client_api: Api,
    /// The status the client got.
    pub status: u16,
    /// Every upstream attempt, in order.
    pub attempts: Vec<AttemptRecord>,
    /// The error the exchange ended with, when it is an [`ExchangeError`]: invalid or
    /// oversized body, unknown model, missing client credential, upstream failures, internal
    /// errors. Refusals stated by other modules (unknown route, unknown stored response, rate
    /// limit) show only in `status`.
    pub error: Option<ExchangeError>,
    /// OpenTelemetry GenAI span attributes ([`crate::telemetry::span_attributes`]); empty
    /// when no LLM request was decoded.
    pub attributes: Vec<Attribute>,
    /// The config's custom span attributes ([`crate::telemetry::custom_attributes`]:
    /// `tracing.static_attributes` and the request headers matching
    /// `tracing.header_prefixes`, credentials never), string-valued, to set on the same
    /// span as `attributes`. Kept apart because their keys are not static.
    pub custom_attributes: Vec<(String, String)>,
    /// Durations.
    pub timing: Timing,
    /// What the request and response translations could not carry.
    pub losses: Losses,
    /// The stream summary, for streamed responses.
    pub summary: Option<StreamSummary>,
    /// The usage the provider reported.
    pub usage: Option<Usage>,
    /// What saving the Responses turn did, when one was saved.
    pub state: Option<Result<Saved, SaveError>>,
    /// Settling or releasing the rate-limit reservation failed (log it).
    pub rate_limit_error: Option<RateLimitError>,
    /// The preference-routing decision, when the request was routed.
    pub routing: Option<crate::routing::Decision>,
}
