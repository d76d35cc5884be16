//! Prints, for each request file given (OpenAI Chat or Anthropic Messages JSON, told apart
//! by a top-level `system` or `anthropic` in the file name), the input estimate with
//! tiktoken (the model's encoding) and with the CharEstimator, and the estimator's error.
//!
//! `cargo run -p plano-tiktoken --example compare -- ../shared/bench/*-2kb.json`
#![allow(clippy::print_stdout, clippy::print_stderr)]

use hermesllm::{Api, RequestMeta, translate::decode_request};
use plano_core::tokens::{CharEstimator, RequestCosts, TokenCounter, estimate_request};

struct Zero;
impl TokenCounter for Zero {
    fn count(&self, _: &str) -> u64 {
        0
    }
}

fn main() {
    println!("file | model | encoding | tiktoken | CharEstimator | error | text-only error");
    for path in std::env::args().skip(1) {
        let Ok(body) = std::fs::read(&path) else {
            eprintln!("{path}: unreadable");
            continue;
        };
        let api = if path.contains("anthropic") {
            Api::AnthropicMessages
        } else {
            Api::OpenAiChat
        };
        let req = match decode_request(api, &body, &RequestMeta::default()) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{path}: {e}");
                continue;
            }
        };
        let costs = RequestCosts::default();
        let flat = estimate_request(&req, &Zero, &costs);
        let exact = estimate_request(&req, plano_tiktoken::counter_for_model(&req.model), &costs);
        let est = estimate_request(&req, &CharEstimator::default(), &costs);
        let pct = |a: u64, b: u64| (a as f64 - b as f64) * 100.0 / b.max(1) as f64;
        let name = path.rsplit('/').next().unwrap_or(&path);
        println!(
            "{name} | {} | {} | {exact} | {est} | {:+.1}% | {:+.1}%",
            req.model,
            plano_tiktoken::encoding_for_model(&req.model).name(),
            pct(est, exact),
            pct(est - flat.min(est), exact - flat.min(exact)),
        );
    }
}
