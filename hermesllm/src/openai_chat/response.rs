//! The response object (`chat.completion`), usage and finish reasons, both ways.

#[cfg(test)]
use super::message_encode::{append, tool_call_wire};
use super::request::extra_of;
use super::response_write::write_response;
#[cfg(test)]
use super::types::Content;
use super::types::{ChatMessage, StrOr, ToolCallWire};
use crate::ir::{self, Block, StopReason, Usage};
use crate::wire::from_json;
#[cfg(test)]
use crate::wire::to_json;
use crate::{Api, DecodeError, EncodeError, Losses, Raw, ResponseMeta, Str, open_object};

open_object! {
    /// The response body of a non-streaming chat completion.
    pub struct ChatResponse<'a> {
        "id" => pub id: Str<'a>,
        "object" => pub object: Str<'a>,
        "created" => pub created: Option<u64>,
        "model" => pub model: Str<'a>,
        "choices" => pub choices: Vec<ResponseChoice<'a>>,
        "usage" => pub usage: Option<UsageWire>,
        "system_fingerprint" => pub system_fingerprint: Option<Str<'a>>,
        "service_tier" => pub service_tier: Option<Str<'a>>,
    }
}

/// One choice of a response.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ResponseChoice<'a> {
    /// Position among the choices.
    #[serde(default)]
    pub index: u32,
    /// The assistant message.
    #[serde(borrow, default)]
    pub message: ChatMessage<'a>,
    /// `stop`, `length`, `tool_calls`, `content_filter`, `function_call` (always written).
    #[serde(borrow, default)]
    pub finish_reason: Option<Str<'a>>,
    /// Log probabilities, raw (always written, `null` when absent).
    #[serde(borrow, default)]
    pub logprobs: Option<Raw<'a>>,
}

/// `usage` of a response or of the final stream chunk.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct UsageWire {
    /// All prompt tokens, cached ones included.
    #[serde(default)]
    pub prompt_tokens: u64,
    /// All generated tokens, reasoning included.
    #[serde(default)]
    pub completion_tokens: u64,
    /// Prompt plus completion.
    #[serde(default)]
    pub total_tokens: u64,
    /// Breakdown of the prompt tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_tokens_details: Option<PromptDetails>,
    /// Breakdown of the completion tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_tokens_details: Option<CompletionDetails>,
}

/// `usage.prompt_tokens_details`.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PromptDetails {
    /// Prompt tokens read from the cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_tokens: Option<u64>,
}

/// `usage.completion_tokens_details`.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CompletionDetails {
    /// Tokens spent on reasoning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_tokens: Option<u64>,
}

/// OpenAI usage → IR usage. The conventions already match: `prompt_tokens` includes cached
/// tokens and `completion_tokens` includes reasoning tokens. OpenAI does not report cache
/// writes.
pub(super) fn usage_to_ir(u: &UsageWire) -> Usage {
    Usage {
        input_tokens: u.prompt_tokens,
        output_tokens: u.completion_tokens,
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

/// IR usage → OpenAI usage. Cache writes stay counted in `prompt_tokens` (the IR includes
/// them in `input_tokens`) but have no field of their own, which is recorded.
pub(super) fn usage_from_ir(u: &Usage, losses: &mut Losses) -> UsageWire {
    let Usage {
        input_tokens,
        output_tokens,
        cache_read_input_tokens,
        cache_write_input_tokens,
        reasoning_tokens,
    } = *u;
    if cache_write_input_tokens > 0 {
        losses.approximated(
            "usage.cache_write_input_tokens",
            "counted in prompt_tokens; Chat Completions has no field for cache writes",
        );
    }
    UsageWire {
        prompt_tokens: input_tokens,
        completion_tokens: output_tokens,
        total_tokens: u.total_tokens(),
        prompt_tokens_details: Some(PromptDetails {
            cached_tokens: Some(cache_read_input_tokens),
        }),
        completion_tokens_details: Some(CompletionDetails {
            reasoning_tokens: Some(reasoning_tokens),
        }),
    }
}

/// `finish_reason` → IR. OpenAI reports a matched stop sequence as `stop`, so `stop` is
/// [`StopReason::EndTurn`]; the legacy `function_call` is [`StopReason::ToolUse`].
pub(super) fn finish_to_ir(reason: Str<'_>) -> StopReason<'_> {
    match reason.as_str() {
        "stop" => StopReason::EndTurn,
        "length" => StopReason::MaxTokens,
        "tool_calls" | "function_call" => StopReason::ToolUse,
        "content_filter" => StopReason::ContentFilter,
        _ => StopReason::Other(reason),
    }
}

/// IR → `finish_reason`, recording reasons Chat Completions has no word for at `path`.
pub(super) fn finish_from_ir(
    reason: &StopReason<'_>,
    path: impl FnOnce() -> String,
    losses: &mut Losses,
) -> &'static str {
    let (s, exact) = match reason {
        StopReason::EndTurn | StopReason::StopSequence => ("stop", true),
        StopReason::MaxTokens => ("length", true),
        StopReason::ToolUse => ("tool_calls", true),
        StopReason::ContentFilter => ("content_filter", true),
        StopReason::Refusal => ("content_filter", false),
        StopReason::ContextWindowExceeded => ("length", false),
        StopReason::PauseTurn | StopReason::Other(_) => ("stop", false),
    };
    if !exact {
        losses.approximated(path(), format!("stop reason {reason:?} reported as {s}"));
    }
    s
}

/// Decodes a `chat.completion` response body.
///
/// Each choice's message becomes blocks in this order: reasoning (`reasoning_content`, as
/// thinking from this API), text, refusal, tool calls.
///
/// # Errors
/// Malformed JSON.
pub fn decode_response(body: &[u8]) -> Result<ir::Response<'_>, DecodeError> {
    let w: ChatResponse<'_> = from_json(body)?;
    let ChatResponse {
        id,
        object: _,
        created,
        model,
        choices,
        usage,
        system_fingerprint,
        service_tier,
        rest,
    } = w;
    let choices = choices
        .into_iter()
        .map(|c| ir::Choice {
            content: message_blocks(c.message),
            stop_reason: c.finish_reason.map(finish_to_ir),
            stop_sequence: None,
            logprobs: c.logprobs.filter(|l| !l.is_null()),
        })
        .collect();
    Ok(ir::Response {
        id,
        model,
        created,
        choices,
        usage: usage.as_ref().map(usage_to_ir),
        system_fingerprint,
        service_tier,
        previous_response_id: None,
        extra: extra_of(rest),
    })
}

fn message_blocks(m: ChatMessage<'_>) -> Vec<Block<'_>> {
    let mut blocks = Vec::new();
    if let Some(text) = m
        .reasoning_content
        .or(m.reasoning)
        .filter(|t| !t.is_empty())
    {
        blocks.push(Block::Thinking {
            text,
            signature: None,
            id: None,
            origin: Api::OpenAiChat,
        });
    }
    match m.content {
        Some(StrOr::Str(text)) if !text.is_empty() => blocks.push(Block::Text { text }),
        Some(StrOr::Other(parts)) => {
            for p in parts {
                match (p.text, p.refusal) {
                    (Some(text), _) => blocks.push(Block::Text { text }),
                    (None, Some(text)) => blocks.push(Block::Refusal { text }),
                    (None, None) => {}
                }
            }
        }
        _ => {}
    }
    if let Some(text) = m.refusal {
        blocks.push(Block::Refusal { text });
    }
    for c in m.tool_calls.into_iter().flatten() {
        blocks.push(response_tool_call(c));
    }
    if let Some(fc) = m.function_call.map(|f| *f) {
        let name = fc.name.unwrap_or_default();
        blocks.push(Block::ToolCall {
            id: name.clone(),
            name,
            arguments: fc.arguments.unwrap_or_default(),
            kind: ir::ToolCallKind::Function,
        });
    }
    blocks
}

fn response_tool_call(c: ToolCallWire<'_>) -> Block<'_> {
    let id = c.id.unwrap_or_default();
    match (c.function, c.custom) {
        (None, Some(cu)) => Block::ToolCall {
            id,
            name: cu.name.unwrap_or_default(),
            arguments: cu.input.unwrap_or_default(),
            kind: ir::ToolCallKind::Custom,
        },
        (f, _) => {
            let f = f.unwrap_or_default();
            Block::ToolCall {
                id,
                name: f.name.unwrap_or_default(),
                arguments: f.arguments.unwrap_or_default(),
                kind: ir::ToolCallKind::Function,
            }
        }
    }
}

/// Encodes a response as a `chat.completion` body.
///
/// Text blocks of a choice are concatenated into `content`; thinking text of any origin is
/// returned as the de-facto `reasoning_content` field (its signature is dropped and
/// recorded). Missing id, model and creation time come from `meta`.
///
/// The body is written directly, byte for byte what serde_json writes for the
/// `ChatResponse` wire type.
///
/// # Errors
/// Never in practice.
pub fn encode_response(
    resp: &ir::Response<'_>,
    meta: &ResponseMeta<'_>,
    losses: &mut Losses,
) -> Result<Vec<u8>, EncodeError> {
    Ok(write_response(resp, meta, losses))
}

/// [`encode_response`] through the wire types and serde: the reference the direct writer is
/// tested against.
#[cfg(test)]
pub(super) fn encode_response_wire(
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
    if previous_response_id.is_some() {
        losses.dropped(
            "previous_response_id",
            "Chat Completions responses have none",
        );
    }
    let mut wire_choices = Vec::with_capacity(choices.len().max(1));
    for (k, c) in choices.iter().enumerate() {
        let ir::Choice {
            content,
            stop_reason,
            stop_sequence,
            logprobs,
        } = c;
        if stop_sequence.is_some() {
            losses.dropped(
                format!("choices[{k}].stop_sequence"),
                "Chat Completions does not say which stop sequence matched",
            );
        }
        wire_choices.push(ResponseChoice {
            index: u32::try_from(k).unwrap_or(u32::MAX),
            message: response_message(k, content, losses),
            finish_reason: stop_reason.as_ref().map(|r| {
                Str::borrowed(finish_from_ir(
                    r,
                    || format!("choices[{k}].stop_reason"),
                    losses,
                ))
            }),
            logprobs: *logprobs,
        });
    }
    if wire_choices.is_empty() {
        // The API always has at least one choice.
        wire_choices.push(ResponseChoice {
            message: ChatMessage {
                role: Str::borrowed("assistant"),
                ..ChatMessage::default()
            },
            ..ResponseChoice::default()
        });
    }
    let mut rest = Vec::new();
    if extra.api == Some(Api::OpenAiChat) {
        rest.extend(extra.fields.iter().map(|(k, v)| (k.reborrow(), *v)));
    } else {
        losses.extra_dropped(extra, Api::OpenAiChat);
    }
    let wire = ChatResponse {
        id: if id.is_empty() {
            meta.id.reborrow()
        } else {
            id.reborrow()
        },
        object: Str::borrowed("chat.completion"),
        created: Some(created.unwrap_or(meta.created)),
        model: if model.is_empty() {
            meta.model.reborrow()
        } else {
            model.reborrow()
        },
        choices: wire_choices,
        usage: usage.as_ref().map(|u| usage_from_ir(u, losses)),
        system_fingerprint: system_fingerprint.as_ref().map(Str::reborrow),
        service_tier: service_tier.as_ref().map(Str::reborrow),
        rest,
    };
    to_json(&wire)
}

#[cfg(test)]
fn response_message<'x>(
    k: usize,
    content: &'x [Block<'_>],
    losses: &mut Losses,
) -> ChatMessage<'x> {
    let mut text: Option<Str<'x>> = None;
    let mut refusal: Option<Str<'x>> = None;
    let mut reasoning: Option<Str<'x>> = None;
    let mut calls = Vec::new();
    for (j, b) in content.iter().enumerate() {
        let path = || format!("choices[{k}].content[{j}]");
        match b {
            Block::Text { text: t } => append(&mut text, t),
            Block::Refusal { text: t } => append(&mut refusal, t),
            Block::Thinking {
                text: t, signature, ..
            } => {
                if signature.is_some() {
                    losses.dropped(
                        format!("{}.signature", path()),
                        "Chat Completions carries no reasoning signatures",
                    );
                }
                if !t.is_empty() {
                    append(&mut reasoning, t);
                }
            }
            Block::ToolCall {
                id,
                name,
                arguments,
                kind,
            } => calls.push(tool_call_wire(id, name, arguments, *kind)),
            _ => losses.dropped(path(), "not representable in a Chat Completions message"),
        }
    }
    ChatMessage {
        role: Str::borrowed("assistant"),
        content: text.map(StrOr::Str as fn(Str<'x>) -> Content<'x>),
        refusal,
        reasoning_content: reasoning,
        tool_calls: Some(calls).filter(|c| !c.is_empty()),
        ..ChatMessage::default()
    }
}
