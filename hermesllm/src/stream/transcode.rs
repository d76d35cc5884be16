//! [`Transcoder`]: upstream stream bytes in, client stream bytes out, incrementally.

use std::fmt;

use super::eventstream::{EventStreamFramer, EventStreamMessage};
use super::sniff::{Sniffer, Verdict};
use super::sse::{SseEvent, SseFramer};
use super::{Frame, StreamDecode, StreamEncode, StreamMeta, StreamSummary};
use crate::Api;
use crate::Str;
use crate::ir::{ApiError, ErrorKind, StreamEvent};
use crate::translate::{stream_decoder, stream_encoder};

/// Transcodes one streamed response from the upstream API `from` to the client API `to`.
///
/// Different APIs: upstream bytes are framed (SSE or AWS eventstream), decoded by `from`'s
/// [`StreamDecode`] into internal events, and written by `to`'s [`StreamEncode`].
///
/// Same API (passthrough): each event's original bytes are forwarded without re-serialising,
/// comments and keep-alives included. The only edit: for OpenAI Chat, when the client did not
/// ask for usage (`meta.include_usage == false`), the usage-only chunk (`"choices": []`) that
/// the gateway requested for itself is dropped. A stream cut short (no terminal event) loses
/// its partial trailing event and ends with the client API's error event, as a translated
/// stream does. Events are scanned, not parsed, for the
/// [`StreamSummary`]; only those carrying usage or the stop reason are parsed.
///
/// # Call contract
///
/// - Call [`push`](Transcoder::push) with each chunk of the upstream body as it arrives, in
///   any chunking; it appends whatever client bytes are ready to `out` (possibly none). The
///   output does not depend on how the input was split.
/// - Call [`finish`](Transcoder::finish) once when the upstream body ends; it appends the
///   stream's closing bytes. A stream cut short (no terminal event) ends with the client
///   API's error event; passthrough then drops a partial trailing event first, and forwards
///   a complete stream's bytes unchanged.
/// - After an error (an upstream error event, a malformed or oversized frame, an event whose
///   data is not JSON) the encoder has written the error event and nothing more is written:
///   later calls append nothing.
/// - When the upstream connection fails mid-stream, call [`fail`](Transcoder::fail): the
///   client stream ends with the error event written by the same encoder (an OpenAI
///   Responses client sees one response, not a second `response.created`).
/// - `now_ms` is the caller's clock, used only for the summary's times.
///
/// Memory is bounded by the framers' limits (an event larger than 4 MiB is an error) plus the
/// encoders' small per-block state.
pub struct Transcoder<'m> {
    from: Api,
    to: Api,
    framer: Framer,
    path: Path<'m>,
    summary: StreamSummary,
    ended: bool,
    /// The id the client sees instead of the upstream's.
    own_id: Option<String>,
}

enum Framer {
    Sse(SseFramer),
    EventStream(EventStreamFramer),
}

enum Path<'m> {
    Translate {
        decoder: Box<dyn StreamDecode>,
        encoder: Box<dyn StreamEncode + 'm>,
    },
    Passthrough {
        sniffer: Sniffer,
        /// Kept to build an encoder for the error event should the framing fail.
        meta: Option<StreamMeta<'m>>,
    },
}

impl fmt::Debug for Transcoder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transcoder")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("passthrough", &self.is_passthrough())
            .field("summary", &self.summary)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl<'m> Transcoder<'m> {
    /// A transcoder from the upstream API `from` to the client API `to`. `meta` supplies what
    /// the client stream needs and the upstream may lack (id, creation time, model) and
    /// whether an OpenAI Chat client asked for the usage chunk.
    pub fn new(from: Api, to: Api, meta: StreamMeta<'m>) -> Self {
        let framer = if from.streams_sse() {
            Framer::Sse(SseFramer::new())
        } else {
            Framer::EventStream(EventStreamFramer::new())
        };
        let path = if from == to {
            Path::Passthrough {
                sniffer: Sniffer::new(from, meta.include_usage),
                meta: Some(meta),
            }
        } else {
            Path::Translate {
                decoder: stream_decoder(from),
                encoder: stream_encoder(to, meta),
            }
        };
        Transcoder {
            from,
            to,
            framer,
            path,
            summary: StreamSummary::default(),
            ended: false,
            own_id: None,
        }
    }

    /// The client stream (and the summary) carry `id`, never the upstream's id (translated
    /// streams only; a passthrough forwards the upstream's bytes). For a gateway that keeps
    /// the conversation state under an id of its own, unguessable by construction, rather
    /// than under whatever id an upstream chose.
    #[must_use]
    pub fn with_own_id(mut self, id: impl Into<String>) -> Self {
        self.own_id = Some(id.into());
        self
    }

    /// The upstream failed mid-stream (connection lost, idle timeout): ends the client
    /// stream with `error` as its error event, written by the stream's own encoder so the
    /// client sees one well-formed stream (a partial upstream event is dropped). Does nothing
    /// once the stream has ended.
    pub fn fail(&mut self, error: ApiError<'_>, now_ms: u64, out: &mut Vec<u8>) {
        if self.ended {
            return;
        }
        self.ended = true;
        end_with_error(
            self.to,
            &mut self.path,
            &mut self.summary,
            error,
            now_ms,
            out,
        );
    }

    /// A transcoder with given codecs instead of the APIs' own (always translates, even when
    /// `from == to`): for tests, and for callers that wrap a codec. `from` chooses the framer
    /// and `to` the content type.
    pub fn with_codecs(
        from: Api,
        to: Api,
        decoder: Box<dyn StreamDecode>,
        encoder: Box<dyn StreamEncode + 'm>,
    ) -> Self {
        let mut t = Transcoder::new(from, to, StreamMeta::default());
        t.path = Path::Translate { decoder, encoder };
        t
    }

    /// Sets the limit on one upstream event's size (SSE event or eventstream message; default
    /// 4 MiB). Call before the first [`push`](Transcoder::push); an event over the limit ends
    /// the stream with an error event.
    #[must_use]
    pub fn with_max_event_size(mut self, max: usize) -> Self {
        self.framer = if self.from.streams_sse() {
            Framer::Sse(SseFramer::with_max_event_size(max))
        } else {
            Framer::EventStream(EventStreamFramer::with_max_message_size(max))
        };
        self
    }

    /// Feeds a chunk of the upstream body, appending the client bytes now ready to `out`.
    pub fn push(&mut self, bytes: &[u8], now_ms: u64, out: &mut Vec<u8>) {
        if self.ended {
            return;
        }
        if self.summary.first_byte_ms.is_none() && !bytes.is_empty() {
            self.summary.first_byte_ms = Some(now_ms);
        }
        match &mut self.framer {
            Framer::Sse(f) => f.push(bytes),
            Framer::EventStream(f) => f.push(bytes),
        }
        self.pump(now_ms, out);
    }

    /// Ends the client stream with `error` in place of an end its caller withheld: like
    /// [`Transcoder::fail`], and also once the stream's own end was written, for a caller
    /// that holds the client bytes back and then refuses them (a gateway's output filters
    /// rejecting the last events). The caller drops what it held and says how many events
    /// the client did get (`events_sent`); this writes the error event only, continuing
    /// that stream (an OpenAI Responses `sequence_number` goes on from there).
    pub fn fail_withheld(
        &mut self,
        error: ApiError<'_>,
        events_sent: u64,
        now_ms: u64,
        out: &mut Vec<u8>,
    ) {
        if !self.ended {
            self.fail(error, now_ms, out);
            return;
        }
        // The stream's encoder has written its end and writes nothing more: a fresh one,
        // told how far the client's stream got, writes the error event.
        let mut encoder = stream_encoder(self.to, StreamMeta::default());
        encoder.resume(events_sent);
        let mut stopped = false;
        emit(
            &StreamEvent::Error(error),
            encoder.as_mut(),
            &mut self.summary,
            out,
            now_ms,
            &mut stopped,
        );
    }

    /// The upstream body ended: appends the end of the client stream to `out`.
    pub fn finish(&mut self, now_ms: u64, out: &mut Vec<u8>) {
        if self.ended {
            return;
        }
        if let Framer::Sse(f) = &mut self.framer {
            f.finish();
        }
        self.pump(now_ms, out);
        if self.ended {
            return;
        }
        self.ended = true;
        let Transcoder {
            to,
            framer,
            path,
            summary,
            own_id,
            ..
        } = self;
        match path {
            Path::Translate { decoder, encoder } => {
                let mut stopped = false;
                decoder.finish(&mut |e| {
                    let e = with_id(e, own_id.as_deref());
                    emit(&e, encoder.as_mut(), summary, out, now_ms, &mut stopped)
                });
            }
            Path::Passthrough { .. } => {
                if summary.completed {
                    // A complete stream stays byte-identical, trailing bytes included.
                    out.extend_from_slice(match framer {
                        Framer::Sse(f) => f.pending(),
                        Framer::EventStream(f) => f.pending(),
                    });
                } else if summary.error.is_none() {
                    // Cut short: a partial event would corrupt the client's parser, and the
                    // client must learn the stream failed; end it with the client API's
                    // error event, as a translated stream does.
                    let e =
                        upstream_error("upstream stream ended before its final event".to_owned());
                    end_with_error(*to, path, summary, e, now_ms, out);
                }
            }
        }
    }

    /// What the stream carried so far.
    pub fn summary(&self) -> &StreamSummary {
        &self.summary
    }

    /// The summary, consuming the transcoder.
    pub fn into_summary(self) -> StreamSummary {
        self.summary
    }

    /// Whether the client stream is complete (finished, or ended by an error): nothing more
    /// will be written.
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// Bytes of memory the framer holds, for memory-bound checks.
    pub fn buffer_capacity(&self) -> usize {
        match &self.framer {
            Framer::Sse(f) => f.buffer_capacity(),
            Framer::EventStream(f) => f.buffer_capacity(),
        }
    }

    /// Whether events are forwarded as received (`from == to`).
    pub fn is_passthrough(&self) -> bool {
        matches!(self.path, Path::Passthrough { .. })
    }

    /// The `Content-Type` of the client stream.
    pub fn content_type(&self) -> &'static str {
        if self.to.streams_sse() {
            "text/event-stream"
        } else {
            "application/vnd.amazon.eventstream"
        }
    }

    /// Moves every complete upstream frame through to `out`.
    fn pump(&mut self, now_ms: u64, out: &mut Vec<u8>) {
        let Transcoder {
            from,
            to,
            framer,
            path,
            summary,
            ended,
            own_id,
        } = self;
        while !*ended {
            let Some(item) = next_item(framer) else {
                return;
            };
            let mut failure = None;
            match (item, &mut *path) {
                (Item::Failed(message), _) => failure = Some(message),
                (Item::Sse(ev), Path::Passthrough { sniffer, .. }) => {
                    let verdict = if ev.dispatched {
                        summary.frames += 1;
                        sniffer.sse(ev.event, ev.data, now_ms, summary)
                    } else {
                        Verdict::Forward
                    };
                    match verdict {
                        Verdict::Forward => out.extend_from_slice(ev.raw),
                        Verdict::Drop => {}
                        Verdict::Malformed => failure = Some(NOT_JSON.to_owned()),
                    }
                }
                (Item::EventStream(m), Path::Passthrough { sniffer, .. }) => {
                    summary.frames += 1;
                    match sniffer.eventstream(&m, now_ms, summary) {
                        Verdict::Forward => out.extend_from_slice(m.raw),
                        Verdict::Drop => {}
                        Verdict::Malformed => failure = Some(NOT_JSON.to_owned()),
                    }
                }
                (Item::Sse(ev), Path::Translate { decoder, encoder }) => {
                    if ev.dispatched {
                        summary.frames += 1;
                        *ended = decode(
                            *from,
                            &ev.frame(),
                            decoder.as_mut(),
                            encoder.as_mut(),
                            summary,
                            out,
                            now_ms,
                            own_id.as_deref(),
                        );
                    }
                }
                (Item::EventStream(m), Path::Translate { decoder, encoder }) => {
                    summary.frames += 1;
                    *ended = decode(
                        *from,
                        &m.frame(),
                        decoder.as_mut(),
                        encoder.as_mut(),
                        summary,
                        out,
                        now_ms,
                        own_id.as_deref(),
                    );
                }
            }
            if let Some(message) = failure {
                let e = upstream_error(format!("malformed {from} stream from upstream: {message}"));
                end_with_error(*to, path, summary, e, now_ms, out);
                *ended = true;
            }
        }
    }
}

enum Item<'a> {
    Sse(SseEvent<'a>),
    EventStream(EventStreamMessage<'a>),
    Failed(String),
}

fn next_item(framer: &mut Framer) -> Option<Item<'_>> {
    Some(match framer {
        Framer::Sse(f) => match f.next_block()? {
            Ok(ev) => Item::Sse(ev),
            Err(e) => Item::Failed(e.to_string()),
        },
        Framer::EventStream(f) => match f.next_message()? {
            Ok(m) => Item::EventStream(m),
            Err(e) => Item::Failed(e.to_string()),
        },
    })
}

/// Why a passthrough event was refused.
const NOT_JSON: &str = "an event's data is not a JSON object";

/// Ends the client stream with `error`: through the translating encoder, or, in a
/// passthrough, an encoder told how far the forwarded stream got.
fn end_with_error(
    to: Api,
    path: &mut Path<'_>,
    summary: &mut StreamSummary,
    error: ApiError<'_>,
    now_ms: u64,
    out: &mut Vec<u8>,
) {
    let mut stopped = false;
    let event = StreamEvent::Error(error);
    match path {
        Path::Translate { encoder, .. } => {
            emit(&event, encoder.as_mut(), summary, out, now_ms, &mut stopped);
        }
        Path::Passthrough { meta, .. } => {
            let mut encoder = stream_encoder(to, meta.take().unwrap_or_default());
            if summary.frames > 0 {
                encoder.resume(summary.frames);
            }
            emit(&event, encoder.as_mut(), summary, out, now_ms, &mut stopped);
        }
    }
}

/// `event` with the gateway's own id, when it has one, in place of the upstream's.
fn with_id<'e>(event: StreamEvent<'e>, own_id: Option<&'e str>) -> StreamEvent<'e> {
    match (event, own_id) {
        (
            StreamEvent::Start {
                model,
                created,
                usage,
                ..
            },
            Some(id),
        ) => StreamEvent::Start {
            id: Str::borrowed(id),
            model,
            created,
            usage,
        },
        (e, _) => e,
    }
}

/// Decodes one frame and encodes the events it yields; a decode error becomes the stream's
/// error event. Returns whether the stream has ended.
#[allow(clippy::too_many_arguments)] // the transcoder's parts, borrowed apart
fn decode(
    from: Api,
    frame: &Frame<'_>,
    decoder: &mut dyn StreamDecode,
    encoder: &mut dyn StreamEncode,
    summary: &mut StreamSummary,
    out: &mut Vec<u8>,
    now_ms: u64,
    own_id: Option<&str>,
) -> bool {
    let mut stopped = false;
    let result = decoder.decode(frame, &mut |e| {
        let e = with_id(e, own_id);
        emit(&e, encoder, summary, out, now_ms, &mut stopped)
    });
    if let Err(err) = result
        && !stopped
    {
        let e = upstream_error(format!("malformed {from} stream from upstream: {err}"));
        emit(
            &StreamEvent::Error(e),
            encoder,
            summary,
            out,
            now_ms,
            &mut stopped,
        );
    }
    stopped
}

/// Encodes one event unless the stream has already ended; an error or the end of the stream
/// ends it.
fn emit(
    event: &StreamEvent<'_>,
    encoder: &mut dyn StreamEncode,
    summary: &mut StreamSummary,
    out: &mut Vec<u8>,
    now_ms: u64,
    stopped: &mut bool,
) {
    if *stopped {
        return;
    }
    summary.observe(event, now_ms);
    encoder.encode(event, out);
    if matches!(event, StreamEvent::Error(_) | StreamEvent::Done) {
        *stopped = true;
    }
}

/// An error the upstream caused mid-stream (502: the gateway got a bad answer).
fn upstream_error(message: String) -> ApiError<'static> {
    let mut e = ApiError::new(ErrorKind::Server, message);
    e.status = 502;
    e
}
