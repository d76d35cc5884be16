//! Responses: fixtures, round trips and mappings both ways.

use hermesllm::anthropic_messages as am;
use hermesllm::ir::{self, Block, StopReason, ToolCallKind, Usage};
use hermesllm::{Api, Losses, ResponseMeta};

use super::common::*;

#[test]
fn response_fixtures_decode_and_round_trip_without_loss() {
    let all = fixtures("responses");
    assert!(all.len() >= 8, "{} response fixtures", all.len());
    for (name, body) in &all {
        let ir = am::decode_response(body).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut losses = Losses::default();
        let out = am::encode_response(&ir, &ResponseMeta::default(), &mut losses).unwrap();
        assert!(losses.is_empty(), "{name}: {losses:?}");
        let again = am::decode_response(&out).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(ir, again, "{name}");
        // The re-encoded body has the documented top-level shape.
        let v = json(&out);
        assert_eq!(v["type"], "message", "{name}");
        assert_eq!(v["role"], "assistant", "{name}");
        assert!(
            v.get("stop_sequence").is_some(),
            "{name}: stop_sequence is always present"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Responses

#[test]
fn response_text_and_usage() {
    let body = response("text");
    let r = am::decode_response(&body).unwrap();
    assert_eq!(r.id, "msg_013Zva2CMHLNnXjNJJKqJ2EF");
    assert_eq!(r.model, "claude-sonnet-4-5-20250929");
    assert_eq!(r.choices.len(), 1);
    assert_eq!(r.choices[0].content, vec![text("Hi! My name is Claude.")]);
    assert_eq!(r.choices[0].stop_reason, Some(StopReason::EndTurn));
    assert_eq!(
        r.usage,
        Some(Usage {
            input_tokens: 2095,
            output_tokens: 503,
            ..Default::default()
        })
    );
}

#[test]
fn response_tool_calls() {
    let body = response("parallel_tool_use");
    let r = am::decode_response(&body).unwrap();
    let c = &r.choices[0].content;
    assert_eq!(c.len(), 4);
    assert_eq!(
        c[3],
        Block::ToolCall {
            id: "toolu_01C29s12sy12ns139057ns1".into(),
            name: "get_time".into(),
            arguments: "{}".into(),
            kind: ToolCallKind::Function,
        }
    );
    assert_eq!(r.choices[0].stop_reason, Some(StopReason::ToolUse));
    let body = response("tool_use");
    let r = am::decode_response(&body).unwrap();
    assert!(matches!(
        &r.choices[0].content[1],
        Block::ToolCall { arguments, .. } if arguments == r#"{"location": "San Francisco, CA", "unit": "celsius"}"#
    ));
}

#[test]
fn response_thinking() {
    let body = response("thinking");
    let r = am::decode_response(&body).unwrap();
    let c = &r.choices[0].content;
    assert!(matches!(
        &c[0],
        Block::Thinking { signature: Some(s), origin: Api::AnthropicMessages, .. } if s.starts_with("zbbJhbGci")
    ));
    assert!(matches!(&c[1], Block::RedactedThinking { .. }));
    assert_eq!(r.usage.unwrap().output_tokens, 3120);
    assert_eq!(r.usage.unwrap().reasoning_tokens, 0);
}

#[test]
fn stop_reasons_both_ways() {
    let cases = [
        ("text", StopReason::EndTurn, None),
        ("max_tokens", StopReason::MaxTokens, None),
        ("stop_sequence", StopReason::StopSequence, Some("END")),
        ("tool_use", StopReason::ToolUse, None),
        ("pause_turn", StopReason::PauseTurn, None),
        ("refusal", StopReason::Refusal, None),
        (
            "context_window_exceeded",
            StopReason::ContextWindowExceeded,
            None,
        ),
    ];
    for (name, want, seq) in cases {
        let body = response(name);
        let r = am::decode_response(&body).unwrap();
        assert_eq!(r.choices[0].stop_reason.as_ref(), Some(&want), "{name}");
        assert_eq!(r.choices[0].stop_sequence.as_deref(), seq, "{name}");
        let mut losses = Losses::default();
        let wire = am::encode_stop(&want, &mut losses);
        assert_eq!(json(&body)["stop_reason"], wire, "{name}");
        assert!(losses.is_empty());
    }
    let mut losses = Losses::default();
    assert_eq!(
        am::encode_stop(&StopReason::ContentFilter, &mut losses),
        "refusal"
    );
    assert_eq!(
        am::encode_stop(&StopReason::Other("SAFETY".into()), &mut losses),
        "end_turn"
    );
    assert_eq!(paths(&losses), ["stop_reason", "stop_reason"]);
    assert_eq!(
        am::decode_stop("something_new".into()),
        StopReason::Other("something_new".into())
    );
}

#[test]
fn usage_normalisation_both_ways() {
    let body = response("cache_usage");
    let r = am::decode_response(&body).unwrap();
    let u = r.usage.unwrap();
    assert_eq!(
        u,
        Usage {
            input_tokens: 21 + 188086 + 2048,
            output_tokens: 393,
            cache_read_input_tokens: 2048,
            cache_write_input_tokens: 188086,
            reasoning_tokens: 0,
        }
    );
    let out =
        json(&am::encode_response(&r, &ResponseMeta::default(), &mut Losses::default()).unwrap());
    assert_eq!(out["usage"]["input_tokens"], 21);
    assert_eq!(out["usage"]["cache_creation_input_tokens"], 188086);
    assert_eq!(out["usage"]["cache_read_input_tokens"], 2048);
    assert_eq!(out["usage"]["output_tokens"], 393);

    // OpenAI-style usage: reasoning stays inside output_tokens.
    let w = am::encode_usage(&Usage {
        input_tokens: 1000,
        output_tokens: 300,
        cache_read_input_tokens: 800,
        cache_write_input_tokens: 0,
        reasoning_tokens: 200,
    });
    assert_eq!(w.input_tokens, 200);
    assert_eq!(w.cache_read_input_tokens, Some(800));
    assert_eq!(w.output_tokens, 300);
}

#[test]
fn encode_foreign_response() {
    let resp = ir::Response {
        id: "".into(),
        model: "".into(),
        created: Some(1_700_000_000),
        choices: vec![
            ir::Choice {
                content: vec![
                    Block::Thinking {
                        text: "Let me think".into(),
                        signature: Some("gemini-sig".into()),
                        id: None,
                        origin: Api::Gemini,
                    },
                    Block::Refusal { text: "No.".into() },
                    Block::ToolCall {
                        id: "call_9".into(),
                        name: "f".into(),
                        arguments: r#"{"a":1"#.into(),
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
    let meta = ResponseMeta {
        id: "msg_gateway_1".into(),
        created: 0,
        model: "claude-via-gateway".into(),
    };
    let mut losses = Losses::default();
    let out = json(&am::encode_response(&resp, &meta, &mut losses).unwrap());
    assert_eq!(
        out,
        serde_json::json!({
            "id": "msg_gateway_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-via-gateway",
            "content": [
                {"type": "thinking", "thinking": "Let me think", "signature": ""},
                {"type": "text", "text": "No."},
                {"type": "tool_use", "id": "call_9", "name": "f", "input": {"input": "{\"a\":1"}}
            ],
            "stop_reason": "tool_use",
            "stop_sequence": null,
            "usage": {"input_tokens": 10, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 5}
        })
    );
    assert_eq!(
        paths(&losses),
        [
            "system_fingerprint",
            "choices[1]",
            "choices[0].content[0].signature",
            "choices[0].content[1]",
            "choices[0].content[2].arguments",
        ]
    );
}
