//! Wire types of the Responses API, used both to decode and to encode.
//!
//! Items, content parts and tools are unions keyed by `type`. serde's tagged enums buffer
//! their input, which breaks borrowing and raw JSON, so each is a flat struct holding every
//! field any variant uses, wrapped in [`Parsed`] to keep the raw text for the variants the
//! internal model does not know (re-emitted unchanged by this API's encoder).

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

pub use crate::wire::StrOr;
use crate::{Raw, Str, open_object};

/// A value parsed from a JSON value that is also kept as its raw text.
///
/// Serializes as the raw text when there is one (decoded values and passed-through unknown
/// items), otherwise as `value` (values built by an encoder).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed<'a, T> {
    /// The JSON text it came from (`None` when built by an encoder).
    pub raw: Option<Raw<'a>>,
    /// The parsed value (default when `raw` is an unknown item passed through).
    pub value: T,
}

impl<'a, T> Parsed<'a, T> {
    /// A value built by an encoder.
    pub fn new(value: T) -> Self {
        Parsed { raw: None, value }
    }
}

impl<'de: 'a, 'a, T: Deserialize<'de>> Deserialize<'de> for Parsed<'a, T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <&'de RawValue>::deserialize(d)?;
        let value = serde_json::from_str::<T>(raw.get()).map_err(de::Error::custom)?;
        Ok(Parsed {
            raw: Some(Raw(raw)),
            value,
        })
    }
}

impl<T: Serialize> Serialize for Parsed<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.raw {
            Some(raw) => raw.serialize(s),
            None => self.value.serialize(s),
        }
    }
}

/// An input or output item (`message`, `function_call`, `function_call_output`,
/// `reasoning`, `custom_tool_call`, ...), all variants flattened.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, Serialize)]
pub struct ItemFields<'a> {
    /// Item type; absent on the short message form `{"role", "content"}`.
    #[serde(
        rename = "type",
        borrow,
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub kind: Option<Str<'a>>,
    /// Item id (`msg_...`, `fc_...`, `rs_...`).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Str<'a>>,
    /// Item status (`completed`, `incomplete`, `in_progress`).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Str<'a>>,
    /// Message role.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Str<'a>>,
    /// Message content (or reasoning `content` of `reasoning_text` parts).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub content: Option<StrOr<'a, Vec<Parsed<'a, PartFields<'a>>>>>,
    /// Tool call id.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<Str<'a>>,
    /// Tool name.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Str<'a>>,
    /// Function call arguments (JSON text).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<Str<'a>>,
    /// Custom tool call input (free text).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Str<'a>>,
    /// Tool call output: a string or content parts.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub output: Option<StrOr<'a, Vec<Parsed<'a, PartFields<'a>>>>>,
    /// Reasoning summary parts (`summary_text`).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Vec<PartFields<'a>>>,
    /// Encrypted reasoning.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub encrypted_content: Option<Str<'a>>,
}

/// A content part (`input_text`, `input_image`, `input_file`, `output_text`, `refusal`,
/// `summary_text`, `reasoning_text`), all variants flattened.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, Serialize)]
pub struct PartFields<'a> {
    /// Part type.
    #[serde(rename = "type", borrow, default)]
    pub kind: Str<'a>,
    /// Text of text parts.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Str<'a>>,
    /// Refusal text.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Str<'a>>,
    /// Image URL or `data:` URL.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<UrlValue<'a>>,
    /// Uploaded file id.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub file_id: Option<Str<'a>>,
    /// Image detail (`low`, `high`, `auto`).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<Str<'a>>,
    /// File content as a `data:` URL.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub file_data: Option<UrlValue<'a>>,
    /// File URL.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub file_url: Option<Str<'a>>,
    /// File name.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<Str<'a>>,
    /// Output text annotations, raw.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Raw<'a>>,
    /// Output text log probabilities, raw.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<Raw<'a>>,
}

impl<'a> PartFields<'a> {
    /// A part of `kind` with only `text` set.
    pub fn text(kind: &'static str, text: Str<'a>) -> Self {
        PartFields {
            kind: Str::borrowed(kind),
            text: Some(text),
            ..PartFields::default()
        }
    }
}

/// A URL as received, or a `data:` URL written from base64 parts without an intermediate
/// string.
#[derive(Debug, Clone, PartialEq)]
pub enum UrlValue<'a> {
    /// The URL text.
    Plain(Str<'a>),
    /// `data:{media_type};base64,{data}`.
    Data {
        /// MIME type.
        media_type: Str<'a>,
        /// Base64 text.
        data: Str<'a>,
    },
}

impl<'de: 'a, 'a> Deserialize<'de> for UrlValue<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Str::deserialize(d).map(UrlValue::Plain)
    }
}

impl Serialize for UrlValue<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            UrlValue::Plain(u) => u.serialize(s),
            UrlValue::Data { media_type, data } => {
                s.collect_str(&format_args!("data:{media_type};base64,{data}"))
            }
        }
    }
}

/// A tool definition (`function`, `custom`, or a built-in), all variants flattened.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, Serialize)]
pub struct ToolFields<'a> {
    /// Tool type.
    #[serde(rename = "type", borrow, default)]
    pub kind: Str<'a>,
    /// Name.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Str<'a>>,
    /// Description.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Str<'a>>,
    /// Function parameters (JSON Schema), raw.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Raw<'a>>,
    /// Function strict mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
    /// Custom tool input format, raw.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub format: Option<Raw<'a>>,
}

/// `tool_choice`: a mode string or an object.
#[derive(Debug, Clone, PartialEq)]
pub enum ToolChoiceW<'a> {
    /// `auto`, `none`, `required`.
    Mode(Str<'a>),
    /// `{type: function|custom, name}`, `{type: allowed_tools, mode, tools}` or a built-in.
    Object(ToolChoiceObj<'a>),
}

impl Default for ToolChoiceW<'_> {
    fn default() -> Self {
        ToolChoiceW::Mode(Str::borrowed("auto"))
    }
}

/// The object form of `tool_choice`.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, Serialize)]
pub struct ToolChoiceObj<'a> {
    /// `function`, `custom`, `allowed_tools`, or a built-in tool type.
    #[serde(rename = "type", borrow, default)]
    pub kind: Str<'a>,
    /// The forced tool's name.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Str<'a>>,
    /// `allowed_tools` mode (`auto`, `required`).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Str<'a>>,
    /// `allowed_tools` tools.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<ToolChoiceObj<'a>>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for ToolChoiceW<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = ToolChoiceW<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an object")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(ToolChoiceW::Mode(Str::borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(ToolChoiceW::Mode(Str::from(v.to_owned())))
            }
            fn visit_map<M: MapAccess<'de>>(self, m: M) -> Result<Self::Value, M::Error> {
                ToolChoiceObj::deserialize(de::value::MapAccessDeserializer::new(m))
                    .map(ToolChoiceW::Object)
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

impl Serialize for ToolChoiceW<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ToolChoiceW::Mode(m) => m.serialize(s),
            ToolChoiceW::Object(o) => o.serialize(s),
        }
    }
}

open_object! {
    /// The `text` configuration object.
    pub struct TextConfig<'a> {
        /// Output format.
        "format" => pub format: Option<FormatW<'a>>,
    }
}

/// `text.format`.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, Serialize)]
pub struct FormatW<'a> {
    /// `text`, `json_object`, `json_schema`.
    #[serde(rename = "type", borrow, default)]
    pub kind: Str<'a>,
    /// Schema name.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Str<'a>>,
    /// Schema description.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Str<'a>>,
    /// The JSON Schema, raw.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<Raw<'a>>,
    /// Strict mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

/// The `reasoning` configuration object.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, Serialize)]
pub struct ReasoningW<'a> {
    /// Effort (`none` ... `xhigh`).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<Str<'a>>,
    /// Summary mode (`auto`, `concise`, `detailed`).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Str<'a>>,
}

/// One item of `input` or `output`.
pub type Item<'a> = Parsed<'a, ItemFields<'a>>;

open_object! {
    /// `POST /v1/responses` request body.
    pub struct RequestBody<'a> {
        /// Model id.
        "model" => pub model: Str<'a>,
        /// System/developer instructions.
        "instructions" => pub instructions: Option<Str<'a>>,
        /// A string or a list of items.
        "input" => pub input: Option<StrOr<'a, Vec<Item<'a>>>>,
        /// Tools.
        "tools" => pub tools: Vec<Parsed<'a, ToolFields<'a>>>,
        /// Tool choice.
        "tool_choice" => pub tool_choice: Option<Parsed<'a, ToolChoiceW<'a>>>,
        /// Parallel tool calls.
        "parallel_tool_calls" => pub parallel_tool_calls: Option<bool>,
        /// Temperature.
        "temperature" => pub temperature: Option<f64>,
        /// Nucleus sampling.
        "top_p" => pub top_p: Option<f64>,
        /// Output token limit.
        "max_output_tokens" => pub max_output_tokens: Option<u32>,
        /// Text output configuration.
        "text" => pub text: Option<TextConfig<'a>>,
        /// Reasoning configuration.
        "reasoning" => pub reasoning: Option<ReasoningW<'a>>,
        /// Streaming.
        "stream" => pub stream: Option<bool>,
        /// Top log probabilities.
        "top_logprobs" => pub top_logprobs: Option<u32>,
        /// End-user id.
        "user" => pub user: Option<Str<'a>>,
        /// Metadata, raw.
        "metadata" => pub metadata: Option<Raw<'a>>,
        /// Previous response id.
        "previous_response_id" => pub previous_response_id: Option<Str<'a>>,
        /// Whether to store the response.
        "store" => pub store: Option<bool>,
    }
}
