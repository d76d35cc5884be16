//! Streams: `data: {chat.completion.chunk}` events ending with `data: [DONE]`.
//!
//! - [`StreamDecoder`]: chunks → [`ir::StreamEvent`]s.
//! - [`StreamEncoder`]: [`ir::StreamEvent`]s → chunks.

mod decode;
mod encode;
mod fast;

pub use decode::StreamDecoder;
pub use encode::StreamEncoder;

use std::borrow::Cow;

use super::error::ErrorObject;
use super::response::UsageWire;
use super::types::{FunctionCallWire, StrOr, ToolCallWire};
use crate::{Raw, Str};

/// A `chat.completion.chunk`, or an error event (`{"error": {...}}`).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct ChatChunk<'a> {
    #[serde(borrow, default)]
    id: Str<'a>,
    #[serde(borrow, default)]
    object: Str<'a>,
    #[serde(default)]
    created: Option<u64>,
    #[serde(borrow, default)]
    model: Str<'a>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    system_fingerprint: Option<Str<'a>>,
    /// Always written; empty in the final usage chunk. Some compatible servers send `null`.
    /// Owned when decoded; the encoder lends its one choice without allocating.
    #[serde(borrow, default, deserialize_with = "null_as_empty")]
    choices: Cow<'a, [ChunkChoice<'a>]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    usage: Option<UsageWire>,
    /// Read only: the encoder writes errors with the error module's own shape.
    #[serde(borrow, default, skip_serializing)]
    error: Option<Box<StrOr<'a, ErrorObject<'a>>>>,
}

fn null_as_empty<'de, 'a, D, T>(d: D) -> Result<Cow<'a, [T]>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de> + Clone,
{
    Ok(Cow::Owned(
        <Option<Vec<T>> as serde::Deserialize>::deserialize(d)?.unwrap_or_default(),
    ))
}

/// One choice of a chunk.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct ChunkChoice<'a> {
    #[serde(default)]
    index: u32,
    #[serde(borrow, default)]
    delta: ChunkDelta<'a>,
    /// Always written (`null` until the last chunk of the choice).
    #[serde(borrow, default)]
    finish_reason: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    logprobs: Option<Raw<'a>>,
}

/// The increment a chunk carries.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct ChunkDelta<'a> {
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    role: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    content: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    reasoning_content: Option<Str<'a>>,
    /// `reasoning_content` as OpenRouter, Ollama and newer vLLM name it (read only).
    #[serde(borrow, default, skip_serializing)]
    reasoning: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    refusal: Option<Str<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    tool_calls: Option<Vec<ToolCallWire<'a>>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    function_call: Option<Box<FunctionCallWire<'a>>>,
}
