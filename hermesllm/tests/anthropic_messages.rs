//! Anthropic Messages codec: fixtures from the API reference, round trips, targeted mappings,
//! bad input, errors and streams.

// Test helpers outside #[test] functions panic on broken fixtures, which is what a test wants.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;

use hermesllm::anthropic_messages as am;
use hermesllm::ir::{
    self, Block, Cache, CacheTtl, Effort, ErrorKind, MediaSource, Role, StopReason, ToolCallKind,
    ToolChoice, ToolKind, Usage,
};
use hermesllm::{Api, DecodeError, LossKind, Losses, Raw, RequestMeta, ResponseMeta, Str};
use serde_json::Value;

fn dir(kind: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/anthropic_messages")
        .join(kind)
}

fn fixture(kind: &str, name: &str) -> Vec<u8> {
    std::fs::read(dir(kind).join(name)).unwrap()
}

fn fixtures(kind: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir(kind))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn meta() -> RequestMeta<'static> {
    RequestMeta::default()
}

fn request(name: &str) -> Vec<u8> {
    fixture("requests", &format!("{name}.json"))
}

fn response(name: &str) -> Vec<u8> {
    fixture("responses", &format!("{name}.json"))
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

fn paths(losses: &Losses) -> Vec<String> {
    losses.iter().map(|l| l.path.to_string()).collect()
}

fn text<'a>(t: &'a str) -> Block<'a> {
    Block::Text { text: t.into() }
}

fn raw(s: &str) -> Raw<'_> {
    Raw::parse(s).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Fixtures and round trips

#[test]
fn request_fixtures_decode_and_round_trip_without_loss() {
    let all = fixtures("requests");
    assert!(all.len() >= 12, "{} request fixtures", all.len());
    for (name, body) in &all {
        let ir = am::decode_request(body, &meta()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut losses = Losses::default();
        let out = am::encode_request(&ir, &mut losses).unwrap();
        assert!(losses.is_empty(), "{name}: {losses:?}");
        let again = am::decode_request(&out, &meta()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(ir, again, "{name}");
    }
}

#[test]
fn response_fixtures_decode_and_round_trip_without_loss() {
    let all = fixtures("responses");
    assert!(all.len() >= 8, "{} response fixtures", all.len());
    for (name, body) in &all {
        let ir = am::decode_response(body).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut losses = Losses::default();
        let out = am::encode_response(&ir, &ResponseMeta::default(), &mut losses).unwrap();
        assert!(losses.is_empty(), "{name}: {losses:?}");
        let again = am::decode_response(&out).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(ir, again, "{name}");
        // The re-encoded body has the documented top-level shape.
        let v = json(&out);
        assert_eq!(v["type"], "message", "{name}");
        assert_eq!(v["role"], "assistant", "{name}");
        assert!(
            v.get("stop_sequence").is_some(),
            "{name}: stop_sequence is always present"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Requests: targeted mappings

#[test]
fn simple_and_multi_turn() {
    let body = request("simple");
    let r = am::decode_request(&body, &meta()).unwrap();
    assert_eq!(r.model, "claude-sonnet-4-5");
    assert_eq!(r.max_output_tokens, Some(1024));
    assert_eq!(r.messages.len(), 1);
    assert_eq!(r.messages[0].role, Role::User);
    assert_eq!(r.messages[0].content, vec![text("Hello, Claude")]);
    assert!(!r.stream);
    assert!(r.extra.is_empty());
    assert_eq!(r.extra.api, None);

    let body = request("multi_turn");
    let r = am::decode_request(&body, &meta()).unwrap();
    let roles: Vec<Role> = r.messages.iter().map(|m| m.role).collect();
    assert_eq!(roles, [Role::User, Role::Assistant, Role::User]);
    assert_eq!(
        r.messages[2].content,
        vec![text("Can you explain LLMs in plain English?")]
    );
}

#[test]
fn system_prompt_string() {
    let body = request("system");
    let r = am::decode_request(&body, &meta()).unwrap();
    assert_eq!(
        r.system,
        vec![text(
            "You are a seasoned data scientist at a Fortune 500 company."
        )]
    );
    // A single uncached text is written back as a string.
    let out = json(&am::encode_request(&r, &mut Losses::default()).unwrap());
    assert_eq!(
        out["system"],
        "You are a seasoned data scientist at a Fortune 500 company."
    );
}

#[test]
fn tool_definitions_and_choice() {
    let body = request("tools");
    let r = am::decode_request(&body, &meta()).unwrap();
    assert_eq!(r.tools.len(), 1);
    let t = &r.tools[0];
    assert_eq!(t.name, "get_weather");
    assert_eq!(
        t.description.as_deref(),
        Some("Get the current weather in a given location")
    );
    let ToolKind::Function { parameters, strict } = &t.kind else {
        panic!("{:?}", t.kind)
    };
    assert_eq!(*strict, None);
    let schema = parameters.unwrap().get();
    assert!(
        schema.starts_with("{\n        \"type\": \"object\""),
        "{schema}"
    );
    assert_eq!(
        r.tool_choice,
        Some(ToolChoice::Tool {
            name: "get_weather".into()
        })
    );
    assert_eq!(r.parallel_tool_calls, Some(false));

    let out = json(&am::encode_request(&r, &mut Losses::default()).unwrap());
    assert_eq!(
        out["tool_choice"],
        serde_json::json!({"type": "tool", "name": "get_weather", "disable_parallel_tool_use": true})
    );
    assert_eq!(out["tools"][0]["input_schema"]["required"][0], "location");
}

#[test]
fn parallel_tool_calls_keep_exact_arguments() {
    let body = request("parallel_tools");
    let r = am::decode_request(&body, &meta()).unwrap();
    assert_eq!(r.tool_choice, Some(ToolChoice::Required));
    let calls: Vec<(&str, &str, &str)> = r.messages[1]
        .content
        .iter()
        .filter_map(|b| match b {
            Block::ToolCall {
                id,
                name,
                arguments,
                kind: ToolCallKind::Function,
            } => Some((id.as_str(), name.as_str(), arguments.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(
        calls,
        [
            (
                "toolu_01A09q90qw90lq917835lq9",
                "get_weather",
                r#"{"location": "New York, NY"}"#
            ),
            (
                "toolu_01B19r01rx01mr028946mr0",
                "get_weather",
                r#"{"location": "Paris, France"}"#
            ),
            (
                "toolu_01C29s12sy12ns139057ns1",
                "get_time",
                r#"{"timezone": "America/New_York"}"#
            ),
        ]
    );
}

#[test]
fn tool_results_in_user_turn() {
    let body = request("tool_results");
    let r = am::decode_request(&body, &meta()).unwrap();
    let m = &r.messages[2];
    assert_eq!(m.role, Role::User);
    assert_eq!(
        m.content,
        vec![
            Block::ToolResult {
                call_id: "toolu_01A09q90qw90lq917835lq9".into(),
                name: None,
                content: vec![text("15 degrees, foggy")],
                is_error: false,
            },
            Block::ToolResult {
                call_id: "toolu_01B19r01rx01mr028946mr0".into(),
                name: None,
                content: vec![text("Service unavailable: upstream timeout")],
                is_error: true,
            },
            text("Please summarise what you found."),
        ]
    );
}

#[test]
fn images_and_documents() {
    let body = request("images");
    let r = am::decode_request(&body, &meta()).unwrap();
    let c = &r.messages[0].content;
    assert!(matches!(
        &c[0],
        Block::Image { source: MediaSource::Base64 { media_type, data }, detail: None }
            if media_type == "image/png" && data.starts_with("iVBORw0KGgo")
    ));
    assert!(matches!(
        &c[1],
        Block::Image { source: MediaSource::Url { url, media_type: None }, .. }
            if url.ends_with("Camponotus_flavomarginatus_ant.jpg")
    ));
    assert!(matches!(
        &c[2],
        Block::Image { source: MediaSource::FileId { id }, .. } if id == "file_011CNha8iCJcU1wXNR6q4V8w"
    ));

    let body = request("documents");
    let r = am::decode_request(&body, &meta()).unwrap();
    let c = &r.messages[0].content;
    match &c[0] {
        Block::Document {
            source: MediaSource::Base64 { media_type, .. },
            name,
            context,
            citations,
        } => {
            assert_eq!(media_type, "application/pdf");
            assert_eq!(name.as_deref(), Some("Quarterly report"));
            assert_eq!(context.as_deref(), Some("Internal, Q3 2025"));
            assert_eq!(citations.unwrap().get(), r#"{"enabled": true}"#);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        &c[1],
        Block::Document { source: MediaSource::Text { text }, .. }
            if text == "The grass is green. The sky is blue."
    ));
    assert!(matches!(
        &c[2],
        Block::Document {
            source: MediaSource::Url { .. },
            ..
        }
    ));
    // A `content` source has no IR media source: the block travels raw.
    assert!(matches!(
        &c[3],
        Block::Unknown { origin: Api::AnthropicMessages, raw } if raw.get().contains("First chunk")
    ));

    let out = json(&am::encode_request(&r, &mut Losses::default()).unwrap());
    assert_eq!(
        out["messages"][0]["content"][1]["source"],
        serde_json::json!({"type": "text", "media_type": "text/plain", "data": "The grass is green. The sky is blue."})
    );
}

#[test]
fn thinking_with_signature_and_budget() {
    let body = request("thinking");
    let r = am::decode_request(&body, &meta()).unwrap();
    let reasoning = r.reasoning.clone().unwrap();
    assert_eq!(reasoning.enabled, Some(true));
    assert_eq!(reasoning.budget_tokens, Some(10000));
    assert_eq!(reasoning.effort, None);
    let c = &r.messages[1].content;
    match &c[0] {
        Block::Thinking {
            text,
            signature,
            id: None,
            origin: Api::AnthropicMessages,
        } => {
            assert!(text.starts_with("The user wants to know"));
            assert!(
                signature
                    .as_deref()
                    .unwrap()
                    .starts_with("BDaL4VrbR2Oj0hO4")
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(&c[1], Block::RedactedThinking { data, origin: Api::AnthropicMessages } if data.starts_with("EmwKAhgB"))
    );
    let out = json(&am::encode_request(&r, &mut Losses::default()).unwrap());
    assert_eq!(
        out["thinking"],
        serde_json::json!({"type": "enabled", "budget_tokens": 10000})
    );
    assert_eq!(out["messages"][1]["content"][0]["type"], "thinking");
}

#[test]
fn adaptive_thinking_and_effort() {
    let body = request("adaptive_effort");
    let r = am::decode_request(&body, &meta()).unwrap();
    let reasoning = r.reasoning.clone().unwrap();
    assert_eq!(reasoning.enabled, Some(true));
    assert_eq!(reasoning.budget_tokens, None);
    assert_eq!(reasoning.effort, Some(Effort::Medium));
    let out = json(&am::encode_request(&r, &mut Losses::default()).unwrap());
    assert_eq!(out["thinking"], serde_json::json!({"type": "adaptive"}));
    assert_eq!(
        out["output_config"],
        serde_json::json!({"effort": "medium"})
    );
}

#[test]
fn structured_output() {
    let body = request("structured_output");
    let r = am::decode_request(&body, &meta()).unwrap();
    match r.response_format.as_ref().unwrap() {
        ir::ResponseFormat::JsonSchema {
            name: None,
            description: None,
            schema,
            strict: None,
        } => assert!(schema.get().contains("\"plan_interest\"")),
        other => panic!("{other:?}"),
    }
    // The beta spelling decodes the same way.
    let beta = br#"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],
        "output_format":{"type":"json_schema","schema":{"type":"object"}}}"#;
    let r = am::decode_request(beta, &meta()).unwrap();
    assert!(matches!(
        r.response_format,
        Some(ir::ResponseFormat::JsonSchema { schema, .. }) if schema.get() == r#"{"type":"object"}"#
    ));
}

#[test]
fn sampling_stop_sequences_and_user() {
    let body = request("sampling");
    let r = am::decode_request(&body, &meta()).unwrap();
    assert_eq!(r.sampling.temperature, Some(0.7));
    assert_eq!(r.sampling.top_p, None);
    assert_eq!(r.sampling.top_k, Some(40));
    assert_eq!(r.stop, vec![Str::from("\n\nHuman:"), Str::from("END")]);
    assert_eq!(
        r.user.as_deref(),
        Some("13803d75-b4b5-4c3e-b2a2-6f21399b021b")
    );
    assert!(!r.stream);
    let stream = am::decode_request(
        br#"{"model":"m","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"x"}]}"#,
        &meta(),
    )
    .unwrap();
    assert!(stream.stream);
}

#[test]
fn cache_markers_follow_their_block() {
    let body = request("cache_control");
    let r = am::decode_request(&body, &meta()).unwrap();
    assert_eq!(r.system.len(), 3);
    assert_eq!(
        r.system[2],
        Block::CachePoint(Cache {
            ttl: CacheTtl::OneHour
        })
    );
    assert_eq!(r.tools[0].cache, Some(Cache::default()));
    assert_eq!(
        r.messages[0].content[1],
        Block::CachePoint(Cache {
            ttl: CacheTtl::FiveMinutes
        })
    );
    let out = json(&am::encode_request(&r, &mut Losses::default()).unwrap());
    assert_eq!(
        out["system"][1]["cache_control"],
        serde_json::json!({"type": "ephemeral", "ttl": "1h"})
    );
    assert_eq!(
        out["tools"][0]["cache_control"],
        serde_json::json!({"type": "ephemeral"})
    );
    assert_eq!(
        out["messages"][0]["content"][0]["cache_control"],
        serde_json::json!({"type": "ephemeral", "ttl": "5m"})
    );
}

#[test]
fn extra_fields_builtin_tools_and_unknown_blocks_are_kept_for_anthropic() {
    let body = request("extra_fields");
    let r = am::decode_request(&body, &meta()).unwrap();
    assert_eq!(r.extra.api, Some(Api::AnthropicMessages));
    let keys: Vec<&str> = r.extra.fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["service_tier", "container", "mcp_servers"]);
    assert!(matches!(
        &r.tools[0].kind,
        ToolKind::Builtin { origin: Api::AnthropicMessages, raw } if raw.get().contains("web_search_20250305")
    ));
    assert_eq!(r.tools[0].name, "web_search");
    assert_eq!(r.tools[1].name, "bash");
    let c = &r.messages[1].content;
    assert!(matches!(&c[0], Block::Unknown { raw, .. } if raw.get().contains("server_tool_use")));
    assert!(
        matches!(&c[1], Block::Unknown { raw, .. } if raw.get().contains("web_search_tool_result"))
    );
    assert_eq!(c[2], text("Example.com announced a new product."));

    let mut losses = Losses::default();
    let out = json(&am::encode_request(&r, &mut losses).unwrap());
    assert!(losses.is_empty());
    assert_eq!(out["service_tier"], "auto");
    assert_eq!(out["mcp_servers"][0]["name"], "example-mcp");
    assert_eq!(out["tools"][0]["max_uses"], 5);

    // Another API cannot carry them: each is reported.
    let mut foreign = r.clone();
    foreign.extra.api = Some(Api::OpenAiChat);
    let mut losses = Losses::default();
    am::encode_request(&foreign, &mut losses).unwrap();
    assert_eq!(paths(&losses), ["service_tier", "container", "mcp_servers"]);
}

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

// ---------------------------------------------------------------------------------------------
// Responses

#[test]
fn response_text_and_usage() {
    let body = response("text");
    let r = am::decode_response(&body).unwrap();
    assert_eq!(r.id, "msg_013Zva2CMHLNnXjNJJKqJ2EF");
    assert_eq!(r.model, "claude-sonnet-4-5-20250929");
    assert_eq!(r.choices.len(), 1);
    assert_eq!(r.choices[0].content, vec![text("Hi! My name is Claude.")]);
    assert_eq!(r.choices[0].stop_reason, Some(StopReason::EndTurn));
    assert_eq!(
        r.usage,
        Some(Usage {
            input_tokens: 2095,
            output_tokens: 503,
            ..Default::default()
        })
    );
}

#[test]
fn response_tool_calls() {
    let body = response("parallel_tool_use");
    let r = am::decode_response(&body).unwrap();
    let c = &r.choices[0].content;
    assert_eq!(c.len(), 4);
    assert_eq!(
        c[3],
        Block::ToolCall {
            id: "toolu_01C29s12sy12ns139057ns1".into(),
            name: "get_time".into(),
            arguments: "{}".into(),
            kind: ToolCallKind::Function,
        }
    );
    assert_eq!(r.choices[0].stop_reason, Some(StopReason::ToolUse));
    let body = response("tool_use");
    let r = am::decode_response(&body).unwrap();
    assert!(matches!(
        &r.choices[0].content[1],
        Block::ToolCall { arguments, .. } if arguments == r#"{"location": "San Francisco, CA", "unit": "celsius"}"#
    ));
}

#[test]
fn response_thinking() {
    let body = response("thinking");
    let r = am::decode_response(&body).unwrap();
    let c = &r.choices[0].content;
    assert!(matches!(
        &c[0],
        Block::Thinking { signature: Some(s), origin: Api::AnthropicMessages, .. } if s.starts_with("zbbJhbGci")
    ));
    assert!(matches!(&c[1], Block::RedactedThinking { .. }));
    assert_eq!(r.usage.unwrap().output_tokens, 3120);
    assert_eq!(r.usage.unwrap().reasoning_tokens, 0);
}

#[test]
fn stop_reasons_both_ways() {
    let cases = [
        ("text", StopReason::EndTurn, None),
        ("max_tokens", StopReason::MaxTokens, None),
        ("stop_sequence", StopReason::StopSequence, Some("END")),
        ("tool_use", StopReason::ToolUse, None),
        ("pause_turn", StopReason::PauseTurn, None),
        ("refusal", StopReason::Refusal, None),
        (
            "context_window_exceeded",
            StopReason::ContextWindowExceeded,
            None,
        ),
    ];
    for (name, want, seq) in cases {
        let body = response(name);
        let r = am::decode_response(&body).unwrap();
        assert_eq!(r.choices[0].stop_reason.as_ref(), Some(&want), "{name}");
        assert_eq!(r.choices[0].stop_sequence.as_deref(), seq, "{name}");
        let mut losses = Losses::default();
        let wire = am::encode_stop(&want, &mut losses);
        assert_eq!(json(&body)["stop_reason"], wire, "{name}");
        assert!(losses.is_empty());
    }
    let mut losses = Losses::default();
    assert_eq!(
        am::encode_stop(&StopReason::ContentFilter, &mut losses),
        "refusal"
    );
    assert_eq!(
        am::encode_stop(&StopReason::Other("SAFETY".into()), &mut losses),
        "end_turn"
    );
    assert_eq!(paths(&losses), ["stop_reason", "stop_reason"]);
    assert_eq!(
        am::decode_stop("something_new".into()),
        StopReason::Other("something_new".into())
    );
}

#[test]
fn usage_normalisation_both_ways() {
    let body = response("cache_usage");
    let r = am::decode_response(&body).unwrap();
    let u = r.usage.unwrap();
    assert_eq!(
        u,
        Usage {
            input_tokens: 21 + 188086 + 2048,
            output_tokens: 393,
            cache_read_input_tokens: 2048,
            cache_write_input_tokens: 188086,
            reasoning_tokens: 0,
        }
    );
    let out =
        json(&am::encode_response(&r, &ResponseMeta::default(), &mut Losses::default()).unwrap());
    assert_eq!(out["usage"]["input_tokens"], 21);
    assert_eq!(out["usage"]["cache_creation_input_tokens"], 188086);
    assert_eq!(out["usage"]["cache_read_input_tokens"], 2048);
    assert_eq!(out["usage"]["output_tokens"], 393);

    // OpenAI-style usage: reasoning stays inside output_tokens.
    let w = am::encode_usage(&Usage {
        input_tokens: 1000,
        output_tokens: 300,
        cache_read_input_tokens: 800,
        cache_write_input_tokens: 0,
        reasoning_tokens: 200,
    });
    assert_eq!(w.input_tokens, 200);
    assert_eq!(w.cache_read_input_tokens, Some(800));
    assert_eq!(w.output_tokens, 300);
}

#[test]
fn encode_foreign_response() {
    let resp = ir::Response {
        id: "".into(),
        model: "".into(),
        created: Some(1_700_000_000),
        choices: vec![
            ir::Choice {
                content: vec![
                    Block::Thinking {
                        text: "Let me think".into(),
                        signature: Some("gemini-sig".into()),
                        id: None,
                        origin: Api::Gemini,
                    },
                    Block::Refusal { text: "No.".into() },
                    Block::ToolCall {
                        id: "call_9".into(),
                        name: "f".into(),
                        arguments: r#"{"a":1"#.into(),
                        kind: ToolCallKind::Function,
                    },
                ],
                stop_reason: Some(StopReason::ToolUse),
                stop_sequence: None,
                logprobs: None,
            },
            ir::Choice::default(),
        ],
        usage: Some(Usage {
            input_tokens: 10,
            output_tokens: 5,
            ..Default::default()
        }),
        system_fingerprint: Some("fp_1".into()),
        ..Default::default()
    };
    let meta = ResponseMeta {
        id: "msg_gateway_1".into(),
        created: 0,
        model: "claude-via-gateway".into(),
    };
    let mut losses = Losses::default();
    let out = json(&am::encode_response(&resp, &meta, &mut losses).unwrap());
    assert_eq!(
        out,
        serde_json::json!({
            "id": "msg_gateway_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-via-gateway",
            "content": [
                {"type": "thinking", "thinking": "Let me think", "signature": ""},
                {"type": "text", "text": "No."},
                {"type": "tool_use", "id": "call_9", "name": "f", "input": {"input": "{\"a\":1"}}
            ],
            "stop_reason": "tool_use",
            "stop_sequence": null,
            "usage": {"input_tokens": 10, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 5}
        })
    );
    assert_eq!(
        paths(&losses),
        [
            "system_fingerprint",
            "choices[1]",
            "choices[0].content[0].signature",
            "choices[0].content[1]",
            "choices[0].content[2].arguments",
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Bad input

fn bad(body: &str) -> DecodeError {
    am::decode_request(body.as_bytes(), &meta()).unwrap_err()
}

#[test]
fn invalid_requests_are_decode_errors() {
    let e = bad("{not json");
    assert!(matches!(e, DecodeError::Json { .. }), "{e}");
    let e = bad(r#"{"model":"m","messages":[{"role":"user","content":"x"}]}"#);
    assert_eq!(e, DecodeError::invalid("max_tokens", "is required"));
    let e = bad(r#"{"model":"m","max_tokens":1,"messages":[]}"#);
    assert_eq!(e, DecodeError::invalid("messages", "must not be empty"));
    let e = bad(r#"{"max_tokens":1,"messages":[{"role":"user","content":"x"}]}"#);
    assert_eq!(e, DecodeError::invalid("model", "is required"));
    let e = bad(r#"{"model":"m","max_tokens":1,"messages":[{"role":"system","content":"x"}]}"#);
    assert!(
        matches!(&e, DecodeError::Invalid { path, .. } if path == "messages[0].role"),
        "{e}"
    );
    let e = bad(r#"{"model":"m","max_tokens":"many","messages":[{"role":"user","content":"x"}]}"#);
    assert!(
        matches!(&e, DecodeError::Json { path: Some(p), .. } if p == "max_tokens"),
        "{e:?}"
    );
    let e = bad(r#"{"model":"m","max_tokens":1,"messages":{"role":"user"}}"#);
    assert!(
        matches!(&e, DecodeError::Json { path: Some(p), .. } if p == "messages"),
        "{e:?}"
    );
    let e = bad(
        r#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_use","id":"t","name":"n"}]}]}"#,
    );
    assert!(
        matches!(&e, DecodeError::Json { path: Some(p), message } if p.starts_with("messages[0].content") && message.contains("input")),
        "{e:?}"
    );
    let e = bad(
        r#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"text","text":5}]}]}"#,
    );
    assert!(matches!(e, DecodeError::Json { .. }), "{e:?}");
    let e = bad(
        r#"{"model":"m","max_tokens":1,"thinking":{"type":"sometimes"},"messages":[{"role":"user","content":"x"}]}"#,
    );
    assert_eq!(
        e,
        DecodeError::invalid(
            "thinking.type",
            "must be `enabled`, `adaptive` or `disabled`"
        )
    );
    let e = bad(
        r#"{"model":"m","max_tokens":1,"thinking":{"type":"enabled"},"messages":[{"role":"user","content":"x"}]}"#,
    );
    assert_eq!(
        e,
        DecodeError::invalid("thinking.budget_tokens", "is required")
    );
    let e = bad(
        r#"{"model":"m","max_tokens":1,"tool_choice":{"type":"maybe"},"messages":[{"role":"user","content":"x"}]}"#,
    );
    assert!(matches!(&e, DecodeError::Invalid { path, .. } if path == "tool_choice.type"));
    let e = bad(
        r#"{"model":"m","max_tokens":1,"system":[{"type":"image","source":{"type":"url","url":"u"}}],"messages":[{"role":"user","content":"x"}]}"#,
    );
    assert!(matches!(&e, DecodeError::Invalid { path, .. } if path == "system[0]"));
    let e = bad(
        r#"{"model":"m","max_tokens":1,"temperature":1.5,"messages":[{"role":"user","content":"x"}]}"#,
    );
    assert!(matches!(&e, DecodeError::Invalid { path, .. } if path == "temperature"));
    let e = bad(
        r#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","data":"x"}}]}]}"#,
    );
    assert!(
        matches!(&e, DecodeError::Invalid { path, .. } if path == "messages[0].content[0]"),
        "{e:?}"
    );
    // An unknown block kind is not an error, even when it reuses our field names.
    let r = am::decode_request(
        br#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"future_block","text":{"nested":true}}]}]}"#,
        &meta(),
    )
    .unwrap();
    assert!(matches!(&r.messages[0].content[0], Block::Unknown { .. }));
    // The model can come from the path.
    let r = am::decode_request(
        br#"{"max_tokens":1,"messages":[{"role":"user","content":"x"}]}"#,
        &RequestMeta {
            model: Some("from-path".into()),
            stream: false,
        },
    )
    .unwrap();
    assert_eq!(r.model, "from-path");
}

#[test]
fn invalid_responses_are_decode_errors() {
    assert!(am::decode_response(b"").is_err());
    assert!(am::decode_response(b"[]").is_err());
    assert!(am::decode_response(br#"{"type":"message","content":"text"}"#).is_err());
    assert!(am::decode_response(br#"{"type":"error","content":[]}"#).is_err());
    assert!(am::decode_response(br#"{"type":"message","content":[{"type":"thinking"}]}"#).is_err());
}

// ---------------------------------------------------------------------------------------------
// Errors

#[test]
fn error_fixtures_decode_to_kinds_and_encode_back() {
    let all = fixtures("errors");
    assert!(all.len() >= 4);
    for (name, body) in &all {
        let status: u16 = name.split('.').nth(1).unwrap().parse().unwrap();
        let e = am::decode_error(status, body);
        let want = match status {
            400 => ErrorKind::InvalidRequest,
            401 => ErrorKind::Authentication,
            404 => ErrorKind::NotFound,
            413 => ErrorKind::RequestTooLarge,
            429 => ErrorKind::RateLimit,
            500 => ErrorKind::Server,
            529 => ErrorKind::Overloaded,
            _ => panic!("{name}"),
        };
        assert_eq!(e.kind, want, "{name}");
        assert_eq!(e.status, status);
        assert_eq!(e.origin, Some(Api::AnthropicMessages));
        let src = json(body);
        assert_eq!(e.message.as_str(), src["error"]["message"], "{name}");
        assert_eq!(e.code.as_deref().unwrap(), src["error"]["type"], "{name}");
        let out = json(&am::encode_error(&e));
        assert_eq!(out["type"], "error");
        assert_eq!(out["error"], src["error"], "{name}");
        // Rendered from the kind alone, the type is the same.
        let fresh = ir::ApiError::new(e.kind, "m");
        assert_eq!(
            json(&am::encode_error(&fresh))["error"]["type"],
            src["error"]["type"],
            "{name}"
        );
    }
}

#[test]
fn unreadable_error_bodies_never_fail() {
    let e = am::decode_error(502, b"<html>Bad gateway</html>");
    assert_eq!(e.kind, ErrorKind::Server);
    assert_eq!(e.message, "<html>Bad gateway</html>");
    let e = am::decode_error(429, &[0xff, 0xfe]);
    assert_eq!(e.kind, ErrorKind::RateLimit);
    let e = am::decode_error(
        402,
        br#"{"type":"error","error":{"type":"billing_error","message":"Your credit balance is too low"}}"#,
    );
    assert_eq!(e.kind, ErrorKind::PermissionDenied);
    let e = am::decode_error(
        504,
        br#"{"type":"error","error":{"type":"timeout_error","message":"t"}}"#,
    );
    assert_eq!(e.kind, ErrorKind::Timeout);
    // Gateway-made errors use the kind's Anthropic type; Overloaded answers 529.
    let out = json(&am::encode_error(&ir::ApiError::new(
        ErrorKind::Overloaded,
        "busy",
    )));
    assert_eq!(
        out,
        serde_json::json!({"type": "error", "error": {"type": "overloaded_error", "message": "busy"}})
    );
    assert_eq!(am::status(ErrorKind::Overloaded), 529);
    // An error decoded from another API is rendered from its kind, not its foreign code.
    let mut foreign = ir::ApiError::new(ErrorKind::RateLimit, "slow down");
    foreign.code = Some("rate_limit_exceeded".into());
    foreign.origin = Some(Api::OpenAiChat);
    assert_eq!(
        json(&am::encode_error(&foreign))["error"]["type"],
        "rate_limit_error"
    );
}

// ---------------------------------------------------------------------------------------------
// Streams

use hermesllm::ir::{BlockStart, Delta, StreamEvent};
use hermesllm::stream::{Frame, StreamDecode, StreamEncode, StreamMeta};
use std::collections::BTreeMap;

/// Splits SSE text on blank lines into (event, data) pairs.
fn sse(text: &str) -> Vec<(String, String)> {
    text.split("\n\n")
        .filter(|c| !c.trim().is_empty())
        .map(|chunk| {
            let mut event = String::new();
            let mut data: Vec<&str> = Vec::new();
            for line in chunk.lines() {
                if let Some(e) = line.strip_prefix("event:") {
                    event = e.trim().to_owned();
                } else if let Some(d) = line.strip_prefix("data:") {
                    data.push(d.strip_prefix(' ').unwrap_or(d));
                }
            }
            (event, data.join("\n"))
        })
        .collect()
}

fn stream_text(name: &str) -> String {
    String::from_utf8(fixture("streams", &format!("{name}.sse"))).unwrap()
}

#[derive(Debug, Default)]
struct Summary {
    events: Vec<String>,
    starts: Vec<String>,
    text: BTreeMap<u32, String>,
    args: BTreeMap<u32, String>,
    thinking: BTreeMap<u32, String>,
    signature: BTreeMap<u32, String>,
    stop: Option<StopReason<'static>>,
    usage: Option<Usage>,
    start_usage: Option<Usage>,
    errors: Vec<(ErrorKind, String)>,
    done: usize,
}

impl Summary {
    fn apply(&mut self, ev: &StreamEvent<'_>) {
        self.events.push(format!("{ev:?}"));
        match ev {
            StreamEvent::Start { usage, .. } => self.start_usage = *usage,
            StreamEvent::BlockStart { index, block } => {
                self.starts.push(format!("{index}:{block:?}"));
            }
            StreamEvent::Delta { index, delta } => {
                let (map, t) = match delta {
                    Delta::Text(t) => (&mut self.text, t),
                    Delta::ToolArguments(t) => (&mut self.args, t),
                    Delta::Thinking(t) => (&mut self.thinking, t),
                    Delta::Signature(t) => (&mut self.signature, t),
                    other => panic!("{other:?}"),
                };
                map.entry(*index).or_default().push_str(t);
            }
            StreamEvent::Stop { reason, .. } => {
                self.stop = reason.clone().map(|r| match r {
                    StopReason::Other(s) => StopReason::Other(s.into_owned()),
                    StopReason::EndTurn => StopReason::EndTurn,
                    StopReason::ToolUse => StopReason::ToolUse,
                    StopReason::MaxTokens => StopReason::MaxTokens,
                    other => panic!("{other:?}"),
                });
            }
            StreamEvent::Usage(u) => self.usage = Some(*u),
            StreamEvent::Error(e) => self.errors.push((e.kind, e.message.to_string())),
            StreamEvent::Done => self.done += 1,
            _ => {}
        }
    }
}

/// Decodes SSE text, feeding every event to `enc` as well; returns the summary and the
/// encoder's output.
fn run(text: &str, enc: &mut dyn StreamEncode) -> (Summary, Vec<u8>) {
    let mut dec = am::StreamDecoder::new();
    let mut s = Summary::default();
    let mut out = Vec::new();
    for (event, data) in sse(text) {
        let frame = Frame::Sse {
            event: &event,
            data: &data,
        };
        dec.decode(&frame, &mut |ev| {
            s.apply(&ev);
            enc.encode(&ev, &mut out);
        })
        .unwrap();
    }
    dec.finish(&mut |ev| {
        s.apply(&ev);
        enc.encode(&ev, &mut out);
    });
    (s, out)
}

fn decode_only(text: &str) -> Summary {
    let mut sink = am::StreamEncoder::new(StreamMeta::default());
    run(text, &mut sink).0
}

#[test]
fn stream_fixtures_decode_and_round_trip() {
    let all = fixtures("streams");
    assert!(all.len() >= 6);
    for (name, body) in &all {
        let text = String::from_utf8(body.clone()).unwrap();
        let mut enc = am::StreamEncoder::new(StreamMeta::default());
        let (first, out) = run(&text, &mut enc);
        assert!(first.done + first.errors.len() == 1, "{name}: {first:?}");
        let out = String::from_utf8(out).unwrap();
        let second = decode_only(&out);
        assert_eq!(first.events, second.events, "{name}\n{out}");
        // Every event name matches its data's type, as Anthropic documents.
        for (event, data) in sse(&out) {
            assert_eq!(json(data.as_bytes())["type"], event.as_str(), "{name}");
        }
    }
}

#[test]
fn stream_plain_text() {
    let s = decode_only(&stream_text("text"));
    assert_eq!(s.starts, ["0:Text"]);
    assert_eq!(s.text[&0], "Hello! How can I help\nyou today?");
    assert_eq!(s.stop, Some(StopReason::EndTurn));
    assert_eq!(
        s.start_usage,
        Some(Usage {
            input_tokens: 25,
            output_tokens: 1,
            ..Default::default()
        })
    );
    assert_eq!(
        s.usage,
        Some(Usage {
            input_tokens: 25,
            output_tokens: 15,
            ..Default::default()
        })
    );
    assert_eq!(s.done, 1);
    assert!(s.errors.is_empty());
    assert!(s.events[0].starts_with("Start { id: \"msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY\""));
}

#[test]
fn stream_tool_arguments_are_exact() {
    let s = decode_only(&stream_text("tools"));
    assert_eq!(
        s.text[&0],
        "Okay, let's check the weather for San Francisco, CA:"
    );
    assert_eq!(
        s.args[&1],
        r#"{"location": "San Francisco, CA", "unit": "fahrenheit"}"#
    );
    assert!(s.starts[1].contains("toolu_01T1x1fJ34qAmk2tNTrN7Up6"));
    assert_eq!(s.stop, Some(StopReason::ToolUse));

    let s = decode_only(&stream_text("parallel_tools"));
    assert_eq!(s.starts.len(), 3);
    assert_eq!(s.args[&0], r#"{"location": "New York, NY"}"#);
    assert_eq!(s.args[&1], r#"{"location": "Paris, France"}"#);
    // A call without arguments gets `{}`, as in the non-streaming response.
    assert_eq!(s.args[&2], "{}");
    assert!(s.starts[2].contains("get_time"));
    // Usage equals the non-streaming response's.
    let body = response("parallel_tool_use");
    let resp = am::decode_response(&body).unwrap();
    assert_eq!(s.usage, resp.usage);
}

#[test]
fn stream_thinking_and_signature() {
    let s = decode_only(&stream_text("thinking"));
    assert!(s.starts[0].contains("Thinking { origin: AnthropicMessages"));
    assert!(s.starts[1].contains("RedactedThinking"));
    assert_eq!(s.starts[2], "2:Text");
    assert!(s.thinking[&0].ends_with("So GCD(1071, 462) = 21"));
    assert_eq!(
        s.signature[&0],
        "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds..."
    );
    assert_eq!(s.usage.unwrap().output_tokens, 3120);
}

#[test]
fn stream_usage_with_cache_matches_the_response() {
    let s = decode_only(&stream_text("cache_usage"));
    let body = response("cache_usage");
    let resp = am::decode_response(&body).unwrap();
    assert_eq!(s.usage, resp.usage);
    assert_eq!(s.usage.unwrap().input_tokens, 21 + 188086 + 2048);
    assert_eq!(s.start_usage.unwrap().cache_write_input_tokens, 188086);
}

#[test]
fn stream_server_tool_blocks_are_skipped_and_renumbered() {
    let s = decode_only(&stream_text("server_tools"));
    assert_eq!(s.starts, ["0:Text"]);
    assert_eq!(s.text[&0], "It is sunny and 22°C in New York today.");
    assert!(s.args.is_empty());
    assert_eq!(
        s.usage,
        Some(Usage {
            input_tokens: 10682,
            output_tokens: 510,
            ..Default::default()
        })
    );
}

#[test]
fn stream_error_event_and_truncation() {
    let s = decode_only(&stream_text("error"));
    assert_eq!(s.errors, [(ErrorKind::Overloaded, "Overloaded".to_owned())]);
    assert_eq!(s.done, 0);
    assert_eq!(s.text[&0], "Once upon a");

    // Cut before message_stop: finish() reports the truncation instead of Done.
    let full = stream_text("text");
    let cut = full.split("event: message_delta").next().unwrap();
    let s = decode_only(cut);
    assert_eq!(s.done, 0);
    assert_eq!(s.errors.len(), 1);
    assert_eq!(s.errors[0].0, ErrorKind::Server);

    // Garbage is a decode error, not a panic.
    let mut dec = am::StreamDecoder::new();
    let frame = Frame::Sse {
        event: "content_block_delta",
        data: "{\"type\":",
    };
    assert!(dec.decode(&frame, &mut |_| {}).is_err());
    let frame = Frame::Sse {
        event: "content_block_delta",
        data: r#"{"type":"content_block_delta","delta":{"type":"text_delta","text":"x"}}"#,
    };
    assert!(dec.decode(&frame, &mut |_| {}).is_err());
    let frame = Frame::EventStream {
        message_type: "event",
        event_type: "messageStart",
        payload: b"{}",
    };
    assert!(dec.decode(&frame, &mut |_| {}).is_err());
}

#[test]
fn stream_encoder_makes_a_valid_stream_from_another_api() {
    // What an OpenAI Chat decoder yields: no block stops, stop then usage, a foreign
    // reasoning signature, and parallel tool calls interleaved.
    let events = vec![
        StreamEvent::Start {
            id: "".into(),
            model: "gpt-x".into(),
            created: Some(1),
            usage: None,
        },
        StreamEvent::BlockStart {
            index: 0,
            block: BlockStart::Thinking {
                origin: Api::OpenAiResponses,
                id: Some("rs_1".into()),
            },
        },
        StreamEvent::Delta {
            index: 0,
            delta: Delta::Thinking("hmm".into()),
        },
        StreamEvent::Delta {
            index: 0,
            delta: Delta::Signature("openai-encrypted".into()),
        },
        StreamEvent::Delta {
            index: 1,
            delta: Delta::Text("Checking.".into()),
        },
        StreamEvent::BlockStart {
            index: 2,
            block: BlockStart::ToolCall {
                id: "call_a".into(),
                name: "get_weather".into(),
                kind: ToolCallKind::Function,
            },
        },
        StreamEvent::BlockStart {
            index: 3,
            block: BlockStart::ToolCall {
                id: "call_b".into(),
                name: "get_weather".into(),
                kind: ToolCallKind::Function,
            },
        },
        StreamEvent::Delta {
            index: 2,
            delta: Delta::ToolArguments("{\"location\":".into()),
        },
        StreamEvent::Delta {
            index: 3,
            delta: Delta::ToolArguments("{\"location\":\"Paris\"}".into()),
        },
        StreamEvent::Delta {
            index: 2,
            delta: Delta::ToolArguments("\"Rome\"}".into()),
        },
        StreamEvent::Stop {
            reason: Some(StopReason::ToolUse),
            stop_sequence: None,
        },
        StreamEvent::Usage(Usage {
            input_tokens: 100,
            output_tokens: 20,
            cache_read_input_tokens: 60,
            cache_write_input_tokens: 0,
            reasoning_tokens: 8,
        }),
        StreamEvent::Done,
    ];
    let meta = StreamMeta {
        id: "msg_gw_1".into(),
        created: 0,
        model: "fallback".into(),
        include_usage: false,
    };
    let mut enc = am::StreamEncoder::new(meta);
    let mut out = Vec::new();
    for ev in &events {
        enc.encode(ev, &mut out);
    }
    let out = String::from_utf8(out).unwrap();
    let frames = sse(&out);
    let names: Vec<&str> = frames.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(
        names,
        [
            "message_start",
            "content_block_start",
            "content_block_delta",
            "content_block_start",
            "content_block_delta",
            "content_block_start",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "content_block_stop",
            "content_block_stop",
            "content_block_stop",
            "message_delta",
            "message_stop",
        ],
        "{out}"
    );
    let start = json(frames[0].1.as_bytes());
    assert_eq!(start["message"]["id"], "msg_gw_1");
    assert_eq!(start["message"]["model"], "gpt-x");
    assert_eq!(start["message"]["content"], serde_json::json!([]));
    let delta = json(frames[14].1.as_bytes());
    assert_eq!(
        delta,
        serde_json::json!({
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": null},
            "usage": {"input_tokens": 40, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 60, "output_tokens": 20}
        })
    );
    // Decoding what was written gives the same content and usage back.
    let s = decode_only(&out);
    assert_eq!(s.thinking[&0], "hmm");
    assert!(s.signature.is_empty(), "foreign signature not forwarded");
    assert_eq!(s.text[&1], "Checking.");
    assert_eq!(s.args[&2], r#"{"location":"Rome"}"#);
    assert_eq!(s.args[&3], r#"{"location":"Paris"}"#);
    assert_eq!(s.usage.unwrap().input_tokens, 100);
    assert_eq!(s.usage.unwrap().cache_read_input_tokens, 60);
    assert_eq!(s.stop, Some(StopReason::ToolUse));
    assert_eq!(s.done, 1);

    // An error mid-stream is written as Anthropic's error event and ends the stream.
    let mut enc = am::StreamEncoder::new(StreamMeta::default());
    let mut out = Vec::new();
    enc.encode(
        &StreamEvent::Error(ir::ApiError::new(ErrorKind::RateLimit, "slow down")),
        &mut out,
    );
    enc.encode(&StreamEvent::Done, &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow down\"}}\n\n"
    );
}

#[test]
fn empty_text_is_dropped_and_leading_cache_markers_close_the_previous_turn() {
    let req = ir::Request {
        model: "m".into(),
        max_output_tokens: Some(10),
        system: vec![text(""), text("sys")],
        messages: vec![
            ir::Message::text(Role::User, "hi"),
            ir::Message {
                role: Role::Assistant,
                content: vec![
                    Block::CachePoint(Cache {
                        ttl: CacheTtl::OneHour,
                    }),
                    text(""),
                    Block::ToolCall {
                        id: "t1".into(),
                        name: "f".into(),
                        arguments: "{}".into(),
                        kind: ToolCallKind::Function,
                    },
                ],
                name: None,
            },
        ],
        ..Default::default()
    };
    let mut losses = Losses::default();
    let out = json(&am::encode_request(&req, &mut losses).unwrap());
    assert!(losses.is_empty(), "{losses:?}");
    assert_eq!(out["system"], "sys");
    assert_eq!(
        out["messages"],
        serde_json::json!([
            {"role": "user", "content": [{"type": "text", "text": "hi", "cache_control": {"type": "ephemeral", "ttl": "1h"}}]},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {}}]}
        ])
    );
}

#[test]
fn stream_encoder_keeps_indexes_dense_when_a_block_is_skipped() {
    let events = [
        StreamEvent::BlockStart {
            index: 0,
            block: BlockStart::RedactedThinking {
                data: "opaque".into(),
                origin: Api::OpenAiResponses,
            },
        },
        StreamEvent::BlockStop { index: 0 },
        StreamEvent::BlockStart {
            index: 1,
            block: BlockStart::Text,
        },
        StreamEvent::Delta {
            index: 1,
            delta: Delta::Text("hi".into()),
        },
        StreamEvent::BlockStop { index: 1 },
        StreamEvent::Stop {
            reason: Some(StopReason::EndTurn),
            stop_sequence: None,
        },
        StreamEvent::Done,
    ];
    let mut enc = am::StreamEncoder::new(StreamMeta::default());
    let mut out = Vec::new();
    for ev in &events {
        enc.encode(ev, &mut out);
    }
    let out = String::from_utf8(out).unwrap();
    let frames = sse(&out);
    let blocks: Vec<Value> = frames
        .iter()
        .filter(|(e, _)| e.starts_with("content_block"))
        .map(|(_, d)| json(d.as_bytes()))
        .collect();
    assert_eq!(blocks.len(), 3, "{out}");
    for b in &blocks {
        assert_eq!(b["index"], 0, "{out}");
    }
    let s = decode_only(&out);
    assert_eq!(s.text[&0], "hi");
    assert_eq!(s.done, 1);
}

#[test]
fn tool_results_with_images_cache_markers_and_unknown_blocks() {
    let body = request("tool_result_blocks");
    let r = am::decode_request(&body, &meta()).unwrap();
    let Block::ToolResult { content, .. } = &r.messages[2].content[0] else {
        panic!("{:?}", r.messages[2].content[0])
    };
    assert_eq!(content.len(), 3);
    assert_eq!(content[0], text("Screenshot taken"));
    assert!(matches!(
        &content[1],
        Block::Image { source: MediaSource::Base64 { media_type, .. }, .. } if media_type == "image/jpeg"
    ));
    assert_eq!(content[2], Block::CachePoint(Cache::default()));
    let Block::ToolResult { content, .. } = &r.messages[2].content[1] else {
        panic!()
    };
    assert!(
        matches!(&content[0], Block::Unknown { raw, .. } if raw.get().contains("search_result"))
    );
    // The empty-object input of a call without arguments is kept as is.
    assert!(
        matches!(&r.messages[1].content[0], Block::ToolCall { arguments, .. } if arguments == "{}")
    );
}

#[test]
fn truncated_and_corrupted_input_never_panics() {
    for kind in ["requests", "responses", "errors"] {
        for (_, body) in fixtures(kind) {
            for cut in (0..body.len()).step_by(3) {
                let part = &body[..cut];
                let _ = am::decode_request(part, &meta());
                let _ = am::decode_response(part);
                let _ = am::decode_error(400, part);
                // Flip one byte into a quote or brace, a classic way to break structure.
                let mut bad = body.clone();
                bad[cut] = if cut % 2 == 0 { b'"' } else { b'}' };
                if let Ok(r) = am::decode_request(&bad, &meta()) {
                    let _ = am::encode_request(&r, &mut Losses::default());
                }
                if let Ok(r) = am::decode_response(&bad) {
                    let _ =
                        am::encode_response(&r, &ResponseMeta::default(), &mut Losses::default());
                }
            }
        }
    }
    for (_, body) in fixtures("streams") {
        let text = String::from_utf8(body).unwrap();
        for (event, data) in sse(&text) {
            for cut in 0..data.len() {
                if !data.is_char_boundary(cut) {
                    continue;
                }
                let mut dec = am::StreamDecoder::new();
                let frame = Frame::Sse {
                    event: &event,
                    data: &data[..cut],
                };
                let _ = dec.decode(&frame, &mut |_| {});
                dec.finish(&mut |_| {});
            }
        }
    }
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

#[test]
fn end_turn_with_tool_calls_is_tool_use() {
    let resp = ir::Response {
        id: "r".into(),
        model: "m".into(),
        choices: vec![ir::Choice {
            content: vec![Block::ToolCall {
                id: "c".into(),
                name: "f".into(),
                arguments: "{}".into(),
                kind: ToolCallKind::Function,
            }],
            stop_reason: Some(StopReason::EndTurn),
            ..Default::default()
        }],
        usage: Some(Usage::default()),
        ..Default::default()
    };
    let mut losses = Losses::default();
    let out = json(&am::encode_response(&resp, &ResponseMeta::default(), &mut losses).unwrap());
    assert_eq!(out["stop_reason"], "tool_use");
    assert_eq!(paths(&losses), ["stop_reason"]);

    let mut enc = am::StreamEncoder::new(StreamMeta::default());
    let mut out = Vec::new();
    for ev in [
        StreamEvent::BlockStart {
            index: 0,
            block: BlockStart::ToolCall {
                id: "c".into(),
                name: "f".into(),
                kind: ToolCallKind::Function,
            },
        },
        StreamEvent::Stop {
            reason: Some(StopReason::EndTurn),
            stop_sequence: None,
        },
        StreamEvent::Done,
    ] {
        enc.encode(&ev, &mut out);
    }
    let s = decode_only(&String::from_utf8(out).unwrap());
    assert_eq!(s.stop, Some(StopReason::ToolUse));
}
