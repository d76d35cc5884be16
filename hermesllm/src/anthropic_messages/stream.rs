//! Streams (phase B).

use crate::DecodeError;
use crate::ir;
use crate::stream::{Frame, StreamDecode, StreamEncode, StreamMeta};

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
