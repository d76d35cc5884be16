//! Responses: fixtures, round trips, stop reasons, usage and content both ways.

use hermesllm::bedrock_converse as bc;
use hermesllm::ir::{self, Block, StopReason, ToolCallKind, Usage};
use hermesllm::{Api, DecodeError, Losses, ResponseMeta};
use serde_json::{Value, json};

use super::common::*;

#[test]
fn every_response_fixture_decodes_and_round_trips_losslessly() {
    let all = fixtures("responses");
    assert!(all.len() >= 8, "{} response fixtures", all.len());
    for (name, body) in &all {
        let first = bc::decode_response(body).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(first.choices.len(), 1, "{name}");
        assert!(first.usage.is_some(), "{name}");
        let mut losses = Losses::default();
        let encoded = bc::encode_response(&first, &ResponseMeta::default(), &mut losses).unwrap();
        assert!(losses.is_empty(), "{name}: {losses:?}");
        let second = bc::decode_response(&encoded).unwrap();
        assert_eq!(first, second, "{name}");
        // The same API writes back what Bedrock sent, metrics included.
        let a: Value = serde_json::from_slice(body).unwrap();
        let b: Value = serde_json::from_slice(&encoded).unwrap();
        assert_eq!(a["metrics"], b["metrics"], "{name}");
        // guardrail_intervened and content_filtered are one reason in the internal model.
        let want = match a["stopReason"].as_str() {
            Some("guardrail_intervened") => json!("content_filtered"),
            _ => a["stopReason"].clone(),
        };
        assert_eq!(b["stopReason"], want, "{name}");
    }
}

// ---------------------------------------------------------------- responses

#[test]
fn response_stop_reasons_decode() {
    let cases = [
        ("text.json", StopReason::EndTurn),
        ("tool_use.json", StopReason::ToolUse),
        ("parallel_tool_use.json", StopReason::ToolUse),
        ("max_tokens.json", StopReason::MaxTokens),
        ("stop_sequence.json", StopReason::StopSequence),
        ("guardrail_intervened.json", StopReason::ContentFilter),
        ("content_filtered.json", StopReason::ContentFilter),
        (
            "context_window_exceeded.json",
            StopReason::ContextWindowExceeded,
        ),
    ];
    for (name, want) in cases {
        let body = fixture("responses", name);
        let r = bc::decode_response(&body).unwrap();
        assert_eq!(r.choices[0].stop_reason, Some(want), "{name}");
    }
    let body = fixture("responses", "stop_sequence.json");
    let r = bc::decode_response(&body).unwrap();
    assert_eq!(r.choices[0].stop_sequence.as_deref(), Some("END"));
    let body = fixture("responses", "guardrail_intervened.json");
    let r = bc::decode_response(&body).unwrap();
    let keys: Vec<&str> = r.extra.fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["metrics", "trace"]);
}

#[test]
fn stop_reasons_encode() {
    let cases = [
        (StopReason::EndTurn, "end_turn", false),
        (StopReason::ToolUse, "tool_use", false),
        (StopReason::MaxTokens, "max_tokens", false),
        (StopReason::StopSequence, "stop_sequence", false),
        (StopReason::ContentFilter, "content_filtered", false),
        (
            StopReason::ContextWindowExceeded,
            "model_context_window_exceeded",
            false,
        ),
        (StopReason::Refusal, "content_filtered", true),
        (StopReason::PauseTurn, "end_turn", true),
        (
            StopReason::Other("malformed_tool_use".into()),
            "malformed_tool_use",
            false,
        ),
        (StopReason::Other("SAFETY_X".into()), "end_turn", true),
    ];
    for (reason, want, lossy) in cases {
        let resp = ir::Response {
            choices: vec![ir::Choice {
                content: vec![text("x")],
                stop_reason: Some(reason.clone()),
                ..Default::default()
            }],
            ..Default::default()
        };
        let (out, losses) = encode_resp(&resp);
        assert_eq!(out["stopReason"], want, "{reason:?}");
        assert_eq!(!losses.is_empty(), lossy, "{reason:?}");
    }
}

#[test]
fn usage_normalisation_both_ways() {
    let body = fixture("responses", "cache_usage.json");
    let r = bc::decode_response(&body).unwrap();
    assert_eq!(
        r.usage,
        Some(Usage {
            input_tokens: 12 + 11800 + 212,
            output_tokens: 38,
            cache_read_input_tokens: 11800,
            cache_write_input_tokens: 212,
            reasoning_tokens: 0,
        })
    );
    assert_eq!(r.usage.unwrap().total_tokens(), 12062);
    let (out, _) = encode_resp(&r);
    assert_eq!(
        out["usage"],
        json!({"inputTokens": 12, "outputTokens": 38, "totalTokens": 12062,
            "cacheReadInputTokens": 11800, "cacheWriteInputTokens": 212})
    );

    // OpenAI-style usage with reasoning: reasoning stays inside outputTokens.
    let resp = ir::Response {
        choices: vec![ir::Choice::default()],
        usage: Some(Usage {
            input_tokens: 100,
            output_tokens: 50,
            reasoning_tokens: 20,
            cache_read_input_tokens: 60,
            ..Default::default()
        }),
        ..Default::default()
    };
    let (out, losses) = encode_resp(&resp);
    assert_eq!(
        out["usage"],
        json!({"inputTokens": 40, "outputTokens": 50, "totalTokens": 150,
            "cacheReadInputTokens": 60, "cacheWriteInputTokens": 0})
    );
    assert!(losses.is_empty());
}

#[test]
fn response_content_thinking_and_tools() {
    let body = fixture("responses", "thinking.json");
    let r = bc::decode_response(&body).unwrap();
    let c = &r.choices[0].content;
    assert!(
        matches!(&c[0], Block::Thinking { signature: Some(s), origin: Api::BedrockConverse, .. }
        if s.starts_with("EqoBCkgI"))
    );
    assert_eq!(c[1], text("No. 1015 = 5 × 7 × 29."));
    assert_eq!(r.id, "");
    assert_eq!(r.model, "");

    let body = fixture("responses", "redacted_thinking.json");
    let r = bc::decode_response(&body).unwrap();
    assert!(matches!(
        &r.choices[0].content[0],
        Block::RedactedThinking { .. }
    ));

    let body = fixture("responses", "parallel_tool_use.json");
    let r = bc::decode_response(&body).unwrap();
    let args: Vec<Value> = r.choices[0]
        .content
        .iter()
        .filter_map(|b| match b {
            Block::ToolCall { arguments, .. } => Some(js(arguments)),
            _ => None,
        })
        .collect();
    assert_eq!(
        args,
        [
            json!({"city": "Seattle", "unit": "celsius"}),
            json!({"city": "Paris", "unit": "celsius"})
        ]
    );
}

#[test]
fn encoding_a_foreign_response() {
    let resp = ir::Response {
        id: "chatcmpl-1".into(),
        model: "gpt-4o".into(),
        created: Some(1),
        choices: vec![
            ir::Choice {
                content: vec![
                    Block::Thinking {
                        text: "summary".into(),
                        signature: Some("enc".into()),
                        id: Some("rs_1".into()),
                        origin: Api::OpenAiResponses,
                    },
                    Block::Refusal {
                        text: "I can't help with that.".into(),
                    },
                    Block::ToolCall {
                        id: "call_9".into(),
                        name: "f".into(),
                        arguments: "".into(),
                        kind: ToolCallKind::Function,
                    },
                ],
                stop_reason: Some(StopReason::ToolUse),
                stop_sequence: None,
                logprobs: None,
            },
            ir::Choice::default(),
        ],
        usage: Some(Usage {
            input_tokens: 10,
            output_tokens: 5,
            ..Default::default()
        }),
        system_fingerprint: Some("fp_1".into()),
        ..Default::default()
    };
    let (out, losses) = encode_resp(&resp);
    assert_eq!(
        out,
        json!({
            "output": {"message": {"role": "assistant", "content": [
                {"reasoningContent": {"reasoningText": {"text": "summary"}}},
                {"text": "I can't help with that."},
                {"toolUse": {"toolUseId": "call_9", "name": "f", "input": {}}}
            ]}},
            "stopReason": "tool_use",
            "usage": {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15},
            "metrics": {"latencyMs": 0}
        })
    );
    assert_eq!(
        loss_paths(&losses),
        [
            "system_fingerprint",
            "choices[1]",
            "choices[0].content[0].signature",
            "choices[0].content[1]"
        ]
    );
}

#[test]
fn bad_responses_are_decode_errors() {
    assert!(bc::decode_response(b"not json").is_err());
    assert_eq!(
        bc::decode_response(br#"{"stopReason":"end_turn"}"#).unwrap_err(),
        DecodeError::invalid("output", "missing output.message")
    );
    let e = bc::decode_response(
        br#"{"output":{"message":{"role":"assistant","content":[{"text":1}]}},"stopReason":"end_turn"}"#,
    )
    .unwrap_err();
    assert!(matches!(e, DecodeError::Json { .. }));
    let e = bc::decode_response(
        br#"{"output":{"message":{"role":"assistant","content":[]}},"usage":{"inputTokens":-1}}"#,
    )
    .unwrap_err();
    assert!(
        matches!(&e, DecodeError::Json { path: Some(p), .. } if p.contains("usage")),
        "{e:?}"
    );
}
