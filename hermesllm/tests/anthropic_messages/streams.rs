//! Streams: decoding, round trips and encoding from another API.

use std::collections::BTreeMap;

use hermesllm::anthropic_messages as am;
use hermesllm::ir::{self, Block, ErrorKind, StopReason, ToolCallKind, Usage};
use hermesllm::ir::{BlockStart, Delta, StreamEvent};
use hermesllm::stream::{Frame, StreamDecode, StreamEncode, StreamMeta};
use hermesllm::{Api, Losses, ResponseMeta};
use serde_json::Value;

use super::common::*;

// ---------------------------------------------------------------------------------------------
// Streams

fn stream_text(name: &str) -> String {
    String::from_utf8(fixture("streams", &format!("{name}.sse"))).unwrap()
}

#[derive(Debug, Default)]
struct Summary {
    events: Vec<String>,
    starts: Vec<String>,
    text: BTreeMap<u32, String>,
    args: BTreeMap<u32, String>,
    thinking: BTreeMap<u32, String>,
    signature: BTreeMap<u32, String>,
    stop: Option<StopReason<'static>>,
    usage: Option<Usage>,
    start_usage: Option<Usage>,
    errors: Vec<(ErrorKind, String)>,
    done: usize,
}

impl Summary {
    fn apply(&mut self, ev: &StreamEvent<'_>) {
        self.events.push(format!("{ev:?}"));
        match ev {
            StreamEvent::Start { usage, .. } => self.start_usage = *usage,
            StreamEvent::BlockStart { index, block } => {
                self.starts.push(format!("{index}:{block:?}"));
            }
            StreamEvent::Delta { index, delta } => {
                let (map, t) = match delta {
                    Delta::Text(t) => (&mut self.text, t),
                    Delta::ToolArguments(t) => (&mut self.args, t),
                    Delta::Thinking(t) => (&mut self.thinking, t),
                    Delta::Signature(t) => (&mut self.signature, t),
                    other => panic!("{other:?}"),
                };
                map.entry(*index).or_default().push_str(t);
            }
            StreamEvent::Stop { reason, .. } => {
                self.stop = reason.clone().map(|r| match r {
                    StopReason::Other(s) => StopReason::Other(s.into_owned()),
                    StopReason::EndTurn => StopReason::EndTurn,
                    StopReason::ToolUse => StopReason::ToolUse,
                    StopReason::MaxTokens => StopReason::MaxTokens,
                    other => panic!("{other:?}"),
                });
            }
            StreamEvent::Usage(u) => self.usage = Some(*u),
            StreamEvent::Error(e) => self.errors.push((e.kind, e.message.to_string())),
            StreamEvent::Done => self.done += 1,
            _ => {}
        }
    }
}

/// Decodes SSE text, feeding every event to `enc` as well; returns the summary and the
/// encoder's output.
fn run(text: &str, enc: &mut dyn StreamEncode) -> (Summary, Vec<u8>) {
    let mut dec = am::StreamDecoder::new();
    let mut s = Summary::default();
    let mut out = Vec::new();
    for (event, data) in sse(text) {
        let frame = Frame::Sse {
            event: &event,
            data: &data,
        };
        dec.decode(&frame, &mut |ev| {
            s.apply(&ev);
            enc.encode(&ev, &mut out);
        })
        .unwrap();
    }
    dec.finish(&mut |ev| {
        s.apply(&ev);
        enc.encode(&ev, &mut out);
    });
    (s, out)
}

fn decode_only(text: &str) -> Summary {
    let mut sink = am::StreamEncoder::new(StreamMeta::default());
    run(text, &mut sink).0
}

#[test]
fn stream_fixtures_decode_and_round_trip() {
    let all = fixtures("streams");
    assert!(all.len() >= 6);
    for (name, body) in &all {
        let text = String::from_utf8(body.clone()).unwrap();
        let mut enc = am::StreamEncoder::new(StreamMeta::default());
        let (first, out) = run(&text, &mut enc);
        assert!(first.done + first.errors.len() == 1, "{name}: {first:?}");
        let out = String::from_utf8(out).unwrap();
        let second = decode_only(&out);
        assert_eq!(first.events, second.events, "{name}\n{out}");
        // Every event name matches its data's type, as Anthropic documents.
        for (event, data) in sse(&out) {
            assert_eq!(json(data.as_bytes())["type"], event.as_str(), "{name}");
        }
    }
}

#[test]
fn stream_plain_text() {
    let s = decode_only(&stream_text("text"));
    assert_eq!(s.starts, ["0:Text"]);
    assert_eq!(s.text[&0], "Hello! How can I help\nyou today?");
    assert_eq!(s.stop, Some(StopReason::EndTurn));
    assert_eq!(
        s.start_usage,
        Some(Usage {
            input_tokens: 25,
            output_tokens: 1,
            ..Default::default()
        })
    );
    assert_eq!(
        s.usage,
        Some(Usage {
            input_tokens: 25,
            output_tokens: 15,
            ..Default::default()
        })
    );
    assert_eq!(s.done, 1);
    assert!(s.errors.is_empty());
    assert!(s.events[0].starts_with("Start { id: \"msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY\""));
}

#[test]
fn stream_tool_arguments_are_exact() {
    let s = decode_only(&stream_text("tools"));
    assert_eq!(
        s.text[&0],
        "Okay, let's check the weather for San Francisco, CA:"
    );
    assert_eq!(
        s.args[&1],
        r#"{"location": "San Francisco, CA", "unit": "fahrenheit"}"#
    );
    assert!(s.starts[1].contains("toolu_01T1x1fJ34qAmk2tNTrN7Up6"));
    assert_eq!(s.stop, Some(StopReason::ToolUse));

    let s = decode_only(&stream_text("parallel_tools"));
    assert_eq!(s.starts.len(), 3);
    assert_eq!(s.args[&0], r#"{"location": "New York, NY"}"#);
    assert_eq!(s.args[&1], r#"{"location": "Paris, France"}"#);
    // A call without arguments gets `{}`, as in the non-streaming response.
    assert_eq!(s.args[&2], "{}");
    assert!(s.starts[2].contains("get_time"));
    // Usage equals the non-streaming response's.
    let body = response("parallel_tool_use");
    let resp = am::decode_response(&body).unwrap();
    assert_eq!(s.usage, resp.usage);
}

#[test]
fn stream_thinking_and_signature() {
    let s = decode_only(&stream_text("thinking"));
    assert!(s.starts[0].contains("Thinking { origin: AnthropicMessages"));
    assert!(s.starts[1].contains("RedactedThinking"));
    assert_eq!(s.starts[2], "2:Text");
    assert!(s.thinking[&0].ends_with("So GCD(1071, 462) = 21"));
    assert_eq!(
        s.signature[&0],
        "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds..."
    );
    assert_eq!(s.usage.unwrap().output_tokens, 3120);
}

#[test]
fn stream_usage_with_cache_matches_the_response() {
    let s = decode_only(&stream_text("cache_usage"));
    let body = response("cache_usage");
    let resp = am::decode_response(&body).unwrap();
    assert_eq!(s.usage, resp.usage);
    assert_eq!(s.usage.unwrap().input_tokens, 21 + 188086 + 2048);
    assert_eq!(s.start_usage.unwrap().cache_write_input_tokens, 188086);
}

#[test]
fn stream_server_tool_blocks_are_skipped_and_renumbered() {
    let s = decode_only(&stream_text("server_tools"));
    assert_eq!(s.starts, ["0:Text"]);
    assert_eq!(s.text[&0], "It is sunny and 22°C in New York today.");
    assert!(s.args.is_empty());
    assert_eq!(
        s.usage,
        Some(Usage {
            input_tokens: 10682,
            output_tokens: 510,
            ..Default::default()
        })
    );
}

#[test]
fn stream_error_event_and_truncation() {
    let s = decode_only(&stream_text("error"));
    assert_eq!(s.errors, [(ErrorKind::Overloaded, "Overloaded".to_owned())]);
    assert_eq!(s.done, 0);
    assert_eq!(s.text[&0], "Once upon a");

    // Cut before message_stop: finish() reports the truncation instead of Done.
    let full = stream_text("text");
    let cut = full.split("event: message_delta").next().unwrap();
    let s = decode_only(cut);
    assert_eq!(s.done, 0);
    assert_eq!(s.errors.len(), 1);
    assert_eq!(s.errors[0].0, ErrorKind::Server);

    // Garbage is a decode error, not a panic.
    let mut dec = am::StreamDecoder::new();
    let frame = Frame::Sse {
        event: "content_block_delta",
        data: "{\"type\":",
    };
    assert!(dec.decode(&frame, &mut |_| {}).is_err());
    let frame = Frame::Sse {
        event: "content_block_delta",
        data: r#"{"type":"content_block_delta","delta":{"type":"text_delta","text":"x"}}"#,
    };
    assert!(dec.decode(&frame, &mut |_| {}).is_err());
    let frame = Frame::EventStream {
        message_type: "event",
        event_type: "messageStart",
        payload: b"{}",
    };
    assert!(dec.decode(&frame, &mut |_| {}).is_err());
}

#[test]
fn stream_encoder_makes_a_valid_stream_from_another_api() {
    // What an OpenAI Chat decoder yields: no block stops, stop then usage, a foreign
    // reasoning signature, and parallel tool calls interleaved.
    let events = vec![
        StreamEvent::Start {
            id: "".into(),
            model: "gpt-x".into(),
            created: Some(1),
            usage: None,
        },
        StreamEvent::BlockStart {
            index: 0,
            block: BlockStart::Thinking {
                origin: Api::OpenAiResponses,
                id: Some("rs_1".into()),
            },
        },
        StreamEvent::Delta {
            index: 0,
            delta: Delta::Thinking("hmm".into()),
        },
        StreamEvent::Delta {
            index: 0,
            delta: Delta::Signature("openai-encrypted".into()),
        },
        StreamEvent::Delta {
            index: 1,
            delta: Delta::Text("Checking.".into()),
        },
        StreamEvent::BlockStart {
            index: 2,
            block: BlockStart::ToolCall {
                id: "call_a".into(),
                name: "get_weather".into(),
                kind: ToolCallKind::Function,
            },
        },
        StreamEvent::BlockStart {
            index: 3,
            block: BlockStart::ToolCall {
                id: "call_b".into(),
                name: "get_weather".into(),
                kind: ToolCallKind::Function,
            },
        },
        StreamEvent::Delta {
            index: 2,
            delta: Delta::ToolArguments("{\"location\":".into()),
        },
        StreamEvent::Delta {
            index: 3,
            delta: Delta::ToolArguments("{\"location\":\"Paris\"}".into()),
        },
        StreamEvent::Delta {
            index: 2,
            delta: Delta::ToolArguments("\"Rome\"}".into()),
        },
        StreamEvent::Stop {
            reason: Some(StopReason::ToolUse),
            stop_sequence: None,
        },
        StreamEvent::Usage(Usage {
            input_tokens: 100,
            output_tokens: 20,
            cache_read_input_tokens: 60,
            cache_write_input_tokens: 0,
            reasoning_tokens: 8,
        }),
        StreamEvent::Done,
    ];
    let meta = StreamMeta {
        id: "msg_gw_1".into(),
        created: 0,
        model: "fallback".into(),
        include_usage: false,
    };
    let mut enc = am::StreamEncoder::new(meta);
    let mut out = Vec::new();
    for ev in &events {
        enc.encode(ev, &mut out);
    }
    let out = String::from_utf8(out).unwrap();
    let frames = sse(&out);
    let names: Vec<&str> = frames.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(
        names,
        [
            "message_start",
            "content_block_start",
            "content_block_delta",
            "content_block_start",
            "content_block_delta",
            "content_block_start",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "content_block_stop",
            "content_block_stop",
            "content_block_stop",
            "message_delta",
            "message_stop",
        ],
        "{out}"
    );
    let start = json(frames[0].1.as_bytes());
    assert_eq!(start["message"]["id"], "msg_gw_1");
    assert_eq!(start["message"]["model"], "gpt-x");
    assert_eq!(start["message"]["content"], serde_json::json!([]));
    let delta = json(frames[14].1.as_bytes());
    assert_eq!(
        delta,
        serde_json::json!({
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": null},
            "usage": {"input_tokens": 40, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 60, "output_tokens": 20}
        })
    );
    // Decoding what was written gives the same content and usage back.
    let s = decode_only(&out);
    assert_eq!(s.thinking[&0], "hmm");
    assert!(s.signature.is_empty(), "foreign signature not forwarded");
    assert_eq!(s.text[&1], "Checking.");
    assert_eq!(s.args[&2], r#"{"location":"Rome"}"#);
    assert_eq!(s.args[&3], r#"{"location":"Paris"}"#);
    assert_eq!(s.usage.unwrap().input_tokens, 100);
    assert_eq!(s.usage.unwrap().cache_read_input_tokens, 60);
    assert_eq!(s.stop, Some(StopReason::ToolUse));
    assert_eq!(s.done, 1);

    // An error mid-stream is written as Anthropic's error event and ends the stream.
    let mut enc = am::StreamEncoder::new(StreamMeta::default());
    let mut out = Vec::new();
    enc.encode(
        &StreamEvent::Error(ir::ApiError::new(ErrorKind::RateLimit, "slow down")),
        &mut out,
    );
    enc.encode(&StreamEvent::Done, &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow down\"}}\n\n"
    );
}

#[test]
fn stream_encoder_keeps_indexes_dense_when_a_block_is_skipped() {
    let events = [
        StreamEvent::BlockStart {
            index: 0,
            block: BlockStart::RedactedThinking {
                data: "opaque".into(),
                origin: Api::OpenAiResponses,
            },
        },
        StreamEvent::BlockStop { index: 0 },
        StreamEvent::BlockStart {
            index: 1,
            block: BlockStart::Text,
        },
        StreamEvent::Delta {
            index: 1,
            delta: Delta::Text("hi".into()),
        },
        StreamEvent::BlockStop { index: 1 },
        StreamEvent::Stop {
            reason: Some(StopReason::EndTurn),
            stop_sequence: None,
        },
        StreamEvent::Done,
    ];
    let mut enc = am::StreamEncoder::new(StreamMeta::default());
    let mut out = Vec::new();
    for ev in &events {
        enc.encode(ev, &mut out);
    }
    let out = String::from_utf8(out).unwrap();
    let frames = sse(&out);
    let blocks: Vec<Value> = frames
        .iter()
        .filter(|(e, _)| e.starts_with("content_block"))
        .map(|(_, d)| json(d.as_bytes()))
        .collect();
    assert_eq!(blocks.len(), 3, "{out}");
    for b in &blocks {
        assert_eq!(b["index"], 0, "{out}");
    }
    let s = decode_only(&out);
    assert_eq!(s.text[&0], "hi");
    assert_eq!(s.done, 1);
}

#[test]
fn end_turn_with_tool_calls_is_tool_use() {
    let resp = ir::Response {
        id: "r".into(),
        model: "m".into(),
        choices: vec![ir::Choice {
            content: vec![Block::ToolCall {
                id: "c".into(),
                name: "f".into(),
                arguments: "{}".into(),
                kind: ToolCallKind::Function,
            }],
            stop_reason: Some(StopReason::EndTurn),
            ..Default::default()
        }],
        usage: Some(Usage::default()),
        ..Default::default()
    };
    let mut losses = Losses::default();
    let out = json(&am::encode_response(&resp, &ResponseMeta::default(), &mut losses).unwrap());
    assert_eq!(out["stop_reason"], "tool_use");
    assert_eq!(paths(&losses), ["stop_reason"]);

    let mut enc = am::StreamEncoder::new(StreamMeta::default());
    let mut out = Vec::new();
    for ev in [
        StreamEvent::BlockStart {
            index: 0,
            block: BlockStart::ToolCall {
                id: "c".into(),
                name: "f".into(),
                kind: ToolCallKind::Function,
            },
        },
        StreamEvent::Stop {
            reason: Some(StopReason::EndTurn),
            stop_sequence: None,
        },
        StreamEvent::Done,
    ] {
        enc.encode(&ev, &mut out);
    }
    let s = decode_only(&String::from_utf8(out).unwrap());
    assert_eq!(s.stop, Some(StopReason::ToolUse));
}
