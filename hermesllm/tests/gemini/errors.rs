//! Bad input and error bodies.

use hermesllm::gemini;
use hermesllm::ir::{ApiError, ErrorKind};
use hermesllm::{Api, DecodeError};
use serde_json::{Value, json};

use super::common::*;

// ---------------------------------------------------------------- bad input

#[test]
fn bad_requests_are_decode_errors() {
    let cases: &[(&str, &str)] = &[
        ("{", ""),
        ("[]", ""),
        (r#"{"contents":{}}"#, "contents"),
        (r#"{"contents":[]}"#, "contents"),
        (
            r#"{"contents":[{"role":"assistant","parts":[{"text":"x"}]}]}"#,
            "contents[0].role",
        ),
        (
            r#"{"contents":[{"parts":[{"text":5}]}]}"#,
            "contents[0].parts[0]",
        ),
        (
            r#"{"contents":[{"role":"model","parts":[{"functionCall":{"args":{}}}]}]}"#,
            "contents[0].parts[0].functionCall.name",
        ),
        (
            r#"{"contents":[{"parts":[{"functionResponse":{"response":{}}}]}]}"#,
            "contents[0].parts[0].functionResponse.name",
        ),
        (
            r#"{"systemInstruction":{"parts":[{"inlineData":{"mimeType":"image/png","data":"AA"}}]},"contents":[{"parts":[{"text":"x"}]}]}"#,
            "systemInstruction.parts[0]",
        ),
        (
            r#"{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"temperature":"hot"}}"#,
            "generationConfig.temperature",
        ),
        (
            r#"{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"thinkingConfig":{"thinkingLevel":"extreme"}}}"#,
            "thinkingLevel",
        ),
        (
            r#"{"contents":[{"parts":[{"text":"x"}]}],"toolConfig":{"functionCallingConfig":{"mode":"SOMETIMES"}}}"#,
            "functionCallingConfig.mode",
        ),
        (
            r#"{"contents":[{"parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[{"description":"no name"}]}]}"#,
            "tools[0].functionDeclarations[0].name",
        ),
        (
            r#"{"contents":[{"parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":"nope"}]}"#,
            "tools[0]",
        ),
    ];
    for (body, path) in cases {
        let err = gemini::decode_request(body.as_bytes(), &meta()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(path), "{body}: {msg}");
        let api = err.to_api_error();
        assert_eq!(api.kind, ErrorKind::InvalidRequest);
    }
}

#[test]
fn bad_responses_are_decode_errors() {
    for body in [
        "",
        "nope",
        r#"{"candidates":{}}"#,
        r#"{"candidates":[{"content":{"parts":[{"functionCall":{"args":{}}}]}}]}"#,
        r#"{"usageMetadata":{"promptTokenCount":-1}}"#,
    ] {
        let err = gemini::decode_response(body.as_bytes()).unwrap_err();
        assert!(
            matches!(err, DecodeError::Json { .. } | DecodeError::Invalid { .. }),
            "{body}: {err:?}"
        );
    }
}

// ---------------------------------------------------------------- errors

#[test]
fn error_fixtures_decode_to_their_kind() {
    let expected = [
        (
            "api_key_invalid.400.json",
            ErrorKind::Authentication,
            "INVALID_ARGUMENT",
        ),
        (
            "deadline_exceeded.504.json",
            ErrorKind::Timeout,
            "DEADLINE_EXCEEDED",
        ),
        ("internal.500.json", ErrorKind::Server, "INTERNAL"),
        (
            "invalid_argument.400.json",
            ErrorKind::InvalidRequest,
            "INVALID_ARGUMENT",
        ),
        ("not_found.404.json", ErrorKind::NotFound, "NOT_FOUND"),
        (
            "permission_denied.403.json",
            ErrorKind::PermissionDenied,
            "PERMISSION_DENIED",
        ),
        (
            "resource_exhausted.429.json",
            ErrorKind::RateLimit,
            "RESOURCE_EXHAUSTED",
        ),
        (
            "unauthenticated.401.json",
            ErrorKind::Authentication,
            "UNAUTHENTICATED",
        ),
        ("unavailable.503.json", ErrorKind::Overloaded, "UNAVAILABLE"),
    ];
    let all = fixtures("errors");
    assert_eq!(all.len(), expected.len());
    for ((name, body), (exp_name, kind, code)) in all.iter().zip(expected) {
        assert_eq!(name, exp_name);
        let status: u16 = name.split('.').nth(1).unwrap().parse().unwrap();
        let err = gemini::decode_error(status, body);
        assert_eq!(err.kind, kind, "{name}");
        assert_eq!(err.status, status);
        assert_eq!(err.code.as_deref(), Some(code));
        assert_eq!(err.origin, Some(Api::Gemini));
        assert!(!err.message.is_empty());
        // Same-API rendering keeps the canonical status.
        let out: Value = serde_json::from_slice(&gemini::encode_error(&err)).unwrap();
        assert_eq!(out["error"]["status"], code, "{name}");
        assert_eq!(out["error"]["code"], status);
        assert_eq!(out["error"]["message"], err.message.as_str());
    }
}

#[test]
fn encode_error_shape_for_every_kind() {
    let cases = [
        (ErrorKind::InvalidRequest, 400, "INVALID_ARGUMENT"),
        (ErrorKind::Authentication, 401, "UNAUTHENTICATED"),
        (ErrorKind::PermissionDenied, 403, "PERMISSION_DENIED"),
        (ErrorKind::NotFound, 404, "NOT_FOUND"),
        (ErrorKind::RequestTooLarge, 413, "INVALID_ARGUMENT"),
        (ErrorKind::Unprocessable, 422, "INVALID_ARGUMENT"),
        (ErrorKind::RateLimit, 429, "RESOURCE_EXHAUSTED"),
        (ErrorKind::Overloaded, 503, "UNAVAILABLE"),
        (ErrorKind::Timeout, 504, "DEADLINE_EXCEEDED"),
        (ErrorKind::Server, 500, "INTERNAL"),
    ];
    for (kind, status, canonical) in cases {
        let mut err = ApiError::new(kind, "boom");
        err.origin = Some(Api::AnthropicMessages);
        err.code = Some("overloaded_error".into());
        let out: Value = serde_json::from_slice(&gemini::encode_error(&err)).unwrap();
        assert_eq!(
            out,
            json!({"error": {"code": status, "message": "boom", "status": canonical}})
        );
        // And back.
        let back = gemini::decode_error(status, &gemini::encode_error(&err)).kind;
        let expect = match kind {
            ErrorKind::RequestTooLarge | ErrorKind::Unprocessable => ErrorKind::InvalidRequest,
            k => k,
        };
        assert_eq!(back, expect);
    }
}

#[test]
fn unreadable_and_wrapped_error_bodies() {
    let err = gemini::decode_error(502, b"<html>Bad Gateway</html>");
    assert_eq!(
        (err.kind, err.status, err.message.as_str()),
        (ErrorKind::Server, 502, "<html>Bad Gateway</html>")
    );
    let err = gemini::decode_error(503, b"");
    assert_eq!(err.kind, ErrorKind::Overloaded);
    let err = gemini::decode_error(429, b"\xff\xfe");
    assert_eq!(err.kind, ErrorKind::RateLimit);
    let err = gemini::decode_error(
        400,
        br#"[{"error":{"code":400,"message":"bad","status":"FAILED_PRECONDITION"}}]"#,
    );
    assert_eq!(
        (err.kind, err.message.as_str()),
        (ErrorKind::InvalidRequest, "bad")
    );
}

#[test]
fn truncated_and_mangled_bodies_never_panic() {
    let meta = super::common::meta();
    for kind in ["requests", "responses", "errors"] {
        for (name, body) in super::common::fixtures(kind) {
            // Every prefix (in steps, to stay fast in debug builds) and a few byte flips.
            let len = body.trim_ascii_end().len();
            for end in (0..len).step_by(5) {
                let cut = body.get(..end).unwrap();
                assert!(
                    gemini::decode_request(cut, &meta).is_err(),
                    "{name} cut at {end}"
                );
                assert!(gemini::decode_response(cut).is_err(), "{name} cut at {end}");
                let _ = gemini::decode_error(400, cut);
            }
            for at in (0..body.len()).step_by(13) {
                let mut flipped = body.clone();
                flipped[at] = b'"';
                let _ = gemini::decode_request(&flipped, &meta);
                let _ = gemini::decode_response(&flipped);
                let _ = gemini::decode_error(500, &flipped);
            }
        }
    }
}
