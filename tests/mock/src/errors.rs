//! Error answers in each provider's own shape: injected statuses, refused credentials, the
//! mock's unknown routes and its misuse.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderValue, Response, StatusCode};
use serde_json::json;

use crate::auth::Denied;
use crate::body::MockBody;
use crate::fixtures::ApiFixtures;
use crate::route::{Api, Provider};

pub(crate) const JSON: &str = "application/json";
const GOOGLE_JSON: &str = "application/json; charset=UTF-8";

/// A whole JSON answer.
pub(crate) fn json_response(
    status: StatusCode,
    content_type: &'static str,
    body: Bytes,
) -> Response<MockBody> {
    let mut response = Response::new(MockBody::full(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// The content type `provider` answers JSON with.
pub(crate) fn json_type(provider: Provider) -> &'static str {
    if matches!(provider, Provider::Gemini | Provider::GeminiOpenAi) {
        GOOGLE_JSON
    } else {
        JSON
    }
}

/// The provider's own error for an injected `status`: the recorded body when there is one,
/// else one in the API's shape; `retry-after` when asked.
pub(crate) fn injected(
    fixtures: &ApiFixtures,
    api: Api,
    provider: Provider,
    status: StatusCode,
    retry_after: Option<u64>,
) -> Response<MockBody> {
    let body = match provider {
        Provider::GeminiOpenAi => google_list(
            &fixtures
                .error(status.as_u16())
                .cloned()
                .unwrap_or_else(|| synthesized(Api::Gemini, status)),
        ),
        _ => fixtures
            .error(status.as_u16())
            .cloned()
            .unwrap_or_else(|| synthesized(api, status)),
    };
    let mut response = json_response(status, json_type(provider), body);
    if provider == Provider::Bedrock {
        let kind = bedrock_error_type(status);
        set_bedrock_error_type(&mut response, kind, "com.amazon.bedrock");
    }
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// Gemini's OpenAI-compatible endpoint answers Google's error object wrapped in a JSON
/// array: `[{"error": {"code", "message", "status", "details"}}]`.
fn google_list(error: &[u8]) -> Bytes {
    let mut list = Vec::with_capacity(error.len() + 2);
    list.push(b'[');
    list.extend_from_slice(error.trim_ascii());
    list.push(b']');
    Bytes::from(list)
}

/// The provider's answer to refused credentials.
pub(crate) fn denied(fixtures: &ApiFixtures, denied: Denied) -> Response<MockBody> {
    const AZURE_401: &str = r#"{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}}"#;
    const ANTHROPIC_VERSION_400: &str = r#"{"type":"error","error":{"type":"invalid_request_error","message":"anthropic-version: header is required"}}"#;
    const GEMINI_KEY_INVALID_400: &[u8] = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../hermesllm/tests/fixtures/gemini/errors/api_key_invalid.400.json"
    ));
    const GEMINI_KEY_MISSING_403: &str = r#"{"error":{"code":403,"message":"Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.","status":"PERMISSION_DENIED"}}"#;
    const GEMINI_CREDENTIALS_MISSING_401: &str = r#"{"error":{"code":401,"message":"Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.","status":"UNAUTHENTICATED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"CREDENTIALS_MISSING","domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com"}}]}}"#;
    const BEDROCK_UNRECOGNIZED: &str =
        r#"{"message":"The security token included in the request is invalid."}"#;
    const BEDROCK_SIGNATURE: &str = r#"{"message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}"#;

    let recorded = |status: u16| fixtures.error(status).cloned().unwrap_or_default();
    match denied {
        Denied::OpenAiKey => json_response(StatusCode::UNAUTHORIZED, JSON, recorded(401)),
        Denied::AzureKey => json_response(
            StatusCode::UNAUTHORIZED,
            JSON,
            Bytes::from_static(AZURE_401.as_bytes()),
        ),
        Denied::AnthropicKey => json_response(StatusCode::UNAUTHORIZED, JSON, recorded(401)),
        Denied::AnthropicVersion => json_response(
            StatusCode::BAD_REQUEST,
            JSON,
            Bytes::from_static(ANTHROPIC_VERSION_400.as_bytes()),
        ),
        Denied::GeminiKeyInvalid => json_response(
            StatusCode::BAD_REQUEST,
            GOOGLE_JSON,
            Bytes::from_static(GEMINI_KEY_INVALID_400),
        ),
        Denied::GeminiKeyMissing => json_response(
            StatusCode::FORBIDDEN,
            GOOGLE_JSON,
            Bytes::from_static(GEMINI_KEY_MISSING_403.as_bytes()),
        ),
        Denied::GeminiOpenAiKeyInvalid => json_response(
            StatusCode::BAD_REQUEST,
            GOOGLE_JSON,
            google_list(GEMINI_KEY_INVALID_400),
        ),
        Denied::GeminiOpenAiKeyMissing => json_response(
            StatusCode::UNAUTHORIZED,
            GOOGLE_JSON,
            google_list(GEMINI_CREDENTIALS_MISSING_401.as_bytes()),
        ),
        Denied::BedrockUnrecognizedClient => {
            let mut r = json_response(
                StatusCode::FORBIDDEN,
                JSON,
                Bytes::from_static(BEDROCK_UNRECOGNIZED.as_bytes()),
            );
            set_bedrock_error_type(
                &mut r,
                "UnrecognizedClientException",
                "com.amazon.coral.service",
            );
            r
        }
        Denied::BedrockInvalidSignature => {
            let mut r = json_response(
                StatusCode::FORBIDDEN,
                JSON,
                Bytes::from_static(BEDROCK_SIGNATURE.as_bytes()),
            );
            set_bedrock_error_type(
                &mut r,
                "InvalidSignatureException",
                "com.amazon.coral.service",
            );
            r
        }
    }
}

/// OpenAI's answer to an unknown URL.
pub(crate) fn not_found(method: &str, path: &str) -> Response<MockBody> {
    let body = json!({"error": {
        "message": format!("Invalid URL ({method} {path})"),
        "type": "invalid_request_error",
        "param": null,
        "code": null,
    }});
    json_response(StatusCode::NOT_FOUND, JSON, to_bytes(&body))
}

/// OpenAI's answer to `GET /v1/responses/{id}` for an id the mock did not return.
pub(crate) fn response_not_found(id: &str) -> Response<MockBody> {
    let body = json!({"error": {
        "message": format!("Response with id '{id}' not found."),
        "type": "invalid_request_error",
        "param": null,
        "code": null,
    }});
    json_response(StatusCode::NOT_FOUND, JSON, to_bytes(&body))
}

/// A request the mock itself cannot honour (bad `x-mock-fault`, unknown scenario): 400 with
/// `type: mock_error`, so it is never mistaken for a provider's answer.
pub(crate) fn misuse(message: &str) -> Response<MockBody> {
    let body = json!({"error": {
        "message": format!("plano-mock: {message}"),
        "type": "mock_error",
        "param": null,
        "code": null,
    }});
    json_response(StatusCode::BAD_REQUEST, JSON, to_bytes(&body))
}

pub(crate) fn to_bytes(value: &serde_json::Value) -> Bytes {
    Bytes::from(serde_json::to_vec(value).unwrap_or_default())
}

/// An error body in the API's shape for a status without a recorded one.
fn synthesized(api: Api, status: StatusCode) -> Bytes {
    let code = status.as_u16();
    let message = format!(
        "plano-mock: injected status {code} ({})",
        status.canonical_reason().unwrap_or("error")
    );
    let body = match api {
        Api::Chat | Api::Responses => json!({"error": {
            "message": message,
            "type": if status.is_server_error() { "server_error" } else { "invalid_request_error" },
            "param": null,
            "code": null,
        }}),
        Api::Messages => json!({
            "type": "error",
            "error": {"type": anthropic_error_type(status), "message": message},
            "request_id": null,
        }),
        Api::Gemini => json!({"error": {
            "code": code,
            "message": message,
            "status": google_status(status),
        }}),
        Api::Converse => json!({"message": message}),
    };
    to_bytes(&body)
}

fn anthropic_error_type(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        500..=599 => "api_error",
        _ => "invalid_request_error",
    }
}

fn google_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ABORTED",
        429 => "RESOURCE_EXHAUSTED",
        499 => "CANCELLED",
        501 => "UNIMPLEMENTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        500..=599 => "INTERNAL",
        _ => "FAILED_PRECONDITION",
    }
}

fn bedrock_error_type(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "UnrecognizedClientException",
        403 => "AccessDeniedException",
        404 => "ResourceNotFoundException",
        408 => "ModelTimeoutException",
        409 => "ConflictException",
        424 => "ModelErrorException",
        429 => "ThrottlingException",
        503 => "ServiceUnavailableException",
        500..=599 => "InternalServerException",
        _ => "ValidationException",
    }
}

/// `x-amzn-errortype`, as AWS JSON protocols send it: `Type:namespace-url`.
fn set_bedrock_error_type(response: &mut Response<MockBody>, kind: &str, namespace: &str) {
    let value = format!("{kind}:http://internal.amazon.com/coral/{namespace}/");
    if let Ok(value) = HeaderValue::try_from(value) {
        response.headers_mut().insert("x-amzn-errortype", value);
    }
}
