//! The internal model (IR): a superset of the five wire APIs.
//!
//! Every wire module converts to and from these types and never to another wire module, so
//! adding an API costs one module. The IR borrows from the decoded body (`'a`): decoding copies
//! only strings that contain JSON escapes, and JSON Schemas and other opaque JSON stay as
//! [`Raw`](crate::Raw) slices of the input.
//!
//! Conventions every codec follows:
//! - **System prompt.** Leading `system`/`developer` messages, Anthropic's `system`, Bedrock's
//!   `system`, Gemini's `systemInstruction` and Responses' `instructions` go to
//!   [`Request::system`]. A system message in the middle of a conversation stays in
//!   [`Request::messages`] with [`Role::System`]; an encoder whose API cannot place it there
//!   moves it to the system prompt and records a [`Loss`](crate::Loss).
//! - **Tool results** are [`Block::ToolResult`] blocks. OpenAI `tool` messages decode to a
//!   message with [`Role::Tool`]; encoders for APIs that carry tool results in user turns
//!   (Anthropic, Bedrock, Gemini) merge consecutive tool and user messages into one user turn.
//! - **Tool call arguments** are JSON text ([`Block::ToolCall::arguments`]): OpenAI's argument
//!   string unescaped, or the raw text of Anthropic's/Bedrock's/Gemini's `input` object.
//! - **Cache markers** are [`Block::CachePoint`] blocks placed *after* the block they close
//!   (Bedrock's `cachePoint` shape); Anthropic's `cache_control` on a block decodes to the block
//!   followed by a cache point, and encodes back onto the preceding block.
//! - **Thinking** keeps its signature with [`Block::Thinking::origin`], the API that produced
//!   it: signatures are only valid within that family (see [`Api::family`](crate::Api::family)).
//! - **Usage** is normalised as documented on [`Usage`].
//! - **Unknown fields** of the source API are kept in `extra` (escape hatch): a same-API
//!   encoder writes them back; any other encoder reports them as lost.

mod content;
mod request;
mod response;
mod stream;
mod usage;

pub use content::{Block, Cache, CacheTtl, MediaSource, Message, Role, ToolCallKind};
pub use request::{
    Effort, Extra, Reasoning, Request, ResponseFormat, Sampling, Tool, ToolChoice, ToolKind,
};
pub use response::{ApiError, Choice, ErrorKind, Response, StopReason};
pub use stream::{BlockStart, Delta, StreamEvent};
pub use usage::Usage;
