//! Internal messages → Chat Completions messages.

use super::request_encode::NO_CACHE;
use super::types::{
    ChatMessage, Content, CustomCallWire, FilePart, FunctionCallWire, ImageUrl, InputAudio, Part,
    StrOr, ToolCallWire,
};
use crate::ir::{self, Block, MediaSource, Role};
use crate::{Api, Losses, Str};

/// One text part is sent as a plain string, anything else as parts.
pub(super) fn content_of(mut parts: Vec<Part<'_>>) -> Content<'_> {
    if parts.len() == 1
        && parts.first().is_some_and(|p| p.kind == "text")
        && let Some(Part {
            text: Some(text), ..
        }) = parts.pop()
    {
        return StrOr::Str(text);
    }
    StrOr::Other(parts)
}

pub(super) fn encode_message<'x>(
    i: usize,
    m: &'x ir::Message<'_>,
    out: &mut Vec<ChatMessage<'x>>,
    losses: &mut Losses,
) {
    let ir::Message {
        role,
        content,
        name,
    } = m;
    if *role == Role::Assistant {
        out.push(encode_assistant(i, content, name.as_ref(), losses));
        return;
    }
    // Fast path: one text block is a plain string message.
    if let [Block::Text { text }] = content.as_slice() {
        out.push(ChatMessage {
            role: Str::borrowed(role_name(*role)),
            content: Some(StrOr::Str(text.reborrow())),
            name: name.as_ref().map(Str::reborrow),
            ..ChatMessage::default()
        });
        return;
    }
    // Tool results become `tool` messages; the other blocks of the turn form one message of
    // its role, flushed whenever a tool result interrupts them so the order is kept. Images
    // and files of tool results cannot go in `tool` messages: they follow in the user
    // message after the results.
    let mut parts: Vec<Part<'x>> = Vec::new();
    let mut moved: Vec<Part<'x>> = Vec::new();
    let flush = |parts: &mut Vec<Part<'x>>, out: &mut Vec<ChatMessage<'x>>| {
        if !parts.is_empty() {
            out.push(ChatMessage {
                role: Str::borrowed(role_name(*role)),
                content: Some(content_of(std::mem::take(parts))),
                name: name.as_ref().map(Str::reborrow),
                ..ChatMessage::default()
            });
        }
    };
    for (j, b) in content.iter().enumerate() {
        if let Block::ToolResult {
            call_id,
            name: _,
            content: result,
            is_error,
        } = b
        {
            flush(&mut parts, out);
            out.push(encode_tool_result(
                i, j, call_id, result, *is_error, &mut moved, losses,
            ));
            continue;
        }
        if *role == Role::System && !matches!(b, Block::Text { .. }) {
            losses.dropped(
                format!("messages[{i}].content[{j}]"),
                "Chat Completions system messages hold only text",
            );
            continue;
        }
        if !moved.is_empty() {
            parts.append(&mut moved);
        }
        if let Some(p) = user_part(b, &|| format!("messages[{i}].content[{j}]"), losses) {
            parts.push(p);
        }
    }
    parts.append(&mut moved);
    flush(&mut parts, out);
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::System => "system",
        _ => "user",
    }
}

fn encode_tool_result<'x>(
    i: usize,
    j: usize,
    call_id: &'x Str<'_>,
    result: &'x [Block<'_>],
    is_error: bool,
    moved: &mut Vec<Part<'x>>,
    losses: &mut Losses,
) -> ChatMessage<'x> {
    if is_error {
        losses.approximated(
            format!("messages[{i}].content[{j}].is_error"),
            "Chat Completions tool messages have no error flag",
        );
    }
    let mut parts = Vec::with_capacity(result.len());
    for (k, b) in result.iter().enumerate() {
        let path = || format!("messages[{i}].content[{j}].content[{k}]");
        match b {
            Block::Text { text } => parts.push(Part::text(text.reborrow())),
            Block::Image { .. } | Block::Document { .. } | Block::Audio { .. } => {
                if let Some(p) = user_part(b, &path, losses) {
                    losses.approximated(
                        path(),
                        "Chat Completions tool messages hold only text: moved to the user message after the tool results",
                    );
                    moved.push(p);
                }
            }
            _ => losses.dropped(path(), "Chat Completions tool messages hold only text"),
        }
    }
    let content = if parts.is_empty() {
        StrOr::Str(Str::borrowed(""))
    } else {
        content_of(parts)
    };
    ChatMessage {
        role: Str::borrowed("tool"),
        content: Some(content),
        tool_call_id: Some(call_id.reborrow()),
        ..ChatMessage::default()
    }
}

fn user_part<'x>(
    b: &'x Block<'_>,
    path: &dyn Fn() -> String,
    losses: &mut Losses,
) -> Option<Part<'x>> {
    match b {
        Block::Text { text } => Some(Part::text(text.reborrow())),
        Block::Image { source, detail } => {
            let url = match source {
                MediaSource::Base64 { media_type, data } => data_url(media_type, data),
                MediaSource::Url { url, .. } => url.reborrow(),
                _ => {
                    losses.dropped(path(), "Chat Completions images need a URL or inline data");
                    return None;
                }
            };
            Some(Part {
                kind: Str::borrowed("image_url"),
                image_url: Some(ImageUrl {
                    url,
                    detail: detail.as_ref().map(Str::reborrow),
                }),
                ..Part::default()
            })
        }
        Block::Audio { data, format } => Some(Part {
            kind: Str::borrowed("input_audio"),
            input_audio: Some(InputAudio {
                data: data.reborrow(),
                format: Str::borrowed(audio_format(format)),
            }),
            ..Part::default()
        }),
        Block::Document {
            source,
            name,
            context,
            citations,
        } => {
            if context.is_some() {
                losses.dropped(format!("{}.context", path()), "no document context");
            }
            if citations.is_some() {
                losses.dropped(format!("{}.citations", path()), "no citations");
            }
            let (file_id, file_data) = match source {
                MediaSource::FileId { id } => (Some(id.reborrow()), None),
                MediaSource::Base64 { media_type, data } => {
                    (None, Some(data_url(media_type, data)))
                }
                MediaSource::Text { text } => {
                    losses.approximated(path(), "plain-text document sent as a text part");
                    return Some(Part::text(text.reborrow()));
                }
                _ => {
                    losses.dropped(
                        path(),
                        "Chat Completions files need a file id or inline data",
                    );
                    return None;
                }
            };
            Some(Part {
                kind: Str::borrowed("file"),
                file: Some(FilePart {
                    file_id,
                    file_data,
                    filename: name.as_ref().map(Str::reborrow),
                }),
                ..Part::default()
            })
        }
        Block::CachePoint(_) => {
            losses.dropped(path(), NO_CACHE);
            None
        }
        _ => {
            losses.dropped(path(), "not allowed in Chat Completions user messages");
            None
        }
    }
}

/// OpenAI names audio formats (`wav`, `mp3`); other APIs give MIME types.
fn audio_format(format: &str) -> &str {
    match format.strip_prefix("audio/").unwrap_or(format) {
        "mpeg" | "mp3" => "mp3",
        "x-wav" | "wave" | "wav" => "wav",
        other => other,
    }
}

fn data_url<'x>(media_type: &str, data: &str) -> Str<'x> {
    let mut s = String::with_capacity(media_type.len() + data.len() + 13);
    s.push_str("data:");
    s.push_str(media_type);
    s.push_str(";base64,");
    s.push_str(data);
    Str::from(s)
}

fn encode_assistant<'x>(
    i: usize,
    content: &'x [Block<'_>],
    name: Option<&'x Str<'_>>,
    losses: &mut Losses,
) -> ChatMessage<'x> {
    let mut texts: Vec<Part<'x>> = Vec::new();
    let mut refusal: Option<Str<'x>> = None;
    let mut reasoning: Option<Str<'x>> = None;
    let mut calls: Vec<ToolCallWire<'x>> = Vec::new();
    for (j, b) in content.iter().enumerate() {
        let path = || format!("messages[{i}].content[{j}]");
        match b {
            Block::Text { text } => texts.push(Part::text(text.reborrow())),
            Block::Refusal { text } => append(&mut refusal, text),
            Block::Thinking { text, origin, .. } if *origin == Api::OpenAiChat => {
                append(&mut reasoning, text);
            }
            Block::Thinking { origin, .. } => losses.dropped(
                path(),
                format!("reasoning from {origin} is not valid for Chat Completions models"),
            ),
            Block::ToolCall {
                id,
                name,
                arguments,
                kind,
            } => calls.push(tool_call_wire(id, name, arguments, *kind)),
            Block::CachePoint(_) => losses.dropped(path(), NO_CACHE),
            _ => losses.dropped(path(), "not allowed in Chat Completions assistant messages"),
        }
    }
    let content = if texts.is_empty() {
        // The API requires content on an assistant message without tool calls.
        (calls.is_empty() && refusal.is_none()).then(|| StrOr::Str(Str::borrowed("")))
    } else {
        Some(content_of(texts))
    };
    ChatMessage {
        role: Str::borrowed("assistant"),
        content,
        name: name.map(Str::reborrow),
        refusal,
        reasoning_content: reasoning,
        reasoning: None,
        tool_calls: Some(calls).filter(|c| !c.is_empty()),
        tool_call_id: None,
        function_call: None,
    }
}

/// Concatenates text into an optional slot, borrowing when there is only one piece.
pub(super) fn append<'x>(slot: &mut Option<Str<'x>>, text: &'x Str<'_>) {
    match slot {
        None => *slot = Some(text.reborrow()),
        Some(s) => s.0.to_mut().push_str(text),
    }
}

pub(super) fn tool_call_wire<'x>(
    id: &'x Str<'_>,
    name: &'x Str<'_>,
    arguments: &'x Str<'_>,
    kind: ir::ToolCallKind,
) -> ToolCallWire<'x> {
    match kind {
        ir::ToolCallKind::Custom => ToolCallWire {
            index: None,
            id: Some(id.reborrow()),
            kind: Some(Str::borrowed("custom")),
            function: None,
            custom: Some(CustomCallWire {
                name: Some(name.reborrow()),
                input: Some(arguments.reborrow()),
            }),
        },
        _ => ToolCallWire {
            index: None,
            id: Some(id.reborrow()),
            kind: Some(Str::borrowed("function")),
            function: Some(FunctionCallWire {
                name: Some(name.reborrow()),
                arguments: Some(arguments.reborrow()),
            }),
            custom: None,
        },
    }
}
