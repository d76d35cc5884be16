//! Requests: fixtures, round trips, system prompt, tools, tool results and media.

use hermesllm::ir::{self, Block, Effort, MediaSource, Role, ToolCallKind, ToolChoice, ToolKind};
use hermesllm::openai_chat as oc;
use hermesllm::{Api, DecodeError, LossKind, Losses, RequestMeta};
use serde_json::Value;

use super::common::*;

// ---------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------

#[test]
fn every_request_fixture_decodes_and_round_trips_losslessly() {
    let all = fixtures("requests");
    assert!(all.len() >= 12, "only {} request fixtures", all.len());
    for (name, body) in &all {
        let ir1 = oc::decode_request(body, &meta()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut losses = Losses::default();
        let out = oc::encode_request(&ir1, &mut losses).unwrap();
        assert!(losses.is_empty(), "{name}: {losses:?}");
        let ir2 = oc::decode_request(&out, &meta())
            .unwrap_or_else(|e| panic!("{name} re-decode: {e}\n{}", String::from_utf8_lossy(&out)));
        assert_eq!(ir1, ir2, "{name}");
    }
}

#[test]
fn simple_request() {
    let body = req("simple");
    let r = oc::decode_request(&body, &meta()).unwrap();
    assert_eq!(r.model, "gpt-4o");
    assert!(r.system.is_empty());
    assert_eq!(r.messages, vec![ir::Message::text(Role::User, "Hello!")]);
    assert!(!r.stream);
    assert!(r.extra.is_empty());
    let (v, _) = encode_req(&r);
    assert_eq!(
        v,
        serde_json::json!({"model":"gpt-4o","messages":[{"role":"user","content":"Hello!"}]})
    );
}

#[test]
fn model_falls_back_to_meta_and_is_required() {
    let body = br#"{"messages":[{"role":"user","content":"hi"}]}"#;
    let m = RequestMeta {
        model: Some("from-path".into()),
        stream: false,
    };
    assert_eq!(oc::decode_request(body, &m).unwrap().model, "from-path");
    let err = oc::decode_request(body, &meta()).unwrap_err();
    assert!(
        matches!(err, DecodeError::Invalid { ref path, .. } if path == "model"),
        "{err}"
    );
}

#[test]
fn leading_system_and_developer_are_the_system_prompt() {
    let body = req("system");
    let r = oc::decode_request(&body, &meta()).unwrap();
    let sys: Vec<_> = r.system.iter().map(|b| b.as_text().unwrap()).collect();
    assert_eq!(
        sys,
        [
            "You are a helpful assistant.",
            "Answer in French.",
            "Keep answers under 50 words."
        ]
    );
    let roles: Vec<_> = r.messages.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [Role::User, Role::Assistant, Role::System, Role::User]
    );
    assert_eq!(
        r.messages[2].content[0].as_text(),
        Some("From now on, answer in Spanish.")
    );
    let (v, _) = encode_req(&r);
    let msgs = v["messages"].as_array().unwrap();
    assert_eq!(msgs[0]["role"], "system");
    assert_eq!(msgs[0]["content"].as_array().unwrap().len(), 3);
    assert_eq!(msgs[3]["role"], "system");
    assert_eq!(msgs[3]["content"], "From now on, answer in Spanish.");
    assert_eq!(msgs[2]["role"], "assistant");
    assert_eq!(msgs[2]["content"], "La capitale du Japon est Tokyo.");
}

#[test]
fn message_name_is_kept() {
    let body = req("multi_turn");
    let r = oc::decode_request(&body, &meta()).unwrap();
    assert_eq!(r.messages[2].name.as_deref(), Some("alice"));
    assert_eq!(r.max_output_tokens, Some(256));
    let (v, _) = encode_req(&r);
    assert_eq!(v["messages"][2]["name"], "alice");
    assert_eq!(v["max_completion_tokens"], 256);
    assert!(v.get("max_tokens").is_none());
}

#[test]
fn tool_definitions_and_tool_choice() {
    let body = req("tools");
    let r = oc::decode_request(&body, &meta()).unwrap();
    assert_eq!(r.tools.len(), 2);
    let t = &r.tools[0];
    assert_eq!(t.name, "get_weather");
    assert_eq!(
        t.description.as_deref(),
        Some("Get the current weather in a given location")
    );
    match &t.kind {
        ToolKind::Function { parameters, strict } => {
            assert_eq!(*strict, Some(true));
            let p: Value = serde_json::from_str(parameters.unwrap().get()).unwrap();
            assert_eq!(p["required"], serde_json::json!(["location", "unit"]));
        }
        k => panic!("{k:?}"),
    }
    match &r.tools[1].kind {
        ToolKind::Custom { format } => {
            assert_eq!(
                json(format.unwrap().get().as_bytes()),
                serde_json::json!({"type":"text"})
            );
        }
        k => panic!("{k:?}"),
    }
    assert_eq!(
        r.tool_choice,
        Some(ToolChoice::Tool {
            name: "get_weather".into()
        })
    );
    let (v, _) = encode_req(&r);
    assert_eq!(
        v["tool_choice"],
        serde_json::json!({"type":"function","function":{"name":"get_weather"}})
    );
    assert_eq!(v["tools"][0]["function"]["strict"], true);
    assert_eq!(v["tools"][1]["type"], "custom");
    assert_eq!(v["tools"][1]["custom"]["name"], "code_exec");
}

#[test]
fn tool_choice_strings_allowed_tools_and_custom() {
    for (s, want) in [
        ("auto", ToolChoice::Auto),
        ("none", ToolChoice::None),
        ("required", ToolChoice::Required),
    ] {
        let body = format!(
            r#"{{"model":"m","messages":[{{"role":"user","content":"x"}}],"tool_choice":"{s}"}}"#
        );
        let r = oc::decode_request(body.as_bytes(), &meta()).unwrap();
        assert_eq!(r.tool_choice, Some(want));
        let (v, _) = encode_req(&r);
        assert_eq!(v["tool_choice"], s);
    }
    let body = req("allowed_tools");
    let r = oc::decode_request(&body, &meta()).unwrap();
    assert_eq!(
        r.tool_choice,
        Some(ToolChoice::Allowed {
            names: vec!["get_weather".into(), "get_time".into()],
            required: true
        })
    );
    assert_eq!(r.reasoning.as_ref().unwrap().effort, Some(Effort::Minimal));
    let body = req("custom_tool_call");
    let r = oc::decode_request(&body, &meta()).unwrap();
    assert_eq!(
        r.messages[1].content,
        vec![Block::ToolCall {
            id: "call_custom_1".into(),
            name: "code_exec".into(),
            arguments: "print(2 + 3)".into(),
            kind: ToolCallKind::Custom
        }]
    );
    let (v, _) = encode_req(&r);
    assert_eq!(
        v["tool_choice"],
        serde_json::json!({"type":"custom","custom":{"name":"code_exec"}})
    );
    assert_eq!(
        v["messages"][1]["tool_calls"][0]["custom"]["input"],
        "print(2 + 3)"
    );
}

#[test]
fn parallel_tool_calls_and_results() {
    let body = req("parallel_tools");
    let r = oc::decode_request(&body, &meta()).unwrap();
    assert_eq!(r.parallel_tool_calls, Some(true));
    assert_eq!(r.tool_choice, Some(ToolChoice::Auto));
    assert_eq!(
        r.messages[1].content,
        vec![
            Block::ToolCall {
                id: "call_abc123".into(),
                name: "get_weather".into(),
                arguments: r#"{"location":"Paris, France","unit":"celsius"}"#.into(),
                kind: ToolCallKind::Function
            },
            Block::ToolCall {
                id: "call_def456".into(),
                name: "get_time".into(),
                arguments: r#"{"timezone":"Asia/Tokyo"}"#.into(),
                kind: ToolCallKind::Function
            },
        ]
    );
    assert_eq!(r.messages[2].role, Role::Tool);
    assert_eq!(
        r.messages[2].content,
        vec![Block::ToolResult {
            call_id: "call_abc123".into(),
            name: None,
            content: vec![Block::Text {
                text: r#"{"temperature":18,"condition":"cloudy"}"#.into()
            }],
            is_error: false
        }]
    );
    let (v, _) = encode_req(&r);
    let m = &v["messages"];
    assert_eq!(m[1]["content"], Value::Null);
    assert_eq!(
        m[1]["tool_calls"][0]["function"]["arguments"],
        r#"{"location":"Paris, France","unit":"celsius"}"#
    );
    assert_eq!(m[3]["role"], "tool");
    assert_eq!(m[3]["tool_call_id"], "call_def456");
    assert_eq!(m[3]["content"], "2025-06-01T22:14:00+09:00");
}

#[test]
fn empty_assistant_text_beside_tool_calls_is_no_text() {
    let body = req("tool_results");
    let r = oc::decode_request(&body, &meta()).unwrap();
    assert_eq!(r.tool_choice, Some(ToolChoice::Required));
    assert_eq!(r.messages[1].content.len(), 1);
    assert!(matches!(r.messages[1].content[0], Block::ToolCall { .. }));
    match &r.messages[2].content[0] {
        Block::ToolResult { content, .. } => {
            assert_eq!(
                content[0].as_text(),
                Some(r#"{"temperature":72,"condition":"sunny"}"#)
            );
        }
        b => panic!("{b:?}"),
    }
}

#[test]
fn images_documents_and_audio() {
    let body = req("images");
    let r = oc::decode_request(&body, &meta()).unwrap();
    let c = &r.messages[0].content;
    assert_eq!(r.max_output_tokens, Some(300));
    match &c[1] {
        Block::Image {
            source: MediaSource::Url { url, media_type },
            detail,
        } => {
            assert!(url.starts_with("https://upload.wikimedia.org/"));
            assert_eq!(*media_type, None);
            assert_eq!(detail.as_deref(), Some("high"));
        }
        b => panic!("{b:?}"),
    }
    match &c[2] {
        Block::Image {
            source: MediaSource::Base64 { media_type, data },
            detail: None,
        } => {
            assert_eq!(media_type, "image/png");
            assert!(data.starts_with("iVBORw0KGgo"));
        }
        b => panic!("{b:?}"),
    }
    let (v, _) = encode_req(&r);
    assert!(
        v["messages"][0]["content"][2]["image_url"]["url"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,iVBORw0KGgo")
    );

    let body = req("documents");
    let r = oc::decode_request(&body, &meta()).unwrap();
    let c = &r.messages[0].content;
    assert_eq!(
        c[0],
        Block::Document {
            source: MediaSource::Base64 {
                media_type: "application/pdf".into(),
                data: "JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSL0ZpbHRlci9GbGF0ZURlY29kZT4+CnN0cmVhbQo=".into()
            },
            name: Some("draconomicon.pdf".into()),
            context: None,
            citations: None
        }
    );
    assert!(
        matches!(&c[1], Block::Document { source: MediaSource::FileId { id }, name: None, .. } if id == "file-6F2ksmvXxt4VdoqmHRw6kL")
    );
    assert!(matches!(&c[2], Block::Audio { format, .. } if format == "wav"));
}

#[test]
fn media_from_other_apis() {
    let r = ir::Request {
        model: "m".into(),
        messages: vec![ir::Message {
            role: Role::User,
            content: vec![
                Block::Image {
                    source: MediaSource::FileId {
                        id: "file_1".into(),
                    },
                    detail: None,
                },
                Block::Document {
                    source: MediaSource::Text {
                        text: "plain doc".into(),
                    },
                    name: Some("a.txt".into()),
                    context: Some("ctx".into()),
                    citations: None,
                },
                Block::Audio {
                    data: "AAAA".into(),
                    format: "audio/mpeg".into(),
                },
                Block::Document {
                    source: MediaSource::Url {
                        url: "https://x/y.pdf".into(),
                        media_type: None,
                    },
                    name: None,
                    context: None,
                    citations: None,
                },
            ],
            name: None,
        }],
        ..Default::default()
    };
    let (v, losses) = encode_req(&r);
    let c = &v["messages"][0]["content"];
    assert_eq!(c.as_array().unwrap().len(), 2);
    assert_eq!(c[0], serde_json::json!({"type":"text","text":"plain doc"}));
    assert_eq!(c[1]["input_audio"]["format"], "mp3");
    let kinds: Vec<_> = losses
        .iter()
        .map(|l| (l.path.to_string(), l.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("messages[0].content[0]".to_owned(), LossKind::Dropped),
            (
                "messages[0].content[1].context".to_owned(),
                LossKind::Dropped
            ),
            ("messages[0].content[1]".to_owned(), LossKind::Approximated),
            ("messages[0].content[3]".to_owned(), LossKind::Dropped),
        ]
    );
}

#[test]
fn tool_results_in_user_turns_become_tool_messages_first() {
    // Anthropic-shaped: tool results and text in one user turn, a cache point, a system
    // prompt with a cache point, a tool with a cache marker and top_k.
    let r = ir::Request {
        model: "m".into(),
        system: vec![
            Block::Text { text: "sys".into() },
            Block::CachePoint(ir::Cache::default()),
        ],
        messages: vec![
            ir::Message::text(Role::User, "weather in Paris and Rome?"),
            ir::Message {
                role: Role::Assistant,
                content: vec![
                    Block::Text {
                        text: "Checking.".into(),
                    },
                    Block::ToolCall {
                        id: "toolu_1".into(),
                        name: "get_weather".into(),
                        arguments: r#"{"location":"Paris"}"#.into(),
                        kind: ToolCallKind::Function,
                    },
                    Block::ToolCall {
                        id: "toolu_2".into(),
                        name: "get_weather".into(),
                        arguments: r#"{"location":"Rome"}"#.into(),
                        kind: ToolCallKind::Function,
                    },
                ],
                name: None,
            },
            ir::Message {
                role: Role::User,
                content: vec![
                    Block::ToolResult {
                        call_id: "toolu_1".into(),
                        name: None,
                        content: vec![Block::Text { text: "18C".into() }],
                        is_error: false,
                    },
                    Block::ToolResult {
                        call_id: "toolu_2".into(),
                        name: None,
                        content: vec![Block::Text {
                            text: "unavailable".into(),
                        }],
                        is_error: true,
                    },
                    Block::Text {
                        text: "Summarise.".into(),
                    },
                    Block::CachePoint(ir::Cache::default()),
                ],
                name: None,
            },
        ],
        tools: vec![ir::Tool {
            name: "get_weather".into(),
            description: None,
            kind: ToolKind::Function {
                parameters: Some(raw(r#"{"type":"object"}"#)),
                strict: None,
            },
            cache: Some(ir::Cache::default()),
        }],
        sampling: ir::Sampling {
            top_k: Some(40),
            ..Default::default()
        },
        max_output_tokens: Some(1024),
        ..Default::default()
    };
    let (v, losses) = encode_req(&r);
    let roles: Vec<_> = v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        roles,
        ["system", "user", "assistant", "tool", "tool", "user"]
    );
    assert_eq!(v["messages"][0]["content"], "sys");
    assert_eq!(v["messages"][2]["content"], "Checking.");
    assert_eq!(v["messages"][2]["tool_calls"].as_array().unwrap().len(), 2);
    assert_eq!(v["messages"][4]["tool_call_id"], "toolu_2");
    assert_eq!(v["messages"][4]["content"], "unavailable");
    assert_eq!(v["messages"][5]["content"], "Summarise.");
    assert_eq!(v["max_completion_tokens"], 1024);
    assert!(v.get("top_k").is_none());
    assert_eq!(
        loss_paths(&losses),
        [
            "system[1]",
            "messages[2].content[1].is_error",
            "messages[2].content[3]",
            "tools[0].cache_control",
            "top_k"
        ]
    );
}

#[test]
fn images_in_tool_results_move_to_a_user_message_after_the_results() {
    let r = ir::Request {
        model: "m".into(),
        messages: vec![ir::Message {
            role: Role::User,
            content: vec![
                Block::ToolResult {
                    call_id: "toolu_1".into(),
                    name: None,
                    content: vec![
                        Block::Text {
                            text: "chart attached".into(),
                        },
                        Block::Image {
                            source: MediaSource::Base64 {
                                media_type: "image/jpeg".into(),
                                data: "/9j/4AAQ".into(),
                            },
                            detail: None,
                        },
                        Block::Thinking {
                            text: "x".into(),
                            signature: None,
                            id: None,
                            origin: Api::Gemini,
                        },
                    ],
                    is_error: false,
                },
                Block::Text {
                    text: "What does it show?".into(),
                },
            ],
            name: None,
        }],
        ..Default::default()
    };
    let (v, losses) = encode_req(&r);
    assert_eq!(
        v["messages"],
        serde_json::json!([
            {"role":"tool","content":"chart attached","tool_call_id":"toolu_1"},
            {"role":"user","content":[
                {"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/4AAQ"}},
                {"type":"text","text":"What does it show?"}]}
        ])
    );
    let kinds: Vec<_> = losses
        .iter()
        .map(|l| (l.path.to_string(), l.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            (
                "messages[0].content[0].content[1]".to_owned(),
                LossKind::Approximated
            ),
            (
                "messages[0].content[0].content[2]".to_owned(),
                LossKind::Dropped
            ),
        ]
    );
}
