//! Error bodies: `{"error": {"message", "type", "param", "code"}}`, as in all OpenAI APIs.

use std::borrow::Cow;

use super::response_types::{Code, ErrorBody, ErrorFields};
use crate::ir::{ApiError, ErrorKind};
use crate::{Api, Str};

/// Decodes an error body. Never fails: a body that is not an OpenAI error becomes the
/// message. The kind comes from the HTTP status; without one (stream `error` events pass
/// `0`), from the error code or type.
pub fn decode_error(status: u16, body: &[u8]) -> ApiError<'_> {
    match crate::wire::from_json::<ErrorBody<'_>>(body) {
        Ok(ErrorBody { error }) => from_fields(status, error),
        Err(_) => {
            let message = match String::from_utf8_lossy(body) {
                Cow::Borrowed(s) => Str::borrowed(s.trim()),
                Cow::Owned(s) => Str::from(s.trim().to_owned()),
            };
            let kind = kind_for(status, None, None);
            ApiError {
                status: status_or(status, kind),
                kind,
                message,
                code: None,
                param: None,
                origin: Some(Api::OpenAiResponses),
            }
        }
    }
}

/// The IR error for decoded error fields (also used for stream `error` events and
/// `response.failed`).
pub(super) fn from_fields(status: u16, e: ErrorFields<'_>) -> ApiError<'_> {
    let ErrorFields {
        message,
        kind,
        param,
        code,
    } = e;
    let code = code.map(|c| c.0);
    let kind_ = kind_for(status, code.as_deref(), kind.as_deref());
    ApiError {
        status: status_or(status, kind_),
        kind: kind_,
        message,
        code,
        param,
        origin: Some(Api::OpenAiResponses),
    }
}

fn status_or(status: u16, kind: ErrorKind) -> u16 {
    if (400..=599).contains(&status) {
        status
    } else {
        kind.status()
    }
}

fn kind_for(status: u16, code: Option<&str>, kind: Option<&str>) -> ErrorKind {
    if (400..=599).contains(&status) {
        return ErrorKind::from_status(status);
    }
    let by_name = |s: &str| {
        Some(match s {
            "invalid_api_key" | "authentication_error" => ErrorKind::Authentication,
            "permission_error" | "permission_denied" => ErrorKind::PermissionDenied,
            "not_found_error" | "model_not_found" => ErrorKind::NotFound,
            "rate_limit_exceeded" | "rate_limit_error" | "insufficient_quota" => {
                ErrorKind::RateLimit
            }
            "server_is_overloaded" | "slow_down" | "overloaded_error" => ErrorKind::Overloaded,
            "timeout" | "timeout_error" => ErrorKind::Timeout,
            "server_error" | "internal_error" | "api_error" | "vector_store_timeout" => {
                ErrorKind::Server
            }
            "invalid_request_error"
            | "invalid_prompt"
            | "context_length_exceeded"
            | "invalid_image"
            | "invalid_value" => ErrorKind::InvalidRequest,
            _ => return None,
        })
    };
    code.and_then(by_name)
        .or_else(|| kind.and_then(by_name))
        .unwrap_or(ErrorKind::Server)
}

/// The OpenAI error `type` and default `code` for a kind.
pub(super) fn type_and_code(kind: ErrorKind) -> (&'static str, Option<&'static str>) {
    match kind {
        ErrorKind::InvalidRequest | ErrorKind::Unprocessable => ("invalid_request_error", None),
        ErrorKind::Authentication => ("authentication_error", Some("invalid_api_key")),
        ErrorKind::PermissionDenied => ("permission_error", None),
        ErrorKind::NotFound => ("not_found_error", None),
        ErrorKind::RequestTooLarge => ("invalid_request_error", Some("request_too_large")),
        ErrorKind::RateLimit => ("rate_limit_error", Some("rate_limit_exceeded")),
        ErrorKind::Overloaded => ("server_error", Some("server_is_overloaded")),
        ErrorKind::Timeout => ("server_error", Some("timeout")),
        ErrorKind::Server => ("server_error", None),
    }
}

/// The error fields for an IR error: OpenAI-made errors keep their own code, others get the
/// kind's default code.
pub(super) fn to_fields<'x>(err: &'x ApiError<'_>) -> ErrorFields<'x> {
    let ApiError {
        status: _, // The body carries no status; the HTTP layer sends it.
        kind,
        message,
        code,
        param,
        origin,
    } = err;
    let (kind, default_code) = type_and_code(*kind);
    let own_code = matches!(origin, None | Some(Api::OpenAiChat | Api::OpenAiResponses));
    let code = match (code, own_code) {
        (Some(c), true) => Some(c.reborrow()),
        _ => default_code.map(Str::borrowed),
    };
    ErrorFields {
        message: message.reborrow(),
        kind: Some(Str::borrowed(kind)),
        param: param.as_ref().map(Str::reborrow),
        code: code.map(Code),
    }
}

/// Encodes an error body.
pub fn encode_error(err: &ApiError<'_>) -> Vec<u8> {
    let body = ErrorBody {
        error: to_fields(err),
    };
    serde_json::to_vec(&body).unwrap_or_default()
}
