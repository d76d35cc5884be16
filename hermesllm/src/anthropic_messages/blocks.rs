//! Wire content blocks (shared by messages, `system`, tool results and responses) and
//! verbatim JSON values.
//!
//! Blocks are polymorphic and the API keeps adding kinds (`server_tool_use`,
//! `web_search_tool_result`, `container_upload`, ...). Each is first read as raw JSON and then
//! parsed into a flat struct, so that a kind this crate does not model is kept verbatim as
//! [`ContentBlock::Unknown`] instead of failing, and `tool_use.input` stays a raw slice.

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::{Raw, Str};

/// Content that is either a plain string or a list of blocks (message content, `system`,
/// `tool_result.content`).
#[derive(Debug, Clone, PartialEq)]
pub enum Content<'a> {
    /// A plain string.
    Text(Str<'a>),
    /// Blocks.
    Blocks(Vec<ContentBlock<'a>>),
}

impl Serialize for Content<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Content::Text(t) => t.serialize(s),
            Content::Blocks(b) => b.serialize(s),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Content<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Content<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of content blocks")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Content::Text(Str::borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Content::Text(Str::from(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Content::Text(Str::from(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(2));
                while let Some(b) = seq.next_element::<ContentBlock<'de>>()? {
                    out.push(b);
                }
                Ok(Content::Blocks(out))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// `cache_control`: `{"type":"ephemeral","ttl":"5m"|"1h"}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CacheControl<'a> {
    /// Always `ephemeral`.
    #[serde(rename = "type", borrow)]
    pub kind: Str<'a>,
    /// Time to live.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<Str<'a>>,
}

/// A media source (`image.source`, `document.source`), flat: `type` says which fields apply.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Source<'a> {
    /// `base64`, `url`, `file`, `text` or `content`.
    #[serde(rename = "type", borrow)]
    pub kind: Str<'a>,
    /// MIME type (`base64`, `text`).
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<Str<'a>>,
    /// Base64 data or plain text (`text`).
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub data: Option<Str<'a>>,
    /// URL (`url`).
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub url: Option<Str<'a>>,
    /// Files API id (`file`).
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub file_id: Option<Str<'a>>,
}

/// A content block.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock<'a> {
    /// Text.
    Text {
        /// The text.
        text: Str<'a>,
        /// Citations (responses), raw.
        #[serde(skip_serializing_if = "Option::is_none")]
        citations: Option<Raw<'a>>,
        /// Cache breakpoint.
        #[serde(skip_serializing_if = "Option::is_none")]
        cache_control: Option<CacheControl<'a>>,
    },
    /// An image.
    Image {
        /// Where it comes from.
        source: Source<'a>,
        /// Cache breakpoint.
        #[serde(skip_serializing_if = "Option::is_none")]
        cache_control: Option<CacheControl<'a>>,
    },
    /// A document (PDF, plain text).
    Document {
        /// Where it comes from.
        source: Source<'a>,
        /// Title.
        #[serde(skip_serializing_if = "Option::is_none")]
        title: Option<Str<'a>>,
        /// Context about the document.
        #[serde(skip_serializing_if = "Option::is_none")]
        context: Option<Str<'a>>,
        /// `{"enabled": bool}`, raw.
        #[serde(skip_serializing_if = "Option::is_none")]
        citations: Option<Raw<'a>>,
        /// Cache breakpoint.
        #[serde(skip_serializing_if = "Option::is_none")]
        cache_control: Option<CacheControl<'a>>,
    },
    /// The model calls a client tool.
    ToolUse {
        /// `toolu_...`.
        id: Str<'a>,
        /// Tool name.
        name: Str<'a>,
        /// Arguments object, raw (owned only when the encoder had to synthesize it).
        input: Json<'a>,
        /// Cache breakpoint.
        #[serde(skip_serializing_if = "Option::is_none")]
        cache_control: Option<CacheControl<'a>>,
    },
    /// The result of a tool call.
    ToolResult {
        /// The `tool_use` id answered.
        tool_use_id: Str<'a>,
        /// A string or blocks.
        #[serde(skip_serializing_if = "Option::is_none")]
        content: Option<Content<'a>>,
        /// Whether the tool failed.
        #[serde(skip_serializing_if = "Option::is_none")]
        is_error: Option<bool>,
        /// Cache breakpoint.
        #[serde(skip_serializing_if = "Option::is_none")]
        cache_control: Option<CacheControl<'a>>,
    },
    /// Extended thinking.
    Thinking {
        /// The reasoning text.
        thinking: Str<'a>,
        /// Its signature.
        signature: Str<'a>,
    },
    /// Encrypted thinking.
    RedactedThinking {
        /// Opaque data.
        data: Str<'a>,
    },
    /// A block kind this crate does not model, kept verbatim.
    #[serde(untagged)]
    Unknown(Raw<'a>),
}

/// The flat shape every modelled block is parsed through.
#[derive(Deserialize)]
struct FlatBlock<'a> {
    #[serde(rename = "type", borrow)]
    kind: Str<'a>,
    #[serde(default, borrow)]
    text: Option<Str<'a>>,
    #[serde(default, borrow)]
    source: Option<Raw<'a>>,
    #[serde(default, borrow)]
    id: Option<Str<'a>>,
    #[serde(default, borrow)]
    name: Option<Str<'a>>,
    #[serde(default, borrow)]
    input: Option<&'a RawValue>,
    #[serde(default, borrow)]
    tool_use_id: Option<Str<'a>>,
    #[serde(default, borrow)]
    content: Option<Raw<'a>>,
    #[serde(default)]
    is_error: Option<bool>,
    #[serde(default, borrow)]
    cache_control: Option<Raw<'a>>,
    #[serde(default, borrow)]
    thinking: Option<Str<'a>>,
    #[serde(default, borrow)]
    signature: Option<Str<'a>>,
    #[serde(default, borrow)]
    data: Option<Str<'a>>,
    #[serde(default, borrow)]
    title: Option<Str<'a>>,
    #[serde(default, borrow)]
    context: Option<Str<'a>>,
    #[serde(default, borrow)]
    citations: Option<Raw<'a>>,
}

#[derive(Deserialize)]
struct KindOnly<'a> {
    #[serde(rename = "type", borrow)]
    kind: Str<'a>,
}

const KNOWN_BLOCKS: [&str; 7] = [
    "text",
    "image",
    "document",
    "tool_use",
    "tool_result",
    "thinking",
    "redacted_thinking",
];

impl<'a> ContentBlock<'a> {
    /// Parses one block from its raw JSON. Unmodelled kinds become [`ContentBlock::Unknown`].
    ///
    /// # Errors
    /// A modelled kind with missing or mistyped fields.
    pub fn from_raw(raw: &'a RawValue) -> Result<Self, String> {
        let flat: FlatBlock<'a> = match serde_json::from_str(raw.get()) {
            Ok(f) => f,
            Err(e) => {
                // A kind we do not model may use our field names with other types.
                let kind: KindOnly<'a> =
                    serde_json::from_str(raw.get()).map_err(|_| e.to_string())?;
                if KNOWN_BLOCKS.contains(&kind.kind.as_str()) {
                    return Err(e.to_string());
                }
                return Ok(ContentBlock::Unknown(Raw(raw)));
            }
        };
        let cache_control = match flat.cache_control {
            Some(c) if !c.is_null() => Some(
                serde_json::from_str::<CacheControl<'a>>(c.get())
                    .map_err(|e| format!("cache_control: {e}"))?,
            ),
            _ => None,
        };
        Ok(match flat.kind.as_str() {
            "text" => ContentBlock::Text {
                text: flat.text.ok_or("text block: missing field `text`")?,
                citations: flat.citations.filter(|c| !c.is_null()),
                cache_control,
            },
            "image" | "document" => {
                let source = flat
                    .source
                    .ok_or_else(|| format!("{} block: missing field `source`", flat.kind))?;
                let source: Source<'a> =
                    serde_json::from_str(source.get()).map_err(|e| format!("source: {e}"))?;
                // Nested `content` sources (and kinds added later) have no place in the
                // internal model's media sources: the block is kept whole.
                let known = match flat.kind.as_str() {
                    "image" => matches!(source.kind.as_str(), "base64" | "url" | "file"),
                    _ => matches!(source.kind.as_str(), "base64" | "url" | "file" | "text"),
                };
                if !known {
                    return Ok(ContentBlock::Unknown(Raw(raw)));
                }
                if flat.kind == "image" {
                    ContentBlock::Image {
                        source,
                        cache_control,
                    }
                } else {
                    ContentBlock::Document {
                        source,
                        title: flat.title,
                        context: flat.context,
                        citations: flat.citations.filter(|c| !c.is_null()),
                        cache_control,
                    }
                }
            }
            "tool_use" => ContentBlock::ToolUse {
                id: flat.id.ok_or("tool_use block: missing field `id`")?,
                name: flat.name.ok_or("tool_use block: missing field `name`")?,
                input: Json::Raw(Raw(flat
                    .input
                    .ok_or("tool_use block: missing field `input`")?)),
                cache_control,
            },
            "tool_result" => ContentBlock::ToolResult {
                tool_use_id: flat
                    .tool_use_id
                    .ok_or("tool_result block: missing field `tool_use_id`")?,
                content: match flat.content {
                    Some(c) if !c.is_null() => Some(
                        serde_json::from_str::<Content<'a>>(c.get())
                            .map_err(|e| format!("tool_result content: {e}"))?,
                    ),
                    _ => None,
                },
                is_error: flat.is_error,
                cache_control,
            },
            "thinking" => ContentBlock::Thinking {
                thinking: flat
                    .thinking
                    .ok_or("thinking block: missing field `thinking`")?,
                signature: flat.signature.unwrap_or_default(),
            },
            "redacted_thinking" => ContentBlock::RedactedThinking {
                data: flat
                    .data
                    .ok_or("redacted_thinking block: missing field `data`")?,
            },
            _ => ContentBlock::Unknown(Raw(raw)),
        })
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for ContentBlock<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <&'de RawValue>::deserialize(d)?;
        ContentBlock::from_raw(raw).map_err(de::Error::custom)
    }
}

/// A JSON value written verbatim: borrowed from the input, built by the encoder, or one of
/// the few constant values the encoder needs.
#[derive(Debug, Clone)]
pub enum Json<'a> {
    /// Raw text from the input.
    Raw(Raw<'a>),
    /// Text the encoder built.
    Owned(Box<RawValue>),
    /// A constant.
    Fixed(Fixed),
}

/// Constant JSON values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fixed {
    /// `{}`.
    EmptyObject,
    /// `{"type":"object","properties":{}}`.
    EmptySchema,
    /// `{"type":"object","properties":{"input":{"type":"string"}},"required":["input"]}`.
    InputStringSchema,
}

impl Fixed {
    /// The JSON text.
    pub fn text(self) -> &'static str {
        match self {
            Fixed::EmptyObject => "{}",
            Fixed::EmptySchema => r#"{"type":"object","properties":{}}"#,
            Fixed::InputStringSchema => {
                r#"{"type":"object","properties":{"input":{"type":"string"}},"required":["input"]}"#
            }
        }
    }
}

impl Json<'_> {
    /// The JSON text.
    pub fn text(&self) -> &str {
        match self {
            Json::Raw(r) => r.get(),
            Json::Owned(b) => b.get(),
            Json::Fixed(f) => f.text(),
        }
    }
}

impl PartialEq for Json<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.text() == other.text()
    }
}

impl Default for Json<'_> {
    fn default() -> Self {
        Json::Fixed(Fixed::EmptyObject)
    }
}

impl Serialize for Json<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Raw(r) => r.serialize(s),
            Json::Owned(b) => b.serialize(s),
            // The constants are a few bytes of valid JSON: borrowing them as raw values costs
            // next to nothing and cannot fail (the error path is only for the type checker).
            Json::Fixed(f) => serde_json::from_str::<&RawValue>(f.text())
                .map_err(serde::ser::Error::custom)?
                .serialize(s),
        }
    }
}
