//! Stream encoder: round trips and streams from another API.

use hermesllm::Api;
use hermesllm::ir::{ApiError, ErrorKind, StopReason, ToolCallKind, Usage};
use hermesllm::ir::{BlockStart, Delta, StreamEvent};
use serde_json::Value;

use super::common::*;

#[test]
fn streams_round_trip_through_the_encoder() {
    for (name, body) in fixtures("streams") {
        let text = String::from_utf8(body).unwrap();
        let events = decode_stream(&text);
        let encoded = encode_stream(&events);
        let again = decode_stream(&encoded);
        assert_eq!(events, again, "{name}\n{encoded}");
        // Sequence numbers count up from 0.
        for (k, (_, data)) in sse_events(&encoded).iter().enumerate() {
            let v: Value = serde_json::from_str(data).unwrap();
            assert_eq!(v["sequence_number"], k as u64, "{name}");
        }
    }
}

#[test]
fn encoder_writes_the_full_lifecycle_from_another_api() {
    // An Anthropic-shaped event sequence: usage at start, signed thinking, text, tool call.
    let events: Vec<StreamEvent<'static>> = vec![
        StreamEvent::Start {
            id: "msg_01XFDUDYJgAACzvnptvVoYEL".into(),
            model: "claude-sonnet-4-5".into(),
            created: None,
            usage: Some(Usage {
                input_tokens: 472,
                cache_read_input_tokens: 400,
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
            delta: Delta::Thinking("Let me".into()),
        },
        StreamEvent::Delta {
            index: 0,
            delta: Delta::Thinking(" think.".into()),
        },
        StreamEvent::Delta {
            index: 0,
            delta: Delta::Signature("EqQBCkgIARABGAIiQL".into()),
        },
        StreamEvent::BlockStop { index: 0 },
        StreamEvent::BlockStart {
            index: 1,
            block: BlockStart::Text,
        },
        StreamEvent::Delta {
            index: 1,
            delta: Delta::Text("Okay.".into()),
        },
        StreamEvent::BlockStop { index: 1 },
        StreamEvent::BlockStart {
            index: 2,
            block: BlockStart::ToolCall {
                id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6".into(),
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
            delta: Delta::ToolArguments(" \"Paris\"}".into()),
        },
        StreamEvent::BlockStop { index: 2 },
        StreamEvent::Stop {
            reason: Some(StopReason::ToolUse),
            stop_sequence: None,
        },
        StreamEvent::Usage(Usage {
            output_tokens: 89,
            ..Default::default()
        }),
        StreamEvent::Done,
    ];
    let encoded = encode_stream(&events);
    let sse = sse_events(&encoded);
    let kinds: Vec<&str> = sse.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.reasoning_summary_part.added",
            "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.done",
            "response.reasoning_summary_part.done",
            "response.output_item.done",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.output_item.added",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    for (event, data) in &sse {
        let v: Value = serde_json::from_str(data).unwrap();
        assert_eq!(v["type"], *event);
    }
    let data = |k: usize| -> Value { serde_json::from_str(&sse[k].1).unwrap() };
    let created = data(0);
    assert_eq!(created["response"]["id"], "msg_01XFDUDYJgAACzvnptvVoYEL");
    assert_eq!(created["response"]["status"], "in_progress");
    assert_eq!(created["response"]["output"], serde_json::json!([]));
    assert_eq!(created["response"]["created_at"], 1_700_000_000);
    assert_eq!(
        data(16),
        serde_json::json!({"type":"response.function_call_arguments.delta","sequence_number":16,"output_index":2,"item_id":"fc_msg_01XFDUDYJgAACzvnptvVoYEL_2","delta":"{\"location\":"})
    );
    let done = data(20);
    let resp = &done["response"];
    assert_eq!(resp["status"], "completed");
    assert_eq!(resp["output"].as_array().unwrap().len(), 3);
    // The foreign signature is not passed as encrypted_content.
    assert_eq!(
        resp["output"][0],
        serde_json::json!({"type":"reasoning","id":"rs_msg_01XFDUDYJgAACzvnptvVoYEL_0","summary":[{"type":"summary_text","text":"Let me think."}]})
    );
    assert_eq!(resp["output"][1]["content"][0]["text"], "Okay.");
    assert_eq!(resp["output"][2]["arguments"], "{\"location\": \"Paris\"}");
    assert_eq!(
        resp["usage"],
        serde_json::json!({"input_tokens":472,"input_tokens_details":{"cached_tokens":400},"output_tokens":89,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":561})
    );

    // Decoding what was written gives back the events, minus the foreign signature.
    let again = decode_stream(&encoded);
    let (text, args, thinking, sig) = collect(&again);
    assert_eq!(
        (text.as_str(), thinking.as_str(), sig.as_str()),
        ("Okay.", "Let me think.", "")
    );
    assert_eq!(args, ["{\"location\": \"Paris\"}"]);
    assert_eq!(stop_of(&again), Some(StopReason::ToolUse));
    assert_eq!(again.last(), Some(&StreamEvent::Done));
}

#[test]
fn encoder_maps_stop_reasons_and_errors() {
    let start = StreamEvent::Start {
        id: "".into(),
        model: "".into(),
        created: None,
        usage: None,
    };
    let encoded = encode_stream(&[
        start.clone(),
        StreamEvent::Stop {
            reason: Some(StopReason::MaxTokens),
            stop_sequence: None,
        },
        StreamEvent::Done,
    ]);
    let sse = sse_events(&encoded);
    let (event, data) = sse.last().unwrap();
    assert_eq!(event, "response.incomplete");
    let v: Value = serde_json::from_str(data).unwrap();
    assert_eq!(v["response"]["id"], "resp_meta");
    assert_eq!(v["response"]["model"], "meta-model");
    assert_eq!(
        v["response"]["incomplete_details"]["reason"],
        "max_output_tokens"
    );

    let mut err = ApiError::new(ErrorKind::Overloaded, "Overloaded");
    err.origin = Some(Api::AnthropicMessages);
    err.code = Some("overloaded_error".into());
    let encoded = encode_stream(&[start, StreamEvent::Error(err), StreamEvent::Done]);
    let sse = sse_events(&encoded);
    assert_eq!(sse.len(), 3);
    let (event, data) = &sse[2];
    assert_eq!(event, "error");
    assert_eq!(
        serde_json::from_str::<Value>(data).unwrap(),
        serde_json::json!({"type":"error","code":"server_is_overloaded","message":"Overloaded","param":null,"sequence_number":2})
    );
}
