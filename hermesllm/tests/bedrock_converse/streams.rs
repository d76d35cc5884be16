//! Streams: eventstream frames decoded, checked against the non-streaming responses and re-encoded.

use std::fs;
use std::path::Path;

use aws_smithy_eventstream::frame::{DecodedFrame, MessageFrameDecoder};
use hermesllm::DecodeError;
use hermesllm::bedrock_converse as bc;
use hermesllm::ir::{Block, ErrorKind, Usage};
use hermesllm::ir::{BlockStart, Delta, StreamEvent};
use hermesllm::stream::{Frame, StreamDecode, StreamEncode, StreamMeta};
use serde_json::{Value, json};

use super::common::*;

#[path = "stream_encoder.rs"]
mod encoder;

// ---------------------------------------------------------------- streams

/// A frame with owned bytes.
#[derive(Debug, Clone)]
pub struct OwnedFrame {
    message_type: String,
    event_type: String,
    payload: Vec<u8>,
}

impl OwnedFrame {
    fn event(event_type: &str, payload: Value) -> Self {
        OwnedFrame {
            message_type: "event".into(),
            event_type: event_type.into(),
            payload: serde_json::to_vec(&payload).unwrap(),
        }
    }

    fn frame(&self) -> Frame<'_> {
        Frame::EventStream {
            message_type: &self.message_type,
            event_type: &self.event_type,
            payload: &self.payload,
        }
    }
}

/// A `.jsonl` fixture: one `{"message_type"?, "event_type", "payload"}` per line.
fn jsonl(name: &str) -> Vec<OwnedFrame> {
    let text = String::from_utf8(fixture("streams", name)).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            OwnedFrame {
                message_type: v["message_type"].as_str().unwrap_or("event").into(),
                event_type: v["event_type"].as_str().unwrap().into(),
                payload: serde_json::to_vec(&v["payload"]).unwrap(),
            }
        })
        .collect()
}

/// Splits eventstream bytes into frames with the AWS decoder.
fn frames_from_bytes(bytes: &[u8]) -> Vec<OwnedFrame> {
    let mut buf = bytes;
    let mut dec = MessageFrameDecoder::new();
    let mut out = Vec::new();
    while let DecodedFrame::Complete(m) = dec.decode_frame(&mut buf).unwrap() {
        let header = |name: &str| {
            m.headers()
                .iter()
                .find(|h| h.name().as_str() == name)
                .map(|h| h.value().as_string().unwrap().as_str().to_owned())
        };
        let message_type = header(":message-type").unwrap();
        let event_type = header(":event-type")
            .or_else(|| header(":exception-type"))
            .unwrap();
        assert_eq!(header(":content-type").as_deref(), Some("application/json"));
        out.push(OwnedFrame {
            message_type,
            event_type,
            payload: m.payload().to_vec(),
        });
    }
    assert!(buf.is_empty(), "trailing bytes");
    out
}

/// One block accumulated from deltas.
#[derive(Debug, Default, Clone, PartialEq)]
struct Acc {
    kind: &'static str,
    id: String,
    name: String,
    text: String,
    signature: String,
    closed: bool,
}

/// What a decoded stream said.
#[derive(Debug, Default)]
struct Collected {
    events: Vec<String>,
    blocks: Vec<Acc>,
    stop: Option<String>,
    stop_sequence: Option<String>,
    usage: Option<Usage>,
    error: Option<(ErrorKind, u16, String, Option<String>)>,
    done: bool,
}

impl Collected {
    fn push(&mut self, ev: &StreamEvent<'_>) {
        assert!(
            !self.done && self.error.is_none(),
            "event after the end: {ev:?}"
        );
        match ev {
            StreamEvent::Error(e) => self
                .events
                .push(format!("Error({:?}, {})", e.kind, e.message)),
            _ => self.events.push(format!("{ev:?}")),
        }
        match ev {
            StreamEvent::Start { .. } => assert_eq!(self.events.len(), 1),
            StreamEvent::BlockStart { index, block } => {
                assert_eq!(*index as usize, self.blocks.len(), "dense indexes");
                let mut acc = Acc::default();
                match block {
                    BlockStart::Text | BlockStart::Refusal => acc.kind = "text",
                    BlockStart::ToolCall { id, name, .. } => {
                        acc.kind = "tool";
                        acc.id = id.to_string();
                        acc.name = name.to_string();
                    }
                    BlockStart::Thinking { .. } => acc.kind = "thinking",
                    BlockStart::RedactedThinking { data, .. } => {
                        acc.kind = "redacted";
                        acc.text = data.to_string();
                    }
                    _ => panic!("{block:?}"),
                }
                self.blocks.push(acc);
            }
            StreamEvent::Delta { index, delta } => {
                let acc = &mut self.blocks[*index as usize];
                assert!(!acc.closed);
                match delta {
                    Delta::Text(t) | Delta::ToolArguments(t) | Delta::Thinking(t) => {
                        acc.text.push_str(t)
                    }
                    Delta::Signature(s) => acc.signature.push_str(s),
                    _ => panic!("{delta:?}"),
                }
            }
            StreamEvent::BlockStop { index } => {
                let acc = &mut self.blocks[*index as usize];
                assert!(!acc.closed);
                acc.closed = true;
            }
            StreamEvent::Stop {
                reason,
                stop_sequence,
            } => {
                assert!(
                    self.blocks.iter().all(|b| b.closed),
                    "blocks closed before stop"
                );
                self.stop = reason.as_ref().map(|r| format!("{r:?}"));
                self.stop_sequence = stop_sequence.as_ref().map(|s| s.to_string());
            }
            StreamEvent::Usage(u) => self.usage = Some(*u),
            StreamEvent::Error(e) => {
                self.error = Some((
                    e.kind,
                    e.status,
                    e.message.to_string(),
                    e.code.as_ref().map(|c| c.to_string()),
                ))
            }
            StreamEvent::Done => self.done = true,
            _ => panic!("{ev:?}"),
        }
    }
}

/// Decodes frames, and re-encodes every event as Bedrock frames on the way.
fn run(frames: &[OwnedFrame]) -> (Collected, Vec<u8>) {
    let mut dec = bc::StreamDecoder::new();
    let mut enc = bc::StreamEncoder::new(StreamMeta::default());
    let mut c = Collected::default();
    let mut out = Vec::new();
    let mut sink = |ev: StreamEvent<'_>| {
        c.push(&ev);
        enc.encode(&ev, &mut out);
    };
    for f in frames {
        dec.decode(&f.frame(), &mut sink).unwrap();
    }
    dec.finish(&mut sink);
    (c, out)
}

/// A comparable summary of a block: kind, id/name or text, JSON arguments or signature.
fn ir_summary(b: &Block<'_>) -> (String, String, String) {
    match b {
        Block::Text { text } => ("text".into(), text.to_string(), String::new()),
        Block::ToolCall {
            id,
            name,
            arguments,
            ..
        } => (
            "tool".into(),
            format!("{id}/{name}"),
            js(arguments).to_string(),
        ),
        Block::Thinking {
            text, signature, ..
        } => (
            "thinking".into(),
            text.to_string(),
            signature.as_deref().unwrap_or("").into(),
        ),
        _ => panic!("{b:?}"),
    }
}

fn acc_summary(a: &Acc) -> (String, String, String) {
    match a.kind {
        "tool" => (
            "tool".into(),
            format!("{}/{}", a.id, a.name),
            js(&a.text).to_string(),
        ),
        k => (k.into(), a.text.clone(), a.signature.clone()),
    }
}

#[test]
fn stream_fixtures_match_the_non_streaming_responses() {
    let pairs = [
        ("text.jsonl", "text.json"),
        ("tools.jsonl", "tool_use.json"),
        ("parallel_tools.jsonl", "parallel_tool_use.json"),
        ("thinking.jsonl", "thinking.json"),
        ("cache_usage.jsonl", "cache_usage.json"),
        ("stop_sequence.jsonl", "stop_sequence.json"),
    ];
    for (stream, response) in pairs {
        let (c, _) = run(&jsonl(stream));
        let body = fixture("responses", response);
        let resp = bc::decode_response(&body).unwrap();
        let choice = &resp.choices[0];
        let want: Vec<_> = choice.content.iter().map(ir_summary).collect();
        let got: Vec<_> = c.blocks.iter().map(acc_summary).collect();
        assert_eq!(got, want, "{stream}");
        assert!(c.blocks.iter().all(|b| b.closed), "{stream}");
        assert_eq!(
            c.stop,
            choice.stop_reason.as_ref().map(|r| format!("{r:?}")),
            "{stream}"
        );
        assert_eq!(
            c.stop_sequence.as_deref(),
            choice.stop_sequence.as_deref(),
            "{stream}"
        );
        assert_eq!(c.usage, resp.usage, "{stream}");
        assert!(c.done && c.error.is_none(), "{stream}");
        assert!(c.events[0].starts_with("Start"), "{stream}");
        assert_eq!(c.events.last().unwrap(), "Done", "{stream}");
    }
}

#[test]
fn thinking_stream_events_are_exact() {
    let (c, _) = run(&jsonl("thinking.jsonl"));
    assert_eq!(c.blocks[0].kind, "thinking");
    assert!(c.events[1].contains("Thinking { origin: BedrockConverse"));
    assert!(c.events.iter().any(|e| e.contains("Signature(\"EqoBCkgI")));
    assert_eq!(c.usage.unwrap().output_tokens, 214);
}

#[test]
fn every_stream_fixture_round_trips_through_the_encoder() {
    let all = fixtures("streams");
    assert!(all.len() >= 6);
    for (name, _) in all {
        let (first, bytes) = run(&jsonl(&name));
        let frames = frames_from_bytes(&bytes);
        assert_eq!(frames[0].event_type, "messageStart", "{name}");
        let (second, bytes2) = run(&frames);
        assert_eq!(first.events, second.events, "{name}");
        assert_eq!(bytes, bytes2, "{name}: encoding is stable");
    }
}

#[test]
fn mid_stream_error_becomes_an_error_event() {
    let mut frames = jsonl("error.jsonl");
    frames.push(OwnedFrame::event(
        "contentBlockDelta",
        json!({"contentBlockIndex": 0, "delta": {"text": "ignored"}}),
    ));
    let (c, bytes) = run(&frames);
    assert_eq!(
        c.error,
        Some((
            ErrorKind::RateLimit,
            429,
            "Too many tokens, please wait before trying again.".into(),
            Some("ThrottlingException".into())
        ))
    );
    assert!(!c.done);
    assert_eq!(c.blocks[0].text, "Here is the first part");
    let frames = frames_from_bytes(&bytes);
    let last = frames.last().unwrap();
    assert_eq!(last.message_type, "exception");
    assert_eq!(last.event_type, "throttlingException");
    assert_eq!(
        serde_json::from_slice::<Value>(&last.payload).unwrap(),
        json!({"message": "Too many tokens, please wait before trying again."})
    );
}

#[test]
fn truncated_stream_ends_with_an_error_not_done() {
    let (c, _) = run(&jsonl("truncated.jsonl"));
    assert!(!c.done);
    assert_eq!(c.error.as_ref().unwrap().0, ErrorKind::Server);
    assert!(c.error.as_ref().unwrap().2.contains("truncated"));
    assert_eq!(c.blocks[0].text, "Once upon a time");
}

fn capture(name: &str) -> Vec<OwnedFrame> {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/fixtures/bedrock"
    ))
    .join(name);
    frames_from_bytes(&fs::read(path).unwrap())
}

#[test]
fn real_captures_decode() {
    let (c, bytes) = run(&capture("converse-stream-text.bin"));
    assert_eq!(c.blocks.len(), 1);
    assert!(
        c.blocks[0]
            .text
            .starts_with("# Binary Search in a Sorted Array\n\nHere's a Python program")
    );
    assert_eq!(c.stop.as_deref(), Some("MaxTokens"));
    let u = c.usage.unwrap();
    assert_eq!(
        (u.input_tokens, u.output_tokens, u.total_tokens()),
        (19, 500, 519)
    );
    assert!(c.done);
    assert_eq!(run(&frames_from_bytes(&bytes)).0.events, c.events);

    let (c, _) = run(&capture("converse-stream-tools.bin"));
    let kinds: Vec<&str> = c.blocks.iter().map(|b| b.kind).collect();
    assert_eq!(kinds, ["text", "tool", "text"]);
    assert!(c.blocks[0].text.starts_with("<thinking>The user wants"));
    let tool = &c.blocks[1];
    assert_eq!(tool.name, "run_python_code");
    assert_eq!(tool.id, "tooluse_U1VDb22VSDOVjwFzz5AqyQ");
    let args = js(&tool.text);
    assert!(args["code"].as_str().unwrap().contains("def factorial(n)"));
    assert_eq!(c.stop.as_deref(), Some("ToolUse"));
    assert_eq!(c.usage.unwrap().output_tokens, 539);
}

#[test]
fn interleaved_and_unannounced_blocks_get_dense_indexes() {
    let d = |i: u32, delta: Value| {
        OwnedFrame::event(
            "contentBlockDelta",
            json!({"contentBlockIndex": i, "delta": delta}),
        )
    };
    let start = |i: u32, id: &str| {
        OwnedFrame::event(
            "contentBlockStart",
            json!({"contentBlockIndex": i, "start": {"toolUse": {"toolUseId": id, "name": "f"}}}),
        )
    };
    let stop = |i: u32| OwnedFrame::event("contentBlockStop", json!({"contentBlockIndex": i}));
    let frames = vec![
        OwnedFrame::event("messageStart", json!({"role": "assistant"})),
        start(3, "a"),
        start(5, "b"),
        d(3, json!({"toolUse": {"input": "{\"x\":"}})),
        d(5, json!({"toolUse": {"input": "{\"y\":"}})),
        d(5, json!({"toolUse": {"input": "2}"}})),
        d(3, json!({"toolUse": {"input": "1}"}})),
        OwnedFrame::event("futureEvent", json!({})),
        stop(5),
        stop(3),
        d(7, json!({"text": "done"})),
        OwnedFrame::event("messageStop", json!({"stopReason": "tool_use"})),
    ];
    let (c, _) = run(&frames);
    assert_eq!(js(&c.blocks[0].text), json!({"x": 1}));
    assert_eq!(js(&c.blocks[1].text), json!({"y": 2}));
    assert_eq!(
        (c.blocks[0].id.as_str(), c.blocks[1].id.as_str()),
        ("a", "b")
    );
    // The text block was never stopped upstream: messageStop closes it.
    assert_eq!(c.blocks[2].text, "done");
    assert!(c.blocks[2].closed);
    assert!(c.done);
    assert_eq!(c.usage, None);
}

#[test]
fn redacted_reasoning_streams_round_trip() {
    let frames = vec![
        OwnedFrame::event("messageStart", json!({"role": "assistant"})),
        OwnedFrame::event(
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"reasoningContent": {"redactedContent": "RXJE"}}}),
        ),
        OwnedFrame::event("contentBlockStop", json!({"contentBlockIndex": 0})),
        OwnedFrame::event("messageStop", json!({"stopReason": "end_turn"})),
        OwnedFrame::event(
            "metadata",
            json!({"usage": {"inputTokens": 5, "outputTokens": 7, "totalTokens": 12}}),
        ),
    ];
    let (c, bytes) = run(&frames);
    assert_eq!(c.blocks[0].kind, "redacted");
    assert_eq!(c.blocks[0].text, "RXJE");
    let (again, _) = run(&frames_from_bytes(&bytes));
    assert_eq!(again.events, c.events);
}

#[test]
fn bad_frames_are_errors() {
    let mut dec = bc::StreamDecoder::new();
    let mut sink = |_: StreamEvent<'_>| {};
    let sse = Frame::Sse {
        event: "",
        data: "{}",
    };
    assert!(matches!(
        dec.decode(&sse, &mut sink),
        Err(DecodeError::Stream(_))
    ));
    let bad = OwnedFrame {
        message_type: "event".into(),
        event_type: "contentBlockDelta".into(),
        payload: b"{\"contentBlockIndex\":\"x\"}".to_vec(),
    };
    assert!(matches!(
        dec.decode(&bad.frame(), &mut sink),
        Err(DecodeError::Json { .. })
    ));
    let bad = OwnedFrame {
        message_type: "event".into(),
        event_type: "messageStop".into(),
        payload: b"not json".to_vec(),
    };
    assert!(dec.decode(&bad.frame(), &mut sink).is_err());
}
