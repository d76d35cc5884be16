//! Error bodies: `{"error": {"message", "type", "param", "code"}}`.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};

use super::types::StrOr;
use crate::ir::{ApiError, ErrorKind};
use crate::{Api, Str};

/// `{"error": ...}`; some OpenAI-compatible servers send `error` as a bare string or put
/// `message` at the top level, so both are read.
#[derive(Debug, Default, serde::Deserialize)]
struct ErrorEnvelope<'a> {
    #[serde(borrow, default)]
    error: Option<StrOr<'a, ErrorObject<'a>>>,
    #[serde(borrow, default)]
    message: Option<Str<'a>>,
}

/// The `error` object, as read (compatible servers put numbers in `code`).
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct ErrorObject<'a> {
    #[serde(borrow, default)]
    message: Option<Str<'a>>,
    #[serde(rename = "type", borrow, default)]
    kind: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "scalar")]
    param: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "scalar")]
    code: Option<Str<'a>>,
}

/// The `error` object, as written.
#[derive(Debug, serde::Serialize)]
pub(super) struct ErrorOut<'a> {
    pub(super) error: ErrorObjectOut<'a>,
}

/// The fields of an error, all always present (`null` when unknown), as OpenAI writes them.
#[derive(Debug, serde::Serialize)]
pub(super) struct ErrorObjectOut<'a> {
    message: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    param: Option<&'a str>,
    code: Option<&'a str>,
}

/// A string, number or boolean read as text; `null` as `None`.
fn scalar<'de: 'a, 'a, D: Deserializer<'de>>(d: D) -> Result<Option<Str<'a>>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<Str<'de>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string, a number or null")
        }
        fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Some(Str::borrowed(v)))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(Str::from(v.to_owned())))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(Str::from(v.to_string())))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(Str::from(v.to_string())))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(Str::from(v.to_string())))
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(Str::from(v.to_string())))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    d.deserialize_any(V)
}

/// Decodes an error body. Never fails: a body that is not the OpenAI shape becomes the
/// message. The HTTP status decides the kind; without an error status (an error event in a
/// stream) the `code` and `type` do. Gemini's OpenAI-compatible endpoint wraps its error
/// envelope in a one-element array (`[{"error": {...}}]`); that is read too.
pub fn decode_error(status: u16, body: &[u8]) -> ApiError<'_> {
    // Checked on the first byte: serde would also read a struct from an array, by position.
    let env = if body.trim_ascii_start().first() == Some(&b'[') {
        serde_json::from_slice::<[ErrorEnvelope<'_>; 1]>(body)
            .ok()
            .map(|[env]| env)
    } else {
        serde_json::from_slice::<ErrorEnvelope<'_>>(body).ok()
    };
    match env {
        Some(env) => from_envelope(status, env).unwrap_or_else(|| from_text(status, body)),
        None => from_text(status, body),
    }
}

/// The error of an `error` field (a stream error event has one and no HTTP status: pass 0).
pub(super) fn from_error_field<'a>(status: u16, error: StrOr<'a, ErrorObject<'a>>) -> ApiError<'a> {
    from_envelope(
        status,
        ErrorEnvelope {
            error: Some(error),
            message: None,
        },
    )
    .unwrap_or_else(|| ApiError::new(ErrorKind::Server, "unknown error"))
}

/// The error an envelope describes, if it describes one.
fn from_envelope(status: u16, env: ErrorEnvelope<'_>) -> Option<ApiError<'_>> {
    match env.error {
        Some(StrOr::Other(o)) => {
            let kind = kind_of(status, o.kind.as_deref(), o.code.as_deref());
            Some(ApiError {
                status: status_of(status, kind),
                kind,
                message: o
                    .message
                    .or(env.message)
                    .or_else(|| o.code.clone())
                    .unwrap_or_else(|| Str::borrowed("unknown error")),
                code: o.code,
                param: o.param,
                origin: Some(Api::OpenAiChat),
            })
        }
        Some(StrOr::Str(message)) => Some(simple(status, message)),
        None => env.message.map(|m| simple(status, m)),
    }
}

fn simple(status: u16, message: Str<'_>) -> ApiError<'_> {
    let kind = kind_of(status, None, None);
    ApiError {
        status: status_of(status, kind),
        kind,
        message,
        code: None,
        param: None,
        origin: Some(Api::OpenAiChat),
    }
}

fn from_text(status: u16, body: &[u8]) -> ApiError<'_> {
    let text = String::from_utf8_lossy(body);
    let message = if text.trim().is_empty() {
        Str::from(format!("upstream returned HTTP {status}"))
    } else {
        Str::from(text)
    };
    simple(status, message)
}

fn status_of(status: u16, kind: ErrorKind) -> u16 {
    if status >= 400 { status } else { kind.status() }
}

fn kind_of(status: u16, kind: Option<&str>, code: Option<&str>) -> ErrorKind {
    if status >= 400 {
        return ErrorKind::from_status(status);
    }
    match code {
        Some("invalid_api_key") => return ErrorKind::Authentication,
        Some("rate_limit_exceeded" | "insufficient_quota") => return ErrorKind::RateLimit,
        Some("model_not_found") => return ErrorKind::NotFound,
        Some("context_length_exceeded") => return ErrorKind::InvalidRequest,
        _ => {}
    }
    match kind {
        Some("invalid_request_error") => ErrorKind::InvalidRequest,
        Some("authentication_error") => ErrorKind::Authentication,
        Some("permission_error") => ErrorKind::PermissionDenied,
        Some("not_found_error") => ErrorKind::NotFound,
        Some("rate_limit_error" | "requests" | "tokens" | "insufficient_quota") => {
            ErrorKind::RateLimit
        }
        Some("overloaded_error") => ErrorKind::Overloaded,
        Some("timeout") => ErrorKind::Timeout,
        _ => ErrorKind::Server,
    }
}

/// The OpenAI `type` for a kind, and the `code` it carries when the error did not come from
/// this API.
fn type_and_code(kind: ErrorKind) -> (&'static str, Option<&'static str>) {
    match kind {
        ErrorKind::InvalidRequest | ErrorKind::Unprocessable => ("invalid_request_error", None),
        ErrorKind::RequestTooLarge => ("invalid_request_error", Some("request_too_large")),
        ErrorKind::Authentication => ("authentication_error", Some("invalid_api_key")),
        ErrorKind::PermissionDenied => ("permission_error", None),
        ErrorKind::NotFound => ("not_found_error", None),
        ErrorKind::RateLimit => ("rate_limit_error", Some("rate_limit_exceeded")),
        ErrorKind::Overloaded | ErrorKind::Timeout | ErrorKind::Server => ("server_error", None),
    }
}

/// The wire form of an error.
pub(super) fn error_out<'e>(err: &'e ApiError<'_>) -> ErrorOut<'e> {
    let (kind, default_code) = type_and_code(err.kind);
    // Codes of other APIs (Anthropic types, Bedrock exception names) mean nothing to OpenAI
    // clients; this API's own codes and the gateway's are kept.
    let code = match err.origin {
        None | Some(Api::OpenAiChat) => err.code.as_deref().or(default_code),
        Some(_) => default_code,
    };
    ErrorOut {
        error: ErrorObjectOut {
            message: &err.message,
            kind,
            param: err.param.as_deref(),
            code,
        },
    }
}

/// Encodes an error as `{"error": {"message", "type", "param", "code"}}`, with the `type` of
/// its kind (`invalid_request_error`, `authentication_error`, `permission_error`,
/// `not_found_error`, `rate_limit_error`, `server_error`).
pub fn encode_error(err: &ApiError<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(128 + err.message.len());
    // Serializing strings into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut out, &error_out(err));
    out
}
