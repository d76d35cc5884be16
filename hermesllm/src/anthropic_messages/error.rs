//! Errors: `{"type":"error","error":{"type","message"}}` to and from the internal model.

use super::types::{ErrorBody, ErrorObject};
use crate::ir::{ApiError, ErrorKind};
use crate::{Api, Str};

/// Decodes an error body. Never fails: a body that is not Anthropic's error shape becomes
/// the message, and the kind then comes from the status.
pub fn decode_error(status: u16, body: &[u8]) -> ApiError<'_> {
    if let Ok(b) = serde_json::from_slice::<ErrorBody<'_>>(body)
        && !(b.error.kind.is_empty() && b.error.message.is_empty())
    {
        let ErrorObject { kind, message } = b.error;
        return ApiError {
            status,
            kind: error_kind(&kind, status),
            message,
            code: (!kind.is_empty()).then_some(kind),
            param: None,
            origin: Some(Api::AnthropicMessages),
        };
    }
    let message = match std::str::from_utf8(body) {
        Ok(s) => Str::borrowed(s.trim()),
        Err(_) => Str::from(String::from_utf8_lossy(body).trim().to_owned()),
    };
    ApiError {
        status,
        kind: ErrorKind::from_status(status),
        message,
        code: None,
        param: None,
        origin: Some(Api::AnthropicMessages),
    }
}

/// The kind of an Anthropic `error.type` (the status decides for unknown types and refines
/// `invalid_request_error`, which Anthropic also uses for other 4xx statuses).
pub fn error_kind(kind: &str, status: u16) -> ErrorKind {
    match kind {
        "invalid_request_error" => match ErrorKind::from_status(status) {
            k @ (ErrorKind::RequestTooLarge | ErrorKind::Unprocessable | ErrorKind::NotFound) => k,
            _ => ErrorKind::InvalidRequest,
        },
        "authentication_error" => ErrorKind::Authentication,
        // 402: the account cannot pay for the request; not retryable, like a permission error.
        "permission_error" | "billing_error" => ErrorKind::PermissionDenied,
        "not_found_error" => ErrorKind::NotFound,
        "request_too_large" => ErrorKind::RequestTooLarge,
        "rate_limit_error" => ErrorKind::RateLimit,
        "api_error" => ErrorKind::Server,
        "overloaded_error" => ErrorKind::Overloaded,
        "timeout_error" => ErrorKind::Timeout,
        _ => ErrorKind::from_status(status),
    }
}

/// The Anthropic `error.type` for a kind.
pub fn error_type(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidRequest | ErrorKind::Unprocessable => "invalid_request_error",
        ErrorKind::Authentication => "authentication_error",
        ErrorKind::PermissionDenied => "permission_error",
        ErrorKind::NotFound => "not_found_error",
        ErrorKind::RequestTooLarge => "request_too_large",
        ErrorKind::RateLimit => "rate_limit_error",
        ErrorKind::Overloaded => "overloaded_error",
        ErrorKind::Timeout => "timeout_error",
        _ => "api_error",
    }
}

/// The HTTP status Anthropic uses for a kind (529 for overloaded, 504 for timeouts).
pub fn status(kind: ErrorKind) -> u16 {
    match kind {
        ErrorKind::Overloaded => 529,
        k => k.status(),
    }
}

/// Encodes an error body. An error decoded from Anthropic keeps its own `error.type`.
pub fn encode_error(err: &ApiError<'_>) -> Vec<u8> {
    serde_json::to_vec(&error_body(err)).unwrap_or_default()
}

/// The wire error body (also the data of a stream `error` event).
pub(super) fn error_body<'r>(err: &'r ApiError<'_>) -> ErrorBody<'r> {
    let ApiError {
        status: _, // Travels in the HTTP status line.
        kind,
        message,
        code,
        param: _, // Anthropic errors name no parameter.
        origin,
    } = err;
    let kind = match (origin, code) {
        (Some(Api::AnthropicMessages), Some(code)) if !code.is_empty() => code.reborrow(),
        _ => Str::borrowed(error_type(*kind)),
    };
    ErrorBody {
        kind: Str::borrowed("error"),
        error: ErrorObject {
            kind,
            message: message.reborrow(),
        },
        request_id: None,
    }
}
