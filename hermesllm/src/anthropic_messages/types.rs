//! Wire types of the Anthropic Messages API, used both to decode and to encode.
//!
//! Tool definitions are read as raw JSON first, so that versioned built-in tools
//! (`web_search_20250305`, `bash_20250124`, ...) are kept verbatim as [`ToolDef::Builtin`]
//! and client tools' JSON Schemas stay raw slices of the body. Content blocks are in
//! a sibling module and re-exported here.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

pub use super::blocks::{CacheControl, Content, ContentBlock, Fixed, Json, Source};
use crate::{Raw, Str, open_object};

open_object! {
    /// `POST /v1/messages` request body.
    pub struct MessagesRequest<'a> {
        /// Model id.
        "model" => pub model: Str<'a>,
        /// Required maximum output tokens.
        "max_tokens" => pub max_tokens: Option<u32>,
        /// System prompt: a string or text blocks.
        "system" => pub system: Option<Content<'a>>,
        /// The conversation.
        "messages" => pub messages: Vec<Message<'a>>,
        /// Tool definitions.
        "tools" => pub tools: Vec<ToolDef<'a>>,
        /// How the model must use tools.
        "tool_choice" => pub tool_choice: Option<ToolChoice<'a>>,
        /// Stop sequences.
        "stop_sequences" => pub stop_sequences: Vec<Str<'a>>,
        /// Temperature, 0 to 1.
        "temperature" => pub temperature: Option<f64>,
        /// Nucleus sampling.
        "top_p" => pub top_p: Option<f64>,
        /// Top-k sampling.
        "top_k" => pub top_k: Option<u32>,
        /// `{user_id}`.
        "metadata" => pub metadata: Option<Metadata<'a>>,
        /// Extended thinking configuration.
        "thinking" => pub thinking: Option<ThinkingConfig<'a>>,
        /// `{effort, format}`.
        "output_config" => pub output_config: Option<OutputConfig<'a>>,
        /// The beta spelling of `output_config.format`.
        "output_format" => pub output_format: Option<OutputFormat<'a>>,
        /// Whether to stream.
        "stream" => pub stream: Option<bool>,
    }
}

open_object! {
    /// A `Message` response object.
    pub struct MessageResponse<'a> {
        /// `msg_...`.
        "id" => pub id: Str<'a>,
        /// Always `message`.
        "type" => pub kind: Str<'a>,
        /// Always `assistant`.
        "role" => pub role: Str<'a>,
        /// The model that answered.
        "model" => pub model: Str<'a>,
        /// Output blocks.
        "content" => pub content: Vec<ContentBlock<'a>>,
        /// Why the model stopped (`null` only in stream `message_start`).
        "stop_reason" => pub stop_reason: Nullable<Str<'a>>,
        /// The stop sequence that matched.
        "stop_sequence" => pub stop_sequence: Nullable<Str<'a>>,
        /// Token usage.
        "usage" => pub usage: Option<WireUsage<'a>>,
    }
}

/// An optional value that is written as `null` rather than omitted (the API always sends
/// `stop_reason` and `stop_sequence`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Nullable<T>(pub Option<T>);

impl<T> crate::wire::Omit for Nullable<T> {
    fn omit(&self) -> bool {
        false
    }
}

impl<T: Serialize> Serialize for Nullable<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Nullable<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(d).map(Nullable)
    }
}

/// Token usage as the API reports it: `input_tokens` excludes cache reads and writes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WireUsage<'a> {
    /// Uncached input tokens.
    #[serde(default)]
    pub input_tokens: u64,
    /// Cache writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_creation_input_tokens: Option<u64>,
    /// Cache reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read_input_tokens: Option<u64>,
    /// Output tokens, thinking included.
    #[serde(default)]
    pub output_tokens: u64,
    /// Cache writes by TTL, raw.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub cache_creation: Option<Raw<'a>>,
    /// Server tool use counts, raw.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub server_tool_use: Option<Raw<'a>>,
    /// `standard`, `priority` or `batch`.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<Str<'a>>,
}

/// `{"type":"error","error":{"type","message"},"request_id"}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody<'a> {
    /// Always `error`.
    #[serde(rename = "type", borrow, default)]
    pub kind: Str<'a>,
    /// The error.
    #[serde(borrow)]
    pub error: ErrorObject<'a>,
    /// Request id.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<Str<'a>>,
}

/// The `error` object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorObject<'a> {
    /// `invalid_request_error`, `rate_limit_error`, ...
    #[serde(rename = "type", borrow, default)]
    pub kind: Str<'a>,
    /// Message.
    #[serde(borrow, default)]
    pub message: Str<'a>,
}

/// One conversation turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message<'a> {
    /// `user` or `assistant`.
    #[serde(borrow)]
    pub role: Str<'a>,
    /// A string or blocks.
    #[serde(borrow)]
    pub content: Content<'a>,
}

/// A tool definition: a client tool with a JSON Schema, or a server/Anthropic-defined tool.
#[derive(Debug, Clone, PartialEq)]
pub enum ToolDef<'a> {
    /// A client tool (`type` absent or `custom`).
    Custom(CustomTool<'a>),
    /// A versioned built-in tool (`web_search_20250305`, `bash_20250124`, ...), raw.
    Builtin {
        /// Its `name`, when it has one.
        name: Str<'a>,
        /// The definition as received.
        raw: Raw<'a>,
    },
}

/// A client tool.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CustomTool<'a> {
    /// `custom`, usually omitted.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<Str<'a>>,
    /// Name.
    pub name: Str<'a>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Str<'a>>,
    /// JSON Schema of the input, raw (required by the API).
    pub input_schema: Option<Json<'a>>,
    /// Strict schema adherence (structured outputs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
    /// Cache breakpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<CacheControl<'a>>,
}

#[derive(Deserialize)]
struct FlatTool<'a> {
    #[serde(rename = "type", default, borrow)]
    kind: Option<Str<'a>>,
    #[serde(default, borrow)]
    name: Option<Str<'a>>,
    #[serde(default, borrow)]
    description: Option<Str<'a>>,
    #[serde(default, borrow)]
    input_schema: Option<&'a RawValue>,
    #[serde(default)]
    strict: Option<bool>,
    #[serde(default, borrow)]
    cache_control: Option<CacheControl<'a>>,
}

#[derive(Deserialize)]
struct ToolHead<'a> {
    #[serde(rename = "type", default, borrow)]
    kind: Option<Str<'a>>,
    #[serde(default, borrow)]
    name: Option<Str<'a>>,
}

impl Serialize for ToolDef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ToolDef::Custom(t) => t.serialize(s),
            ToolDef::Builtin { raw, .. } => raw.serialize(s),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for ToolDef<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <&'de RawValue>::deserialize(d)?;
        let flat: FlatTool<'de> = match serde_json::from_str(raw.get()) {
            Ok(f) => f,
            Err(e) => {
                // Built-in tools may use our field names with other shapes.
                let head: ToolHead<'de> =
                    serde_json::from_str(raw.get()).map_err(de::Error::custom)?;
                return match head.kind {
                    Some(k) if k != "custom" => Ok(ToolDef::Builtin {
                        name: head.name.unwrap_or_default(),
                        raw: Raw(raw),
                    }),
                    _ => Err(de::Error::custom(e)),
                };
            }
        };
        match flat.kind {
            Some(k) if k != "custom" => Ok(ToolDef::Builtin {
                name: flat.name.unwrap_or_default(),
                raw: Raw(raw),
            }),
            kind => Ok(ToolDef::Custom(CustomTool {
                kind,
                name: flat
                    .name
                    .ok_or_else(|| de::Error::custom("missing field `name`"))?,
                description: flat.description,
                input_schema: flat.input_schema.map(|r| Json::Raw(Raw(r))),
                strict: flat.strict,
                cache_control: flat.cache_control,
            })),
        }
    }
}

/// `tool_choice`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolChoice<'a> {
    /// `auto`, `any`, `tool` or `none`.
    #[serde(rename = "type", borrow)]
    pub kind: Str<'a>,
    /// The tool (`tool`).
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub name: Option<Str<'a>>,
    /// At most one tool call per turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_parallel_tool_use: Option<bool>,
}

/// `metadata`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metadata<'a> {
    /// An opaque end-user id.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Str<'a>>,
}

/// `thinking`: `{"type":"enabled","budget_tokens":N}`, `{"type":"disabled"}` or
/// `{"type":"adaptive"}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ThinkingConfig<'a> {
    /// `enabled`, `disabled` or `adaptive`.
    #[serde(rename = "type", borrow)]
    pub kind: Str<'a>,
    /// Thinking budget (`enabled`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_tokens: Option<u32>,
    /// `summarized` or `omitted`.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub display: Option<Str<'a>>,
}

/// `output_config`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OutputConfig<'a> {
    /// `low`, `medium`, `high`, `xhigh`, `max`.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub effort: Option<Str<'a>>,
    /// Structured output format.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub format: Option<OutputFormat<'a>>,
}

/// `{"type":"json_schema","schema":{...}}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OutputFormat<'a> {
    /// `json_schema`.
    #[serde(rename = "type", borrow)]
    pub kind: Str<'a>,
    /// The schema, raw.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub schema: Option<Raw<'a>>,
}
