//! The five wire APIs.

use std::fmt;

/// A wire API a client or upstream speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Api {
    /// OpenAI Chat Completions, `POST /v1/chat/completions`.
    OpenAiChat,
    /// OpenAI Responses, `POST /v1/responses`.
    OpenAiResponses,
    /// Anthropic Messages, `POST /v1/messages`.
    AnthropicMessages,
    /// Amazon Bedrock Converse, `POST /model/{modelId}/converse` and `/converse-stream`.
    BedrockConverse,
    /// Google Gemini, `POST /v1beta/models/{model}:generateContent` and
    /// `:streamGenerateContent`.
    Gemini,
}

/// A family of models whose reasoning signatures are valid across its APIs.
///
/// Anthropic documents that thinking signatures are compatible across the Claude API and
/// Amazon Bedrock, so the two share a family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// OpenAI (Chat Completions carries no reasoning; Responses carries `encrypted_content`).
    OpenAi,
    /// Claude, on the Anthropic API or Bedrock.
    Claude,
    /// Gemini.
    Gemini,
}

impl Api {
    /// All five, in a fixed order (the order of golden snapshots).
    pub const ALL: [Api; 5] = [
        Api::OpenAiChat,
        Api::OpenAiResponses,
        Api::AnthropicMessages,
        Api::BedrockConverse,
        Api::Gemini,
    ];

    /// A short stable name (`openai_chat`, ...), the name of its module and fixture folder.
    pub fn as_str(self) -> &'static str {
        match self {
            Api::OpenAiChat => "openai_chat",
            Api::OpenAiResponses => "openai_responses",
            Api::AnthropicMessages => "anthropic_messages",
            Api::BedrockConverse => "bedrock_converse",
            Api::Gemini => "gemini",
        }
    }

    /// Parses [`Api::as_str`].
    pub fn parse(s: &str) -> Option<Api> {
        Api::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The family whose reasoning signatures this API accepts.
    pub fn family(self) -> Family {
        match self {
            Api::OpenAiChat | Api::OpenAiResponses => Family::OpenAi,
            Api::AnthropicMessages | Api::BedrockConverse => Family::Claude,
            Api::Gemini => Family::Gemini,
        }
    }

    /// Whether the model name travels in the URL path rather than the body.
    pub fn model_in_path(self) -> bool {
        matches!(self, Api::BedrockConverse | Api::Gemini)
    }

    /// Whether this API streams Server-Sent Events (all but Bedrock, which streams
    /// `application/vnd.amazon.eventstream` binary frames).
    pub fn streams_sse(self) -> bool {
        !matches!(self, Api::BedrockConverse)
    }
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
