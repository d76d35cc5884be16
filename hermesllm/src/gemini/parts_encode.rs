//! Internal blocks → Gemini parts (requests and responses share this).
//!
//! The inverse of [`parts_decode`](super::parts_decode): a signature-only Gemini thinking
//! block is held and attached to the next part; tool results are wrapped as
//! `{"output": ...}` / `{"error": ...}` unless the result is a JSON object that can go as is;
//! what Gemini cannot carry is recorded in the losses.

use std::borrow::Cow;

use serde_json::value::RawValue;

use super::parts_decode::Wrapped;
use super::types::{Blob, FileData, FunctionCall, FunctionResponse, Json, Part, WirePart};
use crate::ir::{Block, MediaSource, ToolCallKind};
use crate::{Api, Family, Losses, Raw, Str};

/// Where a block list sits in the source document, for loss paths.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Where {
    /// `messages[i].content`.
    Message(usize),
    /// `system`.
    System,
    /// `choices[i].content`.
    Choice(usize),
}

impl Where {
    /// The path of block `j`.
    pub(crate) fn at(self, j: usize) -> String {
        match self {
            Where::Message(i) => format!("messages[{i}].content[{j}]"),
            Where::System => format!("system[{j}]"),
            Where::Choice(i) => format!("choices[{i}].content[{j}]"),
        }
    }
}

/// Turns blocks into parts, carrying the state that spans blocks.
#[derive(Debug)]
pub(crate) struct PartEncoder<'r> {
    /// A Gemini signature waiting for the next part.
    pending: Option<Str<'r>>,
    /// (id, name) of the tool calls seen so far: tool results without a name take it here.
    calls: Vec<(&'r str, &'r str)>,
    /// Requests drop thinking of other families whole; responses keep its text.
    in_request: bool,
}

impl<'r> PartEncoder<'r> {
    /// A new encoder for a request (`true`) or a response.
    pub(crate) fn new(in_request: bool) -> Self {
        PartEncoder {
            pending: None,
            calls: Vec::new(),
            in_request,
        }
    }

    /// Encodes `blocks` into `parts`.
    pub(crate) fn blocks(
        &mut self,
        blocks: &'r [Block<'_>],
        at: Where,
        losses: &mut Losses,
        parts: &mut Vec<WirePart<'r>>,
    ) {
        for (j, block) in blocks.iter().enumerate() {
            self.block(block, at, j, losses, parts);
        }
    }

    /// Ends a content: a signature still pending becomes its own thought part.
    pub(crate) fn flush(&mut self, parts: &mut Vec<WirePart<'r>>) {
        if let Some(sig) = self.pending.take() {
            parts.push(signature_part(sig).into());
        }
    }

    fn push(&mut self, mut part: Part<'r>, parts: &mut Vec<WirePart<'r>>) {
        if let Some(sig) = self.pending.take() {
            if part.thought_signature.is_none() {
                part.thought_signature = Some(sig);
            } else {
                parts.push(signature_part(sig).into());
            }
        }
        parts.push(part.into());
    }

    fn block(
        &mut self,
        block: &'r Block<'_>,
        at: Where,
        j: usize,
        losses: &mut Losses,
        parts: &mut Vec<WirePart<'r>>,
    ) {
        match block {
            Block::Text { text } => self.push(text_part(text.reborrow()), parts),
            Block::Refusal { text } => {
                losses.approximated(at.at(j), "Gemini has no refusal part; sent as text");
                self.push(text_part(text.reborrow()), parts);
            }
            Block::Image { source, detail } => {
                if detail.is_some() {
                    losses.dropped(format!("{}.detail", at.at(j)), "Gemini has no image detail");
                }
                if let Some(p) = media_part(source, || at.at(j), losses) {
                    self.push(p, parts);
                }
            }
            Block::Audio { data, format } => {
                let mime_type = if format.contains('/') {
                    format.reborrow()
                } else {
                    Str::from(format!("audio/{format}"))
                };
                let part = Part {
                    inline_data: Some(Blob {
                        mime_type,
                        data: data.reborrow(),
                    }),
                    ..Part::default()
                };
                self.push(part, parts);
            }
            Block::Document {
                source,
                name,
                context,
                citations,
            } => {
                for (present, field) in [
                    (name.is_some(), "name"),
                    (context.is_some(), "context"),
                    (citations.is_some(), "citations"),
                ] {
                    if present {
                        losses.dropped(
                            format!("{}.{field}", at.at(j)),
                            "Gemini documents carry only data and MIME type",
                        );
                    }
                }
                if let Some(p) = media_part(source, || at.at(j), losses) {
                    self.push(p, parts);
                }
            }
            Block::ToolCall {
                id,
                name,
                arguments,
                kind,
            } => {
                self.calls.push((id, name));
                let args = call_args(arguments, *kind, || at.at(j), losses);
                let part = Part {
                    function_call: Some(FunctionCall {
                        id: (!id.is_empty()).then(|| id.reborrow()),
                        name: name.reborrow(),
                        args: Some(args),
                    }),
                    ..Part::default()
                };
                self.push(part, parts);
            }
            Block::ToolResult {
                call_id,
                name,
                content,
                is_error,
            } => {
                let name = match name {
                    Some(n) => n.reborrow(),
                    None => match self.calls.iter().find(|c| c.0 == call_id.as_str()) {
                        Some(c) => Str::borrowed(c.1),
                        None => {
                            losses.approximated(
                                at.at(j),
                                "no earlier call with this id gives the function name Gemini requires; the call id is used",
                            );
                            call_id.reborrow()
                        }
                    },
                };
                let response = tool_response(content, *is_error, at, j, losses);
                let (response, result_parts) = response;
                let part = Part {
                    function_response: Some(FunctionResponse {
                        id: (!call_id.is_empty()).then(|| call_id.reborrow()),
                        name,
                        response: Some(response),
                        parts: result_parts,
                    }),
                    ..Part::default()
                };
                self.push(part, parts);
            }
            Block::Thinking {
                text,
                signature,
                id: _,
                origin,
            } => self.thinking(text, signature.as_ref(), *origin, at, j, losses, parts),
            Block::RedactedThinking { data: _, origin: _ } => {
                losses.dropped(at.at(j), "Gemini has no redacted thinking");
            }
            Block::CachePoint(_) => {
                losses.dropped(
                    at.at(j),
                    "Gemini has no cache markers (its caching is implicit or via cachedContent)",
                );
            }
            Block::Unknown { origin, raw } => {
                if *origin == Api::Gemini {
                    self.flush(parts);
                    parts.push(WirePart {
                        part: Part::default(),
                        raw: Some(*raw),
                    });
                } else {
                    losses.dropped(at.at(j), format!("a {origin} block Gemini does not know"));
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn thinking(
        &mut self,
        text: &'r Str<'_>,
        signature: Option<&'r Str<'_>>,
        origin: Api,
        at: Where,
        j: usize,
        losses: &mut Losses,
        parts: &mut Vec<WirePart<'r>>,
    ) {
        if origin.family() != Family::Gemini {
            if self.in_request {
                losses.dropped(
                    at.at(j),
                    format!("thinking from {origin} cannot be replayed to Gemini"),
                );
                return;
            }
            if signature.is_some() {
                losses.dropped(
                    format!("{}.signature", at.at(j)),
                    format!("a {origin} signature is not valid for Gemini"),
                );
            }
            if !text.is_empty() {
                self.push(thought_part(text.reborrow(), None), parts);
            }
            return;
        }
        if text.is_empty() {
            if let Some(sig) = signature {
                self.flush(parts);
                self.pending = Some(sig.reborrow());
            }
            return;
        }
        self.flush(parts);
        parts.push(thought_part(text.reborrow(), signature.map(|s| s.reborrow())).into());
    }
}

fn text_part(text: Str<'_>) -> Part<'_> {
    Part {
        text: Some(text),
        ..Part::default()
    }
}

fn thought_part<'r>(text: Str<'r>, signature: Option<Str<'r>>) -> Part<'r> {
    Part {
        text: Some(text),
        thought: Some(true),
        thought_signature: signature,
        ..Part::default()
    }
}

/// A signature with no part to sit on: an empty thought part.
fn signature_part(sig: Str<'_>) -> Part<'_> {
    thought_part(Str::default(), Some(sig))
}

fn media_part<'r>(
    source: &'r MediaSource<'_>,
    path: impl Fn() -> String,
    losses: &mut Losses,
) -> Option<Part<'r>> {
    Some(match source {
        MediaSource::Base64 { media_type, data } => Part {
            inline_data: Some(Blob {
                mime_type: media_type.reborrow(),
                data: data.reborrow(),
            }),
            ..Part::default()
        },
        MediaSource::Url { url, media_type } => Part {
            file_data: Some(FileData {
                mime_type: media_type.as_ref().map(|m| m.reborrow()),
                file_uri: url.reborrow(),
            }),
            ..Part::default()
        },
        MediaSource::Text { text } => {
            losses.approximated(path(), "Gemini has no text documents; sent as a text part");
            text_part(text.reborrow())
        }
        MediaSource::FileId { id: _ } => {
            losses.dropped(path(), "Gemini cannot reference another provider's file id");
            return None;
        }
    })
}

/// The `args` object of a call: the arguments JSON text when it is an object.
pub(crate) fn call_args<'r>(
    arguments: &'r str,
    kind: ToolCallKind,
    path: impl Fn() -> String,
    losses: &mut Losses,
) -> Json<'r> {
    if kind == ToolCallKind::Function {
        if arguments.trim().is_empty() {
            return owned_json("{}".to_owned());
        }
        if let Ok(raw) = Raw::parse(arguments)
            && raw.get().trim_start().starts_with('{')
        {
            return Json::Raw(raw);
        }
        losses.approximated(
            format!("{}.arguments", path()),
            "Gemini call arguments must be a JSON object; wrapped as {\"input\": ...}",
        );
    } else {
        losses.approximated(
            format!("{}.arguments", path()),
            "Gemini has no custom tools; free-form input wrapped as {\"input\": ...}",
        );
    }
    owned_json(wrap("input", arguments, false))
}

/// The `response` object and multimodal `parts` of a tool result.
fn tool_response<'r>(
    content: &'r [Block<'_>],
    is_error: bool,
    at: Where,
    j: usize,
    losses: &mut Losses,
) -> (Json<'r>, Vec<Part<'r>>) {
    let mut text: Option<Cow<'r, str>> = None;
    let mut parts = Vec::new();
    for (k, block) in content.iter().enumerate() {
        match block {
            Block::Text { text: t } => match &mut text {
                None => text = Some(Cow::Borrowed(t.as_str())),
                Some(acc) => {
                    losses.approximated(
                        format!("{}.content[{k}]", at.at(j)),
                        "Gemini function results are one object; text blocks joined with newlines",
                    );
                    let acc = acc.to_mut();
                    acc.push('\n');
                    acc.push_str(t);
                }
            },
            Block::Image { source, detail } => {
                let path = || format!("{}.content[{k}]", at.at(j));
                if detail.is_some() {
                    losses.dropped(format!("{}.detail", path()), "Gemini has no image detail");
                }
                parts.extend(media_part(source, path, losses));
            }
            Block::Document {
                source,
                name,
                context,
                citations,
            } => {
                let path = || format!("{}.content[{k}]", at.at(j));
                if name.is_some() || context.is_some() || citations.is_some() {
                    losses.dropped(
                        path(),
                        "Gemini documents carry only data and MIME type (name, context, citations dropped)",
                    );
                }
                parts.extend(media_part(source, path, losses));
            }
            _ => losses.dropped(
                format!("{}.content[{k}]", at.at(j)),
                "Gemini function results carry text, images and documents only",
            ),
        }
    }
    let text = text.unwrap_or(Cow::Borrowed(""));
    (result_json(text, is_error), parts)
}

/// A JSON object that is a function result as is, or the text wrapped under `output`/`error`.
fn result_json(text: Cow<'_, str>, is_error: bool) -> Json<'_> {
    if !is_error && is_plain_object(&text) {
        return match text {
            Cow::Borrowed(t) => match Raw::parse(t) {
                Ok(raw) => Json::Raw(raw),
                Err(_) => owned_json(wrap("output", t, true)),
            },
            Cow::Owned(t) => owned_json(t),
        };
    }
    owned_json(wrap(if is_error { "error" } else { "output" }, &text, true))
}

/// Whether `text` is a JSON object that does not look like an `output`/`error` wrapper.
fn is_plain_object(text: &str) -> bool {
    text.trim_start().starts_with('{')
        && matches!(
            serde_json::from_str::<Wrapped<'_>>(text),
            Ok(Wrapped::Other)
        )
}

/// `{"key": value}`, the value being `text` itself when it is JSON other than a string (and
/// `embed_json` allows it), else `text` as a JSON string.
fn wrap(key: &str, text: &str, embed_json: bool) -> String {
    let embed = embed_json
        && !text.trim_start().starts_with('"')
        && !text.trim().is_empty()
        && Raw::parse(text).is_ok();
    let mut out = String::with_capacity(text.len() + key.len() + 8);
    out.push_str("{\"");
    out.push_str(key);
    out.push_str("\":");
    if embed {
        out.push_str(text);
    } else {
        // Serializing a str cannot fail.
        out.push_str(&serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned()));
    }
    out.push('}');
    out
}

fn owned_json<'r>(text: String) -> Json<'r> {
    match RawValue::from_string(text) {
        Ok(b) => Json::Owned(b),
        // Only reachable for text built from invalid JSON, which `wrap` never embeds.
        Err(_) => Json::Owned(RawValue::from_string("{}".to_owned()).unwrap_or_default()),
    }
}
