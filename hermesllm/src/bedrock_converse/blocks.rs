//! Content blocks: Bedrock `ContentBlock` ↔ [`ir::Block`], shared by requests and responses.

use std::borrow::Cow;

use super::types::{
    CachePointBlock, ContentBlock, DocumentBlock, ImageBlock, ReasoningContentBlock, ReasoningText,
    S3Location, Source, ToolInput, ToolResultBlock, ToolResultContent, ToolUseBlock, Union,
};
use crate::ir::{self, Block, Cache, CacheTtl, MediaSource, ToolCallKind};
use crate::{Api, Family, Losses, Raw, Str};

const API: Api = Api::BedrockConverse;

/// A block that cannot be decoded: where (relative to the block) and why.
#[derive(Debug)]
pub(super) struct BlockError {
    pub at: &'static str,
    pub message: &'static str,
}

fn block_err(at: &'static str, message: &'static str) -> BlockError {
    BlockError { at, message }
}

/// Decodes one message content block.
pub(super) fn decode_block<'a>(
    block: Union<'a, ContentBlock<'a>>,
) -> Result<Block<'a>, BlockError> {
    let block = match block {
        Union::Unknown(raw) => return Ok(Block::Unknown { origin: API, raw }),
        Union::Known(b) => b,
    };
    Ok(match block {
        ContentBlock::Text(text) => Block::Text { text },
        ContentBlock::Image(img) => decode_image(img)?,
        ContentBlock::Document(doc) => decode_document(doc)?,
        ContentBlock::ToolUse(ToolUseBlock {
            tool_use_id,
            name,
            input,
        }) => Block::ToolCall {
            id: tool_use_id,
            name,
            arguments: match input {
                ToolInput::Json(raw) => Str::borrowed(raw.get()),
                ToolInput::Text(text) => text,
            },
            kind: ToolCallKind::Function,
        },
        ContentBlock::ToolResult(ToolResultBlock {
            tool_use_id,
            content,
            status,
        }) => {
            let content = content
                .into_iter()
                .map(decode_result_content)
                .collect::<Result<Vec<_>, _>>()?;
            Block::ToolResult {
                call_id: tool_use_id,
                name: None,
                content,
                is_error: status.is_some_and(|s| s == "error"),
            }
        }
        ContentBlock::ReasoningContent(ReasoningContentBlock {
            reasoning_text,
            redacted_content,
        }) => match (reasoning_text, redacted_content) {
            (Some(ReasoningText { text, signature }), _) => Block::Thinking {
                text,
                signature,
                id: None,
                origin: API,
            },
            (None, Some(data)) => Block::RedactedThinking { data, origin: API },
            (None, None) => {
                return Err(block_err(
                    "reasoningContent",
                    "must have reasoningText or redactedContent",
                ));
            }
        },
        ContentBlock::CachePoint(cp) => Block::CachePoint(decode_cache(&cp)),
    })
}

fn decode_result_content<'a>(c: Union<'a, ToolResultContent<'a>>) -> Result<Block<'a>, BlockError> {
    Ok(match c {
        Union::Unknown(raw) => Block::Unknown { origin: API, raw },
        // The internal model carries JSON results as text holding the JSON.
        Union::Known(ToolResultContent::Json(raw)) => Block::Text {
            text: Str::borrowed(raw.get()),
        },
        Union::Known(ToolResultContent::Text(text)) => Block::Text { text },
        Union::Known(ToolResultContent::Image(img)) => decode_image(img)?,
        Union::Known(ToolResultContent::Document(doc)) => decode_document(doc)?,
    })
}

/// The cache marker of a `cachePoint`.
pub(super) fn decode_cache(cp: &CachePointBlock<'_>) -> Cache {
    let ttl = match cp.ttl.as_deref() {
        Some("5m") => CacheTtl::FiveMinutes,
        Some("1h") => CacheTtl::OneHour,
        _ => CacheTtl::Default,
    };
    Cache { ttl }
}

/// A `cachePoint` for a cache marker.
pub(super) fn encode_cache(cache: &Cache) -> CachePointBlock<'static> {
    CachePointBlock {
        kind: Str::borrowed("default"),
        ttl: match cache.ttl {
            CacheTtl::Default => None,
            CacheTtl::FiveMinutes => Some(Str::borrowed("5m")),
            CacheTtl::OneHour => Some(Str::borrowed("1h")),
        },
    }
}

const IMAGE_FORMATS: [(&str, &str); 4] = [
    ("png", "image/png"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
];

const DOCUMENT_FORMATS: [(&str, &str); 9] = [
    ("pdf", "application/pdf"),
    ("csv", "text/csv"),
    ("doc", "application/msword"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("xls", "application/vnd.ms-excel"),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("html", "text/html"),
    ("txt", "text/plain"),
    ("md", "text/markdown"),
];

fn mime_of(table: &[(&'static str, &'static str)], format: &str) -> Option<&'static str> {
    table.iter().find(|(f, _)| *f == format).map(|(_, m)| *m)
}

fn format_of(table: &[(&'static str, &'static str)], mime: &str) -> Option<&'static str> {
    let mime = mime.split(';').next().unwrap_or(mime).trim();
    if mime.eq_ignore_ascii_case("image/jpg") {
        return Some("jpeg");
    }
    table
        .iter()
        .find(|(_, m)| m.eq_ignore_ascii_case(mime))
        .map(|(f, _)| *f)
}

fn decode_source<'a>(
    source: Source<'a>,
    media_type: &'static str,
) -> Result<MediaSource<'a>, BlockError> {
    let Source {
        bytes,
        s3_location,
        text,
        content: _,
    } = source;
    if let Some(data) = bytes {
        return Ok(MediaSource::Base64 {
            media_type: Str::borrowed(media_type),
            data,
        });
    }
    if let Some(S3Location { uri, .. }) = s3_location {
        return Ok(MediaSource::Url {
            url: uri,
            media_type: Some(Str::borrowed(media_type)),
        });
    }
    if let Some(text) = text {
        return Ok(MediaSource::Text { text });
    }
    Err(block_err(
        "source",
        "must have bytes, s3Location or text (structured content sources are not supported)",
    ))
}

fn decode_image(img: ImageBlock<'_>) -> Result<Block<'_>, BlockError> {
    let mime = mime_of(&IMAGE_FORMATS, &img.format)
        .ok_or_else(|| block_err("image.format", "must be png, jpeg, gif or webp"))?;
    let source = decode_source(img.source, mime).map_err(|e| BlockError {
        at: "image.source",
        ..e
    })?;
    Ok(Block::Image {
        source,
        detail: None,
    })
}

fn decode_document(doc: DocumentBlock<'_>) -> Result<Block<'_>, BlockError> {
    let mime = match doc.format.as_deref() {
        None => "application/octet-stream",
        Some(f) => mime_of(&DOCUMENT_FORMATS, f).ok_or_else(|| {
            block_err(
                "document.format",
                "must be pdf, csv, doc, docx, xls, xlsx, html, txt or md",
            )
        })?,
    };
    let source = decode_source(doc.source, mime).map_err(|e| BlockError {
        at: "document.source",
        ..e
    })?;
    Ok(Block::Document {
        source,
        name: Some(doc.name),
        context: doc.context,
        citations: doc.citations,
    })
}

/// What to do with reasoning produced by another model family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ForeignThinking {
    /// Drop the block (requests: the upstream would reject a foreign signature).
    Drop,
    /// Keep the text, drop the signature (responses: the client still sees the reasoning).
    KeepText,
}

/// Encodes one block of message (or tool-result) content; `None` when it was dropped (the loss
/// is recorded at `at()`).
pub(super) fn encode_block<'b>(
    block: &'b Block<'_>,
    foreign: ForeignThinking,
    losses: &mut Losses,
    at: &dyn Fn() -> String,
) -> Option<Union<'b, ContentBlock<'b>>> {
    let out = match block {
        Block::Text { text } => ContentBlock::Text(text.reborrow()),
        Block::Refusal { text } => {
            losses.approximated(at(), "Bedrock has no refusal block; sent as text");
            ContentBlock::Text(text.reborrow())
        }
        Block::Image { source, detail } => {
            if detail.is_some() {
                losses.dropped(format!("{}.detail", at()), "Bedrock has no image detail");
            }
            ContentBlock::Image(encode_image(source, losses, at)?)
        }
        Block::Document {
            source,
            name,
            context,
            citations,
        } => ContentBlock::Document(encode_document(
            source,
            name.as_ref(),
            context.as_ref(),
            citations.as_ref(),
            losses,
            at,
        )?),
        Block::ToolCall {
            id,
            name,
            arguments,
            kind,
        } => ContentBlock::ToolUse(ToolUseBlock {
            tool_use_id: id.reborrow(),
            name: name.reborrow(),
            input: encode_input(arguments, *kind, losses, at),
        }),
        Block::ToolResult {
            call_id,
            name: _,
            content,
            is_error,
        } => {
            let mut out = Vec::with_capacity(content.len());
            for (i, c) in content.iter().enumerate() {
                let at_c = || format!("{}.content[{i}]", at());
                if let Some(b) = encode_result_content(c, losses, &at_c) {
                    out.push(b);
                }
            }
            ContentBlock::ToolResult(ToolResultBlock {
                tool_use_id: call_id.reborrow(),
                content: out,
                status: is_error.then(|| Str::borrowed("error")),
            })
        }
        Block::Thinking {
            text,
            signature,
            id: _,
            origin,
        } => {
            let same_family = origin.family() == Family::Claude;
            let signature = match (same_family, foreign) {
                (true, _) => signature.as_ref().map(Str::reborrow),
                (false, ForeignThinking::Drop) => {
                    losses.dropped(
                        at(),
                        format!("reasoning from {origin} cannot be replayed to Bedrock"),
                    );
                    return None;
                }
                (false, ForeignThinking::KeepText) => {
                    if signature.is_some() {
                        losses.dropped(
                            format!("{}.signature", at()),
                            format!("signature from {origin} is not valid for Bedrock"),
                        );
                    }
                    None
                }
            };
            ContentBlock::ReasoningContent(ReasoningContentBlock {
                reasoning_text: Some(ReasoningText {
                    text: text.reborrow(),
                    signature,
                }),
                redacted_content: None,
            })
        }
        Block::RedactedThinking { data, origin } => {
            if origin.family() != Family::Claude {
                losses.dropped(
                    at(),
                    format!("encrypted reasoning from {origin} is not valid for Bedrock"),
                );
                return None;
            }
            ContentBlock::ReasoningContent(ReasoningContentBlock {
                reasoning_text: None,
                redacted_content: Some(data.reborrow()),
            })
        }
        Block::CachePoint(cache) => ContentBlock::CachePoint(encode_cache(cache)),
        Block::Unknown { origin, raw } => {
            if *origin == API {
                return Some(Union::Unknown(*raw));
            }
            losses.dropped(at(), format!("{origin} block has no Bedrock equivalent"));
            return None;
        }
        Block::Audio { .. } => {
            losses.dropped(at(), "Bedrock Converse does not accept audio");
            return None;
        }
    };
    Some(Union::Known(out))
}

fn encode_result_content<'b>(
    block: &'b Block<'_>,
    losses: &mut Losses,
    at: &dyn Fn() -> String,
) -> Option<Union<'b, ToolResultContent<'b>>> {
    let out = match block {
        Block::Text { text } => ToolResultContent::Text(text.reborrow()),
        Block::Image { source, .. } => ToolResultContent::Image(encode_image(source, losses, at)?),
        Block::Document {
            source,
            name,
            context,
            citations,
        } => ToolResultContent::Document(encode_document(
            source,
            name.as_ref(),
            context.as_ref(),
            citations.as_ref(),
            losses,
            at,
        )?),
        Block::Unknown { origin, raw } if *origin == API => return Some(Union::Unknown(*raw)),
        _ => {
            losses.dropped(
                at(),
                "Bedrock tool results carry text, JSON, images and documents",
            );
            return None;
        }
    };
    Some(Union::Known(out))
}

/// Tool-call arguments as `input`: JSON text as raw JSON (empty text as `{}`); free-form
/// custom-tool input, or arguments that are not valid JSON, as a JSON string.
fn encode_input<'b>(
    arguments: &'b Str<'_>,
    kind: ToolCallKind,
    losses: &mut Losses,
    at: &dyn Fn() -> String,
) -> ToolInput<'b> {
    let text = arguments.as_str();
    if kind == ToolCallKind::Function {
        let text = if text.trim().is_empty() { "{}" } else { text };
        if let Ok(raw) = Raw::parse(text) {
            return ToolInput::Json(raw);
        }
        losses.approximated(
            format!("{}.arguments", at()),
            "arguments are not valid JSON; sent as a JSON string",
        );
    } else {
        losses.approximated(at(), "custom tool input sent as a JSON string");
    }
    ToolInput::Text(arguments.reborrow())
}

fn encode_image<'b>(
    source: &'b MediaSource<'_>,
    losses: &mut Losses,
    at: &dyn Fn() -> String,
) -> Option<ImageBlock<'b>> {
    let (format, source) = match source {
        MediaSource::Base64 { media_type, data } => (
            format_of(&IMAGE_FORMATS, media_type),
            Source {
                bytes: Some(data.reborrow()),
                ..Source::default()
            },
        ),
        MediaSource::Url { url, media_type } if url.starts_with("s3://") => (
            media_type
                .as_deref()
                .and_then(|m| format_of(&IMAGE_FORMATS, m))
                .or_else(|| extension_format(&IMAGE_FORMATS, url)),
            Source {
                s3_location: Some(S3Location {
                    uri: url.reborrow(),
                    bucket_owner: None,
                }),
                ..Source::default()
            },
        ),
        _ => {
            losses.dropped(
                at(),
                "Bedrock images must be inline base64 bytes or an s3:// location",
            );
            return None;
        }
    };
    let Some(format) = format else {
        losses.dropped(at(), "Bedrock images must be png, jpeg, gif or webp");
        return None;
    };
    Some(ImageBlock {
        format: Str::borrowed(format),
        source,
    })
}

fn extension_format(table: &[(&'static str, &'static str)], url: &str) -> Option<&'static str> {
    let ext = url.rsplit('.').next()?;
    if ext.eq_ignore_ascii_case("jpg") {
        return Some("jpeg");
    }
    table
        .iter()
        .find(|(f, _)| f.eq_ignore_ascii_case(ext))
        .map(|(f, _)| *f)
}

fn encode_document<'b>(
    source: &'b MediaSource<'_>,
    name: Option<&'b Str<'_>>,
    context: Option<&'b Str<'_>>,
    citations: Option<&Raw<'b>>,
    losses: &mut Losses,
    at: &dyn Fn() -> String,
) -> Option<DocumentBlock<'b>> {
    let (format, source) = match source {
        MediaSource::Base64 { media_type, data } => (
            format_of(&DOCUMENT_FORMATS, media_type),
            Source {
                bytes: Some(data.reborrow()),
                ..Source::default()
            },
        ),
        MediaSource::Url { url, media_type } if url.starts_with("s3://") => (
            media_type
                .as_deref()
                .and_then(|m| format_of(&DOCUMENT_FORMATS, m))
                .or_else(|| extension_format(&DOCUMENT_FORMATS, url)),
            Source {
                s3_location: Some(S3Location {
                    uri: url.reborrow(),
                    bucket_owner: None,
                }),
                ..Source::default()
            },
        ),
        MediaSource::Text { text } => (
            Some("txt"),
            Source {
                text: Some(text.reborrow()),
                ..Source::default()
            },
        ),
        MediaSource::Url { .. } | MediaSource::FileId { .. } => {
            losses.dropped(
                at(),
                "Bedrock documents must be inline bytes, text or an s3:// location",
            );
            return None;
        }
    };
    let Some(format) = format else {
        losses.dropped(at(), "document type not supported by Bedrock");
        return None;
    };
    let name = match name {
        Some(n) => {
            let clean = document_name(n);
            if clean.as_str() != n.as_str() {
                losses.approximated(
                    format!("{}.name", at()),
                    "Bedrock document names allow only letters, digits, spaces, hyphens, parentheses and brackets",
                );
            }
            clean
        }
        None => Str::borrowed("document"),
    };
    Some(DocumentBlock {
        format: Some(Str::borrowed(format)),
        name,
        source,
        context: context.map(Str::reborrow),
        citations: citations.copied(),
    })
}

/// A document name in Bedrock's allowed character set (alphanumerics, single spaces, hyphens,
/// parentheses, square brackets), borrowed when it already is.
fn document_name<'b>(name: &'b Str<'_>) -> Str<'b> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || " -()[]".contains(c);
    let s = name.as_str();
    if !s.is_empty() && s.chars().all(allowed) && !s.contains("  ") {
        return Str::borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = if allowed(c) { c } else { '-' };
        if !(c == ' ' && out.ends_with(' ')) {
            out.push(c);
        }
    }
    if out.trim().is_empty() {
        return Str::borrowed("document");
    }
    Str(Cow::Owned(out))
}

/// Whether a block is a tool call or tool result (Bedrock then requires `toolConfig`).
pub(super) fn is_tool_block(block: &ir::Block<'_>) -> bool {
    matches!(block, Block::ToolCall { .. } | Block::ToolResult { .. })
}
