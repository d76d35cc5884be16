//! Dispatch by [`Api`]: decode and encode any of the five, and translate between them.

use crate::ir::{self, ApiError};
use crate::passthrough::{self, RequestEdits};
use crate::stream::{StreamDecode, StreamEncode, StreamMeta};
use crate::{
    Api, DecodeError, EncodeError, Losses, RequestMeta, ResponseMeta, anthropic_messages,
    bedrock_converse, gemini, openai_chat, openai_responses,
};

macro_rules! dispatch {
    ($api:expr, $f:ident ( $($arg:expr),* )) => {
        match $api {
            Api::OpenAiChat => openai_chat::$f($($arg),*),
            Api::OpenAiResponses => openai_responses::$f($($arg),*),
            Api::AnthropicMessages => anthropic_messages::$f($($arg),*),
            Api::BedrockConverse => bedrock_converse::$f($($arg),*),
            Api::Gemini => gemini::$f($($arg),*),
        }
    };
}

/// Decodes a request body of `api` into the internal model.
///
/// # Errors
/// Malformed or invalid input ([`DecodeError::to_api_error`] gives the client's 400).
pub fn decode_request<'a>(
    api: Api,
    body: &'a [u8],
    meta: &RequestMeta<'a>,
) -> Result<ir::Request<'a>, DecodeError> {
    dispatch!(api, decode_request(body, meta))
}

/// Encodes a request in `api`'s wire format, recording what it could not carry.
///
/// # Errors
/// Requests the API cannot express at all.
pub fn encode_request(
    api: Api,
    req: &ir::Request<'_>,
    losses: &mut Losses,
) -> Result<Vec<u8>, EncodeError> {
    dispatch!(api, encode_request(req, losses))
}

/// Decodes a response body of `api`.
///
/// # Errors
/// Malformed input.
pub fn decode_response(api: Api, body: &[u8]) -> Result<ir::Response<'_>, DecodeError> {
    dispatch!(api, decode_response(body))
}

/// Encodes a response in `api`'s wire format.
///
/// # Errors
/// Responses the API cannot express at all.
pub fn encode_response(
    api: Api,
    resp: &ir::Response<'_>,
    meta: &ResponseMeta<'_>,
    losses: &mut Losses,
) -> Result<Vec<u8>, EncodeError> {
    dispatch!(api, encode_response(resp, meta, losses))
}

/// Decodes an error body of `api` (never fails: an unreadable body becomes the message).
pub fn decode_error(api: Api, status: u16, body: &[u8]) -> ApiError<'_> {
    dispatch!(api, decode_error(status, body))
}

/// Encodes an error in `api`'s error shape.
pub fn encode_error(api: Api, err: &ApiError<'_>) -> Vec<u8> {
    dispatch!(api, encode_error(err))
}

/// A stream decoder for `api`.
pub fn stream_decoder(api: Api) -> Box<dyn StreamDecode> {
    match api {
        Api::OpenAiChat => Box::new(openai_chat::StreamDecoder::new()),
        Api::OpenAiResponses => Box::new(openai_responses::StreamDecoder::new()),
        Api::AnthropicMessages => Box::new(anthropic_messages::StreamDecoder::new()),
        Api::BedrockConverse => Box::new(bedrock_converse::StreamDecoder::new()),
        Api::Gemini => Box::new(gemini::StreamDecoder::new()),
    }
}

/// A stream encoder for `api`.
pub fn stream_encoder<'m>(api: Api, meta: StreamMeta<'m>) -> Box<dyn StreamEncode + 'm> {
    match api {
        Api::OpenAiChat => Box::new(openai_chat::StreamEncoder::new(meta)),
        Api::OpenAiResponses => Box::new(openai_responses::StreamEncoder::new(meta)),
        Api::AnthropicMessages => Box::new(anthropic_messages::StreamEncoder::new(meta)),
        Api::BedrockConverse => Box::new(bedrock_converse::StreamEncoder::new(meta)),
        Api::Gemini => Box::new(gemini::StreamEncoder::new(meta)),
    }
}

/// A translated body and what the translation lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translation {
    /// The body in the target API.
    pub body: Vec<u8>,
    /// What could not be carried (empty for passthrough).
    pub losses: Losses,
}

/// A translation failed: either the input was bad or the target cannot express it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TranslateError {
    /// The input could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The target API cannot express the request.
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

impl TranslateError {
    /// The error as the client should see it.
    pub fn to_api_error(&self) -> ApiError<'static> {
        match self {
            TranslateError::Decode(e) => e.to_api_error(),
            TranslateError::Encode(e) => e.to_api_error(),
        }
    }
}

/// Translates a request body from `from` to `to`, setting the upstream model.
///
/// Same API: [`passthrough`] (only the model and `stream_options` are edited, every other
/// field kept). Otherwise: decode into the internal model, replace the model, encode.
///
/// # Errors
/// [`TranslateError`].
pub fn translate_request(
    from: Api,
    to: Api,
    body: &[u8],
    meta: &RequestMeta<'_>,
    upstream_model: Option<&str>,
) -> Result<Translation, TranslateError> {
    if from == to {
        let edits = RequestEdits {
            model: if to.model_in_path() {
                None
            } else {
                upstream_model
            },
            include_stream_usage: to == Api::OpenAiChat,
            remove: &[],
        };
        let body = passthrough::edit_request(body, &edits)?;
        return Ok(Translation {
            body,
            losses: Losses::default(),
        });
    }
    let mut req = decode_request(from, body, meta)?;
    if let Some(m) = upstream_model {
        req.model = m.into();
    }
    let mut losses = Losses::default();
    let body = encode_request(to, &req, &mut losses)?;
    Ok(Translation { body, losses })
}

/// Translates a non-streaming response body from the upstream API `from` to the client API
/// `to`. Same API: returned unchanged.
///
/// # Errors
/// [`TranslateError`].
pub fn translate_response(
    from: Api,
    to: Api,
    body: &[u8],
    meta: &ResponseMeta<'_>,
) -> Result<Translation, TranslateError> {
    if from == to {
        return Ok(Translation {
            body: body.to_vec(),
            losses: Losses::default(),
        });
    }
    let resp = decode_response(from, body)?;
    let mut losses = Losses::default();
    let body = encode_response(to, &resp, meta, &mut losses)?;
    Ok(Translation { body, losses })
}

/// Translates an upstream error body into the client API's error shape, keeping the
/// upstream status. A same-API error object passes unchanged.
pub fn translate_error(from: Api, to: Api, status: u16, body: &[u8]) -> Vec<u8> {
    let t = body.trim_ascii();
    let object = t.first() == Some(&b'{') && t.last() == Some(&b'}');
    // The same API's own error object passes unchanged; anything else (an HTML page from a
    // proxy, Gemini's OpenAI-compatible `[{"error": ...}]`) is rewritten in the client's shape.
    if from == to && object {
        return body.to_vec();
    }
    encode_error(to, &decode_error(from, status, body))
}
