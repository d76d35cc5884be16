//! Translation benchmarks on the shared inputs (`../shared/bench/`, see its README) plus a
//! 50 KB request generated from the 2.3 KB one.
//!
//! Run: `cargo bench -p hermesllm --bench translate`. Figures go to `docs/benchmarks.md`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hermesllm::translate::{self, translate_request, translate_response};
use hermesllm::{Api, Losses, RequestMeta, ResponseMeta};

fn shared(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/bench")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The 2.3 KB conversation with its middle turns repeated until the body passes 50 KB.
fn request_50kb(base: &[u8]) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(base).unwrap();
    let msgs = v["messages"].as_array().unwrap().clone();
    let (first, rest) = msgs.split_first().unwrap();
    let (last, middle) = rest.split_last().unwrap();
    let mut out = vec![first.clone()];
    let mut round = 0;
    while serde_json::to_vec(&out).unwrap().len() < 48 * 1024 {
        for m in middle {
            let mut m = m.clone();
            // Keep tool-call ids unique per round so the conversation stays valid.
            if let Some(calls) = m.get_mut("tool_calls").and_then(|c| c.as_array_mut()) {
                for c in calls {
                    c["id"] = format!("call_trains_{round:02}").into();
                }
            }
            if m.get("tool_call_id").is_some() {
                m["tool_call_id"] = format!("call_trains_{round:02}").into();
            }
            out.push(m);
        }
        round += 1;
    }
    out.push(last.clone());
    v["messages"] = out.into();
    serde_json::to_vec(&v).unwrap()
}

fn requests(c: &mut Criterion) {
    let small = shared("openai-chat-request-2kb.json");
    let large = request_50kb(&small);
    let meta = RequestMeta::default();
    let mut g = c.benchmark_group("request");
    for (label, body) in [("2kb", &small), ("50kb", &large)] {
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_function(format!("openai_chat_parse/{label}"), |b| {
            b.iter(|| translate::decode_request(Api::OpenAiChat, black_box(body), &meta).unwrap())
        });
        for (to, model) in [
            (Api::AnthropicMessages, "claude-sonnet-4-5"),
            (Api::BedrockConverse, "anthropic.claude-sonnet-4-5-v1:0"),
            (Api::Gemini, "gemini-2.5-flash"),
            (Api::OpenAiResponses, "gpt-4o-mini"),
        ] {
            g.bench_function(format!("openai_chat_to_{to}/{label}"), |b| {
                b.iter(|| {
                    translate_request(Api::OpenAiChat, to, black_box(body), &meta, Some(model))
                        .unwrap()
                })
            });
        }
        g.bench_function(format!("openai_chat_passthrough/{label}"), |b| {
            b.iter(|| {
                translate_request(
                    Api::OpenAiChat,
                    Api::OpenAiChat,
                    black_box(body),
                    &meta,
                    Some("gpt-4o-mini"),
                )
                .unwrap()
            })
        });
    }
    g.finish();
}

fn responses(c: &mut Criterion) {
    let anthropic = shared("anthropic-messages-response.json");
    let rmeta = ResponseMeta {
        id: "chatcmpl-bench".into(),
        created: 1_749_513_600,
        model: "claude-sonnet-4-5".into(),
    };
    // The same response as each other upstream would send it, rendered by our own encoders.
    let ir = translate::decode_response(Api::AnthropicMessages, &anthropic).unwrap();
    let mut losses = Losses::default();
    let bedrock =
        translate::encode_response(Api::BedrockConverse, &ir, &rmeta, &mut losses).unwrap();
    let gemini = translate::encode_response(Api::Gemini, &ir, &rmeta, &mut losses).unwrap();
    let openai = translate::encode_response(Api::OpenAiChat, &ir, &rmeta, &mut losses).unwrap();

    let mut g = c.benchmark_group("response");
    for (from, to, body) in [
        (Api::AnthropicMessages, Api::OpenAiChat, &anthropic),
        (Api::BedrockConverse, Api::OpenAiChat, &bedrock),
        (Api::Gemini, Api::OpenAiChat, &gemini),
        (Api::OpenAiChat, Api::AnthropicMessages, &openai),
        (Api::AnthropicMessages, Api::OpenAiResponses, &anthropic),
    ] {
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_function(format!("{from}_to_{to}"), |b| {
            b.iter(|| translate_response(from, to, black_box(body), &rmeta).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, requests, responses);
criterion_main!(benches);
