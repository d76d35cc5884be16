//! Payloads of ConverseStream events (the JSON inside each eventstream frame), used for both
//! decoding and encoding. Bedrock pads payloads with a random `p` member; unknown members are
//! ignored.

use serde::{Deserialize, Serialize};

use super::types::{AdditionalResponseFields, Metrics, TokenUsage};
use crate::Str;

/// `messageStart`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageStartEvent<'a> {
    /// Always `assistant`.
    #[serde(borrow)]
    pub role: Str<'a>,
}

/// `contentBlockStart`: only tool calls announce themselves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContentBlockStartEvent<'a> {
    /// Upstream block index.
    pub content_block_index: u32,
    /// What starts.
    #[serde(borrow)]
    pub start: BlockStartPayload<'a>,
}

/// The `start` union.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockStartPayload<'a> {
    /// A tool call.
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    pub tool_use: Option<ToolUseStart<'a>>,
}

/// A tool call's id and name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolUseStart<'a> {
    /// Call id.
    #[serde(borrow)]
    pub tool_use_id: Str<'a>,
    /// Tool name.
    #[serde(borrow)]
    pub name: Str<'a>,
}

/// `contentBlockDelta`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContentBlockDeltaEvent<'a> {
    /// Upstream block index.
    pub content_block_index: u32,
    /// The increment.
    #[serde(borrow)]
    pub delta: DeltaPayload<'a>,
}

/// The `delta` union, as a struct of optional members.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeltaPayload<'a> {
    /// Text.
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    pub text: Option<Str<'a>>,
    /// Tool-call arguments fragment.
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    pub tool_use: Option<ToolUseDelta<'a>>,
    /// Reasoning fragment.
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    pub reasoning_content: Option<ReasoningDelta<'a>>,
}

/// `{"input": "<fragment of JSON text>"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolUseDelta<'a> {
    /// The fragment.
    #[serde(borrow)]
    pub input: Str<'a>,
}

/// The reasoning delta union.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReasoningDelta<'a> {
    /// Reasoning text.
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    pub text: Option<Str<'a>>,
    /// Signature.
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    pub signature: Option<Str<'a>>,
    /// Encrypted reasoning.
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    pub redacted_content: Option<Str<'a>>,
}

/// `contentBlockStop`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContentBlockStopEvent {
    /// Upstream block index.
    pub content_block_index: u32,
}

/// `messageStop`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageStopEvent<'a> {
    /// Why the model stopped.
    #[serde(borrow)]
    pub stop_reason: Str<'a>,
    /// Model-specific fields (Claude `stop_sequence`).
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    pub additional_model_response_fields: Option<AdditionalResponseFields<'a>>,
}

/// `metadata`: usage and metrics, the last event of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MetadataEvent {
    /// Token usage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<TokenUsage>,
    /// Metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Metrics>,
}
