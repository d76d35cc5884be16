//! Exact counts against published tiktoken values, the model mapping, and whole-request
//! estimates compared with plano-core's table-free estimator.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hermesllm::{Api, RequestMeta, translate::decode_request};
use plano_core::tokens::{CharEstimator, RequestCosts, TokenCounter, estimate_request};
use plano_tiktoken::{Encoding, Tiktoken, counter_for_model, encoding_for_model, warm_up};

const OPENAI_2KB: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/bench/openai-chat-request-2kb.json"
));
const ANTHROPIC_2KB: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/bench/anthropic-messages-request-2kb.json"
));

fn cl100k() -> &'static Tiktoken {
    Tiktoken::shared(Encoding::Cl100kBase).unwrap()
}
fn o200k() -> &'static Tiktoken {
    Tiktoken::shared(Encoding::O200kBase).unwrap()
}

#[test]
fn published_cl100k_counts() {
    let c = cl100k();
    // openai/tiktoken tests/test_simple_public.py: [15339, 1917].
    assert_eq!(c.count("hello world"), 2);
    // OpenAI cookbook, "How to count tokens with tiktoken": "t", "ik", "token", " is", " great", "!".
    assert_eq!(c.count("tiktoken is great!"), 6);
    // [15339, 11, 1917, 0, 2650, 527, 499, 3432, 30].
    assert_eq!(c.count("Hello, world! How are you today?"), 9);
    // [23078, 374, 2294, 0].
    assert_eq!(c.count("China is great!"), 4);
    assert_eq!(c.count(""), 0);
}

#[test]
fn o200k_counts_differ_from_cl100k_where_vocabularies_do() {
    assert_eq!(o200k().count("hello world"), 2);
    assert_eq!(o200k().count(""), 0);
    // o200k's larger vocabulary packs non-English text tighter.
    let text = "吾輩は猫である。名前はまだ無い。";
    assert!(o200k().count(text) < cl100k().count(text));
}

#[test]
fn special_token_text_is_counted_as_plain_text() {
    // With special tokens allowed, "<|endoftext|>" would be the single token 100257; a client's
    // prompt is text, so it costs several ordinary tokens.
    let n = cl100k().count("<|endoftext|>");
    assert!(n > 1, "{n}");
}

#[test]
fn model_to_encoding() {
    use Encoding::*;
    for (model, want) in [
        ("gpt-4o", O200kBase),
        ("gpt-4o-mini", O200kBase),
        ("gpt-4o-2024-08-06", O200kBase),
        ("chatgpt-4o-latest", O200kBase),
        ("gpt-4.1", O200kBase),
        ("gpt-4.1-nano", O200kBase),
        ("gpt-4.5-preview", O200kBase),
        ("gpt-5", O200kBase),
        ("gpt-5-mini", O200kBase),
        ("gpt-5.1", O200kBase),
        ("o1", O200kBase),
        ("o1-mini", O200kBase),
        ("o3", O200kBase),
        ("o3-pro", O200kBase),
        ("o4-mini", O200kBase),
        ("codex-mini-latest", O200kBase),
        ("gpt-oss-120b", O200kBase),
        ("openai/gpt-4o", O200kBase),
        ("OpenAI/GPT-4o", O200kBase),
        ("azure_openai/gpt-5", O200kBase),
        ("gpt-4", Cl100kBase),
        ("gpt-4-turbo", Cl100kBase),
        ("gpt-4-0613", Cl100kBase),
        ("gpt-3.5-turbo", Cl100kBase),
        ("openai/gpt-3.5-turbo", Cl100kBase),
        ("claude-sonnet-4-5", Cl100kBase),
        ("anthropic/claude-3-5-haiku-latest", Cl100kBase),
        ("anthropic.claude-3-sonnet-20240229-v1:0", Cl100kBase),
        ("gemini-2.5-pro", Cl100kBase),
        ("mistral/mistral-large-latest", Cl100kBase),
        // Near misses are not the o-series.
        ("o1x", Cl100kBase),
        ("gpt-4omni", Cl100kBase),
        ("o", Cl100kBase),
        ("", Cl100kBase),
        ("/", Cl100kBase),
        ("openai/", Cl100kBase),
    ] {
        assert_eq!(encoding_for_model(model), want, "{model}");
    }
    assert_eq!(Encoding::O200kBase.name(), "o200k_base");
    assert_eq!(Encoding::Cl100kBase.name(), "cl100k_base");
}

#[test]
fn counter_for_model_uses_the_shared_tables() {
    warm_up().unwrap();
    // "tiktoken is great!": 6 with cl100k; o200k must agree with its own table.
    let text = "tiktoken is great!";
    assert_eq!(counter_for_model("claude-sonnet-4-5").count(text), 6);
    assert_eq!(counter_for_model("gpt-4o").count(text), o200k().count(text));
    assert!(std::ptr::eq(
        Tiktoken::shared(Encoding::O200kBase).unwrap(),
        Tiktoken::shared(Encoding::O200kBase).unwrap()
    ));
    assert_eq!(o200k().encoding(), Encoding::O200kBase);
    assert_eq!(
        format!("{:?}", cl100k()),
        "Tiktoken { encoding: \"cl100k_base\", .. }"
    );
}

#[test]
fn counts_any_input_without_panicking() {
    for text in [
        "\0",
        "\u{FFFD}",
        "🦀🦀🦀",
        "a\r\n\t b",
        &" ".repeat(10_000),
        &"x".repeat(100_000),
    ] {
        let n = cl100k().count(text);
        assert!(n >= 1 && n <= text.len() as u64, "{n}");
        let n = o200k().count(text);
        assert!(n >= 1 && n <= text.len() as u64, "{n}");
    }
}

#[test]
fn pathological_runs_fall_back_instead_of_panicking() {
    // A million spaces: o200k's pre-tokenizer (fancy-regex, backtracking) gives up, and
    // tiktoken-rs 0.12.1's `encode_ordinary` panics (vendor_tiktoken.rs:374). The counter
    // returns the estimator's count instead.
    let spaces = " ".repeat(1_000_000);
    assert_eq!(o200k().count(&spaces), 250_000);
    assert_eq!(o200k().count(&spaces), CharEstimator::PROSE.count(&spaces));
    // cl100k copes with the same text, and shorter runs are exact in both.
    assert_eq!(cl100k().count(&spaces), 7_813);
    assert_eq!(o200k().count(&spaces[..100_000]), 782);
    assert_eq!(cl100k().count(&"\n".repeat(100_000)), 3_125);
}

fn estimates(api: Api, body: &str, counter: &dyn TokenCounter) -> u64 {
    let req = decode_request(api, body.as_bytes(), &RequestMeta::default()).unwrap();
    estimate_request(&req, counter, &RequestCosts::default())
}

#[test]
fn estimate_request_on_the_bench_requests() {
    let costs_only = {
        struct Zero;
        impl TokenCounter for Zero {
            fn count(&self, _: &str) -> u64 {
                0
            }
        }
        estimates(Api::OpenAiChat, OPENAI_2KB, &Zero)
    };
    let exact = estimates(
        Api::OpenAiChat,
        OPENAI_2KB,
        counter_for_model("gpt-4o-mini"),
    );
    let cl = estimates(Api::OpenAiChat, OPENAI_2KB, cl100k());
    let est = estimates(Api::OpenAiChat, OPENAI_2KB, &CharEstimator::default());
    let dense = estimates(Api::OpenAiChat, OPENAI_2KB, &CharEstimator::DENSE);
    let a_exact = estimates(
        Api::AnthropicMessages,
        ANTHROPIC_2KB,
        counter_for_model("claude-sonnet-4-5"),
    );
    let a_est = estimates(
        Api::AnthropicMessages,
        ANTHROPIC_2KB,
        &CharEstimator::default(),
    );
    // Fixed counts: a change in the tables, the IR walk or the estimator shows here.
    assert_eq!(costs_only, 47, "flat costs: 3 + 4 per message + 8 per tool");
    assert_eq!(exact, 477, "gpt-4o-mini: o200k_base");
    assert_eq!(cl, 473);
    assert_eq!(est, 456);
    assert_eq!(dense, 588);
    assert_eq!(a_exact, 462, "claude: the cl100k approximation");
    assert_eq!(a_est, 450);
    // The estimator is within 5% of the exact count on these English + JSON requests.
    let err = |e: u64, x: u64| (e as f64 - x as f64).abs() / x as f64;
    assert!(err(est, exact) < 0.05, "{est} vs {exact}");
    assert!(err(a_est, a_exact) < 0.05, "{a_est} vs {a_exact}");
}
