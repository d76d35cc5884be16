//! OpenAI Chat Completions (`POST /v1/chat/completions`): requests, responses, errors and
//! streams, to and from the internal model.
//!
//! Mapping decisions worth knowing:
//! - Leading `system`/`developer` messages are the IR system prompt (encoded back as one
//!   `system` message); later ones stay in the conversation.
//! - `tool` messages are [`ir::Role::Tool`] messages with one tool result each. Encoding,
//!   tool results found in any turn (Anthropic puts them in user turns) become `tool`
//!   messages, in order.
//! - Non-standard `reasoning_content` (DeepSeek, vLLM, Groq) is thinking from this API. It is
//!   sent upstream only when it came from this API; in responses and streams to clients,
//!   thinking text of any origin is written there (signatures are dropped and recorded).
//! - Usage: `prompt_tokens` already includes cached tokens and `completion_tokens` reasoning
//!   tokens, which is the IR convention; cache writes have no field (recorded when non-zero).
//! - `finish_reason`: `stop` ↔ end turn (stop sequences also report `stop`), `length` ↔ max
//!   tokens, `tool_calls` ↔ tool use, `content_filter` ↔ content filter. Refusal, pause and
//!   context-window stops map to the nearest reason and are recorded as approximated.
//! - There are no cache markers in this API: they are dropped and recorded.

mod error;
mod message_encode;
mod request;
mod request_encode;
mod request_fast;
mod response;
mod response_write;
mod stream;
mod tools;
mod types;

pub use error::{decode_error, encode_error};
pub use request::decode_request;
pub use request_encode::encode_request;
pub use response::{decode_response, encode_response};
pub use stream::{StreamDecoder, StreamEncoder};
