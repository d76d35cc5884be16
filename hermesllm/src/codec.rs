//! What every wire module provides, and the context decoders and encoders take.
//!
//! Each API module (`openai_chat`, `openai_responses`, `anthropic_messages`,
//! `bedrock_converse`, `gemini`) exposes the same free functions:
//!
//! ```ignore
//! pub fn decode_request<'a>(body: &'a [u8], meta: &RequestMeta<'a>) -> Result<ir::Request<'a>, DecodeError>;
//! pub fn encode_request(req: &ir::Request<'_>, losses: &mut Losses) -> Result<Vec<u8>, EncodeError>;
//! pub fn decode_response<'a>(body: &'a [u8]) -> Result<ir::Response<'a>, DecodeError>;
//! pub fn encode_response(resp: &ir::Response<'_>, meta: &ResponseMeta<'_>, losses: &mut Losses) -> Result<Vec<u8>, EncodeError>;
//! pub fn decode_error<'a>(status: u16, body: &'a [u8]) -> ir::ApiError<'a>;
//! pub fn encode_error(err: &ir::ApiError<'_>) -> Vec<u8>;
//! ```
//!
//! and the stream types `StreamDecoder` ([`StreamDecode`](crate::stream::StreamDecode)) and
//! `StreamEncoder` ([`StreamEncode`](crate::stream::StreamEncode)). [`crate::translate`]
//! dispatches over them by [`Api`](crate::Api).

use crate::Str;

/// What the URL says about a request (Bedrock and Gemini carry the model and the streaming
/// flag in the path, not the body).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestMeta<'a> {
    /// The model from the path (`/model/{id}/converse`, `/models/{m}:generateContent`),
    /// percent-decoded. Body-model APIs use it only when the body has no model.
    pub model: Option<Str<'a>>,
    /// Whether the path is the streaming one (`converse-stream`, `streamGenerateContent`).
    pub stream: bool,
}

/// Values an encoder needs that the source response may lack. Ids and clocks are inputs: the
/// library never generates them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResponseMeta<'a> {
    /// Response id to use when the source has none (Bedrock responses have no id).
    pub id: Str<'a>,
    /// Creation time (Unix seconds) to use when the source has none.
    pub created: u64,
    /// Model to report when the source has none (Bedrock, Gemini without `modelVersion`).
    pub model: Str<'a>,
}
