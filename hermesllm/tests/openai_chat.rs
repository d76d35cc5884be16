//! OpenAI Chat Completions codec: fixtures, round trips, targeted mappings, bad input, errors
//! and streams.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;

use hermesllm::ir::{
    self, Block, Effort, ErrorKind, MediaSource, Role, StopReason, ToolCallKind, ToolChoice,
    ToolKind, Usage,
};
use hermesllm::openai_chat as oc;
use hermesllm::{Api, DecodeError, LossKind, Losses, Raw, RequestMeta, ResponseMeta, Str};
use serde_json::Value;

fn dir(kind: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/openai_chat")
        .join(kind)
}

fn fixture(kind: &str, name: &str) -> Vec<u8> {
    std::fs::read(dir(kind).join(name)).unwrap_or_else(|e| panic!("{kind}/{name}: {e}"))
}

/// All fixtures of a kind, sorted by name.
fn fixtures(kind: &str) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir(kind))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    v.sort();
    v
}

fn meta() -> RequestMeta<'static> {
    RequestMeta::default()
}

fn req(name: &str) -> Vec<u8> {
    fixture("requests", &format!("{name}.json"))
}

fn resp(name: &str) -> Vec<u8> {
    fixture("responses", &format!("{name}.json"))
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

fn encode_req(r: &ir::Request<'_>) -> (Value, Losses) {
    let mut losses = Losses::default();
    let body = oc::encode_request(r, &mut losses).unwrap();
    (json(&body), losses)
}

fn loss_paths(l: &Losses) -> Vec<String> {
    l.iter().map(|l| l.path.to_string()).collect()
}

fn raw(s: &'static str) -> Raw<'static> {
    Raw::parse(s).unwrap()
}

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

#[test]
fn bad_requests_are_decode_errors() {
    let cases: &[(&str, &[u8])] = &[
        ("invalid json", b"{\"model\":"),
        ("not an object", b"[1,2]"),
        ("empty", b""),
        (
            "messages wrong type",
            br#"{"model":"m","messages":"hello"}"#,
        ),
        (
            "temperature wrong type",
            br#"{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"}"#,
        ),
        ("no messages", br#"{"model":"m"}"#),
        ("empty messages", br#"{"model":"m","messages":[]}"#),
        (
            "unknown role",
            br#"{"model":"m","messages":[{"role":"robot","content":"x"}]}"#,
        ),
        (
            "user without content",
            br#"{"model":"m","messages":[{"role":"user"}]}"#,
        ),
        (
            "tool without id",
            br#"{"model":"m","messages":[{"role":"tool","content":"x"}]}"#,
        ),
        (
            "unknown part",
            br#"{"model":"m","messages":[{"role":"user","content":[{"type":"video","video":{}}]}]}"#,
        ),
        (
            "image without url object",
            br#"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url"}]}]}"#,
        ),
        (
            "content number",
            br#"{"model":"m","messages":[{"role":"user","content":5}]}"#,
        ),
        (
            "bad tool choice",
            br#"{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"always"}"#,
        ),
        (
            "bad tool type",
            br#"{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"web_search"}]}"#,
        ),
        (
            "tool call without id",
            br#"{"model":"m","messages":[{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"f","arguments":"{}"}}]}]}"#,
        ),
        (
            "assistant without content",
            br#"{"model":"m","messages":[{"role":"assistant"}]}"#,
        ),
        (
            "bad response format",
            br#"{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"yaml"}}"#,
        ),
    ];
    for (what, body) in cases {
        let err = oc::decode_request(body, &meta())
            .err()
            .unwrap_or_else(|| panic!("{what}: accepted"));
        assert_eq!(err.to_api_error().kind, ErrorKind::InvalidRequest, "{what}");
    }
    let err = oc::decode_request(
        br#"{"model":"m","messages":[{"role":"user","content":"x"},{"role":"user","content":[{"type":"text","text":1}]}]}"#,
        &meta(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("messages[1]"), "{err}");
}

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
fn reasoning_field_of_compatible_servers_is_read() {
    let body = br#"{"id":"gen-1","object":"chat.completion","created":1,"model":"qwen3","choices":[{"index":0,"message":{"role":"assistant","content":"4","reasoning":"2+2=4"},"finish_reason":"stop"}]}"#;
    let r = oc::decode_response(body).unwrap();
    assert!(matches!(&r.choices[0].content[0], Block::Thinking { text, .. } if text == "2+2=4"));
    let text = "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning\":\"hm\"},\"finish_reason\":null}]}\n\ndata: [DONE]\n\n";
    let s = decode_stream(text);
    assert_eq!(s.thinking, "hm");
    // Both names present (newer vLLM): reasoning_content wins, no duplicate-field error.
    let body = br#"{"choices":[{"index":0,"message":{"role":"assistant","content":"x","reasoning_content":"a","reasoning":"a"},"finish_reason":"stop"}]}"#;
    let r = oc::decode_response(body).unwrap();
    assert_eq!(r.choices[0].content.len(), 2);
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

#[test]
fn bad_responses_are_decode_errors() {
    for body in [
        &b"not json"[..],
        br#"{"choices":"x"}"#,
        br#"{"choices":[{"message":{"content":7}}]}"#,
        br#"{"usage":{"prompt_tokens":"many"}}"#,
    ] {
        assert!(oc::decode_response(body).is_err());
    }
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

#[test]
fn every_error_fixture_decodes_to_its_kind() {
    let all = fixtures("errors");
    assert!(all.len() >= 4);
    for (name, body) in &all {
        let status: u16 = name.split('.').nth(1).unwrap().parse().unwrap();
        let e = oc::decode_error(status, body);
        assert_eq!(e.status, status, "{name}");
        assert_eq!(e.kind, ErrorKind::from_status(status), "{name}");
        assert_eq!(e.origin, Some(Api::OpenAiChat));
        let v = json(body);
        assert_eq!(e.message, v["error"]["message"].as_str().unwrap(), "{name}");
        assert_eq!(e.code.as_deref(), v["error"]["code"].as_str(), "{name}");
        assert_eq!(e.param.as_deref(), v["error"]["param"].as_str(), "{name}");
        // Same-API rendering keeps the message, param and code.
        let out = json(&oc::encode_error(&e));
        assert_eq!(out["error"]["message"], v["error"]["message"]);
        assert_eq!(out["error"]["code"], v["error"]["code"]);
        assert_eq!(out["error"]["param"], v["error"]["param"]);
    }
    let body = fixture("errors", "invalid_api_key.401.json");
    assert_eq!(oc::decode_error(401, &body).kind, ErrorKind::Authentication);
    let body = fixture("errors", "overloaded.503.json");
    assert_eq!(oc::decode_error(503, &body).kind, ErrorKind::Overloaded);
}

#[test]
fn encode_error_shape_per_kind() {
    for (kind, ty, code) in [
        (
            ErrorKind::InvalidRequest,
            "invalid_request_error",
            Value::Null,
        ),
        (
            ErrorKind::Authentication,
            "authentication_error",
            "invalid_api_key".into(),
        ),
        (ErrorKind::PermissionDenied, "permission_error", Value::Null),
        (ErrorKind::NotFound, "not_found_error", Value::Null),
        (
            ErrorKind::RequestTooLarge,
            "invalid_request_error",
            "request_too_large".into(),
        ),
        (
            ErrorKind::RateLimit,
            "rate_limit_error",
            "rate_limit_exceeded".into(),
        ),
        (ErrorKind::Overloaded, "server_error", Value::Null),
        (ErrorKind::Timeout, "server_error", Value::Null),
        (ErrorKind::Server, "server_error", Value::Null),
    ] {
        let mut e = ir::ApiError::new(kind, "boom \"quoted\"");
        e.origin = Some(Api::AnthropicMessages);
        e.code = Some("overloaded_error".into());
        let v = json(&oc::encode_error(&e));
        assert_eq!(
            v,
            serde_json::json!({"error":{"message":"boom \"quoted\"","type":ty,"param":null,"code":code}}),
            "{kind:?}"
        );
    }
}

#[test]
fn unreadable_and_odd_error_bodies() {
    let e = oc::decode_error(502, b"<html>Bad Gateway</html>");
    assert_eq!(e.kind, ErrorKind::Server);
    assert_eq!(e.status, 502);
    assert_eq!(e.message, "<html>Bad Gateway</html>");
    let e = oc::decode_error(504, b"");
    assert_eq!(e.kind, ErrorKind::Timeout);
    assert_eq!(e.message, "upstream returned HTTP 504");
    let e = oc::decode_error(400, br#"{"error":"model is required"}"#);
    assert_eq!(e.message, "model is required");
    assert_eq!(e.kind, ErrorKind::InvalidRequest);
    let e = oc::decode_error(
        429,
        br#"{"error":{"message":"slow down","type":"rate_limit","code":1302}}"#,
    );
    assert_eq!(e.code.as_deref(), Some("1302"));
    assert_eq!(e.kind, ErrorKind::RateLimit);
    // Without an error status (an error inside a stream) the code and type decide.
    let e = oc::decode_error(
        200,
        br#"{"error":{"message":"quota","type":"insufficient_quota","code":"insufficient_quota"}}"#,
    );
    assert_eq!(e.kind, ErrorKind::RateLimit);
    assert_eq!(e.status, 429);
    let e = oc::decode_error(0, br#"{"error":{"message":"oops","type":"server_error"}}"#);
    assert_eq!(e.kind, ErrorKind::Server);
    let e = oc::decode_error(401, &[0xff, 0xfe, b'x']);
    assert_eq!(e.kind, ErrorKind::Authentication);
}

// ---------------------------------------------------------------------------------------
// Streams
// ---------------------------------------------------------------------------------------

use hermesllm::ir::{BlockStart, Delta, StreamEvent};
use hermesllm::stream::{Frame, StreamDecode, StreamEncode, StreamMeta};

/// The `data:` payloads of an SSE text (events split on blank lines, as the framer does).
fn sse_data(text: &str) -> Vec<String> {
    text.split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .map(|e| {
            e.lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .map(|d| d.strip_prefix(' ').unwrap_or(d))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect()
}

/// What a decoded stream said, plus every event's debug form.
#[derive(Debug, Default)]
struct Summary {
    events: Vec<String>,
    kinds: Vec<(u32, &'static str)>,
    start_id: String,
    text: String,
    thinking: String,
    refusal: String,
    /// (IR index, id, name, arguments)
    tools: Vec<(u32, String, String, String)>,
    stop: Option<String>,
    usage: Option<Usage>,
    error: Option<(ErrorKind, String)>,
    done: bool,
}

impl Summary {
    fn push(&mut self, e: &StreamEvent<'_>) {
        self.events.push(format!("{e:?}"));
        match e {
            StreamEvent::Start { id, .. } => self.start_id = id.to_string(),
            StreamEvent::BlockStart { index, block } => {
                let kind = match block {
                    BlockStart::Text => "text",
                    BlockStart::Refusal => "refusal",
                    BlockStart::Thinking { .. } => "thinking",
                    BlockStart::ToolCall { id, name, .. } => {
                        self.tools
                            .push((*index, id.to_string(), name.to_string(), String::new()));
                        "tool"
                    }
                    _ => "other",
                };
                self.kinds.push((*index, kind));
            }
            StreamEvent::Delta { index, delta } => {
                let kind = self.kinds.iter().find(|(i, _)| i == index).unwrap().1;
                match (kind, delta) {
                    ("text", Delta::Text(t)) => self.text.push_str(t),
                    ("refusal", Delta::Text(t)) => self.refusal.push_str(t),
                    ("thinking", Delta::Thinking(t)) => self.thinking.push_str(t),
                    ("tool", Delta::ToolArguments(a)) => {
                        let t = self.tools.iter_mut().find(|t| t.0 == *index).unwrap();
                        t.3.push_str(a);
                    }
                    other => panic!("delta {other:?} in a {kind} block"),
                }
            }
            StreamEvent::Stop { reason, .. } => self.stop = Some(format!("{reason:?}")),
            StreamEvent::Usage(u) => self.usage = Some(*u),
            StreamEvent::Error(e) => self.error = Some((e.kind, e.message.to_string())),
            StreamEvent::Done => self.done = true,
            _ => {}
        }
    }
}

fn stream_fixture(name: &str) -> String {
    String::from_utf8(fixture("streams", &format!("{name}.sse"))).unwrap()
}

/// Decodes an SSE text, feeding every event to `enc` as well.
fn transcode(text: &str, enc: &mut dyn StreamEncode) -> (Summary, String) {
    let mut dec = oc::StreamDecoder::new();
    let mut s = Summary::default();
    let mut out = Vec::new();
    for data in sse_data(text) {
        let frame = Frame::Sse {
            event: "",
            data: &data,
        };
        dec.decode(&frame, &mut |e| {
            s.push(&e);
            enc.encode(&e, &mut out);
        })
        .unwrap_or_else(|e| panic!("{e}: {data}"));
    }
    dec.finish(&mut |e| {
        s.push(&e);
        enc.encode(&e, &mut out);
    });
    (s, String::from_utf8(out).unwrap())
}

fn stream_meta(include_usage: bool) -> StreamMeta<'static> {
    StreamMeta {
        id: "chatcmpl-gw".into(),
        created: 1_700_000_000,
        model: "gw-model".into(),
        include_usage,
    }
}

fn decode_stream(text: &str) -> Summary {
    transcode(text, &mut oc::StreamEncoder::new(stream_meta(true))).0
}

#[test]
fn every_stream_fixture_round_trips_through_the_encoder() {
    let all = fixtures("streams");
    assert!(all.len() >= 6);
    for (name, body) in &all {
        let text = std::str::from_utf8(body).unwrap();
        let mut enc = oc::StreamEncoder::new(stream_meta(true));
        let (first, out) = transcode(text, &mut enc);
        let second = decode_stream(&out);
        if name == "truncated.sse" {
            // The truncation error is the gateway's own (no origin); re-decoded, it comes
            // from an OpenAI error event. Everything else is identical.
            let n = first.events.len();
            assert_eq!(first.events[..n - 1], second.events[..n - 1], "{name}");
            assert_eq!(first.error, second.error, "{name}");
            assert_eq!(second.events.len(), n);
        } else {
            assert_eq!(first.events, second.events, "{name}\n{out}");
        }
        assert!(
            first.events[0].starts_with("Start"),
            "{name}: {:?}",
            first.events
        );
        let last = first.events.last().unwrap();
        assert!(
            last == "Done" || last.starts_with("Error"),
            "{name}: {last}"
        );
    }
}

#[test]
fn stream_text_and_usage() {
    let s = decode_stream(&stream_fixture("text"));
    assert_eq!(s.start_id, "chatcmpl-BSa1UazcvuTxdoF8hJPQ7VrWqQjBr");
    assert_eq!(s.text, "Hello! How can I assist you today?");
    assert_eq!(s.stop.as_deref(), Some("Some(EndTurn)"));
    assert!(s.done);
    assert_eq!(
        s.events[1..3],
        [
            "BlockStart { index: 0, block: Text }",
            "Delta { index: 0, delta: Text(\"Hello\") }"
        ]
    );
    let n = s.events.len();
    assert_eq!(
        s.events[n - 4..],
        [
            "BlockStop { index: 0 }",
            "Stop { reason: Some(EndTurn), stop_sequence: None }",
            "Usage(Usage { input_tokens: 19, output_tokens: 10, cache_read_input_tokens: 0, cache_write_input_tokens: 0, reasoning_tokens: 0 })",
            "Done"
        ]
    );
}

#[test]
fn stream_usage_equals_the_non_streaming_usage() {
    for (stream, response) in [
        ("text", "text"),
        ("tools", "tool_call"),
        ("reasoning", "reasoning"),
        ("usage_cached", "cached_usage"),
        ("parallel_tools", "parallel_tool_calls"),
    ] {
        let s = decode_stream(&stream_fixture(stream));
        let body = resp(response);
        let r = oc::decode_response(&body).unwrap();
        assert_eq!(s.usage, r.usage, "{stream}");
    }
    let s = decode_stream(&stream_fixture("usage_cached"));
    assert_eq!(s.usage.unwrap().cache_read_input_tokens, 1920);
    assert_eq!(s.usage.unwrap().input_tokens, 2006);
}

#[test]
fn stream_tool_call_arguments_are_exact() {
    let s = decode_stream(&stream_fixture("tools"));
    assert_eq!(
        s.tools,
        [(
            0,
            "call_DdmO9pD3xa9XTPNJ32zg2hcA".to_owned(),
            "get_weather".to_owned(),
            r#"{"location":"Paris, France","unit":"celsius"}"#.to_owned()
        )]
    );
    assert_eq!(s.stop.as_deref(), Some("Some(ToolUse)"));
    assert!(s.text.is_empty());

    let s = decode_stream(&stream_fixture("parallel_tools"));
    assert_eq!(s.text, "Let me check both.");
    assert_eq!(
        s.tools,
        [
            (
                1,
                "call_abc123".to_owned(),
                "get_weather".to_owned(),
                r#"{"location":"Paris, France","unit":"celsius"}"#.to_owned()
            ),
            (
                2,
                "call_def456".to_owned(),
                "get_time".to_owned(),
                r#"{"timezone":"Asia/Tokyo"}"#.to_owned()
            ),
        ]
    );
    // The text block closes when the first call starts; calls close at the finish reason.
    let pos = |ev: &str| s.events.iter().position(|e| e == ev).unwrap();
    assert!(
        pos("BlockStop { index: 0 }")
            < pos(
                "BlockStart { index: 1, block: ToolCall { id: \"call_abc123\", name: \"get_weather\", kind: Function } }"
            )
    );
    assert!(
        pos("BlockStop { index: 2 }") < pos("Stop { reason: Some(ToolUse), stop_sequence: None }")
    );
}

#[test]
fn interleaved_parallel_tool_deltas_are_followed_exactly() {
    let chunks = [
        r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"a","type":"function","function":{"name":"f","arguments":"{\"x\":"}},{"index":1,"id":"b","type":"function","function":{"name":"g","arguments":"{\"y\":"}}]},"finish_reason":null}]}"#,
        r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"2}"}},{"index":0,"function":{"arguments":"1}"}}]},"finish_reason":null}]}"#,
        r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
        "[DONE]",
    ];
    let text: String = chunks.iter().map(|c| format!("data: {c}\n\n")).collect();
    let mut enc = oc::StreamEncoder::new(stream_meta(false));
    let (s, out) = transcode(&text, &mut enc);
    assert_eq!(s.tools[0].3, r#"{"x":1}"#);
    assert_eq!(s.tools[1].3, r#"{"y":2}"#);
    assert!(s.done);
    let again = decode_stream(&out);
    assert_eq!(again.tools, s.tools);
}

#[test]
fn stream_reasoning_refusal_and_length() {
    let s = decode_stream(&stream_fixture("reasoning"));
    assert_eq!(
        s.thinking,
        "s-t-r-a-w-b-e-r-r-y: r at positions 3, 8 and 9. That is three."
    );
    assert_eq!(s.text, "There are 3 Rs in 'strawberry'.");
    assert_eq!(s.kinds, [(0, "thinking"), (1, "text")]);
    assert!(s.events[1].contains("origin: OpenAiChat"));
    // Usage came in the finish chunk; it still follows Stop.
    let stop = s.events.iter().position(|e| e.starts_with("Stop")).unwrap();
    assert!(s.events[stop + 1].starts_with("Usage("));
    assert_eq!(s.usage.unwrap().reasoning_tokens, 384);

    let s = decode_stream(&stream_fixture("refusal"));
    assert_eq!(s.refusal, "I'm sorry, I can't help with that request.");
    assert_eq!(s.kinds, [(0, "refusal")]);
    assert_eq!(s.usage, None);

    let s = decode_stream(&stream_fixture("length"));
    assert_eq!(s.stop.as_deref(), Some("Some(MaxTokens)"));
}

#[test]
fn stream_errors_and_truncation() {
    let s = decode_stream(&stream_fixture("error"));
    assert_eq!(s.text, "The answeris");
    let (kind, message) = s.error.clone().unwrap();
    assert_eq!(kind, ErrorKind::Server);
    assert!(message.starts_with("The server had an error"));
    assert!(!s.done);
    assert!(s.events.last().unwrap().starts_with("Error"));

    let s = decode_stream(&stream_fixture("truncated"));
    assert_eq!(s.text, "Partial answer");
    assert!(!s.done);
    assert_eq!(s.error.unwrap().0, ErrorKind::Server);

    // A finish reason without [DONE] is complete.
    let text = "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":\"stop\"}]}\n\n";
    let s = decode_stream(text);
    assert!(s.done);
    assert!(s.error.is_none());
}

#[test]
fn bad_stream_frames_are_errors() {
    let mut dec = oc::StreamDecoder::new();
    let mut n = 0;
    assert!(
        dec.decode(
            &Frame::Sse {
                event: "",
                data: "{not json"
            },
            &mut |_| n += 1
        )
        .is_err()
    );
    assert!(
        dec.decode(
            &Frame::Sse {
                event: "",
                data: r#"{"choices":[{"delta":{"content":5}}]}"#
            },
            &mut |_| n += 1
        )
        .is_err()
    );
    assert!(
        dec.decode(
            &Frame::EventStream {
                message_type: "event",
                event_type: "messageStart",
                payload: b"{}"
            },
            &mut |_| n += 1
        )
        .is_err()
    );
    assert_eq!(n, 0);
}

fn encode_events(events: &[StreamEvent<'_>], include_usage: bool) -> Vec<Value> {
    let mut enc = oc::StreamEncoder::new(stream_meta(include_usage));
    let mut out = Vec::new();
    for e in events {
        enc.encode(e, &mut out);
    }
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.ends_with("data: [DONE]\n\n") || text.contains("\"error\""),
        "{text}"
    );
    sse_data(&text)
        .into_iter()
        .filter(|d| d != "[DONE]")
        .map(|d| serde_json::from_str(&d).unwrap())
        .collect()
}

#[test]
fn encoder_maps_events_from_other_apis() {
    // Anthropic-shaped: start with input usage, thinking with a signature, text, a tool call,
    // stop, cumulative usage.
    let events = [
        StreamEvent::Start {
            id: "msg_01".into(),
            model: "claude-sonnet-4".into(),
            created: None,
            usage: Some(Usage {
                input_tokens: 500,
                cache_read_input_tokens: 400,
                output_tokens: 1,
                ..Default::default()
            }),
        },
        StreamEvent::BlockStart {
            index: 0,
            block: BlockStart::Thinking {
                origin: Api::AnthropicMessages,
                id: None,
            },
        },
        StreamEvent::Delta {
            index: 0,
            delta: Delta::Thinking("Let me think".into()),
        },
        StreamEvent::Delta {
            index: 0,
            delta: Delta::Signature("EqQBCgIYAhIM".into()),
        },
        StreamEvent::BlockStop { index: 0 },
        StreamEvent::BlockStart {
            index: 1,
            block: BlockStart::Text,
        },
        StreamEvent::Delta {
            index: 1,
            delta: Delta::Text("Checking.".into()),
        },
        StreamEvent::BlockStop { index: 1 },
        StreamEvent::BlockStart {
            index: 2,
            block: BlockStart::ToolCall {
                id: "toolu_01".into(),
                name: "get_weather".into(),
                kind: ToolCallKind::Function,
            },
        },
        StreamEvent::Delta {
            index: 2,
            delta: Delta::ToolArguments("{\"location\":".into()),
        },
        StreamEvent::Delta {
            index: 2,
            delta: Delta::ToolArguments("\"Paris\"}".into()),
        },
        StreamEvent::BlockStop { index: 2 },
        StreamEvent::Stop {
            reason: Some(StopReason::ToolUse),
            stop_sequence: None,
        },
        StreamEvent::Usage(Usage {
            input_tokens: 500,
            cache_read_input_tokens: 400,
            output_tokens: 42,
            ..Default::default()
        }),
        StreamEvent::Done,
    ];
    let chunks = encode_events(&events, true);
    for c in &chunks {
        assert_eq!(c["id"], "msg_01");
        assert_eq!(c["model"], "claude-sonnet-4");
        assert_eq!(c["created"], 1_700_000_000);
        assert_eq!(c["object"], "chat.completion.chunk");
    }
    let deltas: Vec<_> = chunks
        .iter()
        .map(|c| c["choices"][0]["delta"].clone())
        .collect();
    assert_eq!(
        deltas[0],
        serde_json::json!({"role":"assistant","content":""})
    );
    assert_eq!(
        deltas[1],
        serde_json::json!({"reasoning_content":"Let me think"})
    );
    assert_eq!(deltas[2], serde_json::json!({"content":"Checking."}));
    assert_eq!(
        deltas[3],
        serde_json::json!({"tool_calls":[{"index":0,"id":"toolu_01","type":"function","function":{"name":"get_weather","arguments":""}}]})
    );
    assert_eq!(
        deltas[4],
        serde_json::json!({"tool_calls":[{"index":0,"function":{"arguments":"{\"location\":"}}]})
    );
    assert_eq!(chunks[6]["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(chunks[6]["choices"][0]["delta"], serde_json::json!({}));
    assert_eq!(chunks[7]["choices"], serde_json::json!([]));
    assert_eq!(
        chunks[7]["usage"],
        serde_json::json!({"prompt_tokens":500,"completion_tokens":42,"total_tokens":542,
            "prompt_tokens_details":{"cached_tokens":400},
            "completion_tokens_details":{"reasoning_tokens":0}})
    );
    assert_eq!(chunks.len(), 8);

    // Without include_usage there is no usage chunk.
    let chunks = encode_events(&events, false);
    assert_eq!(chunks.len(), 7);
    assert!(chunks.iter().all(|c| c.get("usage").is_none()));
}

#[test]
fn encoder_fills_in_missing_start_fields_and_finish_reason() {
    let events = [
        StreamEvent::Start {
            id: "".into(),
            model: "".into(),
            created: None,
            usage: None,
        },
        StreamEvent::BlockStart {
            index: 0,
            block: BlockStart::Refusal,
        },
        StreamEvent::Delta {
            index: 0,
            delta: Delta::Text("No.".into()),
        },
        StreamEvent::BlockStop { index: 0 },
        StreamEvent::Done,
    ];
    let chunks = encode_events(&events, false);
    assert_eq!(chunks[0]["id"], "chatcmpl-gw");
    assert_eq!(chunks[0]["model"], "gw-model");
    assert_eq!(chunks[1]["choices"][0]["delta"]["refusal"], "No.");
    assert_eq!(chunks[2]["choices"][0]["finish_reason"], "stop");

    // An error event is written in the OpenAI error shape and ends the stream.
    let mut enc = oc::StreamEncoder::new(stream_meta(true));
    let mut out = Vec::new();
    enc.encode(
        &StreamEvent::Error(ir::ApiError::new(ErrorKind::Overloaded, "busy")),
        &mut out,
    );
    enc.encode(&StreamEvent::Done, &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "data: {\"error\":{\"message\":\"busy\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n"
    );
}

#[test]
fn truncated_and_corrupted_inputs_never_panic() {
    for kind in ["requests", "responses", "errors", "streams"] {
        for (name, body) in fixtures(kind) {
            let step = (body.len() / 97).max(1);
            for cut in (0..body.len()).step_by(step) {
                let prefix = &body[..cut];
                let _ = oc::decode_request(prefix, &meta());
                let _ = oc::decode_response(prefix);
                let e = oc::decode_error(500, prefix);
                assert_eq!(e.status, 500, "{name}");
                let mut corrupted = body.clone();
                corrupted[cut] = b'"';
                let _ = oc::decode_request(&corrupted, &meta());
                let _ = oc::decode_response(&corrupted);
                if kind == "streams" {
                    let text = String::from_utf8_lossy(&corrupted);
                    let mut dec = oc::StreamDecoder::new();
                    let mut enc = oc::StreamEncoder::new(stream_meta(true));
                    let mut out = Vec::new();
                    for data in sse_data(&text) {
                        let frame = Frame::Sse {
                            event: "",
                            data: &data,
                        };
                        let _ = dec.decode(&frame, &mut |e| enc.encode(&e, &mut out));
                    }
                    dec.finish(&mut |e| enc.encode(&e, &mut out));
                }
            }
        }
    }
}
