//! Requests: input items, system prompt, tools, tool outputs and media.

use hermesllm::ir::{self, Block, MediaSource, Message, Role, ToolCallKind, ToolChoice, ToolKind};
use hermesllm::{Api, LossKind, Raw};

use super::common::*;

// ---------------------------------------------------------------- requests

#[test]
fn string_input_is_one_user_message() {
    let body = fixture("requests", "simple.json");
    let r = req(&body);
    assert_eq!(r.model, "gpt-4.1");
    assert_eq!(r.messages.len(), 1);
    assert_eq!(r.messages[0].role, Role::User);
    assert_eq!(
        r.messages[0].content[0].as_text(),
        Some("Tell me a three sentence bedtime story about a unicorn.")
    );
    assert!(r.system.is_empty());
    assert!(!r.stream);
}

#[test]
fn instructions_and_leading_developer_messages_are_the_system_prompt() {
    let body = fixture("requests", "system.json");
    let r = req(&body);
    let sys: Vec<_> = r.system.iter().filter_map(Block::as_text).collect();
    assert_eq!(
        sys,
        [
            "You are a coding assistant that talks like a pirate.",
            "Answer in at most two sentences."
        ]
    );
    let roles: Vec<_> = r.messages.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [Role::User, Role::Assistant, Role::System, Role::User]
    );
    assert_eq!(
        r.messages[2].content[0].as_text(),
        Some("From now on, answer in French.")
    );

    let (out, losses) = encode_req(&r);
    assert!(losses.is_empty());
    assert_eq!(
        out["instructions"],
        "You are a coding assistant that talks like a pirate."
    );
    assert_eq!(out["input"][0]["role"], "system");
    assert_eq!(
        out["input"][0]["content"],
        "Answer in at most two sentences."
    );
    assert_eq!(out["input"][2]["role"], "assistant");
    assert_eq!(
        out["input"][2]["content"],
        "Arr, mostly they be optional, matey."
    );
    assert_eq!(out["input"][3]["role"], "system");
}

#[test]
fn tools_and_tool_choice() {
    let body = fixture("requests", "tools.json");
    let r = req(&body);
    assert_eq!(r.tools.len(), 4);
    assert_eq!(r.tools[0].name, "get_weather");
    let ToolKind::Function { parameters, strict } = &r.tools[0].kind else {
        panic!()
    };
    assert!(
        parameters
            .unwrap()
            .get()
            .contains("\"additionalProperties\": false")
    );
    assert_eq!(*strict, Some(true));
    assert!(matches!(
        r.tools[1].kind,
        ToolKind::Function {
            strict: Some(false),
            ..
        }
    ));
    assert!(matches!(r.tools[2].kind, ToolKind::Custom { format: None }));
    assert_eq!(
        r.tools[2].description.as_deref(),
        Some("Executes arbitrary Python code.")
    );
    let ToolKind::Builtin { origin, raw } = &r.tools[3].kind else {
        panic!()
    };
    assert_eq!(*origin, Api::OpenAiResponses);
    assert_eq!(
        raw.get(),
        r#"{"type": "web_search_preview", "search_context_size": "low"}"#
    );
    assert_eq!(
        r.tool_choice,
        Some(ToolChoice::Tool {
            name: "get_weather".into()
        })
    );
    assert_eq!(r.parallel_tool_calls, Some(false));
}

#[test]
fn functions_are_strict_by_default_and_foreign_ones_are_sent_non_strict() {
    let r = req(br#"{"model":"m","input":"x","tools":[{"type":"function","name":"f","parameters":{"type":"object"}}]}"#);
    assert!(matches!(
        r.tools[0].kind,
        ToolKind::Function {
            strict: Some(true),
            ..
        }
    ));

    let mut foreign = ir::Request {
        model: "gpt-4.1".into(),
        messages: vec![Message::text(Role::User, "hi")],
        ..Default::default()
    };
    foreign.tools.push(ir::Tool {
        name: "f".into(),
        description: Some("does f".into()),
        kind: ToolKind::Function {
            parameters: Some(Raw::parse(r#"{"type":"object"}"#).unwrap()),
            strict: None,
        },
        cache: Some(ir::Cache::default()),
    });
    foreign.tools.push(ir::Tool {
        name: "g".into(),
        description: None,
        kind: ToolKind::Custom { format: None },
        cache: None,
    });
    foreign.tool_choice = Some(ToolChoice::Tool { name: "g".into() });
    let (out, losses) = encode_req(&foreign);
    assert_eq!(
        out["tools"][0],
        serde_json::json!({"type":"function","name":"f","description":"does f","parameters":{"type":"object"},"strict":false})
    );
    assert_eq!(
        out["tools"][1],
        serde_json::json!({"type":"custom","name":"g"})
    );
    assert_eq!(
        out["tool_choice"],
        serde_json::json!({"type":"custom","name":"g"})
    );
    assert_eq!(losses.0.len(), 1);
    assert_eq!(losses.0[0].path, "tools[0].cache_control");
}

#[test]
fn allowed_tools_and_item_references() {
    let body = fixture("requests", "allowed_tools.json");
    let r = req(&body);
    assert_eq!(
        r.tool_choice,
        Some(ToolChoice::Allowed {
            names: vec!["get_order".into()],
            required: true
        })
    );
    // item_reference is kept raw as its own user message.
    assert_eq!(r.messages.len(), 2);
    let Block::Unknown { origin, raw } = &r.messages[1].content[0] else {
        panic!()
    };
    assert_eq!(*origin, Api::OpenAiResponses);
    assert!(raw.get().contains("item_reference"));
    let (out, _) = encode_req(&r);
    assert_eq!(
        out["tool_choice"],
        serde_json::json!({"type":"allowed_tools","mode":"required","tools":[{"type":"function","name":"get_order"}]})
    );
    assert_eq!(
        out["input"][1],
        serde_json::json!({"type": "item_reference", "id": "msg_68b1c0d2e3f4a5b6"})
    );
}

#[test]
fn consecutive_function_calls_form_one_assistant_turn() {
    let body = fixture("requests", "parallel_tools.json");
    let r = req(&body);
    assert_eq!(r.messages.len(), 2);
    assert_eq!(r.messages[1].role, Role::Assistant);
    assert_eq!(
        r.messages[1].content,
        vec![
            Block::ToolCall {
                id: "call_unLAR8MvFNptuiZK6K6HCy5k".into(),
                name: "get_weather".into(),
                arguments: r#"{"location":"Paris, France"}"#.into(),
                kind: ToolCallKind::Function,
            },
            Block::ToolCall {
                id: "call_Q2Yo1eMRqT7vc3t9hUhf2sDd".into(),
                name: "get_weather".into(),
                arguments: r#"{"location":"Tokyo, Japan"}"#.into(),
                kind: ToolCallKind::Function,
            },
        ]
    );
    let (out, _) = encode_req(&r);
    assert_eq!(out["input"][1]["type"], "function_call");
    assert_eq!(out["input"][1]["call_id"], "call_unLAR8MvFNptuiZK6K6HCy5k");
    assert_eq!(
        out["input"][1]["arguments"],
        r#"{"location":"Paris, France"}"#
    );
    assert_eq!(out["input"][2]["call_id"], "call_Q2Yo1eMRqT7vc3t9hUhf2sDd");
}

#[test]
fn tool_outputs_are_tool_messages() {
    let body = fixture("requests", "tool_results.json");
    let r = req(&body);
    let roles: Vec<_> = r.messages.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [
            Role::User,
            Role::Assistant,
            Role::Tool,
            Role::Tool,
            Role::Tool
        ]
    );
    assert_eq!(r.messages[1].content.len(), 3);
    assert!(matches!(
        &r.messages[1].content[2],
        Block::ToolCall { kind: ToolCallKind::Custom, arguments, .. } if arguments == "print(2+2)"
    ));
    let Block::ToolResult {
        call_id,
        content,
        is_error,
        name,
    } = &r.messages[3].content[0]
    else {
        panic!()
    };
    assert_eq!(call_id, "call_Q2Yo1eMRqT7vc3t9hUhf2sDd");
    assert!(!is_error);
    assert_eq!(*name, None);
    assert_eq!(content[0].as_text(), Some("21 degrees celsius, clear sky"));
    assert!(
        matches!(&content[1], Block::Image { source: MediaSource::Url { url, .. }, detail: Some(d) } if url == "https://example.com/tokyo-sky.png" && d == "low")
    );

    let (out, _) = encode_req(&r);
    assert_eq!(out["input"][4]["type"], "function_call_output");
    assert_eq!(
        out["input"][4]["output"],
        r#"{"temperature": 14, "units": "celsius"}"#
    );
    assert_eq!(out["input"][5]["output"][1]["type"], "input_image");
    // The output of a custom tool call is a custom_tool_call_output.
    assert_eq!(out["input"][6]["type"], "custom_tool_call_output");
    assert_eq!(out["input"][6]["output"], "4");
}

#[test]
fn tool_results_in_user_turns_and_error_flags() {
    // Anthropic-style: tool results and text in one user message.
    let r = ir::Request {
        model: "gpt-4.1".into(),
        messages: vec![Message {
            role: Role::User,
            content: vec![
                Block::ToolResult {
                    call_id: "toolu_1".into(),
                    name: Some("get_weather".into()),
                    content: vec![Block::Text {
                        text: "boom".into(),
                    }],
                    is_error: true,
                },
                Block::Text {
                    text: "and now?".into(),
                },
            ],
            name: None,
        }],
        ..Default::default()
    };
    let (out, losses) = encode_req(&r);
    assert_eq!(
        out["input"],
        serde_json::json!([
            {"type":"function_call_output","call_id":"toolu_1","output":"boom"},
            {"type":"message","role":"user","content":"and now?"}
        ])
    );
    assert_eq!(losses.0.len(), 1);
    assert_eq!(losses.0[0].path, "messages[0].content[0].is_error");
}

#[test]
fn images_decode_to_media_sources() {
    let body = fixture("requests", "images.json");
    let r = req(&body);
    let c = &r.messages[0].content;
    assert_eq!(c.len(), 4);
    assert!(
        matches!(&c[1], Block::Image { source: MediaSource::Url { url, media_type: None }, detail: Some(d) } if url.starts_with("https://upload.wikimedia.org/") && d == "high")
    );
    assert!(
        matches!(&c[2], Block::Image { source: MediaSource::Base64 { media_type, data }, .. } if media_type == "image/png" && data.starts_with("iVBORw0KGgo"))
    );
    assert!(
        matches!(&c[3], Block::Image { source: MediaSource::FileId { id }, .. } if id == "file-6F2ksmvXxt4VdoqmHRw6kL")
    );
    let (out, _) = encode_req(&r);
    let parts = &out["input"][0]["content"];
    assert!(
        parts[2]["image_url"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,iVBORw0KGgo")
    );
    assert_eq!(parts[3]["file_id"], "file-6F2ksmvXxt4VdoqmHRw6kL");
    // Borrowed, not copied.
    let Block::Image {
        source: MediaSource::Base64 { data, .. },
        ..
    } = &c[2]
    else {
        panic!()
    };
    assert!(matches!(data.0, std::borrow::Cow::Borrowed(_)));
}

#[test]
fn documents_decode_to_media_sources() {
    let body = fixture("requests", "documents.json");
    let r = req(&body);
    let c = &r.messages[0].content;
    assert!(
        matches!(&c[0], Block::Document { source: MediaSource::Base64 { media_type, data }, name: Some(n), .. } if media_type == "application/pdf" && data.starts_with("JVBERi0") && n == "draconomicon.pdf")
    );
    assert!(
        matches!(&c[1], Block::Document { source: MediaSource::FileId { id }, name: None, .. } if id == "file-6F2ksmvXxt4VdoqmHRw6kL")
    );
    assert!(
        matches!(&c[2], Block::Document { source: MediaSource::Url { url, .. }, .. } if url.ends_with("2024ltr.pdf"))
    );

    // A plain-text document (Anthropic/Bedrock) is approximated as input text.
    let r = ir::Request {
        model: "m".into(),
        messages: vec![Message {
            role: Role::User,
            content: vec![Block::Document {
                source: MediaSource::Text {
                    text: "the doc".into(),
                },
                name: Some("notes".into()),
                context: None,
                citations: None,
            }],
            name: None,
        }],
        ..Default::default()
    };
    let (out, losses) = encode_req(&r);
    assert_eq!(out["input"][0]["content"], "the doc");
    assert_eq!(losses.0[0].kind, LossKind::Approximated);
}
