//! Request body → internal model.

use std::borrow::Cow;

use super::request_fast;
use super::tools::{decode_function_call_choice, decode_tool, decode_tool_choice};
use super::types::{ChatMessage, ChatRequest, Content, Part, ResponseFormatWire, StrOr};
use crate::ir::{self, Block, MediaSource, Role};
use crate::json::Slow;
use crate::wire::from_json;
use crate::{Api, DecodeError, Raw, RequestMeta, Str};

/// Decodes a Chat Completions request body.
///
/// Leading `system`/`developer` messages become [`ir::Request::system`]; later ones stay in
/// the conversation with [`Role::System`]. `tool` messages become [`Role::Tool`] messages
/// holding one [`Block::ToolResult`]. The legacy `functions`/`function_call` fields and
/// `function` messages decode like tools (a legacy call has no id, so the function name
/// serves as the call id, which is what links a `function` message to its call; encoders that
/// need the name of a result look it up from the call, as for `tool` messages).
/// `max_completion_tokens` wins over the deprecated `max_tokens`. Unmodelled top-level fields
/// go to `extra`.
///
/// # Errors
/// Malformed JSON, a missing `model` or `messages`, unknown roles, content part types, tool
/// types or `tool_choice` values, tool messages without `tool_call_id`.
pub fn decode_request<'a>(
    body: &'a [u8],
    meta: &RequestMeta<'a>,
) -> Result<ir::Request<'a>, DecodeError> {
    let w: ChatRequest<'a> = match std::str::from_utf8(body)
        .map_err(|_| Slow)
        .and_then(request_fast::request)
    {
        Ok(w) => w,
        Err(Slow) => from_json(body)?,
    };
    let ChatRequest {
        model,
        messages,
        tools,
        tool_choice,
        parallel_tool_calls,
        functions,
        function_call,
        temperature,
        top_p,
        frequency_penalty,
        presence_penalty,
        seed,
        n,
        max_completion_tokens,
        max_tokens,
        stop,
        response_format,
        reasoning_effort,
        logprobs,
        top_logprobs,
        user,
        metadata,
        store,
        stream,
        stream_options,
        rest,
    } = w;

    let model = if model.is_empty() {
        match &meta.model {
            Some(m) if !m.is_empty() => m.clone(),
            _ => return Err(DecodeError::invalid("model", "is required")),
        }
    } else {
        model
    };
    if messages.is_empty() {
        return Err(DecodeError::invalid(
            "messages",
            "must contain at least one message",
        ));
    }

    let mut system = Vec::new();
    let mut out = Vec::with_capacity(messages.len());
    for (i, m) in messages.into_iter().enumerate() {
        let is_system = matches!(m.role.as_str(), "system" | "developer");
        if is_system && out.is_empty() {
            system.extend(text_only(m.content, i)?);
        } else {
            out.push(decode_message(i, m)?);
        }
    }

    let mut ir_tools = Vec::new();
    for (i, t) in tools.into_iter().flatten().enumerate() {
        ir_tools.push(decode_tool(i, t)?);
    }
    for f in functions.into_iter().flatten() {
        ir_tools.push(ir::Tool {
            name: f.name,
            description: f.description,
            kind: ir::ToolKind::Function {
                parameters: f.parameters,
                strict: f.strict,
            },
            cache: None,
        });
    }

    let tool_choice = match (tool_choice, function_call) {
        (Some(tc), _) => Some(decode_tool_choice(tc)?),
        (None, Some(fc)) => Some(decode_function_call_choice(fc)?),
        (None, None) => None,
    };

    let reasoning = match reasoning_effort {
        Some(e) => Some(ir::Reasoning {
            effort: Some(ir::Effort::parse(&e).ok_or_else(|| {
                DecodeError::invalid(
                    "reasoning_effort",
                    "must be one of none, minimal, low, medium, high, xhigh",
                )
            })?),
            ..ir::Reasoning::default()
        }),
        None => None,
    };

    let stop = match stop {
        None => Vec::new(),
        Some(StrOr::Str(s)) => vec![s],
        Some(StrOr::Other(v)) => v,
    };

    Ok(ir::Request {
        model,
        system,
        messages: out,
        tools: ir_tools,
        tool_choice,
        parallel_tool_calls,
        sampling: ir::Sampling {
            temperature,
            top_p,
            top_k: None,
            seed,
            frequency_penalty,
            presence_penalty,
        },
        max_output_tokens: max_completion_tokens.or(max_tokens),
        stop,
        n,
        response_format: response_format.map(decode_response_format).transpose()?,
        reasoning,
        stream: stream.unwrap_or(false),
        stream_include_usage: stream_options.and_then(|o| o.include_usage),
        logprobs,
        top_logprobs,
        user,
        metadata: metadata.filter(|m| !m.is_null()),
        previous_response_id: None,
        store,
        safety_settings: None,
        extra: extra_of(rest),
    })
}

/// Unmodelled top-level fields, tagged with this API.
pub(super) fn extra_of<'a>(rest: Vec<(Str<'a>, Raw<'a>)>) -> ir::Extra<'a> {
    if rest.is_empty() {
        ir::Extra::default()
    } else {
        ir::Extra {
            api: Some(Api::OpenAiChat),
            fields: rest,
        }
    }
}

fn decode_message<'a>(i: usize, m: ChatMessage<'a>) -> Result<ir::Message<'a>, DecodeError> {
    let ChatMessage {
        role,
        content,
        name,
        refusal,
        reasoning_content,
        reasoning,
        tool_calls,
        tool_call_id,
        function_call,
    } = m;
    match role.as_str() {
        "system" | "developer" => Ok(ir::Message {
            role: Role::System,
            content: text_only(content, i)?,
            name,
        }),
        "user" => {
            let Some(content) = content else {
                return Err(DecodeError::invalid(
                    format!("messages[{i}].content"),
                    "is required for user messages",
                ));
            };
            Ok(ir::Message {
                role: Role::User,
                content: user_content(content, i)?,
                name,
            })
        }
        "assistant" => {
            let has_calls = tool_calls.as_ref().is_some_and(|c| !c.is_empty());
            if content.is_none() && !has_calls && function_call.is_none() && refusal.is_none() {
                return Err(DecodeError::invalid(
                    format!("messages[{i}].content"),
                    "is required unless tool_calls or function_call is given",
                ));
            }
            let mut blocks = Vec::new();
            if let Some(text) = reasoning_content.or(reasoning).filter(|t| !t.is_empty()) {
                blocks.push(Block::Thinking {
                    text,
                    signature: None,
                    id: None,
                    origin: Api::OpenAiChat,
                });
            }
            match content {
                None => {}
                // An empty string beside tool calls means "no text" (clients send either).
                Some(StrOr::Str(t)) if t.is_empty() && has_calls => {}
                Some(StrOr::Str(text)) => blocks.push(Block::Text { text }),
                Some(StrOr::Other(parts)) => {
                    for (j, p) in parts.into_iter().enumerate() {
                        blocks.push(assistant_part(p, i, j)?);
                    }
                }
            }
            if let Some(text) = refusal {
                blocks.push(Block::Refusal { text });
            }
            for (j, c) in tool_calls.into_iter().flatten().enumerate() {
                blocks.push(decode_tool_call(c, i, j)?);
            }
            if let Some(fc) = function_call.map(|f| *f) {
                let name = fc.name.unwrap_or_default();
                blocks.push(Block::ToolCall {
                    id: name.clone(),
                    name,
                    arguments: non_empty_args(fc.arguments),
                    kind: ir::ToolCallKind::Function,
                });
            }
            Ok(ir::Message {
                role: Role::Assistant,
                content: blocks,
                name,
            })
        }
        "tool" => {
            let Some(call_id) = tool_call_id else {
                return Err(DecodeError::invalid(
                    format!("messages[{i}].tool_call_id"),
                    "is required for tool messages",
                ));
            };
            Ok(tool_message(call_id, text_only(content, i)?))
        }
        "function" => {
            let Some(name) = name else {
                return Err(DecodeError::invalid(
                    format!("messages[{i}].name"),
                    "is required for function messages",
                ));
            };
            Ok(tool_message(name, text_only(content, i)?))
        }
        _ => Err(DecodeError::invalid(
            format!("messages[{i}].role"),
            "must be one of system, developer, user, assistant, tool, function",
        )),
    }
}

fn tool_message<'a>(call_id: Str<'a>, content: Vec<Block<'a>>) -> ir::Message<'a> {
    ir::Message {
        role: Role::Tool,
        content: vec![Block::ToolResult {
            call_id,
            name: None,
            content,
            is_error: false,
        }],
        name: None,
    }
}

/// Tool-call arguments are JSON text; a missing or empty string means no arguments.
fn non_empty_args(args: Option<Str<'_>>) -> Str<'_> {
    match args {
        Some(a) if !a.is_empty() => a,
        _ => Str::borrowed("{}"),
    }
}

fn decode_tool_call<'a>(
    c: super::types::ToolCallWire<'a>,
    i: usize,
    j: usize,
) -> Result<Block<'a>, DecodeError> {
    let Some(id) = c.id else {
        return Err(DecodeError::invalid(
            format!("messages[{i}].tool_calls[{j}].id"),
            "is required",
        ));
    };
    match c.kind.as_deref().unwrap_or("function") {
        "function" => {
            let Some(f) = c.function else {
                return Err(DecodeError::invalid(
                    format!("messages[{i}].tool_calls[{j}].function"),
                    "is required",
                ));
            };
            Ok(Block::ToolCall {
                id,
                name: f.name.unwrap_or_default(),
                arguments: non_empty_args(f.arguments),
                kind: ir::ToolCallKind::Function,
            })
        }
        "custom" => {
            let Some(cu) = c.custom else {
                return Err(DecodeError::invalid(
                    format!("messages[{i}].tool_calls[{j}].custom"),
                    "is required",
                ));
            };
            Ok(Block::ToolCall {
                id,
                name: cu.name.unwrap_or_default(),
                arguments: cu.input.unwrap_or_default(),
                kind: ir::ToolCallKind::Custom,
            })
        }
        _ => Err(DecodeError::invalid(
            format!("messages[{i}].tool_calls[{j}].type"),
            "must be function or custom",
        )),
    }
}

/// Content that may only hold text (system, developer and tool messages).
fn text_only<'a>(content: Option<Content<'a>>, i: usize) -> Result<Vec<Block<'a>>, DecodeError> {
    match content {
        None => Err(DecodeError::invalid(
            format!("messages[{i}].content"),
            "is required",
        )),
        Some(StrOr::Str(text)) => Ok(vec![Block::Text { text }]),
        Some(StrOr::Other(parts)) => parts
            .into_iter()
            .enumerate()
            .map(|(j, p)| match (p.kind.as_str(), p.text) {
                ("text", Some(text)) => Ok(Block::Text { text }),
                _ => Err(DecodeError::invalid(
                    format!("messages[{i}].content[{j}]"),
                    "only text parts are allowed in this message",
                )),
            })
            .collect(),
    }
}

fn user_content<'a>(content: Content<'a>, i: usize) -> Result<Vec<Block<'a>>, DecodeError> {
    match content {
        StrOr::Str(text) => Ok(vec![Block::Text { text }]),
        StrOr::Other(parts) => parts
            .into_iter()
            .enumerate()
            .map(|(j, p)| user_part(p, i, j))
            .collect(),
    }
}

fn user_part<'a>(p: Part<'a>, i: usize, j: usize) -> Result<Block<'a>, DecodeError> {
    let missing = |what: &str| {
        DecodeError::invalid(
            format!("messages[{i}].content[{j}].{what}"),
            "is required for this part type",
        )
    };
    match p.kind.as_str() {
        "text" => Ok(Block::Text {
            text: p.text.ok_or_else(|| missing("text"))?,
        }),
        "image_url" => {
            let img = p.image_url.ok_or_else(|| missing("image_url"))?;
            Ok(Block::Image {
                source: url_source(img.url),
                detail: img.detail,
            })
        }
        "input_audio" => {
            let a = p.input_audio.ok_or_else(|| missing("input_audio"))?;
            Ok(Block::Audio {
                data: a.data,
                format: a.format,
            })
        }
        "file" => {
            let f = p.file.ok_or_else(|| missing("file"))?;
            let source = match (f.file_id, f.file_data) {
                (Some(id), _) => MediaSource::FileId { id },
                (None, Some(data)) => match parse_data_url(&data) {
                    Some((media_type, data)) => MediaSource::Base64 { media_type, data },
                    // Bare base64: Chat Completions documents file inputs as PDFs.
                    None => MediaSource::Base64 {
                        media_type: Str::borrowed("application/pdf"),
                        data,
                    },
                },
                (None, None) => return Err(missing("file.file_id")),
            };
            Ok(Block::Document {
                source,
                name: f.filename,
                context: None,
                citations: None,
            })
        }
        _ => Err(DecodeError::invalid(
            format!("messages[{i}].content[{j}].type"),
            "must be one of text, image_url, input_audio, file",
        )),
    }
}

fn assistant_part<'a>(p: Part<'a>, i: usize, j: usize) -> Result<Block<'a>, DecodeError> {
    match (p.kind.as_str(), p.text, p.refusal) {
        ("text", Some(text), _) => Ok(Block::Text { text }),
        ("refusal", _, Some(text)) => Ok(Block::Refusal { text }),
        _ => Err(DecodeError::invalid(
            format!("messages[{i}].content[{j}]"),
            "assistant content parts must be text or refusal",
        )),
    }
}

/// An image URL: `data:<type>;base64,<data>` becomes inline base64, anything else a URL.
fn url_source(url: Str<'_>) -> MediaSource<'_> {
    match parse_data_url(&url) {
        Some((media_type, data)) => MediaSource::Base64 { media_type, data },
        None => MediaSource::Url {
            url,
            media_type: None,
        },
    }
}

/// Splits a base64 `data:` URL into media type and data, borrowing when `url` borrows.
fn parse_data_url<'a>(url: &Str<'a>) -> Option<(Str<'a>, Str<'a>)> {
    let rest = url.strip_prefix("data:")?;
    let sep = rest.find(";base64,")?;
    let start = 5 + sep + ";base64,".len();
    Some((sub(url, 5, 5 + sep)?, sub(url, start, url.len())?))
}

fn sub<'a>(s: &Str<'a>, start: usize, end: usize) -> Option<Str<'a>> {
    match &s.0 {
        Cow::Borrowed(b) => b.get(start..end).map(Str::borrowed),
        Cow::Owned(o) => o.get(start..end).map(|t| Str::from(t.to_owned())),
    }
}

fn decode_response_format(
    rf: ResponseFormatWire<'_>,
) -> Result<ir::ResponseFormat<'_>, DecodeError> {
    match rf.kind.as_str() {
        "text" => Ok(ir::ResponseFormat::Text),
        "json_object" => Ok(ir::ResponseFormat::JsonObject),
        "json_schema" => {
            let Some(js) = rf.json_schema else {
                return Err(DecodeError::invalid(
                    "response_format.json_schema",
                    "is required for type json_schema",
                ));
            };
            let schema = match js.schema {
                Some(s) => s,
                // The schema is optional in the API; no schema means any JSON object.
                None => Raw::parse("{}")
                    .map_err(|e| DecodeError::invalid("response_format", e.to_string()))?,
            };
            Ok(ir::ResponseFormat::JsonSchema {
                name: Some(js.name).filter(|n| !n.is_empty()),
                description: js.description,
                schema,
                strict: js.strict,
            })
        }
        _ => Err(DecodeError::invalid(
            "response_format.type",
            "must be text, json_object or json_schema",
        )),
    }
}
