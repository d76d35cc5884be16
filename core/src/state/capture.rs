//! [`ResponseCapture`]: takes the final response object out of a client-bound Responses
//! stream, so a streamed turn can be saved like a non-streaming one.

use hermesllm::stream::{SseError, SseFramer};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::error::CaptureError;

/// Default limit on one event (16 MiB). The terminal event carries the whole response, so
/// set it at least to the store's value limit with
/// [`with_max_event_size`](ResponseCapture::with_max_event_size).
pub const DEFAULT_MAX_EVENT_SIZE: usize = 16 * 1024 * 1024;

/// How the stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Terminal {
    /// `response.completed`.
    Completed,
    /// `response.incomplete` (e.g. `max_output_tokens` reached): stored too, since OpenAI
    /// lets a conversation continue from it.
    Incomplete,
}

/// The final response object of a stream.
#[derive(Debug, Clone)]
pub struct Captured {
    /// Which terminal event carried it.
    pub terminal: Terminal,
    /// The event's `response` object, as sent to the client: pass its text to
    /// [`save`](super::save).
    pub response: Box<RawValue>,
}

impl PartialEq for Captured {
    /// Equal when the terminal events and the response texts are equal.
    fn eq(&self, other: &Self) -> bool {
        self.terminal == other.terminal && self.response.get() == other.response.get()
    }
}

#[derive(Debug)]
enum State {
    Watching,
    Done(Result<Captured, CaptureError>),
}

/// Watches the Responses SSE bytes the gateway sends to the client and keeps the `response`
/// of the terminal event (`response.completed` or `response.incomplete`).
///
/// Call contract: [`push`](Self::push) every client-bound chunk, in order, in any chunking.
/// As soon as [`captured`](Self::captured) returns `Some` (or at the end of the stream) call
/// [`finish`](Self::finish) and [`save`](super::save) the turn — ideally before forwarding
/// the chunk that completed the capture, so a follow-up request finds the state.
///
/// The terminal event's `response.output` is taken as the turn's output (OpenAI and
/// hermesllm's Responses stream encoder both fill it); the `output_item.done` events are
/// not reassembled.
///
/// Memory: the framer holds only the event in progress (at most the limit); other events are
/// dropped once seen, and only the terminal event's `response` is kept. Bytes after the
/// terminal event are not buffered. The result does not depend on how the stream was split.
#[derive(Debug)]
pub struct ResponseCapture {
    framer: SseFramer,
    max: usize,
    state: State,
}

impl Default for ResponseCapture {
    fn default() -> Self {
        ResponseCapture::new()
    }
}

impl ResponseCapture {
    /// A capture with [`DEFAULT_MAX_EVENT_SIZE`].
    pub fn new() -> Self {
        ResponseCapture::with_max_event_size(DEFAULT_MAX_EVENT_SIZE)
    }

    /// A capture failing on events larger than `max` bytes.
    pub fn with_max_event_size(max: usize) -> Self {
        ResponseCapture {
            framer: SseFramer::with_max_event_size(max),
            max,
            state: State::Watching,
        }
    }

    /// Feeds client-bound bytes. Ignored once the outcome is known.
    pub fn push(&mut self, bytes: &[u8]) {
        if let State::Watching = self.state {
            self.framer.push(bytes);
            self.drain();
        }
    }

    /// The captured response, once the terminal event has been seen.
    pub fn captured(&self) -> Option<&Captured> {
        match &self.state {
            State::Done(Ok(c)) => Some(c),
            _ => None,
        }
    }

    /// Whether the outcome is known (captured, or failed).
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done(_))
    }

    /// The outcome: call once the capture is done or the stream has ended.
    ///
    /// # Errors
    /// [`CaptureError::Failed`] (`response.failed` or `error`), [`CaptureError::Truncated`]
    /// (the stream ended first), [`CaptureError::EventTooLarge`], [`CaptureError::Malformed`].
    pub fn finish(mut self) -> Result<Captured, CaptureError> {
        if let State::Watching = self.state {
            self.framer.finish();
            self.drain();
        }
        match self.state {
            State::Done(outcome) => outcome,
            State::Watching => Err(CaptureError::Truncated),
        }
    }

    /// Bytes of memory held (framer buffers and the captured response).
    pub fn buffer_capacity(&self) -> usize {
        let held = match &self.state {
            State::Done(Ok(c)) => c.response.get().len(),
            _ => 0,
        };
        self.framer.buffer_capacity() + held
    }

    fn drain(&mut self) {
        while let State::Watching = self.state {
            let outcome = match self.framer.next_event() {
                None => return,
                Some(Err(SseError::EventTooLarge { .. })) => {
                    Some(Err(CaptureError::EventTooLarge { max: self.max }))
                }
                Some(Err(_)) => Some(Err(CaptureError::Malformed("framing error".to_owned()))),
                Some(Ok(ev)) => classify(ev.event, ev.data),
            };
            if let Some(outcome) = outcome {
                self.state = State::Done(outcome);
                // Nothing more is read: release the framer's buffer.
                self.framer = SseFramer::with_max_event_size(0);
            }
        }
    }
}

#[derive(Deserialize)]
struct TypeOnly<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<std::borrow::Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Terminal_<'a> {
    #[serde(borrow, default)]
    response: Option<&'a RawValue>,
}

/// The outcome an event decides, if any. The `event:` field names the type when present, so
/// most events are skipped without reading their data.
fn classify(event: &str, data: &str) -> Option<Result<Captured, CaptureError>> {
    let owned;
    let kind = if event.is_empty() {
        owned = serde_json::from_str::<TypeOnly<'_>>(data)
            .ok()
            .and_then(|t| t.kind)?;
        owned.as_ref()
    } else {
        event
    };
    let terminal = match kind {
        "response.completed" => Terminal::Completed,
        "response.incomplete" => Terminal::Incomplete,
        "response.failed" | "error" => return Some(Err(CaptureError::Failed(kind.to_owned()))),
        _ => return None,
    };
    let response = match serde_json::from_str::<Terminal_<'_>>(data) {
        Ok(Terminal_ {
            response: Some(r), ..
        }) if r.get().starts_with('{') => Ok(Captured {
            terminal,
            response: r.to_owned(),
        }),
        Ok(_) => Err(CaptureError::Malformed(format!(
            "`{kind}` has no `response` object"
        ))),
        Err(e) => Err(CaptureError::Malformed(format!("`{kind}`: {e}"))),
    };
    Some(response)
}
