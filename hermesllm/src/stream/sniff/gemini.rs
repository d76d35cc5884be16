//! Gemini `streamGenerateContent?alt=sse` chunks (each a whole `GenerateContentResponse`).

use serde::Deserialize;

use super::json::{self, is_true, parse_at, plain_str, starts_with_key};
use super::{KEYS, Verdict, upstream_error};
use crate::Api;
use crate::ir::{StopReason, Usage};
use crate::stream::StreamSummary;

pub(super) fn sniff(d: &[u8], now_ms: u64, s: &mut StreamSummary) -> Verdict {
    if starts_with_key(d, b"\"error\"") {
        upstream_error(Api::Gemini, 500, d, s);
        return Verdict::Forward;
    }
    let k = &*KEYS;
    for pos in json::values(d, &k.parts) {
        if let Some(parts) = json::value_slice(d, pos) {
            for_each_element(parts, |part| {
                if json::value(part, &k.function_call_camel).is_some() {
                    s.tool_call(now_ms);
                } else if let Some(p) = json::value(part, &k.text)
                    && let Some((_, n)) = json::string_at(part, p)
                {
                    let thought = json::value(part, &k.thought).is_some_and(|t| is_true(part, t));
                    if !thought {
                        s.text(n, now_ms);
                    } else if n > 0 {
                        s.token(now_ms);
                    }
                }
            });
        }
    }
    if let Some(pos) = json::value(d, &k.finish_reason_camel)
        && let Some(r) = plain_str(d, pos)
    {
        s.stop_reason = Some(stop_reason(r, s.tool_calls > 0));
        // Gemini has no terminal event: the chunk with a finish reason is the last one.
        s.completed = true;
    }
    if let Some(pos) = json::value(d, &k.usage_metadata)
        && let Some(u) = parse_at::<GeminiUsage>(d, pos)
    {
        s.add_usage(&u.into());
    }
    Verdict::Forward
}

/// Calls `f` with each element of the JSON array `arr`.
fn for_each_element(arr: &[u8], mut f: impl FnMut(&[u8])) {
    let skip_ws = |mut i: usize| {
        while arr.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        i
    };
    if arr.first() != Some(&b'[') {
        return;
    }
    let mut i = skip_ws(1);
    while let Some(&b) = arr.get(i) {
        if b == b']' {
            return;
        }
        let Some(end) = json::skip_value(arr, i) else {
            return;
        };
        if let Some(elem) = arr.get(i..end) {
            f(elem);
        }
        i = skip_ws(end);
        if arr.get(i) != Some(&b',') {
            return;
        }
        i = skip_ws(i + 1);
    }
}

fn stop_reason(r: &str, tool_calls: bool) -> StopReason<'static> {
    match r {
        // Gemini reports STOP after function calls too.
        "STOP" if tool_calls => StopReason::ToolUse,
        "STOP" => StopReason::EndTurn,
        "MAX_TOKENS" => StopReason::MaxTokens,
        "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII" | "IMAGE_SAFETY" => {
            StopReason::ContentFilter
        }
        other => StopReason::Other(other.to_owned().into()),
    }
}

/// Gemini counts thoughts beside the candidates; the internal model counts them in.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GeminiUsage {
    prompt_token_count: Option<u64>,
    candidates_token_count: Option<u64>,
    thoughts_token_count: Option<u64>,
    cached_content_token_count: Option<u64>,
}

impl From<GeminiUsage> for Usage {
    fn from(u: GeminiUsage) -> Usage {
        let thoughts = u.thoughts_token_count.unwrap_or(0);
        Usage {
            input_tokens: u.prompt_token_count.unwrap_or(0),
            output_tokens: u
                .candidates_token_count
                .unwrap_or(0)
                .saturating_add(thoughts),
            cache_read_input_tokens: u.cached_content_token_count.unwrap_or(0),
            cache_write_input_tokens: 0,
            reasoning_tokens: thoughts,
        }
    }
}
