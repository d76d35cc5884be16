//! Server-Sent Events framing, incremental, after the WHATWG `text/event-stream` parsing rules.
//!
//! [`SseFramer`] takes bytes in any chunking and yields one [`SseEvent`] per block of lines
//! ended by a blank line. Fields follow the WHATWG rules
//! (<https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation>):
//!
//! - lines end with CRLF, LF or CR (a CR at the end of one chunk followed by an LF at the
//!   start of the next is one line ending);
//! - a leading UTF-8 byte order mark is skipped;
//! - lines starting with `:` are comments;
//! - `field: value` (one space after the colon is removed; a line without a colon is a field
//!   with an empty value); `event`, `data` (several lines joined with `\n`), `id` (ignored when
//!   it contains NUL) and `retry` (only ASCII digits) are understood, other fields ignored;
//! - a block is *dispatched* as an event only when it has at least one `data` field; an
//!   incomplete block at the end of the stream is discarded;
//! - invalid UTF-8 is replaced with U+FFFD.
//!
//! Blocks that WHATWG would not dispatch (comments, keep-alives, stray blank lines) are still
//! yielded by [`SseFramer::next_block`], with their raw bytes, so that a same-API passthrough
//! can forward every byte; [`SseFramer::next_event`] skips them.
//!
//! Memory is bounded: the framer keeps only the bytes of the block in progress (plus what the
//! caller pushed and has not pulled yet), and a block longer than the maximum event size
//! (default [`DEFAULT_MAX_EVENT_SIZE`]) is an error instead of unbounded growth.

use memchr::memchr2;

use super::Frame;

/// The default limit on the raw size of one event (4 MiB).
pub const DEFAULT_MAX_EVENT_SIZE: usize = 4 * 1024 * 1024;

/// Buffers whose capacity grows past this while holding less than a quarter of it are shrunk,
/// so one large event does not pin its memory for the rest of the stream.
const SHRINK_ABOVE: usize = 256 * 1024;

const BOM: &[u8; 3] = b"\xEF\xBB\xBF";

/// A framing error. The framer stops after it (later pulls return `None`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SseError {
    /// One event (its raw bytes up to and including the blank line) exceeds the limit.
    #[error("server-sent event larger than {max} bytes")]
    EventTooLarge {
        /// The limit.
        max: usize,
    },
}

/// One block of an event stream: the fields of an event, borrowed from the framer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SseEvent<'a> {
    /// The `event` field (the last one in the block), empty when absent. WHATWG consumers
    /// treat an empty type as `message`.
    pub event: &'a str,
    /// The `data` fields joined with `\n` (empty when none).
    pub data: &'a str,
    /// The `id` field of this block, if any (see [`SseFramer::last_event_id`] for the
    /// stream's last event id, which persists across events).
    pub id: Option<&'a str>,
    /// The `retry` field of this block, if valid.
    pub retry: Option<u64>,
    /// Whether WHATWG dispatches this block as an event (it has a `data` field). Blocks of
    /// only comments or unknown fields, and lone blank lines, are not dispatched.
    pub dispatched: bool,
    /// The exact bytes of the block as received, from its first line to the end of the blank
    /// line that closed it (a leading byte order mark excluded). Concatenating the `raw` of
    /// every block gives back the stream.
    pub raw: &'a [u8],
}

impl<'a> SseEvent<'a> {
    /// The event as a [`Frame`] for an API's stream decoder.
    pub fn frame(&self) -> Frame<'a> {
        Frame::Sse {
            event: self.event,
            data: self.data,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bom {
    /// The stream start has not been seen whole yet.
    Pending,
    /// Checked (and skipped when present).
    Done,
}

/// Incremental SSE framer: [`push`](SseFramer::push) bytes, then pull blocks with
/// [`next_block`](SseFramer::next_block) / [`next_event`](SseFramer::next_event) until they
/// return `None`; at the end of the body call [`finish`](SseFramer::finish) and pull again.
///
/// The events borrow from the framer, so each must be dropped before the next pull or push.
#[derive(Debug)]
pub struct SseFramer {
    /// Received bytes not yet yielded, from `block_start`.
    buf: Vec<u8>,
    /// Start of the block in progress.
    block_start: usize,
    /// Start of the first line of the block in progress not yet known to be complete.
    line_start: usize,
    /// Where to resume looking for a line ending (at or after `line_start`).
    scan: usize,
    bom: Bom,
    eof: bool,
    failed: bool,
    max_event_size: usize,
    /// Data of a block with several `data` lines, joined.
    joined: String,
    /// A block with invalid UTF-8, decoded with replacement characters.
    lossy: String,
    last_event_id: String,
    retry: Option<u64>,
}

impl Default for SseFramer {
    fn default() -> Self {
        SseFramer::new()
    }
}

impl SseFramer {
    /// A framer with the default maximum event size ([`DEFAULT_MAX_EVENT_SIZE`]).
    pub fn new() -> Self {
        SseFramer::with_max_event_size(DEFAULT_MAX_EVENT_SIZE)
    }

    /// A framer that fails on events whose raw size exceeds `max` bytes.
    pub fn with_max_event_size(max: usize) -> Self {
        SseFramer {
            buf: Vec::new(),
            block_start: 0,
            line_start: 0,
            scan: 0,
            bom: Bom::Pending,
            eof: false,
            failed: false,
            max_event_size: max,
            joined: String::new(),
            lossy: String::new(),
            last_event_id: String::new(),
            retry: None,
        }
    }

    /// Appends received bytes. Call [`next_block`](SseFramer::next_block) or
    /// [`next_event`](SseFramer::next_event) until `None` after each push, so the buffer holds
    /// only the block in progress. Ignored after [`finish`](SseFramer::finish) or an error.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.eof || self.failed {
            return;
        }
        self.compact();
        self.buf.extend_from_slice(bytes);
    }

    /// Marks the end of the body: a final line ended by a lone CR completes, an unfinished
    /// block is discarded (see [`pending`](SseFramer::pending)). Pull again after calling it.
    pub fn finish(&mut self) {
        self.eof = true;
    }

    /// The next event that WHATWG dispatches (a block with data), skipping other blocks.
    ///
    /// # Errors
    /// [`SseError::EventTooLarge`]; the framer yields nothing after an error.
    pub fn next_event(&mut self) -> Option<Result<SseEvent<'_>, SseError>> {
        loop {
            match self.find_block()? {
                Err(e) => return Some(Err(e)),
                Ok((start, end)) => {
                    if self.block_dispatches(start, end) {
                        return Some(Ok(self.parse(start, end)));
                    }
                }
            }
        }
    }

    /// The next complete block, dispatched or not (comments and blank lines too, so the raw
    /// bytes of the whole stream can be forwarded).
    ///
    /// # Errors
    /// [`SseError::EventTooLarge`]; the framer yields nothing after an error.
    pub fn next_block(&mut self) -> Option<Result<SseEvent<'_>, SseError>> {
        match self.find_block()? {
            Err(e) => Some(Err(e)),
            Ok((start, end)) => Some(Ok(self.parse(start, end))),
        }
    }

    /// Bytes received but not part of any yielded block: after [`finish`](SseFramer::finish)
    /// and a pull that returned `None`, the unterminated tail of the stream.
    pub fn pending(&self) -> &[u8] {
        self.buf.get(self.block_start..).unwrap_or_default()
    }

    /// The stream's last event id (the last valid `id` field seen, persisting across events),
    /// as WHATWG clients send it back in `Last-Event-ID`.
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// The last valid `retry` value seen (reconnection time in milliseconds).
    pub fn retry(&self) -> Option<u64> {
        self.retry
    }

    /// Bytes of memory the framer holds (capacity of its buffers), for memory-bound checks.
    pub fn buffer_capacity(&self) -> usize {
        self.buf.capacity()
            + self.joined.capacity()
            + self.lossy.capacity()
            + self.last_event_id.capacity()
    }

    /// Drops the bytes of blocks already yielded and releases memory left by a large event.
    fn compact(&mut self) {
        if self.block_start > 0 {
            self.buf.drain(..self.block_start);
            self.line_start = self.line_start.saturating_sub(self.block_start);
            self.scan = self.scan.saturating_sub(self.block_start);
            self.block_start = 0;
        }
        if self.buf.capacity() > SHRINK_ABOVE && self.buf.len() < SHRINK_ABOVE / 4 {
            self.buf.shrink_to(SHRINK_ABOVE / 4);
        }
        for s in [&mut self.joined, &mut self.lossy] {
            if s.capacity() > SHRINK_ABOVE {
                *s = String::new();
            }
        }
    }

    /// Skips a byte order mark at the start of the stream; `false` while undecidable.
    fn skip_bom(&mut self) -> bool {
        if self.bom == Bom::Done {
            return true;
        }
        let head = self.pending();
        let n = head.len().min(BOM.len());
        if head.get(..n) != BOM.get(..n) {
            self.bom = Bom::Done;
        } else if n == BOM.len() {
            self.block_start += n;
            self.line_start = self.block_start;
            self.bom = Bom::Done;
        } else if self.eof {
            self.bom = Bom::Done;
        } else {
            return false;
        }
        true
    }

    /// Finds the next complete block `[start, end)` of `buf` and marks it yielded.
    fn find_block(&mut self) -> Option<Result<(usize, usize), SseError>> {
        if self.failed || !self.skip_bom() {
            return None;
        }
        loop {
            // Bytes before `scan` in the current line are known to hold no line ending, so a
            // long line arriving in small chunks is scanned once, not once per chunk.
            let from = self.scan.max(self.line_start);
            let rest = self.buf.get(from..).unwrap_or_default();
            let found = memchr2(b'\n', b'\r', rest);
            // (end of the line's content, start of the next line), absolute.
            let line_end = match found {
                Some(i) if rest.get(i) == Some(&b'\n') => Some((from + i, from + i + 1)),
                Some(i) => match rest.get(i + 1) {
                    Some(b'\n') => Some((from + i, from + i + 2)),
                    Some(_) => Some((from + i, from + i + 1)),
                    // A CR as the last byte: wait for the next byte, which may be its LF, so
                    // the block's raw bytes do not depend on where the input was split.
                    None if self.eof => Some((from + i, from + i + 1)),
                    None => {
                        self.scan = from + i;
                        None
                    }
                },
                None => {
                    self.scan = self.buf.len();
                    None
                }
            };
            let Some((content_end, next_line)) = line_end else {
                if self.buf.len() - self.block_start > self.max_event_size {
                    return Some(Err(self.fail()));
                }
                return None;
            };
            let blank = content_end == self.line_start;
            self.line_start = next_line;
            if blank {
                let (start, end) = (self.block_start, next_line);
                self.block_start = end;
                if end - start > self.max_event_size {
                    return Some(Err(self.fail()));
                }
                return Some(Ok((start, end)));
            }
        }
    }

    fn fail(&mut self) -> SseError {
        self.failed = true;
        self.buf = Vec::new();
        self.block_start = 0;
        self.line_start = 0;
        self.scan = 0;
        SseError::EventTooLarge {
            max: self.max_event_size,
        }
    }

    /// Whether the block has a `data` field (so WHATWG dispatches it), checked on the bytes so
    /// a dispatched block is parsed only once. Other blocks are parsed here for their `id` and
    /// `retry` fields, which take effect even without dispatch.
    fn block_dispatches(&mut self, start: usize, end: usize) -> bool {
        let raw = self.buf.get(start..end).unwrap_or_default();
        let mut rest = raw;
        while !rest.is_empty() {
            let (line, next) = match memchr2(b'\n', b'\r', rest) {
                Some(i) => (
                    rest.get(..i).unwrap_or_default(),
                    rest.get(i + 1..).unwrap_or_default(),
                ),
                None => (rest, &[][..]),
            };
            if let Some(after) = line.strip_prefix(b"data")
                && matches!(after.first(), None | Some(b':'))
            {
                return true;
            }
            rest = next;
        }
        let _ = self.parse(start, end);
        false
    }

    /// Parses the fields of the complete block `[start, end)`.
    fn parse(&mut self, start: usize, end: usize) -> SseEvent<'_> {
        let raw = self.buf.get(start..end).unwrap_or_default();
        let text: &str = match std::str::from_utf8(raw) {
            Ok(s) => s,
            Err(_) => {
                self.lossy.clear();
                self.lossy.push_str(&String::from_utf8_lossy(raw));
                &self.lossy
            }
        };
        let fields = parse_fields(text, &mut self.joined);
        if let Some(id) = fields.id {
            self.last_event_id.clear();
            self.last_event_id.push_str(id);
        }
        if fields.retry.is_some() {
            self.retry = fields.retry;
        }
        SseEvent {
            event: fields.event,
            data: fields.data,
            id: fields.id,
            retry: fields.retry,
            dispatched: fields.dispatched,
            raw,
        }
    }
}

struct Fields<'a> {
    event: &'a str,
    data: &'a str,
    id: Option<&'a str>,
    retry: Option<u64>,
    dispatched: bool,
}

/// Applies the WHATWG field rules to the lines of one block. `joined` receives the data when
/// there are several `data` lines; a single one is borrowed from `text`.
fn parse_fields<'a>(text: &'a str, joined: &'a mut String) -> Fields<'a> {
    let mut event = "";
    let mut first_data: Option<&'a str> = None;
    let mut several = false;
    let mut id = None;
    let mut retry = None;
    let mut rest = text;
    while !rest.is_empty() {
        let bytes = rest.as_bytes();
        let (line, next) = match memchr2(b'\n', b'\r', bytes) {
            Some(i) => {
                let skip = if bytes.get(i) == Some(&b'\r') && bytes.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                (
                    rest.get(..i).unwrap_or_default(),
                    rest.get(i + skip..).unwrap_or_default(),
                )
            }
            None => (rest, ""),
        };
        rest = next;
        if line.is_empty() || line.starts_with(':') {
            continue;
        }
        // Field names are short: a plain search beats `split_once`'s general one.
        let (name, value) = match line.bytes().position(|b| b == b':') {
            Some(i) => {
                let value = line.get(i + 1..).unwrap_or_default();
                (
                    line.get(..i).unwrap_or_default(),
                    value.strip_prefix(' ').unwrap_or(value),
                )
            }
            None => (line, ""),
        };
        match name {
            "event" => event = value,
            "data" => match first_data {
                None => first_data = Some(value),
                Some(first) => {
                    if !several {
                        joined.clear();
                        joined.push_str(first);
                        several = true;
                    }
                    joined.push('\n');
                    joined.push_str(value);
                }
            },
            "id" if !value.contains('\0') => id = Some(value),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                retry = value.parse().ok();
            }
            _ => {}
        }
    }
    let dispatched = first_data.is_some();
    let data = if several {
        let joined: &'a String = joined;
        joined.as_str()
    } else {
        first_data.unwrap_or_default()
    };
    Fields {
        event,
        data,
        id,
        retry,
        dispatched,
    }
}
