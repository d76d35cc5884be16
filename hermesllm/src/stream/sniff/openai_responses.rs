//! OpenAI Responses events.

use serde::Deserialize;

use super::json::{self, nested, parse_at, plain_str};
use super::{Head, KEYS, Verdict, count_text, upstream_error};
use crate::Api;
use crate::ir::{ApiError, ErrorKind, StopReason, Usage};
use crate::stream::StreamSummary;

pub(super) fn sniff(event: &str, d: &[u8], now_ms: u64, s: &mut StreamSummary) -> Verdict {
    let k = &*KEYS;
    // OpenAI names each event twice (`event:` and `"type"`); the type is the contract.
    let ty = if event.is_empty() {
        json::value(d, &k.type_)
            .and_then(|p| plain_str(d, p))
            .unwrap_or_default()
    } else {
        event
    };
    match ty {
        "response.output_text.delta" | "response.refusal.delta" => {
            count_text(d, &k.delta, now_ms, s);
        }
        "response.function_call_arguments.delta"
        | "response.custom_tool_call_input.delta"
        | "response.reasoning_summary_text.delta"
        | "response.reasoning_text.delta" => s.token(now_ms),
        "response.output_item.added" => {
            if let Some((item, p)) = nested(d, &k.item, &k.type_)
                && matches!(
                    plain_str(item, p),
                    Some("function_call" | "custom_tool_call")
                )
            {
                s.tool_call(now_ms);
            }
        }
        "response.created" | "response.in_progress" if s.response_id.is_none() => {
            if let Some(r) = parse_at::<Created>(d, 0).and_then(|ev| ev.response) {
                r.record(s);
            }
        }
        "response.completed" | "response.incomplete" | "response.failed" => final_event(ty, d, s),
        "error" => upstream_error(Api::OpenAiResponses, 500, d, s),
        _ => {}
    }
    Verdict::Forward
}

/// The terminal event carries the whole response: parse the few fields needed.
fn final_event(ty: &str, d: &[u8], s: &mut StreamSummary) {
    let Some(ev) = parse_at::<Event>(d, 0) else {
        return;
    };
    let Some(resp) = ev.response else {
        return;
    };
    if let Some(u) = resp.usage {
        s.add_usage(&u.into());
    }
    match ty {
        "response.completed" => {
            s.stop_reason = Some(if s.tool_calls > 0 {
                StopReason::ToolUse
            } else {
                StopReason::EndTurn
            });
            s.completed = true;
        }
        "response.incomplete" => {
            let reason = resp.incomplete_details.and_then(|d| d.reason);
            s.stop_reason = Some(match reason.as_deref() {
                Some("max_output_tokens") => StopReason::MaxTokens,
                Some("content_filter") => StopReason::ContentFilter,
                Some(other) => StopReason::Other(other.to_owned().into()),
                None => StopReason::Other("incomplete".into()),
            });
            s.completed = true;
        }
        _ => {
            let (code, message) = resp.error.map(|e| (e.code, e.message)).unwrap_or_default();
            let mut e = ApiError::new(
                ErrorKind::Server,
                message.unwrap_or_else(|| "response failed".to_owned()),
            );
            e.code = code.map(Into::into);
            e.origin = Some(Api::OpenAiResponses);
            s.record_error(&e);
        }
    }
}

#[derive(Deserialize)]
struct Created {
    response: Option<Head>,
}

#[derive(Deserialize)]
struct Event {
    response: Option<Response>,
}

#[derive(Deserialize)]
struct Response {
    usage: Option<ResponsesUsage>,
    incomplete_details: Option<Incomplete>,
    error: Option<Failure>,
}

#[derive(Deserialize)]
struct Incomplete {
    reason: Option<String>,
}

#[derive(Deserialize)]
struct Failure {
    code: Option<String>,
    message: Option<String>,
}

#[derive(Deserialize)]
struct ResponsesUsage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    input_tokens_details: Option<InputDetails>,
    output_tokens_details: Option<OutputDetails>,
}

#[derive(Deserialize)]
struct InputDetails {
    cached_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct OutputDetails {
    reasoning_tokens: Option<u64>,
}

impl From<ResponsesUsage> for Usage {
    fn from(u: ResponsesUsage) -> Usage {
        Usage {
            input_tokens: u.input_tokens.unwrap_or(0),
            output_tokens: u.output_tokens.unwrap_or(0),
            cache_read_input_tokens: u
                .input_tokens_details
                .and_then(|d| d.cached_tokens)
                .unwrap_or(0),
            cache_write_input_tokens: 0,
            reasoning_tokens: u
                .output_tokens_details
                .and_then(|d| d.reasoning_tokens)
                .unwrap_or(0),
        }
    }
}
