//! Bedrock errors: `{"message": ...}` bodies named by exception.

use std::borrow::Cow;

use super::types::ErrorBody;
use crate::ir::{ApiError, ErrorKind};
use crate::{Api, Str};

/// Bedrock exception names, the kind each means, and the HTTP status Bedrock sends with it.
const EXCEPTIONS: [(&str, ErrorKind, u16); 15] = [
    ("ValidationException", ErrorKind::InvalidRequest, 400),
    ("AccessDeniedException", ErrorKind::PermissionDenied, 403),
    (
        "UnrecognizedClientException",
        ErrorKind::Authentication,
        403,
    ),
    ("InvalidSignatureException", ErrorKind::Authentication, 403),
    ("ExpiredTokenException", ErrorKind::Authentication, 403),
    ("ResourceNotFoundException", ErrorKind::NotFound, 404),
    ("ThrottlingException", ErrorKind::RateLimit, 429),
    ("ServiceQuotaExceededException", ErrorKind::RateLimit, 400),
    ("ModelNotReadyException", ErrorKind::Overloaded, 429),
    ("ServiceUnavailableException", ErrorKind::Overloaded, 503),
    ("ModelTimeoutException", ErrorKind::Timeout, 408),
    ("InternalServerException", ErrorKind::Server, 500),
    ("ModelErrorException", ErrorKind::Server, 424),
    ("ModelStreamErrorException", ErrorKind::Server, 424),
    ("ConflictException", ErrorKind::InvalidRequest, 400),
];

/// The Bedrock exception name for an error kind (what `x-amzn-ErrorType` and `__type` say).
pub fn error_type(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidRequest | ErrorKind::RequestTooLarge | ErrorKind::Unprocessable => {
            "ValidationException"
        }
        ErrorKind::Authentication => "UnrecognizedClientException",
        ErrorKind::PermissionDenied => "AccessDeniedException",
        ErrorKind::NotFound => "ResourceNotFoundException",
        ErrorKind::RateLimit => "ThrottlingException",
        ErrorKind::Overloaded => "ServiceUnavailableException",
        ErrorKind::Timeout => "ModelTimeoutException",
        ErrorKind::Server => "InternalServerException",
    }
}

/// The HTTP status Bedrock sends with an exception name (`None` when unknown).
pub fn exception_status(name: &str) -> Option<u16> {
    lookup(name).map(|(_, _, status)| status)
}

/// Finds an exception by name, ignoring a namespace (`com.amazon...#Name`) and the case of
/// the first letter (stream exceptions are spelled `throttlingException`).
fn lookup(name: &str) -> Option<(&'static str, ErrorKind, u16)> {
    let name = name.rsplit('#').next().unwrap_or(name);
    let name = name.split(':').next().unwrap_or(name);
    EXCEPTIONS
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
        .copied()
}

/// Builds the error for an exception name (from `__type`, the `x-amzn-ErrorType` header or a
/// stream exception's `:exception-type`), falling back on the status.
pub(super) fn from_exception<'a>(
    status: u16,
    name: Option<Str<'a>>,
    message: Str<'a>,
) -> ApiError<'a> {
    let known = name.as_deref().and_then(lookup);
    let (kind, code) = match (known, name) {
        (Some((canonical, kind, _)), _) => (kind, Some(Str::borrowed(canonical))),
        (None, Some(n)) => (ErrorKind::from_status(status), Some(n)),
        (None, None) => (ErrorKind::from_status(status), None),
    };
    ApiError {
        status,
        kind,
        message,
        code,
        param: None,
        origin: Some(Api::BedrockConverse),
    }
}

/// Decodes an error body (`{"message": ...}`, with `__type` when present). Never fails: a body
/// that is not such JSON becomes the message.
pub fn decode_error(status: u16, body: &[u8]) -> ApiError<'_> {
    match serde_json::from_slice::<ErrorBody<'_>>(body) {
        Ok(ErrorBody { message, kind }) => {
            let message = message.unwrap_or_else(|| Str::borrowed(status_text(status)));
            from_exception(status, kind, message)
        }
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let message = match text {
                Cow::Borrowed(t) if t.trim().is_empty() => Str::borrowed(status_text(status)),
                Cow::Borrowed(t) => Str::borrowed(t.trim()),
                Cow::Owned(t) => Str::from(t),
            };
            from_exception(status, None, message)
        }
    }
}

fn status_text(status: u16) -> &'static str {
    match ErrorKind::from_status(status) {
        ErrorKind::InvalidRequest => "invalid request",
        ErrorKind::Authentication => "authentication failed",
        ErrorKind::PermissionDenied => "access denied",
        ErrorKind::NotFound => "not found",
        ErrorKind::RequestTooLarge => "request too large",
        ErrorKind::Unprocessable => "unprocessable request",
        ErrorKind::RateLimit => "too many requests",
        ErrorKind::Overloaded => "service unavailable",
        ErrorKind::Timeout => "timed out",
        ErrorKind::Server => "internal server error",
    }
}

/// Encodes an error as Bedrock does: `{"message": ..., "__type": "<ExceptionName>"}`. An
/// error decoded from Bedrock keeps its exception name.
pub fn encode_error(err: &ApiError<'_>) -> Vec<u8> {
    let body = ErrorBody {
        message: Some(err.message.reborrow()),
        kind: Some(Str::borrowed(exception_name(err))),
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

/// The exception name to render an error with.
pub(super) fn exception_name<'e>(err: &'e ApiError<'_>) -> &'e str {
    match (&err.origin, &err.code) {
        (Some(Api::BedrockConverse), Some(code)) => {
            lookup(code).map_or(code.as_str(), |(canonical, _, _)| canonical)
        }
        _ => error_type(err.kind),
    }
}
