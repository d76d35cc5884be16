//! Anthropic Messages API (`POST /v1/messages`): requests, responses, errors and streams.
//!
//! Mapping decisions worth knowing:
//! - `system` (string or text blocks) is [`Request::system`](crate::ir::Request::system);
//!   mid-conversation system messages of other APIs move into it when encoding (recorded).
//! - `cache_control` on a block or system block is a [`Block::CachePoint`](crate::ir::Block)
//!   after it, on a tool [`Tool::cache`](crate::ir::Tool::cache); the TTL (`5m`, `1h`) is kept.
//! - `tool_use.input` is the raw JSON text of the arguments; tool results stay in user turns.
//!   Non-object arguments (truncated OpenAI output, custom tools) are wrapped as
//!   `{"input": text}` (recorded).
//! - `thinking {enabled, budget_tokens}` is `enabled: Some(true)` with the budget; `adaptive`
//!   is `enabled: Some(true)` without one, with `output_config.effort` as the effort. Encoding
//!   follows what the model id accepts: budgets up to Claude 4.5 and for unknown ids (an
//!   effort becomes `Effort::budget_tokens`), adaptive with an effort from Claude 4.7 (a budget
//!   becomes `Effort::from_budget`), either on 4.6. Thinking blocks whose signature belongs to
//!   another model family are dropped from requests (recorded).
//! - `output_config.format` (and the beta `output_format`) is a JSON Schema response format.
//! - Usage: internal `input_tokens` = `input_tokens + cache_read_input_tokens +
//!   cache_creation_input_tokens`; encoders subtract them back out. Thinking tokens are part of
//!   `output_tokens` and not reported apart (`reasoning_tokens` is 0 when decoding).
//! - Stop reasons map one to one; content filtering encodes as `refusal` and other APIs' own
//!   reasons as `end_turn` (recorded).
//! - Blocks and tools this crate does not model (`server_tool_use`, `web_search_20250305`, ...)
//!   travel raw as `Block::Unknown` / `ToolKind::Builtin`; in streams they are skipped.
//! - Errors keep Anthropic's `error.type`; `overloaded_error` is HTTP 529 ([`status`]).

mod blocks;
mod content;
mod error;
mod options;
mod request;
mod response;
mod response_fast;
mod stream;
mod stream_encode;
pub mod types;
mod write;

pub use error::{decode_error, encode_error, error_kind, error_type, status};
pub use request::{DEFAULT_MAX_TOKENS, decode_request, encode_request};
pub use response::{
    decode_response, decode_stop, decode_usage, encode_response, encode_stop, encode_usage,
};
pub use stream::{StreamDecoder, StreamEncoder};
