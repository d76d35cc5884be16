//! OpenAI Chat Completions chunks.

use serde::Deserialize;

use super::json::{self, is_empty_array, is_null, parse_at, plain_str, starts_with_key};
use super::{KEYS, Verdict, count_text, has_string, upstream_error};
use crate::Api;
use crate::ir::{StopReason, Usage};
use crate::stream::StreamSummary;

#[inline]
pub(super) fn sniff(d: &[u8], include_usage: bool, now_ms: u64, s: &mut StreamSummary) -> Verdict {
    if d == b"[DONE]" {
        s.completed = true;
        return Verdict::Forward;
    }
    if starts_with_key(d, b"\"error\"") {
        upstream_error(Api::OpenAiChat, 500, d, s);
        return Verdict::Forward;
    }
    let k = &*KEYS;
    // Content lives in each choice's `delta`: search the (short) delta objects only, so a
    // chunk is scanned in full just three times (`delta`, `finish_reason`, `usage`).
    for pos in json::values(d, &k.delta) {
        if let Some(delta) = json::value_slice(d, pos) {
            delta_content(delta, now_ms, s);
        }
    }
    if let Some(pos) = json::value(d, &k.finish_reason)
        && let Some(r) = plain_str(d, pos)
    {
        s.stop_reason = Some(stop_reason(r));
    }
    let mut verdict = Verdict::Forward;
    if let Some(pos) = json::value(d, &k.usage)
        && !is_null(d, pos)
    {
        if let Some(u) = parse_at::<ChatUsage>(d, pos) {
            s.add_usage(&u.into());
        }
        // The usage-only chunk (`"choices": []`) is sent only when the client asked for it;
        // otherwise the gateway added `stream_options.include_usage` for itself.
        if !include_usage && json::value(d, &k.choices).is_some_and(|p| is_empty_array(d, p)) {
            verdict = Verdict::Drop;
        }
    }
    verdict
}

/// Text, refusal, tool calls and reasoning in one `delta` object.
fn delta_content(delta: &[u8], now_ms: u64, s: &mut StreamSummary) {
    let k = &*KEYS;
    count_text(delta, &k.content, now_ms, s);
    count_text(delta, &k.refusal, now_ms, s);
    if let Some(pos) = json::value(delta, &k.tool_calls)
        && let Some(calls) = json::value_slice(delta, pos)
    {
        // A call's first delta carries its id; later ones only argument fragments.
        for id in json::values(calls, &k.id) {
            if json::string_at(calls, id).is_some() {
                s.tool_call(now_ms);
            }
        }
        if calls.len() > 2 {
            s.token(now_ms);
        }
    }
    // Not in OpenAI's API, but sent by compatible servers (DeepSeek, vLLM, OpenRouter).
    if has_string(delta, &k.reasoning_content) || has_string(delta, &k.reasoning) {
        s.token(now_ms);
    }
}

fn stop_reason(r: &str) -> StopReason<'static> {
    match r {
        "stop" => StopReason::EndTurn,
        "length" => StopReason::MaxTokens,
        "tool_calls" | "function_call" => StopReason::ToolUse,
        "content_filter" => StopReason::ContentFilter,
        other => StopReason::Other(other.to_owned().into()),
    }
}

#[derive(Deserialize)]
struct ChatUsage {
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
    prompt_tokens_details: Option<PromptDetails>,
    completion_tokens_details: Option<CompletionDetails>,
}

#[derive(Deserialize)]
struct PromptDetails {
    cached_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct CompletionDetails {
    reasoning_tokens: Option<u64>,
}

impl From<ChatUsage> for Usage {
    fn from(u: ChatUsage) -> Usage {
        Usage {
            input_tokens: u.prompt_tokens.unwrap_or(0),
            output_tokens: u.completion_tokens.unwrap_or(0),
            cache_read_input_tokens: u
                .prompt_tokens_details
                .and_then(|d| d.cached_tokens)
                .unwrap_or(0),
            cache_write_input_tokens: 0,
            reasoning_tokens: u
                .completion_tokens_details
                .and_then(|d| d.reasoning_tokens)
                .unwrap_or(0),
        }
    }
}
