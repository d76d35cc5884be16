//! Bad input and error bodies.

use hermesllm::Api;
use hermesllm::ir::{self, ErrorKind};
use hermesllm::openai_chat as oc;
use serde_json::Value;

use super::common::*;

#[test]
fn bad_requests_are_decode_errors() {
    let cases: &[(&str, &[u8])] = &[
        ("invalid json", b"{\"model\":"),
        ("not an object", b"[1,2]"),
        ("empty", b""),
        (
            "messages wrong type",
            br#"{"model":"m","messages":"hello"}"#,
        ),
        (
            "temperature wrong type",
            br#"{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"}"#,
        ),
        ("no messages", br#"{"model":"m"}"#),
        ("empty messages", br#"{"model":"m","messages":[]}"#),
        (
            "unknown role",
            br#"{"model":"m","messages":[{"role":"robot","content":"x"}]}"#,
        ),
        (
            "user without content",
            br#"{"model":"m","messages":[{"role":"user"}]}"#,
        ),
        (
            "tool without id",
            br#"{"model":"m","messages":[{"role":"tool","content":"x"}]}"#,
        ),
        (
            "unknown part",
            br#"{"model":"m","messages":[{"role":"user","content":[{"type":"video","video":{}}]}]}"#,
        ),
        (
            "image without url object",
            br#"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url"}]}]}"#,
        ),
        (
            "content number",
            br#"{"model":"m","messages":[{"role":"user","content":5}]}"#,
        ),
        (
            "bad tool choice",
            br#"{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"always"}"#,
        ),
        (
            "bad tool type",
            br#"{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"web_search"}]}"#,
        ),
        (
            "tool call without id",
            br#"{"model":"m","messages":[{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"f","arguments":"{}"}}]}]}"#,
        ),
        (
            "assistant without content",
            br#"{"model":"m","messages":[{"role":"assistant"}]}"#,
        ),
        (
            "bad response format",
            br#"{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"yaml"}}"#,
        ),
    ];
    for (what, body) in cases {
        let err = oc::decode_request(body, &meta())
            .err()
            .unwrap_or_else(|| panic!("{what}: accepted"));
        assert_eq!(err.to_api_error().kind, ErrorKind::InvalidRequest, "{what}");
    }
    let err = oc::decode_request(
        br#"{"model":"m","messages":[{"role":"user","content":"x"},{"role":"user","content":[{"type":"text","text":1}]}]}"#,
        &meta(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("messages[1]"), "{err}");
}

#[test]
fn bad_responses_are_decode_errors() {
    for body in [
        &b"not json"[..],
        br#"{"choices":"x"}"#,
        br#"{"choices":[{"message":{"content":7}}]}"#,
        br#"{"usage":{"prompt_tokens":"many"}}"#,
    ] {
        assert!(oc::decode_response(body).is_err());
    }
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

#[test]
fn every_error_fixture_decodes_to_its_kind() {
    let all = fixtures("errors");
    assert!(all.len() >= 4);
    for (name, body) in &all {
        let status: u16 = name.split('.').nth(1).unwrap().parse().unwrap();
        let e = oc::decode_error(status, body);
        assert_eq!(e.status, status, "{name}");
        assert_eq!(e.kind, ErrorKind::from_status(status), "{name}");
        assert_eq!(e.origin, Some(Api::OpenAiChat));
        let v = json(body);
        assert_eq!(e.message, v["error"]["message"].as_str().unwrap(), "{name}");
        assert_eq!(e.code.as_deref(), v["error"]["code"].as_str(), "{name}");
        assert_eq!(e.param.as_deref(), v["error"]["param"].as_str(), "{name}");
        // Same-API rendering keeps the message, param and code.
        let out = json(&oc::encode_error(&e));
        assert_eq!(out["error"]["message"], v["error"]["message"]);
        assert_eq!(out["error"]["code"], v["error"]["code"]);
        assert_eq!(out["error"]["param"], v["error"]["param"]);
    }
    let body = fixture("errors", "invalid_api_key.401.json");
    assert_eq!(oc::decode_error(401, &body).kind, ErrorKind::Authentication);
    let body = fixture("errors", "overloaded.503.json");
    assert_eq!(oc::decode_error(503, &body).kind, ErrorKind::Overloaded);
}

#[test]
fn encode_error_shape_per_kind() {
    for (kind, ty, code) in [
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
            ErrorKind::RequestTooLarge,
            "invalid_request_error",
            "request_too_large".into(),
        ),
        (
            ErrorKind::RateLimit,
            "rate_limit_error",
            "rate_limit_exceeded".into(),
        ),
        (ErrorKind::Overloaded, "server_error", Value::Null),
        (ErrorKind::Timeout, "server_error", Value::Null),
        (ErrorKind::Server, "server_error", Value::Null),
    ] {
        let mut e = ir::ApiError::new(kind, "boom \"quoted\"");
        e.origin = Some(Api::AnthropicMessages);
        e.code = Some("overloaded_error".into());
        let v = json(&oc::encode_error(&e));
        assert_eq!(
            v,
            serde_json::json!({"error":{"message":"boom \"quoted\"","type":ty,"param":null,"code":code}}),
            "{kind:?}"
        );
    }
}

#[test]
fn unreadable_and_odd_error_bodies() {
    let e = oc::decode_error(502, b"<html>Bad Gateway</html>");
    assert_eq!(e.kind, ErrorKind::Server);
    assert_eq!(e.status, 502);
    assert_eq!(e.message, "<html>Bad Gateway</html>");
    let e = oc::decode_error(504, b"");
    assert_eq!(e.kind, ErrorKind::Timeout);
    assert_eq!(e.message, "upstream returned HTTP 504");
    let e = oc::decode_error(400, br#"{"error":"model is required"}"#);
    assert_eq!(e.message, "model is required");
    assert_eq!(e.kind, ErrorKind::InvalidRequest);
    let e = oc::decode_error(
        429,
        br#"{"error":{"message":"slow down","type":"rate_limit","code":1302}}"#,
    );
    assert_eq!(e.code.as_deref(), Some("1302"));
    assert_eq!(e.kind, ErrorKind::RateLimit);
    // Without an error status (an error inside a stream) the code and type decide.
    let e = oc::decode_error(
        200,
        br#"{"error":{"message":"quota","type":"insufficient_quota","code":"insufficient_quota"}}"#,
    );
    assert_eq!(e.kind, ErrorKind::RateLimit);
    assert_eq!(e.status, 429);
    let e = oc::decode_error(0, br#"{"error":{"message":"oops","type":"server_error"}}"#);
    assert_eq!(e.kind, ErrorKind::Server);
    let e = oc::decode_error(401, &[0xff, 0xfe, b'x']);
    assert_eq!(e.kind, ErrorKind::Authentication);
}

#[test]
fn gemini_openai_compat_errors_come_wrapped_in_an_array() {
    let body = br#"[{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}]"#;
    let e = oc::decode_error(400, body);
    assert_eq!(e.message, "API key not valid. Please pass a valid API key.");
    assert_eq!(e.code.as_deref(), Some("400"));
    assert_eq!(e.kind, ErrorKind::InvalidRequest);
    // Two envelopes are not that shape: the body stays the message.
    let two = br#"[{"error":"a"},{"error":"b"}]"#;
    assert_eq!(oc::decode_error(500, two).message.as_bytes(), two);
}

#[test]
fn same_api_errors_pass_unless_they_are_not_an_error_object() {
    use hermesllm::translate::translate_error;
    let own = br#"{"error":{"message":"bad","type":"invalid_request_error"}}"#;
    assert_eq!(
        translate_error(Api::OpenAiChat, Api::OpenAiChat, 400, own),
        own.to_vec()
    );
    for odd in [
        &br#"[{"error":{"code":400,"message":"API key not valid","status":"INVALID_ARGUMENT"}}]"#[..],
        b"<html>502 Bad Gateway</html>",
    ] {
        let out = translate_error(Api::OpenAiChat, Api::OpenAiChat, 400, odd);
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert!(v["error"]["message"].is_string(), "{v}");
    }
}
