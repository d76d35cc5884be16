//! Stream throughput on the shared bench inputs (`../shared/bench` beside the checkout): the SSE and
//! eventstream framers alone, and same-API passthrough through the transcoder.
//!
//! `cargo bench -p hermesllm --bench stream` (release; not on shared CI machines).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hermesllm::Api;
use hermesllm::stream::{EventStreamFramer, SseFramer, StreamMeta, Transcoder};

const CHAT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/bench/openai-chat-stream-1000.sse"
);
const BEDROCK: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/bedrock/converse-stream-text.bin"
);
const CHUNK: usize = 16 * 1024;

fn framers(c: &mut Criterion) {
    let chat = std::fs::read(CHAT).expect("bench input");
    let bedrock = std::fs::read(BEDROCK).expect("bench input");
    let mut g = c.benchmark_group("framer");
    g.throughput(Throughput::Bytes(chat.len() as u64));
    g.bench_function("sse_openai_chat_1000", |b| {
        b.iter(|| {
            let mut f = SseFramer::new();
            let mut n = 0usize;
            for chunk in chat.chunks(CHUNK) {
                f.push(chunk);
                while let Some(e) = f.next_event() {
                    n += e.unwrap().data.len();
                }
            }
            black_box(n)
        });
    });
    g.throughput(Throughput::Bytes(bedrock.len() as u64));
    g.bench_function("eventstream_bedrock_text", |b| {
        b.iter(|| {
            let mut f = EventStreamFramer::new();
            let mut n = 0usize;
            for chunk in bedrock.chunks(CHUNK) {
                f.push(chunk);
                while let Some(m) = f.next_message() {
                    n += m.unwrap().payload.len();
                }
            }
            black_box(n)
        });
    });
    g.finish();
}

fn passthrough(c: &mut Criterion) {
    let chat = std::fs::read(CHAT).expect("bench input");
    let bedrock = std::fs::read(BEDROCK).expect("bench input");
    let mut g = c.benchmark_group("passthrough");
    let mut out = Vec::with_capacity(chat.len());
    for (name, api, input, include_usage) in [
        ("openai_chat_1000", Api::OpenAiChat, &chat, true),
        ("openai_chat_1000_hide_usage", Api::OpenAiChat, &chat, false),
        ("bedrock_text", Api::BedrockConverse, &bedrock, false),
    ] {
        g.throughput(Throughput::Bytes(input.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                let meta = StreamMeta {
                    include_usage,
                    ..StreamMeta::default()
                };
                let mut t = Transcoder::new(api, api, meta);
                out.clear();
                for chunk in input.chunks(CHUNK) {
                    t.push(chunk, 0, &mut out);
                }
                t.finish(0, &mut out);
                black_box((out.len(), t.summary().output_text_bytes))
            });
        });
    }
    g.finish();
}

/// Runs `input` through a `from` → `to` transcoder in `CHUNK`-sized pushes.
fn run(from: Api, to: Api, input: &[u8], out: &mut Vec<u8>) -> usize {
    let meta = StreamMeta {
        id: "chatcmpl-bench".into(),
        created: 1_749_513_600,
        model: "bench-model".into(),
        include_usage: true,
    };
    let mut t = Transcoder::new(from, to, meta);
    out.clear();
    for chunk in input.chunks(CHUNK) {
        t.push(chunk, 0, out);
    }
    t.finish(0, out);
    out.len()
}

fn transcode(c: &mut Criterion) {
    let chat = std::fs::read(CHAT).expect("bench input");
    let bedrock = std::fs::read(BEDROCK).expect("bench input");
    // The same 1,000-event stream as Anthropic and Gemini would send it, rendered by our own
    // encoders, so every direction works on the same content.
    let mut anthropic = Vec::new();
    run(
        Api::OpenAiChat,
        Api::AnthropicMessages,
        &chat,
        &mut anthropic,
    );
    let mut gemini = Vec::new();
    run(Api::OpenAiChat, Api::Gemini, &chat, &mut gemini);

    let mut g = c.benchmark_group("transcode");
    let mut out = Vec::with_capacity(chat.len() * 2);
    for (from, to, input) in [
        (Api::OpenAiChat, Api::AnthropicMessages, &chat),
        (Api::AnthropicMessages, Api::OpenAiChat, &anthropic),
        (Api::BedrockConverse, Api::OpenAiChat, &bedrock),
        (Api::Gemini, Api::AnthropicMessages, &gemini),
        (Api::OpenAiChat, Api::OpenAiResponses, &chat),
        (Api::OpenAiChat, Api::BedrockConverse, &chat),
    ] {
        g.throughput(Throughput::Bytes(input.len() as u64));
        g.bench_function(format!("{from}_to_{to}"), |b| {
            b.iter(|| black_box(run(from, to, black_box(input), &mut out)));
        });
    }
    g.finish();
}

criterion_group!(benches, framers, passthrough, transcode);
criterion_main!(benches);
