//! Helpers shared by the stream tests: a tiny deterministic PRNG, chunkings of an input, and
//! runners that push an input through the framers and the transcoder in a given chunking.
//!
//! The split-invariance checks take `(from, to, input)` so they can run over every
//! client × upstream pair.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use hermesllm::Api;
use hermesllm::stream::{
    EventStreamError, EventStreamFramer, SseError, SseFramer, StreamMeta, StreamSummary, Transcoder,
};

/// xorshift64*: deterministic, good enough to pick split points.
#[derive(Debug, Clone)]
pub struct Prng(u64);

impl Prng {
    pub fn new(seed: u64) -> Self {
        Prng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Splits `input` at the sorted cut points.
pub fn chunks<'a>(input: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::with_capacity(cuts.len() + 1);
    let mut prev = 0;
    for &c in cuts {
        out.push(&input[prev..c]);
        prev = c;
    }
    out.push(&input[prev..]);
    out
}

/// Up to `max_cuts` random sorted cut points in `0..=len` (duplicates give empty chunks,
/// which must be harmless too).
pub fn random_cuts(rng: &mut Prng, len: usize, max_cuts: usize) -> Vec<usize> {
    let n = rng.below(max_cuts.max(1)) + 1;
    let mut cuts: Vec<usize> = (0..n).map(|_| rng.below(len + 1)).collect();
    cuts.sort_unstable();
    cuts
}

/// Cuts after every byte.
pub fn byte_cuts(len: usize) -> Vec<usize> {
    (1..len).collect()
}

/// Checks that `run` gives the same result for the input whole, cut at every offset in
/// `single_cut_offsets`, cut after every byte, and cut at `random_runs` random multi-splits.
/// Returns the result of the whole input.
pub fn assert_split_invariant<T: PartialEq + std::fmt::Debug>(
    input: &[u8],
    single_cut_offsets: impl IntoIterator<Item = usize>,
    random_runs: usize,
    run: impl Fn(&[&[u8]]) -> T,
) -> T {
    let whole = run(&[input]);
    for at in single_cut_offsets {
        let got = run(&chunks(input, &[at]));
        assert_eq!(got, whole, "input cut at byte {at}");
    }
    let got = run(&chunks(input, &byte_cuts(input.len())));
    assert_eq!(got, whole, "input pushed one byte at a time");
    let mut rng = Prng::new(0x5EED ^ input.len() as u64);
    for i in 0..random_runs {
        let cuts = random_cuts(&mut rng, input.len(), 64);
        let got = run(&chunks(input, &cuts));
        assert_eq!(got, whole, "random split #{i} at {cuts:?}");
    }
    whole
}

/// An SSE block, owned, for comparisons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub event: String,
    pub data: String,
    pub id: Option<String>,
    pub retry: Option<u64>,
    pub dispatched: bool,
    pub raw: Vec<u8>,
}

/// Every block (dispatched or not) of `chunks` pushed in order, then the error if any, and
/// the unterminated tail.
pub fn sse_blocks(chunks: &[&[u8]]) -> (Vec<Block>, Option<SseError>, Vec<u8>) {
    sse_blocks_with(SseFramer::new(), chunks)
}

/// [`sse_blocks`] with a given framer.
pub fn sse_blocks_with(
    mut framer: SseFramer,
    chunks: &[&[u8]],
) -> (Vec<Block>, Option<SseError>, Vec<u8>) {
    let mut blocks = Vec::new();
    let mut error = None;
    let mut drain = |framer: &mut SseFramer, blocks: &mut Vec<Block>| {
        while let Some(r) = framer.next_block() {
            match r {
                Ok(e) => blocks.push(Block {
                    event: e.event.to_owned(),
                    data: e.data.to_owned(),
                    id: e.id.map(str::to_owned),
                    retry: e.retry,
                    dispatched: e.dispatched,
                    raw: e.raw.to_vec(),
                }),
                Err(e) => error = Some(e),
            }
        }
    };
    for c in chunks {
        framer.push(c);
        drain(&mut framer, &mut blocks);
    }
    framer.finish();
    drain(&mut framer, &mut blocks);
    let tail = framer.pending().to_vec();
    (blocks, error, tail)
}

/// The dispatched events of `input` as `(event, data)` pairs (input whole).
pub fn sse_events(input: &[u8]) -> Vec<(String, String)> {
    let mut framer = SseFramer::new();
    framer.push(input);
    framer.finish();
    let mut out = Vec::new();
    while let Some(r) = framer.next_event() {
        let e = r.unwrap();
        out.push((e.event.to_owned(), e.data.to_owned()));
    }
    out
}

/// An eventstream message, owned, for comparisons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub message_type: String,
    pub event_type: String,
    pub payload: Vec<u8>,
    pub raw: Vec<u8>,
}

/// Every message of `chunks` pushed in order, the error if any, and the unconsumed tail.
pub fn eventstream_messages(chunks: &[&[u8]]) -> (Vec<Message>, Option<EventStreamError>, Vec<u8>) {
    let mut framer = EventStreamFramer::new();
    let mut out = Vec::new();
    let mut error = None;
    for c in chunks {
        framer.push(c);
        while let Some(r) = framer.next_message() {
            match r {
                Ok(m) => out.push(Message {
                    message_type: m.message_type.to_owned(),
                    event_type: m.event_type.to_owned(),
                    payload: m.payload.to_vec(),
                    raw: m.raw.to_vec(),
                }),
                Err(e) => error = Some(e),
            }
        }
    }
    let tail = framer.pending().to_vec();
    (out, error, tail)
}

/// The `now_ms` given with the `i`th chunk.
pub fn chunk_time(i: usize) -> u64 {
    1_000 + 10 * i as u64
}

/// Pushes `chunks` through `t`, then finishes; chunk `i` is pushed at [`chunk_time`]`(i)`.
pub fn run_transcoder(mut t: Transcoder<'_>, chunks: &[&[u8]]) -> (Vec<u8>, StreamSummary) {
    let mut out = Vec::new();
    for (i, c) in chunks.iter().enumerate() {
        t.push(c, chunk_time(i), &mut out);
    }
    t.finish(chunk_time(chunks.len()), &mut out);
    (out, t.into_summary())
}

/// A transcoder `from` → `to` run over `chunks`.
pub fn transcode(
    from: Api,
    to: Api,
    meta: &StreamMeta<'static>,
    chunks: &[&[u8]],
) -> (Vec<u8>, StreamSummary) {
    run_transcoder(Transcoder::new(from, to, meta.clone()), chunks)
}

/// The summary without its times (which depend on the chunk that carried the event).
pub fn timeless(mut s: StreamSummary) -> StreamSummary {
    s.first_byte_ms = None;
    s.first_token_ms = None;
    s
}

/// Offsets to cut at: all of them for small inputs (up to 8 KB); for large ones (whose events repeat one
/// shape), all in the first 700 bytes (the first events), every third in the last 1200 (the
/// final events) and every 4999th in between.
pub fn cut_offsets(len: usize) -> Vec<usize> {
    if len <= 8_000 {
        return (0..=len).collect();
    }
    (0..700)
        .chain((700..len - 1200).step_by(4999))
        .chain((len - 1200..=len).step_by(3))
        .collect()
}

/// Checks that transcoding `input` from `from` to `to` gives the same client bytes and the
/// same summary (times aside) however the input is split: at each of [`cut_offsets`], one
/// byte at a time, and at random multi-splits. Returns the output and summary of the whole
/// input. Usable for every client × upstream pair.
pub fn assert_transcode_split_invariant(
    from: Api,
    to: Api,
    meta: &StreamMeta<'static>,
    input: &[u8],
) -> (Vec<u8>, StreamSummary) {
    let runs = if input.len() <= 8_000 { 50 } else { 10 };
    assert_transcode_split_invariant_with(from, to, meta, input, cut_offsets(input.len()), runs)
}

/// [`assert_transcode_split_invariant`] with given single-cut offsets and number of random
/// multi-splits.
pub fn assert_transcode_split_invariant_with(
    from: Api,
    to: Api,
    meta: &StreamMeta<'static>,
    input: &[u8],
    offsets: impl IntoIterator<Item = usize>,
    random_runs: usize,
) -> (Vec<u8>, StreamSummary) {
    let (out, summary) = assert_split_invariant(input, offsets, random_runs, |c| {
        let (out, s) = transcode(from, to, meta, c);
        (out, timeless(s))
    });
    let (_, with_times) = transcode(from, to, meta, &[input]);
    assert_eq!(timeless(with_times.clone()), summary, "{from} -> {to}");
    (out, with_times)
}

/// Checks that `out` is a well-framed stream of the client API `to`: SSE events (or
/// eventstream messages) with no framing error and no unterminated tail. Returns the frames
/// as `(event type, payload)`.
pub fn assert_valid_client_stream(to: Api, out: &[u8]) -> Vec<(String, Vec<u8>)> {
    if to.streams_sse() {
        let (blocks, err, tail) = sse_blocks(&[out]);
        assert_eq!(err, None, "{to} output");
        assert!(
            tail.is_empty(),
            "{to} output ends mid-event: {:?}",
            String::from_utf8_lossy(&tail)
        );
        blocks
            .into_iter()
            .filter(|b| b.dispatched)
            .map(|b| (b.event, b.data.into_bytes()))
            .collect()
    } else {
        let (msgs, err, tail) = eventstream_messages(&[out]);
        assert_eq!(err, None, "{to} output");
        assert!(tail.is_empty(), "{to} output ends mid-message");
        msgs.into_iter()
            .map(|m| (m.event_type, m.payload))
            .collect()
    }
}

/// Upstream stream fixtures: `(upstream API, name, bytes)`.
pub fn upstream_fixtures() -> Vec<(Api, &'static str, Vec<u8>)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/stream_fixtures");
    let mut v: Vec<(Api, &'static str, Vec<u8>)> = [
        (Api::OpenAiChat, "openai_chat-tools.sse"),
        (Api::OpenAiResponses, "openai_responses-tools.sse"),
        (Api::AnthropicMessages, "anthropic_messages-tools.sse"),
        (Api::Gemini, "gemini-tools.sse"),
    ]
    .into_iter()
    .map(|(api, name)| (api, name, std::fs::read(format!("{dir}/{name}")).unwrap()))
    .collect();
    v.push((
        Api::BedrockConverse,
        "converse-stream-text.bin",
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/fixtures/bedrock/converse-stream-text.bin"
        ))
        .unwrap(),
    ));
    v
}

/// What every client of one upstream stream should agree on: the summary fields that do not
/// depend on the client API.
pub fn comparable(s: &StreamSummary) -> impl PartialEq + std::fmt::Debug + use<> {
    (
        s.output_text_bytes,
        s.usage,
        s.stop_reason.clone(),
        s.tool_calls,
        s.frames,
        s.completed,
        s.error.is_some(),
    )
}
