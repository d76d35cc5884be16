//! Wire types of the Chat Completions request and the pieces responses and stream chunks
//! share (messages, content parts, tool calls). The same types decode and encode.
//!
//! Objects whose `type` selects the variant (content parts, tools, tool calls) are flat
//! structs with one optional member per variant rather than serde tagged enums: tagged enums
//! buffer their input, which costs time and breaks borrowing of [`Raw`] schemas.

pub use crate::wire::StrOr;
use crate::{Raw, Str, open_object};

/// Message content: a string or an array of parts.
pub type Content<'a> = StrOr<'a, Vec<Part<'a>>>;

open_object! {
    /// The request body of `POST /v1/chat/completions`.
    pub struct ChatRequest<'a> {
        "model" => pub model: Str<'a>,
        "messages" => pub messages: Vec<ChatMessage<'a>>,
        "tools" => pub tools: Option<Vec<ToolDef<'a>>>,
        "tool_choice" => pub tool_choice: Option<StrOr<'a, ToolChoiceObject<'a>>>,
        "parallel_tool_calls" => pub parallel_tool_calls: Option<bool>,
        "functions" => pub functions: Option<Vec<FunctionDef<'a>>>,
        "function_call" => pub function_call: Option<StrOr<'a, NameOnly<'a>>>,
        "temperature" => pub temperature: Option<f64>,
        "top_p" => pub top_p: Option<f64>,
        "frequency_penalty" => pub frequency_penalty: Option<f64>,
        "presence_penalty" => pub presence_penalty: Option<f64>,
        "seed" => pub seed: Option<i64>,
        "n" => pub n: Option<u32>,
        "max_completion_tokens" => pub max_completion_tokens: Option<u32>,
        "max_tokens" => pub max_tokens: Option<u32>,
        "stop" => pub stop: Option<StrOr<'a, Vec<Str<'a>>>>,
        "response_format" => pub response_format: Option<ResponseFormatWire<'a>>,
        "reasoning_effort" => pub reasoning_effort: Option<Str<'a>>,
        "logprobs" => pub logprobs: Option<bool>,
        "top_logprobs" => pub top_logprobs: Option<u32>,
        "user" => pub user: Option<Str<'a>>,
        "metadata" => pub metadata: Option<Raw<'a>>,
        "store" => pub store: Option<bool>,
        "stream" => pub stream: Option<bool>,
        "stream_options" => pub stream_options: Option<StreamOptions>,
    }
}

/// `stream_options`.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StreamOptions {
    /// Whether a final chunk with usage (and `choices: []`) is sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_usage: Option<bool>,
}

/// A message of the conversation (request), or the `message` of a response choice.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChatMessage<'a> {
    /// `system`, `developer`, `user`, `assistant`, `tool` or legacy `function`.
    #[serde(borrow, default)]
    pub role: Str<'a>,
    /// Always written: responses carry `"content": null` next to tool calls.
    #[serde(borrow, default)]
    pub content: Option<Content<'a>>,
    /// Participant name (or the function name of a legacy `function` message).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Str<'a>>,
    /// Assistant refusal.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Str<'a>>,
    /// Non-standard reasoning text (DeepSeek, vLLM, Groq).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<Str<'a>>,
    /// The same, as OpenRouter, Ollama and newer vLLM name it; read only, used when
    /// `reasoning_content` is absent.
    #[serde(borrow, default, skip_serializing)]
    pub reasoning: Option<Str<'a>>,
    /// Assistant tool calls.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCallWire<'a>>>,
    /// The call a `tool` message answers.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<Str<'a>>,
    /// Legacy single function call of an assistant message (boxed: rare, and every message
    /// would otherwise carry its size).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub function_call: Option<Box<FunctionCallWire<'a>>>,
}

/// A content part; `kind` says which member is set.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Part<'a> {
    /// `text`, `image_url`, `input_audio`, `file` or `refusal`.
    #[serde(rename = "type", borrow)]
    pub kind: Str<'a>,
    /// `text` part.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Str<'a>>,
    /// `image_url` part.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<ImageUrl<'a>>,
    /// `input_audio` part.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub input_audio: Option<InputAudio<'a>>,
    /// `file` part.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub file: Option<FilePart<'a>>,
    /// `refusal` part (assistant messages).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Str<'a>>,
}

impl<'a> Part<'a> {
    /// A text part.
    pub fn text(text: Str<'a>) -> Self {
        Part {
            kind: Str::borrowed("text"),
            text: Some(text),
            ..Part::default()
        }
    }
}

/// `image_url` of an image part.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ImageUrl<'a> {
    /// `https://` or `data:` URL.
    #[serde(borrow, default)]
    pub url: Str<'a>,
    /// `low`, `high`, `auto`.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<Str<'a>>,
}

/// `input_audio` of an audio part.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct InputAudio<'a> {
    /// Base64 audio.
    #[serde(borrow, default)]
    pub data: Str<'a>,
    /// `wav` or `mp3`.
    #[serde(borrow, default)]
    pub format: Str<'a>,
}

/// `file` of a file part.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FilePart<'a> {
    /// Uploaded file id.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub file_id: Option<Str<'a>>,
    /// Inline data, a `data:` URL (or bare base64).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub file_data: Option<Str<'a>>,
    /// File name.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<Str<'a>>,
}

/// A tool call of an assistant message, or a tool-call delta of a stream chunk.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ToolCallWire<'a> {
    /// Stream deltas only: which tool call of the choice this continues.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    /// Call id (first delta only in streams).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Str<'a>>,
    /// `function` or `custom`.
    #[serde(
        rename = "type",
        borrow,
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub kind: Option<Str<'a>>,
    /// Function call.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub function: Option<FunctionCallWire<'a>>,
    /// Custom tool call.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<CustomCallWire<'a>>,
}

/// `function` of a tool call (`arguments` is JSON text in a string).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FunctionCallWire<'a> {
    /// Function name (first delta only in streams).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Str<'a>>,
    /// Arguments as JSON text (a fragment in stream deltas).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<Str<'a>>,
}

/// `custom` of a custom tool call.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CustomCallWire<'a> {
    /// Tool name.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Str<'a>>,
    /// Free-form input.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Str<'a>>,
}

/// A tool definition.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ToolDef<'a> {
    /// `function` or `custom`.
    #[serde(rename = "type", borrow, default)]
    pub kind: Str<'a>,
    /// Function tool.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub function: Option<FunctionDef<'a>>,
    /// Custom tool.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<CustomDef<'a>>,
}

/// A function definition (also the legacy top-level `functions` items).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FunctionDef<'a> {
    /// Name.
    #[serde(borrow, default)]
    pub name: Str<'a>,
    /// Description.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Str<'a>>,
    /// JSON Schema, raw.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Raw<'a>>,
    /// Strict schema adherence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

/// A custom tool definition.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CustomDef<'a> {
    /// Name.
    #[serde(borrow, default)]
    pub name: Str<'a>,
    /// Description.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Str<'a>>,
    /// Input format (text or grammar), raw.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub format: Option<Raw<'a>>,
}

/// The object form of `tool_choice`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ToolChoiceObject<'a> {
    /// `function`, `custom` or `allowed_tools`.
    #[serde(rename = "type", borrow, default)]
    pub kind: Str<'a>,
    /// The function to call.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub function: Option<NameOnly<'a>>,
    /// The custom tool to call.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<NameOnly<'a>>,
    /// The tools the model may pick from.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub allowed_tools: Option<AllowedTools<'a>>,
}

/// `{"name": ...}`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NameOnly<'a> {
    /// The name.
    #[serde(borrow, default)]
    pub name: Str<'a>,
}

/// `allowed_tools` of a `tool_choice`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AllowedTools<'a> {
    /// `auto` or `required`.
    #[serde(borrow, default)]
    pub mode: Str<'a>,
    /// Tool references.
    #[serde(borrow, default)]
    pub tools: Vec<ToolRef<'a>>,
}

/// A reference to a tool by kind and name.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ToolRef<'a> {
    /// `function` or `custom`.
    #[serde(rename = "type", borrow, default)]
    pub kind: Str<'a>,
    /// Function name.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub function: Option<NameOnly<'a>>,
    /// Custom tool name.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<NameOnly<'a>>,
}

/// `response_format`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ResponseFormatWire<'a> {
    /// `text`, `json_object` or `json_schema`.
    #[serde(rename = "type", borrow, default)]
    pub kind: Str<'a>,
    /// The schema of `json_schema`.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub json_schema: Option<JsonSchemaWire<'a>>,
}

/// `response_format.json_schema`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct JsonSchemaWire<'a> {
    /// Name.
    #[serde(borrow, default)]
    pub name: Str<'a>,
    /// Description.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Str<'a>>,
    /// The JSON Schema, raw.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<Raw<'a>>,
    /// Strict adherence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}
