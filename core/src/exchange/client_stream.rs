//! The client side of a stream: the transcoder, plus what the exchange adds to its bytes —
//! the Responses capture, `previous_response_id` written back, and Gemini's JSON-array
//! framing for clients that did not ask for `?alt=sse`.

use hermesllm::ir::ApiError;
use hermesllm::stream::{SseFramer, Transcoder};

use crate::state::ResponseCapture;

/// One streamed response on its way to the client.
#[derive(Debug)]
pub(super) struct StreamState {
    pub(super) transcoder: Transcoder<'static>,
    /// Watches client-bound Responses bytes for the turn to save.
    pub(super) capture: Option<ResponseCapture>,
    /// The continued response's id as a JSON string, to write back into the events.
    pub(super) previous_response_id: Option<String>,
    /// Gemini without `?alt=sse`: the events as one JSON array.
    pub(super) array: Option<JsonArray>,
    /// With output filters: the transcoder's events, held until the filters ran on them.
    pub(super) events: Option<super::events::Events>,
}

impl StreamState {
    /// Transcodes an upstream chunk, appending client bytes to `out` (or queueing them for
    /// the output filters).
    pub(super) fn push(&mut self, chunk: &[u8], now_ms: u64, out: &mut Vec<u8>) {
        let mut bytes = Vec::new();
        self.transcoder.push(chunk, now_ms, &mut bytes);
        self.route(&bytes, out);
    }

    /// Ends the client stream after the upstream body ended (with output filters: queues
    /// its last events; [`StreamState::close`] follows once they are released).
    pub(super) fn finish(&mut self, now_ms: u64, out: &mut Vec<u8>) {
        let mut bytes = Vec::new();
        self.transcoder.finish(now_ms, &mut bytes);
        self.route(&bytes, out);
        match self.events.as_mut() {
            Some(e) => e.finish(),
            None => self.close(out),
        }
    }

    /// Ends the client stream with `error` (the upstream or a filter failed mid-stream),
    /// written by the transcoder's own encoder (past the output filters), then closes the
    /// array framing if any.
    pub(super) fn fail(&mut self, error: ApiError<'_>, now_ms: u64, out: &mut Vec<u8>) {
        let mut bytes = Vec::new();
        match self.events.as_mut() {
            // The output filters may hold the stream's end, already written: refused now,
            // the client gets the error event after the events it did get.
            Some(e) => {
                e.clear();
                let sent = e.released;
                self.transcoder
                    .fail_withheld(error, sent, now_ms, &mut bytes);
            }
            None => self.transcoder.fail(error, now_ms, &mut bytes),
        }
        match self.array.as_mut() {
            Some(a) => a.push(&bytes, out),
            None => out.extend_from_slice(&bytes),
        }
        self.close(out);
    }

    /// Closes the array framing if any.
    pub(super) fn close(&mut self, out: &mut Vec<u8>) {
        if let Some(a) = self.array.as_mut() {
            a.finish(out);
        }
    }

    /// Transcoder output: to the output filters' queue, or on to the client.
    fn route(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        match self.events.as_mut() {
            Some(e) => e.push(bytes),
            None => self.emit(bytes, out),
        }
    }

    /// Client events on their way out: the array framing, or `previous_response_id`
    /// written back.
    pub(super) fn emit(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        match self.array.as_mut() {
            Some(a) => a.push(bytes, out),
            None => {
                let start = out.len();
                out.extend_from_slice(bytes);
                if let Some(prev) = &self.previous_response_id {
                    super::writeback::insert_previous_response_id(out, start, prev);
                }
            }
        }
    }
}

/// Reframes SSE events as the JSON array Gemini streams without `?alt=sse`:
/// `[{…}` then `,\r\n{…}` per event, then `]`. Holds only the event in progress.
#[derive(Debug)]
pub(super) struct JsonArray {
    framer: SseFramer,
    started: bool,
    closed: bool,
}

impl JsonArray {
    pub(super) fn new() -> Self {
        JsonArray {
            framer: SseFramer::new(),
            started: false,
            closed: false,
        }
    }

    fn push(&mut self, sse: &[u8], out: &mut Vec<u8>) {
        if self.closed {
            return;
        }
        self.framer.push(sse);
        self.drain(out);
    }

    fn drain(&mut self, out: &mut Vec<u8>) {
        while let Some(ev) = self.framer.next_event() {
            // The encoder's own output always frames; a failure here would be a bug there.
            let Ok(ev) = ev else { continue };
            if ev.data.is_empty() {
                continue;
            }
            out.extend_from_slice(if self.started { b",\r\n" } else { b"[" });
            out.extend_from_slice(ev.data.as_bytes());
            self.started = true;
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        if self.closed {
            return;
        }
        self.framer.finish();
        self.drain(out);
        if !self.started {
            out.push(b'[');
        }
        out.push(b']');
        self.closed = true;
    }
}

#[cfg(test)]
mod tests {
    use super::JsonArray;

    #[test]
    fn sse_events_become_one_array_in_any_chunking() {
        let sse = b"data: {\"a\":1}\n\ndata: {\"b\":2}\n\n: comment\n\ndata: {\"c\":3}\n\n";
        for size in [1, 3, sse.len()] {
            let mut a = JsonArray::new();
            let mut out = Vec::new();
            for c in sse.chunks(size) {
                a.push(c, &mut out);
            }
            a.finish(&mut out);
            a.finish(&mut out);
            assert_eq!(out, b"[{\"a\":1},\r\n{\"b\":2},\r\n{\"c\":3}]".to_vec());
        }
        let mut empty = Vec::new();
        JsonArray::new().finish(&mut empty);
        assert_eq!(empty, b"[]".to_vec());
    }
}
