//! Requests: fixtures, round trips and decoding.

use hermesllm::bedrock_converse as bc;
use hermesllm::ir::{
    self, Block, Cache, CacheTtl, MediaSource, Message, Reasoning, ResponseFormat, Role,
    ToolCallKind, ToolChoice, ToolKind,
};
use hermesllm::{Api, LossKind, Losses, Raw, RequestMeta, Str};
use serde_json::json;

use super::common::*;

// ---------------------------------------------------------------- fixtures and round trips

#[test]
fn every_request_fixture_decodes_and_round_trips_losslessly() {
    let all = fixtures("requests");
    assert!(all.len() >= 12, "{} request fixtures", all.len());
    for (name, body) in &all {
        let first = bc::decode_request(body, &meta()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(first.model, "test-model", "{name}");
        let mut losses = Losses::default();
        let encoded = bc::encode_request(&first, &mut losses).unwrap();
        assert!(losses.is_empty(), "{name}: {losses:?}");
        let second = bc::decode_request(&encoded, &meta()).unwrap();
        assert_eq!(first, second, "{name}");
    }
}

// ---------------------------------------------------------------- requests: decoding

#[test]
fn roles_system_and_inference_config() {
    let body = fixture("requests", "multi_turn.json");
    let r = req(&body);
    let roles: Vec<Role> = r.messages.iter().map(|m| m.role).collect();
    assert_eq!(roles, [Role::User, Role::Assistant, Role::User]);
    assert_eq!(r.max_output_tokens, Some(512));
    assert_eq!(r.sampling.temperature, Some(0.5));
    assert!(!r.stream);

    let body = fixture("requests", "system.json");
    let r = req(&body);
    assert_eq!(r.system.len(), 2);
    assert_eq!(r.system[1], text("Answer in English."));

    let streaming = RequestMeta {
        model: Some("anthropic.claude-sonnet-4".into()),
        stream: true,
    };
    let r = bc::decode_request(&body, &streaming).unwrap();
    assert!(r.stream);
    assert_eq!(r.model, "anthropic.claude-sonnet-4");
}

#[test]
fn sampling_top_k_and_stop_sequences() {
    let body = fixture("requests", "sampling.json");
    let r = req(&body);
    assert_eq!(r.sampling.top_p, Some(0.9));
    assert_eq!(r.sampling.top_k, Some(250));
    assert_eq!(r.stop, vec![Str::from("\n\n\n"), Str::from("END")]);
    assert!(r.extra.is_empty(), "{:?}", r.extra);
    let (out, losses) = encode_req(&r);
    assert!(losses.is_empty());
    assert_eq!(out["additionalModelRequestFields"], json!({"top_k": 250}));
    assert_eq!(
        out["inferenceConfig"]["stopSequences"],
        json!(["\n\n\n", "END"])
    );
    assert!(out.get("model").is_none(), "the model goes in the path");
}

#[test]
fn tool_definitions_and_tool_choice() {
    let body = fixture("requests", "tools.json");
    let r = req(&body);
    assert_eq!(r.tools.len(), 1);
    let t = &r.tools[0];
    assert_eq!(t.name, "top_song");
    assert_eq!(
        t.description.as_deref(),
        Some("Get the most popular song played on a radio station.")
    );
    let ToolKind::Function { parameters, strict } = &t.kind else {
        panic!("{t:?}")
    };
    assert_eq!(js(parameters.unwrap().get())["required"], json!(["sign"]));
    assert_eq!(*strict, None);
    assert_eq!(r.tool_choice, Some(ToolChoice::Auto));

    let body = fixture("requests", "tool_choice_specific.json");
    let r = req(&body);
    assert_eq!(
        r.tool_choice,
        Some(ToolChoice::Tool {
            name: "get_weather".into()
        })
    );
    assert_eq!(r.tools[1].description, None);

    let body = fixture("requests", "parallel_tools.json");
    assert_eq!(req(&body).tool_choice, Some(ToolChoice::Required));
}

#[test]
fn parallel_tool_calls_and_results() {
    let body = fixture("requests", "parallel_tools.json");
    let r = req(&body);
    let calls: Vec<_> = r.messages[1]
        .content
        .iter()
        .filter_map(|b| match b {
            Block::ToolCall {
                id,
                name,
                arguments,
                kind,
            } => Some((id.as_str(), name.as_str(), js(arguments), *kind)),
            _ => None,
        })
        .collect();
    assert_eq!(
        calls,
        [
            (
                "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q",
                "get_weather",
                json!({"city": "Seattle", "unit": "celsius"}),
                ToolCallKind::Function
            ),
            (
                "tooluse_Xq3bM2nRQwy1c2m0aD7Ylg",
                "get_weather",
                json!({"city": "Paris", "unit": "celsius"}),
                ToolCallKind::Function
            ),
        ]
    );
    // Tool results stay in the user turn (Anthropic convention), JSON results as JSON text.
    assert_eq!(r.messages[2].role, Role::User);
    let Block::ToolResult {
        call_id,
        name: None,
        content,
        is_error: false,
    } = &r.messages[2].content[1]
    else {
        panic!("{:?}", r.messages[2])
    };
    assert_eq!(call_id, "tooluse_Xq3bM2nRQwy1c2m0aD7Ylg");
    assert_eq!(
        js(content[0].as_text().unwrap()),
        json!({"temperature": 18, "conditions": "sunny"})
    );
}

#[test]
fn tool_result_status_and_mixed_content() {
    let body = fixture("requests", "tool_results.json");
    let r = req(&body);
    let Block::ToolResult {
        is_error, content, ..
    } = &r.messages[2].content[0]
    else {
        panic!()
    };
    assert!(*is_error);
    assert_eq!(content, &vec![text("Station WZPZ not found.")]);
    assert_eq!(r.messages[2].content[1], text("Try WKRP instead."));
    let Block::ToolResult {
        is_error, content, ..
    } = &r.messages[4].content[0]
    else {
        panic!()
    };
    assert!(!*is_error);
    assert_eq!(content.len(), 2);
    assert_eq!(
        js(content[0].as_text().unwrap()),
        json!({"song": "Elemental Hotel", "artist": "8 Storey Hike"})
    );
    assert_eq!(content[1], text("Source: station playlist"));
    let (out, _) = encode_req(&r);
    assert_eq!(
        out["messages"][2]["content"][0]["toolResult"]["status"],
        "error"
    );
}

#[test]
fn images_and_documents() {
    let body = fixture("requests", "images.json");
    let r = req(&body);
    let c = &r.messages[0].content;
    assert!(
        matches!(&c[1], Block::Image { source: MediaSource::Base64 { media_type, data }, detail: None }
        if media_type == "image/png" && data.starts_with("iVBORw0KGgo"))
    );
    assert!(
        matches!(&c[2], Block::Image { source: MediaSource::Url { url, media_type: Some(m) }, .. }
        if url == "s3://amzn-s3-demo-bucket/photos/cat.jpeg" && m == "image/jpeg")
    );

    let body = fixture("requests", "documents.json");
    let r = req(&body);
    let c = &r.messages[0].content;
    assert!(
        matches!(&c[1], Block::Document { source: MediaSource::Base64 { media_type, .. }, name: Some(n), .. }
        if media_type == "application/pdf" && n == "Quarterly Report")
    );
    assert!(
        matches!(&c[2], Block::Document { source: MediaSource::Text { text }, .. }
        if text.starts_with("Attendees"))
    );
    assert!(
        matches!(&c[3], Block::Document { source: MediaSource::Url { media_type: Some(m), .. }, .. }
        if m.ends_with("wordprocessingml.document"))
    );
}

#[test]
fn thinking_with_signature_and_redacted() {
    let body = fixture("requests", "thinking.json");
    let r = req(&body);
    assert_eq!(
        r.reasoning,
        Some(Reasoning {
            enabled: Some(true),
            budget_tokens: Some(4096),
            ..Reasoning::default()
        })
    );
    let c = &r.messages[1].content;
    assert!(
        matches!(&c[0], Block::Thinking { text, signature: Some(s), id: None, origin: Api::BedrockConverse }
        if text.starts_with("Check divisibility") && s.starts_with("EqoBCkgI"))
    );
    assert!(
        matches!(&c[1], Block::RedactedThinking { data, origin: Api::BedrockConverse }
        if data == "RXJEb3NzaWVyIHJlZGFjdGVkIHJlYXNvbmluZyBibG9i")
    );
    assert!(r.extra.is_empty());
}

#[test]
fn cache_points_in_system_messages_and_tools() {
    let body = fixture("requests", "cache.json");
    let r = req(&body);
    assert_eq!(r.system[1], Block::CachePoint(Cache::default()));
    assert_eq!(
        r.messages[0].content[1],
        Block::CachePoint(Cache {
            ttl: CacheTtl::FiveMinutes
        })
    );
    assert_eq!(
        r.tools[0].cache,
        Some(Cache {
            ttl: CacheTtl::OneHour
        })
    );
    let (out, _) = encode_req(&r);
    assert_eq!(
        out["toolConfig"]["tools"][1],
        json!({"cachePoint": {"type": "default", "ttl": "1h"}})
    );
    assert_eq!(out["system"][1], json!({"cachePoint": {"type": "default"}}));
}

#[test]
fn extra_fields_are_kept_for_bedrock_and_reported_elsewhere() {
    let body = fixture("requests", "extra_fields.json");
    let r = req(&body);
    assert_eq!(r.extra.api, Some(Api::BedrockConverse));
    let keys: Vec<&str> = r.extra.fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "guardrailConfig",
            "requestMetadata",
            "performanceConfig",
            "additionalModelResponseFieldPaths",
            "additionalModelRequestFields.anthropic_beta",
        ]
    );
    assert_eq!(r.sampling.top_k, Some(40));
    let (out, losses) = encode_req(&r);
    assert!(losses.is_empty());
    assert_eq!(
        out["additionalModelRequestFields"],
        json!({"top_k": 40, "anthropic_beta": ["context-1m-2025-08-07"]})
    );
    assert_eq!(
        out["guardrailConfig"]["guardrailIdentifier"],
        "gr-abc123xyz"
    );

    // Extra fields of another API are reported, not written.
    let mut foreign = r.clone();
    foreign.extra.api = Some(Api::OpenAiChat);
    let (out, losses) = encode_req(&foreign);
    assert!(out.get("guardrailConfig").is_none());
    assert_eq!(loss_paths(&losses).len(), 5);
    assert!(losses.iter().all(|l| l.kind == LossKind::Dropped));
}

#[test]
fn structured_output_is_kept_for_bedrock_and_encoded_from_json_schema() {
    let body = fixture("requests", "structured_output.json");
    let r = req(&body);
    assert_eq!(r.response_format, None);
    assert_eq!(r.extra.fields[0].0, "outputConfig");

    let schema = Raw::parse(r#"{"type":"object","properties":{"a":{"type":"string"}}}"#).unwrap();
    let mut ir_req = ir::Request {
        model: "m".into(),
        messages: vec![Message::text(Role::User, "hi")],
        response_format: Some(ResponseFormat::JsonSchema {
            name: Some("thing".into()),
            description: None,
            schema,
            strict: Some(true),
        }),
        ..Default::default()
    };
    let (out, losses) = encode_req(&ir_req);
    assert!(losses.is_empty(), "{losses:?}");
    let js = &out["outputConfig"]["textFormat"];
    assert_eq!(js["type"], "json_schema");
    assert_eq!(js["structure"]["jsonSchema"]["name"], "thing");
    assert_eq!(js["structure"]["jsonSchema"]["schema"], schema.get());

    ir_req.response_format = Some(ResponseFormat::JsonObject);
    let (out, losses) = encode_req(&ir_req);
    assert_eq!(
        out["outputConfig"]["textFormat"]["structure"]["jsonSchema"]["schema"],
        r#"{"type":"object"}"#
    );
    assert_eq!(losses.0[0].kind, LossKind::Approximated);
}

#[test]
fn unknown_blocks_are_kept_raw() {
    let body = fixture("requests", "unknown_blocks.json");
    let r = req(&body);
    assert!(
        matches!(&r.system[1], Block::Unknown { origin: Api::BedrockConverse, raw }
        if js(raw.get()).get("guardContent").is_some())
    );
    assert!(
        matches!(&r.messages[0].content[1], Block::Unknown { raw, .. }
        if raw.get().contains("demo.mp4"))
    );
    // Another API's unknown block is reported, not written.
    let mut foreign = r.clone();
    foreign.messages[0].content[1] = Block::Unknown {
        origin: Api::AnthropicMessages,
        raw: Raw::parse(r#"{"type":"server_tool_use"}"#).unwrap(),
    };
    let (out, losses) = encode_req(&foreign);
    assert_eq!(out["messages"][0]["content"].as_array().unwrap().len(), 1);
    assert_eq!(loss_paths(&losses), ["messages[0].content[1]"]);
}
