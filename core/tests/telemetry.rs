//! GenAI span attributes (exact lists), timings and metric definitions.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use hermesllm::ir::{ApiError, ErrorKind, StopReason, Usage};
use hermesllm::stream::StreamSummary;
use hermesllm::{Api, RequestMeta, translate};
use plano_core::error::{ExchangeError, RequestError, UpstreamError};
use plano_core::telemetry::{
    Instrument, METRICS, MetricSpec, Outcome, SpanInput, Timestamps, Timing, Value, provider_name,
    span_attributes,
};

fn s(v: &str) -> Value {
    Value::Str(v.to_owned())
}

const CHAT_REQUEST: &str = r#"{"model":"fast","messages":[{"role":"user","content":"hi"}],
    "max_tokens":256,"temperature":0.2,"top_p":0.9,"seed":7,"stream":true}"#;

const CHAT_RESPONSE: &str = r#"{"id":"chatcmpl-123","object":"chat.completion","created":1700000000,
    "model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"hello"},
    "finish_reason":"stop"}],"usage":{"prompt_tokens":120,"completion_tokens":8,"total_tokens":128,
    "prompt_tokens_details":{"cached_tokens":100}}}"#;

#[test]
fn non_streaming_response() {
    let req = translate::decode_request(
        Api::OpenAiChat,
        CHAT_REQUEST.as_bytes(),
        &RequestMeta::default(),
    )
    .unwrap();
    let resp = translate::decode_response(Api::OpenAiChat, CHAT_RESPONSE.as_bytes()).unwrap();
    let attrs = span_attributes(&SpanInput {
        client_api: Api::OpenAiChat,
        provider: "openai",
        request: &req,
        upstream_model: Some("gpt-4o-mini"),
        server: Some(("api.openai.com", 443)),
        outcome: Outcome::Response(&resp),
    });
    assert_eq!(
        attrs,
        vec![
            ("gen_ai.operation.name", s("chat")),
            ("gen_ai.provider.name", s("openai")),
            ("gen_ai.request.model", s("gpt-4o-mini")),
            ("gen_ai.request.max_tokens", Value::Int(256)),
            ("gen_ai.request.temperature", Value::Double(0.2)),
            ("gen_ai.request.top_p", Value::Double(0.9)),
            ("gen_ai.request.seed", Value::Int(7)),
            ("gen_ai.response.id", s("chatcmpl-123")),
            ("gen_ai.response.model", s("gpt-4o-mini-2024-07-18")),
            (
                "gen_ai.response.finish_reasons",
                Value::StrArray(vec!["stop".into()])
            ),
            ("gen_ai.usage.input_tokens", Value::Int(120)),
            ("gen_ai.usage.output_tokens", Value::Int(8)),
            ("gen_ai.usage.cache_read.input_tokens", Value::Int(100)),
            ("server.address", s("api.openai.com")),
            ("server.port", Value::Int(443)),
        ]
    );
}

#[test]
fn stream_summary_with_cache_writes_and_error() {
    let body = r#"{"model":"claude-sonnet-4-5","max_tokens":1024,"messages":[{"role":"user","content":"hi"}],"top_k":40,"stream":true}"#;
    let req = translate::decode_request(
        Api::AnthropicMessages,
        body.as_bytes(),
        &RequestMeta::default(),
    )
    .unwrap();
    let mut summary = StreamSummary::default();
    summary.usage = Some(Usage {
        input_tokens: 2_000,
        output_tokens: 50,
        cache_read_input_tokens: 0,
        cache_write_input_tokens: 1_500,
        reasoning_tokens: 10,
    });
    summary.stop_reason = Some(StopReason::MaxTokens);
    let mut err = ApiError::new(ErrorKind::Overloaded, "Overloaded");
    err.code = Some("overloaded_error".into());
    summary.error = Some(err);
    let attrs = span_attributes(&SpanInput {
        client_api: Api::AnthropicMessages,
        provider: "amazon_bedrock",
        request: &req,
        upstream_model: Some("anthropic.claude-sonnet-4-5-v1:0"),
        server: None,
        outcome: Outcome::Stream {
            summary: &summary,
            response_model: Some("anthropic.claude-sonnet-4-5-v1:0"),
        },
    });
    assert_eq!(
        attrs,
        vec![
            ("gen_ai.operation.name", s("chat")),
            ("gen_ai.provider.name", s("aws.bedrock")),
            (
                "gen_ai.request.model",
                s("anthropic.claude-sonnet-4-5-v1:0")
            ),
            ("gen_ai.request.max_tokens", Value::Int(1024)),
            ("gen_ai.request.top_k", Value::Double(40.0)),
            (
                "gen_ai.response.model",
                s("anthropic.claude-sonnet-4-5-v1:0")
            ),
            (
                "gen_ai.response.finish_reasons",
                Value::StrArray(vec!["length".into()])
            ),
            ("gen_ai.usage.input_tokens", Value::Int(2_000)),
            ("gen_ai.usage.output_tokens", Value::Int(50)),
            (
                "gen_ai.usage.cache_creation.input_tokens",
                Value::Int(1_500)
            ),
            ("error.type", s("overloaded_error")),
        ]
    );
    // Without a code the kind names the error.
    summary.error = Some(ApiError::new(ErrorKind::Timeout, "cut short"));
    summary.usage = None;
    summary.stop_reason = None;
    let attrs = span_attributes(&SpanInput {
        client_api: Api::Gemini,
        provider: "google",
        request: &req,
        upstream_model: None,
        server: None,
        outcome: Outcome::Stream {
            summary: &summary,
            response_model: None,
        },
    });
    assert_eq!(
        attrs,
        vec![
            ("gen_ai.operation.name", s("generate_content")),
            ("gen_ai.provider.name", s("gcp.gemini")),
            ("gen_ai.request.model", s("claude-sonnet-4-5")),
            ("gen_ai.request.max_tokens", Value::Int(1024)),
            ("gen_ai.request.top_k", Value::Double(40.0)),
            ("error.type", s("timeout")),
        ]
    );
}

#[test]
fn errors_before_a_response() {
    let body = r#"{"model":"gpt-9","input":"hi"}"#;
    let req = translate::decode_request(
        Api::OpenAiResponses,
        body.as_bytes(),
        &RequestMeta::default(),
    )
    .unwrap();
    let cases: Vec<(ExchangeError, &str)> = vec![
        (
            RequestError::UnknownModel {
                model: "gpt-9".into(),
            }
            .into(),
            "unknown_model",
        ),
        (
            RequestError::RateLimited {
                model: "gpt-9".into(),
                retry_after_ms: 5,
            }
            .into(),
            "rate_limited",
        ),
        (
            UpstreamError::Status {
                api: Api::OpenAiResponses,
                status: 503,
                body: Vec::new(),
                retry_after_ms: None,
            }
            .into(),
            "503",
        ),
        (
            UpstreamError::IdleTimeout { after_ms: 60_000 }.into(),
            "upstream_idle_timeout",
        ),
    ];
    for (err, code) in cases {
        let attrs = span_attributes(&SpanInput {
            client_api: Api::OpenAiResponses,
            provider: "my-vllm",
            request: &req,
            upstream_model: None,
            server: Some(("10.0.0.7", 8000)),
            outcome: Outcome::Error(&err),
        });
        assert_eq!(
            attrs,
            vec![
                ("gen_ai.operation.name", s("chat")),
                ("gen_ai.provider.name", s("my-vllm")),
                ("gen_ai.request.model", s("gpt-9")),
                ("server.address", s("10.0.0.7")),
                ("server.port", Value::Int(8000)),
                ("error.type", s(code)),
            ]
        );
    }
}

#[test]
fn provider_names_follow_the_conventions() {
    let cases = [
        ("openai", "openai"),
        ("anthropic", "anthropic"),
        ("claude", "anthropic"),
        ("gemini", "gcp.gemini"),
        ("amazon_bedrock", "aws.bedrock"),
        ("bedrock", "aws.bedrock"),
        ("azure_openai", "azure.ai.openai"),
        ("groq", "groq"),
        ("mistral", "mistral_ai"),
        ("deepseek", "deepseek"),
        ("xai", "x_ai"),
        ("grok", "x_ai"),
        ("ollama", "ollama"),
        ("OpenAI", "openai"),
        ("my-vllm", "my-vllm"),
    ];
    for (configured, expected) in cases {
        assert_eq!(provider_name(configured), expected, "{configured}");
    }
}

#[test]
fn timings() {
    // Streaming exchange: 3 ms before the upstream call, the upstream answers in 400 ms,
    // streams until 2 000, the gateway finishes 2 ms later.
    let t = Timing::of(&Timestamps {
        start_ms: 1_000,
        first_token_ms: Some(1_400),
        end_ms: 3_005,
        upstream: &[(1_003, 3_003)],
    });
    assert_eq!(
        t,
        Timing {
            duration_ms: 2_005,
            time_to_first_token_ms: Some(400),
            upstream_ms: 2_000,
            overhead_ms: 5
        }
    );
    // A failed attempt, 250 ms of backoff, a second attempt: backoff counts as overhead.
    let t = Timing::of(&Timestamps {
        start_ms: 0,
        first_token_ms: None,
        end_ms: 1_000,
        upstream: &[(10, 110), (360, 990)],
    });
    assert_eq!(t.upstream_ms, 730);
    assert_eq!(t.overhead_ms, 270);
    assert_eq!(t.time_to_first_token_ms, None);
    // Overlapping and out-of-range intervals are not double counted; reversed clocks give 0.
    let t = Timing::of(&Timestamps {
        start_ms: 100,
        first_token_ms: Some(50),
        end_ms: 200,
        upstream: &[(0, 150), (120, 300), (180, 170)],
    });
    assert_eq!(
        t,
        Timing {
            duration_ms: 100,
            time_to_first_token_ms: Some(0),
            upstream_ms: 100,
            overhead_ms: 0
        }
    );
    let t = Timing::of(&Timestamps {
        start_ms: 500,
        first_token_ms: None,
        end_ms: 100,
        upstream: &[],
    });
    assert_eq!(t.duration_ms, 0);
}

#[test]
fn metric_definitions() {
    let names: Vec<(&str, Instrument, &str)> = METRICS
        .iter()
        .map(|m| (m.name, m.instrument, m.unit))
        .collect();
    assert_eq!(
        names,
        vec![
            (
                "gen_ai.client.operation.duration",
                Instrument::Histogram,
                "s"
            ),
            (
                "gen_ai.client.token.usage",
                Instrument::Histogram,
                "{token}"
            ),
            (
                "gen_ai.client.operation.time_to_first_chunk",
                Instrument::Histogram,
                "s"
            ),
            ("plano.requests", Instrument::Counter, "{request}"),
            ("plano.rate_limited", Instrument::Counter, "{request}"),
            ("plano.upstream.errors", Instrument::Counter, "{error}"),
            ("plano.gateway.overhead", Instrument::Histogram, "s"),
        ]
    );
    for m in METRICS {
        assert!(!m.description.is_empty(), "{}", m.name);
        match m.instrument {
            Instrument::Counter => assert!(m.buckets.is_empty(), "{}", m.name),
            Instrument::Histogram => {
                assert!(m.buckets.windows(2).all(|w| w[0] < w[1]), "{}", m.name);
            }
        }
    }
    let tokens = MetricSpec::named("gen_ai.client.token.usage").unwrap();
    assert_eq!(tokens.buckets.first(), Some(&1.0));
    assert_eq!(tokens.buckets.last(), Some(&67_108_864.0));
    assert_eq!(
        MetricSpec::named("gen_ai.client.operation.duration")
            .unwrap()
            .buckets
            .len(),
        14
    );
    assert!(MetricSpec::named("nope").is_none());

    let attrs = vec![
        ("gen_ai.operation.name", s("chat")),
        ("gen_ai.provider.name", s("openai")),
        ("gen_ai.request.model", s("gpt-4o")),
        ("gen_ai.usage.input_tokens", Value::Int(3)),
        ("error.type", s("429")),
    ];
    let upstream_errors = MetricSpec::named("plano.upstream.errors").unwrap();
    assert_eq!(
        upstream_errors.labels(&attrs),
        vec![
            ("gen_ai.provider.name", s("openai")),
            ("gen_ai.request.model", s("gpt-4o")),
            ("error.type", s("429")),
        ]
    );
}
