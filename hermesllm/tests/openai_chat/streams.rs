//! Streams: decoding, round trips, the encoder and broken input.

use hermesllm::Api;
use hermesllm::ir::{self, Block, ErrorKind, StopReason, ToolCallKind, Usage};
use hermesllm::ir::{BlockStart, Delta, StreamEvent};
use hermesllm::openai_chat as oc;
use hermesllm::stream::{Frame, StreamDecode, StreamEncode, StreamMeta};
use serde_json::Value;

use super::common::*;

// ---------------------------------------------------------------------------------------
// Streams
// ---------------------------------------------------------------------------------------

/// The `data:` payloads of an SSE text (events split on blank lines, as the framer does).
fn sse_data(text: &str) -> Vec<String> {
    text.split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .map(|e| {
            e.lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .map(|d| d.strip_prefix(' ').unwrap_or(d))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect()
}

/// What a decoded stream said, plus every event's debug form.
#[derive(Debug, Default)]
struct Summary {
    events: Vec<String>,
    kinds: Vec<(u32, &'static str)>,
    start_id: String,
    text: String,
    thinking: String,
    refusal: String,
    /// (IR index, id, name, arguments)
    tools: Vec<(u32, String, String, String)>,
    stop: Option<String>,
    usage: Option<Usage>,
    error: Option<(ErrorKind, String)>,
    done: bool,
}

impl Summary {
    fn push(&mut self, e: &StreamEvent<'_>) {
        self.events.push(format!("{e:?}"));
        match e {
            StreamEvent::Start { id, .. } => self.start_id = id.to_string(),
            StreamEvent::BlockStart { index, block } => {
                let kind = match block {
                    BlockStart::Text => "text",
                    BlockStart::Refusal => "refusal",
                    BlockStart::Thinking { .. } => "thinking",
                    BlockStart::ToolCall { id, name, .. } => {
                        self.tools
                            .push((*index, id.to_string(), name.to_string(), String::new()));
                        "tool"
                    }
                    _ => "other",
                };
                self.kinds.push((*index, kind));
            }
            StreamEvent::Delta { index, delta } => {
                let kind = self.kinds.iter().find(|(i, _)| i == index).unwrap().1;
                match (kind, delta) {
                    ("text", Delta::Text(t)) => self.text.push_str(t),
                    ("refusal", Delta::Text(t)) => self.refusal.push_str(t),
                    ("thinking", Delta::Thinking(t)) => self.thinking.push_str(t),
                    ("tool", Delta::ToolArguments(a)) => {
                        let t = self.tools.iter_mut().find(|t| t.0 == *index).unwrap();
                        t.3.push_str(a);
                    }
                    other => panic!("delta {other:?} in a {kind} block"),
                }
            }
            StreamEvent::Stop { reason, .. } => self.stop = Some(format!("{reason:?}")),
            StreamEvent::Usage(u) => self.usage = Some(*u),
            StreamEvent::Error(e) => self.error = Some((e.kind, e.message.to_string())),
            StreamEvent::Done => self.done = true,
            _ => {}
        }
    }
}

fn stream_fixture(name: &str) -> String {
    String::from_utf8(fixture("streams", &format!("{name}.sse"))).unwrap()
}

/// Decodes an SSE text, feeding every event to `enc` as well.
fn transcode(text: &str, enc: &mut dyn StreamEncode) -> (Summary, String) {
    let mut dec = oc::StreamDecoder::new();
    let mut s = Summary::default();
    let mut out = Vec::new();
    for data in sse_data(text) {
        let frame = Frame::Sse {
            event: "",
            data: &data,
        };
        dec.decode(&frame, &mut |e| {
            s.push(&e);
            enc.encode(&e, &mut out);
        })
        .unwrap_or_else(|e| panic!("{e}: {data}"));
    }
    dec.finish(&mut |e| {
        s.push(&e);
        enc.encode(&e, &mut out);
    });
    (s, String::from_utf8(out).unwrap())
}

fn stream_meta(include_usage: bool) -> StreamMeta<'static> {
    StreamMeta {
        id: "chatcmpl-gw".into(),
        created: 1_700_000_000,
        model: "gw-model".into(),
        include_usage,
    }
}

fn decode_stream(text: &str) -> Summary {
    transcode(text, &mut oc::StreamEncoder::new(stream_meta(true))).0
}

#[test]
fn every_stream_fixture_round_trips_through_the_encoder() {
    let all = fixtures("streams");
    assert!(all.len() >= 6);
    for (name, body) in &all {
        let text = std::str::from_utf8(body).unwrap();
        let mut enc = oc::StreamEncoder::new(stream_meta(true));
        let (first, out) = transcode(text, &mut enc);
        let second = decode_stream(&out);
        if name == "truncated.sse" {
            // The truncation error is the gateway's own (no origin); re-decoded, it comes
            // from an OpenAI error event. Everything else is identical.
            let n = first.events.len();
            assert_eq!(first.events[..n - 1], second.events[..n - 1], "{name}");
            assert_eq!(first.error, second.error, "{name}");
            assert_eq!(second.events.len(), n);
        } else {
            assert_eq!(first.events, second.events, "{name}\n{out}");
        }
        assert!(
            first.events[0].starts_with("Start"),
            "{name}: {:?}",
            first.events
        );
        let last = first.events.last().unwrap();
        assert!(
            last == "Done" || last.starts_with("Error"),
            "{name}: {last}"
        );
    }
}

#[test]
fn stream_text_and_usage() {
    let s = decode_stream(&stream_fixture("text"));
    assert_eq!(s.start_id, "chatcmpl-BSa1UazcvuTxdoF8hJPQ7VrWqQjBr");
    assert_eq!(s.text, "Hello! How can I assist you today?");
    assert_eq!(s.stop.as_deref(), Some("Some(EndTurn)"));
    assert!(s.done);
    assert_eq!(
        s.events[1..3],
        [
            "BlockStart { index: 0, block: Text }",
            "Delta { index: 0, delta: Text(\"Hello\") }"
        ]
    );
    let n = s.events.len();
    assert_eq!(
        s.events[n - 4..],
        [
            "BlockStop { index: 0 }",
            "Stop { reason: Some(EndTurn), stop_sequence: None }",
            "Usage(Usage { input_tokens: 19, output_tokens: 10, cache_read_input_tokens: 0, cache_write_input_tokens: 0, reasoning_tokens: 0 })",
            "Done"
        ]
    );
}

#[test]
fn stream_usage_equals_the_non_streaming_usage() {
    for (stream, response) in [
        ("text", "text"),
        ("tools", "tool_call"),
        ("reasoning", "reasoning"),
        ("usage_cached", "cached_usage"),
        ("parallel_tools", "parallel_tool_calls"),
    ] {
        let s = decode_stream(&stream_fixture(stream));
        let body = resp(response);
        let r = oc::decode_response(&body).unwrap();
        assert_eq!(s.usage, r.usage, "{stream}");
    }
    let s = decode_stream(&stream_fixture("usage_cached"));
    assert_eq!(s.usage.unwrap().cache_read_input_tokens, 1920);
    assert_eq!(s.usage.unwrap().input_tokens, 2006);
}

#[test]
fn stream_tool_call_arguments_are_exact() {
    let s = decode_stream(&stream_fixture("tools"));
    assert_eq!(
        s.tools,
        [(
            0,
            "call_DdmO9pD3xa9XTPNJ32zg2hcA".to_owned(),
            "get_weather".to_owned(),
            r#"{"location":"Paris, France","unit":"celsius"}"#.to_owned()
        )]
    );
    assert_eq!(s.stop.as_deref(), Some("Some(ToolUse)"));
    assert!(s.text.is_empty());

    let s = decode_stream(&stream_fixture("parallel_tools"));
    assert_eq!(s.text, "Let me check both.");
    assert_eq!(
        s.tools,
        [
            (
                1,
                "call_abc123".to_owned(),
                "get_weather".to_owned(),
                r#"{"location":"Paris, France","unit":"celsius"}"#.to_owned()
            ),
            (
                2,
                "call_def456".to_owned(),
                "get_time".to_owned(),
                r#"{"timezone":"Asia/Tokyo"}"#.to_owned()
            ),
        ]
    );
    // The text block closes when the first call starts; calls close at the finish reason.
    let pos = |ev: &str| s.events.iter().position(|e| e == ev).unwrap();
    assert!(
        pos("BlockStop { index: 0 }")
            < pos(
                "BlockStart { index: 1, block: ToolCall { id: \"call_abc123\", name: \"get_weather\", kind: Function } }"
            )
    );
    assert!(
        pos("BlockStop { index: 2 }") < pos("Stop { reason: Some(ToolUse), stop_sequence: None }")
    );
}

#[test]
fn interleaved_parallel_tool_deltas_are_followed_exactly() {
    let chunks = [
        r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"a","type":"function","function":{"name":"f","arguments":"{\"x\":"}},{"index":1,"id":"b","type":"function","function":{"name":"g","arguments":"{\"y\":"}}]},"finish_reason":null}]}"#,
        r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"2}"}},{"index":0,"function":{"arguments":"1}"}}]},"finish_reason":null}]}"#,
        r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
        "[DONE]",
    ];
    let text: String = chunks.iter().map(|c| format!("data: {c}\n\n")).collect();
    let mut enc = oc::StreamEncoder::new(stream_meta(false));
    let (s, out) = transcode(&text, &mut enc);
    assert_eq!(s.tools[0].3, r#"{"x":1}"#);
    assert_eq!(s.tools[1].3, r#"{"y":2}"#);
    assert!(s.done);
    let again = decode_stream(&out);
    assert_eq!(again.tools, s.tools);
}

#[test]
fn stream_reasoning_refusal_and_length() {
    let s = decode_stream(&stream_fixture("reasoning"));
    assert_eq!(
        s.thinking,
        "s-t-r-a-w-b-e-r-r-y: r at positions 3, 8 and 9. That is three."
    );
    assert_eq!(s.text, "There are 3 Rs in 'strawberry'.");
    assert_eq!(s.kinds, [(0, "thinking"), (1, "text")]);
    assert!(s.events[1].contains("origin: OpenAiChat"));
    // Usage came in the finish chunk; it still follows Stop.
    let stop = s.events.iter().position(|e| e.starts_with("Stop")).unwrap();
    assert!(s.events[stop + 1].starts_with("Usage("));
    assert_eq!(s.usage.unwrap().reasoning_tokens, 384);

    let s = decode_stream(&stream_fixture("refusal"));
    assert_eq!(s.refusal, "I'm sorry, I can't help with that request.");
    assert_eq!(s.kinds, [(0, "refusal")]);
    assert_eq!(s.usage, None);

    let s = decode_stream(&stream_fixture("length"));
    assert_eq!(s.stop.as_deref(), Some("Some(MaxTokens)"));
}

#[test]
fn stream_errors_and_truncation() {
    let s = decode_stream(&stream_fixture("error"));
    assert_eq!(s.text, "The answeris");
    let (kind, message) = s.error.clone().unwrap();
    assert_eq!(kind, ErrorKind::Server);
    assert!(message.starts_with("The server had an error"));
    assert!(!s.done);
    assert!(s.events.last().unwrap().starts_with("Error"));

    let s = decode_stream(&stream_fixture("truncated"));
    assert_eq!(s.text, "Partial answer");
    assert!(!s.done);
    assert_eq!(s.error.unwrap().0, ErrorKind::Server);

    // A finish reason without [DONE] is complete.
    let text = "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":\"stop\"}]}\n\n";
    let s = decode_stream(text);
    assert!(s.done);
    assert!(s.error.is_none());
}

#[test]
fn bad_stream_frames_are_errors() {
    let mut dec = oc::StreamDecoder::new();
    let mut n = 0;
    assert!(
        dec.decode(
            &Frame::Sse {
                event: "",
                data: "{not json"
            },
            &mut |_| n += 1
        )
        .is_err()
    );
    assert!(
        dec.decode(
            &Frame::Sse {
                event: "",
                data: r#"{"choices":[{"delta":{"content":5}}]}"#
            },
            &mut |_| n += 1
        )
        .is_err()
    );
    assert!(
        dec.decode(
            &Frame::EventStream {
                message_type: "event",
                event_type: "messageStart",
                payload: b"{}"
            },
            &mut |_| n += 1
        )
        .is_err()
    );
    assert_eq!(n, 0);
}

fn encode_events(events: &[StreamEvent<'_>], include_usage: bool) -> Vec<Value> {
    let mut enc = oc::StreamEncoder::new(stream_meta(include_usage));
    let mut out = Vec::new();
    for e in events {
        enc.encode(e, &mut out);
    }
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.ends_with("data: [DONE]\n\n") || text.contains("\"error\""),
        "{text}"
    );
    sse_data(&text)
        .into_iter()
        .filter(|d| d != "[DONE]")
        .map(|d| serde_json::from_str(&d).unwrap())
        .collect()
}

#[test]
fn encoder_maps_events_from_other_apis() {
    // Anthropic-shaped: start with input usage, thinking with a signature, text, a tool call,
    // stop, cumulative usage.
    let events = [
        StreamEvent::Start {
            id: "msg_01".into(),
            model: "claude-sonnet-4".into(),
            created: None,
            usage: Some(Usage {
                input_tokens: 500,
                cache_read_input_tokens: 400,
                output_tokens: 1,
                ..Default::default()
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
            delta: Delta::Thinking("Let me think".into()),
        },
        StreamEvent::Delta {
            index: 0,
            delta: Delta::Signature("EqQBCgIYAhIM".into()),
        },
        StreamEvent::BlockStop { index: 0 },
        StreamEvent::BlockStart {
            index: 1,
            block: BlockStart::Text,
        },
        StreamEvent::Delta {
            index: 1,
            delta: Delta::Text("Checking.".into()),
        },
        StreamEvent::BlockStop { index: 1 },
        StreamEvent::BlockStart {
            index: 2,
            block: BlockStart::ToolCall {
                id: "toolu_01".into(),
                name: "get_weather".into(),
                kind: ToolCallKind::Function,
            },
        },
        StreamEvent::Delta {
            index: 2,
            delta: Delta::ToolArguments("{\"location\":".into()),
        },
        StreamEvent::Delta {
            index: 2,
            delta: Delta::ToolArguments("\"Paris\"}".into()),
        },
        StreamEvent::BlockStop { index: 2 },
        StreamEvent::Stop {
            reason: Some(StopReason::ToolUse),
            stop_sequence: None,
        },
        StreamEvent::Usage(Usage {
            input_tokens: 500,
            cache_read_input_tokens: 400,
            output_tokens: 42,
            ..Default::default()
        }),
        StreamEvent::Done,
    ];
    let chunks = encode_events(&events, true);
    for c in &chunks {
        assert_eq!(c["id"], "msg_01");
        assert_eq!(c["model"], "claude-sonnet-4");
        assert_eq!(c["created"], 1_700_000_000);
        assert_eq!(c["object"], "chat.completion.chunk");
    }
    let deltas: Vec<_> = chunks
        .iter()
        .map(|c| c["choices"][0]["delta"].clone())
        .collect();
    assert_eq!(
        deltas[0],
        serde_json::json!({"role":"assistant","content":""})
    );
    assert_eq!(
        deltas[1],
        serde_json::json!({"reasoning_content":"Let me think"})
    );
    assert_eq!(deltas[2], serde_json::json!({"content":"Checking."}));
    assert_eq!(
        deltas[3],
        serde_json::json!({"tool_calls":[{"index":0,"id":"toolu_01","type":"function","function":{"name":"get_weather","arguments":""}}]})
    );
    assert_eq!(
        deltas[4],
        serde_json::json!({"tool_calls":[{"index":0,"function":{"arguments":"{\"location\":"}}]})
    );
    assert_eq!(chunks[6]["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(chunks[6]["choices"][0]["delta"], serde_json::json!({}));
    assert_eq!(chunks[7]["choices"], serde_json::json!([]));
    assert_eq!(
        chunks[7]["usage"],
        serde_json::json!({"prompt_tokens":500,"completion_tokens":42,"total_tokens":542,
            "prompt_tokens_details":{"cached_tokens":400},
            "completion_tokens_details":{"reasoning_tokens":0}})
    );
    assert_eq!(chunks.len(), 8);

    // Without include_usage there is no usage chunk.
    let chunks = encode_events(&events, false);
    assert_eq!(chunks.len(), 7);
    assert!(chunks.iter().all(|c| c.get("usage").is_none()));
}

#[test]
fn encoder_fills_in_missing_start_fields_and_finish_reason() {
    let events = [
        StreamEvent::Start {
            id: "".into(),
            model: "".into(),
            created: None,
            usage: None,
        },
        StreamEvent::BlockStart {
            index: 0,
            block: BlockStart::Refusal,
        },
        StreamEvent::Delta {
            index: 0,
            delta: Delta::Text("No.".into()),
        },
        StreamEvent::BlockStop { index: 0 },
        StreamEvent::Done,
    ];
    let chunks = encode_events(&events, false);
    assert_eq!(chunks[0]["id"], "chatcmpl-gw");
    assert_eq!(chunks[0]["model"], "gw-model");
    assert_eq!(chunks[1]["choices"][0]["delta"]["refusal"], "No.");
    assert_eq!(chunks[2]["choices"][0]["finish_reason"], "stop");

    // An error event is written in the OpenAI error shape and ends the stream.
    let mut enc = oc::StreamEncoder::new(stream_meta(true));
    let mut out = Vec::new();
    enc.encode(
        &StreamEvent::Error(ir::ApiError::new(ErrorKind::Overloaded, "busy")),
        &mut out,
    );
    enc.encode(&StreamEvent::Done, &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "data: {\"error\":{\"message\":\"busy\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n"
    );
}

#[test]
fn truncated_and_corrupted_inputs_never_panic() {
    for kind in ["requests", "responses", "errors", "streams"] {
        for (name, body) in fixtures(kind) {
            let step = (body.len() / 97).max(1);
            for cut in (0..body.len()).step_by(step) {
                let prefix = &body[..cut];
                let _ = oc::decode_request(prefix, &meta());
                let _ = oc::decode_response(prefix);
                let e = oc::decode_error(500, prefix);
                assert_eq!(e.status, 500, "{name}");
                let mut corrupted = body.clone();
                corrupted[cut] = b'"';
                let _ = oc::decode_request(&corrupted, &meta());
                let _ = oc::decode_response(&corrupted);
                if kind == "streams" {
                    let text = String::from_utf8_lossy(&corrupted);
                    let mut dec = oc::StreamDecoder::new();
                    let mut enc = oc::StreamEncoder::new(stream_meta(true));
                    let mut out = Vec::new();
                    for data in sse_data(&text) {
                        let frame = Frame::Sse {
                            event: "",
                            data: &data,
                        };
                        let _ = dec.decode(&frame, &mut |e| enc.encode(&e, &mut out));
                    }
                    dec.finish(&mut |e| enc.encode(&e, &mut out));
                }
            }
        }
    }
}

#[test]
fn reasoning_field_of_compatible_servers_is_read() {
    let body = br#"{"id":"gen-1","object":"chat.completion","created":1,"model":"qwen3","choices":[{"index":0,"message":{"role":"assistant","content":"4","reasoning":"2+2=4"},"finish_reason":"stop"}]}"#;
    let r = oc::decode_response(body).unwrap();
    assert!(matches!(&r.choices[0].content[0], Block::Thinking { text, .. } if text == "2+2=4"));
    let text = "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning\":\"hm\"},\"finish_reason\":null}]}\n\ndata: [DONE]\n\n";
    let s = decode_stream(text);
    assert_eq!(s.thinking, "hm");
    // Both names present (newer vLLM): reasoning_content wins, no duplicate-field error.
    let body = br#"{"choices":[{"index":0,"message":{"role":"assistant","content":"x","reasoning_content":"a","reasoning":"a"},"finish_reason":"stop"}]}"#;
    let r = oc::decode_response(body).unwrap();
    assert_eq!(r.choices[0].content.len(), 2);
}
