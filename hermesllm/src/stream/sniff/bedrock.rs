//! Bedrock ConverseStream eventstream messages.

use serde::Deserialize;

use super::json::{self, parse_at, plain_str};
use super::{KEYS, has_string};
use crate::Api;
use crate::ir::{ApiError, ErrorKind, StopReason, Usage};
use crate::stream::StreamSummary;
use crate::stream::eventstream::EventStreamMessage;

pub(super) fn sniff(m: &EventStreamMessage<'_>, now_ms: u64, s: &mut StreamSummary) {
    let k = &*KEYS;
    let p = m.payload;
    match m.message_type {
        "exception" => {
            let status = exception_status(m.event_type);
            let mut e = crate::translate::decode_error(Api::BedrockConverse, status, p);
            if e.code.is_none() {
                e.code = Some(m.event_type.into());
            }
            s.record_error(&e);
        }
        "error" => {
            let mut e = ApiError::new(
                ErrorKind::Server,
                m.header(":error-message").unwrap_or("eventstream error"),
            );
            e.code = Some(m.event_type.into());
            e.origin = Some(Api::BedrockConverse);
            s.record_error(&e);
        }
        _ => match m.event_type {
            "contentBlockStart" if json::value(p, &k.tool_use_camel).is_some() => {
                s.tool_call(now_ms);
            }
            "contentBlockDelta" => {
                if json::value(p, &k.reasoning_content_camel).is_some() {
                    if has_string(p, &k.text) {
                        s.token(now_ms);
                    }
                } else if json::value(p, &k.tool_use_camel).is_some() {
                    s.token(now_ms);
                } else if let Some(pos) = json::value(p, &k.text)
                    && let Some((_, n)) = json::string_at(p, pos)
                {
                    s.text(n, now_ms);
                }
            }
            "messageStop" => {
                if let Some(pos) = json::value(p, &k.stop_reason_camel)
                    && let Some(r) = plain_str(p, pos)
                {
                    s.stop_reason = Some(stop_reason(r));
                }
                s.completed = true;
            }
            "metadata" => {
                if let Some(pos) = json::value(p, &k.usage)
                    && let Some(u) = parse_at::<BedrockUsage>(p, pos)
                {
                    s.add_usage(&u.into());
                }
            }
            _ => {}
        },
    }
}

/// The HTTP status Bedrock gives each exception when it is returned as a response.
fn exception_status(name: &str) -> u16 {
    match name {
        "validationException" => 400,
        "accessDeniedException" => 403,
        "resourceNotFoundException" => 404,
        "modelTimeoutException" => 408,
        "throttlingException" => 429,
        "modelStreamErrorException" | "modelErrorException" => 424,
        "serviceUnavailableException" => 503,
        _ => 500,
    }
}

fn stop_reason(r: &str) -> StopReason<'static> {
    match r {
        "end_turn" => StopReason::EndTurn,
        "tool_use" => StopReason::ToolUse,
        "max_tokens" => StopReason::MaxTokens,
        "stop_sequence" => StopReason::StopSequence,
        "guardrail_intervened" | "content_filtered" => StopReason::ContentFilter,
        "model_context_window_exceeded" => StopReason::ContextWindowExceeded,
        other => StopReason::Other(other.to_owned().into()),
    }
}

/// Bedrock counts cache reads and writes beside `inputTokens`; the internal model counts them
/// in.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BedrockUsage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
    cache_write_input_tokens: Option<u64>,
}

impl From<BedrockUsage> for Usage {
    fn from(u: BedrockUsage) -> Usage {
        let read = u.cache_read_input_tokens.unwrap_or(0);
        let write = u.cache_write_input_tokens.unwrap_or(0);
        Usage {
            input_tokens: u
                .input_tokens
                .unwrap_or(0)
                .saturating_add(read)
                .saturating_add(write),
            output_tokens: u.output_tokens.unwrap_or(0),
            cache_read_input_tokens: read,
            cache_write_input_tokens: write,
            reasoning_tokens: 0,
        }
    }
}
