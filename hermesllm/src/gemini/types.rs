//! Wire types of the Gemini `generateContent` API, used for decoding and encoding alike.
//!
//! Field names are the REST (camelCase) spelling. Parts and tools are read in two steps
//! (their raw JSON first, then their fields) because a part or tool the internal model does
//! not know (`executableCode`, `googleSearch`, ...) travels as its raw JSON.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::{Raw, Str, open_object};

open_object! {
    /// `GenerateContentRequest`: the body of `:generateContent` and `:streamGenerateContent`.
    pub struct GenerateContentRequest<'a> {
        /// The conversation (required, non-empty).
        "contents" => pub contents: Vec<Content<'a>>,
        /// The system prompt.
        "systemInstruction" => pub system_instruction: Option<Content<'a>>,
        /// Function declarations and built-in tools.
        "tools" => pub tools: Vec<WireTool<'a>>,
        /// How the tools may be used.
        "toolConfig" => pub tool_config: Option<ToolConfig<'a>>,
        /// Sampling, output and thinking settings.
        "generationConfig" => pub generation_config: Option<GenerationConfig<'a>>,
        /// Safety settings, raw.
        "safetySettings" => pub safety_settings: Option<Raw<'a>>,
    }
}

/// A turn: `{role, parts}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct Content<'a> {
    /// `user`, `model` (or the legacy `function`); optional in requests (defaults to `user`).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Str<'a>>,
    /// The parts, in order.
    #[serde(borrow, default)]
    pub parts: Vec<WirePart<'a>>,
}

/// A JSON value: borrowed from the input when decoding, or built by the encoder (a wrapped
/// function result, an arguments object made from free text).
#[derive(Debug, Clone)]
pub enum Json<'a> {
    /// Borrowed from the input.
    Raw(Raw<'a>),
    /// Built by the encoder.
    Owned(Box<RawValue>),
}

impl Json<'_> {
    /// The JSON text.
    pub fn get(&self) -> &str {
        match self {
            Json::Raw(r) => r.get(),
            Json::Owned(b) => b.get(),
        }
    }
}

impl PartialEq for Json<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Json<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Raw::deserialize(d).map(Json::Raw)
    }
}

impl Serialize for Json<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Raw(r) => r.serialize(s),
            Json::Owned(b) => b.serialize(s),
        }
    }
}

/// A part as it travels: its fields, and its raw JSON when it was decoded (or when it is
/// re-emitted verbatim). Serializing writes the raw JSON when present.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WirePart<'a> {
    /// The fields this codec models.
    pub part: Part<'a>,
    /// The part's JSON as received (decoding) or to write verbatim (encoding).
    pub raw: Option<Raw<'a>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for WirePart<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Raw::deserialize(d)?;
        let part: Part<'a> = serde_json::from_str(raw.get()).map_err(D::Error::custom)?;
        Ok(WirePart {
            part,
            raw: Some(raw),
        })
    }
}

impl Serialize for WirePart<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.raw {
            Some(raw) => raw.serialize(s),
            None => self.part.serialize(s),
        }
    }
}

impl<'a> From<Part<'a>> for WirePart<'a> {
    fn from(part: Part<'a>) -> Self {
        WirePart { part, raw: None }
    }
}

/// The fields of a `Part` this codec models (a part carries one kind of data).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Part<'a> {
    /// Text (or thought text when `thought` is true).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Str<'a>>,
    /// Whether the text is a thought summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thought: Option<bool>,
    /// Inline base64 data.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub inline_data: Option<Blob<'a>>,
    /// Data by URI.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub file_data: Option<FileData<'a>>,
    /// A call the model makes.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub function_call: Option<FunctionCall<'a>>,
    /// A function result sent back.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub function_response: Option<FunctionResponse<'a>>,
    /// Opaque signature of the model's reasoning, on any part.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub thought_signature: Option<Str<'a>>,
}

/// `inlineData`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Blob<'a> {
    /// MIME type.
    #[serde(borrow, default)]
    pub mime_type: Str<'a>,
    /// Base64 data.
    #[serde(borrow, default)]
    pub data: Str<'a>,
}

/// `fileData`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileData<'a> {
    /// MIME type (optional).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<Str<'a>>,
    /// URI (`gs://`, `https://`, Files API URI).
    #[serde(borrow, default)]
    pub file_uri: Str<'a>,
}

/// `functionCall`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct FunctionCall<'a> {
    /// Call id (often absent).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Str<'a>>,
    /// Function name.
    #[serde(borrow, default)]
    pub name: Str<'a>,
    /// Arguments object.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Json<'a>>,
}

/// `functionResponse`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct FunctionResponse<'a> {
    /// The id of the call it answers (optional).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Str<'a>>,
    /// Function name (required).
    #[serde(borrow, default)]
    pub name: Str<'a>,
    /// The result object.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Json<'a>>,
    /// Multimodal result parts (`inlineData` / `fileData`).
    #[serde(borrow, default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<Part<'a>>,
}

/// A `Tool` object as it travels: raw, plus its function declarations. Serializing writes
/// the raw JSON when present.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WireTool<'a> {
    /// `functionDeclarations` and the other (built-in) keys.
    pub tool: ToolObject<'a>,
    /// The tool's JSON as received.
    pub raw: Option<Raw<'a>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for WireTool<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Raw::deserialize(d)?;
        let tool: ToolObject<'a> = serde_json::from_str(raw.get()).map_err(D::Error::custom)?;
        Ok(WireTool {
            tool,
            raw: Some(raw),
        })
    }
}

impl Serialize for WireTool<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.raw {
            Some(raw) => raw.serialize(s),
            None => self.tool.serialize(s),
        }
    }
}

open_object! {
    /// A `Tool`: function declarations, and built-in tools (`googleSearch`, `codeExecution`,
    /// `urlContext`, ...) kept raw in `rest`.
    pub struct ToolObject<'a> {
        /// Functions the model may call.
        "functionDeclarations" => pub function_declarations: Vec<FunctionDeclaration<'a>>,
    }
}

/// `FunctionDeclaration`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionDeclaration<'a> {
    /// Name.
    #[serde(borrow, default)]
    pub name: Str<'a>,
    /// Description.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Str<'a>>,
    /// Parameters as an OpenAPI schema object, raw.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Raw<'a>>,
    /// Parameters as JSON Schema, raw.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub parameters_json_schema: Option<Raw<'a>>,
}

open_object! {
    /// `toolConfig`; keys other than `functionCallingConfig` (`retrievalConfig`) are kept.
    pub struct ToolConfig<'a> {
        /// Function calling mode.
        "functionCallingConfig" => pub function_calling_config: Option<FunctionCallingConfig<'a>>,
    }
}

/// `functionCallingConfig`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionCallingConfig<'a> {
    /// `AUTO`, `ANY`, `NONE`, `VALIDATED`.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Str<'a>>,
    /// Restricts calls to these functions.
    #[serde(borrow, default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_function_names: Vec<Str<'a>>,
}

open_object! {
    /// `generationConfig`; keys this codec does not model are kept.
    pub struct GenerationConfig<'a> {
        /// Stop sequences.
        "stopSequences" => pub stop_sequences: Vec<Str<'a>>,
        /// Output MIME type, raw (`"application/json"`, `"text/plain"`, `"text/x.enum"`).
        "responseMimeType" => pub response_mime_type: Option<Raw<'a>>,
        /// Output schema (OpenAPI subset), raw.
        "responseSchema" => pub response_schema: Option<Raw<'a>>,
        /// Output schema (JSON Schema), raw.
        "responseJsonSchema" => pub response_json_schema: Option<Raw<'a>>,
        /// Number of candidates.
        "candidateCount" => pub candidate_count: Option<u32>,
        /// Output token limit.
        "maxOutputTokens" => pub max_output_tokens: Option<u32>,
        /// Temperature.
        "temperature" => pub temperature: Option<f64>,
        /// Nucleus sampling.
        "topP" => pub top_p: Option<f64>,
        /// Top-k.
        "topK" => pub top_k: Option<u32>,
        /// Seed.
        "seed" => pub seed: Option<i64>,
        /// Presence penalty.
        "presencePenalty" => pub presence_penalty: Option<f64>,
        /// Frequency penalty.
        "frequencyPenalty" => pub frequency_penalty: Option<f64>,
        /// Whether to return log probabilities.
        "responseLogprobs" => pub response_logprobs: Option<bool>,
        /// How many top log probabilities per token.
        "logprobs" => pub logprobs: Option<u32>,
        /// Thinking settings.
        "thinkingConfig" => pub thinking_config: Option<ThinkingConfig<'a>>,
    }
}

/// `thinkingConfig`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ThinkingConfig<'a> {
    /// Whether to return thought summaries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_thoughts: Option<bool>,
    /// Token budget: `0` off, `-1` dynamic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking_budget: Option<i64>,
    /// Gemini 3 level: `minimal`, `low`, `medium`, `high`.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub thinking_level: Option<Str<'a>>,
}

open_object! {
    /// `GenerateContentResponse`: a whole response, or one chunk of a stream.
    pub struct GenerateContentResponse<'a> {
        /// The candidates.
        "candidates" => pub candidates: Vec<Candidate<'a>>,
        /// Why the prompt was blocked, raw.
        "promptFeedback" => pub prompt_feedback: Option<Raw<'a>>,
        /// Token usage.
        "usageMetadata" => pub usage_metadata: Option<UsageMetadata>,
        /// The model version that answered.
        "modelVersion" => pub model_version: Str<'a>,
        /// Response id.
        "responseId" => pub response_id: Str<'a>,
    }
}

/// A `Candidate`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Candidate<'a> {
    /// The generated content.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Content<'a>>,
    /// Why generation stopped (absent until it has).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<Str<'a>>,
    /// Candidate index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    /// Log probabilities, raw.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub logprobs_result: Option<Raw<'a>>,
}

/// `usageMetadata`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageMetadata {
    /// Prompt tokens, cached ones included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_token_count: Option<u64>,
    /// Visible output tokens (thoughts excluded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidates_token_count: Option<u64>,
    /// Prompt tokens read from the cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_content_token_count: Option<u64>,
    /// Thinking tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thoughts_token_count: Option<u64>,
    /// Tokens of tool-use prompts (results of built-in tools), beside the prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_use_prompt_token_count: Option<u64>,
    /// Everything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_token_count: Option<u64>,
}

/// `promptFeedback` (only `blockReason` is read).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromptFeedback<'a> {
    /// Why the prompt was blocked.
    #[serde(borrow, default)]
    pub block_reason: Option<Str<'a>>,
}

/// The error envelope: `{"error": {...}}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct ErrorEnvelope<'a> {
    /// The error.
    #[serde(borrow)]
    pub error: ErrorBody<'a>,
}

/// A `google.rpc.Status` error.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct ErrorBody<'a> {
    /// HTTP status code.
    #[serde(default)]
    pub code: Option<u16>,
    /// Message.
    #[serde(borrow, default)]
    pub message: Str<'a>,
    /// Canonical status (`INVALID_ARGUMENT`, `RESOURCE_EXHAUSTED`, ...).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Str<'a>>,
    /// Typed details, raw.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Raw<'a>>,
}

/// One entry of `error.details` (only `reason` is read, from `google.rpc.ErrorInfo`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ErrorDetail<'a> {
    /// `API_KEY_INVALID`, ...
    #[serde(borrow, default)]
    pub reason: Option<Str<'a>>,
}
