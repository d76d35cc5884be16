//! Content parts ↔ IR blocks, shared by requests, responses and tool outputs.

use std::borrow::Cow;

use super::types::{Parsed, PartFields, UrlValue};
use crate::ir::{Block, MediaSource};
use crate::{Api, DecodeError, Losses, Str};

/// Decodes one content part into a block.
///
/// # Errors
/// Parts missing the field their type requires.
pub(super) fn decode_part<'a>(
    part: Parsed<'a, PartFields<'a>>,
    path: &dyn Fn() -> String,
) -> Result<Block<'a>, DecodeError> {
    let Parsed { raw, value: p } = part;
    let missing = |field: &str| DecodeError::invalid(path(), format!("missing `{field}`"));
    Ok(match p.kind.as_str() {
        "input_text" | "output_text" | "text" | "summary_text" | "reasoning_text" => Block::Text {
            text: p.text.ok_or_else(|| missing("text"))?,
        },
        "refusal" => Block::Refusal {
            text: p.refusal.ok_or_else(|| missing("refusal"))?,
        },
        "input_image" => {
            let source = match (p.image_url, p.file_id) {
                (Some(UrlValue::Plain(url)), _) => media_from_url(url, None),
                (Some(UrlValue::Data { media_type, data }), _) => {
                    MediaSource::Base64 { media_type, data }
                }
                (None, Some(id)) => MediaSource::FileId { id },
                (None, None) => return Err(missing("image_url` or `file_id")),
            };
            Block::Image {
                source,
                detail: p.detail,
            }
        }
        "input_file" => {
            let source = if let Some(data) = p.file_data {
                match data {
                    UrlValue::Plain(url) => media_from_url(url, Some("application/pdf")),
                    UrlValue::Data { media_type, data } => MediaSource::Base64 { media_type, data },
                }
            } else if let Some(id) = p.file_id {
                MediaSource::FileId { id }
            } else if let Some(url) = p.file_url {
                MediaSource::Url {
                    url,
                    media_type: None,
                }
            } else {
                return Err(missing("file_data`, `file_id` or `file_url"));
            };
            Block::Document {
                source,
                name: p.filename,
                context: None,
                citations: None,
            }
        }
        _ => match raw {
            Some(raw) => Block::Unknown {
                origin: Api::OpenAiResponses,
                raw,
            },
            None => return Err(DecodeError::invalid(path(), "unknown content part")),
        },
    })
}

/// A URL as a media source: `data:<type>;base64,<data>` becomes [`MediaSource::Base64`]
/// (borrowing both halves when the URL is borrowed); bare base64 in `file_data` takes
/// `default_type`.
pub(super) fn media_from_url<'a>(
    url: Str<'a>,
    default_type: Option<&'static str>,
) -> MediaSource<'a> {
    let split = |s: &str| -> Option<(usize, usize, usize)> {
        let rest = s.strip_prefix("data:")?;
        let comma = rest.find(',')?;
        let meta = rest.get(..comma)?;
        let mt = meta.strip_suffix(";base64")?;
        Some((5, 5 + mt.len(), 5 + comma + 1))
    };
    if let Some((mt_start, mt_end, data_start)) = split(&url) {
        let (media_type, data) = match url.0 {
            Cow::Borrowed(s) => (
                Str::borrowed(s.get(mt_start..mt_end).unwrap_or_default()),
                Str::borrowed(s.get(data_start..).unwrap_or_default()),
            ),
            Cow::Owned(s) => (
                Str::from(s.get(mt_start..mt_end).unwrap_or_default().to_owned()),
                Str::from(s.get(data_start..).unwrap_or_default().to_owned()),
            ),
        };
        return MediaSource::Base64 { media_type, data };
    }
    match default_type {
        // `file_data` without a `data:` prefix is bare base64.
        Some(mt) => MediaSource::Base64 {
            media_type: Str::borrowed(mt),
            data: url,
        },
        None => MediaSource::Url {
            url,
            media_type: None,
        },
    }
}

/// Encodes an input block (user, system or tool-output content) as an input part.
///
/// Returns `None` (after recording the loss) for blocks an input part cannot carry.
pub(super) fn encode_input_part<'x>(
    block: &'x Block<'_>,
    path: &dyn Fn() -> String,
    losses: &mut Losses,
) -> Option<Parsed<'x, PartFields<'x>>> {
    let part = match block {
        Block::Text { text } => PartFields::text("input_text", text.reborrow()),
        Block::Refusal { text } => {
            losses.approximated(path(), "refusal sent as input text");
            PartFields::text("input_text", text.reborrow())
        }
        Block::Image { source, detail } => {
            let mut p = PartFields {
                kind: Str::borrowed("input_image"),
                // The API documents `detail` as required; `auto` is its default.
                detail: Some(detail.as_ref().map_or(Str::borrowed("auto"), Str::reborrow)),
                ..PartFields::default()
            };
            match source {
                MediaSource::Url { url, .. } => p.image_url = Some(UrlValue::Plain(url.reborrow())),
                MediaSource::Base64 { media_type, data } => {
                    p.image_url = Some(UrlValue::Data {
                        media_type: media_type.reborrow(),
                        data: data.reborrow(),
                    });
                }
                MediaSource::FileId { id } => p.file_id = Some(id.reborrow()),
                MediaSource::Text { .. } => {
                    losses.dropped(path(), "a text image source has no Responses form");
                    return None;
                }
            }
            p
        }
        Block::Document {
            source,
            name,
            context,
            citations,
        } => {
            if context.is_some() {
                losses.dropped(
                    format!("{}.context", path()),
                    "no document context in Responses",
                );
            }
            if citations.is_some() {
                losses.dropped(
                    format!("{}.citations", path()),
                    "no document citations in Responses",
                );
            }
            let mut p = PartFields {
                kind: Str::borrowed("input_file"),
                filename: name.as_ref().map(Str::reborrow),
                ..PartFields::default()
            };
            match source {
                MediaSource::Url { url, .. } => p.file_url = Some(url.reborrow()),
                MediaSource::Base64 { media_type, data } => {
                    p.file_data = Some(UrlValue::Data {
                        media_type: media_type.reborrow(),
                        data: data.reborrow(),
                    });
                }
                MediaSource::FileId { id } => p.file_id = Some(id.reborrow()),
                MediaSource::Text { text } => {
                    losses.approximated(path(), "plain-text document sent as input text");
                    return Some(Parsed::new(PartFields::text("input_text", text.reborrow())));
                }
            }
            p
        }
        Block::Unknown {
            origin: Api::OpenAiResponses,
            raw,
        } => {
            return Some(Parsed {
                raw: Some(*raw),
                value: PartFields::default(),
            });
        }
        Block::Audio { .. } => {
            losses.dropped(path(), "Responses input has no audio part");
            return None;
        }
        Block::CachePoint(_) => {
            losses.dropped(
                path(),
                "Responses has no cache markers (prompt caching is automatic)",
            );
            return None;
        }
        _ => {
            losses.dropped(path(), "not valid as input content in Responses");
            return None;
        }
    };
    Some(Parsed::new(part))
}
