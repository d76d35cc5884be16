//! The stream encoder: content after the stop, streams from another API, a missing stop and errors.

use hermesllm::Api;
use hermesllm::bedrock_converse as bc;
use hermesllm::ir::{self, ErrorKind, StopReason, ToolCallKind, Usage};
use hermesllm::ir::{BlockStart, Delta, StreamEvent};
use hermesllm::stream::{StreamEncode, StreamMeta};
use serde_json::{Value, json};

use super::*;

#[test]
fn encoder_ignores_content_after_the_stop() {
    let mut enc = bc::StreamEncoder::new(StreamMeta::default());
    let mut out = Vec::new();
    for ev in [
        StreamEvent::Stop {
            reason: Some(StopReason::EndTurn),
            stop_sequence: Some("END".into()),
        },
        StreamEvent::Delta {
            index: 0,
            delta: Delta::Text("late".into()),
        },
        StreamEvent::Done,
    ] {
        enc.encode(&ev, &mut out);
    }
    let got = event_types(&out);
    let types: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(types, ["messageStart", "messageStop", "metadata"]);
    assert_eq!(
        got[1].1,
        json!({"stopReason": "end_turn", "additionalModelResponseFields": {"stop_sequence": "END"}})
    );
}

fn event_types(bytes: &[u8]) -> Vec<(String, Value)> {
    frames_from_bytes(bytes)
        .into_iter()
        .map(|f| (f.event_type, serde_json::from_slice(&f.payload).unwrap()))
        .collect()
}

#[test]
fn encoder_turns_foreign_events_into_a_valid_bedrock_stream() {
    let events = [
        StreamEvent::Start {
            id: "msg_1".into(),
            model: "claude".into(),
            created: None,
            usage: Some(Usage {
                input_tokens: 100,
                cache_read_input_tokens: 80,
                ..Default::default()
            }),
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
            delta: Delta::Signature("gAAAA".into()),
        },
        StreamEvent::BlockStop { index: 0 },
        StreamEvent::BlockStart {
            index: 1,
            block: BlockStart::RedactedThinking {
                data: "enc".into(),
                origin: Api::Gemini,
            },
        },
        StreamEvent::BlockStop { index: 1 },
        StreamEvent::BlockStart {
            index: 2,
            block: BlockStart::ToolCall {
                id: "call_1".into(),
                name: "f".into(),
                kind: ToolCallKind::Function,
            },
        },
        StreamEvent::Delta {
            index: 2,
            delta: Delta::ToolArguments("{\"a\":".into()),
        },
        StreamEvent::Delta {
            index: 2,
            delta: Delta::ToolArguments("1}".into()),
        },
        StreamEvent::BlockStop { index: 2 },
        // OpenAI-style: a text delta with no BlockStart.
        StreamEvent::Delta {
            index: 3,
            delta: Delta::Text("hi".into()),
        },
        StreamEvent::Stop {
            reason: Some(StopReason::ToolUse),
            stop_sequence: None,
        },
        StreamEvent::Usage(Usage {
            input_tokens: 100,
            output_tokens: 20,
            cache_read_input_tokens: 80,
            ..Default::default()
        }),
        StreamEvent::Done,
        StreamEvent::Done,
    ];
    let mut enc = bc::StreamEncoder::new(StreamMeta::default());
    let mut out = Vec::new();
    for ev in &events {
        enc.encode(ev, &mut out);
    }
    let got = event_types(&out);
    let want = vec![
        ("messageStart", json!({"role": "assistant"})),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "hmm"}}}),
        ),
        ("contentBlockStop", json!({"contentBlockIndex": 0})),
        (
            "contentBlockStart",
            json!({"contentBlockIndex": 1, "start": {"toolUse": {"toolUseId": "call_1", "name": "f"}}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 1, "delta": {"toolUse": {"input": "{\"a\":"}}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 1, "delta": {"toolUse": {"input": "1}"}}}),
        ),
        ("contentBlockStop", json!({"contentBlockIndex": 1})),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 2, "delta": {"text": "hi"}}),
        ),
        ("contentBlockStop", json!({"contentBlockIndex": 2})),
        ("messageStop", json!({"stopReason": "tool_use"})),
        (
            "metadata",
            json!({"usage": {"inputTokens": 20, "outputTokens": 20, "totalTokens": 120,
                "cacheReadInputTokens": 80, "cacheWriteInputTokens": 0},
                "metrics": {"latencyMs": 0}}),
        ),
    ];
    let want: Vec<(String, Value)> = want.into_iter().map(|(t, v)| (t.into(), v)).collect();
    assert_eq!(got, want);
}

#[test]
fn encoder_supplies_a_missing_stop_and_renders_errors() {
    let mut enc = bc::StreamEncoder::new(StreamMeta::default());
    let mut out = Vec::new();
    enc.encode(
        &StreamEvent::Delta {
            index: 0,
            delta: Delta::Text("x".into()),
        },
        &mut out,
    );
    enc.encode(&StreamEvent::Done, &mut out);
    let types: Vec<String> = event_types(&out).into_iter().map(|(t, _)| t).collect();
    assert_eq!(
        types,
        [
            "messageStart",
            "contentBlockDelta",
            "contentBlockStop",
            "messageStop",
            "metadata"
        ]
    );

    let mut enc = bc::StreamEncoder::new(StreamMeta::default());
    let mut out = Vec::new();
    enc.encode(
        &StreamEvent::Error(ir::ApiError::new(ErrorKind::Overloaded, "busy")),
        &mut out,
    );
    enc.encode(&StreamEvent::Done, &mut out);
    let frames = frames_from_bytes(&out);
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].message_type, "exception");
    assert_eq!(frames[0].event_type, "serviceUnavailableException");
    let (c, _) = run(&frames);
    let (kind, status, message, _) = c.error.unwrap();
    assert_eq!(
        (kind, status, message.as_str()),
        (ErrorKind::Overloaded, 503, "busy")
    );
}
