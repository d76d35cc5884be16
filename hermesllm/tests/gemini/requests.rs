//! Requests: fixtures, round trips, roles, tools and media.

use hermesllm::gemini;
use hermesllm::ir::{self, Block, MediaSource, Message, Role, ToolChoice, ToolKind};
use hermesllm::{Api, LossKind, Losses, Raw};
use serde_json::{Value, json};

use super::common::*;

// ---------------------------------------------------------------- fixtures and round trips

#[test]
fn every_request_fixture_round_trips_without_loss() {
    let all = fixtures("requests");
    assert!(all.len() >= 12, "{} request fixtures", all.len());
    for (name, body) in &all {
        let req = gemini::decode_request(body, &meta()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(req.model, "test-model", "{name}");
        let mut losses = Losses::default();
        let out = gemini::encode_request(&req, &mut losses).unwrap();
        assert!(losses.is_empty(), "{name}: {losses:?}");
        let again = gemini::decode_request(&out, &meta())
            .unwrap_or_else(|e| panic!("{name}: {e}\n{}", String::from_utf8_lossy(&out)));
        assert_eq!(req, again, "{name}\n{}", String::from_utf8_lossy(&out));
    }
}

// ---------------------------------------------------------------- requests: roles, system

#[test]
fn roles_and_system_instruction() {
    let body = fixture("requests", "system.json");
    let req = decode_req(&body);
    assert_eq!(
        req.system,
        vec![text("You are a cat."), text("Your name is Neko.")]
    );
    assert_eq!(req.messages.len(), 1);
    assert_eq!(
        req.messages[0].role,
        Role::User,
        "missing role defaults to user"
    );

    let body = fixture("requests", "multi_turn.json");
    let req = decode_req(&body);
    let roles: Vec<_> = req.messages.iter().map(|m| m.role).collect();
    assert_eq!(roles, [Role::User, Role::Assistant, Role::User]);
    let (out, _) = encode_req(&req);
    assert_eq!(out["contents"][1]["role"], "model");
    assert_eq!(out["contents"][2]["role"], "user");
    assert!(out.get("systemInstruction").is_none());
    assert!(out.get("model").is_none(), "the model travels in the URL");
}

#[test]
fn mid_conversation_system_message_moves_to_system_instruction() {
    let req = ir::Request {
        model: "gemini-2.5-flash".into(),
        system: vec![text("Be brief.")],
        messages: vec![
            Message::text(Role::User, "Hi"),
            Message::text(Role::System, "Answer in French."),
            Message::text(Role::User, "How are you?"),
        ],
        ..Default::default()
    };
    let (out, losses) = encode_req(&req);
    assert_eq!(
        out["systemInstruction"],
        json!({"parts": [{"text": "Be brief."}, {"text": "Answer in French."}]})
    );
    assert_eq!(out["contents"].as_array().unwrap().len(), 2);
    let loss = losses.iter().next().unwrap();
    assert_eq!(loss.path, "messages[1]");
    assert_eq!(loss.kind, LossKind::Approximated);
}

// ---------------------------------------------------------------- tools

#[test]
fn tool_definitions_and_allowed_tool_choice() {
    let body = fixture("requests", "tools.json");
    let req = decode_req(&body);
    assert_eq!(req.tools.len(), 3);
    let names: Vec<_> = req.tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["find_movies", "find_theaters", "get_current_time"]);
    let ToolKind::Function { parameters, strict } = &req.tools[1].kind else {
        panic!("{:?}", req.tools[1].kind)
    };
    assert_eq!(*strict, None);
    json_eq(
        parameters.unwrap().get(),
        json!({"type":"object","properties":{"location":{"type":"string"},"movie":{"type":"string"}},"required":["location"],"additionalProperties":false}),
    );
    // `parameters` (OpenAPI subset) is taken as is too.
    let ToolKind::Function { parameters, .. } = &req.tools[0].kind else {
        panic!()
    };
    assert!(parameters.unwrap().get().contains("\"required\""));
    let ToolKind::Function { parameters, .. } = &req.tools[2].kind else {
        panic!()
    };
    assert!(parameters.is_none());
    assert_eq!(
        req.tools[0].description.as_deref(),
        Some(
            "find movie titles currently playing in theaters based on any description, genre, title words, etc."
        )
    );
    assert_eq!(
        req.tool_choice,
        Some(ToolChoice::Allowed {
            names: vec!["find_movies".into(), "find_theaters".into()],
            required: true
        })
    );
    let (out, losses) = encode_req(&req);
    assert!(losses.is_empty());
    let decls = &out["tools"][0]["functionDeclarations"];
    assert_eq!(decls.as_array().unwrap().len(), 3);
    assert_eq!(
        decls[1]["parametersJsonSchema"]["required"],
        json!(["location"])
    );
    assert!(decls[1].get("parameters").is_none());
    assert!(decls[2].get("parametersJsonSchema").is_none());
    assert_eq!(
        out["toolConfig"],
        json!({"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["find_movies", "find_theaters"]}})
    );
}

#[test]
fn tool_choice_both_ways() {
    let cases = [
        (ToolChoice::Auto, json!({"mode": "AUTO"})),
        (ToolChoice::None, json!({"mode": "NONE"})),
        (ToolChoice::Required, json!({"mode": "ANY"})),
        (
            ToolChoice::Tool { name: "f".into() },
            json!({"mode": "ANY", "allowedFunctionNames": ["f"]}),
        ),
        (
            ToolChoice::Allowed {
                names: vec!["f".into(), "g".into()],
                required: false,
            },
            json!({"mode": "VALIDATED", "allowedFunctionNames": ["f", "g"]}),
        ),
    ];
    for (choice, wire) in cases {
        let req = ir::Request {
            messages: vec![Message::text(Role::User, "x")],
            tool_choice: Some(choice.clone()),
            ..Default::default()
        };
        let (out, _) = encode_req(&req);
        assert_eq!(out["toolConfig"]["functionCallingConfig"], wire);
        let body = serde_json::to_vec(&out).unwrap();
        assert_eq!(decode_req(&body).tool_choice, Some(choice));
    }
}

#[test]
fn parallel_calls_get_synthesized_ids_and_results_match_them() {
    let body = fixture("requests", "parallel_tools.json");
    let req = decode_req(&body);
    let calls: Vec<_> = req.messages[1]
        .content
        .iter()
        .map(|b| match b {
            Block::ToolCall {
                id,
                name,
                arguments,
                ..
            } => (
                id.to_string(),
                name.to_string(),
                serde_json::from_str::<Value>(arguments).unwrap(),
            ),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        calls,
        [
            (
                "call_0".into(),
                "power_disco_ball".into(),
                json!({"power": true})
            ),
            (
                "call_1".into(),
                "start_music".into(),
                json!({"energetic": true, "loud": true})
            ),
            (
                "call_2".into(),
                "dim_lights".into(),
                json!({"brightness": 0.5})
            ),
        ]
    );
    let results: Vec<_> = req.messages[2]
        .content
        .iter()
        .map(|b| match b {
            Block::ToolResult {
                call_id,
                name,
                content,
                is_error,
            } => {
                assert!(!is_error);
                assert_eq!(content.len(), 1);
                (
                    call_id.to_string(),
                    name.clone().unwrap().to_string(),
                    content[0].as_text().unwrap().to_owned(),
                )
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(results[0].0, "call_0");
    assert_eq!(results[1].0, "call_1");
    assert_eq!(results[2].0, "call_2");
    assert_eq!(results[1].1, "start_music");
    // {"output": {...}} unwraps to the object's text, {"output": "s"} to the string, any
    // other object is the text as is.
    json_eq(&results[0].2, json!({"status": "on"}));
    assert_eq!(results[1].2, "Playing Dancing Queen");
    json_eq(&results[2].2, json!({"brightness": 0.5, "ok": true}));
}

#[test]
fn tool_results_with_ids_and_errors() {
    let body = fixture("requests", "tool_results.json");
    let req = decode_req(&body);
    let Block::ToolResult {
        call_id,
        is_error,
        content,
        ..
    } = &req.messages[2].content[1]
    else {
        panic!()
    };
    assert_eq!(call_id, "fc_9a3d7e");
    assert!(*is_error);
    assert_eq!(content, &vec![text("unknown location: Atlantis")]);
    assert_eq!(req.tool_choice, Some(ToolChoice::None));
    let Block::ToolCall { id, .. } = &req.messages[1].content[0] else {
        panic!()
    };
    assert_eq!(id, "fc_8f2b1c");
}

#[test]
fn tool_results_from_other_apis_are_wrapped_and_named() {
    let call = |id: &'static str, name: &'static str| Block::ToolCall {
        id: id.into(),
        name: name.into(),
        arguments: r#"{"city":"Paris"}"#.into(),
        kind: ir::ToolCallKind::Function,
    };
    let result = |id: &'static str, content: &'static str, is_error: bool| Message {
        role: Role::Tool,
        content: vec![Block::ToolResult {
            call_id: id.into(),
            name: None,
            content: vec![text(content)],
            is_error,
        }],
        name: None,
    };
    let req = ir::Request {
        messages: vec![
            Message::text(Role::User, "Weather?"),
            Message {
                role: Role::Assistant,
                content: vec![
                    call("toolu_1", "get_weather"),
                    call("toolu_2", "get_time"),
                    call("toolu_3", "get_weather"),
                ],
                name: None,
            },
            result("toolu_1", "sunny", false),
            result("toolu_2", r#"{"time":"12:00"}"#, false),
            result("toolu_3", "42", true),
            Message::text(Role::User, "and tomorrow?"),
        ],
        ..Default::default()
    };
    let (out, losses) = encode_req(&req);
    assert!(losses.is_empty(), "{losses:?}");
    let contents = out["contents"].as_array().unwrap();
    assert_eq!(
        contents.len(),
        3,
        "tool results and the next user text share one user turn"
    );
    assert_eq!(
        contents[1]["parts"][0]["functionCall"],
        json!({"id": "toolu_1", "name": "get_weather", "args": {"city": "Paris"}})
    );
    assert_eq!(contents[2]["role"], "user");
    let parts = contents[2]["parts"].as_array().unwrap();
    assert_eq!(
        parts[0]["functionResponse"],
        json!({"id": "toolu_1", "name": "get_weather", "response": {"output": "sunny"}})
    );
    assert_eq!(parts[1]["functionResponse"]["name"], "get_time");
    assert_eq!(
        parts[1]["functionResponse"]["response"],
        json!({"time": "12:00"})
    );
    assert_eq!(
        parts[2]["functionResponse"]["response"],
        json!({"error": 42})
    );
    assert_eq!(parts[3], json!({"text": "and tomorrow?"}));
}

#[test]
fn builtin_tools_and_unknown_parts_pass_through() {
    let body = fixture("requests", "builtin_tools.json");
    let req = decode_req(&body);
    assert_eq!(req.tools.len(), 3);
    let ToolKind::Builtin { origin, raw } = &req.tools[0].kind else {
        panic!()
    };
    assert_eq!(*origin, Api::Gemini);
    json_eq(raw.get(), json!({"codeExecution": {}}));
    assert_eq!(req.tools[2].name, "lookup");
    let kinds: Vec<_> = req.messages[1]
        .content
        .iter()
        .map(|b| {
            matches!(
                b,
                Block::Unknown {
                    origin: Api::Gemini,
                    ..
                }
            )
        })
        .collect();
    assert_eq!(kinds, [false, true, true, false]);
    let (out, _) = encode_req(&req);
    assert_eq!(out["tools"][1], json!({"googleSearch": {}}));
    assert_eq!(
        out["contents"][1]["parts"][2]["codeExecutionResult"]["output"],
        "5117\n"
    );
}

#[test]
fn other_api_tools_and_blocks_are_recorded_as_lost() {
    let raw = Raw::parse(r#"{"type":"web_search_20250305","name":"web_search"}"#).unwrap();
    let req = ir::Request {
        messages: vec![Message {
            role: Role::User,
            content: vec![
                text("hi"),
                Block::CachePoint(ir::Cache::default()),
                Block::Unknown {
                    origin: Api::AnthropicMessages,
                    raw,
                },
            ],
            name: Some("bob".into()),
        }],
        tools: vec![ir::Tool {
            name: "web_search".into(),
            description: None,
            kind: ToolKind::Builtin {
                origin: Api::AnthropicMessages,
                raw,
            },
            cache: Some(ir::Cache::default()),
        }],
        parallel_tool_calls: Some(false),
        user: Some("u-1".into()),
        ..Default::default()
    };
    let (out, losses) = encode_req(&req);
    let paths: Vec<_> = losses.iter().map(|l| l.path.to_string()).collect();
    assert_eq!(
        paths,
        [
            "messages[0].name",
            "messages[0].content[1]",
            "messages[0].content[2]",
            "tools[0].cache",
            "tools[0]",
            "parallel_tool_calls",
            "user"
        ]
    );
    assert!(losses.iter().all(|l| l.kind == LossKind::Dropped));
    assert_eq!(out["contents"][0]["parts"], json!([{"text": "hi"}]));
    assert!(out.get("tools").is_none());
}

// ---------------------------------------------------------------- media

#[test]
fn images_documents_and_audio() {
    let body = fixture("requests", "images.json");
    let req = decode_req(&body);
    let c = &req.messages[0].content;
    assert!(
        matches!(&c[1], Block::Image { source: MediaSource::Base64 { media_type, .. }, detail: None } if media_type == "image/png")
    );
    assert!(
        matches!(&c[2], Block::Image { source: MediaSource::Url { url, media_type: Some(m) }, .. }
        if url == "https://generativelanguage.googleapis.com/v1beta/files/3s9dp4x2k1fa" && m == "image/jpeg")
    );

    let body = fixture("requests", "documents.json");
    let req = decode_req(&body);
    let c = &req.messages[0].content;
    assert!(
        matches!(&c[0], Block::Document { source: MediaSource::Base64 { media_type, .. }, .. } if media_type == "application/pdf")
    );
    assert!(
        matches!(&c[1], Block::Document { source: MediaSource::Url { url, .. }, .. } if url.starts_with("gs://"))
    );
    assert!(matches!(&c[2], Block::Audio { format, .. } if format == "audio/mp3"));

    // From another API: OpenAI-style audio format, a document with a title, an image detail.
    let req = ir::Request {
        messages: vec![Message {
            role: Role::User,
            content: vec![
                Block::Audio {
                    data: "AAAA".into(),
                    format: "wav".into(),
                },
                Block::Document {
                    source: MediaSource::Base64 {
                        media_type: "application/pdf".into(),
                        data: "JVBE".into(),
                    },
                    name: Some("report.pdf".into()),
                    context: None,
                    citations: None,
                },
                Block::Image {
                    source: MediaSource::Url {
                        url: "https://example.com/cat.png".into(),
                        media_type: None,
                    },
                    detail: Some("high".into()),
                },
                Block::Document {
                    source: MediaSource::FileId {
                        id: "file-abc".into(),
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
    let (out, losses) = encode_req(&req);
    assert_eq!(
        out["contents"][0]["parts"],
        json!([
            {"inlineData": {"mimeType": "audio/wav", "data": "AAAA"}},
            {"inlineData": {"mimeType": "application/pdf", "data": "JVBE"}},
            {"fileData": {"fileUri": "https://example.com/cat.png"}}
        ])
    );
    let paths: Vec<_> = losses.iter().map(|l| l.path.to_string()).collect();
    assert_eq!(
        paths,
        [
            "messages[0].content[1].name",
            "messages[0].content[2].detail",
            "messages[0].content[3]"
        ]
    );
}

#[test]
fn function_response_result_key_unwraps_and_wrapper_like_objects_are_wrapped() {
    let body = br#"{"contents":[
        {"role":"model","parts":[{"functionCall":{"name":"f","args":{}}}]},
        {"role":"user","parts":[{"functionResponse":{"name":"f","response":{"result":"sunny"}}}]}]}"#;
    let req = decode_req(body);
    let Block::ToolResult {
        call_id, content, ..
    } = &req.messages[1].content[0]
    else {
        panic!()
    };
    assert_eq!(call_id, "call_0");
    assert_eq!(content[0].as_text(), Some("sunny"));

    // A result that looks like a wrapper is wrapped again so it decodes to itself.
    let mut req = req.clone();
    req.messages[1].content[0] = Block::ToolResult {
        call_id: "call_0".into(),
        name: None,
        content: vec![Block::Text {
            text: r#"{"result":1}"#.into(),
        }],
        is_error: false,
    };
    let (out, _) = encode_req(&req);
    let resp = &out["contents"][1]["parts"][0]["functionResponse"];
    assert_eq!(resp["name"], "f");
    assert_eq!(resp["response"], json!({"output": {"result": 1}}));
    let body = serde_json::to_vec(&out).unwrap();
    let again = decode_req(&body);
    let Block::ToolResult { content, .. } = &again.messages[1].content[0] else {
        panic!()
    };
    json_eq(content[0].as_text().unwrap(), json!({"result": 1}));
}
