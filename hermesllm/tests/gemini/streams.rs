//! Streams: decoding fixtures, same-API round trips, encoding foreign event sequences.

use hermesllm::gemini;
use hermesllm::ir::{
    ApiError, BlockStart, Delta, ErrorKind, StopReason, StreamEvent, ToolCallKind, Usage,
};
use hermesllm::stream::{Frame, StreamDecode, StreamEncode, StreamMeta};
use hermesllm::{Api, DecodeError, Str};
use serde_json::{Value, json};

use super::common::*;

/// An owned, comparable view of a stream event.
#[derive(Debug, Clone, PartialEq)]
enum Ev {
    Start { id: String, model: String },
    Text(u32),
    Thinking(u32),
    Tool(u32, String, String),
    TextDelta(u32, String),
    ThinkingDelta(u32, String),
    Sig(u32, String),
    Args(u32, String),
    Stop(u32),
    Finish(Option<String>),
    Usage(Usage),
    Error(ErrorKind, String),
    Done,
}

fn own(e: &StreamEvent<'_>) -> Ev {
    match e {
        StreamEvent::Start { id, model, .. } => Ev::Start {
            id: id.to_string(),
            model: model.to_string(),
        },
        StreamEvent::BlockStart { index, block } => match block {
            BlockStart::Text => Ev::Text(*index),
            BlockStart::Thinking { origin, .. } => {
                assert_eq!(*origin, Api::Gemini);
                Ev::Thinking(*index)
            }
            BlockStart::ToolCall { id, name, kind } => {
                assert_eq!(*kind, ToolCallKind::Function);
                Ev::Tool(*index, id.to_string(), name.to_string())
            }
            other => panic!("{other:?}"),
        },
        StreamEvent::Delta { index, delta } => match delta {
            Delta::Text(t) => Ev::TextDelta(*index, t.to_string()),
            Delta::Thinking(t) => Ev::ThinkingDelta(*index, t.to_string()),
            Delta::Signature(s) => Ev::Sig(*index, s.to_string()),
            Delta::ToolArguments(a) => Ev::Args(*index, a.to_string()),
            other => panic!("{other:?}"),
        },
        StreamEvent::BlockStop { index } => Ev::Stop(*index),
        StreamEvent::Stop {
            reason,
            stop_sequence,
        } => {
            assert_eq!(*stop_sequence, None);
            Ev::Finish(reason.as_ref().map(|r| format!("{r:?}")))
        }
        StreamEvent::Usage(u) => Ev::Usage(*u),
        StreamEvent::Error(e) => Ev::Error(e.kind, e.message.to_string()),
        StreamEvent::Done => Ev::Done,
        other => panic!("{other:?}"),
    }
}

/// The `data:` payloads of an SSE text (events split on blank lines, as the framer does).
fn data_of(text: &str) -> Vec<String> {
    text.replace("\r\n", "\n")
        .split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .map(|e| {
            e.lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .map(|l| l.strip_prefix(' ').unwrap_or(l))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect()
}

/// Decodes an SSE text, passing every event to `also` too.
fn decode_with(text: &str, also: &mut dyn FnMut(&StreamEvent<'_>)) -> Vec<Ev> {
    let mut dec = gemini::StreamDecoder::new();
    let mut evs = Vec::new();
    for data in data_of(text) {
        let frame = Frame::Sse {
            event: "",
            data: &data,
        };
        dec.decode(&frame, &mut |e| {
            also(&e);
            evs.push(own(&e));
        })
        .unwrap_or_else(|e| panic!("{data}: {e}"));
    }
    dec.finish(&mut |e| {
        also(&e);
        evs.push(own(&e));
    });
    evs
}

fn decode(text: &str) -> Vec<Ev> {
    decode_with(text, &mut |_| {})
}

fn stream(name: &str) -> String {
    String::from_utf8(fixture("streams", name)).unwrap()
}

fn encode(events: &[StreamEvent<'_>]) -> String {
    let mut enc = gemini::StreamEncoder::new(StreamMeta {
        id: "gw-1".into(),
        created: 1_700_000_000,
        model: "upstream-model".into(),
        include_usage: false,
    });
    let mut out = Vec::new();
    for e in events {
        enc.encode(e, &mut out);
    }
    String::from_utf8(out).unwrap()
}

fn texts(evs: &[Ev], block: u32) -> String {
    evs.iter()
        .filter_map(|e| match e {
            Ev::TextDelta(i, t) | Ev::ThinkingDelta(i, t) if *i == block => Some(t.as_str()),
            _ => None,
        })
        .collect()
}

fn response_usage(name: &str) -> Usage {
    let body = fixture("responses", name);
    gemini::decode_response(&body).unwrap().usage.unwrap()
}

// ---------------------------------------------------------------- decoding fixtures

#[test]
fn text_stream() {
    let evs = decode(&stream("text.sse"));
    assert_eq!(
        evs.first(),
        Some(&Ev::Start {
            id: "zu0YaPmzEY2Yz7IPqe_X-Ac".into(),
            model: "gemini-2.0-flash".into()
        })
    );
    assert_eq!(evs[1], Ev::Text(0));
    assert_eq!(
        texts(&evs, 0),
        "The quick brown fox jumps over the lazy dog. It was a sunny day in the forest."
    );
    let n = evs.len();
    assert_eq!(
        &evs[n - 4..],
        &[
            Ev::Stop(0),
            Ev::Finish(Some("EndTurn".into())),
            Ev::Usage(Usage {
                input_tokens: 9,
                output_tokens: 19,
                ..Usage::default()
            }),
            Ev::Done
        ]
    );
}

#[test]
fn tool_call_stream() {
    let evs = decode(&stream("tools.sse"));
    assert_eq!(evs[1], Ev::Tool(0, "call_0".into(), "find_theaters".into()));
    let Ev::Args(0, args) = &evs[2] else {
        panic!("{evs:?}")
    };
    assert_eq!(
        serde_json::from_str::<Value>(args).unwrap(),
        json!({"location": "Mountain View, CA", "movie": "Barbie"})
    );
    assert_eq!(evs[3], Ev::Stop(0));
    assert_eq!(evs[4], Ev::Finish(Some("ToolUse".into())));
    assert_eq!(response_usage("tool_call.json"), {
        let Ev::Usage(u) = evs[5] else { panic!() };
        u
    });
}

#[test]
fn parallel_tool_call_stream() {
    let evs = decode(&stream("parallel_tools.sse"));
    let starts: Vec<_> = evs
        .iter()
        .filter(|e| matches!(e, Ev::Text(_) | Ev::Tool(..) | Ev::Thinking(_)))
        .cloned()
        .collect();
    assert_eq!(
        starts,
        [
            Ev::Text(0),
            Ev::Tool(1, "call_0".into(), "power_disco_ball".into()),
            Ev::Tool(2, "call_1".into(), "start_music".into()),
            Ev::Tool(3, "fc_dim_01".into(), "dim_lights".into()),
        ]
    );
    let args: Vec<_> = evs
        .iter()
        .filter_map(|e| match e {
            Ev::Args(i, a) => Some((*i, a.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        args,
        [
            (1, r#"{"power": true}"#.to_owned()),
            (2, r#"{"energetic": true,"loud": true}"#.to_owned()),
            (3, r#"{"brightness": 0.5}"#.to_owned()),
        ]
    );
    // Each block is closed before the next opens.
    let pos = |e: &Ev| evs.iter().position(|x| x == e).unwrap();
    assert!(pos(&Ev::Stop(1)) < pos(&Ev::Tool(2, "call_1".into(), "start_music".into())));
    assert!(evs.contains(&Ev::Finish(Some("ToolUse".into()))));
    assert_eq!(evs.last(), Some(&Ev::Done));
}

#[test]
fn thinking_stream_with_signature() {
    let evs = decode(&stream("thinking.sse"));
    assert_eq!(evs[1], Ev::Thinking(0));
    assert_eq!(
        texts(&evs, 0),
        "**Analyzing the question**\n\nThe user asks for the sum of two numbers; this is simple arithmetic."
    );
    assert!(evs.contains(&Ev::Text(1)));
    assert_eq!(texts(&evs, 1), "2 + 2 = 4.");
    // The signature on the final empty text part is a signature-only thinking block.
    assert!(evs.contains(&Ev::Thinking(2)));
    assert!(evs.contains(&Ev::Sig(
        2,
        "CoMCAcu98PBm1qPtd3Q9oLZ8y3+KYn6ngk1gZ4lvkk3kUqCeEdFGGHSl0BWxq1qTOhvE".into()
    )));
    assert!(!evs.iter().any(|e| matches!(e, Ev::Text(3))));
    let usage = evs.iter().find_map(|e| match e {
        Ev::Usage(u) => Some(*u),
        _ => None,
    });
    assert_eq!(usage, Some(response_usage("thinking.json")));
    assert_eq!(usage.unwrap().reasoning_tokens, 166);
}

#[test]
fn thinking_then_tool_call_with_signature() {
    let evs = decode(&stream("thinking_tools.sse"));
    let sig = "Cp4BAdHtim9+Lh3CAcXtR4Mx3r0qkzWq2b6sL0hZk8Yw9d1eZaXNsZ3J".to_owned();
    assert_eq!(
        &evs[1..11],
        &[
            Ev::Thinking(0),
            Ev::ThinkingDelta(
                0,
                "**Checking the flight**\n\nI'll look up AA100 first.".into()
            ),
            Ev::Stop(0),
            Ev::Thinking(1),
            Ev::Sig(1, sig),
            Ev::Stop(1),
            Ev::Tool(2, "call_0".into(), "check_flight".into()),
            Ev::Args(2, r#"{"flight": "AA100"}"#.into()),
            Ev::Stop(2),
            Ev::Finish(Some("ToolUse".into())),
        ]
    );
}

#[test]
fn usage_with_cache_and_reasoning_matches_the_response() {
    let evs = decode(&stream("usage_cache.sse"));
    let usage: Vec<_> = evs
        .iter()
        .filter_map(|e| match e {
            Ev::Usage(u) => Some(*u),
            _ => None,
        })
        .collect();
    assert_eq!(usage, [response_usage("usage_cache.json")]);
    assert_eq!(usage[0].cache_read_input_tokens, 48000);
    assert_eq!(usage[0].input_tokens, 48362);
}

#[test]
fn other_finish_reasons() {
    let evs = decode(&stream("max_tokens.sse"));
    assert!(evs.contains(&Ev::Finish(Some("MaxTokens".into()))));
    let evs = decode(&stream("safety.sse"));
    assert!(evs.contains(&Ev::Finish(Some("ContentFilter".into()))));
    assert_eq!(texts(&evs, 0), "Sure, here is how");
}

#[test]
fn upstream_error_event_ends_the_stream() {
    let evs = decode(&stream("error.sse"));
    assert_eq!(
        evs.last(),
        Some(&Ev::Error(
            ErrorKind::Overloaded,
            "The model is overloaded. Please try again later.".into()
        ))
    );
    assert!(!evs.contains(&Ev::Done));
    assert_eq!(texts(&evs, 0), "Here is the first part of the answer");
}

#[test]
fn truncated_stream_finishes_with_an_error() {
    let evs = decode(&stream("truncated.sse"));
    assert_eq!(texts(&evs, 0), "This answer stops in the mid");
    let Some(Ev::Error(kind, msg)) = evs.last() else {
        panic!("{evs:?}")
    };
    assert_eq!(*kind, ErrorKind::Server);
    assert!(msg.contains("truncated"), "{msg}");
    assert!(!evs.contains(&Ev::Done));
    assert!(!evs.iter().any(|e| matches!(e, Ev::Finish(_))));
}

#[test]
fn bad_frames_are_decode_errors() {
    let mut dec = gemini::StreamDecoder::new();
    let err = dec
        .decode(
            &Frame::Sse {
                event: "",
                data: "{\"candidates\": [",
            },
            &mut |_| {},
        )
        .unwrap_err();
    assert!(matches!(err, DecodeError::Json { .. }), "{err:?}");
    let err = dec
        .decode(
            &Frame::EventStream {
                message_type: "event",
                event_type: "messageStart",
                payload: b"{}",
            },
            &mut |_| {},
        )
        .unwrap_err();
    assert!(matches!(err, DecodeError::Stream(_)), "{err:?}");
}

// ---------------------------------------------------------------- round trips

#[test]
fn every_stream_fixture_round_trips() {
    let all = fixtures("streams");
    assert!(all.len() >= 6);
    for (name, body) in &all {
        let text = String::from_utf8(body.clone()).unwrap();
        let mut enc = gemini::StreamEncoder::new(StreamMeta::default());
        let mut out = Vec::new();
        let first = decode_with(&text, &mut |e| enc.encode(e, &mut out));
        let out = String::from_utf8(out).unwrap();
        let second = decode(&out);
        assert_eq!(first, second, "{name}\n{out}");
        assert!(
            matches!(first.last(), Some(Ev::Done | Ev::Error(..))),
            "{name}"
        );
    }
}

// ---------------------------------------------------------------- encoding

#[test]
fn encodes_interleaved_parallel_tool_calls_and_foreign_thinking() {
    let tool = |index, id: &'static str, name: &'static str| StreamEvent::BlockStart {
        index,
        block: BlockStart::ToolCall {
            id: id.into(),
            name: name.into(),
            kind: ToolCallKind::Function,
        },
    };
    let args = |index, a: &'static str| StreamEvent::Delta {
        index,
        delta: Delta::ToolArguments(a.into()),
    };
    let events = vec![
        StreamEvent::Start {
            id: Str::default(),
            model: "claude-sonnet-4-5".into(),
            created: None,
            usage: Some(Usage {
                input_tokens: 40,
                ..Usage::default()
            }),
        },
        StreamEvent::BlockStart {
            index: 0,
            block: BlockStart::Thinking {
                origin: Api::AnthropicMessages,
                id: None,
            },
        },
        StreamEvent::Delta {
            index: 0,
            delta: Delta::Thinking("I should call both.".into()),
        },
        StreamEvent::Delta {
            index: 0,
            delta: Delta::Signature("EqQBCkYIBxgCKkB".into()),
        },
        StreamEvent::BlockStop { index: 0 },
        tool(1, "call_a", "get_weather"),
        tool(2, "call_b", "get_time"),
        args(1, r#"{"city":"#),
        args(2, r#"{"tz":"Europe/"#),
        args(1, r#""Paris"}"#),
        args(2, r#"Paris"}"#),
        StreamEvent::BlockStop { index: 1 },
        StreamEvent::BlockStop { index: 2 },
        StreamEvent::Stop {
            reason: Some(StopReason::ToolUse),
            stop_sequence: None,
        },
        StreamEvent::Usage(Usage {
            input_tokens: 40,
            output_tokens: 30,
            cache_read_input_tokens: 10,
            cache_write_input_tokens: 0,
            reasoning_tokens: 0,
        }),
        StreamEvent::Done,
    ];
    let out = encode(&events);
    let chunks: Vec<Value> = data_of(&out)
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    assert_eq!(chunks.len(), 4, "{out}");
    assert_eq!(chunks[0]["responseId"], "gw-1");
    assert_eq!(chunks[0]["modelVersion"], "claude-sonnet-4-5");
    assert_eq!(
        chunks[0]["candidates"][0]["content"]["parts"],
        json!([{"text": "I should call both.", "thought": true}])
    );
    assert_eq!(
        chunks[1]["candidates"][0]["content"]["parts"][0]["functionCall"],
        json!({"id": "call_a", "name": "get_weather", "args": {"city": "Paris"}})
    );
    assert_eq!(
        chunks[2]["candidates"][0]["content"]["parts"][0]["functionCall"],
        json!({"id": "call_b", "name": "get_time", "args": {"tz": "Europe/Paris"}})
    );
    assert_eq!(chunks[3]["candidates"][0]["finishReason"], "STOP");
    assert_eq!(
        chunks[3]["usageMetadata"],
        json!({"promptTokenCount": 40, "candidatesTokenCount": 30, "cachedContentTokenCount": 10, "totalTokenCount": 70})
    );
    assert!(!out.contains("EqQB"), "foreign signatures are not written");

    let evs = decode(&out);
    assert!(evs.contains(&Ev::Tool(1, "call_a".into(), "get_weather".into())));
    assert!(evs.contains(&Ev::Finish(Some("ToolUse".into()))));
}

#[test]
fn encodes_text_max_tokens_and_errors() {
    let events = vec![
        StreamEvent::Start {
            id: "chatcmpl-1".into(),
            model: "gpt-4o".into(),
            created: Some(1),
            usage: None,
        },
        StreamEvent::BlockStart {
            index: 0,
            block: BlockStart::Text,
        },
        StreamEvent::Delta {
            index: 0,
            delta: Delta::Text("Hello".into()),
        },
        StreamEvent::Delta {
            index: 0,
            delta: Delta::Text(" world".into()),
        },
        StreamEvent::BlockStop { index: 0 },
        StreamEvent::Stop {
            reason: Some(StopReason::MaxTokens),
            stop_sequence: None,
        },
        StreamEvent::Done,
    ];
    let out = encode(&events);
    let evs = decode(&out);
    assert_eq!(texts(&evs, 0), "Hello world");
    assert!(evs.contains(&Ev::Finish(Some("MaxTokens".into()))));
    assert!(out.contains("\"responseId\":\"chatcmpl-1\""));

    let mut err = ApiError::new(ErrorKind::RateLimit, "slow down");
    err.origin = Some(Api::OpenAiChat);
    let out = encode(&[StreamEvent::Error(err), StreamEvent::Done]);
    assert_eq!(
        data_of(&out),
        [r#"{"error":{"code":429,"message":"slow down","status":"RESOURCE_EXHAUSTED"}}"#]
    );
    let evs = decode(&out);
    assert_eq!(evs, [Ev::Error(ErrorKind::RateLimit, "slow down".into())]);
}

#[test]
fn truncated_frames_never_panic() {
    for (_, body) in fixtures("streams") {
        let text = String::from_utf8(body).unwrap();
        for data in data_of(&text) {
            let mut dec = gemini::StreamDecoder::new();
            for end in (0..data.len()).step_by(3) {
                let Some(cut) = data.get(..end) else { continue };
                let _ = dec.decode(
                    &Frame::Sse {
                        event: "",
                        data: cut,
                    },
                    &mut |_| {},
                );
            }
            dec.finish(&mut |_| {});
        }
    }
}
