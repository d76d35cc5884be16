//! Streams: framing (SSE, AWS eventstream) and per-API event codecs.
//!
//! A stream is transcoded in three stages, all sans-IO and incremental:
//!
//! ```text
//! upstream bytes --framer--> Frame --API StreamDecoder--> ir::StreamEvent --API StreamEncoder--> client bytes
//! ```
//!
//! [`Transcoder`] runs the three stages for one response (or forwards the events unchanged when
//! both sides speak the same API) and keeps a [`StreamSummary`] for telemetry.
//!
//! - [`sse::SseFramer`]: Server-Sent Events after the WHATWG parsing rules.
//! - [`eventstream::EventStreamFramer`]: AWS eventstream messages (Bedrock), checked by
//!   `aws-smithy-eventstream`.
//! - [`Transcoder`]: framer → `from`'s decoder → `to`'s encoder, or same-API passthrough.
//!
//! Framers accept bytes in any chunking and limit the size of one event; decoders and
//! encoders work one frame/event at a time and keep only the state the format needs (open
//! blocks, tool-call indexes, usage), so memory stays bounded however long the stream runs.
//!
//! # Testing
//!
//! `hermesllm/tests/stream_*.rs`: WHATWG cases for the SSE framer, the Bedrock captures for
//! the eventstream framer, passthrough summaries per API, the transcoder with stand-in codecs,
//! and chunk-split invariance (every byte offset, byte by byte, random multi-splits) through
//! the reusable helpers of `tests/stream_util` (`assert_transcode_split_invariant(from, to,
//! meta, input)` works for any pair). Fuzz targets for every parser are in `hermesllm/fuzz`
//! (see its README).

pub mod eventstream;
mod sniff;
pub mod sse;
mod sse_write;
mod summary;
mod transcode;

pub use eventstream::{EventStreamError, EventStreamFramer, EventStreamMessage};
pub use sse::{SseError, SseEvent, SseFramer};
pub use sse_write::{write_event, write_json_event};
pub use summary::StreamSummary;
pub use transcode::Transcoder;

use crate::ir::StreamEvent;
use crate::{DecodeError, Str};

/// One framed upstream event, ready for an API's [`StreamDecode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A Server-Sent Event (OpenAI, Anthropic, Gemini).
    Sse {
        /// The `event:` field (empty when absent; OpenAI Chat and Gemini send none).
        event: &'a str,
        /// The `data:` field, lines joined with `\n`.
        data: &'a str,
    },
    /// An AWS eventstream message (Bedrock ConverseStream).
    EventStream {
        /// `:message-type` header: `event` or `exception` (or `error`).
        message_type: &'a str,
        /// `:event-type` (`messageStart`, `contentBlockDelta`, ...) or, for exceptions,
        /// `:exception-type` (`throttlingException`, ...); for `error`, `:error-code`.
        event_type: &'a str,
        /// The JSON payload.
        payload: &'a [u8],
    },
}

/// Turns one API's framed stream into internal events.
pub trait StreamDecode {
    /// Decodes one frame, calling `emit` for each internal event it yields (zero or more).
    ///
    /// # Errors
    /// A frame that is not valid for the API. The caller then ends the client stream with an
    /// error event.
    fn decode(
        &mut self,
        frame: &Frame<'_>,
        emit: &mut dyn FnMut(StreamEvent<'_>),
    ) -> Result<(), DecodeError>;

    /// The upstream body ended. Emits whatever closes the stream: the pending
    /// [`StreamEvent::Stop`]/[`StreamEvent::Usage`] if the format delays them, then
    /// [`StreamEvent::Done`] when the stream was complete, or a [`StreamEvent::Error`] when it
    /// was cut short (no terminal event seen).
    fn finish(&mut self, emit: &mut dyn FnMut(StreamEvent<'_>));
}

/// Writes internal events as one API's client stream bytes.
pub trait StreamEncode {
    /// Appends the bytes for `event` (zero or more SSE events or eventstream frames) to `out`.
    fn encode(&mut self, event: &StreamEvent<'_>, out: &mut Vec<u8>);

    /// The client stream was started by someone else (a same-API passthrough forwarded
    /// `events_sent` events of the upstream's own): this encoder only writes its end (an error
    /// event), continuing that stream rather than starting one. Only OpenAI Responses streams
    /// carry state that needs this (no second `response.created`; `sequence_number` goes on
    /// from `events_sent`); the default does nothing.
    fn resume(&mut self, events_sent: u64) {
        let _ = events_sent;
    }
}

/// What a stream encoder needs that the upstream stream may lack. Ids and clocks are inputs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StreamMeta<'a> {
    /// Response id to use when the upstream gives none.
    pub id: Str<'a>,
    /// Creation time (Unix seconds) to use when the upstream gives none.
    pub created: u64,
    /// Model to report when the upstream gives none.
    pub model: Str<'a>,
    /// OpenAI Chat: whether the client asked for `stream_options.include_usage` (the final
    /// usage chunk is only sent then).
    pub include_usage: bool,
}
