//! Responses: `Message` objects to and from the internal model, with stop reasons and usage.

use super::content::{Loc, Side, decode_block, encode_blocks};
use super::response_fast;
use super::types::{ContentBlock, MessageResponse, Nullable, WireUsage};
use crate::ir::{self, StopReason, Usage};
use crate::wire::{from_json, to_json};
use crate::{Api, DecodeError, EncodeError, Losses, ResponseMeta, Str};

/// Decodes a `Message` response.
///
/// # Errors
/// Malformed JSON, a `type` other than `message`, malformed content blocks.
pub fn decode_response(body: &[u8]) -> Result<ir::Response<'_>, DecodeError> {
    if let Ok(text) = std::str::from_utf8(body)
        && let Ok(r) = response_fast::response(text)
    {
        return Ok(r);
    }
    decode_wire(from_json(body)?)
}

/// The internal model of a decoded `Message`.
pub(super) fn decode_wire(w: MessageResponse<'_>) -> Result<ir::Response<'_>, DecodeError> {
    let MessageResponse {
        id,
        kind,
        role: _,
        model,
        content,
        stop_reason,
        stop_sequence,
        usage,
        rest,
    } = w;
    if !kind.is_empty() && kind != "message" {
        return Err(DecodeError::invalid("type", "must be `message`"));
    }
    let mut blocks = Vec::with_capacity(content.len());
    for (j, b) in content.into_iter().enumerate() {
        decode_block(b, &mut blocks)
            .map_err(|m| DecodeError::invalid(format!("content[{j}]"), m))?;
    }
    Ok(ir::Response {
        id,
        model,
        created: None,
        choices: vec![ir::Choice {
            content: blocks,
            stop_reason: stop_reason.0.map(decode_stop),
            stop_sequence: stop_sequence.0,
            logprobs: None,
        }],
        usage: usage.as_ref().map(decode_usage),
        system_fingerprint: None,
        service_tier: None,
        previous_response_id: None,
        extra: ir::Extra {
            api: (!rest.is_empty()).then_some(Api::AnthropicMessages),
            fields: rest,
        },
    })
}

/// An Anthropic stop reason. Unknown values are kept as [`StopReason::Other`].
pub fn decode_stop(s: Str<'_>) -> StopReason<'_> {
    match s.as_str() {
        "end_turn" => StopReason::EndTurn,
        "max_tokens" => StopReason::MaxTokens,
        "stop_sequence" => StopReason::StopSequence,
        "tool_use" => StopReason::ToolUse,
        "pause_turn" => StopReason::PauseTurn,
        "refusal" => StopReason::Refusal,
        "model_context_window_exceeded" => StopReason::ContextWindowExceeded,
        _ => StopReason::Other(s),
    }
}

/// The Anthropic spelling of a stop reason. Content filtering becomes `refusal` and other
/// APIs' own reasons `end_turn`, both recorded as approximations.
pub fn encode_stop(r: &StopReason<'_>, losses: &mut Losses) -> &'static str {
    match r {
        StopReason::EndTurn => "end_turn",
        StopReason::MaxTokens => "max_tokens",
        StopReason::StopSequence => "stop_sequence",
        StopReason::ToolUse => "tool_use",
        StopReason::PauseTurn => "pause_turn",
        StopReason::Refusal => "refusal",
        StopReason::ContextWindowExceeded => "model_context_window_exceeded",
        StopReason::ContentFilter => {
            losses.approximated("stop_reason", "content filtering reported as refusal");
            "refusal"
        }
        StopReason::Other(s) => {
            losses.approximated("stop_reason", format!("`{s}` reported as end_turn"));
            "end_turn"
        }
        #[allow(unreachable_patterns)]
        _ => {
            losses.approximated("stop_reason", "reported as end_turn");
            "end_turn"
        }
    }
}

/// Anthropic usage to the internal convention: cache reads and writes are added to
/// `input_tokens`; thinking is already part of `output_tokens` (Anthropic does not report it
/// apart, so `reasoning_tokens` is 0).
pub fn decode_usage(u: &WireUsage<'_>) -> Usage {
    let read = u.cache_read_input_tokens.unwrap_or(0);
    let write = u.cache_creation_input_tokens.unwrap_or(0);
    Usage {
        input_tokens: u.input_tokens.saturating_add(read).saturating_add(write),
        output_tokens: u.output_tokens,
        cache_read_input_tokens: read,
        cache_write_input_tokens: write,
        reasoning_tokens: 0,
    }
}

/// Internal usage to Anthropic's: cache reads and writes are taken out of `input_tokens`.
/// Reasoning tokens stay inside `output_tokens`, as Anthropic counts them.
pub fn encode_usage(u: &Usage) -> WireUsage<'static> {
    let Usage {
        input_tokens: _, // Written without the cache reads and writes below.
        output_tokens,
        cache_read_input_tokens,
        cache_write_input_tokens,
        reasoning_tokens: _, // Part of output_tokens, as Anthropic counts it.
    } = *u;
    WireUsage {
        input_tokens: u.uncached_input_tokens(),
        cache_creation_input_tokens: Some(cache_write_input_tokens),
        cache_read_input_tokens: Some(cache_read_input_tokens),
        output_tokens,
        cache_creation: None,
        server_tool_use: None,
        service_tier: None,
    }
}

/// Encodes a `Message` response. A missing id or model comes from `meta`.
///
/// # Errors
/// Never at present.
pub fn encode_response(
    resp: &ir::Response<'_>,
    meta: &ResponseMeta<'_>,
    losses: &mut Losses,
) -> Result<Vec<u8>, EncodeError> {
    let ir::Response {
        id,
        model,
        created: _, // Anthropic messages carry no timestamp.
        choices,
        usage,
        system_fingerprint,
        service_tier,
        previous_response_id,
        extra,
    } = resp;
    if system_fingerprint.is_some() {
        losses.dropped("system_fingerprint", "Anthropic has no system fingerprint");
    }
    if service_tier.is_some() {
        losses.dropped("service_tier", "OpenAI service tier");
    }
    if previous_response_id.is_some() {
        losses.dropped("previous_response_id", "Anthropic is stateless");
    }
    for k in 1..choices.len() {
        losses.dropped(format!("choices[{k}]"), "Anthropic returns one choice");
    }
    let mut content: Vec<ContentBlock<'_>> = Vec::new();
    let (stop_reason, stop_sequence) = match choices.first() {
        None => (None, None),
        Some(ir::Choice {
            content: blocks,
            stop_reason,
            stop_sequence,
            logprobs,
        }) => {
            if logprobs.is_some() {
                losses.dropped("choices[0].logprobs", "Anthropic has no log probabilities");
            }
            content.reserve(blocks.len());
            encode_blocks(blocks, Loc::Output, Side::Response, losses, &mut content);
            let calls = content
                .iter()
                .any(|b| matches!(b, ContentBlock::ToolUse { .. }));
            let reason = match stop_reason {
                // Clients run tools on `tool_use`; some OpenAI-compatible servers say `stop`.
                Some(StopReason::EndTurn) if calls => {
                    losses.approximated("stop_reason", "end of turn with tool calls is tool_use");
                    Some("tool_use")
                }
                Some(r) => Some(encode_stop(r, losses)),
                None => None,
            };
            (
                reason.map(Str::borrowed),
                stop_sequence.as_ref().map(Str::reborrow),
            )
        }
    };
    let usage = match usage {
        Some(u) => encode_usage(u),
        None => {
            losses.approximated("usage", "unknown usage reported as zero");
            WireUsage::default()
        }
    };
    let rest = match extra.api {
        Some(Api::AnthropicMessages) => extra
            .fields
            .iter()
            .map(|(k, v)| (k.reborrow(), *v))
            .collect(),
        _ => {
            losses.extra_dropped(extra, Api::AnthropicMessages);
            Vec::new()
        }
    };
    let wire = MessageResponse {
        id: if id.is_empty() {
            meta.id.reborrow()
        } else {
            id.reborrow()
        },
        kind: Str::borrowed("message"),
        role: Str::borrowed("assistant"),
        model: if model.is_empty() {
            meta.model.reborrow()
        } else {
            model.reborrow()
        },
        content,
        stop_reason: Nullable(stop_reason),
        stop_sequence: Nullable(stop_sequence),
        usage: Some(usage),
        rest,
    };
    to_json(&wire)
}
