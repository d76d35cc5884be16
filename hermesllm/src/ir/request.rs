//! The request: what the client asks the model to do.

use crate::Raw;

use super::{Block, Cache, Message};
use crate::{Api, Str};

/// A chat/generation request in the internal model.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Request<'a> {
    /// The model as the client named it (for Bedrock and Gemini, from the URL path).
    pub model: Str<'a>,
    /// The system prompt: text blocks and cache points (see the [module docs](super)).
    pub system: Vec<Block<'a>>,
    /// The conversation.
    pub messages: Vec<Message<'a>>,
    /// Tools the model may call.
    pub tools: Vec<Tool<'a>>,
    /// How the model must use the tools.
    pub tool_choice: Option<ToolChoice<'a>>,
    /// Whether the model may call several tools in one turn (OpenAI `parallel_tool_calls`,
    /// the inverse of Anthropic `disable_parallel_tool_use`).
    pub parallel_tool_calls: Option<bool>,
    /// Sampling parameters.
    pub sampling: Sampling,
    /// Maximum output tokens (OpenAI `max_completion_tokens`/`max_tokens`, Responses
    /// `max_output_tokens`, Anthropic `max_tokens`, Bedrock `maxTokens`, Gemini
    /// `maxOutputTokens`).
    pub max_output_tokens: Option<u32>,
    /// Stop sequences.
    pub stop: Vec<Str<'a>>,
    /// Number of choices (OpenAI `n`, Gemini `candidateCount`).
    pub n: Option<u32>,
    /// Structured output.
    pub response_format: Option<ResponseFormat<'a>>,
    /// Reasoning/thinking configuration.
    pub reasoning: Option<Reasoning<'a>>,
    /// Whether the client wants a stream (body `stream`, or the streaming URL for Bedrock and
    /// Gemini).
    pub stream: bool,
    /// Whether the client asked for usage in the stream (OpenAI
    /// `stream_options.include_usage`). Other APIs always stream usage.
    pub stream_include_usage: Option<bool>,
    /// Whether to return log probabilities (OpenAI `logprobs`, Gemini `responseLogprobs`).
    pub logprobs: Option<bool>,
    /// How many top log probabilities per token (OpenAI `top_logprobs`, Gemini `logprobs`).
    pub top_logprobs: Option<u32>,
    /// End-user id (OpenAI `user`, Anthropic `metadata.user_id`).
    pub user: Option<Str<'a>>,
    /// Request metadata object (OpenAI/Responses `metadata`), raw.
    pub metadata: Option<Raw<'a>>,
    /// Responses API: the previous response this turn continues.
    pub previous_response_id: Option<Str<'a>>,
    /// Responses/Chat `store`.
    pub store: Option<bool>,
    /// Gemini `safetySettings`, raw (only Gemini can carry it).
    pub safety_settings: Option<Raw<'a>>,
    /// Fields of the source API that the IR does not model.
    pub extra: Extra<'a>,
}

/// Fields of the source API that the IR does not model, kept as raw JSON.
///
/// Encoders for the same API (`api`) write them back (path is a top-level key, or a
/// dotted path for nested objects such as Bedrock `additionalModelRequestFields`); any other
/// encoder records each as a [`Loss`](crate::Loss).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Extra<'a> {
    /// The API the fields came from. `None` when there are none.
    pub api: Option<Api>,
    /// Key (or dotted path) and raw value, in input order.
    pub fields: Vec<(Str<'a>, Raw<'a>)>,
}

impl Extra<'_> {
    /// True when there are no extra fields.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

/// Sampling parameters common to the APIs.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Sampling {
    /// Temperature.
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    pub top_p: Option<f64>,
    /// Top-k (Anthropic, Gemini; Bedrock via additional fields).
    pub top_k: Option<u32>,
    /// Seed (OpenAI, Gemini).
    pub seed: Option<i64>,
    /// Frequency penalty (OpenAI, Gemini).
    pub frequency_penalty: Option<f64>,
    /// Presence penalty (OpenAI, Gemini).
    pub presence_penalty: Option<f64>,
}

/// What kind of tool.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ToolKind<'a> {
    /// A function with a JSON Schema for its arguments.
    Function {
        /// JSON Schema of the arguments, raw (`None`: no parameters).
        parameters: Option<Raw<'a>>,
        /// OpenAI `strict`.
        strict: Option<bool>,
    },
    /// An OpenAI custom tool taking free-form text, optionally constrained by a grammar.
    Custom {
        /// `format` object, raw.
        format: Option<Raw<'a>>,
    },
    /// A provider's built-in tool the IR does not model (OpenAI `web_search`, Anthropic
    /// `web_search_20250305`, Gemini `googleSearch`, ...). Re-emitted unchanged by the same
    /// API's encoder; reported as lost by any other.
    Builtin {
        /// The API it came from.
        origin: Api,
        /// The tool definition, as received.
        raw: Raw<'a>,
    },
}

/// A tool the model may call.
#[derive(Debug, Clone, PartialEq)]
pub struct Tool<'a> {
    /// Name (empty for built-in tools that have none).
    pub name: Str<'a>,
    /// Description.
    pub description: Option<Str<'a>>,
    /// What kind of tool.
    pub kind: ToolKind<'a>,
    /// Cache marker after this tool definition (Anthropic `cache_control` on a tool, Bedrock
    /// `cachePoint` in the tool list).
    pub cache: Option<Cache>,
}

/// How the model must use the tools.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ToolChoice<'a> {
    /// The model decides.
    Auto,
    /// The model must not call tools.
    None,
    /// The model must call at least one tool (OpenAI `required`, Anthropic `any`, Gemini
    /// mode `ANY`).
    Required,
    /// The model must call this tool.
    Tool {
        /// Its name.
        name: Str<'a>,
    },
    /// The model must call one of these (OpenAI `allowed_tools`, Gemini
    /// `allowedFunctionNames`).
    Allowed {
        /// Tool names.
        names: Vec<Str<'a>>,
        /// Whether a call is required (mode `required`/`ANY`) or optional (`auto`).
        required: bool,
    },
}

/// Structured-output request.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ResponseFormat<'a> {
    /// Plain text (the default).
    Text,
    /// Any JSON object.
    JsonObject,
    /// JSON matching a schema.
    JsonSchema {
        /// Schema name (OpenAI requires one; encoders use `"response"` when absent).
        name: Option<Str<'a>>,
        /// Description.
        description: Option<Str<'a>>,
        /// The JSON Schema, raw.
        schema: Raw<'a>,
        /// OpenAI `strict`.
        strict: Option<bool>,
    },
}

/// Reasoning effort as OpenAI names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Effort {
    /// `none`
    None,
    /// `minimal`
    Minimal,
    /// `low`
    Low,
    /// `medium`
    Medium,
    /// `high`
    High,
    /// `xhigh`
    XHigh,
}

impl Effort {
    /// The OpenAI spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Effort::None => "none",
            Effort::Minimal => "minimal",
            Effort::Low => "low",
            Effort::Medium => "medium",
            Effort::High => "high",
            Effort::XHigh => "xhigh",
        }
    }

    /// Parses the OpenAI spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "none" => Effort::None,
            "minimal" => Effort::Minimal,
            "low" => Effort::Low,
            "medium" => Effort::Medium,
            "high" => Effort::High,
            "xhigh" => Effort::XHigh,
            _ => return None,
        })
    }

    /// The thinking budget in tokens this effort maps to for budget-based APIs (Anthropic
    /// `thinking.budget_tokens`, Gemini `thinkingBudget`). `None` means thinking disabled.
    pub fn budget_tokens(self) -> Option<u32> {
        match self {
            Effort::None => None,
            Effort::Minimal => Some(1024),
            Effort::Low => Some(2048),
            Effort::Medium => Some(8192),
            Effort::High => Some(16384),
            Effort::XHigh => Some(32768),
        }
    }

    /// The effort closest to a thinking budget (inverse of [`Effort::budget_tokens`]).
    pub fn from_budget(budget: u32) -> Self {
        match budget {
            0 => Effort::None,
            1..=1024 => Effort::Minimal,
            1025..=2048 => Effort::Low,
            2049..=8192 => Effort::Medium,
            8193..=16384 => Effort::High,
            _ => Effort::XHigh,
        }
    }
}

/// Reasoning/thinking configuration.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reasoning<'a> {
    /// Whether thinking is on (`Some(false)`: explicitly disabled, Anthropic
    /// `thinking.type: disabled`, Gemini `thinkingBudget: 0`).
    pub enabled: Option<bool>,
    /// OpenAI effort.
    pub effort: Option<Effort>,
    /// Token budget (Anthropic `budget_tokens`, Gemini `thinkingBudget`; `-1` dynamic is
    /// `None` with `enabled: Some(true)`).
    pub budget_tokens: Option<u32>,
    /// Responses `reasoning.summary` (`auto`, `concise`, `detailed`).
    pub summary: Option<Str<'a>>,
    /// Gemini `includeThoughts`.
    pub include_thoughts: Option<bool>,
}
