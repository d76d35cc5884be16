//! Every error kind rendered in each of the five client APIs: status, headers, a body that
//! parses as that API's error and decodes back (with hermesllm) to the same kind.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use hermesllm::ir::ErrorKind;
use hermesllm::{Api, DecodeError, EncodeError, RequestMeta, translate};
use plano_core::error::{
    ExchangeError, Fault, GatewayError, RequestError, RetryType, UpstreamError,
};
use plano_core::kv::KvError;
use serde_json::Value;

const SECRET: &str = "sk-proj-Zx81kQ0vPq27LmN5rT3y";

struct Case {
    name: &'static str,
    err: ExchangeError,
    status: u16,
    kind: ErrorKind,
    fault: Fault,
    retry: RetryType,
    retry_after: Option<&'static str>,
}

fn upstream(api: Api, status: u16, body: &str, retry_after_ms: Option<u64>) -> ExchangeError {
    UpstreamError::Status {
        api,
        status,
        body: body.as_bytes().to_vec(),
        retry_after_ms,
    }
    .into()
}

fn invalid_json() -> DecodeError {
    translate::decode_request(Api::OpenAiChat, b"{\"model\": ", &RequestMeta::default())
        .unwrap_err()
}

fn cases() -> Vec<Case> {
    use ErrorKind as K;
    use Fault::{Client, Gateway, Upstream};
    use RetryType::{Never, OtherUpstream, Transient};
    let c = |name, err, status, kind, fault, retry, retry_after| Case {
        name,
        err,
        status,
        kind,
        fault,
        retry,
        retry_after,
    };
    vec![
        c(
            "body_too_large",
            RequestError::BodyTooLarge { limit: 1_048_576 }.into(),
            413,
            K::RequestTooLarge,
            Client,
            Never,
            None,
        ),
        c(
            "invalid_json",
            RequestError::InvalidBody(invalid_json()).into(),
            400,
            K::InvalidRequest,
            Client,
            Never,
            None,
        ),
        c(
            "unsupported",
            RequestError::Unsupported(EncodeError::unsupported(
                "messages[0].content[1]",
                "audio input is not supported",
            ))
            .into(),
            400,
            K::InvalidRequest,
            Client,
            Never,
            None,
        ),
        c(
            "unknown_model",
            RequestError::UnknownModel {
                model: "gpt-9".into(),
            }
            .into(),
            404,
            K::NotFound,
            Client,
            Never,
            None,
        ),
        c(
            "missing_credentials",
            RequestError::MissingCredentials {
                header: "authorization",
            }
            .into(),
            401,
            K::Authentication,
            Client,
            Never,
            None,
        ),
        c(
            "rate_limited",
            RequestError::RateLimited {
                model: "gpt-4o".into(),
                retry_after_ms: 1_500,
            }
            .into(),
            429,
            K::RateLimit,
            Client,
            Never,
            Some("2"),
        ),
        c(
            "upstream_openai_429",
            upstream(
                Api::OpenAiChat,
                429,
                r#"{"error":{"message":"Rate limit reached for gpt-4o","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#,
                Some(3_000),
            ),
            429,
            K::RateLimit,
            Upstream,
            Transient,
            Some("3"),
        ),
        c(
            "upstream_anthropic_529",
            upstream(
                Api::AnthropicMessages,
                529,
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
                None,
            ),
            529,
            K::Overloaded,
            Upstream,
            Transient,
            None,
        ),
        c(
            "upstream_bedrock_400",
            upstream(
                Api::BedrockConverse,
                400,
                r#"{"message":"The provided model identifier is invalid.","__type":"ValidationException"}"#,
                None,
            ),
            400,
            K::InvalidRequest,
            Client,
            Never,
            None,
        ),
        c(
            "upstream_gemini_401",
            upstream(
                Api::Gemini,
                401,
                r#"{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}"#,
                None,
            ),
            401,
            K::Authentication,
            Gateway,
            OtherUpstream,
            None,
        ),
        c(
            "upstream_responses_500",
            upstream(
                Api::OpenAiResponses,
                500,
                r#"{"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}"#,
                None,
            ),
            500,
            K::Server,
            Upstream,
            Transient,
            None,
        ),
        c(
            "upstream_connect",
            UpstreamError::Connect {
                reason: "connection refused".into(),
            }
            .into(),
            502,
            K::Server,
            Upstream,
            Transient,
            None,
        ),
        c(
            "upstream_connect_timeout",
            UpstreamError::ConnectTimeout { after_ms: 5_000 }.into(),
            504,
            K::Timeout,
            Upstream,
            Transient,
            None,
        ),
        c(
            "upstream_timeout",
            UpstreamError::Timeout { after_ms: 300_000 }.into(),
            504,
            K::Timeout,
            Upstream,
            OtherUpstream,
            None,
        ),
        c(
            "upstream_idle_timeout",
            UpstreamError::IdleTimeout { after_ms: 60_000 }.into(),
            504,
            K::Timeout,
            Upstream,
            OtherUpstream,
            None,
        ),
        c(
            "upstream_invalid_response",
            UpstreamError::InvalidResponse(DecodeError::invalid("choices", "missing")).into(),
            502,
            K::Server,
            Upstream,
            OtherUpstream,
            None,
        ),
        c(
            "state_store",
            GatewayError::StateStore(KvError::Unavailable("timeout".into())).into(),
            503,
            K::Overloaded,
            Gateway,
            Never,
            None,
        ),
        c(
            "internal",
            GatewayError::Internal("no route after validation".into()).into(),
            500,
            K::Server,
            Gateway,
            Never,
            None,
        ),
    ]
}

/// The kind a client of `api` reads back. Bedrock and Gemini have no "too large" error
/// (`ValidationException`, `INVALID_ARGUMENT`): their clients read an invalid request, with
/// the 413 status kept.
fn expected_kind(api: Api, kind: ErrorKind) -> ErrorKind {
    match (api, kind) {
        (Api::BedrockConverse | Api::Gemini, ErrorKind::RequestTooLarge) => {
            ErrorKind::InvalidRequest
        }
        _ => kind,
    }
}

fn assert_shape(api: Api, status: u16, json: &Value, name: &str) {
    match api {
        Api::OpenAiChat | Api::OpenAiResponses => {
            assert!(json["error"]["message"].is_string(), "{name} {api}: {json}");
            assert!(json["error"]["type"].is_string(), "{name} {api}: {json}");
        }
        Api::AnthropicMessages => {
            assert_eq!(json["type"], "error", "{name} {api}: {json}");
            assert!(json["error"]["type"].is_string(), "{name} {api}: {json}");
            assert!(json["error"]["message"].is_string(), "{name} {api}: {json}");
        }
        Api::BedrockConverse => {
            assert!(json["message"].is_string(), "{name} {api}: {json}");
        }
        Api::Gemini => {
            assert_eq!(json["error"]["code"], status, "{name} {api}: {json}");
            assert!(json["error"]["status"].is_string(), "{name} {api}: {json}");
            assert!(json["error"]["message"].is_string(), "{name} {api}: {json}");
        }
    }
}

#[test]
fn every_kind_in_every_client_api() {
    for case in cases() {
        let Case {
            name,
            err,
            status,
            kind,
            fault,
            retry,
            retry_after,
        } = &case;
        assert_eq!(err.fault(), *fault, "{name}");
        assert_eq!(err.retry_type(), *retry, "{name}");
        assert_eq!(err.kind(), *kind, "{name}");
        for api in Api::ALL {
            let r = err.render(api);
            assert_eq!(r.status, *status, "{name} {api}");
            assert_eq!(
                r.header("content-type"),
                Some("application/json"),
                "{name} {api}"
            );
            assert_eq!(r.header("retry-after"), *retry_after, "{name} {api}");
            let json: Value = serde_json::from_slice(&r.body).unwrap_or_else(|e| {
                panic!("{name} {api}: {e}: {:?}", String::from_utf8_lossy(&r.body))
            });
            assert_shape(api, *status, &json, name);
            let back = translate::decode_error(api, r.status, &r.body);
            assert_eq!(back.kind, expected_kind(api, *kind), "{name} {api}: {json}");
            let amzn = r.header("x-amzn-ErrorType");
            if api == Api::BedrockConverse {
                assert_eq!(amzn, json["__type"].as_str(), "{name}: {json}");
                assert!(amzn.is_some_and(|n| n.ends_with("Exception")), "{name}");
            } else {
                assert_eq!(amzn, None, "{name} {api}");
            }
            let expected_headers =
                1 + usize::from(retry_after.is_some()) + usize::from(api == Api::BedrockConverse);
            assert_eq!(
                r.headers.len(),
                expected_headers,
                "{name} {api}: {:?}",
                r.headers
            );
        }
    }
}

#[test]
fn no_5xx_for_a_client_mistake() {
    for case in cases() {
        if case.err.fault() == Fault::Client {
            for api in Api::ALL {
                let status = case.err.render(api).status;
                assert!(
                    (400..500).contains(&status),
                    "{} {api}: {status}",
                    case.name
                );
            }
        }
    }
}

#[test]
fn exact_bodies_for_gateway_errors() {
    let err: ExchangeError = RequestError::UnknownModel {
        model: "gpt-9".into(),
    }
    .into();
    let body = |api| String::from_utf8(err.render(api).body).unwrap();
    assert_eq!(
        body(Api::OpenAiChat),
        r#"{"error":{"message":"model 'gpt-9' is not configured on this gateway","type":"not_found_error","param":"model","code":"model_not_found"}}"#
    );
    assert_eq!(
        body(Api::AnthropicMessages),
        r#"{"type":"error","error":{"type":"not_found_error","message":"model 'gpt-9' is not configured on this gateway"}}"#
    );
    assert_eq!(
        body(Api::BedrockConverse),
        r#"{"message":"model 'gpt-9' is not configured on this gateway","__type":"ResourceNotFoundException"}"#
    );
    assert_eq!(
        body(Api::Gemini),
        r#"{"error":{"code":404,"message":"model 'gpt-9' is not configured on this gateway","status":"NOT_FOUND"}}"#
    );
    let rl: ExchangeError = RequestError::RateLimited {
        model: "gpt-4o".into(),
        retry_after_ms: 0,
    }
    .into();
    let r = rl.render(Api::BedrockConverse);
    assert_eq!(
        r.headers,
        vec![
            ("content-type", "application/json".to_owned()),
            ("retry-after", "0".to_owned()),
            ("x-amzn-ErrorType", "ThrottlingException".to_owned()),
        ]
    );
}

#[test]
fn upstream_errors_keep_status_and_translate_the_body() {
    let err = upstream(
        Api::AnthropicMessages,
        529,
        r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        None,
    );
    let r = err.render(Api::OpenAiChat);
    assert_eq!(r.status, 529);
    assert_eq!(
        String::from_utf8(r.body).unwrap(),
        r#"{"error":{"message":"Overloaded","type":"server_error","param":null,"code":null}}"#
    );
    // Same API: the upstream body goes through unchanged.
    let body = r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
    assert_eq!(err.render(Api::AnthropicMessages).body, body.as_bytes());
    // A Bedrock upstream's own exception name reaches a Bedrock client's header.
    let bedrock = upstream(
        Api::BedrockConverse,
        424,
        r#"{"message":"The model failed","__type":"ModelErrorException"}"#,
        None,
    );
    let r = bedrock.render(Api::BedrockConverse);
    assert_eq!(r.header("x-amzn-ErrorType"), Some("ModelErrorException"));
    assert_eq!(r.status, 424);
    // A non-error status from a confused host is never passed on.
    assert_eq!(
        upstream(Api::OpenAiChat, 200, "{}", None)
            .render(Api::Gemini)
            .status,
        502
    );
}

#[test]
fn messages_never_carry_secrets() {
    let echoed = format!(
        r#"{{"error":{{"message":"Incorrect API key provided: {SECRET}. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}}}"#
    );
    let errors: Vec<ExchangeError> = vec![
        upstream(Api::OpenAiChat, 401, &echoed, None),
        UpstreamError::Connect {
            reason: format!("proxy refused request with Authorization: Bearer {SECRET}"),
        }
        .into(),
        GatewayError::Internal(format!("header value {SECRET} rejected")).into(),
        GatewayError::StateStore(KvError::Unavailable(
            "dynamodb: AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY denied"
                .to_owned(),
        ))
        .into(),
        RequestError::MissingCredentials {
            header: "x-api-key",
        }
        .into(),
    ];
    for err in &errors {
        for api in Api::ALL {
            let r = err.render(api);
            let text = String::from_utf8(r.body).unwrap();
            for secret in [
                SECRET,
                "Zx81kQ0vPq27LmN5rT3y",
                "AKIAIOSFODNN7EXAMPLE",
                "wJalrXUtnFEMI",
            ] {
                assert!(!text.contains(secret), "{api}: {text}");
                assert!(r.headers.iter().all(|(_, v)| !v.contains(secret)));
            }
        }
    }
    let openai = String::from_utf8(errors[0].render(Api::AnthropicMessages).body).unwrap();
    assert!(
        openai.contains("Incorrect API key provided: sk-***."),
        "{openai}"
    );
    let missing = errors[4].to_string();
    assert_eq!(
        missing,
        "missing credentials: the x-api-key header is required"
    );
}

#[test]
fn codes_are_stable_and_low_cardinality() {
    let codes: Vec<&str> = cases().iter().map(|c| c.err.code()).collect();
    assert_eq!(
        codes,
        [
            "body_too_large",
            "invalid_request",
            "unsupported_request",
            "unknown_model",
            "missing_credentials",
            "rate_limited",
            "429",
            "529",
            "400",
            "401",
            "500",
            "upstream_connect",
            "upstream_connect_timeout",
            "upstream_timeout",
            "upstream_idle_timeout",
            "upstream_invalid_response",
            "state_store",
            "internal",
        ]
    );
    assert_eq!(
        upstream(Api::OpenAiChat, 418, "", None).code(),
        "upstream_4xx"
    );
    assert_eq!(
        upstream(Api::OpenAiChat, 599, "", None).code(),
        "upstream_5xx"
    );
}

#[test]
fn unreadable_upstream_bodies_still_render() {
    for body in ["", "<html>502 Bad Gateway</html>", "\u{0}\u{1}garbage"] {
        let err = upstream(Api::Gemini, 502, body, None);
        for api in Api::ALL {
            let r = err.render(api);
            assert_eq!(r.status, 502);
            if api != Api::Gemini {
                let json: Value = serde_json::from_slice(&r.body).unwrap();
                assert_shape(api, 502, &json, body);
            }
        }
    }
    let bad_utf8 = ExchangeError::from(UpstreamError::Status {
        api: Api::OpenAiChat,
        status: 500,
        body: vec![0xff, 0xfe, b'x'],
        retry_after_ms: None,
    });
    assert_eq!(bad_utf8.render(Api::OpenAiChat).status, 500);
}

#[test]
fn display_masks_free_text() {
    let err: ExchangeError = UpstreamError::Connect {
        reason: format!("tls handshake failed for key {SECRET}"),
    }
    .into();
    assert_eq!(
        err.to_string(),
        "could not connect to the upstream: tls handshake failed for key sk-***"
    );
    let err: ExchangeError =
        GatewayError::StateStore(KvError::Unavailable(format!("auth {SECRET}"))).into();
    assert_eq!(err.to_string(), "state store unavailable: auth sk-***");
}

/// Random text (ASCII, JSON punctuation, multi-byte characters, key prefixes) through the
/// masker: never panics, and masking JSON text leaves valid JSON with the same shape.
#[test]
fn masking_random_json_keeps_it_valid() {
    let pieces = [
        "a", "Z", "0", "9", "-", "_", "/", "+", "=", " ", "\\", "\"", "\n", "é", "😀", "sk-",
        "AKIA", "Bearer ", "u00e9", ":", ".", "{", "}",
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..3_000 {
        let len = (next() % 80) as usize;
        let text: String = (0..len)
            .map(|_| pieces[(next() % pieces.len() as u64) as usize])
            .collect();
        let _ = plano_core::error::redact_secrets(&text);
        let json = serde_json::to_string(&serde_json::json!({ "message": text })).unwrap();
        let masked = plano_core::error::redact_secrets(&json);
        let back: Value =
            serde_json::from_str(&masked).unwrap_or_else(|e| panic!("{e}: {json} -> {masked}"));
        assert!(back["message"].is_string(), "{masked}");
        let _ = plano_core::retry::parse_retry_after(&text, 0);
        let _ = plano_core::retry::parse_http_date(&text);
    }
}
