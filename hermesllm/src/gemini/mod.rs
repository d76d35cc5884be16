//! Google Gemini `generateContent` / `streamGenerateContent` (`POST
//! /v1beta/models/{model}:generateContent`, `:streamGenerateContent?alt=sse`).
//!
//! The model and the streaming flag travel in the URL: decoders take them from
//! [`RequestMeta`](crate::RequestMeta), encoders leave them out of the body.
//!
//! Conventions of this codec (see each module for details):
//! - **Parts.** Thought parts are thinking blocks; a `thoughtSignature` on any other part
//!   becomes a signature-only Gemini thinking block just before that part's block, and the
//!   encoder attaches it back to the next part ([`parts_decode`], [`parts_encode`]).
//! - **Call ids.** Gemini calls may lack ids: they decode as `call_<n>`, `n` counting the
//!   function calls of the document (or stream) from 0; a response without id answers the
//!   first unanswered call of its name. The encoder looks up the function name a tool result
//!   needs from the earlier call with the same id.
//! - **Function results.** `{"output": v}` / `{"error": v}` unwrap to the result text
//!   (`error` sets `is_error`); other objects are the text as is. Encoding wraps non-object
//!   results (and all errors) the same way.
//! - **Finish reasons and usage**: see [`response`].
//! - **Streams**: see [`stream_decode`] and [`stream_encode`].

mod error;
mod parts_decode;
mod parts_encode;
mod request;
mod request_encode;
mod response;
mod stream_decode;
mod stream_encode;
pub mod types;

pub use error::{decode_error, encode_error};
pub use request::decode_request;
pub use request_encode::encode_request;
pub use response::{decode_response, encode_response};
pub use stream_decode::StreamDecoder;
pub use stream_encode::StreamEncoder;
