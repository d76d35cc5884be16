//! Responses: fixtures, round trips, usage, stop reasons and encoding from another API.

use hermesllm::ir::{self, Block, Role, StopReason, ToolCallKind, Usage};
use hermesllm::openai_chat as oc;
use hermesllm::{Api, LossKind, Losses, ResponseMeta};
use serde_json::Value;

use super::common::*;

// ---------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------

fn encode_resp(r: &ir::Response<'_>) -> (Value, Losses) {
    let mut losses = Losses::default();
    let body = oc::encode_response(r, &ResponseMeta::default(), &mut losses).unwrap();
    (json(&body), losses)
}

#[test]
fn every_response_fixture_decodes_and_round_trips_losslessly() {
    let all = fixtures("responses");
    assert!(all.len() >= 8);
    for (name, body) in &all {
        let ir1 = oc::decode_response(body).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut losses = Losses::default();
        let out = oc::encode_response(&ir1, &ResponseMeta::default(), &mut losses).unwrap();
        assert!(losses.is_empty(), "{name}: {losses:?}");
        let ir2 = oc::decode_response(&out).unwrap();
        assert_eq!(ir1, ir2, "{name}");
    }
}

#[test]
fn text_response_and_usage() {
    let body = resp("text");
    let r = oc::decode_response(&body).unwrap();
    assert_eq!(r.id, "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT");
    assert_eq!(r.model, "gpt-4o-2024-08-06");
    assert_eq!(r.created, Some(1741569952));
    assert_eq!(r.system_fingerprint.as_deref(), Some("fp_44709d6fcb"));
    assert_eq!(r.service_tier.as_deref(), Some("default"));
    assert_eq!(r.choices.len(), 1);
    assert_eq!(
        r.choices[0].content,
        vec![Block::Text {
            text: "Hello! How can I assist you today?".into()
        }]
    );
    assert_eq!(r.choices[0].stop_reason, Some(StopReason::EndTurn));
    assert_eq!(
        r.usage,
        Some(Usage {
            input_tokens: 19,
            output_tokens: 10,
            ..Default::default()
        })
    );
    let (v, _) = encode_resp(&r);
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["choices"][0]["message"]["role"], "assistant");
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert_eq!(v["choices"][0]["logprobs"], Value::Null);
    assert_eq!(v["usage"]["total_tokens"], 29);
}

#[test]
fn cached_and_reasoning_usage_both_ways() {
    let body = resp("cached_usage");
    let r = oc::decode_response(&body).unwrap();
    assert_eq!(
        r.usage,
        Some(Usage {
            input_tokens: 2006,
            output_tokens: 300,
            cache_read_input_tokens: 1920,
            cache_write_input_tokens: 0,
            reasoning_tokens: 0
        })
    );
    let body = resp("reasoning");
    let r = oc::decode_response(&body).unwrap();
    assert_eq!(r.usage.unwrap().reasoning_tokens, 384);
    assert_eq!(r.usage.unwrap().output_tokens, 412);
    assert!(matches!(&r.choices[0].content[0],
        Block::Thinking { text, origin: Api::OpenAiChat, signature: None, .. } if text.starts_with("s-t-r")));
    // Anthropic-normalised usage with cache writes: prompt_tokens keeps every input token.
    let r = ir::Response {
        id: "msg_1".into(),
        model: "claude".into(),
        choices: vec![ir::Choice {
            content: vec![Block::Text { text: "ok".into() }],
            stop_reason: Some(StopReason::EndTurn),
            ..Default::default()
        }],
        usage: Some(Usage {
            input_tokens: 1000,
            output_tokens: 50,
            cache_read_input_tokens: 600,
            cache_write_input_tokens: 300,
            reasoning_tokens: 20,
        }),
        ..Default::default()
    };
    let (v, losses) = encode_resp(&r);
    assert_eq!(
        v["usage"],
        serde_json::json!({"prompt_tokens":1000,"completion_tokens":50,"total_tokens":1050,
            "prompt_tokens_details":{"cached_tokens":600},
            "completion_tokens_details":{"reasoning_tokens":20}})
    );
    assert_eq!(loss_paths(&losses), ["usage.cache_write_input_tokens"]);
}

#[test]
fn stop_reasons_both_ways() {
    for (name, want) in [
        ("text", StopReason::EndTurn),
        ("length", StopReason::MaxTokens),
        ("tool_call", StopReason::ToolUse),
        ("content_filter", StopReason::ContentFilter),
        ("legacy_function_call", StopReason::ToolUse),
    ] {
        let body = resp(name);
        let r = oc::decode_response(&body).unwrap();
        assert_eq!(r.choices[0].stop_reason, Some(want), "{name}");
    }
    for (reason, want, exact) in [
        (StopReason::EndTurn, "stop", true),
        (StopReason::StopSequence, "stop", true),
        (StopReason::MaxTokens, "length", true),
        (StopReason::ToolUse, "tool_calls", true),
        (StopReason::ContentFilter, "content_filter", true),
        (StopReason::Refusal, "content_filter", false),
        (StopReason::PauseTurn, "stop", false),
        (StopReason::ContextWindowExceeded, "length", false),
        (StopReason::Other("OTHER".into()), "stop", false),
    ] {
        let r = ir::Response {
            choices: vec![ir::Choice {
                stop_reason: Some(reason.clone()),
                ..Default::default()
            }],
            ..Default::default()
        };
        let (v, losses) = encode_resp(&r);
        assert_eq!(v["choices"][0]["finish_reason"], want, "{reason:?}");
        assert_eq!(losses.is_empty(), exact, "{reason:?}");
        if !exact {
            assert_eq!(losses.0[0].kind, LossKind::Approximated);
            assert_eq!(losses.0[0].path, "choices[0].stop_reason");
        }
    }
}

#[test]
fn tool_calls_refusals_and_legacy_function_calls_in_responses() {
    let body = resp("parallel_tool_calls");
    let r = oc::decode_response(&body).unwrap();
    let c = &r.choices[0].content;
    assert_eq!(c.len(), 2);
    assert!(matches!(&c[1], Block::ToolCall { id, name, arguments, .. }
        if id == "call_def456" && name == "get_time" && arguments == r#"{"timezone":"Asia/Tokyo"}"#));
    let (v, _) = encode_resp(&r);
    assert_eq!(v["choices"][0]["message"]["content"], Value::Null);
    assert_eq!(
        v["choices"][0]["message"]["tool_calls"][1]["function"]["name"],
        "get_time"
    );
    assert_eq!(v["choices"][0]["finish_reason"], "tool_calls");

    let body = resp("refusal");
    let r = oc::decode_response(&body).unwrap();
    assert_eq!(
        r.choices[0].content,
        vec![Block::Refusal {
            text: "I'm sorry, I can't help with that request.".into()
        }]
    );
    let body = resp("legacy_function_call");
    let r = oc::decode_response(&body).unwrap();
    assert!(
        matches!(&r.choices[0].content[0], Block::ToolCall { name, .. } if name == "get_weather")
    );
    let body = resp("multiple_choices");
    let r = oc::decode_response(&body).unwrap();
    assert_eq!(r.choices.len(), 2);
    assert!(r.choices[1].logprobs.unwrap().get().contains("Salt"));
}

#[test]
fn responses_from_other_apis() {
    let r = ir::Response {
        id: "".into(),
        model: "".into(),
        created: None,
        choices: vec![ir::Choice {
            content: vec![
                Block::Thinking {
                    text: "think".into(),
                    signature: Some("sig".into()),
                    id: None,
                    origin: Api::AnthropicMessages,
                },
                Block::Text {
                    text: "Hello ".into(),
                },
                Block::ToolCall {
                    id: "toolu_1".into(),
                    name: "f".into(),
                    arguments: "{}".into(),
                    kind: ToolCallKind::Function,
                },
                Block::Text {
                    text: "world".into(),
                },
            ],
            stop_reason: Some(StopReason::StopSequence),
            stop_sequence: Some("END".into()),
            logprobs: None,
        }],
        previous_response_id: Some("resp_0".into()),
        ..Default::default()
    };
    let meta = ResponseMeta {
        id: "chatcmpl-gw-1".into(),
        created: 1_700_000_000,
        model: "claude-sonnet-4".into(),
    };
    let mut losses = Losses::default();
    let v = json(&oc::encode_response(&r, &meta, &mut losses).unwrap());
    assert_eq!(v["id"], "chatcmpl-gw-1");
    assert_eq!(v["created"], 1_700_000_000);
    assert_eq!(v["model"], "claude-sonnet-4");
    let m = &v["choices"][0]["message"];
    assert_eq!(m["content"], "Hello world");
    assert_eq!(m["reasoning_content"], "think");
    assert_eq!(m["tool_calls"][0]["id"], "toolu_1");
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert_eq!(
        loss_paths(&losses),
        [
            "previous_response_id",
            "choices[0].stop_sequence",
            "choices[0].content[0].signature"
        ]
    );
}

#[test]
fn empty_assistant_turns_still_carry_content() {
    let r = ir::Request {
        model: "m".into(),
        messages: vec![
            ir::Message::text(Role::User, "a"),
            ir::Message {
                role: Role::Assistant,
                content: vec![],
                name: None,
            },
            ir::Message::text(Role::User, "b"),
        ],
        ..Default::default()
    };
    let (v, _) = encode_req(&r);
    assert_eq!(
        v["messages"][1],
        serde_json::json!({"role":"assistant","content":""})
    );
}
