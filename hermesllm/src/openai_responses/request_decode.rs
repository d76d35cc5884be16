//! Request body → IR.

use super::content::decode_part;
use super::types::{
    FormatW, Item, ItemFields, Parsed, PartFields, ReasoningW, RequestBody, StrOr, TextConfig,
    ToolChoiceW, ToolFields,
};
use crate::ir::{self, Block, Message, Role, ToolCallKind};
use crate::wire::from_json;
use crate::{Api, DecodeError, RequestMeta, Str};

/// Decodes a `POST /v1/responses` body.
///
/// `instructions` and leading `system`/`developer` messages become the system prompt;
/// consecutive model items (assistant messages, reasoning, function calls) form one
/// assistant turn; each tool output is a [`Role::Tool`] message. Item types the IR does not
/// model become [`Block::Unknown`]. A function tool without `strict` decodes as
/// `strict: Some(true)`, the Responses API's documented default.
///
/// # Errors
/// Malformed JSON, missing `model`, unknown roles, items missing required fields, unknown
/// `reasoning.effort` or `text.format.type`.
pub fn decode_request<'a>(
    body: &'a [u8],
    meta: &RequestMeta<'a>,
) -> Result<ir::Request<'a>, DecodeError> {
    let RequestBody {
        model,
        instructions,
        input,
        tools,
        tool_choice,
        parallel_tool_calls,
        temperature,
        top_p,
        max_output_tokens,
        text,
        reasoning,
        stream,
        top_logprobs,
        user,
        metadata,
        previous_response_id,
        store,
        rest,
    } = from_json(body)?;

    let model = match (model.is_empty(), &meta.model) {
        (false, _) => model,
        (true, Some(m)) => m.clone(),
        (true, None) => return Err(DecodeError::invalid("model", "`model` is required")),
    };
    let mut extra = rest;
    let logprobs = extra
        .iter()
        .find(|(k, _)| k.as_str() == "include")
        .filter(|(_, v)| v.get().contains("\"message.output_text.logprobs\""))
        .map(|_| true);

    let mut system = Vec::new();
    if let Some(text) = instructions {
        system.push(Block::Text { text });
    }
    let messages = match input {
        None => Vec::new(),
        Some(StrOr::Str(text)) => vec![Message::text(Role::User, text)],
        Some(StrOr::Other(items)) => decode_items(items, &mut system)?,
    };

    let tools = tools
        .into_iter()
        .enumerate()
        .map(|(i, t)| decode_tool(t, i))
        .collect::<Result<Vec<_>, _>>()?;

    let tool_choice = match tool_choice {
        None => None,
        Some(Parsed { raw, value }) => match decode_tool_choice(value)? {
            Some(choice) => Some(choice),
            None => {
                // A built-in tool choice (`{"type": "web_search_preview"}`, `mcp`, ...): the
                // IR has no variant for it, so it travels as an extra field.
                if let Some(raw) = raw {
                    extra.push((Str::borrowed("tool_choice"), raw));
                }
                None
            }
        },
    };

    let response_format = match text {
        None => None,
        Some(TextConfig { format, rest }) => {
            for (key, value) in rest {
                extra.push((Str::from(format!("text.{key}")), value));
            }
            format.map(decode_format).transpose()?
        }
    };

    let reasoning = reasoning.map(decode_reasoning).transpose()?;

    Ok(ir::Request {
        model,
        system,
        messages,
        tools,
        tool_choice,
        parallel_tool_calls,
        sampling: ir::Sampling {
            temperature,
            top_p,
            ..ir::Sampling::default()
        },
        max_output_tokens,
        stop: Vec::new(),
        n: None,
        response_format,
        reasoning,
        stream: stream.unwrap_or(false),
        stream_include_usage: None,
        logprobs,
        top_logprobs,
        user,
        metadata,
        previous_response_id,
        store,
        safety_settings: None,
        extra: ir::Extra {
            api: (!extra.is_empty()).then_some(Api::OpenAiResponses),
            fields: extra,
        },
    })
}

/// Decodes input items into messages, moving leading system/developer messages to `system`.
fn decode_items<'a>(
    items: Vec<Item<'a>>,
    system: &mut Vec<Block<'a>>,
) -> Result<Vec<Message<'a>>, DecodeError> {
    let mut messages: Vec<Message<'a>> = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let Parsed { raw, value } = item;
        let ItemFields {
            kind,
            id,
            status: _,
            role,
            content,
            call_id,
            name,
            arguments,
            input,
            output,
            summary,
            encrypted_content,
        } = value;
        let path = |field: &str| format!("input[{i}].{field}");
        let need = |v: Option<Str<'a>>, field: &str| {
            v.ok_or_else(|| DecodeError::invalid(path(field), format!("`{field}` is required")))
        };
        match kind.as_deref().unwrap_or("message") {
            "message" => {
                let role = need(role, "role")?;
                let content = content.ok_or_else(|| {
                    DecodeError::invalid(path("content"), "`content` is required")
                })?;
                let blocks = decode_content(content, i)?;
                match role.as_str() {
                    "system" | "developer" if messages.is_empty() => system.extend(blocks),
                    "system" | "developer" => messages.push(message(Role::System, blocks)),
                    "user" => messages.push(message(Role::User, blocks)),
                    "assistant" => push_assistant(&mut messages, blocks),
                    _ => {
                        return Err(DecodeError::invalid(
                            path("role"),
                            "expected `user`, `assistant`, `system` or `developer`",
                        ));
                    }
                }
            }
            "function_call" => {
                let block = Block::ToolCall {
                    id: need(call_id, "call_id")?,
                    name: need(name, "name")?,
                    arguments: need(arguments, "arguments")?,
                    kind: ToolCallKind::Function,
                };
                push_assistant(&mut messages, [block]);
            }
            "custom_tool_call" => {
                let block = Block::ToolCall {
                    id: need(call_id, "call_id")?,
                    name: need(name, "name")?,
                    arguments: need(input, "input")?,
                    kind: ToolCallKind::Custom,
                };
                push_assistant(&mut messages, [block]);
            }
            "reasoning" => {
                let text = match (summary, content) {
                    (Some(s), _) if !s.is_empty() => join_texts(s),
                    (_, Some(StrOr::Other(parts))) => {
                        join_texts(parts.into_iter().map(|p| p.value).collect())
                    }
                    _ => Str::default(),
                };
                let block = Block::Thinking {
                    text,
                    signature: encrypted_content,
                    id,
                    origin: Api::OpenAiResponses,
                };
                push_assistant(&mut messages, [block]);
            }
            "function_call_output" | "custom_tool_call_output" => {
                let call_id = need(call_id, "call_id")?;
                let output = output
                    .ok_or_else(|| DecodeError::invalid(path("output"), "`output` is required"))?;
                let content = match output {
                    StrOr::Str(text) => vec![Block::Text { text }],
                    StrOr::Other(parts) => decode_parts(parts, i, "output")?,
                };
                messages.push(message(
                    Role::Tool,
                    vec![Block::ToolResult {
                        call_id,
                        name: None,
                        content,
                        is_error: false,
                    }],
                ));
            }
            other => {
                let Some(raw) = raw else { continue };
                let block = Block::Unknown {
                    origin: Api::OpenAiResponses,
                    raw,
                };
                if is_model_item(other) {
                    push_assistant(&mut messages, [block]);
                } else {
                    messages.push(message(Role::User, vec![block]));
                }
            }
        }
    }
    Ok(messages)
}

/// Whether an item type the IR does not model is produced by the model (and so belongs to
/// the assistant turn): built-in tool calls and MCP listings/approval requests.
pub(super) fn is_model_item(kind: &str) -> bool {
    kind.ends_with("_call") || kind == "mcp_list_tools" || kind == "mcp_approval_request"
}

fn message<'a>(role: Role, content: Vec<Block<'a>>) -> Message<'a> {
    Message {
        role,
        content,
        name: None,
    }
}

/// Appends blocks to the assistant turn being built: the last message when it is an
/// assistant message, else a new one.
fn push_assistant<'a>(
    messages: &mut Vec<Message<'a>>,
    blocks: impl IntoIterator<Item = Block<'a>>,
) {
    match messages.last_mut() {
        Some(m) if m.role == Role::Assistant => m.content.extend(blocks),
        _ => messages.push(message(Role::Assistant, blocks.into_iter().collect())),
    }
}

/// Reasoning summary parts joined by blank lines (borrowed when there is exactly one).
fn join_texts<'a>(parts: Vec<PartFields<'a>>) -> Str<'a> {
    let mut texts = parts.into_iter().filter_map(|p| p.text);
    let Some(first) = texts.next() else {
        return Str::default();
    };
    let Some(second) = texts.next() else {
        return first;
    };
    let mut joined = String::with_capacity(first.len() + second.len() + 2);
    joined.push_str(&first);
    for t in std::iter::once(second).chain(texts) {
        joined.push_str("\n\n");
        joined.push_str(&t);
    }
    Str::from(joined)
}

fn decode_content<'a>(
    content: StrOr<'a, Vec<Parsed<'a, PartFields<'a>>>>,
    i: usize,
) -> Result<Vec<Block<'a>>, DecodeError> {
    match content {
        StrOr::Str(text) => Ok(vec![Block::Text { text }]),
        StrOr::Other(parts) => decode_parts(parts, i, "content"),
    }
}

fn decode_parts<'a>(
    parts: Vec<Parsed<'a, PartFields<'a>>>,
    i: usize,
    field: &'static str,
) -> Result<Vec<Block<'a>>, DecodeError> {
    parts
        .into_iter()
        .enumerate()
        .map(|(j, p)| decode_part(p, &|| format!("input[{i}].{field}[{j}]")))
        .collect()
}

fn decode_tool<'a>(
    tool: Parsed<'a, ToolFields<'a>>,
    i: usize,
) -> Result<ir::Tool<'a>, DecodeError> {
    let Parsed { raw, value } = tool;
    let ToolFields {
        kind,
        name,
        description,
        parameters,
        strict,
        format,
    } = value;
    let named = |name: Option<Str<'a>>| {
        name.ok_or_else(|| DecodeError::invalid(format!("tools[{i}].name"), "`name` is required"))
    };
    Ok(match kind.as_str() {
        "function" => ir::Tool {
            name: named(name)?,
            description,
            kind: ir::ToolKind::Function {
                parameters,
                // Responses functions are strict unless the request says otherwise.
                strict: Some(strict.unwrap_or(true)),
            },
            cache: None,
        },
        "custom" => ir::Tool {
            name: named(name)?,
            description,
            kind: ir::ToolKind::Custom { format },
            cache: None,
        },
        _ => {
            let Some(raw) = raw else {
                return Err(DecodeError::invalid(format!("tools[{i}]"), "unknown tool"));
            };
            ir::Tool {
                name: name.unwrap_or_default(),
                description: None,
                kind: ir::ToolKind::Builtin {
                    origin: Api::OpenAiResponses,
                    raw,
                },
                cache: None,
            }
        }
    })
}

/// `None` for a built-in tool choice the IR has no variant for.
fn decode_tool_choice<'a>(
    choice: ToolChoiceW<'a>,
) -> Result<Option<ir::ToolChoice<'a>>, DecodeError> {
    Ok(Some(match choice {
        ToolChoiceW::Mode(mode) => match mode.as_str() {
            "auto" => ir::ToolChoice::Auto,
            "none" => ir::ToolChoice::None,
            "required" => ir::ToolChoice::Required,
            _ => {
                return Err(DecodeError::invalid(
                    "tool_choice",
                    "expected `auto`, `none`, `required` or an object",
                ));
            }
        },
        ToolChoiceW::Object(obj) => match obj.kind.as_str() {
            "function" | "custom" => ir::ToolChoice::Tool {
                name: obj.name.ok_or_else(|| {
                    DecodeError::invalid("tool_choice.name", "`name` is required")
                })?,
            },
            "allowed_tools" => ir::ToolChoice::Allowed {
                names: obj
                    .tools
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|t| t.name)
                    .collect(),
                required: obj.mode.as_deref() == Some("required"),
            },
            _ => return Ok(None),
        },
    }))
}

fn decode_format(format: FormatW<'_>) -> Result<ir::ResponseFormat<'_>, DecodeError> {
    let FormatW {
        kind,
        name,
        description,
        schema,
        strict,
    } = format;
    Ok(match kind.as_str() {
        "text" => ir::ResponseFormat::Text,
        "json_object" => ir::ResponseFormat::JsonObject,
        "json_schema" => ir::ResponseFormat::JsonSchema {
            name,
            description,
            schema: schema.ok_or_else(|| {
                DecodeError::invalid("text.format.schema", "`schema` is required")
            })?,
            strict,
        },
        _ => {
            return Err(DecodeError::invalid(
                "text.format.type",
                "expected `text`, `json_object` or `json_schema`",
            ));
        }
    })
}

fn decode_reasoning(r: ReasoningW<'_>) -> Result<ir::Reasoning<'_>, DecodeError> {
    let ReasoningW { effort, summary } = r;
    let effort = effort
        .map(|e| {
            ir::Effort::parse(&e).ok_or_else(|| {
                DecodeError::invalid(
                    "reasoning.effort",
                    "expected `none`, `minimal`, `low`, `medium`, `high` or `xhigh`",
                )
            })
        })
        .transpose()?;
    Ok(ir::Reasoning {
        enabled: effort.map(|e| e != ir::Effort::None),
        effort,
        budget_tokens: None,
        summary,
        include_thoughts: None,
    })
}
