//! `GenerateContentResponse` ↔ internal response, finish reasons and usage.
//!
//! Finish reasons: `STOP` is [`StopReason::EndTurn`], or [`StopReason::ToolUse`] when the
//! candidate holds function calls (Gemini has no distinct reason for either tool calls or stop
//! sequences); `MAX_TOKENS`; the safety family (`SAFETY`, `RECITATION`, `BLOCKLIST`,
//! `PROHIBITED_CONTENT`, `SPII`, `IMAGE_*`) is [`StopReason::ContentFilter`]; anything else
//! (`LANGUAGE`, `OTHER`, `MALFORMED_FUNCTION_CALL`, ...) is [`StopReason::Other`] as spelled.
//! A prompt blocked before generation (no candidates, `promptFeedback.blockReason`) is one
//! empty choice stopped by the content filter.
//!
//! Usage: `input_tokens = promptTokenCount + toolUsePromptTokenCount` (the prompt count
//! already includes cached tokens), `cache_read_input_tokens = cachedContentTokenCount`,
//! `output_tokens = candidatesTokenCount + thoughtsTokenCount`,
//! `reasoning_tokens = thoughtsTokenCount`. Encoding reverses it (tool-use prompt tokens are
//! then part of `promptTokenCount`).

use super::parts_decode::{CallIds, decode_part};
use super::parts_encode::{PartEncoder, Where};
use super::types::{Candidate, Content, GenerateContentResponse, PromptFeedback, UsageMetadata};
use crate::ir::{self, Block, Choice, Extra, StopReason, Usage};
use crate::wire::{Rest, from_json, to_json};
use crate::{Api, DecodeError, EncodeError, Losses, ResponseMeta, Str};

/// Decodes a response body.
///
/// # Errors
/// Malformed JSON, nameless function calls.
pub fn decode_response(body: &[u8]) -> Result<ir::Response<'_>, DecodeError> {
    let wire: GenerateContentResponse<'_> = from_json(body)?;
    let GenerateContentResponse {
        candidates,
        prompt_feedback,
        usage_metadata,
        model_version,
        response_id,
        mut rest,
    } = wire;
    let mut ids = CallIds::default();
    let mut choices = Vec::with_capacity(candidates.len().max(1));
    for (i, cand) in candidates.into_iter().enumerate() {
        choices.push(decode_candidate(cand, i, &mut ids)?);
    }
    if let Some(pf) = prompt_feedback {
        if choices.is_empty() {
            let blocked = serde_json::from_str::<PromptFeedback<'_>>(pf.get())
                .ok()
                .and_then(|f| f.block_reason)
                .is_some();
            if blocked {
                choices.push(Choice {
                    stop_reason: Some(StopReason::ContentFilter),
                    ..Choice::default()
                });
            }
        }
        rest.insert(0, (Str::borrowed("promptFeedback"), pf));
    }
    Ok(ir::Response {
        id: response_id,
        model: model_version,
        created: None,
        choices,
        usage: usage_metadata.as_ref().map(decode_usage),
        system_fingerprint: None,
        service_tier: None,
        previous_response_id: None,
        extra: Extra {
            api: (!rest.is_empty()).then_some(Api::Gemini),
            fields: rest,
        },
    })
}

fn decode_candidate<'a>(
    cand: Candidate<'a>,
    i: usize,
    ids: &mut CallIds<'a>,
) -> Result<Choice<'a>, DecodeError> {
    let Candidate {
        content,
        finish_reason,
        index: _,
        logprobs_result,
    } = cand;
    let mut blocks = Vec::new();
    if let Some(content) = content {
        blocks.reserve(content.parts.len());
        for (j, wp) in content.parts.into_iter().enumerate() {
            let path = || format!("candidates[{i}].content.parts[{j}]");
            decode_part(wp, &path, ids, &mut blocks)?;
        }
    }
    let has_calls = blocks.iter().any(|b| matches!(b, Block::ToolCall { .. }));
    Ok(Choice {
        stop_reason: finish_reason.map(|r| decode_finish_reason(r, has_calls)),
        content: blocks,
        stop_sequence: None,
        logprobs: logprobs_result,
    })
}

/// A Gemini finish reason in the internal model (`has_calls`: the candidate called tools).
pub(crate) fn decode_finish_reason(reason: Str<'_>, has_calls: bool) -> StopReason<'_> {
    match reason.as_str() {
        "STOP" if has_calls => StopReason::ToolUse,
        "STOP" => StopReason::EndTurn,
        "MAX_TOKENS" => StopReason::MaxTokens,
        "SAFETY"
        | "RECITATION"
        | "BLOCKLIST"
        | "PROHIBITED_CONTENT"
        | "SPII"
        | "IMAGE_SAFETY"
        | "IMAGE_PROHIBITED_CONTENT"
        | "IMAGE_RECITATION" => StopReason::ContentFilter,
        _ => StopReason::Other(reason),
    }
}

/// Finish reasons Gemini documents, passed through when a source spelled one.
const GEMINI_REASONS: &[&str] = &[
    "FINISH_REASON_UNSPECIFIED",
    "STOP",
    "MAX_TOKENS",
    "SAFETY",
    "RECITATION",
    "LANGUAGE",
    "OTHER",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "MALFORMED_FUNCTION_CALL",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "IMAGE_OTHER",
    "NO_IMAGE",
    "IMAGE_RECITATION",
    "UNEXPECTED_TOOL_CALL",
    "TOO_MANY_TOOL_CALLS",
    "MISSING_THOUGHT_SIGNATURE",
];

/// The Gemini finish reason for a stop reason, and why it is approximate (if it is).
pub(crate) fn encode_finish_reason<'r>(
    reason: &'r StopReason<'_>,
) -> (&'r str, Option<&'static str>) {
    match reason {
        StopReason::EndTurn | StopReason::ToolUse | StopReason::StopSequence => ("STOP", None),
        StopReason::MaxTokens => ("MAX_TOKENS", None),
        StopReason::ContentFilter => ("SAFETY", None),
        StopReason::Refusal => ("SAFETY", Some("Gemini has no refusal finish reason")),
        StopReason::PauseTurn => ("OTHER", Some("Gemini has no paused turns")),
        StopReason::ContextWindowExceeded => (
            "MAX_TOKENS",
            Some("Gemini has no context-window finish reason"),
        ),
        StopReason::Other(s) if GEMINI_REASONS.contains(&s.as_str()) => (s, None),
        StopReason::Other(_) => ("OTHER", Some("a finish reason Gemini does not have")),
    }
}

/// `usageMetadata` → usage (see the module docs).
pub(crate) fn decode_usage(u: &UsageMetadata) -> Usage {
    let UsageMetadata {
        prompt_token_count,
        candidates_token_count,
        cached_content_token_count,
        thoughts_token_count,
        tool_use_prompt_token_count,
        total_token_count: _,
    } = *u;
    let thoughts = thoughts_token_count.unwrap_or(0);
    Usage {
        input_tokens: prompt_token_count
            .unwrap_or(0)
            .saturating_add(tool_use_prompt_token_count.unwrap_or(0)),
        output_tokens: candidates_token_count.unwrap_or(0).saturating_add(thoughts),
        cache_read_input_tokens: cached_content_token_count.unwrap_or(0),
        cache_write_input_tokens: 0,
        reasoning_tokens: thoughts,
    }
}

/// Usage → `usageMetadata`. Cache writes have no Gemini field; they stay counted in
/// `promptTokenCount` (the caller records the loss).
pub(crate) fn encode_usage(u: &Usage) -> UsageMetadata {
    let Usage {
        input_tokens,
        output_tokens: _, // written as candidates + thoughts
        cache_read_input_tokens,
        cache_write_input_tokens: _, // no Gemini field; part of promptTokenCount
        reasoning_tokens,
    } = *u;
    let nonzero = |n: u64| (n > 0).then_some(n);
    UsageMetadata {
        prompt_token_count: Some(input_tokens),
        candidates_token_count: Some(u.visible_output_tokens()),
        cached_content_token_count: nonzero(cache_read_input_tokens),
        thoughts_token_count: nonzero(reasoning_tokens),
        tool_use_prompt_token_count: None,
        total_token_count: Some(u.total_tokens()),
    }
}

/// Encodes a response body.
///
/// # Errors
/// Never in practice (serialization of the wire types cannot fail).
pub fn encode_response(
    resp: &ir::Response<'_>,
    meta: &ResponseMeta<'_>,
    losses: &mut Losses,
) -> Result<Vec<u8>, EncodeError> {
    let ir::Response {
        id,
        model,
        created: _, // Gemini responses carry no creation time
        choices,
        usage,
        system_fingerprint,
        service_tier,
        previous_response_id,
        extra,
    } = resp;
    for (present, field) in [
        (system_fingerprint.is_some(), "system_fingerprint"),
        (service_tier.is_some(), "service_tier"),
        (previous_response_id.is_some(), "previous_response_id"),
    ] {
        if present {
            losses.dropped(field, "not part of the Gemini API");
        }
    }
    let mut candidates = Vec::with_capacity(choices.len());
    for (i, choice) in choices.iter().enumerate() {
        candidates.push(encode_choice(choice, i, losses));
    }
    if let Some(u) = usage
        && u.cache_write_input_tokens > 0
    {
        losses.dropped(
            "usage.cache_write_input_tokens",
            "Gemini reports no cache writes (they stay in promptTokenCount)",
        );
    }
    let mut rest = Rest::new();
    let mut prompt_feedback = None;
    match extra.api {
        Some(Api::Gemini) => {
            for (key, value) in &extra.fields {
                if key.as_str() == "promptFeedback" {
                    prompt_feedback = Some(*value);
                } else {
                    rest.push((key.reborrow(), *value));
                }
            }
        }
        Some(_) => losses.extra_dropped(extra, Api::Gemini),
        None => {}
    }
    let wire = GenerateContentResponse {
        candidates,
        prompt_feedback,
        usage_metadata: usage.as_ref().map(encode_usage),
        model_version: if model.is_empty() {
            meta.model.reborrow()
        } else {
            model.reborrow()
        },
        response_id: if id.is_empty() {
            meta.id.reborrow()
        } else {
            id.reborrow()
        },
        rest,
    };
    to_json(&wire)
}

fn encode_choice<'r>(choice: &'r Choice<'_>, i: usize, losses: &mut Losses) -> Candidate<'r> {
    let Choice {
        content,
        stop_reason,
        stop_sequence,
        logprobs,
    } = choice;
    let mut enc = PartEncoder::new(false);
    let mut parts = Vec::with_capacity(content.len());
    enc.blocks(content, Where::Choice(i), losses, &mut parts);
    enc.flush(&mut parts);
    if stop_sequence.is_some() {
        losses.dropped(
            format!("choices[{i}].stop_sequence"),
            "Gemini does not report which stop sequence matched",
        );
    }
    let finish_reason = stop_reason.as_ref().map(|r| {
        let (name, approx) = encode_finish_reason(r);
        if let Some(why) = approx {
            losses.approximated(format!("choices[{i}].stop_reason"), why);
        }
        Str::borrowed(name)
    });
    Candidate {
        content: Some(Content {
            role: Some(Str::borrowed("model")),
            parts,
        }),
        finish_reason,
        index: Some(u32::try_from(i).unwrap_or(u32::MAX)),
        logprobs_result: *logprobs,
    }
}
