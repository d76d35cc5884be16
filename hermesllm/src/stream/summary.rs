//! [`StreamSummary`]: what telemetry and rate limits need to know about a stream, updated as
//! its events pass.

use crate::ir::{ApiError, Delta, StopReason, StreamEvent, Usage};

/// Per-stream telemetry, kept by a [`Transcoder`](super::Transcoder) as events pass. Times
/// are the `now_ms` values the caller passed in (milliseconds on the caller's clock).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct StreamSummary {
    /// The model that answered, as the stream's start names it (OpenAI `model`, Anthropic
    /// `message.model`, Gemini `modelVersion`); `None` when the stream names none (Bedrock).
    pub model: Option<String>,
    /// The upstream's response id, as the stream's start names it; `None` when it names none.
    pub response_id: Option<String>,
    /// `now_ms` of the first upstream bytes.
    pub first_byte_ms: Option<u64>,
    /// `now_ms` of the first generated content: a text, refusal, tool-call or thinking
    /// delta, or the start of a tool call. Time to first token is this minus the request's
    /// start.
    pub first_token_ms: Option<u64>,
    /// Bytes (UTF-8) of text and refusal deltas.
    pub output_text_bytes: u64,
    /// The usage reported (merged field by field; the last report is final).
    pub usage: Option<Usage>,
    /// Why the model stopped, as last reported.
    pub stop_reason: Option<StopReason<'static>>,
    /// Tool calls started.
    pub tool_calls: u32,
    /// Upstream frames seen: dispatched SSE events (comments and empty blocks aside) or
    /// eventstream messages.
    pub frames: u64,
    /// The stream reached its proper end (OpenAI `[DONE]`, Anthropic `message_stop`, ...).
    pub completed: bool,
    /// The error the stream ended with: an upstream error event, a malformed or oversized
    /// frame, or a stream cut short.
    pub error: Option<ApiError<'static>>,
}

impl StreamSummary {
    /// Whether the stream ended in error (see the `error` field).
    pub fn ended_in_error(&self) -> bool {
        self.error.is_some()
    }

    /// Time to first token given the request's start on the same clock.
    pub fn time_to_first_token_ms(&self, request_start_ms: u64) -> Option<u64> {
        self.first_token_ms
            .map(|t| t.saturating_sub(request_start_ms))
    }

    /// Updates the summary with one internal event.
    pub fn observe(&mut self, event: &StreamEvent<'_>, now_ms: u64) {
        match event {
            StreamEvent::Start {
                id, model, usage, ..
            } => {
                self.start(id, model);
                if let Some(u) = usage {
                    self.add_usage(u);
                }
            }
            StreamEvent::BlockStart { block, .. } => {
                if matches!(block, crate::ir::BlockStart::ToolCall { .. }) {
                    self.tool_call(now_ms);
                }
            }
            StreamEvent::Delta { delta, .. } => match delta {
                Delta::Text(t) => self.text(t.len(), now_ms),
                Delta::ToolArguments(_) | Delta::Thinking(_) => self.token(now_ms),
                Delta::Signature(_) => {}
            },
            StreamEvent::BlockStop { .. } => {}
            StreamEvent::Stop { reason, .. } => {
                if let Some(r) = reason {
                    self.stop_reason = Some(owned_stop_reason(r));
                }
            }
            StreamEvent::Usage(u) => self.add_usage(u),
            StreamEvent::Error(e) => self.record_error(e),
            StreamEvent::Done => self.completed = true,
        }
    }

    /// Records the model and response id of the stream's start (the first non-empty ones).
    pub(crate) fn start(&mut self, id: &str, model: &str) {
        if self.response_id.is_none() && !id.is_empty() {
            self.response_id = Some(id.to_owned());
        }
        if self.model.is_none() && !model.is_empty() {
            self.model = Some(model.to_owned());
        }
    }

    pub(crate) fn token(&mut self, now_ms: u64) {
        if self.first_token_ms.is_none() {
            self.first_token_ms = Some(now_ms);
        }
    }

    pub(crate) fn text(&mut self, bytes: usize, now_ms: u64) {
        if bytes > 0 {
            self.output_text_bytes = self.output_text_bytes.saturating_add(bytes as u64);
            self.token(now_ms);
        }
    }

    pub(crate) fn tool_call(&mut self, now_ms: u64) {
        self.tool_calls = self.tool_calls.saturating_add(1);
        self.token(now_ms);
    }

    pub(crate) fn add_usage(&mut self, u: &Usage) {
        match &mut self.usage {
            Some(have) => have.merge_max(u),
            None => self.usage = Some(*u),
        }
    }

    pub(crate) fn record_error(&mut self, e: &ApiError<'_>) {
        if self.error.is_none() {
            self.error = Some(owned_error(e));
        }
    }
}

/// Detaches a stop reason from its buffer.
pub(crate) fn owned_stop_reason(r: &StopReason<'_>) -> StopReason<'static> {
    match r {
        StopReason::EndTurn => StopReason::EndTurn,
        StopReason::MaxTokens => StopReason::MaxTokens,
        StopReason::StopSequence => StopReason::StopSequence,
        StopReason::ToolUse => StopReason::ToolUse,
        StopReason::ContentFilter => StopReason::ContentFilter,
        StopReason::Refusal => StopReason::Refusal,
        StopReason::PauseTurn => StopReason::PauseTurn,
        StopReason::ContextWindowExceeded => StopReason::ContextWindowExceeded,
        StopReason::Other(s) => StopReason::Other(s.clone().into_owned()),
    }
}

/// Detaches an error from its buffer.
pub(crate) fn owned_error(e: &ApiError<'_>) -> ApiError<'static> {
    let ApiError {
        status,
        kind,
        message,
        code,
        param,
        origin,
    } = e;
    ApiError {
        status: *status,
        kind: *kind,
        message: message.clone().into_owned(),
        code: code.as_ref().map(|c| c.clone().into_owned()),
        param: param.as_ref().map(|p| p.clone().into_owned()),
        origin: *origin,
    }
}
