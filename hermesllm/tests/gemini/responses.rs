//! Responses: fixtures, round trips, stop reasons, usage.

use hermesllm::gemini;
use hermesllm::ir::{self, Block, StopReason, Usage};
use hermesllm::{Api, LossKind, Losses, ResponseMeta};
use serde_json::{Value, json};

use super::common::*;

#[test]
fn every_response_fixture_round_trips_without_loss() {
    let all = fixtures("responses");
    assert!(all.len() >= 8, "{} response fixtures", all.len());
    for (name, body) in &all {
        let resp = gemini::decode_response(body).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!resp.choices.is_empty(), "{name}");
        assert!(resp.usage.is_some(), "{name}");
        let mut losses = Losses::default();
        let out = gemini::encode_response(&resp, &ResponseMeta::default(), &mut losses).unwrap();
        assert!(losses.is_empty(), "{name}: {losses:?}");
        let again = gemini::decode_response(&out)
            .unwrap_or_else(|e| panic!("{name}: {e}\n{}", String::from_utf8_lossy(&out)));
        assert_eq!(resp, again, "{name}\n{}", String::from_utf8_lossy(&out));
    }
}

// ---------------------------------------------------------------- responses

#[test]
fn stop_reasons_decode() {
    let cases = [
        ("text.json", StopReason::EndTurn),
        ("tool_call.json", StopReason::ToolUse),
        ("parallel_tool_calls.json", StopReason::ToolUse),
        ("max_tokens.json", StopReason::MaxTokens),
        ("safety.json", StopReason::ContentFilter),
        ("recitation.json", StopReason::ContentFilter),
        ("prompt_blocked.json", StopReason::ContentFilter),
        (
            "malformed_function_call.json",
            StopReason::Other("MALFORMED_FUNCTION_CALL".into()),
        ),
    ];
    for (name, reason) in cases {
        let body = fixture("responses", name);
        let resp = gemini::decode_response(&body).unwrap();
        assert_eq!(resp.choices[0].stop_reason, Some(reason), "{name}");
    }
}

#[test]
fn stop_reasons_encode() {
    let cases = [
        (StopReason::EndTurn, "STOP", None),
        (StopReason::ToolUse, "STOP", None),
        (StopReason::StopSequence, "STOP", None),
        (StopReason::MaxTokens, "MAX_TOKENS", None),
        (StopReason::ContentFilter, "SAFETY", None),
        (StopReason::Refusal, "SAFETY", Some(LossKind::Approximated)),
        (StopReason::PauseTurn, "OTHER", Some(LossKind::Approximated)),
        (
            StopReason::ContextWindowExceeded,
            "MAX_TOKENS",
            Some(LossKind::Approximated),
        ),
        (StopReason::Other("LANGUAGE".into()), "LANGUAGE", None),
        (
            StopReason::Other("weird".into()),
            "OTHER",
            Some(LossKind::Approximated),
        ),
    ];
    for (reason, wire, loss) in cases {
        let resp = ir::Response {
            choices: vec![ir::Choice {
                content: vec![text("x")],
                stop_reason: Some(reason.clone()),
                ..Default::default()
            }],
            ..Default::default()
        };
        let mut losses = Losses::default();
        let out = gemini::encode_response(&resp, &ResponseMeta::default(), &mut losses).unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["candidates"][0]["finishReason"], wire, "{reason:?}");
        assert_eq!(losses.iter().next().map(|l| l.kind), loss, "{reason:?}");
    }
}

#[test]
fn response_content_ids_and_metadata() {
    let body = fixture("responses", "parallel_tool_calls.json");
    let resp = gemini::decode_response(&body).unwrap();
    assert_eq!(resp.id, "xq8YaO2bN9Kzz7IPnI6l-Ak");
    assert_eq!(resp.model, "gemini-2.5-flash");
    let ids: Vec<_> = resp.choices[0]
        .content
        .iter()
        .map(|b| match b {
            Block::ToolCall { id, .. } => id.to_string(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ids, ["call_0", "call_1", "fc_dim_01"]);

    let body = fixture("responses", "thinking.json");
    let resp = gemini::decode_response(&body).unwrap();
    let c = &resp.choices[0].content;
    assert!(
        matches!(&c[0], Block::Thinking { signature: None, text, .. } if text.starts_with("**Analyzing"))
    );
    assert!(matches!(&c[1], Block::Thinking { signature: Some(_), text, .. } if text.is_empty()));
    assert_eq!(c[2], text("2 + 2 = 4."));

    let body = fixture("responses", "multiple_candidates.json");
    let resp = gemini::decode_response(&body).unwrap();
    assert_eq!(resp.choices.len(), 2);
    assert_eq!(resp.choices[1].content, vec![text("Morning mist rises")]);

    let body = fixture("responses", "prompt_blocked.json");
    let resp = gemini::decode_response(&body).unwrap();
    assert_eq!(resp.extra.fields[0].0, "promptFeedback");
    assert!(resp.choices[0].content.is_empty());
}

#[test]
fn response_encoding_uses_meta_and_drops_foreign_signatures() {
    let resp = ir::Response {
        choices: vec![ir::Choice {
            content: vec![
                Block::Thinking {
                    text: "Let me think.".into(),
                    signature: Some("EqQB".into()),
                    id: None,
                    origin: Api::AnthropicMessages,
                },
                text("Hi!"),
                Block::ToolCall {
                    id: "toolu_9".into(),
                    name: "f".into(),
                    arguments: "".into(),
                    kind: ir::ToolCallKind::Function,
                },
            ],
            stop_reason: Some(StopReason::ToolUse),
            stop_sequence: None,
            logprobs: None,
        }],
        system_fingerprint: Some("fp_1".into()),
        ..Default::default()
    };
    let meta = ResponseMeta {
        id: "resp-123".into(),
        created: 1_700_000_000,
        model: "claude-sonnet-4-5".into(),
    };
    let mut losses = Losses::default();
    let out = gemini::encode_response(&resp, &meta, &mut losses).unwrap();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["responseId"], "resp-123");
    assert_eq!(v["modelVersion"], "claude-sonnet-4-5");
    assert_eq!(
        v["candidates"][0]["content"],
        json!({"role": "model", "parts": [
            {"text": "Let me think.", "thought": true},
            {"text": "Hi!"},
            {"functionCall": {"id": "toolu_9", "name": "f", "args": {}}}
        ]})
    );
    let paths: Vec<_> = losses.iter().map(|l| l.path.to_string()).collect();
    assert_eq!(
        paths,
        ["system_fingerprint", "choices[0].content[0].signature"]
    );
}

#[test]
fn usage_decodes_normalised() {
    let body = fixture("responses", "usage_cache.json");
    let u = gemini::decode_response(&body).unwrap().usage.unwrap();
    assert_eq!(
        u,
        Usage {
            input_tokens: 48362,
            output_tokens: 338,
            cache_read_input_tokens: 48000,
            cache_write_input_tokens: 0,
            reasoning_tokens: 323
        }
    );
    assert_eq!(u.total_tokens(), 48700, "matches totalTokenCount");
    let body = fixture("responses", "thinking.json");
    let u = gemini::decode_response(&body).unwrap().usage.unwrap();
    assert_eq!(
        (u.input_tokens, u.output_tokens, u.reasoning_tokens),
        (12, 174, 166)
    );
    assert_eq!(u.total_tokens(), 186);
}

#[test]
fn usage_encodes_denormalised() {
    let resp = ir::Response {
        choices: vec![ir::Choice {
            content: vec![text("x")],
            stop_reason: Some(StopReason::EndTurn),
            ..Default::default()
        }],
        usage: Some(Usage {
            input_tokens: 100,
            output_tokens: 50,
            cache_read_input_tokens: 30,
            cache_write_input_tokens: 10,
            reasoning_tokens: 20,
        }),
        ..Default::default()
    };
    let mut losses = Losses::default();
    let out = gemini::encode_response(&resp, &ResponseMeta::default(), &mut losses).unwrap();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        v["usageMetadata"],
        json!({"promptTokenCount": 100, "candidatesTokenCount": 30, "cachedContentTokenCount": 30, "thoughtsTokenCount": 20, "totalTokenCount": 150})
    );
    assert_eq!(
        losses
            .iter()
            .map(|l| l.path.to_string())
            .collect::<Vec<_>>(),
        ["usage.cache_write_input_tokens"]
    );
}
