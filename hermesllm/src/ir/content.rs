//! Messages and content blocks.

use crate::Raw;

use crate::{Api, Str};

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Role {
    /// A system or developer instruction that is not at the start of the conversation (leading
    /// ones live in [`Request::system`](super::Request::system)).
    System,
    /// The end user.
    User,
    /// The model.
    Assistant,
    /// Tool results (OpenAI's `tool` role, Responses' `function_call_output`, Gemini's
    /// `function` role). The content is [`Block::ToolResult`] blocks.
    Tool,
}

/// One turn of the conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Message<'a> {
    /// Who wrote it.
    pub role: Role,
    /// Its content, in order.
    pub content: Vec<Block<'a>>,
    /// The participant name (OpenAI's `name`), where the API has one.
    pub name: Option<Str<'a>>,
}

impl<'a> Message<'a> {
    /// A message with a single text block.
    pub fn text(role: Role, text: impl Into<Str<'a>>) -> Self {
        Message {
            role,
            content: vec![Block::Text { text: text.into() }],
            name: None,
        }
    }
}

/// Where the bytes of an image, audio clip or document come from.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum MediaSource<'a> {
    /// Inline base64 data. `data` is the base64 text exactly as received (never decoded).
    Base64 {
        /// MIME type, e.g. `image/png`, `application/pdf`.
        media_type: Str<'a>,
        /// Base64 text.
        data: Str<'a>,
    },
    /// A URL the provider fetches (`https://`, `gs://`, `s3://`). `data:` URLs decode to
    /// [`MediaSource::Base64`].
    Url {
        /// The URL.
        url: Str<'a>,
        /// MIME type where the API states it (Gemini `fileData.mimeType`).
        media_type: Option<Str<'a>>,
    },
    /// A provider-side file id (OpenAI `file_id`, Anthropic Files API `file_id`).
    FileId {
        /// The id.
        id: Str<'a>,
    },
    /// Plain text content of a document (Anthropic `{"type":"text"}` document source, Bedrock
    /// document `text`).
    Text {
        /// The text.
        text: Str<'a>,
    },
}

/// Time-to-live of a cache marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CacheTtl {
    /// The provider default (Anthropic: 5 minutes).
    #[default]
    Default,
    /// Five minutes.
    FiveMinutes,
    /// One hour.
    OneHour,
}

/// A prompt-cache marker (Anthropic `cache_control`, Bedrock `cachePoint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cache {
    /// How long the provider keeps the prefix.
    pub ttl: CacheTtl,
}

/// Whether a tool call targets a JSON function or a free-form custom tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ToolCallKind {
    /// A function tool: `arguments` is JSON text.
    #[default]
    Function,
    /// An OpenAI custom tool (Responses `custom_tool_call`, Chat `custom`): `arguments` is
    /// free-form text, not JSON.
    Custom,
}

/// A content block: the unit every API's content is made of.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Block<'a> {
    /// Text.
    Text {
        /// The text.
        text: Str<'a>,
    },
    /// A refusal message from the model (OpenAI `refusal`).
    Refusal {
        /// The text.
        text: Str<'a>,
    },
    /// An image.
    Image {
        /// Where it comes from.
        source: MediaSource<'a>,
        /// OpenAI's `detail` (`low`, `high`, `auto`).
        detail: Option<Str<'a>>,
    },
    /// An audio clip (OpenAI `input_audio`, Gemini inline audio).
    Audio {
        /// Base64 audio data.
        data: Str<'a>,
        /// Format as OpenAI names it (`wav`, `mp3`) or a MIME type.
        format: Str<'a>,
    },
    /// A document (PDF, text).
    Document {
        /// Where it comes from.
        source: MediaSource<'a>,
        /// Title (Anthropic) or file name (OpenAI `filename`, Bedrock `name`).
        name: Option<Str<'a>>,
        /// Anthropic's `context`.
        context: Option<Str<'a>>,
        /// Anthropic `citations.enabled`, raw.
        citations: Option<Raw<'a>>,
    },
    /// The model calls a tool.
    ToolCall {
        /// Call id, as the source API named it (Gemini calls without ids get a synthesized id
        /// `call_<index>`, documented in the Gemini codec).
        id: Str<'a>,
        /// Tool name.
        name: Str<'a>,
        /// Arguments: JSON text for functions, free text for custom tools.
        arguments: Str<'a>,
        /// Function or custom tool.
        kind: ToolCallKind,
    },
    /// The result of a tool call, sent back to the model.
    ToolResult {
        /// The id of the [`Block::ToolCall`] this answers.
        call_id: Str<'a>,
        /// The tool name, where the API carries it (Gemini `functionResponse.name` requires it;
        /// decoders of APIs without it leave `None`, and the Gemini encoder looks the name up
        /// from the matching call earlier in the conversation).
        name: Option<Str<'a>>,
        /// Result content: text, images, documents. A JSON result is a text block holding
        /// the JSON text.
        content: Vec<Block<'a>>,
        /// Anthropic `is_error`, Bedrock `status: error`.
        is_error: bool,
    },
    /// Model reasoning, with its signature.
    Thinking {
        /// The visible reasoning text (Anthropic `thinking`, Bedrock `reasoningText.text`,
        /// Gemini thought text, Responses reasoning summary text). May be empty when only a
        /// signature is present (Gemini `thoughtSignature` on a non-thought part).
        text: Str<'a>,
        /// The opaque signature (Anthropic `signature`, Bedrock `reasoningText.signature`,
        /// Gemini `thoughtSignature`, Responses `encrypted_content`).
        signature: Option<Str<'a>>,
        /// Provider id of the reasoning item (Responses `rs_...`).
        id: Option<Str<'a>>,
        /// The API that produced it: signatures are only valid within its family.
        origin: Api,
    },
    /// Reasoning the provider returned encrypted (Anthropic `redacted_thinking.data`, Bedrock
    /// `reasoningContent.redactedContent`).
    RedactedThinking {
        /// Opaque data.
        data: Str<'a>,
        /// The API that produced it.
        origin: Api,
    },
    /// A prompt-cache marker closing the preceding content.
    CachePoint(Cache),
    /// A block of the source API that the IR does not model (e.g. Anthropic `server_tool_use`,
    /// `web_search_tool_result`, Gemini `executableCode`). Re-emitted unchanged by the same
    /// API's encoder; reported as lost by any other.
    Unknown {
        /// The API it came from.
        origin: Api,
        /// The block's JSON, as received.
        raw: Raw<'a>,
    },
}

impl Block<'_> {
    /// The text of a [`Block::Text`], if it is one.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Block::Text { text } => Some(text),
            _ => None,
        }
    }
}
