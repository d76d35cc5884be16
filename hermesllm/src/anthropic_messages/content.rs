//! Content blocks between the wire and the internal model, in both directions.
//!
//! Decoding: `cache_control` on a block becomes the block followed by a
//! [`Block::CachePoint`]; `tool_use.input` becomes the raw JSON text of the arguments; thinking
//! blocks keep their signature with origin [`Api::AnthropicMessages`] (an empty signature is
//! `None`). Encoding reverses this and drops (recording it) what Anthropic cannot carry.

use serde_json::value::RawValue;

use super::types::{CacheControl, Content, ContentBlock, Fixed, Json, Source};
use crate::ir::{Block, Cache, CacheTtl, MediaSource, ToolCallKind};
use crate::{Api, Family, Losses, Str};

/// Where a block sits, to name it in a loss (built only when a loss happens).
#[derive(Debug, Clone, Copy)]
pub(super) enum Loc {
    /// `system[j]`.
    System(usize),
    /// `messages[i].content[j]`.
    Message(usize, usize),
    /// `messages[i].content[j].content[k]` (inside a tool result).
    Nested(usize, usize, usize),
    /// `choices[0].content[j]` of a response.
    Output(usize),
}

impl Loc {
    pub(super) fn path(self) -> String {
        match self {
            Loc::System(j) => format!("system[{j}]"),
            Loc::Message(i, j) => format!("messages[{i}].content[{j}]"),
            Loc::Nested(i, j, k) => format!("messages[{i}].content[{j}].content[{k}]"),
            Loc::Output(j) => format!("choices[0].content[{j}]"),
        }
    }

    fn nested(self, k: usize) -> Loc {
        match self {
            Loc::Message(i, j) => Loc::Nested(i, j, k),
            other => other,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding

/// Appends the internal blocks of `content` to `out`.
///
/// # Errors
/// A message naming the invalid field (the caller adds the path).
pub(super) fn decode_content<'a>(
    content: Content<'a>,
    out: &mut Vec<Block<'a>>,
) -> Result<(), (usize, &'static str)> {
    match content {
        Content::Text(text) => out.push(Block::Text { text }),
        Content::Blocks(blocks) => {
            out.reserve(blocks.len());
            for (j, b) in blocks.into_iter().enumerate() {
                decode_block(b, out).map_err(|m| (j, m))?;
            }
        }
    }
    Ok(())
}

/// Appends the internal block(s) of one wire block.
///
/// # Errors
/// A message naming the invalid field.
pub(super) fn decode_block<'a>(
    b: ContentBlock<'a>,
    out: &mut Vec<Block<'a>>,
) -> Result<(), &'static str> {
    let cache = match b {
        ContentBlock::Text {
            text,
            cache_control,
            ..
        } => {
            out.push(Block::Text { text });
            cache_control
        }
        ContentBlock::Image {
            source,
            cache_control,
        } => {
            out.push(Block::Image {
                source: decode_source(source)?,
                detail: None,
            });
            cache_control
        }
        ContentBlock::Document {
            source,
            title,
            context,
            citations,
            cache_control,
        } => {
            out.push(Block::Document {
                source: decode_source(source)?,
                name: title,
                context,
                citations,
            });
            cache_control
        }
        ContentBlock::ToolUse {
            id,
            name,
            input,
            cache_control,
        } => {
            let arguments = match input {
                Json::Raw(r) => Str::borrowed(r.get()),
                other => Str::from(other.text().to_owned()),
            };
            out.push(Block::ToolCall {
                id,
                name,
                arguments,
                kind: ToolCallKind::Function,
            });
            cache_control
        }
        ContentBlock::ToolResult {
            tool_use_id,
            content,
            is_error,
            cache_control,
        } => {
            let mut inner = Vec::new();
            if let Some(c) = content {
                decode_content(c, &mut inner).map_err(|(_, m)| m)?;
            }
            out.push(Block::ToolResult {
                call_id: tool_use_id,
                name: None,
                content: inner,
                is_error: is_error.unwrap_or(false),
            });
            cache_control
        }
        ContentBlock::Thinking {
            thinking,
            signature,
        } => {
            out.push(Block::Thinking {
                text: thinking,
                signature: (!signature.is_empty()).then_some(signature),
                id: None,
                origin: Api::AnthropicMessages,
            });
            None
        }
        ContentBlock::RedactedThinking { data } => {
            out.push(Block::RedactedThinking {
                data,
                origin: Api::AnthropicMessages,
            });
            None
        }
        ContentBlock::Unknown(raw) => {
            out.push(Block::Unknown {
                origin: Api::AnthropicMessages,
                raw,
            });
            None
        }
    };
    if let Some(c) = cache {
        out.push(Block::CachePoint(decode_cache(&c)));
    }
    Ok(())
}

/// `cache_control` to a cache marker.
pub(super) fn decode_cache(c: &CacheControl<'_>) -> Cache {
    let ttl = match c.ttl.as_deref() {
        Some("5m") => CacheTtl::FiveMinutes,
        Some("1h") => CacheTtl::OneHour,
        _ => CacheTtl::Default,
    };
    Cache { ttl }
}

fn decode_source(s: Source<'_>) -> Result<MediaSource<'_>, &'static str> {
    Ok(match s.kind.as_str() {
        "base64" => MediaSource::Base64 {
            media_type: s.media_type.ok_or("base64 source: missing `media_type`")?,
            data: s.data.ok_or("base64 source: missing `data`")?,
        },
        "url" => MediaSource::Url {
            url: s.url.ok_or("url source: missing `url`")?,
            media_type: None,
        },
        "file" => MediaSource::FileId {
            id: s.file_id.ok_or("file source: missing `file_id`")?,
        },
        // Only documents reach here with `text` (see `ContentBlock::from_raw`).
        _ => MediaSource::Text {
            text: s.data.ok_or("text source: missing `data`")?,
        },
    })
}

// ---------------------------------------------------------------------------------------------
// Encoding

/// Whether blocks are written into a request or a response (thinking from another model
/// family is dropped from requests, where Anthropic would reject its signature, but shown
/// without signature in responses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    Request,
    Response,
}

/// Appends the wire form of `blocks` to `out`, attaching cache markers to the block before.
pub(super) fn encode_blocks<'r>(
    blocks: &'r [Block<'_>],
    loc: impl Fn(usize) -> Loc,
    side: Side,
    losses: &mut Losses,
    out: &mut Vec<ContentBlock<'r>>,
) {
    for (j, b) in blocks.iter().enumerate() {
        if let Block::CachePoint(c) = b {
            if !attach_cache(out, *c) {
                losses.dropped(
                    loc(j).path(),
                    "cache marker after a block that cannot carry cache_control",
                );
            }
            continue;
        }
        if let Some(w) = encode_block(b, loc(j), side, losses) {
            out.push(w);
        }
    }
}

/// Sets `cache_control` on the last block of `out`; false when there is none that can hold it.
pub(super) fn attach_cache(out: &mut [ContentBlock<'_>], cache: Cache) -> bool {
    let Some(last) = out.last_mut() else {
        return false;
    };
    let slot = match last {
        ContentBlock::Text { cache_control, .. }
        | ContentBlock::Image { cache_control, .. }
        | ContentBlock::Document { cache_control, .. }
        | ContentBlock::ToolUse { cache_control, .. }
        | ContentBlock::ToolResult { cache_control, .. } => cache_control,
        ContentBlock::Thinking { .. }
        | ContentBlock::RedactedThinking { .. }
        | ContentBlock::Unknown(_) => return false,
    };
    *slot = Some(encode_cache(cache));
    true
}

/// A cache marker as `cache_control`.
pub(super) fn encode_cache(c: Cache) -> CacheControl<'static> {
    let ttl = match c.ttl {
        CacheTtl::FiveMinutes => Some(Str::borrowed("5m")),
        CacheTtl::OneHour => Some(Str::borrowed("1h")),
        _ => None,
    };
    CacheControl {
        kind: Str::borrowed("ephemeral"),
        ttl,
    }
}

fn encode_block<'r>(
    b: &'r Block<'_>,
    loc: Loc,
    side: Side,
    losses: &mut Losses,
) -> Option<ContentBlock<'r>> {
    Some(match b {
        // Anthropic rejects empty text blocks in requests (OpenAI assistant turns with tool
        // calls often carry `""`); they hold nothing, so this is not a loss.
        Block::Text { text } if text.is_empty() && side == Side::Request => return None,
        Block::Text { text } => text_block(text.reborrow()),
        Block::Refusal { text } => {
            losses.approximated(loc.path(), "refusal written as text");
            text_block(text.reborrow())
        }
        Block::Image { source, detail } => {
            if detail.is_some() {
                losses.dropped(
                    format!("{}.detail", loc.path()),
                    "Anthropic has no image detail",
                );
            }
            let Some(source) = encode_source(source, false) else {
                losses.dropped(loc.path(), "image source Anthropic cannot carry");
                return None;
            };
            if side == Side::Response {
                losses.dropped(loc.path(), "Anthropic responses carry no images");
                return None;
            }
            ContentBlock::Image {
                source,
                cache_control: None,
            }
        }
        Block::Audio { .. } => {
            losses.dropped(loc.path(), "Anthropic does not accept audio");
            return None;
        }
        Block::Document {
            source,
            name,
            context,
            citations,
        } => {
            let Some(source) = encode_source(source, true) else {
                losses.dropped(loc.path(), "document source Anthropic cannot carry");
                return None;
            };
            ContentBlock::Document {
                source,
                title: name.as_ref().map(Str::reborrow),
                context: context.as_ref().map(Str::reborrow),
                citations: *citations,
                cache_control: None,
            }
        }
        Block::ToolCall {
            id,
            name,
            arguments,
            kind,
        } => ContentBlock::ToolUse {
            id: id.reborrow(),
            name: name.reborrow(),
            input: tool_input(arguments, *kind, loc, losses),
            cache_control: None,
        },
        Block::ToolResult {
            call_id,
            name: _,
            content,
            is_error,
        } => {
            let mut inner = Vec::with_capacity(content.len());
            for (k, c) in content.iter().enumerate() {
                match c {
                    Block::Text { .. }
                    | Block::Image { .. }
                    | Block::Document { .. }
                    | Block::Unknown { .. } => {
                        if let Some(w) = encode_block(c, loc.nested(k), side, losses) {
                            inner.push(w);
                        }
                    }
                    Block::CachePoint(cache) => {
                        if !attach_cache(&mut inner, *cache) {
                            losses.dropped(loc.nested(k).path(), "cache marker with no block");
                        }
                    }
                    _ => losses.dropped(
                        loc.nested(k).path(),
                        "Anthropic tool results hold only text, images and documents",
                    ),
                }
            }
            ContentBlock::ToolResult {
                tool_use_id: call_id.reborrow(),
                content: compact(inner),
                is_error: is_error.then_some(true),
                cache_control: None,
            }
        }
        Block::Thinking {
            text,
            signature,
            id: _,
            origin,
        } => {
            let same_family = origin.family() == Family::Claude;
            match (side, same_family, signature) {
                (_, true, Some(sig)) => ContentBlock::Thinking {
                    thinking: text.reborrow(),
                    signature: sig.reborrow(),
                },
                (Side::Request, true, None) => {
                    losses.dropped(loc.path(), "thinking without signature");
                    return None;
                }
                (Side::Request, false, _) => {
                    losses.dropped(
                        loc.path(),
                        "thinking from another model family (signature not valid for Claude)",
                    );
                    return None;
                }
                (Side::Response, _, _) => {
                    if text.is_empty() {
                        // A bare foreign signature (Gemini) has nothing to show.
                        losses.dropped(loc.path(), "signature from another model family");
                        return None;
                    }
                    if signature.is_some() {
                        losses.dropped(
                            format!("{}.signature", loc.path()),
                            "signature from another model family",
                        );
                    }
                    ContentBlock::Thinking {
                        thinking: text.reborrow(),
                        signature: Str::default(),
                    }
                }
            }
        }
        Block::RedactedThinking { data, origin } => {
            if origin.family() != Family::Claude {
                losses.dropped(loc.path(), "encrypted reasoning from another model family");
                return None;
            }
            ContentBlock::RedactedThinking {
                data: data.reborrow(),
            }
        }
        Block::CachePoint(_) => return None,
        Block::Unknown { origin, raw } => {
            if *origin != Api::AnthropicMessages {
                losses.dropped(loc.path(), format!("{origin} block Anthropic cannot carry"));
                return None;
            }
            ContentBlock::Unknown(*raw)
        }
        // `Block` is non-exhaustive: a future kind is dropped until it is mapped here.
        #[allow(unreachable_patterns)]
        _ => {
            losses.dropped(loc.path(), "block kind not supported by Anthropic");
            return None;
        }
    })
}

fn text_block(text: Str<'_>) -> ContentBlock<'_> {
    ContentBlock::Text {
        text,
        citations: None,
        cache_control: None,
    }
}

/// Blocks as `content`: a single plain text block becomes a string, none becomes absent.
pub(super) fn compact(mut blocks: Vec<ContentBlock<'_>>) -> Option<Content<'_>> {
    match blocks.as_mut_slice() {
        [] => None,
        [
            ContentBlock::Text {
                text,
                citations: None,
                cache_control: None,
            },
        ] => Some(Content::Text(std::mem::take(text))),
        _ => Some(Content::Blocks(blocks)),
    }
}

/// Tool-call arguments as the `input` object Anthropic requires.
fn tool_input<'r>(
    arguments: &'r Str<'_>,
    kind: ToolCallKind,
    loc: Loc,
    losses: &mut Losses,
) -> Json<'r> {
    let args = arguments.as_str();
    if kind == ToolCallKind::Custom {
        losses.approximated(
            format!("{}.arguments", loc.path()),
            "free-form custom tool input wrapped as {\"input\": text}",
        );
        return wrap_input(args);
    }
    if args.trim().is_empty() {
        return Json::Fixed(Fixed::EmptyObject);
    }
    let raw = match crate::json::whole_raw(args) {
        Some(r) => Ok(r),
        None => serde_json::from_str::<&RawValue>(args).map(crate::Raw),
    };
    match raw {
        Ok(r) if r.get().starts_with('{') => Json::Raw(r),
        // A model can emit truncated or non-object arguments (OpenAI streams cut at
        // max_tokens); Anthropic only takes an object.
        _ => {
            losses.approximated(
                format!("{}.arguments", loc.path()),
                "arguments are not a JSON object; wrapped as {\"input\": text}",
            );
            wrap_input(args)
        }
    }
}

fn wrap_input(text: &str) -> Json<'static> {
    let mut s = String::with_capacity(text.len() + 12);
    s.push_str("{\"input\":");
    // Serializing a str cannot fail.
    s.push_str(&serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned()));
    s.push('}');
    match RawValue::from_string(s) {
        Ok(b) => Json::Owned(b),
        Err(_) => Json::Fixed(Fixed::EmptyObject),
    }
}

fn encode_source<'r>(s: &'r MediaSource<'_>, document: bool) -> Option<Source<'r>> {
    let mut out = Source::default();
    match s {
        MediaSource::Base64 { media_type, data } => {
            out.kind = Str::borrowed("base64");
            out.media_type = Some(media_type.reborrow());
            out.data = Some(data.reborrow());
        }
        // Anthropic infers the type of a URL source itself.
        MediaSource::Url { url, media_type: _ } => {
            out.kind = Str::borrowed("url");
            out.url = Some(url.reborrow());
        }
        MediaSource::FileId { id } => {
            out.kind = Str::borrowed("file");
            out.file_id = Some(id.reborrow());
        }
        MediaSource::Text { text } if document => {
            out.kind = Str::borrowed("text");
            out.media_type = Some(Str::borrowed("text/plain"));
            out.data = Some(text.reborrow());
        }
        _ => return None,
    }
    Some(out)
}
