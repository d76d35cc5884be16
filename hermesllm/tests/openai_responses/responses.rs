//! Responses: decoding, stop reasons, usage and encoding from another API.

use hermesllm::ir::{self, Block, StopReason, ToolCallKind, Usage};
use hermesllm::openai_responses::{decode_response, encode_response};
use hermesllm::{Api, LossKind, Losses, Str};
use serde_json::Value;

use super::common::*;

// ---------------------------------------------------------------- responses

#[test]
fn text_response() {
    let body = fixture("responses", "text.json");
    let r = decode_response(&body).unwrap();
    assert_eq!(
        r.id,
        "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b"
    );
    assert_eq!(r.model, "gpt-4.1-2025-04-14");
    assert_eq!(r.created, Some(1741476542));
    let c = &r.choices[0];
    assert_eq!(c.stop_reason, Some(StopReason::EndTurn));
    assert!(
        c.content[0]
            .as_text()
            .unwrap()
            .starts_with("In a peaceful grove")
    );
    assert_eq!(
        r.usage,
        Some(Usage {
            input_tokens: 36,
            output_tokens: 87,
            ..Default::default()
        })
    );
}

#[test]
fn tool_call_responses_stop_for_tool_use() {
    let body = fixture("responses", "parallel_tool_calls.json");
    let r = decode_response(&body).unwrap();
    let c = &r.choices[0];
    assert_eq!(c.stop_reason, Some(StopReason::ToolUse));
    assert_eq!(c.content.len(), 4);
    assert_eq!(c.content[0].as_text(), Some("Let me check both cities."));
    assert!(
        matches!(&c.content[1], Block::ToolCall { id, arguments, kind: ToolCallKind::Function, .. } if id == "call_Paris01" && arguments == r#"{"location":"Paris, France"}"#)
    );
    assert!(
        matches!(&c.content[3], Block::ToolCall { kind: ToolCallKind::Custom, arguments, .. } if arguments == r#"print("hello")"#)
    );

    let body = fixture("responses", "tool_call.json");
    let r = decode_response(&body).unwrap();
    assert_eq!(r.choices[0].stop_reason, Some(StopReason::ToolUse));
}

#[test]
fn reasoning_response_and_usage_details() {
    let body = fixture("responses", "reasoning.json");
    let r = decode_response(&body).unwrap();
    let Block::Thinking {
        text,
        signature,
        id,
        origin,
    } = &r.choices[0].content[0]
    else {
        panic!()
    };
    assert!(text.starts_with("**Determining the weather**"));
    assert!(signature.is_some());
    assert_eq!(
        id.as_deref(),
        Some("rs_6820f383d7c08191846711c5df8233bc0ac5ba57aafcbac7")
    );
    assert_eq!(*origin, Api::OpenAiResponses);
    assert_eq!(
        r.usage,
        Some(Usage {
            input_tokens: 1520,
            output_tokens: 420,
            cache_read_input_tokens: 1024,
            cache_write_input_tokens: 0,
            reasoning_tokens: 384,
        })
    );
    let body = fixture("responses", "cached_usage.json");
    let r = decode_response(&body).unwrap();
    let u = r.usage.unwrap();
    assert_eq!((u.input_tokens, u.cache_read_input_tokens), (2006, 1920));
    assert_eq!((u.output_tokens, u.reasoning_tokens), (300, 256));
    assert_eq!(r.service_tier.as_deref(), Some("default"));
    assert_eq!(
        r.previous_response_id.as_deref(),
        Some("resp_68c3d4e5f6a7b8c9d0e1f2a3b4c5d6e6")
    );
}

#[test]
fn incomplete_responses_map_to_stop_reasons() {
    let cases = [
        ("max_tokens.json", StopReason::MaxTokens),
        ("content_filter.json", StopReason::ContentFilter),
        ("refusal.json", StopReason::EndTurn),
        ("web_search.json", StopReason::EndTurn),
    ];
    for (name, reason) in cases {
        let body = fixture("responses", name);
        let r = decode_response(&body).unwrap();
        assert_eq!(r.choices[0].stop_reason, Some(reason), "{name}");
    }
    let body = fixture("responses", "refusal.json");
    let r = decode_response(&body).unwrap();
    assert_eq!(
        r.choices[0].content,
        vec![Block::Refusal {
            text: "I'm sorry, I can't help with that request.".into()
        }]
    );
    let body = fixture("responses", "web_search.json");
    let r = decode_response(&body).unwrap();
    assert!(
        matches!(&r.choices[0].content[0], Block::Unknown { raw, .. } if raw.get().contains("web_search_call"))
    );
}

fn response_with(
    content: Vec<Block<'static>>,
    reason: StopReason<'static>,
) -> ir::Response<'static> {
    ir::Response {
        id: String::new().into(),
        model: "claude-sonnet-4-5".into(),
        created: None,
        choices: vec![ir::Choice {
            content,
            stop_reason: Some(reason),
            stop_sequence: None,
            logprobs: None,
        }],
        usage: Some(Usage {
            input_tokens: 1200,
            output_tokens: 300,
            cache_read_input_tokens: 1000,
            cache_write_input_tokens: 100,
            reasoning_tokens: 120,
        }),
        ..Default::default()
    }
}

#[test]
fn encode_response_from_another_api() {
    let resp = response_with(
        vec![
            Block::Thinking {
                text: "Let me think.".into(),
                signature: Some("EqQBCkgIARAB".into()),
                id: None,
                origin: Api::AnthropicMessages,
            },
            Block::Text {
                text: "Calling the tool.".into(),
            },
            Block::ToolCall {
                id: "toolu_01A".into(),
                name: "get_weather".into(),
                arguments: r#"{"location":"Paris"}"#.into(),
                kind: ToolCallKind::Function,
            },
        ],
        StopReason::ToolUse,
    );
    let mut losses = Losses::default();
    let out = json(&encode_response(&resp, &resp_meta(), &mut losses).unwrap());
    assert_eq!(out["id"], "resp_gateway1");
    assert_eq!(out["object"], "response");
    assert_eq!(out["created_at"], 1_700_000_000);
    assert_eq!(out["status"], "completed");
    assert_eq!(out["model"], "claude-sonnet-4-5");
    assert_eq!(out["error"], Value::Null);
    assert_eq!(out["incomplete_details"], Value::Null);
    assert_eq!(out["tools"], serde_json::json!([]));
    assert_eq!(
        out["output"][0],
        serde_json::json!({"type":"reasoning","id":"rs_gateway1_0","summary":[{"type":"summary_text","text":"Let me think."}]})
    );
    assert_eq!(
        out["output"][1],
        serde_json::json!({"type":"message","id":"msg_gateway1_1","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Calling the tool.","annotations":[]}]})
    );
    assert_eq!(
        out["output"][2],
        serde_json::json!({"type":"function_call","id":"fc_gateway1_2","status":"completed","call_id":"toolu_01A","name":"get_weather","arguments":"{\"location\":\"Paris\"}"})
    );
    // Usage is carried one to one (cache writes stay inside input_tokens).
    assert_eq!(
        out["usage"],
        serde_json::json!({"input_tokens":1200,"input_tokens_details":{"cached_tokens":1000},"output_tokens":300,"output_tokens_details":{"reasoning_tokens":120},"total_tokens":1500})
    );
    assert_eq!(losses.0.len(), 1);
    assert_eq!(losses.0[0].path, "content[0].signature");
}

#[test]
fn stop_reasons_encode_to_status() {
    let cases = [
        (StopReason::EndTurn, "completed", Value::Null, 0),
        (StopReason::ToolUse, "completed", Value::Null, 0),
        (
            StopReason::MaxTokens,
            "incomplete",
            "max_output_tokens".into(),
            0,
        ),
        (
            StopReason::ContentFilter,
            "incomplete",
            "content_filter".into(),
            0,
        ),
        (
            StopReason::ContextWindowExceeded,
            "incomplete",
            "max_output_tokens".into(),
            1,
        ),
        (StopReason::StopSequence, "completed", Value::Null, 1),
        (StopReason::Refusal, "completed", Value::Null, 1),
        (StopReason::PauseTurn, "completed", Value::Null, 1),
        (StopReason::Other("failed".into()), "failed", Value::Null, 0),
    ];
    for (reason, status, incomplete, nloss) in cases {
        let resp = response_with(vec![Block::Text { text: "x".into() }], reason.clone());
        let mut losses = Losses::default();
        let out = json(&encode_response(&resp, &resp_meta(), &mut losses).unwrap());
        assert_eq!(out["status"], status, "{reason:?}");
        assert_eq!(
            out["incomplete_details"]["reason"], incomplete,
            "{reason:?}"
        );
        assert_eq!(losses.0.len(), nloss, "{reason:?}: {losses:?}");
        if nloss == 1 {
            assert_eq!(losses.0[0].kind, LossKind::Approximated);
        }
    }
}

#[test]
fn response_extra_fields_round_trip_and_keep_ids_of_unknown_items() {
    let body = fixture("responses", "cached_usage.json");
    let r = decode_response(&body).unwrap();
    assert_eq!(r.extra.api, Some(Api::OpenAiResponses));
    assert!(
        r.extra
            .fields
            .iter()
            .any(|(k, v)| k == "prompt_cache_key" && v.get() == "\"hamlet-v1\"")
    );
    let mut losses = Losses::default();
    let out = json(&encode_response(&r, &resp_meta(), &mut losses).unwrap());
    assert_eq!(out["prompt_cache_key"], "hamlet-v1");
    assert_eq!(out["truncation"], "disabled");
    assert_eq!(out["id"], "resp_68c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7");
    assert_eq!(out["output"][0]["id"], "rs_68c3d4e5f6a7b8c9");
    assert_eq!(out["output"][0]["summary"], serde_json::json!([]));

    let body = fixture("responses", "web_search.json");
    let r = decode_response(&body).unwrap();
    let out = json(&encode_response(&r, &resp_meta(), &mut losses).unwrap());
    assert_eq!(
        out["output"][0],
        serde_json::json!({"type": "web_search_call", "id": "ws_67ccf18f64008190a39b619f4c8455ef087bb177ab789d5c", "status": "completed"})
    );
}

#[test]
fn strings_with_escapes_are_owned_and_plain_ones_borrowed() {
    let body = br#"{"model":"m","input":[{"role":"user","content":"line\none"},{"role":"user","content":"plain"}]}"#;
    let r = req(body);
    let t0 = match &r.messages[0].content[0] {
        Block::Text { text } => text,
        _ => panic!(),
    };
    assert_eq!(t0, "line\none");
    match &r.messages[1].content[0] {
        Block::Text { text } => assert!(matches!(text.0, std::borrow::Cow::Borrowed("plain"))),
        _ => panic!(),
    }
    let _: Str<'_> = t0.clone();
}
