//! Streams: decoding to the event grammar, errors and truncation.

use hermesllm::Api;
use hermesllm::ir::{BlockStart, Delta, StreamEvent};
use hermesllm::ir::{ErrorKind, StopReason, ToolCallKind, Usage};
use hermesllm::openai_responses::StreamDecoder;
use hermesllm::openai_responses::decode_response;
use hermesllm::stream::{Frame, StreamDecode};

use super::common::*;

// ---------------------------------------------------------------- streams

#[test]
fn text_stream_decodes_to_the_event_grammar() {
    let events = decode_stream(&stream_fixture("text.sse"));
    let expected: Vec<StreamEvent<'static>> = vec![
        StreamEvent::Start {
            id: "resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654".into(),
            model: "gpt-4.1-2025-04-14".into(),
            created: Some(1741290958),
            usage: None,
        },
        StreamEvent::BlockStart {
            index: 0,
            block: BlockStart::Text,
        },
        StreamEvent::Delta {
            index: 0,
            delta: Delta::Text("Hi".into()),
        },
        StreamEvent::Delta {
            index: 0,
            delta: Delta::Text(" there".into()),
        },
        StreamEvent::Delta {
            index: 0,
            delta: Delta::Text("! How can I".into()),
        },
        StreamEvent::Delta {
            index: 0,
            delta: Delta::Text(String::from("\nhelp you today?").into()),
        },
        StreamEvent::BlockStop { index: 0 },
        StreamEvent::Stop {
            reason: Some(StopReason::EndTurn),
            stop_sequence: None,
        },
        StreamEvent::Usage(Usage {
            input_tokens: 37,
            output_tokens: 11,
            ..Default::default()
        }),
        StreamEvent::Done,
    ];
    assert_eq!(events, expected);
}

#[test]
fn tool_streams_have_exact_arguments() {
    let events = decode_stream(&stream_fixture("tools.sse"));
    let (_, args, _, _) = collect(&events);
    assert_eq!(args, [r#"{"location":"Boston, MA","unit":"celsius"}"#]);
    assert_eq!(stop_of(&events), Some(StopReason::ToolUse));
    assert!(events.contains(&StreamEvent::BlockStart {
        index: 0,
        block: BlockStart::ToolCall {
            id: "call_unLAR8MvFNptuiZK6K6HCy5k".into(),
            name: "get_current_weather".into(),
            kind: ToolCallKind::Function
        }
    }));

    let events = decode_stream(&stream_fixture("parallel_tools.sse"));
    let (text, args, _, _) = collect(&events);
    assert_eq!(text, "Checking both cities.");
    assert_eq!(
        args,
        [
            r#"{"location":"Paris, France"}"#,
            r#"{"location":"Tokyo, Japan"}"#,
            r#"print("hello")"#
        ]
    );
    assert!(events.contains(&StreamEvent::BlockStart {
        index: 3,
        block: BlockStart::ToolCall {
            id: "call_Code03".into(),
            name: "code_exec".into(),
            kind: ToolCallKind::Custom
        }
    }));
    assert_eq!(events.last(), Some(&StreamEvent::Done));
}

#[test]
fn thinking_stream_matches_the_non_streaming_response() {
    let events = decode_stream(&stream_fixture("thinking.sse"));
    let (text, _, thinking, sig) = collect(&events);
    assert_eq!(text, "It is 14°C and cloudy in Paris.");
    assert_eq!(
        thinking,
        "**Determining the weather**\n\nThe user asks about Paris.\n\n**Choosing units**\n\nCelsius it is."
    );
    assert_eq!(
        sig,
        "gAAAAABoIPOE0j5Yg9ZpRdGM8k5kq5eM0SZ4d-NeHmdAV_QqqfYyoV6yJtXHwlWqnC-nzM8"
    );
    assert_eq!(
        events[1],
        StreamEvent::BlockStart {
            index: 0,
            block: BlockStart::Thinking {
                origin: Api::OpenAiResponses,
                id: Some("rs_6820f383d7c08191846711c5df8233bc0ac5ba57aafcbac7".into())
            }
        }
    );
    // Usage equals the non-streaming response's.
    let body = fixture("responses", "reasoning.json");
    assert_eq!(usage_of(&events), decode_response(&body).unwrap().usage);
}

#[test]
fn incomplete_stream_reports_max_tokens_and_cached_usage() {
    let events = decode_stream(&stream_fixture("usage_cached_incomplete.sse"));
    assert_eq!(stop_of(&events), Some(StopReason::MaxTokens));
    let body = fixture("responses", "cached_usage.json");
    let expected = decode_response(&body).unwrap().usage;
    assert_eq!(usage_of(&events), expected);
    assert_eq!(expected.unwrap().cache_read_input_tokens, 1920);
    // The empty reasoning item still opens and closes a thinking block.
    assert!(events.contains(&StreamEvent::BlockStop { index: 0 }));
    assert_eq!(events.last(), Some(&StreamEvent::Done));
}

#[test]
fn error_events_end_the_stream_with_an_error() {
    let events = decode_stream(&stream_fixture("error.sse"));
    let last = events.last().unwrap();
    let StreamEvent::Error(e) = last else {
        panic!("{last:?}")
    };
    assert_eq!(e.kind, ErrorKind::Server);
    assert_eq!(e.code.as_deref(), Some("server_error"));
    assert!(e.message.starts_with("The server had an error"));
    assert!(!events.contains(&StreamEvent::Done));
    assert_eq!(collect(&events).0, "Once upon");

    let events = decode_stream(&stream_fixture("failed.sse"));
    let StreamEvent::Error(e) = events.last().unwrap() else {
        panic!()
    };
    assert_eq!((e.kind, e.status), (ErrorKind::RateLimit, 429));
    assert!(!events.contains(&StreamEvent::Done));
}

#[test]
fn truncated_streams_end_with_an_error() {
    let text = stream_fixture("text.sse");
    let cut = text.rfind("event: response.completed").unwrap();
    let events = decode_stream(&text[..cut]);
    assert!(matches!(events.last(), Some(StreamEvent::Error(e)) if e.kind == ErrorKind::Server));
    assert!(!events.contains(&StreamEvent::Done));
    // Cut inside a block: the block is closed before the error.
    let cut = text.find("event: response.output_text.done").unwrap();
    let events = decode_stream(&text[..cut]);
    let n = events.len();
    assert_eq!(events[n - 2], StreamEvent::BlockStop { index: 0 });
    assert!(matches!(events[n - 1], StreamEvent::Error(_)));
}

#[test]
fn bad_stream_frames_are_errors() {
    let mut dec = StreamDecoder::new();
    let mut sink = |_: StreamEvent<'_>| {};
    assert!(
        dec.decode(
            &Frame::Sse {
                event: "x",
                data: "{not json"
            },
            &mut sink
        )
        .is_err()
    );
    assert!(
        dec.decode(
            &Frame::EventStream {
                message_type: "event",
                event_type: "x",
                payload: b"{}"
            },
            &mut sink
        )
        .is_err()
    );
    // Unknown event types are skipped.
    assert!(dec
        .decode(
            &Frame::Sse {
                event: "response.web_search_call.searching",
                data: r#"{"type":"response.web_search_call.searching","sequence_number":3,"output_index":0,"item_id":"ws_1"}"#
            },
            &mut sink
        )
        .is_ok());
}
