//! Stream events: the internal model of a streamed response.
//!
//! Shaped after the richest stream (Anthropic's): a stream is
//! `Start, (BlockStart, Delta*, BlockStop)*, Stop?, Usage?, Done` with an [`StreamEvent::Error`]
//! possible anywhere. Blocks are indexed densely from 0 in order of appearance; decoders of APIs
//! that interleave blocks (OpenAI parallel tool calls) keep the upstream's order of deltas.

use super::{ApiError, StopReason, ToolCallKind, Usage};
use crate::{Api, Str};

/// What a content block in a stream starts as.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum BlockStart<'a> {
    /// Text.
    Text,
    /// A refusal (OpenAI `refusal` deltas).
    Refusal,
    /// A tool call; its arguments follow as [`Delta::ToolArguments`].
    ToolCall {
        /// Call id.
        id: Str<'a>,
        /// Tool name.
        name: Str<'a>,
        /// Function or custom tool.
        kind: ToolCallKind,
    },
    /// Reasoning; text follows as [`Delta::Thinking`], the signature as [`Delta::Signature`].
    Thinking {
        /// The API that produced it.
        origin: Api,
        /// Provider id of the reasoning item (Responses).
        id: Option<Str<'a>>,
    },
    /// Encrypted reasoning, whole.
    RedactedThinking {
        /// Opaque data.
        data: Str<'a>,
        /// The API that produced it.
        origin: Api,
    },
}

/// An increment to the open block at an index.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Delta<'a> {
    /// Text (or refusal text).
    Text(Str<'a>),
    /// A fragment of tool-call arguments (JSON text, split anywhere).
    ToolArguments(Str<'a>),
    /// Reasoning text.
    Thinking(Str<'a>),
    /// The reasoning signature (whole or in parts, concatenated).
    Signature(Str<'a>),
}

/// One event of a streamed response.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StreamEvent<'a> {
    /// The response begins.
    Start {
        /// Response id (empty when the upstream gives none; the encoder's context supplies one).
        id: Str<'a>,
        /// Model.
        model: Str<'a>,
        /// Creation time, Unix seconds, where known.
        created: Option<u64>,
        /// Usage known at the start (Anthropic `message_start` input usage).
        usage: Option<Usage>,
    },
    /// A content block opens.
    BlockStart {
        /// Block index.
        index: u32,
        /// What it is.
        block: BlockStart<'a>,
    },
    /// Content for an open block.
    Delta {
        /// Block index.
        index: u32,
        /// The increment.
        delta: Delta<'a>,
    },
    /// A content block closes.
    BlockStop {
        /// Block index.
        index: u32,
    },
    /// The model stopped.
    Stop {
        /// Why.
        reason: Option<StopReason<'a>>,
        /// The stop sequence that matched.
        stop_sequence: Option<Str<'a>>,
    },
    /// Usage so far (cumulative; the last one is final).
    Usage(Usage),
    /// An error in the middle of the stream; the stream ends after it.
    Error(ApiError<'a>),
    /// The stream ended normally.
    Done,
}
