//! The response and the error.

use crate::Raw;

use super::{Block, Usage};
use crate::{Api, Str};

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason<'a> {
    /// Natural end (OpenAI `stop`, Anthropic `end_turn`, Gemini `STOP`).
    EndTurn,
    /// Output token limit (OpenAI `length`, Anthropic/Bedrock `max_tokens`, Gemini
    /// `MAX_TOKENS`, Responses `incomplete: max_output_tokens`).
    MaxTokens,
    /// A stop sequence matched (OpenAI reports it as `stop`).
    StopSequence,
    /// The model called tools (OpenAI `tool_calls`, `tool_use`; Gemini reports `STOP` with
    /// function calls, which its decoder maps here).
    ToolUse,
    /// Content was filtered (OpenAI `content_filter`, Bedrock `content_filtered` and
    /// `guardrail_intervened`, Gemini `SAFETY`, `RECITATION`, `BLOCKLIST`,
    /// `PROHIBITED_CONTENT`, `SPII`, ...).
    ContentFilter,
    /// The model refused (Anthropic `refusal`).
    Refusal,
    /// A long-running turn paused (Anthropic `pause_turn`).
    PauseTurn,
    /// The context window is full (Anthropic/Bedrock `model_context_window_exceeded`).
    ContextWindowExceeded,
    /// Any other reason, spelled as the source API spells it.
    Other(Str<'a>),
}

/// One generated alternative (APIs without `n` have exactly one).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Choice<'a> {
    /// The assistant's output blocks: text, refusals, tool calls, thinking.
    pub content: Vec<Block<'a>>,
    /// Why it stopped.
    pub stop_reason: Option<StopReason<'a>>,
    /// The stop sequence that matched (Anthropic `stop_sequence`).
    pub stop_sequence: Option<Str<'a>>,
    /// Log probabilities, raw as the source API returned them.
    pub logprobs: Option<Raw<'a>>,
}

impl Choice<'_> {
    /// Its text blocks, concatenated (tool calls, thinking and refusals left out): what a
    /// gateway reads from a classifier or router model's answer.
    pub fn text(&self) -> String {
        self.content
            .iter()
            .filter_map(|b| match b {
                Block::Text { text } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// A non-streaming response in the internal model.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Response<'a> {
    /// Provider response id (`chatcmpl-...`, `msg_...`, `resp_...`; Gemini `responseId`;
    /// Bedrock has none: encoders for APIs that require an id synthesize one from the
    /// request context).
    pub id: Str<'a>,
    /// The model that answered.
    pub model: Str<'a>,
    /// Creation time, Unix seconds (OpenAI `created`).
    pub created: Option<u64>,
    /// The choices; the first is the one single-choice APIs carry.
    pub choices: Vec<Choice<'a>>,
    /// Token usage.
    pub usage: Option<Usage>,
    /// OpenAI `system_fingerprint`.
    pub system_fingerprint: Option<Str<'a>>,
    /// OpenAI `service_tier`.
    pub service_tier: Option<Str<'a>>,
    /// Responses API: the id of the response this one continues.
    pub previous_response_id: Option<Str<'a>>,
    /// Fields of the source API that the IR does not model (see
    /// [`Extra`](super::Extra)).
    pub extra: super::Extra<'a>,
}

/// Who is at fault for an error and what the client should do, independent of API spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request is malformed or invalid (400).
    InvalidRequest,
    /// Missing or bad credentials (401).
    Authentication,
    /// Credentials lack permission (403).
    PermissionDenied,
    /// Unknown model, route or resource (404).
    NotFound,
    /// The request body is too large (413).
    RequestTooLarge,
    /// Unprocessable (422; Bedrock `ModelErrorException` is 424 and maps to [`ErrorKind::Server`]).
    Unprocessable,
    /// Rate limited (429).
    RateLimit,
    /// The upstream is overloaded (Anthropic 529, Bedrock `ServiceUnavailableException` 503).
    Overloaded,
    /// The upstream timed out (504, Bedrock `ModelTimeoutException` 408).
    Timeout,
    /// Server error (500 and other 5xx).
    Server,
}

impl ErrorKind {
    /// The HTTP status a gateway answers with for this kind.
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::InvalidRequest => 400,
            ErrorKind::Authentication => 401,
            ErrorKind::PermissionDenied => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::RequestTooLarge => 413,
            ErrorKind::Unprocessable => 422,
            ErrorKind::RateLimit => 429,
            ErrorKind::Overloaded => 503,
            ErrorKind::Timeout => 504,
            ErrorKind::Server => 500,
        }
    }

    /// The kind for an HTTP status, when the body says nothing more specific.
    pub fn from_status(status: u16) -> Self {
        match status {
            401 => ErrorKind::Authentication,
            403 => ErrorKind::PermissionDenied,
            404 => ErrorKind::NotFound,
            408 | 504 => ErrorKind::Timeout,
            413 => ErrorKind::RequestTooLarge,
            422 => ErrorKind::Unprocessable,
            429 => ErrorKind::RateLimit,
            503 | 529 => ErrorKind::Overloaded,
            400..=499 => ErrorKind::InvalidRequest, // 400 and the rest of 4xx
            _ => ErrorKind::Server,
        }
    }

    /// Whether retrying the same request later may succeed.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::RateLimit | ErrorKind::Overloaded | ErrorKind::Timeout | ErrorKind::Server
        )
    }
}

/// An API error in the internal model: what every API's error body decodes to and encodes
/// from.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError<'a> {
    /// The HTTP status (kept from the upstream when translating its error).
    pub status: u16,
    /// What kind of error.
    pub kind: ErrorKind,
    /// Human-readable message.
    pub message: Str<'a>,
    /// The source API's own type/code string (OpenAI `code`, Anthropic `error.type`, Bedrock
    /// exception name, Gemini `status`), kept for same-API rendering and for logs.
    pub code: Option<Str<'a>>,
    /// The offending parameter (OpenAI `param`).
    pub param: Option<Str<'a>>,
    /// The API whose body this was decoded from (`None`: made by the gateway).
    pub origin: Option<Api>,
}

impl<'a> ApiError<'a> {
    /// An error made by the gateway itself.
    pub fn new(kind: ErrorKind, message: impl Into<Str<'a>>) -> Self {
        ApiError {
            status: kind.status(),
            kind,
            message: message.into(),
            code: None,
            param: None,
            origin: None,
        }
    }
}
