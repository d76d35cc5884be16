//! Client headers forwarded with care, traceparent, and bodies translated or passed through.

use hermesllm::Api;
use plano_core::upstream::{Fault, UpstreamError};

use super::common::*;

#[test]
fn client_headers_forwarded_with_care() {
    let c = config(concat!(
        "  - model: openai/gpt-4o\n    access_key: $OPENAI_API_KEY\n    http_host: openai.internal\n    headers:\n      X-Proxy-Auth: Bearer $PROXY_TOKEN\n      X-Request-Source: gateway\n",
        "  - model: anthropic/claude-sonnet-4-5\n    access_key: $ANTHROPIC_API_KEY\n",
        "  - model: amazon_bedrock/us.anthropic.claude-sonnet-4-5-v1:0\n    access_key: $BEDROCK_TOKEN\n    base_url: https://bedrock-runtime.us-west-2.amazonaws.com\n",
    ));
    let client = [
        ("Host", "gateway.local"),
        ("Content-Length", "123"),
        ("Connection", "keep-alive, X-Hop"),
        ("X-Hop", "1"),
        ("Keep-Alive", "timeout=5"),
        ("Transfer-Encoding", "chunked"),
        ("Upgrade", "h2c"),
        ("Proxy-Authorization", "Basic cHJveHk="),
        ("Authorization", "Bearer client-KEY"),
        ("X-Api-Key", "client-KEY"),
        ("Cookie", "s=1"),
        ("Accept-Encoding", "gzip"),
        ("anthropic-beta", "prompt-caching-2024-07-31"),
        ("anthropic-version", "2023-01-01"),
        ("OpenAI-Organization", "org-1"),
        ("x-arch-llm-provider-hint", "mini"),
        ("x-amz-date", "20250101T000000Z"),
        ("X-Request-Id", "req-42"),
        ("User-Agent", "sdk/1.0"),
        ("X-Request-Source", "client"),
        (
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ),
        ("tracestate", "congo=t61rcWkgMzE"),
    ];
    let span = Some([0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]);
    let req = call(
        &c,
        "gpt-4o",
        &Call {
            headers: &client,
            span,
            ..Call::default()
        },
    );
    let pairs: Vec<(&str, &str)> = req
        .headers
        .iter()
        .map(|h| (h.name.as_str(), h.value()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("content-type", "application/json"),
            ("accept", "application/json"),
            ("openai-organization", "org-1"),
            ("x-request-id", "req-42"),
            ("user-agent", "sdk/1.0"),
            ("authorization", "Bearer sk-openai-SECRET1"),
            ("x-proxy-auth", "Bearer proxy-SECRET7"),
            ("x-request-source", "gateway"),
            (
                "traceparent",
                "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01"
            ),
            ("tracestate", "congo=t61rcWkgMzE"),
            ("host", "openai.internal"),
        ]
    );
    // anthropic-beta and the client's anthropic-version reach only an Anthropic upstream.
    let anthropic_body = br#"{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Hi"}]}"#;
    let to_anthropic = call(
        &c,
        "claude-sonnet-4-5",
        &Call {
            client: Api::AnthropicMessages,
            body: anthropic_body,
            headers: &client,
            ..Call::default()
        },
    );
    assert_eq!(
        to_anthropic.header("anthropic-beta"),
        Some("prompt-caching-2024-07-31")
    );
    assert_eq!(to_anthropic.header("anthropic-version"), Some("2023-01-01"));
    assert_eq!(to_anthropic.header("openai-organization"), None);
    assert_eq!(to_anthropic.header("x-api-key"), Some("sk-ant-SECRET2"));
    // An OpenAI client to Anthropic: the catalog's version, never the client's.
    let from_openai = call(
        &c,
        "claude-sonnet-4-5",
        &Call {
            headers: &client,
            ..Call::default()
        },
    );
    assert_eq!(from_openai.header("anthropic-version"), Some("2023-06-01"));
    let to_bedrock = call(
        &c,
        "us.anthropic.claude-sonnet-4-5-v1:0",
        &Call {
            client: Api::AnthropicMessages,
            body: anthropic_body,
            headers: &client,
            ..Call::default()
        },
    );
    assert_eq!(to_bedrock.header("anthropic-beta"), None);
    assert_eq!(to_bedrock.header("anthropic-version"), None);
    assert_eq!(to_bedrock.header("x-amz-date"), None);
    // No span id: the client's traceparent goes on unchanged; a malformed one is dropped.
    let tp = [(
        "traceparent",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    )];
    let req = call(
        &c,
        "claude-sonnet-4-5",
        &Call {
            headers: &tp,
            ..Call::default()
        },
    );
    assert_eq!(req.header("traceparent"), Some(tp[0].1));
    let bad = [("traceparent", "00-xyz-b7ad6b7169203331-01")];
    let req = call(
        &c,
        "claude-sonnet-4-5",
        &Call {
            headers: &bad,
            span,
            ..Call::default()
        },
    );
    assert_eq!(req.header("traceparent"), None);
}

#[test]
fn bodies_translated_or_passed_through() {
    let c = config(concat!(
        "  - model: openai/gpt-4o\n    access_key: $OPENAI_API_KEY\n",
        "  - model: anthropic/claude-sonnet-4-5\n    access_key: $ANTHROPIC_API_KEY\n",
        "  - model: gemini/gemini-2.5-flash\n    access_key: $GEMINI_API_KEY\n",
    ));
    let req = call(&c, "gpt-4o", &Call::default());
    assert!(req.passthrough && req.losses.0.is_empty());
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(
        (body["model"].as_str(), body["x_custom"].as_i64()),
        (Some("gpt-4o"), Some(1))
    );
    let req = call(&c, "claude-sonnet-4-5", &Call::default());
    assert_eq!((req.api, req.passthrough), (Api::AnthropicMessages, false));
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(body["model"], "claude-sonnet-4-5");
    assert_eq!(body["max_tokens"], 64);
    assert!(
        req.losses.0.iter().any(|l| l.path.contains("x_custom")),
        "{:?}",
        req.losses
    );
    let anthropic_body =
        br#"{"model":"x","max_tokens":64,"messages":[{"role":"user","content":"Hi"}]}"#;
    let req = call(
        &c,
        "gemini-2.5-flash",
        &Call {
            client: Api::AnthropicMessages,
            body: anthropic_body,
            ..Call::default()
        },
    );
    assert_eq!(req.api, Api::Gemini);
    assert!(
        serde_json::from_slice::<serde_json::Value>(&req.body)
            .unwrap()
            .get("model")
            .is_none()
    );
    // A body the client API cannot decode: the client's fault, a 400 in its shape.
    let e = try_call(
        &c,
        "claude-sonnet-4-5",
        &Call {
            body: b"{not json",
            ..Call::default()
        },
    )
    .unwrap_err();
    assert!(matches!(e, UpstreamError::Translate(_)), "{e:?}");
    assert_eq!((e.fault(), e.to_api_error().status), (Fault::Client, 400));
}
