//! Same-API passthrough through the transcoder: bytes forwarded unchanged (but for the
//! OpenAI Chat usage chunk the client did not ask for), the summary found by scanning, and
//! the same output for any chunking.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod stream_util;

use hermesllm::Api;
use hermesllm::ir::{StopReason, Usage};
use hermesllm::stream::{StreamMeta, Transcoder};
use serde_json::Value;
use stream_util::{
    assert_transcode_split_invariant, chunk_time, chunks, eventstream_messages, sse_events,
    transcode,
};

const BENCH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/bench/openai-chat-stream-1000.sse"
);
const BEDROCK_TEXT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/bedrock/converse-stream-text.bin"
);
const BEDROCK_TOOLS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/bedrock/converse-stream-tools.bin"
);

fn meta(include_usage: bool) -> StreamMeta<'static> {
    StreamMeta {
        id: "gw-1".into(),
        created: 1_700_000_000,
        model: "m".into(),
        include_usage,
    }
}

/// The bytes of `input` without the SSE event whose data is `data`.
fn without_event(input: &[u8], data: &str) -> Vec<u8> {
    let needle = format!("data: {data}\n\n");
    let text = std::str::from_utf8(input).unwrap();
    let at = text.find(&needle).unwrap();
    let mut v = input[..at].to_vec();
    v.extend_from_slice(&input[at + needle.len()..]);
    v
}

#[test]
fn openai_chat_bench_passes_through_unchanged_when_usage_was_asked() {
    let input = std::fs::read(BENCH).unwrap();
    let (out, s) =
        assert_transcode_split_invariant(Api::OpenAiChat, Api::OpenAiChat, &meta(true), &input);
    assert_eq!(out, input);

    // The summary, checked against a full parse of every event.
    let events = sse_events(&input);
    let mut text = 0;
    for (_, data) in &events {
        if let Ok(v) = serde_json::from_str::<Value>(data)
            && let Some(c) = v["choices"][0]["delta"]["content"].as_str()
        {
            text += c.len();
        }
    }
    assert!(text > 1000);
    assert_eq!(s.output_text_bytes, text as u64);
    assert_eq!(s.frames, 1001);
    assert_eq!(
        s.usage,
        Some(Usage {
            input_tokens: 1533,
            output_tokens: 997,
            cache_read_input_tokens: 512,
            cache_write_input_tokens: 0,
            reasoning_tokens: 0,
        })
    );
    assert_eq!(s.stop_reason, Some(StopReason::EndTurn));
    assert_eq!(s.tool_calls, 0);
    assert!(s.completed);
    assert_eq!(s.error, None);
    assert_eq!(s.first_byte_ms, Some(chunk_time(0)));
    assert_eq!(s.first_token_ms, Some(chunk_time(0)));
}

#[test]
fn openai_chat_usage_chunk_is_hidden_when_the_client_did_not_ask() {
    let input = std::fs::read(BENCH).unwrap();
    let usage_event = sse_events(&input)
        .into_iter()
        .map(|(_, d)| d)
        .find(|d| d.contains("\"choices\":[]"))
        .unwrap();
    let expected = without_event(&input, &usage_event);
    let (out, s) =
        assert_transcode_split_invariant(Api::OpenAiChat, Api::OpenAiChat, &meta(false), &input);
    assert_eq!(out, expected);
    assert!(out.ends_with(b"\"finish_reason\":\"stop\"}],\"usage\":null}\n\ndata: [DONE]\n\n"));
    // The gateway still sees the usage.
    assert_eq!(s.usage.unwrap().output_tokens, 997);
}

#[test]
fn first_token_time_is_the_chunk_that_carried_it() {
    let input = std::fs::read(BENCH).unwrap();
    // The first event has an empty content (role only); the second carries the first token.
    let first = input.windows(2).position(|w| w == b"\n\n").unwrap() + 2;
    let second = first
        + input[first..]
            .windows(2)
            .position(|w| w == b"\n\n")
            .unwrap()
        + 2;
    let (_, s) = transcode(
        Api::OpenAiChat,
        Api::OpenAiChat,
        &meta(true),
        &chunks(&input, &[first, second - 1, second]),
    );
    assert_eq!(s.first_byte_ms, Some(chunk_time(0)));
    assert_eq!(s.first_token_ms, Some(chunk_time(2)));
}

const CHAT_TOOLS: &str = include_str!("stream_fixtures/openai_chat-tools.sse");

#[test]
fn openai_chat_parallel_tool_calls_are_counted() {
    let (out, s) = assert_transcode_split_invariant(
        Api::OpenAiChat,
        Api::OpenAiChat,
        &meta(false),
        CHAT_TOOLS.as_bytes(),
    );
    assert_eq!(s.tool_calls, 2);
    assert_eq!(s.output_text_bytes, 0);
    assert_eq!(s.stop_reason, Some(StopReason::ToolUse));
    let u = s.usage.unwrap();
    assert_eq!(
        (u.input_tokens, u.output_tokens, u.reasoning_tokens),
        (50, 30, 12)
    );
    // The keep-alive comment is forwarded; the usage chunk (with spaces in `[ ]`) is not.
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains(": keep-alive\n\n"));
    assert!(!text.contains("prompt_tokens"));
    assert!(text.ends_with("data: [DONE]\n\n"));
}

const ANTHROPIC: &str = include_str!("stream_fixtures/anthropic_messages-tools.sse");

#[test]
fn anthropic_passthrough_summary() {
    let input = ANTHROPIC.as_bytes();
    let (out, s) = assert_transcode_split_invariant(
        Api::AnthropicMessages,
        Api::AnthropicMessages,
        &meta(false),
        input,
    );
    assert_eq!(out, input);
    assert_eq!(
        s.output_text_bytes,
        ("Hello".len() + "! \u{e9}\n".len()) as u64
    );
    assert_eq!(s.tool_calls, 1);
    assert_eq!(s.stop_reason, Some(StopReason::ToolUse));
    assert_eq!(
        s.usage,
        Some(Usage {
            input_tokens: 2125,
            output_tokens: 15,
            cache_read_input_tokens: 2000,
            cache_write_input_tokens: 100,
            reasoning_tokens: 0,
        })
    );
    assert!(s.completed);
    assert_eq!(s.frames, 11);
}

#[test]
fn anthropic_truncated_stream_is_forwarded_and_flagged() {
    let start_of_cut_event = ANTHROPIC.find("event: message_delta").unwrap();
    let cut = start_of_cut_event + 30;
    let input = &ANTHROPIC.as_bytes()[..cut];
    let (out, s) = transcode(
        Api::AnthropicMessages,
        Api::AnthropicMessages,
        &meta(false),
        &[input],
    );
    // Everything up to the event the cut broke is forwarded verbatim; the partial event is
    // dropped and the stream ends with one Anthropic error event.
    let (kept, tail) = out.split_at(start_of_cut_event);
    assert_eq!(kept, &input[..start_of_cut_event]);
    let tail = std::str::from_utf8(tail).unwrap();
    assert!(
        tail.starts_with("event: error\ndata: {\"type\":\"error\""),
        "{tail}"
    );
    assert_eq!(tail.matches("event: ").count(), 1, "{tail}");
    assert!(!s.completed);
    assert!(s.ended_in_error());
    assert_eq!(s.error.unwrap().status, 502);
}

const RESPONSES: &str = include_str!("stream_fixtures/openai_responses-tools.sse");

#[test]
fn responses_passthrough_summary() {
    let input = RESPONSES.as_bytes();
    let (out, s) = assert_transcode_split_invariant(
        Api::OpenAiResponses,
        Api::OpenAiResponses,
        &meta(false),
        input,
    );
    assert_eq!(out, input);
    assert_eq!(s.output_text_bytes, 8);
    assert_eq!(s.tool_calls, 1);
    assert_eq!(s.stop_reason, Some(StopReason::ToolUse));
    assert_eq!(
        s.usage,
        Some(Usage {
            input_tokens: 36,
            output_tokens: 87,
            cache_read_input_tokens: 10,
            cache_write_input_tokens: 0,
            reasoning_tokens: 20,
        })
    );
    assert!(s.completed);
}

const GEMINI: &str = include_str!("stream_fixtures/gemini-tools.sse");

#[test]
fn gemini_passthrough_summary() {
    let input = GEMINI.as_bytes();
    let (out, s) = assert_transcode_split_invariant(Api::Gemini, Api::Gemini, &meta(false), input);
    assert_eq!(out, input);
    assert_eq!(s.output_text_bytes, "The answer is".len() as u64);
    assert_eq!(s.tool_calls, 1);
    assert_eq!(s.stop_reason, Some(StopReason::ToolUse));
    assert_eq!(
        s.usage,
        Some(Usage {
            input_tokens: 10,
            output_tokens: 25,
            cache_read_input_tokens: 4,
            cache_write_input_tokens: 0,
            reasoning_tokens: 5,
        })
    );
    assert!(s.completed);
    // The thought arrived in the first chunk: it is the first token.
    assert_eq!(s.first_token_ms, Some(chunk_time(0)));
}

/// Text deltas, tool starts and the metadata usage of a Bedrock capture, by full parse.
fn bedrock_expected(input: &[u8]) -> (u64, u32, Value) {
    let (msgs, _, _) = eventstream_messages(&[input]);
    let (mut text, mut tools, mut usage) = (0u64, 0u32, Value::Null);
    for m in &msgs {
        let v: Value = serde_json::from_slice(&m.payload).unwrap();
        match m.event_type.as_str() {
            "contentBlockDelta" => {
                if let Some(t) = v["delta"]["text"].as_str() {
                    text += t.len() as u64;
                }
            }
            "contentBlockStart" if v["start"]["toolUse"].is_object() => tools += 1,
            "metadata" => usage = v["usage"].clone(),
            _ => {}
        }
    }
    (text, tools, usage)
}

#[test]
fn bedrock_text_capture_passes_through() {
    let input = std::fs::read(BEDROCK_TEXT).unwrap();
    let (out, s) = assert_transcode_split_invariant(
        Api::BedrockConverse,
        Api::BedrockConverse,
        &meta(false),
        &input,
    );
    assert_eq!(out, input);
    let (text, tools, usage) = bedrock_expected(&input);
    assert!(text > 100);
    assert_eq!(s.output_text_bytes, text);
    assert_eq!(s.tool_calls, tools);
    assert_eq!(s.frames, 88);
    let u = s.usage.unwrap();
    assert_eq!(u.output_tokens, usage["outputTokens"].as_u64().unwrap());
    assert!(u.input_tokens >= usage["inputTokens"].as_u64().unwrap());
    // The capture stopped at the token limit.
    assert_eq!(s.stop_reason, Some(StopReason::MaxTokens));
    assert!(s.completed);
    assert_eq!(s.error, None);
}

#[test]
fn bedrock_tools_capture_passes_through() {
    let input = std::fs::read(BEDROCK_TOOLS).unwrap();
    let t = Transcoder::new(Api::BedrockConverse, Api::BedrockConverse, meta(false));
    assert_eq!(t.content_type(), "application/vnd.amazon.eventstream");
    let (out, s) = stream_util::run_transcoder(t, &[&input]);
    assert_eq!(out, input);
    let (text, tools, _) = bedrock_expected(&input);
    assert_eq!(tools, 1);
    assert_eq!(s.tool_calls, 1);
    assert_eq!(s.output_text_bytes, text);
    assert_eq!(s.stop_reason, Some(StopReason::ToolUse));
    assert_eq!(s.frames, 543);
    assert_eq!(
        s.usage,
        Some(Usage {
            input_tokens: 742,
            output_tokens: 539,
            ..Usage::default()
        })
    );
}

#[test]
fn oversized_event_ends_the_passthrough() {
    let mut input = b"data: {\"choices\":[{\"delta\":{\"content\":\"ok\"}}]}\n\n".to_vec();
    let before = input.clone();
    input.extend_from_slice(b"data: ");
    input.extend(std::iter::repeat_n(b'x', 1024 * 1024));
    input.extend_from_slice(b"\n\ndata: [DONE]\n\n");
    let mut t =
        Transcoder::new(Api::OpenAiChat, Api::OpenAiChat, meta(false)).with_max_event_size(100_000);
    let mut out = Vec::new();
    for c in input.chunks(16 * 1024) {
        t.push(c, 5, &mut out);
    }
    assert!(t.is_ended());
    assert!(t.buffer_capacity() < 16 * 1024);
    t.finish(6, &mut out);
    // The event before it went through; the error event is the client API's to write.
    assert!(out.starts_with(&before));
    assert!(!String::from_utf8_lossy(&out).contains("[DONE]"));
    let s = t.into_summary();
    assert!(s.ended_in_error());
    assert!(s.error.unwrap().message.contains("larger than"));
}

#[test]
fn passthrough_memory_stays_bounded() {
    // ~100 MB of the bench stream's content chunks, 16 KiB at a time.
    let input = std::fs::read(BENCH).unwrap();
    let first = input.windows(2).position(|w| w == b"\n\n").unwrap() + 2;
    let body = &input[first..input.len() - 700];
    let body = &body[..body.windows(2).rposition(|w| w == b"\n\n").unwrap() + 2];
    let mut t = Transcoder::new(Api::OpenAiChat, Api::OpenAiChat, meta(false));
    let (mut pushed, mut pos, mut max_cap) = (0usize, 0usize, 0usize);
    let mut out = Vec::new();
    let mut buf = Vec::new();
    let mut forwarded = 0usize;
    while pushed < 100 * 1024 * 1024 {
        buf.clear();
        while buf.len() < 16 * 1024 {
            let take = (16 * 1024 - buf.len()).min(body.len() - pos);
            buf.extend_from_slice(&body[pos..pos + take]);
            pos = (pos + take) % body.len();
        }
        t.push(&buf, 0, &mut out);
        pushed += buf.len();
        forwarded += out.len();
        out.clear();
        max_cap = max_cap.max(t.buffer_capacity());
    }
    assert!(forwarded + 16 * 1024 >= pushed);
    assert!(max_cap <= 64 * 1024, "framer holds {max_cap} bytes");
    assert!(t.summary().output_text_bytes > 1_000_000);
}

/// One eventstream message with string headers.
fn es_message(headers: &[(&'static str, &'static str)], payload: &'static [u8]) -> Vec<u8> {
    use aws_smithy_eventstream::frame::write_message_to;
    use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
    let mut m = Message::new(bytes::Bytes::from_static(payload));
    for (name, value) in headers {
        m = m.add_header(Header::new(*name, HeaderValue::String((*value).into())));
    }
    let mut out = Vec::new();
    write_message_to(&m, &mut out).unwrap();
    out
}

#[test]
fn bedrock_exception_is_recorded_and_forwarded() {
    let input = std::fs::read(BEDROCK_TEXT).unwrap();
    let (msgs, _, _) = eventstream_messages(&[&input]);
    let mut stream: Vec<u8> = msgs[..10].iter().flat_map(|m| m.raw.clone()).collect();
    stream.extend(es_message(
        &[
            (":message-type", "exception"),
            (":exception-type", "throttlingException"),
            (":content-type", "application/json"),
        ],
        b"{\"message\":\"Too many requests, please wait before trying again.\"}",
    ));
    let (out, s) = transcode(
        Api::BedrockConverse,
        Api::BedrockConverse,
        &meta(false),
        &[&stream],
    );
    assert_eq!(out, stream);
    let e = s.error.unwrap();
    assert_eq!(e.kind, hermesllm::ir::ErrorKind::RateLimit);
    assert_eq!(e.status, 429);
    assert!(!s.completed);

    // An `error` message carries its code and message in headers.
    let stream = es_message(
        &[
            (":message-type", "error"),
            (":error-code", "InternalFailure"),
            (":error-message", "boom"),
        ],
        b"",
    );
    let (_, s) = transcode(
        Api::BedrockConverse,
        Api::BedrockConverse,
        &meta(false),
        &[&stream],
    );
    let e = s.error.unwrap();
    assert_eq!(e.message, "boom");
    assert_eq!(e.code.as_deref(), Some("InternalFailure"));
}

#[test]
fn upstream_error_events_are_recorded_and_forwarded() {
    let cases: [(Api, &str); 4] = [
        (
            Api::OpenAiChat,
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\ndata: {\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n",
        ),
        (
            Api::AnthropicMessages,
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\nevent: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n",
        ),
        (
            Api::OpenAiResponses,
            "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"Hi\"}\n\nevent: response.failed\ndata: {\"type\":\"response.failed\",\"response\":{\"id\":\"resp_1\",\"status\":\"failed\",\"error\":{\"code\":\"server_error\",\"message\":\"The model failed\"},\"usage\":null}}\n\n",
        ),
        (
            Api::Gemini,
            "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}],\"role\":\"model\"}}]}\r\n\r\ndata: {\"error\":{\"code\":503,\"message\":\"The model is overloaded.\",\"status\":\"UNAVAILABLE\"}}\r\n\r\n",
        ),
    ];
    for (api, input) in cases {
        let (out, s) = transcode(api, api, &meta(false), &[input.as_bytes()]);
        assert_eq!(out, input.as_bytes(), "{api}");
        assert_eq!(s.output_text_bytes, 2, "{api}");
        assert!(s.ended_in_error(), "{api}");
        assert!(!s.completed, "{api}");
    }
    let (_, s) = transcode(
        Api::OpenAiResponses,
        Api::OpenAiResponses,
        &meta(false),
        &[cases[2].1.as_bytes()],
    );
    let e = s.error.unwrap();
    assert_eq!(e.message, "The model failed");
    assert_eq!(e.code.as_deref(), Some("server_error"));
}

#[test]
fn reasoning_and_refusal_deltas_count() {
    let input = concat!(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"Let me see\"}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"refusal\":\"No.\"}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"content_filter\"}]}\n\n",
        "data: [DONE]\n\n",
    );
    let (out, s) = transcode(
        Api::OpenAiChat,
        Api::OpenAiChat,
        &meta(false),
        &chunks(input.as_bytes(), &[10, 90]),
    );
    assert_eq!(out, input.as_bytes());
    // The reasoning (first chunk, completed in the second push) is the first token.
    assert_eq!(s.first_token_ms, Some(chunk_time(1)));
    assert_eq!(s.output_text_bytes, 3);
    assert_eq!(s.stop_reason, Some(StopReason::ContentFilter));
    assert!(s.completed);
    assert_eq!(s.usage, None);
}
