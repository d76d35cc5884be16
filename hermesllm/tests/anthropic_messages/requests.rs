//! Requests: fixtures, round trips and targeted mappings.

use hermesllm::anthropic_messages as am;
use hermesllm::ir::{
    self, Block, Cache, CacheTtl, Effort, MediaSource, Role, ToolCallKind, ToolChoice, ToolKind,
};
use hermesllm::{Api, Losses, Str};

use super::common::*;

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
