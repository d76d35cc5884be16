//! How a stream ends when the upstream fails it: an event that is not JSON in a
//! passthrough, the connection lost mid-stream ([`Transcoder::fail`]), and the gateway's own
//! response id ([`Transcoder::with_own_id`]).

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use hermesllm::Api;
use hermesllm::ir::{ApiError, ErrorKind};
use hermesllm::stream::{StreamMeta, Transcoder};

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn meta() -> StreamMeta<'static> {
    StreamMeta {
        id: "resp_meta".into(),
        created: 1_700_000_000,
        model: "m".into(),
        include_usage: false,
    }
}

fn lost() -> ApiError<'static> {
    let mut e = ApiError::new(ErrorKind::Server, "upstream connection lost mid-stream");
    e.status = 502;
    e
}

/// The JSON data of every SSE event in `out`.
fn data(out: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8(out.to_vec())
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter(|d| *d != "[DONE]")
        .map(|d| serde_json::from_str(d).unwrap())
        .collect()
}

/// The first `n` complete SSE events of `input`.
fn first_events(input: &[u8], n: usize) -> Vec<u8> {
    let text = String::from_utf8(input.to_vec()).unwrap();
    let mut out = String::new();
    for block in text.split_inclusive("\n\n").take(n) {
        out.push_str(block);
    }
    out.into_bytes()
}

#[test]
fn a_passthrough_event_that_is_not_json_ends_the_stream_with_an_error() {
    for (api, fixture_path) in [
        (Api::OpenAiChat, "openai_chat/streams/text.sse"),
        (
            Api::AnthropicMessages,
            "anthropic_messages/streams/text.sse",
        ),
        (Api::OpenAiResponses, "openai_responses/streams/text.sse"),
        (Api::Gemini, "gemini/streams/text.sse"),
    ] {
        let good = first_events(&fixture(fixture_path), 2);
        let mut input = good.clone();
        input.extend_from_slice(b"data: {\"choices\":[{\"delta\":{\"content\":\"cut\n\n");
        input.extend_from_slice(&fixture(fixture_path));
        let mut t = Transcoder::new(api, api, meta());
        let mut out = Vec::new();
        t.push(&input, 1, &mut out);
        t.finish(2, &mut out);
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(!text.contains("\"cut"), "{api}: garbage forwarded: {text}");
        assert!(
            out.starts_with(&good),
            "{api}: the good events pass unchanged"
        );
        assert!(
            t.summary().error.is_some() && t.is_ended(),
            "{api}: {:?}",
            t.summary()
        );
        // The good events, then exactly one error event, nothing after it.
        let events = data(&out);
        let last = events.last().unwrap();
        assert!(last.to_string().contains("error"), "{api}: {last}");
    }
}

#[test]
fn a_responses_passthrough_that_fails_continues_its_own_numbering() {
    let input = first_events(&fixture("openai_responses/streams/text.sse"), 4);
    let mut t = Transcoder::new(Api::OpenAiResponses, Api::OpenAiResponses, meta());
    let mut out = Vec::new();
    t.push(&input, 1, &mut out);
    t.fail(lost(), 2, &mut out);
    assert!(out.starts_with(&input));
    let events = data(&out);
    assert_eq!(
        events
            .iter()
            .filter(|e| e["type"] == "response.created")
            .count(),
        1
    );
    let last = events.last().unwrap();
    assert_eq!(last["type"], "error");
    let before = events[events.len() - 2]["sequence_number"]
        .as_u64()
        .unwrap();
    assert_eq!(last["sequence_number"].as_u64().unwrap(), before + 1);
    // Nothing more once failed.
    let mut more = Vec::new();
    t.finish(3, &mut more);
    t.fail(lost(), 3, &mut more);
    assert!(more.is_empty());
}

#[test]
fn a_translated_stream_that_fails_is_ended_by_its_own_encoder() {
    let input = first_events(&fixture("anthropic_messages/streams/text.sse"), 4);
    let mut t = Transcoder::new(Api::AnthropicMessages, Api::OpenAiResponses, meta());
    let mut out = Vec::new();
    t.push(&input, 1, &mut out);
    t.fail(lost(), 2, &mut out);
    let events = data(&out);
    assert_eq!(
        events
            .iter()
            .filter(|e| e["type"] == "response.created")
            .count(),
        1,
        "{events:?}"
    );
    let seqs: Vec<u64> = events
        .iter()
        .map(|e| e["sequence_number"].as_u64().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    assert_eq!(events.last().unwrap()["type"], "error");
}

#[test]
fn with_own_id_the_client_sees_the_gateways_id() {
    let input = fixture("anthropic_messages/streams/text.sse");
    let upstream_id = {
        let events = data(&input);
        events[0]["message"]["id"].as_str().unwrap().to_owned()
    };
    for own in [false, true] {
        let mut t = Transcoder::new(Api::AnthropicMessages, Api::OpenAiResponses, meta());
        if own {
            t = t.with_own_id("resp_gateway");
        }
        let mut out = Vec::new();
        t.push(&input, 1, &mut out);
        t.finish(2, &mut out);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.contains("resp_gateway"), own, "{text}");
        assert!(!text.contains("resp_meta"), "{text}");
        assert_eq!(text.contains(&upstream_id), !own, "{text}");
        if own {
            assert_eq!(t.summary().response_id.as_deref(), Some("resp_gateway"));
        }
    }
}

#[test]
fn a_withheld_end_can_still_be_refused_with_an_error_event() {
    // A caller holding the client bytes back (output filters) refuses the stream after the
    // transcoder wrote its end: the error event is still written, in the client's format.
    for (from, to, fixture_path, error_marker) in [
        (
            Api::OpenAiChat,
            Api::AnthropicMessages,
            "openai_chat/streams/text.sse",
            "event: error",
        ),
        (
            Api::OpenAiChat,
            Api::OpenAiChat,
            "openai_chat/streams/text.sse",
            "\"error\"",
        ),
        (
            Api::AnthropicMessages,
            Api::OpenAiResponses,
            "anthropic_messages/streams/text.sse",
            "\"error\"",
        ),
    ] {
        let mut t = Transcoder::new(from, to, meta());
        let mut withheld = Vec::new();
        t.push(&fixture(fixture_path), 1, &mut withheld);
        t.finish(2, &mut withheld);
        assert!(t.is_ended(), "{from:?} -> {to:?}");
        let mut plain = Vec::new();
        t.fail(lost(), 3, &mut plain);
        assert!(plain.is_empty(), "fail writes nothing after the end");
        let mut out = Vec::new();
        t.fail_withheld(lost(), 2, 3, &mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains(error_marker) && text.contains("connection lost"),
            "{from:?} -> {to:?}: {text}"
        );
    }
}
