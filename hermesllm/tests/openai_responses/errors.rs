//! Bad input and error bodies.

use hermesllm::ir::{ApiError, ErrorKind};
use hermesllm::openai_responses::StreamDecoder;
use hermesllm::openai_responses::{decode_error, decode_request, decode_response, encode_error};
use hermesllm::stream::{Frame, StreamDecode};
use hermesllm::{Api, DecodeError};
use serde_json::Value;

use super::common::*;

// ---------------------------------------------------------------- bad input

#[test]
fn bad_requests_are_decode_errors() {
    let cases: [(&[u8], &str); 11] = [
        (b"{", "invalid JSON"),
        (b"[]", "invalid JSON"),
        (br#"{"model": 5, "input": "x"}"#, "model"),
        (br#"{"input": "x"}"#, "model"),
        (
            br#"{"model":"m","input":[{"role":"robot","content":"x"}]}"#,
            "input[0].role",
        ),
        (
            br#"{"model":"m","input":[{"role":"user"}]}"#,
            "input[0].content",
        ),
        (
            br#"{"model":"m","input":[{"type":"function_call","name":"f","arguments":"{}"}]}"#,
            "input[0].call_id",
        ),
        (
            br#"{"model":"m","input":[{"type":"function_call_output","call_id":"c"}]}"#,
            "input[0].output",
        ),
        (
            br#"{"model":"m","input":"x","reasoning":{"effort":"extreme"}}"#,
            "reasoning.effort",
        ),
        (
            br#"{"model":"m","input":"x","text":{"format":{"type":"yaml"}}}"#,
            "text.format.type",
        ),
        (
            br#"{"model":"m","input":[{"role":"user","content":[{"type":"input_image"}]}]}"#,
            "input[0].content[0]",
        ),
    ];
    for (body, needle) in cases {
        let err = decode_request(body, &meta()).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains(needle),
            "{}: {msg}",
            String::from_utf8_lossy(body)
        );
    }
    let err = decode_request(br#"{"model":"m","temperature":"hot"}"#, &meta()).unwrap_err();
    assert!(
        matches!(err, DecodeError::Json { path: Some(ref p), .. } if p == "temperature"),
        "{err:?}"
    );
    let err =
        decode_request(br#"{"model":"m","tools":[{"type":"function"}]}"#, &meta()).unwrap_err();
    assert!(err.to_string().contains("tools[0].name"), "{err}");
}

#[test]
fn bad_responses_are_decode_errors() {
    assert!(decode_response(b"not json").is_err());
    assert!(decode_response(br#"{"output": 3}"#).is_err());
    let err = decode_response(br#"{"id":"r","output":[{"type":"function_call","name":"f"}]}"#)
        .unwrap_err();
    assert!(err.to_string().contains("output[0].call_id"), "{err}");
}

#[test]
fn unreadable_error_bodies_become_the_message() {
    let e = decode_error(502, b"<html>Bad Gateway</html>\n");
    assert_eq!(e.kind, ErrorKind::Server);
    assert_eq!(e.message, "<html>Bad Gateway</html>");
    let e = decode_error(429, b"");
    assert_eq!(e.kind, ErrorKind::RateLimit);
    let e = decode_error(
        0,
        br#"{"error":{"message":"slow down","code":"rate_limit_exceeded"}}"#,
    );
    assert_eq!((e.kind, e.status), (ErrorKind::RateLimit, 429));
    let e = decode_error(400, br#"{"error":{"message":"m","code":1234}}"#);
    assert_eq!(e.code.as_deref(), Some("1234"));
    let e = decode_error(400, &[0xff, 0xfe]);
    assert_eq!(e.kind, ErrorKind::InvalidRequest);
}

#[test]
fn encode_error_shapes_per_kind() {
    let cases = [
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
            ErrorKind::RateLimit,
            "rate_limit_error",
            "rate_limit_exceeded".into(),
        ),
        (
            ErrorKind::Overloaded,
            "server_error",
            "server_is_overloaded".into(),
        ),
        (ErrorKind::Server, "server_error", Value::Null),
    ];
    for (kind, ty, code) in cases {
        let out = json(&encode_error(&ApiError::new(kind, "oops")));
        assert_eq!(
            out,
            serde_json::json!({"error":{"message":"oops","type":ty,"param":null,"code":code}}),
            "{kind:?}"
        );
    }
    // Another API's code is not an OpenAI code.
    let mut e = ApiError::new(ErrorKind::Overloaded, "Overloaded");
    e.code = Some("overloaded_error".into());
    e.origin = Some(Api::AnthropicMessages);
    let out = json(&encode_error(&e));
    assert_eq!(out["error"]["code"], "server_is_overloaded");
}

#[test]
fn truncated_and_mangled_inputs_never_panic() {
    for kind in ["requests", "responses", "errors"] {
        for (name, body) in fixtures(kind) {
            for cut in (0..body.len()).step_by(7) {
                let part = &body[..cut];
                let _ = decode_request(part, &meta());
                let _ = decode_response(part);
                let e = decode_error(400, part);
                assert_eq!(e.status, 400, "{name}");
            }
        }
    }
    for (_, body) in fixtures("streams") {
        let text = String::from_utf8(body).unwrap();
        let mut dec = StreamDecoder::new();
        for (event, data) in sse_events(&text) {
            for cut in (0..data.len()).step_by(13) {
                let Some(d) = data.get(..cut) else { continue };
                let _ = dec.decode(
                    &Frame::Sse {
                        event: &event,
                        data: d,
                    },
                    &mut |_| {},
                );
            }
        }
        dec.finish(&mut |_| {});
    }
}

#[test]
fn wrong_types_inside_items_name_the_item() {
    let err = decode_request(
        br#"{"model":"m","input":[{"role":"user","content":5}]}"#,
        &meta(),
    )
    .unwrap_err();
    assert!(
        matches!(err, DecodeError::Json { path: Some(ref p), .. } if p == "input[0]"),
        "{err:?}"
    );
    let err = decode_request(
        br#"{"model":"m","input":"x","tools":[{"type":"function","name":7}]}"#,
        &meta(),
    )
    .unwrap_err();
    assert!(
        matches!(err, DecodeError::Json { path: Some(ref p), .. } if p == "tools[0]"),
        "{err:?}"
    );
    // Out-of-range numbers are errors too.
    assert!(decode_request(br#"{"model":"m","max_output_tokens":-1}"#, &meta()).is_err());
}
