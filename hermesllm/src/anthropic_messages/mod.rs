//! Anthropic Messages API (`POST /v1/messages`).
//!
//! Mapping decisions worth knowing:
//! - `system` (string or text blocks) is [`ir::Request::system`]; mid-conversation IR system
//!   messages are moved into it when encoding (recorded).
//! - `cache_control` on a block, a tool or a system block is a [`ir::Block::CachePoint`] after
//!   it ([`ir::Tool::cache`] for tools); TTL `5m`/`1h` is kept.
//! - `tool_use.input` is the raw JSON text of the arguments; tool results stay in user turns.
//! - `thinking {enabled, budget_tokens}` is `enabled: Some(true)` with the budget; `adaptive`
//!   is `enabled: Some(true)` without one, its `output_config.effort` the IR effort; an effort
//!   alone (OpenAI) encodes as a budget ([`ir::Effort::budget_tokens`]).
//! - `output_config.format` (and the beta `output_format`) is a JSON Schema response format.
//! - Usage: IR `input_tokens` = `input_tokens + cache_read_input_tokens +
//!   cache_creation_input_tokens`; the encoder subtracts them back out. Thinking tokens are
//!   inside `output_tokens` and not reported apart (`reasoning_tokens` 0 on decode).
//! - Blocks and tools this crate does not model (`server_tool_use`, `web_search_20250305`, ...)
//!   travel raw as [`ir::Block::Unknown`] / [`ir::ToolKind::Builtin`].

mod blocks;
mod content;
mod error;
mod options;
mod request;
mod response;
mod stream;
pub mod types;

pub use error::{decode_error, encode_error, error_kind, error_type, status};
pub use request::{DEFAULT_MAX_TOKENS, decode_request, encode_request};
pub use response::{
    decode_response, decode_stop, decode_usage, encode_response, encode_stop, encode_usage,
};
pub use stream::{StreamDecoder, StreamEncoder};

#[allow(unused_imports)]
use crate::ir;
