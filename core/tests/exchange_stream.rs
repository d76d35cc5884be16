//! Exchange scenarios, streaming: same-API passthrough and cross-API transcoding for each
//! client API, chunk-split invariance, usage and summaries, broken and garbage streams.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod exchange_support;

use exchange_support::*;
use plano_core::exchange::driver::BodyError;

fn stream_chat(model: &str) -> String {
    format!(
        r#"{{"model":"{model}","stream":true,"stream_options":{{"include_usage":true}},"messages":[{{"role":"user","content":"Hi"}}],"max_tokens":50}}"#
    )
}

#[test]
fn chat_stream_passthrough_is_byte_identical() {
    let gw = Gw::new(config());
    let upstream = fixture("openai_chat/streams/text.sse");
    let (out, sent) = gw.post(
        "/v1/chat/completions",
        &stream_chat("gpt-4o-mini"),
        vec![Canned::chunked(&upstream, 13)],
    );
    assert_eq!(out.status, 200);
    assert_eq!(out.header("content-type"), Some("text/event-stream"));
    assert_eq!(sent[0].header("accept"), Some("text/event-stream"));
    assert_eq!(sent[0].json()["stream_options"]["include_usage"], true);
    assert_eq!(out.text(), String::from_utf8(upstream).unwrap());
    let s = out.record.summary.as_ref().unwrap();
    assert!(s.completed);
    assert!(out.record.error.is_none());
}

#[test]
fn chat_client_anthropic_stream_is_transcoded_and_split_invariant() {
    let gw = Gw::new(config());
    let upstream = fixture("anthropic_messages/streams/text.sse");
    let mut outputs = Vec::new();
    for size in [1, 7, 64, upstream.len()] {
        let (out, sent) = gw.post(
            "/v1/chat/completions",
            &stream_chat("claude-sonnet-4-5"),
            vec![Canned::chunked(&upstream, size)],
        );
        assert_eq!(out.status, 200);
        assert_eq!(sent[0].json()["stream"], true);
        let u = out.record.usage.unwrap();
        assert_eq!((u.input_tokens, u.output_tokens), (25, 15));
        // Bounded: no client chunk is larger than what one upstream chunk can release.
        if size == 1 {
            assert!(
                out.chunks.iter().all(|c| c.len() < 400),
                "streamed, not buffered"
            );
        }
        outputs.push(out.text());
    }
    assert!(outputs.windows(2).all(|w| w[0] == w[1]));
    let text = &outputs[0];
    assert!(text.contains(r#""content":"Hello""#), "{text}");
    assert!(text.contains("chat.completion.chunk"));
    assert!(
        text.contains(r#""id":"msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY""#)
            || text.contains("chatcmpl-")
    );
    assert!(text.trim_end().ends_with("data: [DONE]"), "{text}");
}

#[test]
fn anthropic_client_bedrock_capture_stream() {
    let gw = Gw::new(config());
    let upstream = bedrock_capture("converse-stream-text.bin");
    let body = r#"{"model":"us.anthropic.claude-sonnet-4-5-v1:0","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"Hi"}]}"#;
    let (out, sent) = gw.post("/v1/messages", body, vec![Canned::chunked(&upstream, 50)]);
    assert_eq!(out.status, 200, "{}", out.text());
    assert!(sent[0].url.ends_with("/converse-stream"), "{}", sent[0].url);
    assert_eq!(
        sent[0].header("accept"),
        Some("application/vnd.amazon.eventstream")
    );
    assert_eq!(out.header("content-type"), Some("text/event-stream"));
    let text = out.text();
    assert!(text.starts_with("event: message_start\n"), "{text}");
    assert!(text.contains("event: content_block_delta"));
    assert!(
        text.trim_end()
            .ends_with(r#"data: {"type":"message_stop"}"#),
        "{text}"
    );
    assert!(out.record.summary.as_ref().unwrap().completed);
    assert!(out.record.usage.is_some());
}

#[test]
fn bedrock_client_bedrock_stream_passthrough() {
    let gw = Gw::new(config());
    let upstream = bedrock_capture("converse-stream-tools.bin");
    let body = r#"{"messages":[{"role":"user","content":[{"text":"Hi"}]}]}"#;
    let (out, _) = gw.post(
        "/model/us.anthropic.claude-sonnet-4-5-v1:0/converse-stream",
        body,
        vec![Canned::chunked(&upstream, 33)],
    );
    assert_eq!(out.status, 200);
    assert_eq!(
        out.header("content-type"),
        Some("application/vnd.amazon.eventstream")
    );
    assert_eq!(out.body(), upstream);
    assert!(out.record.summary.as_ref().unwrap().tool_calls >= 1);
}

#[test]
fn gemini_and_responses_clients_stream_from_openai() {
    let gw = Gw::new(config());
    let upstream = fixture("openai_chat/streams/text.sse");
    let body = r#"{"contents":[{"role":"user","parts":[{"text":"Hi"}]}]}"#;
    let (out, sent) = gw.post(
        "/v1beta/models/gpt-4o-mini:streamGenerateContent?alt=sse",
        body,
        vec![Canned::chunked(&upstream, 10)],
    );
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(sent[0].json()["stream"], true);
    let text = out.text();
    assert!(text.starts_with("data: {"), "{text}");
    assert!(text.contains(r#""candidates""#));

    // Groq speaks only Chat: the Responses client is served by translation.
    let body = r#"{"model":"groq/llama-3.3-70b","input":"Hi","stream":true}"#;
    let (out, sent) = gw.post("/v1/responses", body, vec![Canned::chunked(&upstream, 10)]);
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(
        sent[0].url,
        "https://api.groq.com/openai/v1/chat/completions"
    );
    let text = out.text();
    assert!(text.starts_with("event: response.created\n"), "{text}");
    assert!(text.contains("event: response.completed"), "{text}");
    assert!(
        matches!(out.record.state, Some(Ok(_))),
        "{:?}",
        out.record.state
    );
}

#[test]
fn garbage_mid_stream_ends_with_an_error_event_in_the_client_format() {
    let gw = Gw::new(config());
    let upstream = b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"m\",\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\nevent: content_block_delta\ndata: {not json\n\n";
    let (out, _) = gw.post(
        "/v1/chat/completions",
        &stream_chat("claude-sonnet-4-5"),
        vec![Canned::chunked(upstream, 16)],
    );
    assert_eq!(out.status, 200);
    let text = out.text();
    assert!(text.contains(r#"{"error":"#), "{text}");
    assert!(out.record.summary.as_ref().unwrap().ended_in_error());

    // Anthropic client, Chat upstream cut short.
    let body = r#"{"model":"gpt-4o-mini","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"Hi"}]}"#;
    let (out, _) = gw.post(
        "/v1/messages",
        body,
        vec![Canned::chunked(
            &fixture("openai_chat/streams/truncated.sse"),
            20,
        )],
    );
    let text = out.text();
    assert!(text.contains("event: error\n"), "{text}");
}

#[test]
fn idle_timeout_mid_stream_is_an_error_event() {
    let gw = Gw::new(config());
    let upstream = fixture("anthropic_messages/streams/text.sse");
    let (out, _) = gw.post(
        "/v1/messages",
        r#"{"model":"claude-sonnet-4-5","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"Hi"}]}"#,
        vec![Canned::chunked(&upstream[..600], 50).then(BodyError::Idle)],
    );
    assert_eq!(out.status, 200);
    let text = out.text();
    assert!(text.starts_with("event: message_start"), "{text}");
    assert!(text.trim_end().ends_with("}"), "{text}");
    assert!(text.contains("event: error\n"), "{text}");
    assert!(text.contains("idle for 60000 ms"), "{text}");
    assert_eq!(
        out.record.error.as_ref().map(|e| e.code()),
        Some("upstream_idle_timeout")
    );
}

#[test]
fn gemini_without_alt_sse_gets_one_json_array() {
    let gw = Gw::new(config());
    let body = r#"{"contents":[{"role":"user","parts":[{"text":"Hi"}]}]}"#;
    for upstream_model in ["claude-sonnet-4-5", "gemini-2.5-flash"] {
        let upstream = if upstream_model.starts_with("claude") {
            fixture("anthropic_messages/streams/text.sse")
        } else {
            fixture("gemini/streams/text.sse")
        };
        let (out, sent) = gw.post(
            &format!("/v1beta/models/{upstream_model}:streamGenerateContent"),
            body,
            vec![Canned::chunked(&upstream, 9)],
        );
        assert_eq!(out.status, 200, "{}", out.text());
        assert!(sent[0].url.contains("stream") || sent[0].json()["stream"] == true);
        assert_eq!(out.header("content-type"), Some("application/json"));
        let arr = out.json();
        let items = arr.as_array().unwrap_or_else(|| panic!("{}", out.text()));
        assert!(items.len() >= 2, "{}", out.text());
        assert!(
            items
                .iter()
                .all(|i| i.get("candidates").is_some() || i.get("usageMetadata").is_some())
        );
    }
}
