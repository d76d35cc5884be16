//! PLACEHOLDER: being written.

use crate::ir;
use crate::stream::{Frame, StreamDecode, StreamEncode, StreamMeta};
use crate::{DecodeError, EncodeError, Losses, RequestMeta, ResponseMeta};

fn todo_err() -> EncodeError {
    EncodeError::unsupported("", "not yet implemented")
}

/// Decodes a request body.
///
/// # Errors
/// Malformed input.
pub fn decode_request<'a>(
    _body: &'a [u8],
    _meta: &RequestMeta<'a>,
) -> Result<ir::Request<'a>, DecodeError> {
    Err(DecodeError::invalid("", "not yet implemented"))
}

/// Encodes a request body.
///
/// # Errors
/// Requests the API cannot express.
pub fn encode_request(
    _req: &ir::Request<'_>,
    _losses: &mut Losses,
) -> Result<Vec<u8>, EncodeError> {
    Err(todo_err())
}

/// Decodes a response body.
///
/// # Errors
/// Malformed input.
pub fn decode_response(_body: &[u8]) -> Result<ir::Response<'_>, DecodeError> {
    Err(DecodeError::invalid("", "not yet implemented"))
}

/// Encodes a response body.
///
/// # Errors
/// Responses the API cannot express.
pub fn encode_response(
    _resp: &ir::Response<'_>,
    _meta: &ResponseMeta<'_>,
    _losses: &mut Losses,
) -> Result<Vec<u8>, EncodeError> {
    Err(todo_err())
}

/// Decodes an error body.
pub fn decode_error(status: u16, _body: &[u8]) -> ir::ApiError<'_> {
    ir::ApiError::new(ir::ErrorKind::from_status(status), "error")
}

/// Encodes an error body.
pub fn encode_error(_err: &ir::ApiError<'_>) -> Vec<u8> {
    Vec::new()
}

/// Stream decoder.
#[derive(Debug, Default)]
pub struct StreamDecoder;

impl StreamDecoder {
    /// A new decoder.
    pub fn new() -> Self {
        StreamDecoder
    }
}

impl StreamDecode for StreamDecoder {
    fn decode(
        &mut self,
        _frame: &Frame<'_>,
        _emit: &mut dyn FnMut(ir::StreamEvent<'_>),
    ) -> Result<(), DecodeError> {
        Err(DecodeError::Stream("not yet implemented".into()))
    }
    fn finish(&mut self, _emit: &mut dyn FnMut(ir::StreamEvent<'_>)) {}
}

/// Stream encoder.
#[derive(Debug)]
pub struct StreamEncoder<'m> {
    _meta: StreamMeta<'m>,
}

impl<'m> StreamEncoder<'m> {
    /// A new encoder.
    pub fn new(meta: StreamMeta<'m>) -> Self {
        StreamEncoder { _meta: meta }
    }
}

impl StreamEncode for StreamEncoder<'_> {
    fn encode(&mut self, _event: &ir::StreamEvent<'_>, _out: &mut Vec<u8>) {}
}
