//! Wire types of the Converse API, used for both decoding and encoding.
//!
//! Bedrock unions (`ContentBlock`, `SystemContentBlock`, `Tool`, ...) are JSON objects with
//! exactly one member. Known members are modelled as externally tagged enums; a member this
//! crate does not model (a newer block such as `video` or `guardContent`) is kept whole as
//! raw JSON through [`Union`], so the same API can re-emit it unchanged.

use serde::de::{self, Deserializer, IgnoredAny};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use crate::{Raw, Str, open_object};

open_object! {
    /// The body of `POST /model/{modelId}/converse` (and `/converse-stream`).
    pub struct ConverseRequest<'a> {
        /// The conversation.
        "messages" => pub messages: Vec<Message<'a>>,
        /// System prompt blocks.
        "system" => pub system: Vec<Union<'a, SystemBlock<'a>>>,
        /// Common inference parameters.
        "inferenceConfig" => pub inference_config: Option<InferenceConfig<'a>>,
        /// Tools and tool choice.
        "toolConfig" => pub tool_config: Option<ToolConfig<'a>>,
        /// Model-specific parameters (Claude `top_k`, `thinking`, ...).
        "additionalModelRequestFields" => pub additional_model_request_fields: Option<AdditionalRequestFields<'a>>,
    }
}

open_object! {
    /// `additionalModelRequestFields`: the members the internal model understands, and the
    /// rest raw.
    pub struct AdditionalRequestFields<'a> {
        /// Claude's top-k sampling.
        "top_k" => pub top_k: Option<u32>,
        /// Claude's extended thinking configuration.
        "thinking" => pub thinking: Option<ThinkingConfig<'a>>,
    }
}

/// Claude's `thinking` object inside `additionalModelRequestFields`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThinkingConfig<'a> {
    /// `enabled`, `disabled` or `adaptive`.
    #[serde(rename = "type", borrow)]
    pub kind: Str<'a>,
    /// Token budget when enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_tokens: Option<u32>,
}

/// A message of the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message<'a> {
    /// `user` or `assistant`.
    #[serde(borrow)]
    pub role: Str<'a>,
    /// Content blocks.
    #[serde(borrow)]
    pub content: Vec<Union<'a, ContentBlock<'a>>>,
}

/// A union member this crate models, or a member it does not, kept raw (the whole
/// one-member object).
#[derive(Debug, Clone, PartialEq)]
pub enum Union<'a, T> {
    /// A modelled member.
    Known(T),
    /// An unmodelled member: the block's JSON as received.
    Unknown(Raw<'a>),
}

/// The member names a union models (a block naming one of them must parse as that member).
pub trait Members {
    /// The modelled member names.
    const MEMBERS: &'static [&'static str];
}

impl<T: Serialize> Serialize for Union<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Union::Known(t) => t.serialize(s),
            Union::Unknown(raw) => raw.serialize(s),
        }
    }
}

impl<'de: 'a, 'a, T: Deserialize<'de> + Members> Deserialize<'de> for Union<'a, T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Raw::deserialize(d)?;
        let text: &'de str = raw.0.get();
        match serde_json::from_str::<T>(text) {
            Ok(t) => Ok(Union::Known(t)),
            Err(e) => {
                // Only now (cold path) look at the member name: an unmodelled one is kept raw,
                // a malformed modelled one is an error.
                let members: std::collections::BTreeMap<Str<'_>, IgnoredAny> =
                    serde_json::from_str(text).map_err(|_| de::Error::custom(&e))?;
                let mut keys = members.keys();
                match (keys.next(), keys.next()) {
                    (Some(k), None) if !T::MEMBERS.contains(&k.as_str()) => Ok(Union::Unknown(raw)),
                    _ => Err(de::Error::custom(e)),
                }
            }
        }
    }
}

/// A content block of a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ContentBlock<'a> {
    /// Text.
    Text(#[serde(borrow)] Str<'a>),
    /// An image.
    Image(#[serde(borrow)] ImageBlock<'a>),
    /// A document.
    Document(#[serde(borrow)] DocumentBlock<'a>),
    /// A tool call by the model.
    ToolUse(#[serde(borrow)] ToolUseBlock<'a>),
    /// A tool result.
    ToolResult(#[serde(borrow)] ToolResultBlock<'a>),
    /// Model reasoning.
    ReasoningContent(#[serde(borrow)] ReasoningContentBlock<'a>),
    /// A prompt-cache checkpoint.
    CachePoint(#[serde(borrow)] CachePointBlock<'a>),
}

impl Members for ContentBlock<'_> {
    const MEMBERS: &'static [&'static str] = &[
        "text",
        "image",
        "document",
        "toolUse",
        "toolResult",
        "reasoningContent",
        "cachePoint",
    ];
}

/// A system prompt block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SystemBlock<'a> {
    /// Text.
    Text(#[serde(borrow)] Str<'a>),
    /// A prompt-cache checkpoint.
    CachePoint(#[serde(borrow)] CachePointBlock<'a>),
}

impl Members for SystemBlock<'_> {
    const MEMBERS: &'static [&'static str] = &["text", "cachePoint"];
}

/// `{"type": "default", "ttl": "5m" | "1h"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachePointBlock<'a> {
    /// Always `default`.
    #[serde(rename = "type", borrow)]
    pub kind: Str<'a>,
    /// Optional extended TTL.
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    pub ttl: Option<Str<'a>>,
}

/// An image: `format` and `source`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageBlock<'a> {
    /// `png`, `jpeg`, `gif`, `webp`.
    #[serde(borrow)]
    pub format: Str<'a>,
    /// Where the bytes come from.
    #[serde(borrow)]
    pub source: Source<'a>,
}

/// A document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentBlock<'a> {
    /// `pdf`, `csv`, `doc`, `docx`, `xls`, `xlsx`, `html`, `txt`, `md`.
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    pub format: Option<Str<'a>>,
    /// The document name (required by Bedrock; restricted character set).
    #[serde(borrow)]
    pub name: Str<'a>,
    /// Where the content comes from.
    #[serde(borrow)]
    pub source: Source<'a>,
    /// Context about the document.
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    pub context: Option<Str<'a>>,
    /// Citations configuration, raw.
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    pub citations: Option<Raw<'a>>,
}

/// The `source` union of images and documents, as a struct of optional members.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Source<'a> {
    /// Base64 bytes (a base64 string in JSON).
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    pub bytes: Option<Str<'a>>,
    /// An S3 object.
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    pub s3_location: Option<S3Location<'a>>,
    /// Plain text (documents).
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    pub text: Option<Str<'a>>,
    /// Structured content (documents), raw.
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    pub content: Option<Raw<'a>>,
}

/// An S3 object location.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct S3Location<'a> {
    /// `s3://bucket/key`.
    #[serde(borrow)]
    pub uri: Str<'a>,
    /// Account id of the bucket owner.
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    pub bucket_owner: Option<Str<'a>>,
}

/// A tool call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolUseBlock<'a> {
    /// Call id.
    #[serde(borrow)]
    pub tool_use_id: Str<'a>,
    /// Tool name.
    #[serde(borrow)]
    pub name: Str<'a>,
    /// Arguments.
    #[serde(borrow)]
    pub input: ToolInput<'a>,
}

/// Tool-call input: a JSON document, or (when encoding free-form custom-tool input) a string.
#[derive(Debug, Clone, PartialEq)]
pub enum ToolInput<'a> {
    /// JSON, raw.
    Json(Raw<'a>),
    /// Free text, written as a JSON string.
    Text(Str<'a>),
}

impl Serialize for ToolInput<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ToolInput::Json(raw) => raw.serialize(s),
            ToolInput::Text(text) => text.serialize(s),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for ToolInput<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Raw::deserialize(d).map(ToolInput::Json)
    }
}

/// A tool result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolResultBlock<'a> {
    /// The call this answers.
    #[serde(borrow)]
    pub tool_use_id: Str<'a>,
    /// Result content.
    #[serde(borrow)]
    pub content: Vec<Union<'a, ToolResultContent<'a>>>,
    /// `success` or `error`.
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    pub status: Option<Str<'a>>,
}

/// A block of a tool result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ToolResultContent<'a> {
    /// A JSON document.
    Json(#[serde(borrow)] Raw<'a>),
    /// Text.
    Text(#[serde(borrow)] Str<'a>),
    /// An image.
    Image(#[serde(borrow)] ImageBlock<'a>),
    /// A document.
    Document(#[serde(borrow)] DocumentBlock<'a>),
}

impl Members for ToolResultContent<'_> {
    const MEMBERS: &'static [&'static str] = &["json", "text", "image", "document"];
}

/// The `reasoningContent` union, as a struct of optional members.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReasoningContentBlock<'a> {
    /// Visible reasoning with its signature.
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    pub reasoning_text: Option<ReasoningText<'a>>,
    /// Encrypted reasoning (base64).
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    pub redacted_content: Option<Str<'a>>,
}

/// Reasoning text and signature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReasoningText<'a> {
    /// The reasoning.
    #[serde(borrow)]
    pub text: Str<'a>,
    /// Its signature.
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    pub signature: Option<Str<'a>>,
}

/// `inferenceConfig`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InferenceConfig<'a> {
    /// Maximum output tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Stop sequences.
    #[serde(default, skip_serializing_if = "Vec::is_empty", borrow)]
    pub stop_sequences: Vec<Str<'a>>,
}

/// `toolConfig`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolConfig<'a> {
    /// Tool definitions and cache points.
    #[serde(borrow)]
    pub tools: Vec<Union<'a, ToolEntry<'a>>>,
    /// How the model must use them.
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    pub tool_choice: Option<ToolChoice<'a>>,
}

/// An entry of `toolConfig.tools`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ToolEntry<'a> {
    /// A function tool.
    ToolSpec(#[serde(borrow)] ToolSpec<'a>),
    /// A prompt-cache checkpoint after the preceding tools.
    CachePoint(#[serde(borrow)] CachePointBlock<'a>),
}

impl Members for ToolEntry<'_> {
    const MEMBERS: &'static [&'static str] = &["toolSpec", "cachePoint"];
}

/// A function tool definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolSpec<'a> {
    /// Name.
    #[serde(borrow)]
    pub name: Str<'a>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    pub description: Option<Str<'a>>,
    /// `{"json": <JSON Schema>}`.
    #[serde(borrow)]
    pub input_schema: InputSchema<'a>,
}

/// The `inputSchema` union.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputSchema<'a> {
    /// The JSON Schema, raw.
    #[serde(borrow)]
    pub json: Raw<'a>,
}

/// `toolChoice`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ToolChoice<'a> {
    /// The model decides.
    Auto(Empty),
    /// The model must call a tool.
    Any(Empty),
    /// The model must call this tool.
    Tool(#[serde(borrow)] ToolName<'a>),
}

/// `{}`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Empty {}

/// `{"name": ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolName<'a> {
    /// The tool name.
    #[serde(borrow)]
    pub name: Str<'a>,
}

/// `outputConfig` (structured output), written when encoding only: its schema is a JSON
/// *string*, which cannot be borrowed as raw JSON when decoding (see the request decoder).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputConfig<'a> {
    /// The text format.
    pub text_format: OutputFormat<'a>,
}

/// `outputConfig.textFormat`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutputFormat<'a> {
    /// Always `json_schema`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The schema.
    pub structure: OutputStructure<'a>,
}

/// `outputConfig.textFormat.structure`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputStructure<'a> {
    /// The schema definition.
    pub json_schema: JsonSchemaDefinition<'a>,
}

/// `jsonSchema`: the schema as a JSON string, a name and a description.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JsonSchemaDefinition<'a> {
    /// The JSON Schema text (a string holding JSON).
    pub schema: &'a str,
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
}

open_object! {
    /// The body of a Converse response.
    pub struct ConverseResponse<'a> {
        /// `{"message": ...}`.
        "output" => pub output: Option<Output<'a>>,
        /// Why the model stopped.
        "stopReason" => pub stop_reason: Str<'a>,
        /// Token usage.
        "usage" => pub usage: Option<TokenUsage>,
        /// Model-specific response fields (Claude `stop_sequence`).
        "additionalModelResponseFields" => pub additional_model_response_fields: Option<AdditionalResponseFields<'a>>,
    }
}

open_object! {
    /// `additionalModelResponseFields`: what the internal model understands, the rest raw.
    pub struct AdditionalResponseFields<'a> {
        /// The stop sequence that matched (Claude, when requested through
        /// `additionalModelResponseFieldPaths`).
        "stop_sequence" => pub stop_sequence: Option<Str<'a>>,
    }
}

/// The `output` union.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Output<'a> {
    /// The assistant message.
    #[serde(borrow)]
    pub message: Message<'a>,
}

/// Token usage as Bedrock reports it: `inputTokens` excludes cache reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenUsage {
    /// Uncached input tokens.
    #[serde(default)]
    pub input_tokens: u64,
    /// Output tokens.
    #[serde(default)]
    pub output_tokens: u64,
    /// Total tokens.
    #[serde(default)]
    pub total_tokens: u64,
    /// Input tokens read from the cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read_input_tokens: Option<u64>,
    /// Input tokens written to the cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write_input_tokens: Option<u64>,
}

/// `metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metrics {
    /// Latency in milliseconds.
    #[serde(default)]
    pub latency_ms: u64,
}

/// An error body: `{"message": ...}`, sometimes with `__type`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ErrorBody<'a> {
    /// The message (`Message` in some AWS services).
    #[serde(default, alias = "Message", borrow)]
    pub message: Option<Str<'a>>,
    /// The exception name, possibly namespaced (`com.amazon...#ValidationException`).
    #[serde(
        default,
        rename = "__type",
        skip_serializing_if = "Option::is_none",
        borrow
    )]
    pub kind: Option<Str<'a>>,
}
