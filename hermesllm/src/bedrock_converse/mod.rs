//! Amazon Bedrock Converse (`POST /model/{modelId}/converse`) and ConverseStream
//! (`/converse-stream`, `application/vnd.amazon.eventstream` frames).
//!
//! - [`decode_request`]/[`encode_request`]: the model and the streaming flag live in the path
//!   ([`RequestMeta`](crate::RequestMeta)); Claude's `top_k` and `thinking` travel in
//!   `additionalModelRequestFields`.
//! - [`decode_response`]/[`encode_response`]: Bedrock responses have no id and no model.
//!   Usage: Bedrock's `inputTokens` excludes cache reads and writes; the internal model
//!   counts them in (see [`ir::Usage`](crate::ir::Usage)).
//! - [`decode_error`]/[`encode_error`]: `{"message": ...}` named by exception
//!   ([`error_type`]).
//! - [`StreamDecoder`]/[`StreamEncoder`]: eventstream frames ↔ stream events.

mod blocks;
mod error;
mod events;
mod request;
mod response;
mod stream;
mod stream_encode;
mod stream_fast;
mod tools;
pub mod types;

pub use error::{decode_error, encode_error, error_type, exception_status};
pub use request::{decode_request, encode_request};
pub use response::{decode_response, encode_response};
pub use stream::StreamDecoder;
pub use stream_encode::StreamEncoder;
