//! Requests: the encoding rules for requests from another API.

use hermesllm::ir::{
    self, Block, Effort, MediaSource, Message, Reasoning, Role, Tool, ToolCallKind, ToolChoice,
    ToolKind,
};
use hermesllm::{Api, Raw};
use serde_json::json;

use super::common::*;

// ---------------------------------------------------------------- requests: encoding rules

fn foreign_request() -> ir::Request<'static> {
    ir::Request {
        model: "gpt-4o".into(),
        system: vec![text("Be brief.")],
        messages: vec![
            Message::text(Role::User, "Weather in Paris?"),
            Message {
                role: Role::Assistant,
                content: vec![
                    Block::Thinking {
                        text: "openai summary".into(),
                        signature: Some("gAAAAencrypted".into()),
                        id: Some("rs_1".into()),
                        origin: Api::OpenAiResponses,
                    },
                    Block::Thinking {
                        text: "claude thought".into(),
                        signature: Some("EqoBsig".into()),
                        id: None,
                        origin: Api::AnthropicMessages,
                    },
                    Block::ToolCall {
                        id: "call_1".into(),
                        name: "get_weather".into(),
                        arguments: r#"{"city":"Paris"}"#.into(),
                        kind: ToolCallKind::Function,
                    },
                    Block::ToolCall {
                        id: "call_2".into(),
                        name: "get_weather".into(),
                        arguments: r#"{"city":"#.into(),
                        kind: ToolCallKind::Function,
                    },
                ],
                name: None,
            },
            Message {
                role: Role::Tool,
                content: vec![Block::ToolResult {
                    call_id: "call_1".into(),
                    name: Some("get_weather".into()),
                    content: vec![text("18C")],
                    is_error: false,
                }],
                name: None,
            },
            Message {
                role: Role::Tool,
                content: vec![Block::ToolResult {
                    call_id: "call_2".into(),
                    name: None,
                    content: vec![text("bad args")],
                    is_error: true,
                }],
                name: None,
            },
            Message::text(Role::System, "Answer in French."),
            Message {
                role: Role::User,
                content: vec![
                    text("And this picture?"),
                    Block::Image {
                        source: MediaSource::Url {
                            url: "https://example.com/a.png".into(),
                            media_type: None,
                        },
                        detail: None,
                    },
                    Block::Image {
                        source: MediaSource::Base64 {
                            media_type: "image/jpeg".into(),
                            data: "/9j/4AAQ".into(),
                        },
                        detail: Some("high".into()),
                    },
                    Block::Document {
                        source: MediaSource::Base64 {
                            media_type: "application/pdf".into(),
                            data: "JVBERi0".into(),
                        },
                        name: Some("report.final.pdf".into()),
                        context: None,
                        citations: None,
                    },
                ],
                name: Some("alice".into()),
            },
        ],
        tools: vec![Tool {
            name: "get_weather".into(),
            description: Some("Weather".into()),
            kind: ToolKind::Function {
                parameters: None,
                strict: Some(true),
            },
            cache: None,
        }],
        tool_choice: Some(ToolChoice::Auto),
        parallel_tool_calls: Some(false),
        sampling: ir::Sampling {
            temperature: Some(0.2),
            top_k: Some(10),
            seed: Some(7),
            ..Default::default()
        },
        max_output_tokens: Some(2048),
        reasoning: Some(Reasoning {
            effort: Some(Effort::Low),
            ..Default::default()
        }),
        user: Some("u-1".into()),
        extra: ir::Extra {
            api: Some(Api::OpenAiChat),
            fields: vec![("prediction".into(), Raw::parse("{}").unwrap())],
        },
        ..Default::default()
    }
}

#[test]
fn encoding_a_foreign_request_applies_bedrock_rules_and_records_losses() {
    let r = foreign_request();
    let (out, losses) = encode_req(&r);

    // System message moved to the system prompt.
    assert_eq!(
        out["system"],
        json!([{"text": "Be brief."}, {"text": "Answer in French."}])
    );
    // Strict alternation: the two tool messages and the user turn merge.
    let msgs = out["messages"].as_array().unwrap();
    let roles: Vec<&str> = msgs.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["user", "assistant", "user"]);
    let assistant = msgs[1]["content"].as_array().unwrap();
    // OpenAI reasoning dropped; Claude thinking kept with its signature.
    assert_eq!(assistant.len(), 3);
    assert_eq!(
        assistant[0],
        json!({"reasoningContent": {"reasoningText": {"text": "claude thought", "signature": "EqoBsig"}}})
    );
    assert_eq!(
        assistant[1],
        json!({"toolUse": {"toolUseId": "call_1", "name": "get_weather", "input": {"city": "Paris"}}})
    );
    // Invalid JSON arguments travel as a string.
    assert_eq!(assistant[2]["toolUse"]["input"], r#"{"city":"#);
    let user = msgs[2]["content"].as_array().unwrap();
    assert_eq!(
        user[0],
        json!({"toolResult": {"toolUseId": "call_1", "content": [{"text": "18C"}]}})
    );
    assert_eq!(user[1]["toolResult"]["status"], "error");
    assert_eq!(user[2], json!({"text": "And this picture?"}));
    assert_eq!(
        user[3],
        json!({"image": {"format": "jpeg", "source": {"bytes": "/9j/4AAQ"}}})
    );
    assert_eq!(user[4]["document"]["name"], "report-final-pdf");
    assert_eq!(user[4]["document"]["format"], "pdf");
    // Tools: a function without parameters gets an empty object schema.
    assert_eq!(
        out["toolConfig"],
        json!({"tools": [{"toolSpec": {"name": "get_weather", "description": "Weather",
            "inputSchema": {"json": {"type": "object", "properties": {}}}}}],
            "toolChoice": {"auto": {}}})
    );
    assert_eq!(
        out["inferenceConfig"],
        json!({"maxTokens": 2048, "temperature": 0.2})
    );
    assert_eq!(
        out["additionalModelRequestFields"],
        json!({"top_k": 10, "thinking": {"type": "enabled", "budget_tokens": 2048}})
    );
    assert!(out.get("prediction").is_none());

    let paths = loss_paths(&losses);
    for p in [
        "messages[1].content[0]",
        "messages[1].content[3].arguments",
        "messages[4]",
        "messages[5].name",
        "messages[5].content[1]",
        "messages[5].content[2].detail",
        "messages[5].content[3].name",
        "tools[0].strict",
        "parallel_tool_calls",
        "seed",
        "user",
        "reasoning.effort",
        "prediction",
    ] {
        assert!(paths.iter().any(|x| x == p), "{p} not in {paths:?}");
    }
    assert_eq!(paths.len(), 13, "{paths:?}");
}

#[test]
fn tool_choice_none_and_allowed() {
    let mut r = ir::Request {
        model: "m".into(),
        messages: vec![Message::text(Role::User, "hi")],
        tools: vec![
            Tool {
                name: "a".into(),
                description: None,
                kind: ToolKind::Function {
                    parameters: None,
                    strict: None,
                },
                cache: None,
            },
            Tool {
                name: "b".into(),
                description: None,
                kind: ToolKind::Custom { format: None },
                cache: None,
            },
        ],
        tool_choice: Some(ToolChoice::None),
        ..Default::default()
    };
    let (out, losses) = encode_req(&r);
    assert!(out.get("toolConfig").is_none());
    assert_eq!(loss_paths(&losses), ["tool_choice"]);

    r.tool_choice = Some(ToolChoice::Allowed {
        names: vec!["a".into()],
        required: true,
    });
    let (out, losses) = encode_req(&r);
    assert_eq!(out["toolConfig"]["tools"].as_array().unwrap().len(), 1);
    assert_eq!(out["toolConfig"]["toolChoice"], json!({"any": {}}));
    assert_eq!(loss_paths(&losses), ["tool_choice"]);

    r.tool_choice = Some(ToolChoice::Required);
    let (out, losses) = encode_req(&r);
    assert_eq!(out["toolConfig"]["toolChoice"], json!({"any": {}}));
    assert_eq!(loss_paths(&losses), ["tools[1]"]);
}

#[test]
fn tool_history_without_tools_gets_stand_in_definitions() {
    let mut r = foreign_request();
    r.tools.clear();
    r.tool_choice = None;
    r.messages[0].content.push(text(""));
    let (out, losses) = encode_req(&r);
    assert_eq!(
        out["toolConfig"],
        json!({"tools": [{"toolSpec": {"name": "get_weather", "inputSchema": {"json": {"type": "object"}}}}]})
    );
    assert!(loss_paths(&losses).contains(&"tools".to_owned()));
    // The empty text block is left out (Bedrock rejects blank text).
    assert_eq!(out["messages"][0]["content"].as_array().unwrap().len(), 1);
}

#[test]
fn reasoning_encodings() {
    let mut r = ir::Request {
        model: "m".into(),
        messages: vec![Message::text(Role::User, "hi")],
        reasoning: Some(Reasoning {
            enabled: Some(false),
            ..Default::default()
        }),
        ..Default::default()
    };
    let (out, losses) = encode_req(&r);
    assert_eq!(
        out["additionalModelRequestFields"]["thinking"],
        json!({"type": "disabled"})
    );
    assert!(losses.is_empty());
    r.reasoning = Some(Reasoning {
        budget_tokens: Some(3000),
        summary: Some("auto".into()),
        ..Default::default()
    });
    let (out, losses) = encode_req(&r);
    assert_eq!(
        out["additionalModelRequestFields"]["thinking"],
        json!({"type": "enabled", "budget_tokens": 3000})
    );
    assert_eq!(loss_paths(&losses), ["reasoning.summary"]);
}
