//! Bad input and error bodies.

use hermesllm::anthropic_messages as am;
use hermesllm::ir::{self, Block, ErrorKind};
use hermesllm::stream::{Frame, StreamDecode};
use hermesllm::{Api, DecodeError, Losses, RequestMeta, ResponseMeta};

use super::common::*;

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
