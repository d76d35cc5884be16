//! Encoding requests that came from another API.

use hermesllm::anthropic_messages as am;
use hermesllm::ir::{
    self, Block, Cache, Effort, MediaSource, Role, ToolCallKind, ToolChoice, ToolKind,
};
use hermesllm::{Api, LossKind, Losses};
use serde_json::Value;

use super::common::*;

// ---------------------------------------------------------------------------------------------
// Encoding requests that came from another API

fn foreign_request() -> ir::Request<'static> {
    ir::Request {
        model: "claude-sonnet-4-5".into(),
        system: vec![text("You are terse.")],
        messages: vec![
            ir::Message::text(Role::User, "Weather in Paris?"),
            ir::Message {
                role: Role::Assistant,
                content: vec![
                    Block::Thinking {
                        text: "I should call the tool".into(),
                        signature: Some("gAAAAAB-openai-encrypted".into()),
                        id: Some("rs_123".into()),
                        origin: Api::OpenAiResponses,
                    },
                    Block::ToolCall {
                        id: "call_1".into(),
                        name: "get_weather".into(),
                        arguments: r#"{"location":"Paris"}"#.into(),
                        kind: ToolCallKind::Function,
                    },
                    Block::ToolCall {
                        id: "call_2".into(),
                        name: "get_time".into(),
                        arguments: "".into(),
                        kind: ToolCallKind::Function,
                    },
                ],
                name: None,
            },
            ir::Message {
                role: Role::Tool,
                content: vec![Block::ToolResult {
                    call_id: "call_1".into(),
                    name: Some("get_weather".into()),
                    content: vec![text(r#"{"temp":18}"#)],
                    is_error: false,
                }],
                name: None,
            },
            ir::Message {
                role: Role::Tool,
                content: vec![Block::ToolResult {
                    call_id: "call_2".into(),
                    name: None,
                    content: vec![text("12:00")],
                    is_error: false,
                }],
                name: None,
            },
            ir::Message::text(Role::System, "Answer in French."),
            ir::Message::text(Role::User, "Thanks!"),
        ],
        tools: vec![ir::Tool {
            name: "get_weather".into(),
            description: None,
            kind: ToolKind::Function {
                parameters: None,
                strict: Some(true),
            },
            cache: None,
        }],
        sampling: ir::Sampling {
            temperature: Some(1.4),
            seed: Some(7),
            ..Default::default()
        },
        n: Some(1),
        user: Some("user-42".into()),
        extra: ir::Extra {
            api: Some(Api::OpenAiChat),
            fields: vec![("logit_bias".into(), raw(r#"{"50256":-100}"#))],
        },
        ..Default::default()
    }
}

#[test]
fn encode_applies_anthropic_rules_and_records_losses() {
    let req = foreign_request();
    let mut losses = Losses::default();
    let out = json(&am::encode_request(&req, &mut losses).unwrap());
    assert_eq!(
        out,
        serde_json::json!({
            "model": "claude-sonnet-4-5",
            "max_tokens": 4096,
            "system": [{"type": "text", "text": "You are terse."}, {"type": "text", "text": "Answer in French."}],
            "messages": [
                {"role": "user", "content": "Weather in Paris?"},
                {"role": "assistant", "content": [
                    {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"location": "Paris"}},
                    {"type": "tool_use", "id": "call_2", "name": "get_time", "input": {}}
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "call_1", "content": "{\"temp\":18}"},
                    {"type": "tool_result", "tool_use_id": "call_2", "content": "12:00"},
                    {"type": "text", "text": "Thanks!"}
                ]}
            ],
            "tools": [{"name": "get_weather", "input_schema": {"type": "object", "properties": {}}, "strict": true}],
            "temperature": 1.0,
            "metadata": {"user_id": "user-42"}
        })
    );
    let got: Vec<(String, LossKind)> = losses
        .iter()
        .map(|l| (l.path.to_string(), l.kind))
        .collect();
    assert_eq!(
        got,
        [
            ("seed".to_owned(), LossKind::Dropped),
            ("messages[1].content[0]".to_owned(), LossKind::Dropped),
            ("messages[4]".to_owned(), LossKind::Approximated),
            ("max_tokens".to_owned(), LossKind::Approximated),
            ("temperature".to_owned(), LossKind::Approximated),
            ("logit_bias".to_owned(), LossKind::Dropped),
        ]
    );
}

#[test]
fn effort_maps_to_a_budget_and_thinking_conflicts_give_way() {
    let mut req = foreign_request();
    req.messages.truncate(1);
    req.extra = ir::Extra::default();
    req.sampling = ir::Sampling {
        temperature: Some(0.2),
        top_k: Some(5),
        ..Default::default()
    };
    req.reasoning = Some(ir::Reasoning {
        effort: Some(Effort::High),
        ..Default::default()
    });
    let mut losses = Losses::default();
    let out = json(&am::encode_request(&req, &mut losses).unwrap());
    assert_eq!(
        out["thinking"],
        serde_json::json!({"type": "enabled", "budget_tokens": 16384})
    );
    // No max_tokens in the source: the default is raised above the budget.
    assert_eq!(out["max_tokens"], 16384 + 4096);
    assert!(out.get("temperature").is_none());
    assert!(out.get("top_k").is_none());
    assert_eq!(
        paths(&losses),
        ["reasoning.effort", "max_tokens", "temperature", "top_k"]
    );

    // An explicit max_tokens below the budget lowers the budget.
    req.max_output_tokens = Some(8000);
    req.sampling = ir::Sampling::default();
    let mut losses = Losses::default();
    let out = json(&am::encode_request(&req, &mut losses).unwrap());
    assert_eq!(out["thinking"]["budget_tokens"], 7999);
    assert_eq!(out["max_tokens"], 8000);
    assert_eq!(
        paths(&losses),
        ["reasoning.effort", "reasoning.budget_tokens"]
    );

    // Forced tool use and thinking cannot go together: thinking is dropped.
    req.tool_choice = Some(ToolChoice::Required);
    let mut losses = Losses::default();
    let out = json(&am::encode_request(&req, &mut losses).unwrap());
    assert!(out.get("thinking").is_none());
    assert_eq!(out["tool_choice"], serde_json::json!({"type": "any"}));

    // Disabled.
    req.tool_choice = None;
    req.reasoning = Some(ir::Reasoning {
        effort: Some(Effort::None),
        ..Default::default()
    });
    let out = json(&am::encode_request(&req, &mut Losses::default()).unwrap());
    assert_eq!(out["thinking"], serde_json::json!({"type": "disabled"}));
}

#[test]
fn tool_loop_without_claude_thinking_turns_thinking_off() {
    let mut req = foreign_request();
    req.extra = ir::Extra::default();
    req.sampling = ir::Sampling::default();
    req.messages.truncate(4);
    req.reasoning = Some(ir::Reasoning {
        enabled: Some(true),
        budget_tokens: Some(2048),
        ..Default::default()
    });
    let mut losses = Losses::default();
    let out = json(&am::encode_request(&req, &mut losses).unwrap());
    assert!(out.get("thinking").is_none());
    assert!(paths(&losses).contains(&"reasoning".to_owned()));
}

#[test]
fn tool_choice_and_response_format_mappings() {
    let mut req = foreign_request();
    req.extra = ir::Extra::default();
    req.sampling = ir::Sampling::default();
    req.messages.truncate(1);
    let cases = [
        (ToolChoice::Auto, serde_json::json!({"type": "auto"})),
        (ToolChoice::None, serde_json::json!({"type": "none"})),
        (ToolChoice::Required, serde_json::json!({"type": "any"})),
        (
            ToolChoice::Tool {
                name: "get_weather".into(),
            },
            serde_json::json!({"type": "tool", "name": "get_weather"}),
        ),
        (
            ToolChoice::Allowed {
                names: vec!["a".into(), "b".into()],
                required: true,
            },
            serde_json::json!({"type": "any"}),
        ),
    ];
    for (choice, want) in cases {
        req.tool_choice = Some(choice);
        let out = json(&am::encode_request(&req, &mut Losses::default()).unwrap());
        assert_eq!(out["tool_choice"], want);
    }
    req.tool_choice = None;
    req.parallel_tool_calls = Some(false);
    let out = json(&am::encode_request(&req, &mut Losses::default()).unwrap());
    assert_eq!(
        out["tool_choice"],
        serde_json::json!({"type": "auto", "disable_parallel_tool_use": true})
    );

    req.response_format = Some(ir::ResponseFormat::JsonSchema {
        name: Some("person".into()),
        description: None,
        schema: raw(r#"{"type":"object","properties":{"name":{"type":"string"}}}"#),
        strict: Some(true),
    });
    let mut losses = Losses::default();
    let out = json(&am::encode_request(&req, &mut losses).unwrap());
    assert_eq!(
        out["output_config"]["format"],
        serde_json::json!({"type": "json_schema", "schema": {"type": "object", "properties": {"name": {"type": "string"}}}})
    );
    assert!(paths(&losses).contains(&"response_format.name".to_owned()));

    req.response_format = Some(ir::ResponseFormat::JsonObject);
    let mut losses = Losses::default();
    let out = json(&am::encode_request(&req, &mut losses).unwrap());
    assert!(out.get("output_config").is_none());
    assert!(paths(&losses).contains(&"response_format".to_owned()));
}

#[test]
fn foreign_blocks_are_converted_or_reported() {
    let req = ir::Request {
        model: "m".into(),
        max_output_tokens: Some(100),
        messages: vec![
            ir::Message {
                role: Role::User,
                content: vec![
                    Block::Image {
                        source: MediaSource::Url {
                            url: "https://example.com/a.png".into(),
                            media_type: Some("image/png".into()),
                        },
                        detail: Some("high".into()),
                    },
                    Block::Audio {
                        data: "UklGR".into(),
                        format: "wav".into(),
                    },
                    Block::CachePoint(Cache::default()),
                ],
                name: Some("alice".into()),
            },
            ir::Message {
                role: Role::Assistant,
                content: vec![
                    Block::Refusal {
                        text: "I can't.".into(),
                    },
                    Block::ToolCall {
                        id: "c".into(),
                        name: "patch".into(),
                        arguments: "*** Begin Patch".into(),
                        kind: ToolCallKind::Custom,
                    },
                ],
                name: None,
            },
        ],
        ..Default::default()
    };
    let mut losses = Losses::default();
    let out = json(&am::encode_request(&req, &mut losses).unwrap());
    assert_eq!(
        out["messages"][0]["content"],
        serde_json::json!([{"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}, "cache_control": {"type": "ephemeral"}}])
    );
    assert_eq!(
        out["messages"][1]["content"],
        serde_json::json!([
            {"type": "text", "text": "I can't."},
            {"type": "tool_use", "id": "c", "name": "patch", "input": {"input": "*** Begin Patch"}}
        ])
    );
    assert_eq!(
        paths(&losses),
        [
            "messages[0].name",
            "messages[0].content[0].detail",
            "messages[0].content[1]",
            "messages[1].content[0]",
            "messages[1].content[1].arguments",
        ]
    );
}

#[test]
fn thinking_follows_what_the_model_accepts() {
    let encode = |model: &str, reasoning: ir::Reasoning<'static>| {
        let req = ir::Request {
            model: model.to_owned().into(),
            max_output_tokens: Some(32000),
            messages: vec![ir::Message::text(Role::User, "hi")],
            reasoning: Some(reasoning),
            ..Default::default()
        };
        let mut losses = Losses::default();
        let out = json(&am::encode_request(&req, &mut losses).unwrap());
        (
            out["thinking"].clone(),
            out["output_config"].clone(),
            paths(&losses),
        )
    };
    let budget = ir::Reasoning {
        enabled: Some(true),
        budget_tokens: Some(10000),
        ..Default::default()
    };
    let effort = ir::Reasoning {
        enabled: Some(true),
        effort: Some(Effort::High),
        ..Default::default()
    };
    let dynamic = ir::Reasoning {
        enabled: Some(true),
        ..Default::default()
    };
    // Opus 4.7 rejects budgets: the nearest effort.
    assert_eq!(
        encode("claude-opus-4-7", budget.clone()),
        (
            serde_json::json!({"type": "adaptive"}),
            serde_json::json!({"effort": "high"}),
            vec!["reasoning.budget_tokens".to_owned()]
        )
    );
    // 4.6 takes both: the budget stays, an effort goes adaptive.
    assert_eq!(
        encode("claude-sonnet-4-6", budget.clone()).0,
        serde_json::json!({"type": "enabled", "budget_tokens": 10000})
    );
    assert_eq!(
        encode("claude-sonnet-4-6", effort.clone()),
        (
            serde_json::json!({"type": "adaptive"}),
            serde_json::json!({"effort": "high"}),
            vec![]
        )
    );
    // Budget-only models get a budget for an effort or for model-decided thinking.
    assert_eq!(
        encode("claude-haiku-4-5", effort).0,
        serde_json::json!({"type": "enabled", "budget_tokens": 16384})
    );
    assert_eq!(
        encode("claude-haiku-4-5", dynamic.clone()).0,
        serde_json::json!({"type": "enabled", "budget_tokens": 8192})
    );
    assert_eq!(
        encode("claude-opus-4-6", dynamic),
        (serde_json::json!({"type": "adaptive"}), Value::Null, vec![])
    );
}

#[test]
fn temperature_and_top_p_together_only_on_models_that_take_both() {
    let encode = |model: &str| {
        let req = ir::Request {
            model: model.to_owned().into(),
            max_output_tokens: Some(100),
            messages: vec![ir::Message::text(Role::User, "hi")],
            sampling: ir::Sampling {
                temperature: Some(0.5),
                top_p: Some(0.9),
                ..Default::default()
            },
            ..Default::default()
        };
        let mut losses = Losses::default();
        let out = json(&am::encode_request(&req, &mut losses).unwrap());
        (out.get("top_p").cloned(), paths(&losses))
    };
    assert_eq!(
        encode("claude-sonnet-4-5"),
        (None, vec!["top_p".to_owned()])
    );
    assert_eq!(
        encode("claude-3-5-haiku-20241022"),
        (Some(serde_json::json!(0.9)), vec![])
    );
}

#[test]
fn custom_and_foreign_builtin_tools() {
    let req = ir::Request {
        model: "claude-sonnet-4-5".into(),
        max_output_tokens: Some(100),
        messages: vec![ir::Message::text(Role::User, "hi")],
        tools: vec![
            ir::Tool {
                name: "apply_patch".into(),
                description: Some("Apply a patch".into()),
                kind: ToolKind::Custom {
                    format: Some(raw(r#"{"type":"grammar"}"#)),
                },
                cache: None,
            },
            ir::Tool {
                name: "".into(),
                description: None,
                kind: ToolKind::Builtin {
                    origin: Api::OpenAiResponses,
                    raw: raw(r#"{"type":"web_search"}"#),
                },
                cache: None,
            },
        ],
        ..Default::default()
    };
    let mut losses = Losses::default();
    let out = json(&am::encode_request(&req, &mut losses).unwrap());
    assert_eq!(
        out["tools"],
        serde_json::json!([{
            "name": "apply_patch",
            "description": "Apply a patch",
            "input_schema": {"type": "object", "properties": {"input": {"type": "string"}}, "required": ["input"]}
        }])
    );
    assert_eq!(paths(&losses), ["tools[0]", "tools[0].format", "tools[1]"]);
}
