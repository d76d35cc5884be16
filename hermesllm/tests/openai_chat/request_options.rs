//! Requests: reasoning, response format, sampling options, unknown fields and legacy functions.

use hermesllm::ir::{self, Block, Effort, Role, ToolChoice};
use hermesllm::openai_chat as oc;
use hermesllm::{Api, LossKind, Str};
use serde_json::Value;

use super::common::*;

#[test]
fn reasoning_effort_and_reasoning_content() {
    let body = req("reasoning");
    let r = oc::decode_request(&body, &meta()).unwrap();
    assert_eq!(r.reasoning.as_ref().unwrap().effort, Some(Effort::High));
    assert_eq!(
        r.messages[1].content[0],
        Block::Thinking {
            text: "Compare the decimals: 9.11 has 0.11, 9.8 has 0.80. 0.80 > 0.11.".into(),
            signature: None,
            id: None,
            origin: Api::OpenAiChat
        }
    );
    assert_eq!(
        r.messages[1].content[1].as_text(),
        Some("9.8 is greater than 9.11.")
    );
    let (v, _) = encode_req(&r);
    assert_eq!(v["reasoning_effort"], "high");
    assert!(
        v["messages"][1]["reasoning_content"]
            .as_str()
            .unwrap()
            .starts_with("Compare")
    );
    let bad =
        br#"{"model":"m","messages":[{"role":"user","content":"x"}],"reasoning_effort":"extreme"}"#;
    assert!(oc::decode_request(bad, &meta()).is_err());
}

#[test]
fn foreign_thinking_is_dropped_and_budgets_become_efforts() {
    let r = ir::Request {
        model: "m".into(),
        messages: vec![
            ir::Message::text(Role::User, "q"),
            ir::Message {
                role: Role::Assistant,
                content: vec![
                    Block::Thinking {
                        text: "hmm".into(),
                        signature: Some("EqQBCgIYAhIM".into()),
                        id: None,
                        origin: Api::AnthropicMessages,
                    },
                    Block::RedactedThinking {
                        data: "xyz".into(),
                        origin: Api::AnthropicMessages,
                    },
                    Block::Text { text: "a".into() },
                ],
                name: None,
            },
        ],
        reasoning: Some(ir::Reasoning {
            enabled: Some(true),
            budget_tokens: Some(10_000),
            ..Default::default()
        }),
        ..Default::default()
    };
    let (v, losses) = encode_req(&r);
    assert_eq!(v["reasoning_effort"], "high");
    assert!(v["messages"][1].get("reasoning_content").is_none());
    assert_eq!(v["messages"][1]["content"], "a");
    assert_eq!(
        loss_paths(&losses),
        [
            "messages[1].content[0]",
            "messages[1].content[1]",
            "reasoning.budget_tokens"
        ]
    );
    assert_eq!(losses.0[2].kind, LossKind::Approximated);
}

#[test]
fn response_format_json_schema_and_json_object() {
    let body = req("json_schema");
    let r = oc::decode_request(&body, &meta()).unwrap();
    match r.response_format.as_ref().unwrap() {
        ir::ResponseFormat::JsonSchema {
            name,
            description,
            schema,
            strict,
        } => {
            assert_eq!(name.as_deref(), Some("calendar_event"));
            assert_eq!(description.as_deref(), Some("A calendar event"));
            assert_eq!(*strict, Some(true));
            assert!(schema.get().contains(r#""participants""#));
        }
        f => panic!("{f:?}"),
    }
    let (v, _) = encode_req(&r);
    assert_eq!(v["response_format"]["type"], "json_schema");
    assert_eq!(
        v["response_format"]["json_schema"]["name"],
        "calendar_event"
    );
    let body = req("json_object");
    let r = oc::decode_request(&body, &meta()).unwrap();
    assert_eq!(r.response_format, Some(ir::ResponseFormat::JsonObject));
    assert_eq!(r.sampling.seed, Some(7));
    // A schema without a name gets the default one.
    let r = ir::Request {
        model: "m".into(),
        messages: vec![ir::Message::text(Role::User, "x")],
        response_format: Some(ir::ResponseFormat::JsonSchema {
            name: None,
            description: None,
            schema: raw(r#"{"type":"object"}"#),
            strict: None,
        }),
        ..Default::default()
    };
    let (v, _) = encode_req(&r);
    assert_eq!(
        v["response_format"],
        serde_json::json!({"type":"json_schema","json_schema":{"name":"response","schema":{"type":"object"}}})
    );
}

#[test]
fn sampling_parameters_and_stop_sequences() {
    let body = req("sampling");
    let r = oc::decode_request(&body, &meta()).unwrap();
    assert_eq!(
        r.sampling,
        ir::Sampling {
            temperature: Some(0.7),
            top_p: Some(0.9),
            top_k: None,
            seed: Some(42),
            frequency_penalty: Some(0.5),
            presence_penalty: Some(-0.25),
        }
    );
    assert_eq!(r.n, Some(2));
    assert_eq!(r.stop, vec![Str::from("\n\n"), Str::from("END")]);
    assert_eq!(r.max_output_tokens, Some(120));
    assert_eq!(r.logprobs, Some(true));
    assert_eq!(r.top_logprobs, Some(3));
    assert_eq!(r.user.as_deref(), Some("user-1234"));
    assert_eq!(
        r.metadata.unwrap().get(),
        "{\n    \"session\": \"abc\",\n    \"tier\": \"free\"\n  }"
    );
    assert_eq!(r.store, Some(true));
    let (v, _) = encode_req(&r);
    assert_eq!(v["stop"], serde_json::json!(["\n\n", "END"]));
    assert_eq!(v["max_completion_tokens"], 120);
    assert_eq!(v["presence_penalty"], -0.25);
    assert_eq!(v["metadata"]["tier"], "free");

    let body = req("stop_string");
    let r = oc::decode_request(&body, &meta()).unwrap();
    assert_eq!(r.stop, vec![Str::from("7")]);
    assert_eq!(r.max_output_tokens, Some(50));
}

#[test]
fn max_completion_tokens_wins_over_max_tokens() {
    let body = br#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":10,"max_completion_tokens":20}"#;
    assert_eq!(
        oc::decode_request(body, &meta()).unwrap().max_output_tokens,
        Some(20)
    );
}

#[test]
fn unknown_fields_are_kept_for_the_same_api_and_recorded_for_others() {
    let body = req("extra_fields");
    let r = oc::decode_request(&body, &meta()).unwrap();
    assert_eq!(r.extra.api, Some(Api::OpenAiChat));
    let keys: Vec<_> = r.extra.fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "service_tier",
            "logit_bias",
            "prediction",
            "modalities",
            "web_search_options",
            "x_future_field"
        ]
    );
    let (v, losses) = encode_req(&r);
    assert!(losses.is_empty());
    assert_eq!(v["service_tier"], "flex");
    assert_eq!(v["x_future_field"]["a"][2]["b"], Value::Null);

    let mut other = r.clone();
    other.extra.api = Some(Api::AnthropicMessages);
    let (v, losses) = encode_req(&other);
    assert!(v.get("service_tier").is_none());
    assert_eq!(losses.0.len(), 6);
    assert_eq!(losses.0[0].path, "service_tier");
    assert_eq!(losses.0[0].kind, LossKind::Dropped);
}

#[test]
fn streaming_requests_ask_for_usage() {
    let body = req("stream");
    let r = oc::decode_request(&body, &meta()).unwrap();
    assert!(r.stream);
    assert_eq!(r.stream_include_usage, Some(true));
    // From another API (no include_usage): the gateway still needs usage.
    let r = ir::Request {
        model: "m".into(),
        messages: vec![ir::Message::text(Role::User, "x")],
        stream: true,
        ..Default::default()
    };
    let (v, _) = encode_req(&r);
    assert_eq!(v["stream"], true);
    assert_eq!(v["stream_options"]["include_usage"], true);
}

#[test]
fn legacy_functions_decode_as_tools() {
    let body = req("legacy_functions");
    let r = oc::decode_request(&body, &meta()).unwrap();
    assert_eq!(r.tools.len(), 1);
    assert_eq!(r.tools[0].name, "get_weather");
    assert_eq!(r.tool_choice, Some(ToolChoice::Auto));
    assert!(matches!(&r.messages[1].content[0],
        Block::ToolCall { id, name, .. } if id == "get_weather" && name == "get_weather"));
    assert!(matches!(&r.messages[2].content[0],
        Block::ToolResult { call_id, name: None, .. } if call_id == "get_weather"));
    let (v, _) = encode_req(&r);
    assert_eq!(v["tools"][0]["type"], "function");
    assert!(v.get("functions").is_none());
    assert_eq!(v["messages"][2]["role"], "tool");
}
