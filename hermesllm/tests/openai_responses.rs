//! Integration tests of the OpenAI Responses codec.

// Test helpers outside `#[test]` functions are not covered by clippy's in-test allowances.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::fs;
use std::path::{Path, PathBuf};

use hermesllm::ir::{
    self, ApiError, Block, Effort, ErrorKind, MediaSource, Message, ResponseFormat, Role,
    StopReason, ToolCallKind, ToolChoice, ToolKind, Usage,
};
use hermesllm::openai_responses::{
    decode_error, decode_request, decode_response, encode_error, encode_request, encode_response,
};
use hermesllm::{Api, DecodeError, LossKind, Losses, Raw, RequestMeta, ResponseMeta, Str};
use serde_json::Value;

fn dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/openai_responses")
        .join(kind)
}

fn fixtures(kind: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = fs::read_dir(dir(kind))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn fixture(kind: &str, name: &str) -> Vec<u8> {
    fs::read(dir(kind).join(name)).unwrap()
}

fn meta() -> RequestMeta<'static> {
    RequestMeta::default()
}

fn req(body: &[u8]) -> ir::Request<'_> {
    decode_request(body, &meta()).unwrap()
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

fn encode_req(r: &ir::Request<'_>) -> (Value, Losses) {
    let mut losses = Losses::default();
    let body = encode_request(r, &mut losses).unwrap();
    (json(&body), losses)
}

fn resp_meta() -> ResponseMeta<'static> {
    ResponseMeta {
        id: "resp_gateway1".into(),
        created: 1_700_000_000,
        model: "fallback-model".into(),
    }
}

// ---------------------------------------------------------------- fixtures

#[test]
fn request_fixtures_decode_and_round_trip() {
    let all = fixtures("requests");
    assert!(all.len() >= 12, "{} request fixtures", all.len());
    for (name, body) in &all {
        let ir = decode_request(body, &meta()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!ir.model.is_empty(), "{name}");
        let mut losses = Losses::default();
        let out = encode_request(&ir, &mut losses).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(losses.is_empty(), "{name}: {losses:?}");
        let again = decode_request(&out, &meta())
            .unwrap_or_else(|e| panic!("{name}: {e}\n{}", String::from_utf8_lossy(&out)));
        assert_eq!(ir, again, "{name}\n{}", String::from_utf8_lossy(&out));
    }
}

#[test]
fn response_fixtures_decode_and_round_trip() {
    let all = fixtures("responses");
    assert!(all.len() >= 8, "{} response fixtures", all.len());
    for (name, body) in &all {
        let ir = decode_response(body).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(ir.choices.len(), 1, "{name}");
        assert!(ir.usage.is_some(), "{name}");
        let mut losses = Losses::default();
        let out = encode_response(&ir, &resp_meta(), &mut losses).unwrap();
        assert!(losses.is_empty(), "{name}: {losses:?}");
        let again = decode_response(&out)
            .unwrap_or_else(|e| panic!("{name}: {e}\n{}", String::from_utf8_lossy(&out)));
        // Item ids of messages and function calls are not part of the IR; everything else is.
        assert_eq!(ir, again, "{name}\n{}", String::from_utf8_lossy(&out));
    }
}

#[test]
fn error_fixtures_decode_to_their_kind() {
    let expected = [
        (
            "invalid_api_key.401.json",
            ErrorKind::Authentication,
            Some("invalid_api_key"),
        ),
        (
            "invalid_request.400.json",
            ErrorKind::InvalidRequest,
            Some("invalid_type"),
        ),
        (
            "not_found.404.json",
            ErrorKind::NotFound,
            Some("model_not_found"),
        ),
        (
            "overloaded.503.json",
            ErrorKind::Overloaded,
            Some("server_is_overloaded"),
        ),
        (
            "rate_limit.429.json",
            ErrorKind::RateLimit,
            Some("rate_limit_exceeded"),
        ),
        ("server_error.500.json", ErrorKind::Server, None),
    ];
    let all = fixtures("errors");
    assert_eq!(all.len(), expected.len());
    for ((name, body), (ename, kind, code)) in all.iter().zip(expected) {
        assert_eq!(name, ename);
        let status: u16 = name.split('.').nth(1).unwrap().parse().unwrap();
        let err = decode_error(status, body);
        assert_eq!(err.kind, kind, "{name}");
        assert_eq!(err.status, status, "{name}");
        assert_eq!(err.code.as_deref(), code, "{name}");
        assert_eq!(err.origin, Some(Api::OpenAiResponses));
        assert!(!err.message.is_empty());
        // Re-encoded in the OpenAI shape with the same message and code.
        let out = json(&encode_error(&err));
        assert_eq!(out["error"]["message"], *err.message);
        assert_eq!(out["error"]["code"], code.map_or(Value::Null, Value::from));
        assert!(out["error"]["type"].is_string());
        assert!(out["error"].get("param").is_some());
    }
    let body = fixture("errors", "invalid_request.400.json");
    let param = decode_error(400, &body);
    assert_eq!(param.param.as_deref(), Some("input[0].content"));
}

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

// ---------------------------------------------------------------- bad input

#[test]
fn bad_requests_are_decode_errors() {
    let cases: [(&[u8], &str); 11] = [
        (b"{", "invalid JSON"),
        (b"[]", "invalid JSON"),
        (br#"{"model": 5, "input": "x"}"#, "model"),
        (br#"{"input": "x"}"#, "model"),
        (
            br#"{"model":"m","input":[{"role":"robot","content":"x"}]}"#,
            "input[0].role",
        ),
        (
            br#"{"model":"m","input":[{"role":"user"}]}"#,
            "input[0].content",
        ),
        (
            br#"{"model":"m","input":[{"type":"function_call","name":"f","arguments":"{}"}]}"#,
            "input[0].call_id",
        ),
        (
            br#"{"model":"m","input":[{"type":"function_call_output","call_id":"c"}]}"#,
            "input[0].output",
        ),
        (
            br#"{"model":"m","input":"x","reasoning":{"effort":"extreme"}}"#,
            "reasoning.effort",
        ),
        (
            br#"{"model":"m","input":"x","text":{"format":{"type":"yaml"}}}"#,
            "text.format.type",
        ),
        (
            br#"{"model":"m","input":[{"role":"user","content":[{"type":"input_image"}]}]}"#,
            "input[0].content[0]",
        ),
    ];
    for (body, needle) in cases {
        let err = decode_request(body, &meta()).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains(needle),
            "{}: {msg}",
            String::from_utf8_lossy(body)
        );
    }
    let err = decode_request(br#"{"model":"m","temperature":"hot"}"#, &meta()).unwrap_err();
    assert!(
        matches!(err, DecodeError::Json { path: Some(ref p), .. } if p == "temperature"),
        "{err:?}"
    );
    let err =
        decode_request(br#"{"model":"m","tools":[{"type":"function"}]}"#, &meta()).unwrap_err();
    assert!(err.to_string().contains("tools[0].name"), "{err}");
}

#[test]
fn bad_responses_are_decode_errors() {
    assert!(decode_response(b"not json").is_err());
    assert!(decode_response(br#"{"output": 3}"#).is_err());
    let err = decode_response(br#"{"id":"r","output":[{"type":"function_call","name":"f"}]}"#)
        .unwrap_err();
    assert!(err.to_string().contains("output[0].call_id"), "{err}");
}

#[test]
fn unreadable_error_bodies_become_the_message() {
    let e = decode_error(502, b"<html>Bad Gateway</html>\n");
    assert_eq!(e.kind, ErrorKind::Server);
    assert_eq!(e.message, "<html>Bad Gateway</html>");
    let e = decode_error(429, b"");
    assert_eq!(e.kind, ErrorKind::RateLimit);
    let e = decode_error(
        0,
        br#"{"error":{"message":"slow down","code":"rate_limit_exceeded"}}"#,
    );
    assert_eq!((e.kind, e.status), (ErrorKind::RateLimit, 429));
    let e = decode_error(400, br#"{"error":{"message":"m","code":1234}}"#);
    assert_eq!(e.code.as_deref(), Some("1234"));
    let e = decode_error(400, &[0xff, 0xfe]);
    assert_eq!(e.kind, ErrorKind::InvalidRequest);
}

#[test]
fn encode_error_shapes_per_kind() {
    let cases = [
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
            ErrorKind::RateLimit,
            "rate_limit_error",
            "rate_limit_exceeded".into(),
        ),
        (
            ErrorKind::Overloaded,
            "server_error",
            "server_is_overloaded".into(),
        ),
        (ErrorKind::Server, "server_error", Value::Null),
    ];
    for (kind, ty, code) in cases {
        let out = json(&encode_error(&ApiError::new(kind, "oops")));
        assert_eq!(
            out,
            serde_json::json!({"error":{"message":"oops","type":ty,"param":null,"code":code}}),
            "{kind:?}"
        );
    }
    // Another API's code is not an OpenAI code.
    let mut e = ApiError::new(ErrorKind::Overloaded, "Overloaded");
    e.code = Some("overloaded_error".into());
    e.origin = Some(Api::AnthropicMessages);
    let out = json(&encode_error(&e));
    assert_eq!(out["error"]["code"], "server_is_overloaded");
}

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

// ---------------------------------------------------------------- streams

use hermesllm::ir::{BlockStart, Delta, StreamEvent};
use hermesllm::openai_responses::{StreamDecoder, StreamEncoder};
use hermesllm::stream::{Frame, StreamDecode, StreamEncode, StreamMeta};

/// Splits SSE text into (event, data) pairs on blank lines.
fn sse_events(text: &str) -> Vec<(String, String)> {
    text.split("\n\n")
        .filter(|b| !b.trim().is_empty())
        .map(|block| {
            let mut event = String::new();
            let mut data = Vec::new();
            for line in block.lines() {
                if let Some(e) = line.strip_prefix("event: ") {
                    event = e.to_owned();
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data.push(d);
                }
            }
            (event, data.join("\n"))
        })
        .collect()
}

fn own(ev: StreamEvent<'_>) -> StreamEvent<'static> {
    match ev {
        StreamEvent::Start {
            id,
            model,
            created,
            usage,
        } => StreamEvent::Start {
            id: id.into_owned(),
            model: model.into_owned(),
            created,
            usage,
        },
        StreamEvent::BlockStart { index, block } => StreamEvent::BlockStart {
            index,
            block: match block {
                BlockStart::ToolCall { id, name, kind } => BlockStart::ToolCall {
                    id: id.into_owned(),
                    name: name.into_owned(),
                    kind,
                },
                BlockStart::Thinking { origin, id } => BlockStart::Thinking {
                    origin,
                    id: id.map(Str::into_owned),
                },
                BlockStart::RedactedThinking { data, origin } => BlockStart::RedactedThinking {
                    data: data.into_owned(),
                    origin,
                },
                BlockStart::Text => BlockStart::Text,
                BlockStart::Refusal => BlockStart::Refusal,
                other => panic!("unexpected {other:?}"),
            },
        },
        StreamEvent::Delta { index, delta } => StreamEvent::Delta {
            index,
            delta: match delta {
                Delta::Text(t) => Delta::Text(t.into_owned()),
                Delta::ToolArguments(t) => Delta::ToolArguments(t.into_owned()),
                Delta::Thinking(t) => Delta::Thinking(t.into_owned()),
                Delta::Signature(t) => Delta::Signature(t.into_owned()),
                other => panic!("unexpected {other:?}"),
            },
        },
        StreamEvent::BlockStop { index } => StreamEvent::BlockStop { index },
        StreamEvent::Stop {
            reason,
            stop_sequence,
        } => StreamEvent::Stop {
            reason: reason.map(|r| match r {
                StopReason::Other(s) => StopReason::Other(s.into_owned()),
                StopReason::EndTurn => StopReason::EndTurn,
                StopReason::MaxTokens => StopReason::MaxTokens,
                StopReason::StopSequence => StopReason::StopSequence,
                StopReason::ToolUse => StopReason::ToolUse,
                StopReason::ContentFilter => StopReason::ContentFilter,
                StopReason::Refusal => StopReason::Refusal,
                StopReason::PauseTurn => StopReason::PauseTurn,
                StopReason::ContextWindowExceeded => StopReason::ContextWindowExceeded,
                other => panic!("unexpected {other:?}"),
            }),
            stop_sequence: stop_sequence.map(Str::into_owned),
        },
        StreamEvent::Usage(u) => StreamEvent::Usage(u),
        StreamEvent::Error(e) => StreamEvent::Error(ApiError {
            status: e.status,
            kind: e.kind,
            message: e.message.into_owned(),
            code: e.code.map(Str::into_owned),
            param: e.param.map(Str::into_owned),
            origin: e.origin,
        }),
        StreamEvent::Done => StreamEvent::Done,
        other => panic!("unexpected {other:?}"),
    }
}

fn decode_stream(text: &str) -> Vec<StreamEvent<'static>> {
    let mut dec = StreamDecoder::new();
    let mut out = Vec::new();
    for (event, data) in sse_events(text) {
        dec.decode(
            &Frame::Sse {
                event: &event,
                data: &data,
            },
            &mut |e| out.push(own(e)),
        )
        .unwrap_or_else(|e| panic!("{event}: {e}"));
    }
    dec.finish(&mut |e| out.push(own(e)));
    out
}

fn encode_stream(events: &[StreamEvent<'_>]) -> String {
    let mut enc = StreamEncoder::new(StreamMeta {
        id: "resp_meta".into(),
        created: 1_700_000_000,
        model: "meta-model".into(),
        include_usage: false,
    });
    let mut out = Vec::new();
    for e in events {
        enc.encode(e, &mut out);
    }
    String::from_utf8(out).unwrap()
}

fn stream_fixture(name: &str) -> String {
    String::from_utf8(fixture("streams", name)).unwrap()
}

/// Concatenated text deltas, tool arguments per block, thinking text and signatures.
fn collect(events: &[StreamEvent<'_>]) -> (String, Vec<String>, String, String) {
    let (mut text, mut args, mut thinking, mut sig) =
        (String::new(), Vec::new(), String::new(), String::new());
    let mut arg_index = Vec::new();
    for e in events {
        match e {
            StreamEvent::BlockStart {
                index,
                block: BlockStart::ToolCall { .. },
            } => {
                arg_index.push(*index);
                args.push(String::new());
            }
            StreamEvent::Delta { index, delta } => match delta {
                Delta::Text(t) => text.push_str(t),
                Delta::ToolArguments(t) => {
                    let k = arg_index.iter().position(|i| i == index).unwrap();
                    args[k].push_str(t);
                }
                Delta::Thinking(t) => thinking.push_str(t),
                Delta::Signature(t) => sig.push_str(t),
                _ => {}
            },
            _ => {}
        }
    }
    (text, args, thinking, sig)
}

fn usage_of(events: &[StreamEvent<'_>]) -> Option<Usage> {
    events.iter().rev().find_map(|e| match e {
        StreamEvent::Usage(u) => Some(*u),
        _ => None,
    })
}

fn stop_of(events: &[StreamEvent<'_>]) -> Option<StopReason<'static>> {
    events.iter().find_map(|e| match e {
        StreamEvent::Stop { reason, .. } => Some(own_stop(reason.as_ref())),
        _ => None,
    })?
}

fn own_stop(r: Option<&StopReason<'_>>) -> Option<StopReason<'static>> {
    match own(StreamEvent::Stop {
        reason: r.cloned(),
        stop_sequence: None,
    }) {
        StreamEvent::Stop { reason, .. } => reason,
        _ => None,
    }
}

#[test]
fn text_stream_decodes_to_the_event_grammar() {
    let events = decode_stream(&stream_fixture("text.sse"));
    let expected: Vec<StreamEvent<'static>> = vec![
        StreamEvent::Start {
            id: "resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654".into(),
            model: "gpt-4.1-2025-04-14".into(),
            created: Some(1741290958),
            usage: None,
        },
        StreamEvent::BlockStart {
            index: 0,
            block: BlockStart::Text,
        },
        StreamEvent::Delta {
            index: 0,
            delta: Delta::Text("Hi".into()),
        },
        StreamEvent::Delta {
            index: 0,
            delta: Delta::Text(" there".into()),
        },
        StreamEvent::Delta {
            index: 0,
            delta: Delta::Text("! How can I".into()),
        },
        StreamEvent::Delta {
            index: 0,
            delta: Delta::Text(String::from("\nhelp you today?").into()),
        },
        StreamEvent::BlockStop { index: 0 },
        StreamEvent::Stop {
            reason: Some(StopReason::EndTurn),
            stop_sequence: None,
        },
        StreamEvent::Usage(Usage {
            input_tokens: 37,
            output_tokens: 11,
            ..Default::default()
        }),
        StreamEvent::Done,
    ];
    assert_eq!(events, expected);
}

#[test]
fn tool_streams_have_exact_arguments() {
    let events = decode_stream(&stream_fixture("tools.sse"));
    let (_, args, _, _) = collect(&events);
    assert_eq!(args, [r#"{"location":"Boston, MA","unit":"celsius"}"#]);
    assert_eq!(stop_of(&events), Some(StopReason::ToolUse));
    assert!(events.contains(&StreamEvent::BlockStart {
        index: 0,
        block: BlockStart::ToolCall {
            id: "call_unLAR8MvFNptuiZK6K6HCy5k".into(),
            name: "get_current_weather".into(),
            kind: ToolCallKind::Function
        }
    }));

    let events = decode_stream(&stream_fixture("parallel_tools.sse"));
    let (text, args, _, _) = collect(&events);
    assert_eq!(text, "Checking both cities.");
    assert_eq!(
        args,
        [
            r#"{"location":"Paris, France"}"#,
            r#"{"location":"Tokyo, Japan"}"#,
            r#"print("hello")"#
        ]
    );
    assert!(events.contains(&StreamEvent::BlockStart {
        index: 3,
        block: BlockStart::ToolCall {
            id: "call_Code03".into(),
            name: "code_exec".into(),
            kind: ToolCallKind::Custom
        }
    }));
    assert_eq!(events.last(), Some(&StreamEvent::Done));
}

#[test]
fn thinking_stream_matches_the_non_streaming_response() {
    let events = decode_stream(&stream_fixture("thinking.sse"));
    let (text, _, thinking, sig) = collect(&events);
    assert_eq!(text, "It is 14°C and cloudy in Paris.");
    assert_eq!(
        thinking,
        "**Determining the weather**\n\nThe user asks about Paris.\n\n**Choosing units**\n\nCelsius it is."
    );
    assert_eq!(
        sig,
        "gAAAAABoIPOE0j5Yg9ZpRdGM8k5kq5eM0SZ4d-NeHmdAV_QqqfYyoV6yJtXHwlWqnC-nzM8"
    );
    assert_eq!(
        events[1],
        StreamEvent::BlockStart {
            index: 0,
            block: BlockStart::Thinking {
                origin: Api::OpenAiResponses,
                id: Some("rs_6820f383d7c08191846711c5df8233bc0ac5ba57aafcbac7".into())
            }
        }
    );
    // Usage equals the non-streaming response's.
    let body = fixture("responses", "reasoning.json");
    assert_eq!(usage_of(&events), decode_response(&body).unwrap().usage);
}

#[test]
fn incomplete_stream_reports_max_tokens_and_cached_usage() {
    let events = decode_stream(&stream_fixture("usage_cached_incomplete.sse"));
    assert_eq!(stop_of(&events), Some(StopReason::MaxTokens));
    let body = fixture("responses", "cached_usage.json");
    let expected = decode_response(&body).unwrap().usage;
    assert_eq!(usage_of(&events), expected);
    assert_eq!(expected.unwrap().cache_read_input_tokens, 1920);
    // The empty reasoning item still opens and closes a thinking block.
    assert!(events.contains(&StreamEvent::BlockStop { index: 0 }));
    assert_eq!(events.last(), Some(&StreamEvent::Done));
}

#[test]
fn error_events_end_the_stream_with_an_error() {
    let events = decode_stream(&stream_fixture("error.sse"));
    let last = events.last().unwrap();
    let StreamEvent::Error(e) = last else {
        panic!("{last:?}")
    };
    assert_eq!(e.kind, ErrorKind::Server);
    assert_eq!(e.code.as_deref(), Some("server_error"));
    assert!(e.message.starts_with("The server had an error"));
    assert!(!events.contains(&StreamEvent::Done));
    assert_eq!(collect(&events).0, "Once upon");

    let events = decode_stream(&stream_fixture("failed.sse"));
    let StreamEvent::Error(e) = events.last().unwrap() else {
        panic!()
    };
    assert_eq!((e.kind, e.status), (ErrorKind::RateLimit, 429));
    assert!(!events.contains(&StreamEvent::Done));
}

#[test]
fn truncated_streams_end_with_an_error() {
    let text = stream_fixture("text.sse");
    let cut = text.rfind("event: response.completed").unwrap();
    let events = decode_stream(&text[..cut]);
    assert!(matches!(events.last(), Some(StreamEvent::Error(e)) if e.kind == ErrorKind::Server));
    assert!(!events.contains(&StreamEvent::Done));
    // Cut inside a block: the block is closed before the error.
    let cut = text.find("event: response.output_text.done").unwrap();
    let events = decode_stream(&text[..cut]);
    let n = events.len();
    assert_eq!(events[n - 2], StreamEvent::BlockStop { index: 0 });
    assert!(matches!(events[n - 1], StreamEvent::Error(_)));
}

#[test]
fn bad_stream_frames_are_errors() {
    let mut dec = StreamDecoder::new();
    let mut sink = |_: StreamEvent<'_>| {};
    assert!(
        dec.decode(
            &Frame::Sse {
                event: "x",
                data: "{not json"
            },
            &mut sink
        )
        .is_err()
    );
    assert!(
        dec.decode(
            &Frame::EventStream {
                message_type: "event",
                event_type: "x",
                payload: b"{}"
            },
            &mut sink
        )
        .is_err()
    );
    // Unknown event types are skipped.
    assert!(dec
        .decode(
            &Frame::Sse {
                event: "response.web_search_call.searching",
                data: r#"{"type":"response.web_search_call.searching","sequence_number":3,"output_index":0,"item_id":"ws_1"}"#
            },
            &mut sink
        )
        .is_ok());
}

#[test]
fn streams_round_trip_through_the_encoder() {
    for (name, body) in fixtures("streams") {
        let text = String::from_utf8(body).unwrap();
        let events = decode_stream(&text);
        let encoded = encode_stream(&events);
        let again = decode_stream(&encoded);
        assert_eq!(events, again, "{name}\n{encoded}");
        // Sequence numbers count up from 0.
        for (k, (_, data)) in sse_events(&encoded).iter().enumerate() {
            let v: Value = serde_json::from_str(data).unwrap();
            assert_eq!(v["sequence_number"], k as u64, "{name}");
        }
    }
}

#[test]
fn encoder_writes_the_full_lifecycle_from_another_api() {
    // An Anthropic-shaped event sequence: usage at start, signed thinking, text, tool call.
    let events: Vec<StreamEvent<'static>> = vec![
        StreamEvent::Start {
            id: "msg_01XFDUDYJgAACzvnptvVoYEL".into(),
            model: "claude-sonnet-4-5".into(),
            created: None,
            usage: Some(Usage {
                input_tokens: 472,
                cache_read_input_tokens: 400,
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
            delta: Delta::Thinking("Let me".into()),
        },
        StreamEvent::Delta {
            index: 0,
            delta: Delta::Thinking(" think.".into()),
        },
        StreamEvent::Delta {
            index: 0,
            delta: Delta::Signature("EqQBCkgIARABGAIiQL".into()),
        },
        StreamEvent::BlockStop { index: 0 },
        StreamEvent::BlockStart {
            index: 1,
            block: BlockStart::Text,
        },
        StreamEvent::Delta {
            index: 1,
            delta: Delta::Text("Okay.".into()),
        },
        StreamEvent::BlockStop { index: 1 },
        StreamEvent::BlockStart {
            index: 2,
            block: BlockStart::ToolCall {
                id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6".into(),
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
            delta: Delta::ToolArguments(" \"Paris\"}".into()),
        },
        StreamEvent::BlockStop { index: 2 },
        StreamEvent::Stop {
            reason: Some(StopReason::ToolUse),
            stop_sequence: None,
        },
        StreamEvent::Usage(Usage {
            output_tokens: 89,
            ..Default::default()
        }),
        StreamEvent::Done,
    ];
    let encoded = encode_stream(&events);
    let sse = sse_events(&encoded);
    let kinds: Vec<&str> = sse.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.reasoning_summary_part.added",
            "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.done",
            "response.reasoning_summary_part.done",
            "response.output_item.done",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.output_item.added",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    for (event, data) in &sse {
        let v: Value = serde_json::from_str(data).unwrap();
        assert_eq!(v["type"], *event);
    }
    let data = |k: usize| -> Value { serde_json::from_str(&sse[k].1).unwrap() };
    let created = data(0);
    assert_eq!(created["response"]["id"], "msg_01XFDUDYJgAACzvnptvVoYEL");
    assert_eq!(created["response"]["status"], "in_progress");
    assert_eq!(created["response"]["output"], serde_json::json!([]));
    assert_eq!(created["response"]["created_at"], 1_700_000_000);
    assert_eq!(
        data(16),
        serde_json::json!({"type":"response.function_call_arguments.delta","sequence_number":16,"output_index":2,"item_id":"fc_msg_01XFDUDYJgAACzvnptvVoYEL_2","delta":"{\"location\":"})
    );
    let done = data(20);
    let resp = &done["response"];
    assert_eq!(resp["status"], "completed");
    assert_eq!(resp["output"].as_array().unwrap().len(), 3);
    // The foreign signature is not passed as encrypted_content.
    assert_eq!(
        resp["output"][0],
        serde_json::json!({"type":"reasoning","id":"rs_msg_01XFDUDYJgAACzvnptvVoYEL_0","summary":[{"type":"summary_text","text":"Let me think."}]})
    );
    assert_eq!(resp["output"][1]["content"][0]["text"], "Okay.");
    assert_eq!(resp["output"][2]["arguments"], "{\"location\": \"Paris\"}");
    assert_eq!(
        resp["usage"],
        serde_json::json!({"input_tokens":472,"input_tokens_details":{"cached_tokens":400},"output_tokens":89,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":561})
    );

    // Decoding what was written gives back the events, minus the foreign signature.
    let again = decode_stream(&encoded);
    let (text, args, thinking, sig) = collect(&again);
    assert_eq!(
        (text.as_str(), thinking.as_str(), sig.as_str()),
        ("Okay.", "Let me think.", "")
    );
    assert_eq!(args, ["{\"location\": \"Paris\"}"]);
    assert_eq!(stop_of(&again), Some(StopReason::ToolUse));
    assert_eq!(again.last(), Some(&StreamEvent::Done));
}

#[test]
fn encoder_maps_stop_reasons_and_errors() {
    let start = StreamEvent::Start {
        id: "".into(),
        model: "".into(),
        created: None,
        usage: None,
    };
    let encoded = encode_stream(&[
        start.clone(),
        StreamEvent::Stop {
            reason: Some(StopReason::MaxTokens),
            stop_sequence: None,
        },
        StreamEvent::Done,
    ]);
    let sse = sse_events(&encoded);
    let (event, data) = sse.last().unwrap();
    assert_eq!(event, "response.incomplete");
    let v: Value = serde_json::from_str(data).unwrap();
    assert_eq!(v["response"]["id"], "resp_meta");
    assert_eq!(v["response"]["model"], "meta-model");
    assert_eq!(
        v["response"]["incomplete_details"]["reason"],
        "max_output_tokens"
    );

    let mut err = ApiError::new(ErrorKind::Overloaded, "Overloaded");
    err.origin = Some(Api::AnthropicMessages);
    err.code = Some("overloaded_error".into());
    let encoded = encode_stream(&[start, StreamEvent::Error(err), StreamEvent::Done]);
    let sse = sse_events(&encoded);
    assert_eq!(sse.len(), 3);
    let (event, data) = &sse[2];
    assert_eq!(event, "error");
    assert_eq!(
        serde_json::from_str::<Value>(data).unwrap(),
        serde_json::json!({"type":"error","code":"server_is_overloaded","message":"Overloaded","param":null,"sequence_number":2})
    );
}

#[test]
fn truncated_and_mangled_inputs_never_panic() {
    for kind in ["requests", "responses", "errors"] {
        for (name, body) in fixtures(kind) {
            for cut in (0..body.len()).step_by(7) {
                let part = &body[..cut];
                let _ = decode_request(part, &meta());
                let _ = decode_response(part);
                let e = decode_error(400, part);
                assert_eq!(e.status, 400, "{name}");
            }
        }
    }
    for (_, body) in fixtures("streams") {
        let text = String::from_utf8(body).unwrap();
        let mut dec = StreamDecoder::new();
        for (event, data) in sse_events(&text) {
            for cut in (0..data.len()).step_by(13) {
                let Some(d) = data.get(..cut) else { continue };
                let _ = dec.decode(
                    &Frame::Sse {
                        event: &event,
                        data: d,
                    },
                    &mut |_| {},
                );
            }
        }
        dec.finish(&mut |_| {});
    }
}

#[test]
fn wrong_types_inside_items_name_the_item() {
    let err = decode_request(
        br#"{"model":"m","input":[{"role":"user","content":5}]}"#,
        &meta(),
    )
    .unwrap_err();
    assert!(
        matches!(err, DecodeError::Json { path: Some(ref p), .. } if p == "input[0]"),
        "{err:?}"
    );
    let err = decode_request(
        br#"{"model":"m","input":"x","tools":[{"type":"function","name":7}]}"#,
        &meta(),
    )
    .unwrap_err();
    assert!(
        matches!(err, DecodeError::Json { path: Some(ref p), .. } if p == "tools[0]"),
        "{err:?}"
    );
    // Out-of-range numbers are errors too.
    assert!(decode_request(br#"{"model":"m","max_output_tokens":-1}"#, &meta()).is_err());
}
