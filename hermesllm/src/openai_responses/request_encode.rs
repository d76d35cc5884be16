//! IR → request body.

use super::content::encode_input_part;
use super::types::{
    FormatW, Item, ItemFields, Parsed, PartFields, ReasoningW, RequestBody, StrOr, TextConfig,
    ToolChoiceObj, ToolChoiceW, ToolFields,
};
use crate::ir::{self, Block, Message, Role, ToolCallKind};
use crate::wire::{Rest, to_json};
use crate::{Api, EncodeError, Losses, Raw, Str};

/// Encodes a request as a `POST /v1/responses` body.
///
/// The first system text becomes `instructions`, further ones leading `system` messages.
/// Not carried (recorded in `losses`): stop sequences, `n > 1`, `top_k`, `seed`, penalties,
/// cache markers, message names, tool-result error flags, thinking from other model
/// families, audio, Gemini safety settings, and extra fields of other APIs. Functions
/// without an explicit `strict` are sent with `strict: false`, because Responses would
/// otherwise enforce strict schemas that requests from other APIs were not written for.
///
/// # Errors
/// Never in practice (serialization of the wire types cannot fail).
pub fn encode_request(req: &ir::Request<'_>, losses: &mut Losses) -> Result<Vec<u8>, EncodeError> {
    let ir::Request {
        model,
        system,
        messages,
        tools,
        tool_choice,
        parallel_tool_calls,
        sampling,
        max_output_tokens,
        stop,
        n,
        response_format,
        reasoning,
        stream,
        stream_include_usage: _, // Responses streams always carry usage.
        logprobs,
        top_logprobs,
        user,
        metadata,
        previous_response_id,
        store,
        safety_settings,
        extra,
    } = req;
    let ir::Sampling {
        temperature,
        top_p,
        top_k,
        seed,
        frequency_penalty,
        presence_penalty,
    } = *sampling;

    let mut items: Vec<Item<'_>> = Vec::with_capacity(messages.len() + 2);
    let instructions = encode_system(system, &mut items, losses);
    for (mi, msg) in messages.iter().enumerate() {
        encode_message(msg, mi, messages, &mut items, losses);
    }

    let mut rest: Rest<'_> = Vec::new();
    let mut text_rest: Rest<'_> = Vec::new();
    match extra.api {
        Some(Api::OpenAiResponses) => {
            for (key, value) in &extra.fields {
                match key.strip_prefix("text.") {
                    Some(sub) => text_rest.push((Str::borrowed(sub), *value)),
                    None => rest.push((key.reborrow(), *value)),
                }
            }
        }
        _ => losses.extra_dropped(extra, Api::OpenAiResponses),
    }

    if logprobs == &Some(true)
        && !rest.iter().any(|(k, _)| k.as_str() == "include")
        && let Ok(include) = Raw::parse(r#"["message.output_text.logprobs"]"#)
    {
        rest.push((Str::borrowed("include"), include));
    }
    for (value, name) in [
        (top_k.is_some(), "top_k"),
        (seed.is_some(), "seed"),
        (frequency_penalty.is_some(), "frequency_penalty"),
        (presence_penalty.is_some(), "presence_penalty"),
        (!stop.is_empty(), "stop"),
        (n.is_some_and(|n| n > 1), "n"),
        (safety_settings.is_some(), "safety_settings"),
    ] {
        if value {
            losses.dropped(name, "not supported by the Responses API");
        }
    }

    let format = response_format.as_ref().map(encode_format);
    let text = (format.is_some() || !text_rest.is_empty()).then_some(TextConfig {
        format,
        rest: text_rest,
    });

    let body = RequestBody {
        model: model.reborrow(),
        instructions,
        input: (!items.is_empty()).then_some(StrOr::Other(items)),
        tools: tools
            .iter()
            .enumerate()
            .filter_map(|(i, t)| encode_tool(t, i, losses))
            .collect(),
        tool_choice: tool_choice
            .as_ref()
            .map(|c| Parsed::new(encode_tool_choice(c, tools))),
        parallel_tool_calls: *parallel_tool_calls,
        temperature,
        top_p,
        max_output_tokens: *max_output_tokens,
        text,
        reasoning: reasoning.as_ref().and_then(|r| encode_reasoning(r, losses)),
        stream: stream.then_some(true),
        top_logprobs: *top_logprobs,
        user: user.as_ref().map(Str::reborrow),
        metadata: *metadata,
        previous_response_id: previous_response_id.as_ref().map(Str::reborrow),
        store: *store,
        rest,
    };
    to_json(&body)
}

/// Returns `instructions` and pushes further system texts as leading `system` messages.
fn encode_system<'x>(
    system: &'x [Block<'_>],
    items: &mut Vec<Item<'x>>,
    losses: &mut Losses,
) -> Option<Str<'x>> {
    let mut instructions = None;
    for (i, block) in system.iter().enumerate() {
        match block {
            Block::Text { text } if instructions.is_none() => instructions = Some(text.reborrow()),
            Block::Text { text } => items.push(message_item("system", StrOr::Str(text.reborrow()))),
            Block::CachePoint(_) => losses.dropped(
                format!("system[{i}]"),
                "Responses has no cache markers (prompt caching is automatic)",
            ),
            _ => losses.dropped(
                format!("system[{i}]"),
                "only text is allowed in instructions",
            ),
        }
    }
    instructions
}

fn message_item<'x>(
    role: &'static str,
    content: StrOr<'x, Vec<Parsed<'x, PartFields<'x>>>>,
) -> Item<'x> {
    Parsed::new(ItemFields {
        kind: Some(Str::borrowed("message")),
        role: Some(Str::borrowed(role)),
        content: Some(content),
        ..ItemFields::default()
    })
}

/// Pending content parts of one message item, written when a non-content item interrupts
/// them or the message ends.
struct Pending<'x> {
    role: &'static str,
    parts: Vec<Parsed<'x, PartFields<'x>>>,
}

impl<'x> Pending<'x> {
    fn flush(&mut self, items: &mut Vec<Item<'x>>) {
        if self.parts.is_empty() {
            return;
        }
        let mut parts = std::mem::take(&mut self.parts);
        // A single plain text part takes the short string form.
        let single_text = parts.len() == 1
            && parts.first().is_some_and(|p| {
                p.raw.is_none()
                    && matches!(p.value.kind.as_str(), "input_text" | "output_text")
                    && p.value.annotations.is_none()
            });
        let content = match parts.pop() {
            Some(p) if single_text => StrOr::Str(p.value.text.unwrap_or_default()),
            Some(p) => {
                parts.push(p);
                StrOr::Other(parts)
            }
            None => return,
        };
        items.push(message_item(self.role, content));
    }
}

fn encode_message<'x>(
    msg: &'x Message<'_>,
    mi: usize,
    all: &'x [Message<'_>],
    items: &mut Vec<Item<'x>>,
    losses: &mut Losses,
) {
    let Message {
        role,
        content,
        name,
    } = msg;
    if name.is_some() {
        losses.dropped(
            format!("messages[{mi}].name"),
            "Responses messages have no name",
        );
    }
    let mut pending = Pending {
        role: match role {
            Role::System => "system",
            Role::User | Role::Tool => "user",
            Role::Assistant => "assistant",
        },
        parts: Vec::new(),
    };
    let assistant = *role == Role::Assistant;
    for (bi, block) in content.iter().enumerate() {
        let path = || format!("messages[{mi}].content[{bi}]");
        match block {
            Block::ToolResult {
                call_id,
                name: _,
                content,
                is_error,
            } => {
                pending.flush(items);
                if *is_error {
                    losses.dropped(
                        format!("{}.is_error", path()),
                        "Responses tool outputs have no error flag",
                    );
                }
                items.push(tool_output_item(call_id, content, all, &path, losses));
            }
            Block::ToolCall {
                id,
                name,
                arguments,
                kind,
            } => {
                pending.flush(items);
                items.push(Parsed::new(tool_call_fields(id, name, arguments, *kind)));
            }
            Block::Thinking {
                text,
                signature,
                id,
                origin,
            } => {
                if *origin != Api::OpenAiResponses {
                    losses.dropped(path(), "reasoning from another API cannot be replayed");
                    continue;
                }
                pending.flush(items);
                items.push(Parsed::new(reasoning_fields(text, signature, id)));
            }
            Block::RedactedThinking { .. } => {
                losses.dropped(path(), "encrypted reasoning of another model family");
            }
            Block::Unknown {
                origin: Api::OpenAiResponses,
                raw,
            } if !is_part(raw) => {
                pending.flush(items);
                items.push(Parsed {
                    raw: Some(*raw),
                    value: ItemFields::default(),
                });
            }
            Block::Text { text } if assistant => pending.parts.push(Parsed::new(PartFields::text(
                "output_text",
                text.reborrow(),
            ))),
            Block::Refusal { text } if assistant => pending.parts.push(Parsed::new(PartFields {
                kind: Str::borrowed("refusal"),
                refusal: Some(text.reborrow()),
                ..PartFields::default()
            })),
            Block::Unknown {
                origin: Api::OpenAiResponses,
                raw,
            } => pending.parts.push(Parsed {
                raw: Some(*raw),
                value: PartFields::default(),
            }),
            _ if assistant => losses.dropped(path(), "not valid in a Responses assistant message"),
            _ => {
                if let Some(part) = encode_input_part(block, &path, losses) {
                    pending.parts.push(part);
                }
            }
        }
    }
    pending.flush(items);
}

/// Whether an unknown Responses block is a content part rather than an item: part types
/// are the `input_*` family (items never start with `input_`).
fn is_part(raw: &Raw<'_>) -> bool {
    #[derive(serde::Deserialize)]
    struct Kind<'a> {
        #[serde(rename = "type", borrow, default)]
        kind: Str<'a>,
    }
    serde_json::from_str::<Kind<'_>>(raw.get()).is_ok_and(|k| k.kind.starts_with("input_"))
}

pub(super) fn tool_call_fields<'x>(
    id: &'x Str<'_>,
    name: &'x Str<'_>,
    arguments: &'x Str<'_>,
    kind: ToolCallKind,
) -> ItemFields<'x> {
    let custom = kind == ToolCallKind::Custom;
    ItemFields {
        kind: Some(Str::borrowed(if custom {
            "custom_tool_call"
        } else {
            "function_call"
        })),
        call_id: Some(id.reborrow()),
        name: Some(name.reborrow()),
        arguments: (!custom).then(|| arguments.reborrow()),
        input: custom.then(|| arguments.reborrow()),
        ..ItemFields::default()
    }
}

pub(super) fn reasoning_fields<'x>(
    text: &'x Str<'_>,
    signature: &'x Option<Str<'_>>,
    id: &'x Option<Str<'_>>,
) -> ItemFields<'x> {
    ItemFields {
        kind: Some(Str::borrowed("reasoning")),
        id: id.as_ref().map(Str::reborrow),
        summary: Some(if text.is_empty() {
            Vec::new()
        } else {
            vec![PartFields::text("summary_text", text.reborrow())]
        }),
        encrypted_content: signature.as_ref().map(Str::reborrow),
        ..ItemFields::default()
    }
}

fn tool_output_item<'x>(
    call_id: &'x Str<'_>,
    content: &'x [Block<'_>],
    all: &'x [Message<'_>],
    path: &dyn Fn() -> String,
    losses: &mut Losses,
) -> Item<'x> {
    // Custom tool calls are answered with `custom_tool_call_output`.
    let custom = all.iter().flat_map(|m| &m.content).any(
        |b| matches!(b, Block::ToolCall { id, kind: ToolCallKind::Custom, .. } if id == call_id),
    );
    let output = match content {
        [] => StrOr::Str(Str::default()),
        [Block::Text { text }] => StrOr::Str(text.reborrow()),
        blocks => StrOr::Other(
            blocks
                .iter()
                .enumerate()
                .filter_map(|(k, b)| {
                    encode_input_part(b, &|| format!("{}.content[{k}]", path()), losses)
                })
                .collect(),
        ),
    };
    Parsed::new(ItemFields {
        kind: Some(Str::borrowed(if custom {
            "custom_tool_call_output"
        } else {
            "function_call_output"
        })),
        call_id: Some(call_id.reborrow()),
        output: Some(output),
        ..ItemFields::default()
    })
}

fn encode_tool<'x>(
    tool: &'x ir::Tool<'_>,
    i: usize,
    losses: &mut Losses,
) -> Option<Parsed<'x, ToolFields<'x>>> {
    let ir::Tool {
        name,
        description,
        kind,
        cache,
    } = tool;
    if cache.is_some() {
        losses.dropped(
            format!("tools[{i}].cache_control"),
            "Responses has no cache markers (prompt caching is automatic)",
        );
    }
    let fields = match kind {
        ir::ToolKind::Function { parameters, strict } => ToolFields {
            kind: Str::borrowed("function"),
            name: Some(name.reborrow()),
            description: description.as_ref().map(Str::reborrow),
            parameters: *parameters,
            strict: Some(strict.unwrap_or(false)),
            format: None,
        },
        ir::ToolKind::Custom { format } => ToolFields {
            kind: Str::borrowed("custom"),
            name: Some(name.reborrow()),
            description: description.as_ref().map(Str::reborrow),
            parameters: None,
            strict: None,
            format: *format,
        },
        ir::ToolKind::Builtin {
            origin: Api::OpenAiResponses,
            raw,
        } => {
            return Some(Parsed {
                raw: Some(*raw),
                value: ToolFields::default(),
            });
        }
        ir::ToolKind::Builtin { .. } => {
            losses.dropped(format!("tools[{i}]"), "built-in tool of another provider");
            return None;
        }
    };
    Some(Parsed::new(fields))
}

fn encode_tool_choice<'x>(
    choice: &'x ir::ToolChoice<'_>,
    tools: &[ir::Tool<'_>],
) -> ToolChoiceW<'x> {
    let tool_ref = |name: &'x Str<'_>| {
        let custom = tools
            .iter()
            .any(|t| t.name == *name && matches!(t.kind, ir::ToolKind::Custom { .. }));
        ToolChoiceObj {
            kind: Str::borrowed(if custom { "custom" } else { "function" }),
            name: Some(name.reborrow()),
            ..ToolChoiceObj::default()
        }
    };
    match choice {
        ir::ToolChoice::Auto => ToolChoiceW::Mode(Str::borrowed("auto")),
        ir::ToolChoice::None => ToolChoiceW::Mode(Str::borrowed("none")),
        ir::ToolChoice::Required => ToolChoiceW::Mode(Str::borrowed("required")),
        ir::ToolChoice::Tool { name } => ToolChoiceW::Object(tool_ref(name)),
        ir::ToolChoice::Allowed { names, required } => ToolChoiceW::Object(ToolChoiceObj {
            kind: Str::borrowed("allowed_tools"),
            name: None,
            mode: Some(Str::borrowed(if *required { "required" } else { "auto" })),
            tools: Some(names.iter().map(tool_ref).collect()),
        }),
    }
}

fn encode_format<'x>(format: &'x ir::ResponseFormat<'_>) -> FormatW<'x> {
    let kind = |k: &'static str| FormatW {
        kind: Str::borrowed(k),
        ..FormatW::default()
    };
    match format {
        ir::ResponseFormat::Text => kind("text"),
        ir::ResponseFormat::JsonObject => kind("json_object"),
        ir::ResponseFormat::JsonSchema {
            name,
            description,
            schema,
            strict,
        } => FormatW {
            kind: Str::borrowed("json_schema"),
            // The API requires a name.
            name: Some(
                name.as_ref()
                    .map_or(Str::borrowed("response"), Str::reborrow),
            ),
            description: description.as_ref().map(Str::reborrow),
            schema: Some(*schema),
            strict: *strict,
        },
    }
}

fn encode_reasoning<'x>(r: &'x ir::Reasoning<'_>, losses: &mut Losses) -> Option<ReasoningW<'x>> {
    let ir::Reasoning {
        enabled,
        effort,
        budget_tokens,
        summary,
        include_thoughts,
    } = r;
    let effort = match (effort, budget_tokens, enabled) {
        (Some(e), _, _) => Some(*e),
        (None, Some(b), _) => {
            losses.approximated(
                "reasoning.budget_tokens",
                "thinking budget mapped to an effort",
            );
            Some(ir::Effort::from_budget(*b))
        }
        (None, None, Some(false)) => {
            losses.approximated(
                "reasoning.enabled",
                "disabled thinking sent as the lowest effort (`none`)",
            );
            Some(ir::Effort::None)
        }
        (None, None, _) => None,
    };
    let summary = match (summary, include_thoughts) {
        (Some(s), _) => Some(s.reborrow()),
        (None, Some(true)) => {
            losses.approximated(
                "reasoning.include_thoughts",
                "thoughts sent as `summary: auto`",
            );
            Some(Str::borrowed("auto"))
        }
        (None, _) => None,
    };
    Some(ReasoningW {
        effort: effort.map(|e| Str::borrowed(e.as_str())),
        summary,
    })
}
