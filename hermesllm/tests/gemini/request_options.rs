//! Requests: thinking and generation config, with their losses.

use hermesllm::ir::{self, Block, Effort, Message, Reasoning, ResponseFormat, Role};
use hermesllm::{Api, LossKind, Raw, Str};
use serde_json::{Value, json};

use super::common::*;

// ---------------------------------------------------------------- thinking

#[test]
fn thinking_parts_and_signatures() {
    let body = fixture("requests", "thinking.json");
    let req = decode_req(&body);
    assert_eq!(
        req.reasoning,
        Some(Reasoning {
            enabled: Some(true),
            budget_tokens: Some(8192),
            include_thoughts: Some(true),
            ..Default::default()
        })
    );
    let c = &req.messages[1].content;
    assert_eq!(c.len(), 3);
    assert!(
        matches!(&c[0], Block::Thinking { text, signature: Some(s), origin: Api::Gemini, id: None }
        if text.starts_with("**Checking the flight**") && s.starts_with("CiQB"))
    );
    // The signature on the function call part becomes a signature-only block before it.
    assert!(
        matches!(&c[1], Block::Thinking { text, signature: Some(s), origin: Api::Gemini, .. }
        if text.is_empty() && s.starts_with("Cp4B"))
    );
    assert!(
        matches!(&c[2], Block::ToolCall { id, name, .. } if id == "call_0" && name == "check_flight")
    );
    let Block::ToolResult { call_id, .. } = &req.messages[2].content[0] else {
        panic!()
    };
    assert_eq!(call_id, "call_0");

    let (out, _) = encode_req(&req);
    let parts = &out["contents"][1]["parts"];
    assert_eq!(parts[0]["thought"], true);
    assert_eq!(parts[1]["functionCall"]["name"], "check_flight");
    assert!(
        parts[1]["thoughtSignature"]
            .as_str()
            .unwrap()
            .starts_with("Cp4B")
    );
    assert_eq!(parts.as_array().unwrap().len(), 2);
    assert_eq!(
        out["generationConfig"]["thinkingConfig"],
        json!({"includeThoughts": true, "thinkingBudget": 8192})
    );
}

#[test]
fn thinking_from_other_families_is_dropped_in_requests() {
    let req = ir::Request {
        messages: vec![
            Message::text(Role::User, "hi"),
            Message {
                role: Role::Assistant,
                content: vec![
                    Block::Thinking {
                        text: "hmm".into(),
                        signature: Some("EqQB".into()),
                        id: None,
                        origin: Api::AnthropicMessages,
                    },
                    Block::RedactedThinking {
                        data: "xyz".into(),
                        origin: Api::AnthropicMessages,
                    },
                    text("hello"),
                ],
                name: None,
            },
        ],
        ..Default::default()
    };
    let (out, losses) = encode_req(&req);
    assert_eq!(out["contents"][1]["parts"], json!([{"text": "hello"}]));
    let paths: Vec<_> = losses.iter().map(|l| l.path.to_string()).collect();
    assert_eq!(paths, ["messages[1].content[0]", "messages[1].content[1]"]);
}

#[test]
fn thinking_config_levels_budgets_and_effort() {
    let body = fixture("requests", "thinking_level.json");
    let r = decode_req(&body).reasoning.unwrap();
    assert_eq!(
        (r.effort, r.enabled, r.budget_tokens),
        (Some(Effort::Low), Some(true), None)
    );
    let body = fixture("requests", "thinking_disabled.json");
    assert_eq!(decode_req(&body).reasoning.unwrap().enabled, Some(false));
    let body = br#"{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"thinkingConfig":{"thinkingBudget":-1}}}"#;
    let r = decode_req(body).reasoning.unwrap();
    assert_eq!((r.enabled, r.budget_tokens), (Some(true), None));

    let with = |model: &'static str, reasoning: Reasoning<'static>| {
        let req = ir::Request {
            model: model.into(),
            messages: vec![Message::text(Role::User, "x")],
            reasoning: Some(reasoning),
            ..Default::default()
        };
        let (out, losses) = encode_req(&req);
        (out["generationConfig"]["thinkingConfig"].clone(), losses)
    };
    let effort = |e| Reasoning {
        effort: Some(e),
        ..Default::default()
    };
    assert_eq!(
        with("gemini-2.5-flash", effort(Effort::High)).0,
        json!({"thinkingBudget": 16384})
    );
    assert_eq!(
        with("gemini-3-pro-preview", effort(Effort::High)).0,
        json!({"thinkingLevel": "high"})
    );
    let (tc, losses) = with("gemini-3-pro-preview", effort(Effort::XHigh));
    assert_eq!(tc, json!({"thinkingLevel": "high"}));
    assert_eq!(losses.iter().next().unwrap().path, "reasoning.effort");
    assert_eq!(
        with("gemini-3-flash", effort(Effort::None)).0,
        json!({"thinkingBudget": 0})
    );
    let anthropic_style = Reasoning {
        enabled: Some(true),
        budget_tokens: Some(2000),
        ..Default::default()
    };
    assert_eq!(
        with("gemini-2.5-pro", anthropic_style).0,
        json!({"thinkingBudget": 2000})
    );
    let dynamic = Reasoning {
        enabled: Some(true),
        ..Default::default()
    };
    assert_eq!(
        with("gemini-2.5-pro", dynamic).0,
        json!({"thinkingBudget": -1})
    );
    let summary = Reasoning {
        effort: Some(Effort::Low),
        summary: Some("auto".into()),
        ..Default::default()
    };
    let (tc, losses) = with("gemini-2.5-pro", summary);
    assert_eq!(tc, json!({"includeThoughts": true, "thinkingBudget": 2048}));
    assert_eq!(losses.iter().next().unwrap().kind, LossKind::Approximated);
}

// ---------------------------------------------------------------- generation config

#[test]
fn response_format_both_ways() {
    let body = fixture("requests", "json_output.json");
    let req = decode_req(&body);
    let Some(ResponseFormat::JsonSchema {
        name,
        schema,
        strict,
        ..
    }) = &req.response_format
    else {
        panic!("{:?}", req.response_format)
    };
    assert_eq!((name, strict), (&None, &None));
    assert_eq!(
        serde_json::from_str::<Value>(schema.get()).unwrap()["items"]["required"],
        json!(["recipeName", "ingredients"])
    );

    let body = fixture("requests", "json_mode.json");
    assert_eq!(
        decode_req(&body).response_format,
        Some(ResponseFormat::JsonObject)
    );

    let schema = Raw::parse(r#"{"type":"object","properties":{"a":{"type":"string"}}}"#).unwrap();
    let req = ir::Request {
        messages: vec![Message::text(Role::User, "x")],
        response_format: Some(ResponseFormat::JsonSchema {
            name: Some("answer".into()),
            description: None,
            schema,
            strict: Some(true),
        }),
        ..Default::default()
    };
    let (out, losses) = encode_req(&req);
    assert_eq!(
        out["generationConfig"]["responseMimeType"],
        "application/json"
    );
    assert_eq!(
        out["generationConfig"]["responseJsonSchema"],
        json!({"type":"object","properties":{"a":{"type":"string"}}})
    );
    assert_eq!(
        losses
            .iter()
            .map(|l| l.path.to_string())
            .collect::<Vec<_>>(),
        ["response_format.name"]
    );

    // An enum MIME type is not a response format: it stays in extra with its schema.
    let body = br#"{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"responseMimeType":"text/x.enum","responseSchema":{"type":"STRING","enum":["a","b"]}}}"#;
    let req = decode_req(body);
    assert_eq!(req.response_format, None);
    let keys: Vec<_> = req.extra.fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "generationConfig.responseMimeType",
            "generationConfig.responseSchema"
        ]
    );
    let (out, _) = encode_req(&req);
    assert_eq!(out["generationConfig"]["responseMimeType"], "text/x.enum");
}

#[test]
fn sampling_parameters_and_stop_sequences() {
    let body = fixture("requests", "sampling.json");
    let req = decode_req(&body);
    let s = req.sampling;
    assert_eq!(
        (
            s.temperature,
            s.top_p,
            s.top_k,
            s.seed,
            s.presence_penalty,
            s.frequency_penalty
        ),
        (
            Some(1.0),
            Some(0.8),
            Some(10),
            Some(42),
            Some(0.5),
            Some(0.25)
        )
    );
    assert_eq!(req.stop, vec![Str::from("Title"), Str::from("THE END")]);
    assert_eq!(
        (req.max_output_tokens, req.n, req.logprobs, req.top_logprobs),
        (Some(800), Some(2), Some(true), Some(3))
    );
    let (out, _) = encode_req(&req);
    let gc = &out["generationConfig"];
    assert_eq!(gc["topK"], 10);
    assert_eq!(gc["stopSequences"], json!(["Title", "THE END"]));
    assert_eq!(gc["candidateCount"], 2);
    assert_eq!(gc["logprobs"], 3);
}

#[test]
fn extra_fields_kept_for_gemini_and_lost_elsewhere() {
    let body = fixture("requests", "extra_fields.json");
    let req = decode_req(&body);
    assert_eq!(req.extra.api, Some(Api::Gemini));
    let keys: Vec<_> = req.extra.fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "cachedContent",
            "labels",
            "toolConfig.retrievalConfig",
            "generationConfig.responseModalities",
            "generationConfig.mediaResolution"
        ]
    );
    assert!(
        req.safety_settings
            .unwrap()
            .get()
            .contains("HARM_CATEGORY_HARASSMENT")
    );
    assert_eq!(req.tool_choice, None);
    let (out, losses) = encode_req(&req);
    assert!(losses.is_empty());
    assert_eq!(out["cachedContent"], "cachedContents/a1b2c3d4e5f6");
    assert_eq!(out["labels"], json!({"team": "research"}));
    assert_eq!(
        out["toolConfig"]["retrievalConfig"]["latLng"]["latitude"],
        37.422
    );
    assert_eq!(
        out["generationConfig"]["responseModalities"],
        json!(["TEXT"])
    );
    assert_eq!(out["generationConfig"]["temperature"], 0.2);
    assert_eq!(
        out["safetySettings"][1]["threshold"],
        "BLOCK_MEDIUM_AND_ABOVE"
    );

    // The same fields coming from another API are reported, not written.
    let mut other = req.clone();
    other.extra.api = Some(Api::OpenAiChat);
    let (out, losses) = encode_req(&other);
    assert!(out.get("cachedContent").is_none());
    assert_eq!(losses.0.len(), 5);
    assert_eq!(losses.0[0].path, "cachedContent");
}
