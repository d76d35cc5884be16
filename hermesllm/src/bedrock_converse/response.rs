//! Converse responses ↔ [`ir::Response`], stop reasons and usage.

use super::blocks::{self, BlockError, ForeignThinking};
use super::types::{AdditionalResponseFields, ConverseResponse, Message, Output, TokenUsage};
use crate::ir::{self, StopReason, Usage};
use crate::wire::{Rest, from_json, to_json};
use crate::{Api, DecodeError, EncodeError, Losses, Raw, ResponseMeta, Str};

const API: Api = Api::BedrockConverse;
/// Prefix of extra-field paths that live inside `additionalModelResponseFields`.
const ADDITIONAL: &str = "additionalModelResponseFields.";
/// `metrics` is required in a Converse response; a translated one has no latency to report.
const ZERO_METRICS: &str = r#"{"latencyMs":0}"#;

/// Decodes a Converse response body.
///
/// Bedrock responses carry no id and no model (the encoder's [`ResponseMeta`] supplies them).
/// `metrics`, `trace` and other unmodelled fields are kept in `extra`; Claude's
/// `additionalModelResponseFields.stop_sequence` becomes the choice's `stop_sequence`.
///
/// # Errors
/// Malformed JSON, a missing `output.message`, invalid blocks.
pub fn decode_response(body: &[u8]) -> Result<ir::Response<'_>, DecodeError> {
    let ConverseResponse {
        output,
        stop_reason,
        usage,
        additional_model_response_fields,
        rest,
    } = from_json(body)?;
    let Some(Output { message }) = output else {
        return Err(DecodeError::invalid("output", "missing output.message"));
    };
    let mut content = Vec::with_capacity(message.content.len());
    for (j, b) in message.content.into_iter().enumerate() {
        let block = blocks::decode_block(b).map_err(|BlockError { at, message }| {
            DecodeError::invalid(format!("output.message.content[{j}].{at}"), message)
        })?;
        content.push(block);
    }
    let mut extra = rest;
    let mut stop_sequence = None;
    if let Some(AdditionalResponseFields {
        stop_sequence: seq,
        rest: add_rest,
    }) = additional_model_response_fields
    {
        stop_sequence = seq;
        extra.extend(
            add_rest
                .into_iter()
                .map(|(k, v)| (Str::from(format!("{ADDITIONAL}{k}")), v)),
        );
    }
    Ok(ir::Response {
        choices: vec![ir::Choice {
            content,
            stop_reason: (!stop_reason.is_empty()).then(|| stop_from_wire(stop_reason)),
            stop_sequence,
            logprobs: None,
        }],
        usage: usage.map(|u| usage_from_wire(&u)),
        extra: ir::Extra {
            api: (!extra.is_empty()).then_some(API),
            fields: extra,
        },
        ..ir::Response::default()
    })
}

/// Encodes a response as a Converse body. Only the first choice is carried; `metrics` is
/// written from `extra` when the response came from Bedrock, else as zero latency.
///
/// # Errors
/// Only serialization failures.
pub fn encode_response(
    resp: &ir::Response<'_>,
    _meta: &ResponseMeta<'_>,
    losses: &mut Losses,
) -> Result<Vec<u8>, EncodeError> {
    let ir::Response {
        id: _,
        model: _,
        created: _,
        choices,
        usage,
        system_fingerprint,
        service_tier,
        previous_response_id,
        extra,
    } = resp;
    for (set, name) in [
        (system_fingerprint.is_some(), "system_fingerprint"),
        (service_tier.is_some(), "service_tier"),
        (previous_response_id.is_some(), "previous_response_id"),
    ] {
        if set {
            losses.dropped(name, "not part of a Bedrock Converse response");
        }
    }
    if choices.len() > 1 {
        for i in 1..choices.len() {
            losses.dropped(
                format!("choices[{i}]"),
                "Bedrock Converse returns one message",
            );
        }
    }

    let mut content = Vec::new();
    let mut stop_reason = Str::borrowed("end_turn");
    let mut stop_sequence = None;
    if let Some(choice) = choices.first() {
        let ir::Choice {
            content: blocks_in,
            stop_reason: reason,
            stop_sequence: seq,
            logprobs,
        } = choice;
        if logprobs.is_some() {
            losses.dropped("choices[0].logprobs", "Bedrock has no log probabilities");
        }
        content.reserve(blocks_in.len());
        for (j, b) in blocks_in.iter().enumerate() {
            let at = || format!("choices[0].content[{j}]");
            if let Some(b) = blocks::encode_block(b, ForeignThinking::KeepText, losses, &at) {
                content.push(b);
            }
        }
        if let Some(r) = reason {
            stop_reason = stop_to_wire(r, losses);
        }
        stop_sequence = seq.as_ref().map(Str::reborrow);
    }

    let mut add = AdditionalResponseFields {
        stop_sequence,
        rest: Rest::default(),
    };
    let mut rest: Rest<'_> = Rest::default();
    let mut has_metrics = false;
    match extra.api {
        Some(API) => {
            for (k, v) in &extra.fields {
                if let Some(inner) = k.strip_prefix(ADDITIONAL) {
                    add.rest.push((Str::borrowed(inner), *v));
                } else {
                    has_metrics |= k.as_str() == "metrics";
                    rest.push((k.reborrow(), *v));
                }
            }
        }
        Some(_) => losses.extra_dropped(extra, API),
        None => {}
    }
    if !has_metrics && let Ok(m) = Raw::parse(ZERO_METRICS) {
        rest.insert(0, (Str::borrowed("metrics"), m));
    }
    let out = ConverseResponse {
        output: Some(Output {
            message: Message {
                role: Str::borrowed("assistant"),
                content,
            },
        }),
        stop_reason,
        usage: Some(usage_to_wire(&usage.unwrap_or_default())),
        additional_model_response_fields: (add.stop_sequence.is_some() || !add.rest.is_empty())
            .then_some(add),
        rest,
    };
    to_json(&out)
}

/// A Bedrock `stopReason` in the internal model.
pub(super) fn stop_from_wire(reason: Str<'_>) -> StopReason<'_> {
    match reason.as_str() {
        "end_turn" => StopReason::EndTurn,
        "tool_use" => StopReason::ToolUse,
        "max_tokens" => StopReason::MaxTokens,
        "stop_sequence" => StopReason::StopSequence,
        "guardrail_intervened" | "content_filtered" => StopReason::ContentFilter,
        "model_context_window_exceeded" => StopReason::ContextWindowExceeded,
        _ => StopReason::Other(reason),
    }
}

/// Bedrock's other documented stop reasons, passed through as spelled.
const OTHER_REASONS: [&str; 2] = ["malformed_model_output", "malformed_tool_use"];

/// The Bedrock `stopReason` for a stop reason, recording approximations.
pub(super) fn stop_to_wire<'b>(reason: &'b StopReason<'_>, losses: &mut Losses) -> Str<'b> {
    Str::borrowed(match reason {
        StopReason::EndTurn => "end_turn",
        StopReason::ToolUse => "tool_use",
        StopReason::MaxTokens => "max_tokens",
        StopReason::StopSequence => "stop_sequence",
        StopReason::ContentFilter => "content_filtered",
        StopReason::ContextWindowExceeded => "model_context_window_exceeded",
        StopReason::Refusal => {
            losses.approximated("stop_reason", "refusal reported as content_filtered");
            "content_filtered"
        }
        StopReason::PauseTurn => {
            losses.approximated("stop_reason", "pause_turn reported as end_turn");
            "end_turn"
        }
        StopReason::Other(s) if OTHER_REASONS.contains(&s.as_str()) => s.as_str(),
        StopReason::Other(_) => {
            losses.approximated("stop_reason", "reported as end_turn");
            "end_turn"
        }
    })
}

/// Bedrock usage, normalised: cache reads and writes are added to the input count.
pub(super) fn usage_from_wire(u: &TokenUsage) -> Usage {
    let read = u.cache_read_input_tokens.unwrap_or(0);
    let write = u.cache_write_input_tokens.unwrap_or(0);
    Usage {
        input_tokens: u.input_tokens.saturating_add(read).saturating_add(write),
        output_tokens: u.output_tokens,
        cache_read_input_tokens: read,
        cache_write_input_tokens: write,
        reasoning_tokens: 0,
    }
}

/// Normalised usage as Bedrock reports it: `inputTokens` without cache reads and writes
/// (reasoning tokens stay inside `outputTokens`; Bedrock has no separate count).
pub(super) fn usage_to_wire(u: &Usage) -> TokenUsage {
    let cached = u.cache_read_input_tokens > 0 || u.cache_write_input_tokens > 0;
    TokenUsage {
        input_tokens: u.uncached_input_tokens(),
        output_tokens: u.output_tokens,
        total_tokens: u.total_tokens(),
        cache_read_input_tokens: cached.then_some(u.cache_read_input_tokens),
        cache_write_input_tokens: cached.then_some(u.cache_write_input_tokens),
    }
}
