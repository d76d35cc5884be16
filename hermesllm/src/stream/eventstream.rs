//! AWS eventstream framing (`application/vnd.amazon.eventstream`, Bedrock ConverseStream),
//! incremental.
//!
//! Each message is `total length (u32) | headers length (u32) | prelude CRC | headers |
//! payload | message CRC`. [`EventStreamFramer`] only reads the total length from the prelude,
//! to know when a whole message has arrived and to refuse oversized ones before buffering
//! them; parsing and both CRC checks are done by `aws-smithy-eventstream`'s
//! [`read_message_from`], given the whole message as one contiguous slice (its streaming
//! `MessageFrameDecoder` would re-chain the prelude to the rest and read through the chain).

use aws_smithy_eventstream::frame::read_message_from;
use aws_smithy_types::event_stream::{HeaderValue, Message};

use super::Frame;

/// The default limit on one message's total length (4 MiB; Bedrock's messages are a few
/// hundred bytes).
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 4 * 1024 * 1024;

/// Prelude (total length, headers length, prelude CRC) plus the message CRC: the smallest
/// possible message.
const MIN_MESSAGE_SIZE: usize = 16;

/// Buffers whose capacity grows past this while holding less than a quarter of it are shrunk.
const SHRINK_ABOVE: usize = 256 * 1024;

/// A framing error. The framer stops after it (later pulls return `None`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventStreamError {
    /// The prelude announces a message longer than the limit.
    #[error("eventstream message of {len} bytes exceeds the limit of {max}")]
    MessageTooLarge {
        /// Announced length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The prelude announces a length shorter than any message.
    #[error("eventstream message length {0} is invalid")]
    InvalidLength(usize),
    /// The message is malformed: CRC mismatch, bad headers (as reported by
    /// `aws-smithy-eventstream`).
    #[error("malformed eventstream message: {0}")]
    Malformed(String),
}

/// One eventstream message, borrowed from the framer.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct EventStreamMessage<'a> {
    /// `:message-type`: `event`, `exception` or `error` (empty when absent).
    pub message_type: &'a str,
    /// `:event-type` for events, `:exception-type` for exceptions, `:error-code` for errors
    /// (empty when absent).
    pub event_type: &'a str,
    /// The payload (JSON for Bedrock).
    pub payload: &'a [u8],
    /// The exact bytes of the message as received.
    pub raw: &'a [u8],
    /// The decoded message, for other headers (`:error-message`, `:content-type`).
    pub message: &'a Message,
}

impl<'a> EventStreamMessage<'a> {
    /// The message as a [`Frame`] for an API's stream decoder.
    pub fn frame(&self) -> Frame<'a> {
        Frame::EventStream {
            message_type: self.message_type,
            event_type: self.event_type,
            payload: self.payload,
        }
    }

    /// The value of a string header, if present and a string.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        header(self.message, name)
    }
}

fn header<'m>(message: &'m Message, name: &str) -> Option<&'m str> {
    message
        .headers()
        .iter()
        .find(|h| h.name().as_str() == name)
        .and_then(|h| match h.value() {
            HeaderValue::String(s) => Some(s.as_str()),
            _ => None,
        })
}

/// Incremental eventstream framer: [`push`](EventStreamFramer::push) bytes, then pull
/// messages with [`next_message`](EventStreamFramer::next_message) until it returns `None`.
///
/// Messages borrow from the framer, so each must be dropped before the next pull or push.
#[derive(Debug)]
pub struct EventStreamFramer {
    /// Received bytes; `start` is the first byte of the message in progress.
    buf: Vec<u8>,
    start: usize,
    /// The last message decoded, which the yielded [`EventStreamMessage`] borrows.
    message: Option<Message>,
    /// Where the last message's bytes were in `buf`.
    raw: (usize, usize),
    max_message_size: usize,
    failed: bool,
}

impl Default for EventStreamFramer {
    fn default() -> Self {
        EventStreamFramer::new()
    }
}

impl EventStreamFramer {
    /// A framer with the default limit ([`DEFAULT_MAX_MESSAGE_SIZE`]).
    pub fn new() -> Self {
        EventStreamFramer::with_max_message_size(DEFAULT_MAX_MESSAGE_SIZE)
    }

    /// A framer that fails on messages longer than `max` bytes.
    pub fn with_max_message_size(max: usize) -> Self {
        EventStreamFramer {
            buf: Vec::new(),
            start: 0,
            message: None,
            raw: (0, 0),
            max_message_size: max,
            failed: false,
        }
    }

    /// Appends received bytes. Pull until `None` after each push so the buffer holds only the
    /// message in progress. Ignored after an error.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.failed {
            return;
        }
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        if self.buf.capacity() > SHRINK_ABOVE && self.buf.len() < SHRINK_ABOVE / 4 {
            self.buf.shrink_to(SHRINK_ABOVE / 4);
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete message.
    ///
    /// # Errors
    /// [`EventStreamError`]: oversized or malformed message (CRC mismatch included); the
    /// framer yields nothing after an error.
    pub fn next_message(&mut self) -> Option<Result<EventStreamMessage<'_>, EventStreamError>> {
        if self.failed {
            return None;
        }
        let rest = self.buf.get(self.start..).unwrap_or_default();
        let prelude: [u8; 4] = rest.get(..4)?.try_into().ok()?;
        let len = u32::from_be_bytes(prelude) as usize;
        if len > self.max_message_size {
            return Some(Err(self.fail(EventStreamError::MessageTooLarge {
                len,
                max: self.max_message_size,
            })));
        }
        if len < MIN_MESSAGE_SIZE {
            return Some(Err(self.fail(EventStreamError::InvalidLength(len))));
        }
        let bytes = rest.get(..len)?;
        let message = match read_message_from(bytes) {
            Ok(m) => m,
            Err(e) => {
                return Some(Err(self.fail(EventStreamError::Malformed(e.to_string()))));
            }
        };
        self.raw = (self.start, self.start + len);
        self.start += len;
        let message: &Message = self.message.insert(message);
        let message_type = header(message, ":message-type").unwrap_or_default();
        let type_header = match message_type {
            "exception" => ":exception-type",
            "error" => ":error-code",
            _ => ":event-type",
        };
        Some(Ok(EventStreamMessage {
            message_type,
            event_type: header(message, type_header).unwrap_or_default(),
            payload: message.payload().as_ref(),
            raw: self.buf.get(self.raw.0..self.raw.1).unwrap_or_default(),
            message,
        }))
    }

    /// Bytes received but not part of a complete message (at the end of the body: a
    /// truncated message).
    pub fn pending(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or_default()
    }

    /// Bytes of memory the framer's buffer holds, for memory-bound checks.
    pub fn buffer_capacity(&self) -> usize {
        self.buf.capacity()
    }

    fn fail(&mut self, e: EventStreamError) -> EventStreamError {
        self.failed = true;
        self.buf = Vec::new();
        self.start = 0;
        e
    }
}
