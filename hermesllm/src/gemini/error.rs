//! Gemini errors: `{"error": {"code", "message", "status", "details"}}` (`google.rpc.Status`).
//!
//! The canonical `status` decides the kind (`INVALID_ARGUMENT` → invalid request,
//! `UNAUTHENTICATED` → authentication, `RESOURCE_EXHAUSTED` → rate limit, `UNAVAILABLE` →
//! overloaded, `DEADLINE_EXCEEDED` → timeout, ...). Gemini answers a bad API key with 400
//! `INVALID_ARGUMENT` and an `ErrorInfo` reason `API_KEY_INVALID`: that is an
//! authentication error. Bodies are also accepted wrapped in a one-element array (the shape
//! of `:streamGenerateContent` without `alt=sse`).

use super::types::{ErrorBody, ErrorDetail, ErrorEnvelope};
use crate::ir::{ApiError, ErrorKind};
use crate::{Api, Str};

/// Decodes an error body (never fails: an unreadable body becomes the message).
pub fn decode_error(status: u16, body: &[u8]) -> ApiError<'_> {
    // serde reads structs from arrays too, so the shape is chosen by the first byte.
    let array = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    let parsed = if array {
        serde_json::from_slice::<Vec<ErrorEnvelope<'_>>>(body)
            .ok()
            .and_then(|v| v.into_iter().next())
    } else {
        serde_json::from_slice::<ErrorEnvelope<'_>>(body).ok()
    };
    let Some(ErrorEnvelope { error }) = parsed else {
        let message = match std::str::from_utf8(body) {
            Ok(s) if !s.trim().is_empty() => Str::borrowed(s.trim()),
            Ok(_) => Str::borrowed("upstream error with an empty body"),
            Err(_) => Str::from(String::from_utf8_lossy(body).into_owned()),
        };
        return ApiError {
            status,
            kind: ErrorKind::from_status(status),
            message,
            code: None,
            param: None,
            origin: Some(Api::Gemini),
        };
    };
    let ErrorBody {
        code: _,
        message,
        status: canonical,
        details,
    } = error;
    let key_invalid = details
        .and_then(|d| serde_json::from_str::<Vec<ErrorDetail<'_>>>(d.get()).ok())
        .is_some_and(|d| {
            d.iter()
                .any(|e| e.reason.as_deref() == Some("API_KEY_INVALID"))
        });
    let kind = if key_invalid {
        ErrorKind::Authentication
    } else {
        canonical
            .as_deref()
            .and_then(kind_of_status)
            .unwrap_or_else(|| ErrorKind::from_status(status))
    };
    ApiError {
        status,
        kind,
        message,
        code: canonical,
        param: None,
        origin: Some(Api::Gemini),
    }
}

/// Decodes an error event of a stream (`data: {"error": {...}}`): the status is the body's
/// `code` (500 when absent).
pub(crate) fn decode_stream_error(body: &str) -> ApiError<'_> {
    let status = serde_json::from_str::<ErrorEnvelope<'_>>(body)
        .ok()
        .and_then(|e| e.error.code)
        .unwrap_or(500);
    decode_error(status, body.as_bytes())
}

/// The kind of a canonical status, where it says more than the HTTP status.
fn kind_of_status(s: &str) -> Option<ErrorKind> {
    Some(match s {
        "INVALID_ARGUMENT" | "FAILED_PRECONDITION" | "OUT_OF_RANGE" => ErrorKind::InvalidRequest,
        "UNAUTHENTICATED" => ErrorKind::Authentication,
        "PERMISSION_DENIED" => ErrorKind::PermissionDenied,
        "NOT_FOUND" => ErrorKind::NotFound,
        "RESOURCE_EXHAUSTED" => ErrorKind::RateLimit,
        "UNAVAILABLE" => ErrorKind::Overloaded,
        "DEADLINE_EXCEEDED" => ErrorKind::Timeout,
        "INTERNAL" | "UNKNOWN" | "DATA_LOSS" => ErrorKind::Server,
        _ => return None,
    })
}

/// The canonical status Gemini uses for a kind.
pub(crate) fn status_of_kind(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidRequest | ErrorKind::RequestTooLarge | ErrorKind::Unprocessable => {
            "INVALID_ARGUMENT"
        }
        ErrorKind::Authentication => "UNAUTHENTICATED",
        ErrorKind::PermissionDenied => "PERMISSION_DENIED",
        ErrorKind::NotFound => "NOT_FOUND",
        ErrorKind::RateLimit => "RESOURCE_EXHAUSTED",
        ErrorKind::Overloaded => "UNAVAILABLE",
        ErrorKind::Timeout => "DEADLINE_EXCEEDED",
        ErrorKind::Server => "INTERNAL",
    }
}

/// The wire error for an internal error: the original `status` when it came from Gemini,
/// else the status of its kind.
pub(crate) fn error_body<'r>(err: &'r ApiError<'_>) -> ErrorEnvelope<'r> {
    let ApiError {
        status,
        kind,
        message,
        code,
        param: _, // Gemini errors name no parameter
        origin,
    } = err;
    let canonical = match (origin, code) {
        (Some(Api::Gemini), Some(code)) => code.reborrow(),
        _ => Str::borrowed(status_of_kind(*kind)),
    };
    ErrorEnvelope {
        error: ErrorBody {
            code: Some(*status),
            message: message.reborrow(),
            status: Some(canonical),
            details: None,
        },
    }
}

/// Encodes an error body.
pub fn encode_error(err: &ApiError<'_>) -> Vec<u8> {
    // Serializing strings and numbers into a Vec cannot fail.
    serde_json::to_vec(&error_body(err)).unwrap_or_default()
}
