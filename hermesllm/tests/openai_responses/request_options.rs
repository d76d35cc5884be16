//! Requests: reasoning, structured output, sampling options, extra fields and losses.

use hermesllm::ir::{self, Block, Effort, Message, ResponseFormat, Role};
use hermesllm::openai_responses::decode_request;
use hermesllm::{Api, LossKind, Raw, RequestMeta};

use super::common::*;

#[test]
fn reasoning_items_are_thinking_with_signature() {
    let body = fixture("requests", "reasoning.json");
    let r = req(&body);
    let reasoning = r.reasoning.as_ref().unwrap();
    assert_eq!(reasoning.effort, Some(Effort::High));
    assert_eq!(reasoning.enabled, Some(true));
    assert_eq!(reasoning.summary.as_deref(), Some("auto"));
    assert_eq!(r.max_output_tokens, Some(4096));
    assert_eq!(r.store, Some(false));
    let Block::Thinking {
        text,
        signature,
        id,
        origin,
    } = &r.messages[1].content[0]
    else {
        panic!()
    };
    assert_eq!(*origin, Api::OpenAiResponses);
    assert_eq!(
        id.as_deref(),
        Some("rs_6820f383d7c08191846711c5df8233bc0ac5ba57aafcbac7")
    );
    assert!(signature.as_deref().unwrap().starts_with("gAAAAABoIPOE"));
    assert!(text.starts_with("**Checking the weather**"));
    assert!(text.ends_with("Paris uses celsius."));
    assert!(text.contains("tool.\n\n**Choosing units**"));
    assert!(matches!(r.messages[1].content[1], Block::ToolCall { .. }));

    let (out, _) = encode_req(&r);
    assert_eq!(out["input"][1]["type"], "reasoning");
    assert_eq!(
        out["input"][1]["id"],
        "rs_6820f383d7c08191846711c5df8233bc0ac5ba57aafcbac7"
    );
    assert_eq!(out["input"][1]["summary"][0]["type"], "summary_text");
    assert_eq!(
        out["reasoning"],
        serde_json::json!({"effort":"high","summary":"auto"})
    );
    assert_eq!(
        out["include"],
        serde_json::json!(["reasoning.encrypted_content"])
    );
}

#[test]
fn foreign_thinking_is_dropped_and_budgets_become_efforts() {
    let r = ir::Request {
        model: "o4-mini".into(),
        messages: vec![
            Message::text(Role::User, "hi"),
            Message {
                role: Role::Assistant,
                content: vec![
                    Block::Thinking {
                        text: "hmm".into(),
                        signature: Some("EqQBCkgIARABGAIiQL".into()),
                        id: None,
                        origin: Api::AnthropicMessages,
                    },
                    Block::RedactedThinking {
                        data: "abc".into(),
                        origin: Api::AnthropicMessages,
                    },
                    Block::Text {
                        text: "Hello".into(),
                    },
                ],
                name: None,
            },
        ],
        reasoning: Some(ir::Reasoning {
            enabled: Some(true),
            budget_tokens: Some(10_000),
            include_thoughts: Some(true),
            ..Default::default()
        }),
        ..Default::default()
    };
    let (out, losses) = encode_req(&r);
    assert_eq!(
        out["input"][1],
        serde_json::json!({"type":"message","role":"assistant","content":"Hello"})
    );
    assert_eq!(
        out["reasoning"],
        serde_json::json!({"effort":"high","summary":"auto"})
    );
    let paths: Vec<_> = losses.iter().map(|l| l.path.as_ref()).collect();
    assert_eq!(
        paths,
        [
            "messages[1].content[0]",
            "messages[1].content[1]",
            "reasoning.budget_tokens",
            "reasoning.include_thoughts"
        ]
    );
}

#[test]
fn structured_output_and_nested_text_extras() {
    let body = fixture("requests", "structured_output.json");
    let r = req(&body);
    let Some(ResponseFormat::JsonSchema {
        name,
        description,
        schema,
        strict,
    }) = &r.response_format
    else {
        panic!()
    };
    assert_eq!(name.as_deref(), Some("calendar_event"));
    assert_eq!(description.as_deref(), Some("A calendar event"));
    assert!(schema.get().contains("participants"));
    assert_eq!(*strict, Some(true));
    assert_eq!(r.extra.api, Some(Api::OpenAiResponses));
    assert_eq!(r.extra.fields.len(), 1);
    assert_eq!(r.extra.fields[0].0, "text.verbosity");
    assert_eq!(r.extra.fields[0].1.get(), "\"low\"");
    // Leading system role message goes to the system prompt.
    assert_eq!(
        r.system[0].as_text(),
        Some("Extract the event information.")
    );
    let (out, _) = encode_req(&r);
    assert_eq!(out["text"]["verbosity"], "low");
    assert_eq!(out["text"]["format"]["type"], "json_schema");
    assert_eq!(out["text"]["format"]["name"], "calendar_event");

    let body = fixture("requests", "json_object.json");
    assert_eq!(req(&body).response_format, Some(ResponseFormat::JsonObject));

    // Another API's schema without a name gets the required name.
    let r = ir::Request {
        model: "m".into(),
        response_format: Some(ResponseFormat::JsonSchema {
            name: None,
            description: None,
            schema: Raw::parse(r#"{"type":"object"}"#).unwrap(),
            strict: None,
        }),
        ..Default::default()
    };
    let (out, _) = encode_req(&r);
    assert_eq!(
        out["text"],
        serde_json::json!({"format":{"type":"json_schema","name":"response","schema":{"type":"object"}}})
    );
}

#[test]
fn sampling_and_request_options() {
    let body = fixture("requests", "sampling.json");
    let r = req(&body);
    assert_eq!(r.sampling.temperature, Some(1.2));
    assert_eq!(r.sampling.top_p, Some(0.9));
    assert_eq!(r.max_output_tokens, Some(200));
    assert_eq!(r.top_logprobs, Some(3));
    assert_eq!(r.logprobs, Some(true));
    assert_eq!(r.user.as_deref(), Some("user-1234"));
    assert_eq!(
        r.metadata.unwrap().get(),
        r#"{"session": "abc-123", "tenant": "acme"}"#
    );
    assert_eq!(r.store, Some(true));
    assert!(r.stream);
    assert_eq!(
        r.previous_response_id.as_deref(),
        Some("resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b")
    );

    // From another API: logprobs become an include, unsupported parameters are losses.
    let r = ir::Request {
        model: "gpt-4.1".into(),
        messages: vec![Message::text(Role::User, "hi")],
        sampling: ir::Sampling {
            temperature: Some(0.5),
            top_k: Some(40),
            seed: Some(7),
            frequency_penalty: Some(0.1),
            presence_penalty: Some(0.2),
            top_p: None,
        },
        stop: vec!["\n\n".into()],
        n: Some(2),
        logprobs: Some(true),
        stream: true,
        stream_include_usage: Some(true),
        ..Default::default()
    };
    let (out, losses) = encode_req(&r);
    assert_eq!(out["temperature"], 0.5);
    assert_eq!(out["stream"], true);
    assert_eq!(
        out["include"],
        serde_json::json!(["message.output_text.logprobs"])
    );
    assert!(out.get("stop").is_none() && out.get("seed").is_none());
    let paths: Vec<_> = losses.iter().map(|l| l.path.as_ref()).collect();
    assert_eq!(
        paths,
        [
            "top_k",
            "seed",
            "frequency_penalty",
            "presence_penalty",
            "stop",
            "n"
        ]
    );
    assert!(losses.iter().all(|l| l.kind == LossKind::Dropped));
}

#[test]
fn extra_fields_are_kept_for_responses_and_lost_elsewhere() {
    let body = fixture("requests", "extra_fields.json");
    let r = req(&body);
    let keys: Vec<_> = r.extra.fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "truncation",
            "service_tier",
            "prompt_cache_key",
            "safety_identifier",
            "background",
            "max_tool_calls",
            "tool_choice"
        ]
    );
    assert_eq!(r.tool_choice, None);
    assert_eq!(r.reasoning.as_ref().unwrap().effort, Some(Effort::Minimal));
    let (out, losses) = encode_req(&r);
    assert!(losses.is_empty());
    assert_eq!(out["truncation"], "auto");
    assert_eq!(out["prompt_cache_key"], "hamlet-v1");
    assert_eq!(
        out["tool_choice"],
        serde_json::json!({"type": "web_search_preview"})
    );

    // Extra fields of another API are reported, not written.
    let mut foreign = r.clone();
    foreign.extra.api = Some(Api::AnthropicMessages);
    let (out, losses) = encode_req(&foreign);
    assert!(out.get("truncation").is_none());
    assert_eq!(losses.0.len(), 7);
    assert_eq!(losses.0[0].path, "truncation");
}

#[test]
fn cache_points_and_names_are_losses() {
    let r = ir::Request {
        model: "m".into(),
        system: vec![
            Block::Text { text: "sys".into() },
            Block::CachePoint(ir::Cache::default()),
        ],
        messages: vec![Message {
            role: Role::User,
            content: vec![
                Block::Text { text: "hi".into() },
                Block::CachePoint(ir::Cache::default()),
                Block::Audio {
                    data: "AAA".into(),
                    format: "wav".into(),
                },
            ],
            name: Some("bob".into()),
        }],
        ..Default::default()
    };
    let (out, losses) = encode_req(&r);
    assert_eq!(out["instructions"], "sys");
    assert_eq!(out["input"][0]["content"], "hi");
    let paths: Vec<_> = losses.iter().map(|l| l.path.as_ref()).collect();
    assert_eq!(
        paths,
        [
            "system[1]",
            "messages[0].name",
            "messages[0].content[1]",
            "messages[0].content[2]"
        ]
    );
}

#[test]
fn model_comes_from_meta_when_absent() {
    let m = RequestMeta {
        model: Some("test-model".into()),
        stream: false,
    };
    let r = decode_request(br#"{"input":"hi"}"#, &m).unwrap();
    assert_eq!(r.model, "test-model");
}
