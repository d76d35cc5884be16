//! Memory stays bounded while a long stream is translated: a counting allocator watches the
//! heap while 64 MiB of OpenAI Chat chunks go through translating transcoders, pushed in
//! network-sized pieces with the output drained after each push, as a host does.

#![allow(
    unsafe_code,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use hermesllm::Api;
use hermesllm::stream::{StreamMeta, Transcoder};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; the counters are only
// statistics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            let live = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size
                - layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const TOTAL: usize = 64 * 1024 * 1024;
const PUSH: usize = 4096;

/// One OpenAI Chat chunk carrying `text`.
fn chunk(text: &str) -> String {
    format!(
        "data: {{\"id\":\"chatcmpl-long\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o-mini\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{text}\"}},\"finish_reason\":null}}]}}\n\n"
    )
}

/// Streams `TOTAL` bytes of chunks through `from` → `to`, returning the heap growth seen
/// while streaming (peak minus the live bytes before the first push) and the bytes written.
fn stream_through(to: Api) -> (usize, usize) {
    let first = "data: {\"id\":\"chatcmpl-long\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n";
    let text = "lorem ipsum dolor sit amet, consectetur adipiscing elit ";
    let body = chunk(text);
    let last = "data: {\"id\":\"chatcmpl-long\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
    // A window of chunks, pushed in PUSH-byte pieces that cut events anywhere.
    let window: Vec<u8> = body.repeat(PUSH / body.len() + 2).into_bytes();
    let meta = StreamMeta {
        id: "gw-1".into(),
        created: 1,
        model: "gpt-4o-mini".into(),
        include_usage: true,
    };
    let mut t = Transcoder::new(Api::OpenAiChat, to, meta);
    let mut out = Vec::with_capacity(1 << 20);
    t.push(first.as_bytes(), 0, &mut out);
    out.clear();

    let baseline = LIVE.load(Ordering::Relaxed);
    PEAK.store(baseline, Ordering::Relaxed);
    let mut written = 0;
    let mut sent = 0;
    let mut offset = 0;
    while sent < TOTAL {
        // Consecutive PUSH-sized slices of the endless repetition of `body`.
        let start = offset % body.len();
        let piece = &window[start..start + PUSH];
        t.push(piece, 0, &mut out);
        written += out.len();
        out.clear();
        sent += PUSH;
        offset += PUSH;
    }
    // Close the event the last piece cut, then end the stream.
    let start = offset % body.len();
    let rest = &body.as_bytes()[start..];
    t.push(rest, 0, &mut out);
    t.push(last.as_bytes(), 0, &mut out);
    t.finish(0, &mut out);
    written += out.len();
    let grown = PEAK.load(Ordering::Relaxed).saturating_sub(baseline);
    assert!(t.summary().completed, "{to}: the stream did not complete");
    let events = (TOTAL / body.len()) as u64;
    assert!(
        t.summary().output_text_bytes >= events * text.len() as u64,
        "{to}: text was lost ({} bytes)",
        t.summary().output_text_bytes
    );
    (grown, written)
}

#[test]
fn translating_a_long_stream_keeps_the_heap_flat() {
    for to in [
        Api::AnthropicMessages,
        Api::BedrockConverse,
        Api::Gemini,
        Api::OpenAiChat,
    ] {
        let (grown, written) = stream_through(to);
        assert!(
            written > TOTAL / 8,
            "{to}: output too small ({written} bytes)"
        );
        // The output buffer is drained after every push, so nothing should grow with the
        // stream: allow 256 KiB for framer, decoder and encoder buffers.
        assert!(
            grown < 256 * 1024,
            "{to}: heap grew by {grown} bytes over a {TOTAL}-byte stream"
        );
    }
}
