//! The summary's model and response id (from the stream's start, passthrough and translated),
//! and a cut-short passthrough stream ending with the client API's error event.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod stream_util;

use hermesllm::Api;
use hermesllm::stream::StreamMeta;
use stream_util::{sse_events, transcode};

const ANTHROPIC: &str = include_str!("stream_fixtures/anthropic_messages-tools.sse");
const CHAT: &str = include_str!("stream_fixtures/openai_chat-tools.sse");
const GEMINI: &str = include_str!("stream_fixtures/gemini-tools.sse");
const RESPONSES: &str = include_str!("stream_fixtures/openai_responses-tools.sse");

fn meta() -> StreamMeta<'static> {
    StreamMeta {
        id: "gw-1".into(),
        created: 1_700_000_000,
        model: "m".into(),
        include_usage: true,
    }
}

fn run(from: Api, to: Api, input: &str) -> (Vec<u8>, hermesllm::stream::StreamSummary) {
    transcode(from, to, &meta(), &[input.as_bytes()])
}

#[test]
fn passthrough_summaries_name_model_and_id() {
    let (_, s) = run(Api::AnthropicMessages, Api::AnthropicMessages, ANTHROPIC);
    assert_eq!(s.model.as_deref(), Some("claude-sonnet-4-5"));
    assert_eq!(s.response_id.as_deref(), Some("msg_01"));

    let (_, s) = run(Api::OpenAiChat, Api::OpenAiChat, CHAT);
    assert_eq!(s.model.as_deref(), Some("gpt-4o"));
    assert_eq!(s.response_id.as_deref(), Some("c1"));

    let (_, s) = run(Api::Gemini, Api::Gemini, GEMINI);
    assert_eq!(s.model.as_deref(), Some("gemini-2.5-flash"));
    assert_eq!(s.response_id, None);

    let (_, s) = run(Api::OpenAiResponses, Api::OpenAiResponses, RESPONSES);
    assert_eq!(s.response_id.as_deref(), Some("resp_1"));
    assert_eq!(
        s.model, None,
        "the fixture's response.created names no model"
    );
}

#[test]
fn responses_passthrough_reads_model_from_response_created() {
    let input = "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"resp_9\",\"model\":\"gpt-4.1-2025\",\"output\":[]}}\n\n\
                 event: response.in_progress\ndata: {\"type\":\"response.in_progress\",\"response\":{\"id\":\"resp_other\",\"model\":\"other\"}}\n\n";
    let (_, s) = run(Api::OpenAiResponses, Api::OpenAiResponses, input);
    assert_eq!(s.response_id.as_deref(), Some("resp_9"));
    assert_eq!(s.model.as_deref(), Some("gpt-4.1-2025"));
}

#[test]
fn translated_summaries_name_the_upstream_model_not_the_meta() {
    let (_, s) = run(Api::AnthropicMessages, Api::OpenAiChat, ANTHROPIC);
    assert_eq!(s.model.as_deref(), Some("claude-sonnet-4-5"));
    assert_eq!(s.response_id.as_deref(), Some("msg_01"));
    let (_, s) = run(Api::OpenAiChat, Api::AnthropicMessages, CHAT);
    assert_eq!(s.model.as_deref(), Some("gpt-4o"));
}

#[test]
fn a_stream_without_a_start_names_nothing() {
    let (_, s) = run(Api::OpenAiChat, Api::OpenAiChat, "data: [DONE]\n\n");
    assert_eq!(s.model, None);
    assert_eq!(s.response_id, None);
    let (_, s) = run(Api::OpenAiChat, Api::OpenAiChat, "data: {not json\n\n");
    assert_eq!(s.model, None);
}

#[test]
fn cut_passthrough_drops_the_partial_event_and_ends_with_an_error_event() {
    let at = ANTHROPIC.find("event: message_delta").unwrap();
    let input = &ANTHROPIC[..at + 30];
    let (out, s) = run(Api::AnthropicMessages, Api::AnthropicMessages, input);
    let (kept, tail) = out.split_at(at);
    assert_eq!(
        kept,
        &ANTHROPIC.as_bytes()[..at],
        "complete events are forwarded as is"
    );
    let events = sse_events(tail);
    assert_eq!(events.len(), 1, "{}", String::from_utf8_lossy(tail));
    assert_eq!(events[0].0, "error");
    let v: serde_json::Value = serde_json::from_str(&events[0].1).unwrap();
    assert_eq!(v["type"], "error");
    assert_eq!(v["error"]["type"], "api_error");
    assert!(!String::from_utf8_lossy(tail).contains("message_delta"));
    assert!(!s.completed);
    assert_eq!(s.error.unwrap().status, 502);
}

#[test]
fn cut_chat_passthrough_ends_with_a_chat_error_chunk() {
    // Complete events only, but no `[DONE]`.
    let at = CHAT.find("data: [DONE]").unwrap();
    let input = &CHAT[..at];
    let (out, s) = run(Api::OpenAiChat, Api::OpenAiChat, input);
    assert!(out.starts_with(input.as_bytes()));
    let tail = &out[input.len()..];
    let events = sse_events(tail);
    assert!(!events.is_empty(), "no error event appended");
    let v: serde_json::Value = serde_json::from_str(&events[0].1).unwrap();
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ended before"),
        "{v}"
    );
    assert!(s.ended_in_error());
}

#[test]
fn complete_passthrough_is_unchanged_and_error_free() {
    for (api, input) in [
        (Api::AnthropicMessages, ANTHROPIC),
        (Api::OpenAiChat, CHAT),
        (Api::Gemini, GEMINI),
        (Api::OpenAiResponses, RESPONSES),
    ] {
        let (out, s) = run(api, api, input);
        assert_eq!(out, input.as_bytes(), "{api}");
        assert!(s.completed && !s.ended_in_error(), "{api}");
    }
}

#[test]
fn an_upstream_error_event_is_not_followed_by_a_second_one() {
    let input = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_x\",\"model\":\"c\"}}\n\n\
                 event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
    let (out, s) = run(Api::AnthropicMessages, Api::AnthropicMessages, input);
    assert_eq!(out, input.as_bytes());
    assert_eq!(s.error.unwrap().message, "Overloaded");
}
