//! Response object ↔ IR.

use super::content::decode_part;
use super::request_encode::{reasoning_fields, tool_call_fields};
use super::response_types::{
    IncompleteDetails, InputDetails, List, Nullable, OutputDetails, ResponseBody, Timestamp, UsageW,
};
use super::types::{Item, ItemFields, Parsed, PartFields, StrOr};
use crate::ir::{self, Block, StopReason, ToolCallKind};
use crate::wire::{Rest, from_json, to_json};
use crate::{Api, DecodeError, EncodeError, Losses, Raw, ResponseMeta, Str};

/// Decodes a response object.
///
/// Stop reason: `incomplete_details.reason` `max_output_tokens` → [`StopReason::MaxTokens`],
/// `content_filter` → [`StopReason::ContentFilter`]; a `failed` status →
/// `Other("failed")`; otherwise [`StopReason::ToolUse`] when the output has tool calls,
/// else [`StopReason::EndTurn`]. `in_progress`/`queued` responses have no stop reason.
///
/// # Errors
/// Malformed JSON or output items missing required fields.
pub fn decode_response(body: &[u8]) -> Result<ir::Response<'_>, DecodeError> {
    let ResponseBody {
        id,
        object: _,
        created_at,
        status,
        error,
        incomplete_details,
        model,
        output,
        previous_response_id,
        service_tier,
        usage,
        rest,
    } = from_json(body)?;
    let mut extra = rest;
    // A failed response's error travels raw as an extra field (the IR response has none).
    if let Some(raw) = error.0 {
        extra.push((Str::borrowed("error"), raw));
    }
    let content = decode_output(output.0)?;
    let has_calls = content.iter().any(|b| matches!(b, Block::ToolCall { .. }));
    let reason = incomplete_details.0.and_then(|d| d.reason);
    let stop_reason = stop_reason(status.as_deref(), reason, has_calls);
    Ok(ir::Response {
        id,
        model,
        created: created_at.map(|t| t.0),
        choices: vec![ir::Choice {
            content,
            stop_reason,
            stop_sequence: None,
            logprobs: None,
        }],
        usage: usage.map(usage_from_wire),
        system_fingerprint: None,
        service_tier,
        previous_response_id,
        extra: ir::Extra {
            api: (!extra.is_empty()).then_some(Api::OpenAiResponses),
            fields: extra,
        },
    })
}

/// The IR stop reason of a response status.
pub(super) fn stop_reason<'a>(
    status: Option<&str>,
    incomplete_reason: Option<Str<'a>>,
    has_calls: bool,
) -> Option<StopReason<'a>> {
    match status {
        Some("incomplete") => Some(match incomplete_reason.as_deref() {
            Some("max_output_tokens") => StopReason::MaxTokens,
            Some("content_filter") => StopReason::ContentFilter,
            _ => StopReason::Other(incomplete_reason.unwrap_or(Str::borrowed("incomplete"))),
        }),
        Some("failed") => Some(StopReason::Other(Str::borrowed("failed"))),
        Some("cancelled") => Some(StopReason::Other(Str::borrowed("cancelled"))),
        Some("in_progress" | "queued") => None,
        _ if has_calls => Some(StopReason::ToolUse),
        _ => Some(StopReason::EndTurn),
    }
}

/// Response usage → IR usage. Responses counts cached tokens inside `input_tokens` and
/// reasoning tokens inside `output_tokens`, as the IR does.
pub(super) fn usage_from_wire(u: UsageW) -> ir::Usage {
    ir::Usage {
        input_tokens: u.input_tokens,
        output_tokens: u.output_tokens,
        cache_read_input_tokens: u.input_tokens_details.cached_tokens,
        cache_write_input_tokens: 0,
        reasoning_tokens: u.output_tokens_details.reasoning_tokens,
    }
}

/// IR usage → response usage (cache writes have no field; they stay inside `input_tokens`).
pub(super) fn usage_to_wire(u: &ir::Usage) -> UsageW {
    UsageW {
        input_tokens: u.input_tokens,
        input_tokens_details: InputDetails {
            cached_tokens: u.cache_read_input_tokens,
        },
        output_tokens: u.output_tokens,
        output_tokens_details: OutputDetails {
            reasoning_tokens: u.reasoning_tokens,
        },
        total_tokens: u.total_tokens(),
    }
}

fn decode_output<'a>(output: Vec<Item<'a>>) -> Result<Vec<Block<'a>>, DecodeError> {
    let mut blocks = Vec::with_capacity(output.len());
    for (i, item) in output.into_iter().enumerate() {
        decode_output_item(item, i, &mut blocks)?;
    }
    Ok(blocks)
}

/// Decodes one output item, appending its blocks.
///
/// # Errors
/// Items missing required fields.
pub(super) fn decode_output_item<'a>(
    item: Item<'a>,
    i: usize,
    blocks: &mut Vec<Block<'a>>,
) -> Result<(), DecodeError> {
    let Parsed { raw, value } = item;
    let path = |f: &str| format!("output[{i}].{f}");
    let need = |v: Option<Str<'a>>, f: &str| {
        v.ok_or_else(|| DecodeError::invalid(path(f), format!("`{f}` is required")))
    };
    match value.kind.as_deref().unwrap_or("message") {
        "message" => match value.content {
            Some(StrOr::Str(text)) => blocks.push(Block::Text { text }),
            Some(StrOr::Other(parts)) => {
                for (j, p) in parts.into_iter().enumerate() {
                    blocks.push(decode_part(p, &|| format!("output[{i}].content[{j}]"))?);
                }
            }
            None => {}
        },
        "function_call" => blocks.push(Block::ToolCall {
            id: need(value.call_id, "call_id")?,
            name: need(value.name, "name")?,
            arguments: value.arguments.unwrap_or_default(),
            kind: ToolCallKind::Function,
        }),
        "custom_tool_call" => blocks.push(Block::ToolCall {
            id: need(value.call_id, "call_id")?,
            name: need(value.name, "name")?,
            arguments: value.input.unwrap_or_default(),
            kind: ToolCallKind::Custom,
        }),
        "reasoning" => {
            let mut texts = value
                .summary
                .unwrap_or_default()
                .into_iter()
                .filter_map(|p| p.text);
            let text = match (texts.next(), texts.next()) {
                (None, _) => Str::default(),
                (Some(t), None) => t,
                (Some(a), Some(b)) => {
                    let mut s = format!("{a}\n\n{b}");
                    for t in texts {
                        s.push_str("\n\n");
                        s.push_str(&t);
                    }
                    Str::from(s)
                }
            };
            blocks.push(Block::Thinking {
                text,
                signature: value.encrypted_content,
                id: value.id,
                origin: Api::OpenAiResponses,
            });
        }
        _ => {
            if let Some(raw) = raw {
                blocks.push(Block::Unknown {
                    origin: Api::OpenAiResponses,
                    raw,
                });
            }
        }
    }
    Ok(())
}

/// Fields an SDK's `Response` model expects; written with their defaults when the source
/// response is not a Responses one.
pub(super) const DEFAULT_FIELDS: [(&str, &str); 8] = [
    ("instructions", "null"),
    ("metadata", "{}"),
    ("parallel_tool_calls", "true"),
    ("temperature", "null"),
    ("tool_choice", "\"auto\""),
    ("tools", "[]"),
    ("top_p", "null"),
    ("text", r#"{"format":{"type":"text"}}"#),
];

/// Encodes a response object.
///
/// Item ids the IR does not carry are derived from the response id and the output index
/// (`msg_<id>_<n>`, `fc_<id>_<n>`, `rs_<id>_<n>`), so they are stable and unique within the
/// response.
///
/// # Errors
/// Never in practice.
pub fn encode_response(
    resp: &ir::Response<'_>,
    meta: &ResponseMeta<'_>,
    losses: &mut Losses,
) -> Result<Vec<u8>, EncodeError> {
    let ir::Response {
        id,
        model,
        created,
        choices,
        usage,
        system_fingerprint,
        service_tier,
        previous_response_id,
        extra,
    } = resp;
    let id = if id.is_empty() { &meta.id } else { id };
    if system_fingerprint.is_some() {
        losses.dropped("system_fingerprint", "Responses has no system fingerprint");
    }
    if choices.len() > 1 {
        losses.dropped("choices[1..]", "Responses returns a single output");
    }
    let choice = choices.first();
    let (status, reason) = encode_status(choice.and_then(|c| c.stop_reason.as_ref()), losses);
    let base = id.strip_prefix("resp_").unwrap_or(id);

    let mut output = Vec::new();
    if let Some(c) = choice {
        let ir::Choice {
            content,
            stop_reason: _,
            stop_sequence,
            logprobs,
        } = c;
        if stop_sequence.is_some() {
            losses.dropped(
                "stop_sequence",
                "Responses does not report the stop sequence",
            );
        }
        if logprobs.is_some() {
            losses.dropped("logprobs", "log probabilities are not carried across APIs");
        }
        let item_status = if status == "incomplete" {
            "incomplete"
        } else {
            "completed"
        };
        encode_output(content, base, item_status, &mut output, losses);
    }

    let mut rest: Rest<'_> = Vec::new();
    let mut error = None;
    if extra.api == Some(Api::OpenAiResponses) {
        for (k, v) in &extra.fields {
            match k.as_str() {
                "error" => error = Some(*v),
                _ => rest.push((k.reborrow(), *v)),
            }
        }
    } else {
        losses.extra_dropped(extra, Api::OpenAiResponses);
        for (k, v) in DEFAULT_FIELDS {
            if let Ok(v) = Raw::parse(v) {
                rest.push((Str::borrowed(k), v));
            }
        }
    }

    let body = ResponseBody {
        id: id.reborrow(),
        object: Str::borrowed("response"),
        created_at: Some(Timestamp(created.unwrap_or(meta.created))),
        status: Some(Str::borrowed(status)),
        error: Nullable(error),
        incomplete_details: Nullable(reason.map(|r| IncompleteDetails {
            reason: Some(Str::borrowed(r)),
        })),
        model: if model.is_empty() {
            meta.model.reborrow()
        } else {
            model.reborrow()
        },
        output: List(output),
        previous_response_id: previous_response_id.as_ref().map(Str::reborrow),
        service_tier: service_tier.as_ref().map(Str::reborrow),
        usage: usage.as_ref().map(usage_to_wire),
        rest,
    };
    to_json(&body)
}

/// The response `status` and `incomplete_details.reason` for a stop reason.
pub(super) fn encode_status(
    reason: Option<&StopReason<'_>>,
    losses: &mut Losses,
) -> (&'static str, Option<&'static str>) {
    match reason {
        None | Some(StopReason::EndTurn | StopReason::ToolUse) => ("completed", None),
        Some(StopReason::MaxTokens) => ("incomplete", Some("max_output_tokens")),
        Some(StopReason::ContentFilter) => ("incomplete", Some("content_filter")),
        Some(StopReason::ContextWindowExceeded) => {
            losses.approximated(
                "stop_reason",
                "context window exhaustion reported as max_output_tokens",
            );
            ("incomplete", Some("max_output_tokens"))
        }
        Some(StopReason::Other(r)) if r.as_str() == "failed" => ("failed", None),
        Some(StopReason::Other(r)) if r.as_str() == "cancelled" => ("cancelled", None),
        Some(
            StopReason::StopSequence
            | StopReason::Refusal
            | StopReason::PauseTurn
            | StopReason::Other(_),
        ) => {
            losses.approximated("stop_reason", "reported as a completed response");
            ("completed", None)
        }
    }
}

/// Output items for the assistant blocks: consecutive text and refusals form one message.
fn encode_output<'x>(
    content: &'x [Block<'_>],
    base: &str,
    item_status: &'static str,
    output: &mut Vec<Item<'x>>,
    losses: &mut Losses,
) {
    let mut parts: Vec<Parsed<'x, PartFields<'x>>> = Vec::new();
    let empty = Raw::parse("[]").ok();
    let flush = |parts: &mut Vec<Parsed<'x, PartFields<'x>>>, output: &mut Vec<Item<'x>>| {
        if parts.is_empty() {
            return;
        }
        let n = output.len();
        output.push(Parsed::new(ItemFields {
            kind: Some(Str::borrowed("message")),
            id: Some(Str::from(format!("msg_{base}_{n}"))),
            status: Some(Str::borrowed(item_status)),
            role: Some(Str::borrowed("assistant")),
            content: Some(StrOr::Other(std::mem::take(parts))),
            ..ItemFields::default()
        }));
    };
    for (bi, block) in content.iter().enumerate() {
        match block {
            Block::Text { text } => parts.push(Parsed::new(PartFields {
                annotations: empty,
                ..PartFields::text("output_text", text.reborrow())
            })),
            Block::Refusal { text } => parts.push(Parsed::new(PartFields {
                kind: Str::borrowed("refusal"),
                refusal: Some(text.reborrow()),
                ..PartFields::default()
            })),
            Block::ToolCall {
                id,
                name,
                arguments,
                kind,
            } => {
                flush(&mut parts, output);
                let n = output.len();
                let mut f = tool_call_fields(id, name, arguments, *kind);
                f.id = Some(Str::from(format!("fc_{base}_{n}")));
                f.status = Some(Str::borrowed("completed"));
                output.push(Parsed::new(f));
            }
            Block::Thinking {
                text,
                signature,
                id,
                origin,
            } => {
                flush(&mut parts, output);
                let n = output.len();
                let mut f = reasoning_fields(text, signature, id);
                if f.id.is_none() {
                    f.id = Some(Str::from(format!("rs_{base}_{n}")));
                }
                if origin.family() != Api::OpenAiResponses.family() && signature.is_some() {
                    losses.dropped(
                        format!("content[{bi}].signature"),
                        "reasoning signature of another model family",
                    );
                    f.encrypted_content = None;
                }
                output.push(Parsed::new(f));
            }
            Block::Unknown {
                origin: Api::OpenAiResponses,
                raw,
            } => {
                flush(&mut parts, output);
                output.push(Parsed {
                    raw: Some(*raw),
                    value: ItemFields::default(),
                });
            }
            _ => losses.dropped(format!("content[{bi}]"), "not valid in a Responses output"),
        }
    }
    flush(&mut parts, output);
}
