//! Bad requests and error bodies.

use hermesllm::bedrock_converse as bc;
use hermesllm::ir::{self, ErrorKind};
use hermesllm::{Api, DecodeError, RequestMeta};
use serde_json::{Value, json};

use super::common::*;

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
