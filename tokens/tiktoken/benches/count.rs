//! Count time per 2.3 KB chat request: tiktoken (o200k_base, cl100k_base) against the
//! table-free estimator, over the whole-request walk (`estimate_request`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use hermesllm::{Api, RequestMeta, translate::decode_request};
use plano_core::tokens::{CharEstimator, RequestCosts, TokenCounter, estimate_request};
use plano_tiktoken::{Encoding, Tiktoken};

const OPENAI_2KB: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/bench/openai-chat-request-2kb.json"
));

fn count(c: &mut Criterion) {
    let req = decode_request(
        Api::OpenAiChat,
        OPENAI_2KB.as_bytes(),
        &RequestMeta::default(),
    )
    .unwrap();
    let costs = RequestCosts::default();
    let counters: [(&str, &dyn TokenCounter); 3] = [
        ("char_estimator", &CharEstimator::PROSE),
        (
            "tiktoken_o200k",
            Tiktoken::shared(Encoding::O200kBase).unwrap(),
        ),
        (
            "tiktoken_cl100k",
            Tiktoken::shared(Encoding::Cl100kBase).unwrap(),
        ),
    ];
    let mut g = c.benchmark_group("estimate_request_openai_2kb");
    for (name, counter) in counters {
        g.bench_function(name, |b| {
            b.iter(|| estimate_request(black_box(&req), counter, &costs))
        });
    }
    g.finish();
    // First use: parsing the embedded tables into a CoreBPE (what a cold start pays).
    let mut g = c.benchmark_group("tables_init");
    g.sample_size(10);
    g.bench_function("o200k_base", |b| {
        b.iter(|| Tiktoken::new(Encoding::O200kBase).unwrap())
    });
    g.bench_function("cl100k_base", |b| {
        b.iter(|| Tiktoken::new(Encoding::Cl100kBase).unwrap())
    });
    g.finish();
}

criterion_group!(benches, count);
criterion_main!(benches);
