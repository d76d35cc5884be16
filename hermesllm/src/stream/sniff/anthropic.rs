//! Anthropic Messages events.

use serde::Deserialize;

use super::json::{self, nested, parse_at, plain_str};
use super::{Head, KEYS, Verdict, count_text, upstream_error};
use crate::Api;
use crate::ir::{StopReason, Usage};
use crate::stream::StreamSummary;

pub(super) fn sniff(event: &str, d: &[u8], now_ms: u64, s: &mut StreamSummary) -> Verdict {
    let k = &*KEYS;
    let ty = if event.is_empty() {
        json::value(d, &k.type_)
            .and_then(|p| plain_str(d, p))
            .unwrap_or_default()
    } else {
        event
    };
    match ty {
        "content_block_delta" => {
            if let Some((delta, p)) = nested(d, &k.delta, &k.type_) {
                match plain_str(delta, p) {
                    Some("text_delta") => count_text(delta, &k.text, now_ms, s),
                    Some("input_json_delta" | "thinking_delta") => s.token(now_ms),
                    _ => {}
                }
            }
        }
        "content_block_start" => {
            if let Some((block, p)) = nested(d, &k.content_block, &k.type_)
                && matches!(plain_str(block, p), Some("tool_use" | "server_tool_use"))
            {
                s.tool_call(now_ms);
            }
        }
        "message_start" => {
            if let Some(m) = parse_at::<MessageStart>(d, 0).and_then(|ev| ev.message) {
                m.head.record(s);
                if let Some(u) = m.usage {
                    s.add_usage(&u.into());
                }
            }
        }
        "message_delta" => {
            if let Some(ev) = parse_at::<MessageDelta>(d, 0) {
                if let Some(r) = ev.delta.and_then(|d| d.stop_reason) {
                    s.stop_reason = Some(stop_reason(r));
                }
                if let Some(u) = ev.usage {
                    s.add_usage(&u.into());
                }
            }
        }
        "message_stop" => s.completed = true,
        "error" => upstream_error(Api::AnthropicMessages, 500, d, s),
        _ => {}
    }
    Verdict::Forward
}

fn stop_reason(r: String) -> StopReason<'static> {
    match r.as_str() {
        "end_turn" => StopReason::EndTurn,
        "max_tokens" => StopReason::MaxTokens,
        "stop_sequence" => StopReason::StopSequence,
        "tool_use" => StopReason::ToolUse,
        "pause_turn" => StopReason::PauseTurn,
        "refusal" => StopReason::Refusal,
        "model_context_window_exceeded" => StopReason::ContextWindowExceeded,
        _ => StopReason::Other(r.into()),
    }
}

#[derive(Deserialize)]
struct MessageStart {
    message: Option<Message>,
}

#[derive(Deserialize)]
struct Message {
    #[serde(flatten)]
    head: Head,
    usage: Option<AnthropicUsage>,
}

#[derive(Deserialize)]
struct MessageDelta {
    delta: Option<Delta>,
    usage: Option<AnthropicUsage>,
}

#[derive(Deserialize)]
struct Delta {
    stop_reason: Option<String>,
}

/// Anthropic counts cache reads and writes beside `input_tokens`; the internal model counts
/// them in.
#[derive(Deserialize)]
struct AnthropicUsage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
}

impl From<AnthropicUsage> for Usage {
    fn from(u: AnthropicUsage) -> Usage {
        let read = u.cache_read_input_tokens.unwrap_or(0);
        let write = u.cache_creation_input_tokens.unwrap_or(0);
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
