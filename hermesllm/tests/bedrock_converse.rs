//! Bedrock Converse codec: fixtures, round trips, mappings, bad input, errors, streams.

// Test helpers outside #[test] functions panic on purpose: a broken fixture must fail loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fs;
use std::path::{Path, PathBuf};

use hermesllm::bedrock_converse as bc;
use hermesllm::ir::{
    self, Block, Cache, CacheTtl, Effort, ErrorKind, MediaSource, Message, Reasoning,
    ResponseFormat, Role, StopReason, Tool, ToolCallKind, ToolChoice, ToolKind, Usage,
};
use hermesllm::{Api, DecodeError, LossKind, Losses, Raw, RequestMeta, ResponseMeta, Str};
use serde_json::{Value, json};

fn dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bedrock_converse")
        .join(kind)
}

fn fixtures(kind: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = fs::read_dir(dir(kind))
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
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
    RequestMeta {
        model: Some("test-model".into()),
        stream: false,
    }
}

fn req(body: &[u8]) -> ir::Request<'_> {
    bc::decode_request(body, &meta()).unwrap()
}

fn encode_req(r: &ir::Request<'_>) -> (Value, Losses) {
    let mut losses = Losses::default();
    let out = bc::encode_request(r, &mut losses).unwrap();
    (serde_json::from_slice(&out).unwrap(), losses)
}

fn encode_resp(r: &ir::Response<'_>) -> (Value, Losses) {
    let mut losses = Losses::default();
    let out = bc::encode_response(r, &ResponseMeta::default(), &mut losses).unwrap();
    (serde_json::from_slice(&out).unwrap(), losses)
}

fn loss_paths(l: &Losses) -> Vec<String> {
    l.iter().map(|l| l.path.to_string()).collect()
}

/// Parses JSON text (arguments, raw schemas) so fixtures may be pretty-printed.
fn js(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

fn text(t: &str) -> Block<'_> {
    Block::Text { text: t.into() }
}

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

#[test]
fn every_response_fixture_decodes_and_round_trips_losslessly() {
    let all = fixtures("responses");
    assert!(all.len() >= 8, "{} response fixtures", all.len());
    for (name, body) in &all {
        let first = bc::decode_response(body).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(first.choices.len(), 1, "{name}");
        assert!(first.usage.is_some(), "{name}");
        let mut losses = Losses::default();
        let encoded = bc::encode_response(&first, &ResponseMeta::default(), &mut losses).unwrap();
        assert!(losses.is_empty(), "{name}: {losses:?}");
        let second = bc::decode_response(&encoded).unwrap();
        assert_eq!(first, second, "{name}");
        // The same API writes back what Bedrock sent, metrics included.
        let a: Value = serde_json::from_slice(body).unwrap();
        let b: Value = serde_json::from_slice(&encoded).unwrap();
        assert_eq!(a["metrics"], b["metrics"], "{name}");
        // guardrail_intervened and content_filtered are one reason in the internal model.
        let want = match a["stopReason"].as_str() {
            Some("guardrail_intervened") => json!("content_filtered"),
            _ => a["stopReason"].clone(),
        };
        assert_eq!(b["stopReason"], want, "{name}");
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

// ---------------------------------------------------------------- requests: bad input

fn decode_err(body: &str) -> DecodeError {
    bc::decode_request(body.as_bytes(), &meta()).unwrap_err()
}

#[test]
fn bad_requests_are_decode_errors() {
    let ok_msgs = r#""messages":[{"role":"user","content":[{"text":"hi"}]}]"#;
    assert!(matches!(decode_err("{"), DecodeError::Json { .. }));
    assert!(matches!(decode_err("[]"), DecodeError::Json { .. }));
    assert!(decode_err("{}").to_string().contains("messages"));
    let e = decode_err(r#"{"messages":{"role":"user"}}"#);
    assert!(e.to_string().contains("messages"), "{e}");
    let e = decode_err(r#"{"messages":[{"role":"system","content":[{"text":"x"}]}]}"#);
    assert_eq!(
        e,
        DecodeError::invalid("messages[0].role", "must be user or assistant")
    );
    let e = decode_err(&format!(
        r#"{{{ok_msgs},"inferenceConfig":{{"maxTokens":"ten"}}}}"#
    ));
    assert!(
        matches!(&e, DecodeError::Json { path: Some(p), .. } if p.contains("inferenceConfig.maxTokens")),
        "{e:?}"
    );
    let e = decode_err(
        r#"{"messages":[{"role":"user","content":[{"image":{"format":"bmp","source":{"bytes":"AA=="}}}]}]}"#,
    );
    assert_eq!(
        e,
        DecodeError::invalid(
            "messages[0].content[0].image.format",
            "must be png, jpeg, gif or webp"
        )
    );
    // A modelled block with a wrong shape is an error, not an unknown block.
    let e =
        decode_err(r#"{"messages":[{"role":"user","content":[{"toolUse":{"toolUseId":"x"}}]}]}"#);
    assert!(
        matches!(&e, DecodeError::Json { path: Some(p), .. } if p.contains("messages[0].content[0]")),
        "{e:?}"
    );
    let e = decode_err(r#"{"messages":[{"role":"user","content":[{"text":"a","image":{}}]}]}"#);
    assert!(matches!(e, DecodeError::Json { .. }), "{e:?}");
    let e = decode_err(r#"{"messages":[{"role":"user","content":[5]}]}"#);
    assert!(matches!(e, DecodeError::Json { .. }), "{e:?}");
    let e = decode_err(
        r#"{"messages":[{"role":"user","content":[{"text":"a"}]}],"toolConfig":{"tools":[{"cachePoint":{"type":"default"}}]}}"#,
    );
    assert_eq!(
        e,
        DecodeError::invalid("toolConfig.tools[0]", "a cachePoint must follow a tool")
    );
    let e = decode_err(&format!(
        r#"{{{ok_msgs},"additionalModelRequestFields":{{"thinking":{{"type":"sometimes"}}}}}}"#
    ));
    assert!(e.to_string().contains("thinking.type"), "{e}");
    // The model comes from the path.
    let e = bc::decode_request(format!("{{{ok_msgs}}}").as_bytes(), &RequestMeta::default())
        .unwrap_err();
    assert_eq!(e.to_api_error().kind, ErrorKind::InvalidRequest);
    assert!(e.to_string().contains("modelId"));
}

// ---------------------------------------------------------------- responses

#[test]
fn response_stop_reasons_decode() {
    let cases = [
        ("text.json", StopReason::EndTurn),
        ("tool_use.json", StopReason::ToolUse),
        ("parallel_tool_use.json", StopReason::ToolUse),
        ("max_tokens.json", StopReason::MaxTokens),
        ("stop_sequence.json", StopReason::StopSequence),
        ("guardrail_intervened.json", StopReason::ContentFilter),
        ("content_filtered.json", StopReason::ContentFilter),
        (
            "context_window_exceeded.json",
            StopReason::ContextWindowExceeded,
        ),
    ];
    for (name, want) in cases {
        let body = fixture("responses", name);
        let r = bc::decode_response(&body).unwrap();
        assert_eq!(r.choices[0].stop_reason, Some(want), "{name}");
    }
    let body = fixture("responses", "stop_sequence.json");
    let r = bc::decode_response(&body).unwrap();
    assert_eq!(r.choices[0].stop_sequence.as_deref(), Some("END"));
    let body = fixture("responses", "guardrail_intervened.json");
    let r = bc::decode_response(&body).unwrap();
    let keys: Vec<&str> = r.extra.fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["metrics", "trace"]);
}

#[test]
fn stop_reasons_encode() {
    let cases = [
        (StopReason::EndTurn, "end_turn", false),
        (StopReason::ToolUse, "tool_use", false),
        (StopReason::MaxTokens, "max_tokens", false),
        (StopReason::StopSequence, "stop_sequence", false),
        (StopReason::ContentFilter, "content_filtered", false),
        (
            StopReason::ContextWindowExceeded,
            "model_context_window_exceeded",
            false,
        ),
        (StopReason::Refusal, "content_filtered", true),
        (StopReason::PauseTurn, "end_turn", true),
        (
            StopReason::Other("malformed_tool_use".into()),
            "malformed_tool_use",
            false,
        ),
        (StopReason::Other("SAFETY_X".into()), "end_turn", true),
    ];
    for (reason, want, lossy) in cases {
        let resp = ir::Response {
            choices: vec![ir::Choice {
                content: vec![text("x")],
                stop_reason: Some(reason.clone()),
                ..Default::default()
            }],
            ..Default::default()
        };
        let (out, losses) = encode_resp(&resp);
        assert_eq!(out["stopReason"], want, "{reason:?}");
        assert_eq!(!losses.is_empty(), lossy, "{reason:?}");
    }
}

#[test]
fn usage_normalisation_both_ways() {
    let body = fixture("responses", "cache_usage.json");
    let r = bc::decode_response(&body).unwrap();
    assert_eq!(
        r.usage,
        Some(Usage {
            input_tokens: 12 + 11800 + 212,
            output_tokens: 38,
            cache_read_input_tokens: 11800,
            cache_write_input_tokens: 212,
            reasoning_tokens: 0,
        })
    );
    assert_eq!(r.usage.unwrap().total_tokens(), 12062);
    let (out, _) = encode_resp(&r);
    assert_eq!(
        out["usage"],
        json!({"inputTokens": 12, "outputTokens": 38, "totalTokens": 12062,
            "cacheReadInputTokens": 11800, "cacheWriteInputTokens": 212})
    );

    // OpenAI-style usage with reasoning: reasoning stays inside outputTokens.
    let resp = ir::Response {
        choices: vec![ir::Choice::default()],
        usage: Some(Usage {
            input_tokens: 100,
            output_tokens: 50,
            reasoning_tokens: 20,
            cache_read_input_tokens: 60,
            ..Default::default()
        }),
        ..Default::default()
    };
    let (out, losses) = encode_resp(&resp);
    assert_eq!(
        out["usage"],
        json!({"inputTokens": 40, "outputTokens": 50, "totalTokens": 150,
            "cacheReadInputTokens": 60, "cacheWriteInputTokens": 0})
    );
    assert!(losses.is_empty());
}

#[test]
fn response_content_thinking_and_tools() {
    let body = fixture("responses", "thinking.json");
    let r = bc::decode_response(&body).unwrap();
    let c = &r.choices[0].content;
    assert!(
        matches!(&c[0], Block::Thinking { signature: Some(s), origin: Api::BedrockConverse, .. }
        if s.starts_with("EqoBCkgI"))
    );
    assert_eq!(c[1], text("No. 1015 = 5 × 7 × 29."));
    assert_eq!(r.id, "");
    assert_eq!(r.model, "");

    let body = fixture("responses", "redacted_thinking.json");
    let r = bc::decode_response(&body).unwrap();
    assert!(matches!(
        &r.choices[0].content[0],
        Block::RedactedThinking { .. }
    ));

    let body = fixture("responses", "parallel_tool_use.json");
    let r = bc::decode_response(&body).unwrap();
    let args: Vec<Value> = r.choices[0]
        .content
        .iter()
        .filter_map(|b| match b {
            Block::ToolCall { arguments, .. } => Some(js(arguments)),
            _ => None,
        })
        .collect();
    assert_eq!(
        args,
        [
            json!({"city": "Seattle", "unit": "celsius"}),
            json!({"city": "Paris", "unit": "celsius"})
        ]
    );
}

#[test]
fn encoding_a_foreign_response() {
    let resp = ir::Response {
        id: "chatcmpl-1".into(),
        model: "gpt-4o".into(),
        created: Some(1),
        choices: vec![
            ir::Choice {
                content: vec![
                    Block::Thinking {
                        text: "summary".into(),
                        signature: Some("enc".into()),
                        id: Some("rs_1".into()),
                        origin: Api::OpenAiResponses,
                    },
                    Block::Refusal {
                        text: "I can't help with that.".into(),
                    },
                    Block::ToolCall {
                        id: "call_9".into(),
                        name: "f".into(),
                        arguments: "".into(),
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
    let (out, losses) = encode_resp(&resp);
    assert_eq!(
        out,
        json!({
            "output": {"message": {"role": "assistant", "content": [
                {"reasoningContent": {"reasoningText": {"text": "summary"}}},
                {"text": "I can't help with that."},
                {"toolUse": {"toolUseId": "call_9", "name": "f", "input": {}}}
            ]}},
            "stopReason": "tool_use",
            "usage": {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15},
            "metrics": {"latencyMs": 0}
        })
    );
    assert_eq!(
        loss_paths(&losses),
        [
            "system_fingerprint",
            "choices[1]",
            "choices[0].content[0].signature",
            "choices[0].content[1]"
        ]
    );
}

#[test]
fn bad_responses_are_decode_errors() {
    assert!(bc::decode_response(b"not json").is_err());
    assert_eq!(
        bc::decode_response(br#"{"stopReason":"end_turn"}"#).unwrap_err(),
        DecodeError::invalid("output", "missing output.message")
    );
    let e = bc::decode_response(
        br#"{"output":{"message":{"role":"assistant","content":[{"text":1}]}},"stopReason":"end_turn"}"#,
    )
    .unwrap_err();
    assert!(matches!(e, DecodeError::Json { .. }));
    let e = bc::decode_response(
        br#"{"output":{"message":{"role":"assistant","content":[]}},"usage":{"inputTokens":-1}}"#,
    )
    .unwrap_err();
    assert!(
        matches!(&e, DecodeError::Json { path: Some(p), .. } if p.contains("usage")),
        "{e:?}"
    );
}

// ---------------------------------------------------------------- errors

#[test]
fn every_error_fixture_decodes_to_its_kind() {
    let expected = [
        ("access_denied.403.json", ErrorKind::PermissionDenied, None),
        ("internal.500.json", ErrorKind::Server, None),
        (
            "model_error.424.json",
            ErrorKind::Server,
            Some("ModelErrorException"),
        ),
        ("model_timeout.408.json", ErrorKind::Timeout, None),
        ("not_found.404.json", ErrorKind::NotFound, None),
        (
            "service_unavailable.503.json",
            ErrorKind::Overloaded,
            Some("ServiceUnavailableException"),
        ),
        ("throttling.429.json", ErrorKind::RateLimit, None),
        (
            "unrecognized_client.401.json",
            ErrorKind::Authentication,
            Some("UnrecognizedClientException"),
        ),
        ("validation.400.json", ErrorKind::InvalidRequest, None),
    ];
    let all = fixtures("errors");
    assert_eq!(all.len(), expected.len());
    for ((name, body), (want_name, kind, code)) in all.iter().zip(expected) {
        assert_eq!(name, want_name);
        let status: u16 = name.split('.').nth(1).unwrap().parse().unwrap();
        let e = bc::decode_error(status, body);
        assert_eq!(e.kind, kind, "{name}");
        assert_eq!(e.status, status, "{name}");
        assert_eq!(e.code.as_deref(), code, "{name}");
        assert_eq!(e.origin, Some(Api::BedrockConverse));
        let v: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(e.message, v["message"].as_str().unwrap(), "{name}");

        let out: Value = serde_json::from_slice(&bc::encode_error(&e)).unwrap();
        assert_eq!(out["message"], v["message"], "{name}");
        let want_type = code.unwrap_or(bc::error_type(kind));
        assert_eq!(out["__type"], want_type, "{name}");
        assert_eq!(out.as_object().unwrap().len(), 2);
    }
}

#[test]
fn error_types_and_odd_bodies() {
    assert_eq!(
        bc::error_type(ErrorKind::InvalidRequest),
        "ValidationException"
    );
    assert_eq!(
        bc::error_type(ErrorKind::Authentication),
        "UnrecognizedClientException"
    );
    assert_eq!(
        bc::error_type(ErrorKind::PermissionDenied),
        "AccessDeniedException"
    );
    assert_eq!(
        bc::error_type(ErrorKind::NotFound),
        "ResourceNotFoundException"
    );
    assert_eq!(bc::error_type(ErrorKind::RateLimit), "ThrottlingException");
    assert_eq!(
        bc::error_type(ErrorKind::Overloaded),
        "ServiceUnavailableException"
    );
    assert_eq!(bc::error_type(ErrorKind::Timeout), "ModelTimeoutException");
    assert_eq!(bc::error_type(ErrorKind::Server), "InternalServerException");
    assert_eq!(bc::exception_status("ModelErrorException"), Some(424));
    assert_eq!(bc::exception_status("throttlingException"), Some(429));

    let e = bc::decode_error(502, b"<html>Bad Gateway</html>");
    assert_eq!(e.kind, ErrorKind::Server);
    assert_eq!(e.message, "<html>Bad Gateway</html>");
    let e = bc::decode_error(429, b"");
    assert_eq!(e.kind, ErrorKind::RateLimit);
    assert!(!e.message.is_empty());
    let e = bc::decode_error(
        400,
        br#"{"Message":"quota","__type":"ServiceQuotaExceededException"}"#,
    );
    assert_eq!(e.kind, ErrorKind::RateLimit);
    assert_eq!(e.message, "quota");
    let e = bc::decode_error(400, &[0xff, 0xfe]);
    assert_eq!(e.kind, ErrorKind::InvalidRequest);

    // A gateway error (no origin) is named by its kind.
    let g = ir::ApiError::new(ErrorKind::RateLimit, "slow down");
    let out: Value = serde_json::from_slice(&bc::encode_error(&g)).unwrap();
    assert_eq!(
        out,
        json!({"message": "slow down", "__type": "ThrottlingException"})
    );
}

// ---------------------------------------------------------------- streams

mod streams {
    use super::*;
    use aws_smithy_eventstream::frame::{DecodedFrame, MessageFrameDecoder};
    use hermesllm::ir::{BlockStart, Delta, StreamEvent};
    use hermesllm::stream::{Frame, StreamDecode, StreamEncode, StreamMeta};

    /// A frame with owned bytes.
    #[derive(Debug, Clone)]
    pub struct OwnedFrame {
        message_type: String,
        event_type: String,
        payload: Vec<u8>,
    }

    impl OwnedFrame {
        fn event(event_type: &str, payload: Value) -> Self {
            OwnedFrame {
                message_type: "event".into(),
                event_type: event_type.into(),
                payload: serde_json::to_vec(&payload).unwrap(),
            }
        }

        fn frame(&self) -> Frame<'_> {
            Frame::EventStream {
                message_type: &self.message_type,
                event_type: &self.event_type,
                payload: &self.payload,
            }
        }
    }

    /// A `.jsonl` fixture: one `{"message_type"?, "event_type", "payload"}` per line.
    fn jsonl(name: &str) -> Vec<OwnedFrame> {
        let text = String::from_utf8(fixture("streams", name)).unwrap();
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                OwnedFrame {
                    message_type: v["message_type"].as_str().unwrap_or("event").into(),
                    event_type: v["event_type"].as_str().unwrap().into(),
                    payload: serde_json::to_vec(&v["payload"]).unwrap(),
                }
            })
            .collect()
    }

    /// Splits eventstream bytes into frames with the AWS decoder.
    fn frames_from_bytes(bytes: &[u8]) -> Vec<OwnedFrame> {
        let mut buf = bytes;
        let mut dec = MessageFrameDecoder::new();
        let mut out = Vec::new();
        while let DecodedFrame::Complete(m) = dec.decode_frame(&mut buf).unwrap() {
            let header = |name: &str| {
                m.headers()
                    .iter()
                    .find(|h| h.name().as_str() == name)
                    .map(|h| h.value().as_string().unwrap().as_str().to_owned())
            };
            let message_type = header(":message-type").unwrap();
            let event_type = header(":event-type")
                .or_else(|| header(":exception-type"))
                .unwrap();
            assert_eq!(header(":content-type").as_deref(), Some("application/json"));
            out.push(OwnedFrame {
                message_type,
                event_type,
                payload: m.payload().to_vec(),
            });
        }
        assert!(buf.is_empty(), "trailing bytes");
        out
    }

    /// One block accumulated from deltas.
    #[derive(Debug, Default, Clone, PartialEq)]
    struct Acc {
        kind: &'static str,
        id: String,
        name: String,
        text: String,
        signature: String,
        closed: bool,
    }

    /// What a decoded stream said.
    #[derive(Debug, Default)]
    struct Collected {
        events: Vec<String>,
        blocks: Vec<Acc>,
        stop: Option<String>,
        stop_sequence: Option<String>,
        usage: Option<Usage>,
        error: Option<(ErrorKind, u16, String, Option<String>)>,
        done: bool,
    }

    impl Collected {
        fn push(&mut self, ev: &StreamEvent<'_>) {
            assert!(
                !self.done && self.error.is_none(),
                "event after the end: {ev:?}"
            );
            match ev {
                StreamEvent::Error(e) => self
                    .events
                    .push(format!("Error({:?}, {})", e.kind, e.message)),
                _ => self.events.push(format!("{ev:?}")),
            }
            match ev {
                StreamEvent::Start { .. } => assert_eq!(self.events.len(), 1),
                StreamEvent::BlockStart { index, block } => {
                    assert_eq!(*index as usize, self.blocks.len(), "dense indexes");
                    let mut acc = Acc::default();
                    match block {
                        BlockStart::Text | BlockStart::Refusal => acc.kind = "text",
                        BlockStart::ToolCall { id, name, .. } => {
                            acc.kind = "tool";
                            acc.id = id.to_string();
                            acc.name = name.to_string();
                        }
                        BlockStart::Thinking { .. } => acc.kind = "thinking",
                        BlockStart::RedactedThinking { data, .. } => {
                            acc.kind = "redacted";
                            acc.text = data.to_string();
                        }
                        _ => panic!("{block:?}"),
                    }
                    self.blocks.push(acc);
                }
                StreamEvent::Delta { index, delta } => {
                    let acc = &mut self.blocks[*index as usize];
                    assert!(!acc.closed);
                    match delta {
                        Delta::Text(t) | Delta::ToolArguments(t) | Delta::Thinking(t) => {
                            acc.text.push_str(t)
                        }
                        Delta::Signature(s) => acc.signature.push_str(s),
                        _ => panic!("{delta:?}"),
                    }
                }
                StreamEvent::BlockStop { index } => {
                    let acc = &mut self.blocks[*index as usize];
                    assert!(!acc.closed);
                    acc.closed = true;
                }
                StreamEvent::Stop {
                    reason,
                    stop_sequence,
                } => {
                    assert!(
                        self.blocks.iter().all(|b| b.closed),
                        "blocks closed before stop"
                    );
                    self.stop = reason.as_ref().map(|r| format!("{r:?}"));
                    self.stop_sequence = stop_sequence.as_ref().map(|s| s.to_string());
                }
                StreamEvent::Usage(u) => self.usage = Some(*u),
                StreamEvent::Error(e) => {
                    self.error = Some((
                        e.kind,
                        e.status,
                        e.message.to_string(),
                        e.code.as_ref().map(|c| c.to_string()),
                    ))
                }
                StreamEvent::Done => self.done = true,
                _ => panic!("{ev:?}"),
            }
        }
    }

    /// Decodes frames, and re-encodes every event as Bedrock frames on the way.
    fn run(frames: &[OwnedFrame]) -> (Collected, Vec<u8>) {
        let mut dec = bc::StreamDecoder::new();
        let mut enc = bc::StreamEncoder::new(StreamMeta::default());
        let mut c = Collected::default();
        let mut out = Vec::new();
        let mut sink = |ev: StreamEvent<'_>| {
            c.push(&ev);
            enc.encode(&ev, &mut out);
        };
        for f in frames {
            dec.decode(&f.frame(), &mut sink).unwrap();
        }
        dec.finish(&mut sink);
        (c, out)
    }

    /// A comparable summary of a block: kind, id/name or text, JSON arguments or signature.
    fn ir_summary(b: &Block<'_>) -> (String, String, String) {
        match b {
            Block::Text { text } => ("text".into(), text.to_string(), String::new()),
            Block::ToolCall {
                id,
                name,
                arguments,
                ..
            } => (
                "tool".into(),
                format!("{id}/{name}"),
                js(arguments).to_string(),
            ),
            Block::Thinking {
                text, signature, ..
            } => (
                "thinking".into(),
                text.to_string(),
                signature.as_deref().unwrap_or("").into(),
            ),
            _ => panic!("{b:?}"),
        }
    }

    fn acc_summary(a: &Acc) -> (String, String, String) {
        match a.kind {
            "tool" => (
                "tool".into(),
                format!("{}/{}", a.id, a.name),
                js(&a.text).to_string(),
            ),
            k => (k.into(), a.text.clone(), a.signature.clone()),
        }
    }

    #[test]
    fn stream_fixtures_match_the_non_streaming_responses() {
        let pairs = [
            ("text.jsonl", "text.json"),
            ("tools.jsonl", "tool_use.json"),
            ("parallel_tools.jsonl", "parallel_tool_use.json"),
            ("thinking.jsonl", "thinking.json"),
            ("cache_usage.jsonl", "cache_usage.json"),
            ("stop_sequence.jsonl", "stop_sequence.json"),
        ];
        for (stream, response) in pairs {
            let (c, _) = run(&jsonl(stream));
            let body = fixture("responses", response);
            let resp = bc::decode_response(&body).unwrap();
            let choice = &resp.choices[0];
            let want: Vec<_> = choice.content.iter().map(ir_summary).collect();
            let got: Vec<_> = c.blocks.iter().map(acc_summary).collect();
            assert_eq!(got, want, "{stream}");
            assert!(c.blocks.iter().all(|b| b.closed), "{stream}");
            assert_eq!(
                c.stop,
                choice.stop_reason.as_ref().map(|r| format!("{r:?}")),
                "{stream}"
            );
            assert_eq!(
                c.stop_sequence.as_deref(),
                choice.stop_sequence.as_deref(),
                "{stream}"
            );
            assert_eq!(c.usage, resp.usage, "{stream}");
            assert!(c.done && c.error.is_none(), "{stream}");
            assert!(c.events[0].starts_with("Start"), "{stream}");
            assert_eq!(c.events.last().unwrap(), "Done", "{stream}");
        }
    }

    #[test]
    fn thinking_stream_events_are_exact() {
        let (c, _) = run(&jsonl("thinking.jsonl"));
        assert_eq!(c.blocks[0].kind, "thinking");
        assert!(c.events[1].contains("Thinking { origin: BedrockConverse"));
        assert!(c.events.iter().any(|e| e.contains("Signature(\"EqoBCkgI")));
        assert_eq!(c.usage.unwrap().output_tokens, 214);
    }

    #[test]
    fn every_stream_fixture_round_trips_through_the_encoder() {
        let all = fixtures("streams");
        assert!(all.len() >= 6);
        for (name, _) in all {
            let (first, bytes) = run(&jsonl(&name));
            let frames = frames_from_bytes(&bytes);
            assert_eq!(frames[0].event_type, "messageStart", "{name}");
            let (second, bytes2) = run(&frames);
            assert_eq!(first.events, second.events, "{name}");
            assert_eq!(bytes, bytes2, "{name}: encoding is stable");
        }
    }

    #[test]
    fn mid_stream_error_becomes_an_error_event() {
        let mut frames = jsonl("error.jsonl");
        frames.push(OwnedFrame::event(
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"text": "ignored"}}),
        ));
        let (c, bytes) = run(&frames);
        assert_eq!(
            c.error,
            Some((
                ErrorKind::RateLimit,
                429,
                "Too many tokens, please wait before trying again.".into(),
                Some("ThrottlingException".into())
            ))
        );
        assert!(!c.done);
        assert_eq!(c.blocks[0].text, "Here is the first part");
        let frames = frames_from_bytes(&bytes);
        let last = frames.last().unwrap();
        assert_eq!(last.message_type, "exception");
        assert_eq!(last.event_type, "throttlingException");
        assert_eq!(
            serde_json::from_slice::<Value>(&last.payload).unwrap(),
            json!({"message": "Too many tokens, please wait before trying again."})
        );
    }

    #[test]
    fn truncated_stream_ends_with_an_error_not_done() {
        let (c, _) = run(&jsonl("truncated.jsonl"));
        assert!(!c.done);
        assert_eq!(c.error.as_ref().unwrap().0, ErrorKind::Server);
        assert!(c.error.as_ref().unwrap().2.contains("truncated"));
        assert_eq!(c.blocks[0].text, "Once upon a time");
    }

    fn capture(name: &str) -> Vec<OwnedFrame> {
        let path = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/fixtures/bedrock"
        ))
        .join(name);
        frames_from_bytes(&fs::read(path).unwrap())
    }

    #[test]
    fn real_captures_decode() {
        let (c, bytes) = run(&capture("converse-stream-text.bin"));
        assert_eq!(c.blocks.len(), 1);
        assert!(
            c.blocks[0]
                .text
                .starts_with("# Binary Search in a Sorted Array\n\nHere's a Python program")
        );
        assert_eq!(c.stop.as_deref(), Some("MaxTokens"));
        let u = c.usage.unwrap();
        assert_eq!(
            (u.input_tokens, u.output_tokens, u.total_tokens()),
            (19, 500, 519)
        );
        assert!(c.done);
        assert_eq!(run(&frames_from_bytes(&bytes)).0.events, c.events);

        let (c, _) = run(&capture("converse-stream-tools.bin"));
        let kinds: Vec<&str> = c.blocks.iter().map(|b| b.kind).collect();
        assert_eq!(kinds, ["text", "tool", "text"]);
        assert!(c.blocks[0].text.starts_with("<thinking>The user wants"));
        let tool = &c.blocks[1];
        assert_eq!(tool.name, "run_python_code");
        assert_eq!(tool.id, "tooluse_U1VDb22VSDOVjwFzz5AqyQ");
        let args = js(&tool.text);
        assert!(args["code"].as_str().unwrap().contains("def factorial(n)"));
        assert_eq!(c.stop.as_deref(), Some("ToolUse"));
        assert_eq!(c.usage.unwrap().output_tokens, 539);
    }

    #[test]
    fn interleaved_and_unannounced_blocks_get_dense_indexes() {
        let d = |i: u32, delta: Value| {
            OwnedFrame::event(
                "contentBlockDelta",
                json!({"contentBlockIndex": i, "delta": delta}),
            )
        };
        let start = |i: u32, id: &str| {
            OwnedFrame::event(
                "contentBlockStart",
                json!({"contentBlockIndex": i, "start": {"toolUse": {"toolUseId": id, "name": "f"}}}),
            )
        };
        let stop = |i: u32| OwnedFrame::event("contentBlockStop", json!({"contentBlockIndex": i}));
        let frames = vec![
            OwnedFrame::event("messageStart", json!({"role": "assistant"})),
            start(3, "a"),
            start(5, "b"),
            d(3, json!({"toolUse": {"input": "{\"x\":"}})),
            d(5, json!({"toolUse": {"input": "{\"y\":"}})),
            d(5, json!({"toolUse": {"input": "2}"}})),
            d(3, json!({"toolUse": {"input": "1}"}})),
            OwnedFrame::event("futureEvent", json!({})),
            stop(5),
            stop(3),
            d(7, json!({"text": "done"})),
            OwnedFrame::event("messageStop", json!({"stopReason": "tool_use"})),
        ];
        let (c, _) = run(&frames);
        assert_eq!(js(&c.blocks[0].text), json!({"x": 1}));
        assert_eq!(js(&c.blocks[1].text), json!({"y": 2}));
        assert_eq!(
            (c.blocks[0].id.as_str(), c.blocks[1].id.as_str()),
            ("a", "b")
        );
        // The text block was never stopped upstream: messageStop closes it.
        assert_eq!(c.blocks[2].text, "done");
        assert!(c.blocks[2].closed);
        assert!(c.done);
        assert_eq!(c.usage, None);
    }

    #[test]
    fn redacted_reasoning_streams_round_trip() {
        let frames = vec![
            OwnedFrame::event("messageStart", json!({"role": "assistant"})),
            OwnedFrame::event(
                "contentBlockDelta",
                json!({"contentBlockIndex": 0, "delta": {"reasoningContent": {"redactedContent": "RXJE"}}}),
            ),
            OwnedFrame::event("contentBlockStop", json!({"contentBlockIndex": 0})),
            OwnedFrame::event("messageStop", json!({"stopReason": "end_turn"})),
            OwnedFrame::event(
                "metadata",
                json!({"usage": {"inputTokens": 5, "outputTokens": 7, "totalTokens": 12}}),
            ),
        ];
        let (c, bytes) = run(&frames);
        assert_eq!(c.blocks[0].kind, "redacted");
        assert_eq!(c.blocks[0].text, "RXJE");
        let (again, _) = run(&frames_from_bytes(&bytes));
        assert_eq!(again.events, c.events);
    }

    #[test]
    fn encoder_ignores_content_after_the_stop() {
        let mut enc = bc::StreamEncoder::new(StreamMeta::default());
        let mut out = Vec::new();
        for ev in [
            StreamEvent::Stop {
                reason: Some(StopReason::EndTurn),
                stop_sequence: Some("END".into()),
            },
            StreamEvent::Delta {
                index: 0,
                delta: Delta::Text("late".into()),
            },
            StreamEvent::Done,
        ] {
            enc.encode(&ev, &mut out);
        }
        let got = event_types(&out);
        let types: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(types, ["messageStart", "messageStop", "metadata"]);
        assert_eq!(
            got[1].1,
            json!({"stopReason": "end_turn", "additionalModelResponseFields": {"stop_sequence": "END"}})
        );
    }

    #[test]
    fn bad_frames_are_errors() {
        let mut dec = bc::StreamDecoder::new();
        let mut sink = |_: StreamEvent<'_>| {};
        let sse = Frame::Sse {
            event: "",
            data: "{}",
        };
        assert!(matches!(
            dec.decode(&sse, &mut sink),
            Err(DecodeError::Stream(_))
        ));
        let bad = OwnedFrame {
            message_type: "event".into(),
            event_type: "contentBlockDelta".into(),
            payload: b"{\"contentBlockIndex\":\"x\"}".to_vec(),
        };
        assert!(matches!(
            dec.decode(&bad.frame(), &mut sink),
            Err(DecodeError::Json { .. })
        ));
        let bad = OwnedFrame {
            message_type: "event".into(),
            event_type: "messageStop".into(),
            payload: b"not json".to_vec(),
        };
        assert!(dec.decode(&bad.frame(), &mut sink).is_err());
    }

    fn event_types(bytes: &[u8]) -> Vec<(String, Value)> {
        frames_from_bytes(bytes)
            .into_iter()
            .map(|f| (f.event_type, serde_json::from_slice(&f.payload).unwrap()))
            .collect()
    }

    #[test]
    fn encoder_turns_foreign_events_into_a_valid_bedrock_stream() {
        let events = [
            StreamEvent::Start {
                id: "msg_1".into(),
                model: "claude".into(),
                created: None,
                usage: Some(Usage {
                    input_tokens: 100,
                    cache_read_input_tokens: 80,
                    ..Default::default()
                }),
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
                delta: Delta::Signature("gAAAA".into()),
            },
            StreamEvent::BlockStop { index: 0 },
            StreamEvent::BlockStart {
                index: 1,
                block: BlockStart::RedactedThinking {
                    data: "enc".into(),
                    origin: Api::Gemini,
                },
            },
            StreamEvent::BlockStop { index: 1 },
            StreamEvent::BlockStart {
                index: 2,
                block: BlockStart::ToolCall {
                    id: "call_1".into(),
                    name: "f".into(),
                    kind: ToolCallKind::Function,
                },
            },
            StreamEvent::Delta {
                index: 2,
                delta: Delta::ToolArguments("{\"a\":".into()),
            },
            StreamEvent::Delta {
                index: 2,
                delta: Delta::ToolArguments("1}".into()),
            },
            StreamEvent::BlockStop { index: 2 },
            // OpenAI-style: a text delta with no BlockStart.
            StreamEvent::Delta {
                index: 3,
                delta: Delta::Text("hi".into()),
            },
            StreamEvent::Stop {
                reason: Some(StopReason::ToolUse),
                stop_sequence: None,
            },
            StreamEvent::Usage(Usage {
                input_tokens: 100,
                output_tokens: 20,
                cache_read_input_tokens: 80,
                ..Default::default()
            }),
            StreamEvent::Done,
            StreamEvent::Done,
        ];
        let mut enc = bc::StreamEncoder::new(StreamMeta::default());
        let mut out = Vec::new();
        for ev in &events {
            enc.encode(ev, &mut out);
        }
        let got = event_types(&out);
        let want = vec![
            ("messageStart", json!({"role": "assistant"})),
            (
                "contentBlockDelta",
                json!({"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "hmm"}}}),
            ),
            ("contentBlockStop", json!({"contentBlockIndex": 0})),
            (
                "contentBlockStart",
                json!({"contentBlockIndex": 1, "start": {"toolUse": {"toolUseId": "call_1", "name": "f"}}}),
            ),
            (
                "contentBlockDelta",
                json!({"contentBlockIndex": 1, "delta": {"toolUse": {"input": "{\"a\":"}}}),
            ),
            (
                "contentBlockDelta",
                json!({"contentBlockIndex": 1, "delta": {"toolUse": {"input": "1}"}}}),
            ),
            ("contentBlockStop", json!({"contentBlockIndex": 1})),
            (
                "contentBlockDelta",
                json!({"contentBlockIndex": 2, "delta": {"text": "hi"}}),
            ),
            ("contentBlockStop", json!({"contentBlockIndex": 2})),
            ("messageStop", json!({"stopReason": "tool_use"})),
            (
                "metadata",
                json!({"usage": {"inputTokens": 20, "outputTokens": 20, "totalTokens": 120,
                    "cacheReadInputTokens": 80, "cacheWriteInputTokens": 0},
                    "metrics": {"latencyMs": 0}}),
            ),
        ];
        let want: Vec<(String, Value)> = want.into_iter().map(|(t, v)| (t.into(), v)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn encoder_supplies_a_missing_stop_and_renders_errors() {
        let mut enc = bc::StreamEncoder::new(StreamMeta::default());
        let mut out = Vec::new();
        enc.encode(
            &StreamEvent::Delta {
                index: 0,
                delta: Delta::Text("x".into()),
            },
            &mut out,
        );
        enc.encode(&StreamEvent::Done, &mut out);
        let types: Vec<String> = event_types(&out).into_iter().map(|(t, _)| t).collect();
        assert_eq!(
            types,
            [
                "messageStart",
                "contentBlockDelta",
                "contentBlockStop",
                "messageStop",
                "metadata"
            ]
        );

        let mut enc = bc::StreamEncoder::new(StreamMeta::default());
        let mut out = Vec::new();
        enc.encode(
            &StreamEvent::Error(ir::ApiError::new(ErrorKind::Overloaded, "busy")),
            &mut out,
        );
        enc.encode(&StreamEvent::Done, &mut out);
        let frames = frames_from_bytes(&out);
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].message_type, "exception");
        assert_eq!(frames[0].event_type, "serviceUnavailableException");
        let (c, _) = run(&frames);
        let (kind, status, message, _) = c.error.unwrap();
        assert_eq!(
            (kind, status, message.as_str()),
            (ErrorKind::Overloaded, 503, "busy")
        );
    }
}
