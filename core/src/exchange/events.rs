//! A client stream cut into complete events for the output filters: the transcoder's client
//! bytes are framed (SSE, or AWS eventstream for Bedrock clients) and queued; each event
//! with a JSON payload waits for the filters, everything else (`data: [DONE]`, comments,
//! non-JSON payloads) passes as it came. Events leave in order: one waiting for the filters
//! holds back those after it.

use std::collections::VecDeque;

use aws_smithy_types::event_stream::Message;
use hermesllm::stream::{EventStreamFramer, SseFramer, write_event};

/// The framer for the client's stream format.
#[derive(Debug)]
enum Framer {
    Sse(SseFramer),
    EventStream(EventStreamFramer),
}

/// One complete client event.
#[derive(Debug)]
enum Event {
    /// Not for the filters: released as it came.
    Raw(Vec<u8>),
    /// A JSON payload for the filters.
    Json {
        /// The event as it came (released when no filter replaced the payload).
        raw: Vec<u8>,
        /// The SSE `event` name (empty when none).
        name: String,
        /// The payload, as the filters left it.
        data: Vec<u8>,
        /// A filter replaced `data`.
        replaced: bool,
    },
}

/// The events of a client stream on their way through the output filters.
#[derive(Debug)]
pub(super) struct Events {
    framer: Framer,
    queue: VecDeque<Event>,
    /// The client stream's end has been queued: it closes once the queue is empty.
    pub(super) ending: bool,
    /// The framer refused an event (over its 4 MiB): the stream cannot go on filtered.
    pub(super) broken: bool,
    /// Events released to the client so far (an error event ending the stream continues
    /// their numbering).
    pub(super) released: u64,
}

impl Events {
    /// Events of an SSE stream (`eventstream == false`) or an AWS eventstream.
    pub(super) fn new(eventstream: bool) -> Self {
        Events {
            framer: if eventstream {
                Framer::EventStream(EventStreamFramer::new())
            } else {
                Framer::Sse(SseFramer::new())
            },
            queue: VecDeque::new(),
            ending: false,
            broken: false,
            released: 0,
        }
    }

    /// Frames client bytes and queues the complete events.
    pub(super) fn push(&mut self, bytes: &[u8]) {
        match &mut self.framer {
            Framer::Sse(f) => {
                f.push(bytes);
                self.broken |= Self::drain_sse(f, &mut self.queue);
            }
            Framer::EventStream(f) => {
                f.push(bytes);
                while let Some(m) = f.next_message() {
                    // The encoder's own frames always decode: an error is a message over the
                    // framer's 4 MiB, after which the framer yields nothing.
                    let Ok(m) = m else {
                        self.broken = true;
                        break;
                    };
                    let json = m.message_type == "event"
                        && serde_json::from_slice::<serde_json::Value>(m.payload)
                            .is_ok_and(|v| v.is_object());
                    self.queue.push_back(if json {
                        Event::Json {
                            raw: m.raw.to_vec(),
                            name: String::new(),
                            data: m.payload.to_vec(),
                            replaced: false,
                        }
                    } else {
                        Event::Raw(m.raw.to_vec())
                    });
                }
            }
        }
    }

    /// Queues the complete blocks; `true` when the framer refused one (over 4 MiB; it yields
    /// nothing after that).
    fn drain_sse(f: &mut SseFramer, queue: &mut VecDeque<Event>) -> bool {
        while let Some(ev) = f.next_block() {
            let Ok(ev) = ev else { return true };
            let json = ev.dispatched
                && serde_json::from_str::<serde_json::Value>(ev.data).is_ok_and(|v| v.is_object());
            queue.push_back(if json {
                Event::Json {
                    raw: ev.raw.to_vec(),
                    name: ev.event.to_owned(),
                    data: ev.data.as_bytes().to_vec(),
                    replaced: false,
                }
            } else {
                Event::Raw(ev.raw.to_vec())
            });
        }
        false
    }

    /// The client stream's bytes are all pushed: queues a trailing event left unterminated.
    pub(super) fn finish(&mut self) {
        if let Framer::Sse(f) = &mut self.framer {
            f.finish();
            self.broken |= Self::drain_sse(f, &mut self.queue);
        }
        self.ending = true;
    }

    /// Moves the events at the front that need no filter to `out`; returns the payload of
    /// the first one that does, if any.
    pub(super) fn front(&mut self, out: &mut Vec<u8>) -> Option<&[u8]> {
        while let Some(Event::Raw(_)) = self.queue.front() {
            if let Some(Event::Raw(raw)) = self.queue.pop_front() {
                out.extend_from_slice(&raw);
            }
        }
        match self.queue.front() {
            Some(Event::Json { data, .. }) => Some(data),
            _ => None,
        }
    }

    /// The payload of the first event when it waits for the filters.
    pub(super) fn peek(&self) -> Option<&[u8]> {
        match self.queue.front() {
            Some(Event::Json { data, .. }) => Some(data),
            _ => None,
        }
    }

    /// The payload of the first event, as a filter rewrote it.
    pub(super) fn replace_front(&mut self, payload: Vec<u8>) {
        if let Some(Event::Json { data, replaced, .. }) = self.queue.front_mut() {
            *data = payload;
            *replaced = true;
        }
    }

    /// Every filter ran on the first event: moves it to `out` (re-encoded when rewritten).
    pub(super) fn release_front(&mut self, out: &mut Vec<u8>) {
        let Some(ev) = self.queue.pop_front() else {
            return;
        };
        self.released += 1;
        match ev {
            Event::Raw(raw)
            | Event::Json {
                raw,
                replaced: false,
                ..
            } => out.extend_from_slice(&raw),
            Event::Json {
                raw, name, data, ..
            } => match &self.framer {
                Framer::Sse(_) => {
                    write_event(out, Some(name.as_str()).filter(|n| !n.is_empty()), &data)
                }
                Framer::EventStream(_) => write_message(out, &raw, data),
            },
        }
    }

    /// Whether no event is waiting.
    pub(super) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Drops the waiting events (the stream ends with an error instead).
    pub(super) fn clear(&mut self) {
        self.queue.clear();
    }
}

/// Writes the eventstream message `raw` again with `payload` (same headers).
fn write_message(out: &mut Vec<u8>, raw: &[u8], payload: Vec<u8>) {
    let mut framer = EventStreamFramer::new();
    framer.push(raw);
    let Some(Ok(m)) = framer.next_message() else {
        return;
    };
    let message = Message::new_from_parts(m.message.headers().to_vec(), payload);
    // Writing to a Vec cannot run out of space; only an oversized frame (over 16 MB) fails,
    // and then nothing is appended.
    let _ = aws_smithy_eventstream::frame::write_message_to(&message, out);
}

#[cfg(test)]
mod tests {
    use super::Events;

    #[test]
    fn sse_events_wait_for_filters_in_order_in_any_chunking() {
        let sse = b": hi\n\nevent: delta\ndata: {\"a\":1}\n\ndata: {\"b\":2}\n\ndata: [DONE]\n\n";
        for size in [1, 5, sse.len()] {
            let mut e = Events::new(false);
            for c in sse.chunks(size) {
                e.push(c);
            }
            e.finish();
            let mut out = Vec::new();
            assert_eq!(e.front(&mut out), Some(&b"{\"a\":1}"[..]));
            assert_eq!(out, b": hi\n\n".to_vec(), "the comment went ahead");
            e.replace_front(b"{\"a\":9}".to_vec());
            e.release_front(&mut out);
            assert_eq!(e.front(&mut out), Some(&b"{\"b\":2}"[..]));
            e.release_front(&mut out);
            assert_eq!(e.front(&mut out), None);
            assert!(e.is_empty());
            assert_eq!(
                String::from_utf8(out).unwrap(),
                ": hi\n\nevent: delta\ndata: {\"a\":9}\n\ndata: {\"b\":2}\n\ndata: [DONE]\n\n"
            );
        }
    }

    #[test]
    fn an_event_too_large_to_frame_breaks_the_queue() {
        let mut e = Events::new(false);
        e.push(b"data: {\"a\":1}\n\n");
        assert!(!e.broken);
        let big = format!("data: {{\"t\":\"{}\"}}\n\n", "x".repeat(5 << 20));
        e.push(big.as_bytes());
        assert!(e.broken);
        let mut out = Vec::new();
        assert_eq!(
            e.front(&mut out),
            Some(&b"{\"a\":1}"[..]),
            "what came before stays"
        );
    }
}
