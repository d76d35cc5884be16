//! OpenAI Responses API (`POST /v1/responses`).
//!
//! - [`decode_request`] / [`encode_request`]: request bodies ↔ IR.
//! - [`decode_response`] / [`encode_response`]: response objects ↔ IR.
//! - [`decode_error`] / [`encode_error`]: `{"error": {...}}` bodies.
//! - [`StreamDecoder`] / [`StreamEncoder`]: typed SSE events (`response.created`, ...,
//!   `response.completed`) ↔ IR stream events.
//!
//! Mapping decisions:
//! - `instructions` and leading `system`/`developer` messages are the system prompt; the
//!   encoder writes the first system text as `instructions` and further ones as leading
//!   `system` messages.
//! - Usage: Responses counts cached tokens inside `input_tokens` and reasoning tokens inside
//!   `output_tokens`, exactly as [`ir::Usage`](crate::ir::Usage) does, so the numbers map
//!   one to one; cache writes have no field and stay counted in `input_tokens`.
//! - Stop reasons come from `status` and `incomplete_details.reason` (see
//!   [`decode_response`]).
//! - Reasoning items are [`Block::Thinking`](crate::ir::Block::Thinking) with the item id
//!   and `encrypted_content` as the signature.

mod content;
mod error;
mod request_decode;
mod request_encode;
mod response;
pub mod response_types;
mod stream_decode;
mod stream_encode;
pub mod stream_types;
pub mod types;

pub use error::{decode_error, encode_error};
pub use request_decode::decode_request;
pub use request_encode::encode_request;
pub use response::{decode_response, encode_response};
pub use stream_decode::StreamDecoder;
pub use stream_encode::StreamEncoder;
