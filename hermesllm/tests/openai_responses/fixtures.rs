//! Every request, response and error fixture decodes and round trips.

use hermesllm::ir::ErrorKind;
use hermesllm::openai_responses::{
    decode_error, decode_request, decode_response, encode_error, encode_request, encode_response,
};
use hermesllm::{Api, Losses};
use serde_json::Value;

use super::common::*;

// ---------------------------------------------------------------- fixtures

#[test]
fn request_fixtures_decode_and_round_trip() {
    let all = fixtures("requests");
    assert!(all.len() >= 12, "{} request fixtures", all.len());
    for (name, body) in &all {
        let ir = decode_request(body, &meta()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!ir.model.is_empty(), "{name}");
        let mut losses = Losses::default();
        let out = encode_request(&ir, &mut losses).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(losses.is_empty(), "{name}: {losses:?}");
        let again = decode_request(&out, &meta())
            .unwrap_or_else(|e| panic!("{name}: {e}\n{}", String::from_utf8_lossy(&out)));
        assert_eq!(ir, again, "{name}\n{}", String::from_utf8_lossy(&out));
    }
}

#[test]
fn response_fixtures_decode_and_round_trip() {
    let all = fixtures("responses");
    assert!(all.len() >= 8, "{} response fixtures", all.len());
    for (name, body) in &all {
        let ir = decode_response(body).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(ir.choices.len(), 1, "{name}");
        assert!(ir.usage.is_some(), "{name}");
        let mut losses = Losses::default();
        let out = encode_response(&ir, &resp_meta(), &mut losses).unwrap();
        assert!(losses.is_empty(), "{name}: {losses:?}");
        let again = decode_response(&out)
            .unwrap_or_else(|e| panic!("{name}: {e}\n{}", String::from_utf8_lossy(&out)));
        // Item ids of messages and function calls are not part of the IR; everything else is.
        assert_eq!(ir, again, "{name}\n{}", String::from_utf8_lossy(&out));
    }
}

#[test]
fn error_fixtures_decode_to_their_kind() {
    let expected = [
        (
            "invalid_api_key.401.json",
            ErrorKind::Authentication,
            Some("invalid_api_key"),
        ),
        (
            "invalid_request.400.json",
            ErrorKind::InvalidRequest,
            Some("invalid_type"),
        ),
        (
            "not_found.404.json",
            ErrorKind::NotFound,
            Some("model_not_found"),
        ),
        (
            "overloaded.503.json",
            ErrorKind::Overloaded,
            Some("server_is_overloaded"),
        ),
        (
            "rate_limit.429.json",
            ErrorKind::RateLimit,
            Some("rate_limit_exceeded"),
        ),
        ("server_error.500.json", ErrorKind::Server, None),
    ];
    let all = fixtures("errors");
    assert_eq!(all.len(), expected.len());
    for ((name, body), (ename, kind, code)) in all.iter().zip(expected) {
        assert_eq!(name, ename);
        let status: u16 = name.split('.').nth(1).unwrap().parse().unwrap();
        let err = decode_error(status, body);
        assert_eq!(err.kind, kind, "{name}");
        assert_eq!(err.status, status, "{name}");
        assert_eq!(err.code.as_deref(), code, "{name}");
        assert_eq!(err.origin, Some(Api::OpenAiResponses));
        assert!(!err.message.is_empty());
        // Re-encoded in the OpenAI shape with the same message and code.
        let out = json(&encode_error(&err));
        assert_eq!(out["error"]["message"], *err.message);
        assert_eq!(out["error"]["code"], code.map_or(Value::Null, Value::from));
        assert!(out["error"]["type"].is_string());
        assert!(out["error"].get("param").is_some());
    }
    let body = fixture("errors", "invalid_request.400.json");
    let param = decode_error(400, &body);
    assert_eq!(param.param.as_deref(), Some("input[0].content"));
}
