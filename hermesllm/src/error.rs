//! Errors of the translation engine, split by phase.

use std::borrow::Cow;

use crate::ir::{ApiError, ErrorKind};

/// The input could not be decoded: the client (or upstream) sent something malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Not valid JSON, or JSON of the wrong shape.
    #[error("invalid JSON{}: {message}", fmt_path(path))]
    Json {
        /// Path to the offending value (`messages[1].content`), when known.
        path: Option<String>,
        /// What serde said, with line and column.
        message: String,
    },
    /// Valid JSON whose content the API does not allow.
    #[error("{path}: {message}")]
    Invalid {
        /// Path to the offending value.
        path: Cow<'static, str>,
        /// What is wrong.
        message: Cow<'static, str>,
    },
    /// A stream frame could not be decoded.
    #[error("malformed stream: {0}")]
    Stream(Cow<'static, str>),
}

fn fmt_path(path: &Option<String>) -> String {
    match path {
        Some(p) if !p.is_empty() && p != "." => format!(" at {p}"),
        _ => String::new(),
    }
}

impl DecodeError {
    /// A semantic error at `path`.
    pub fn invalid(
        path: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        DecodeError::Invalid {
            path: path.into(),
            message: message.into(),
        }
    }

    /// The error as the client should see it: always a 400 `invalid_request` error.
    pub fn to_api_error(&self) -> ApiError<'static> {
        let mut e = ApiError::new(ErrorKind::InvalidRequest, self.to_string());
        if let DecodeError::Invalid { path, .. } = self {
            e.param = Some(path.to_string().into());
        }
        e
    }
}

/// The internal model could not be expressed in the target API at all (as opposed to a
/// [`Loss`](crate::Loss), where part of it is dropped and the rest goes through).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The target API cannot express this request.
    #[error("{path}: {message}")]
    Unsupported {
        /// Path into the source document.
        path: Cow<'static, str>,
        /// Why.
        message: Cow<'static, str>,
    },
    /// Serialization failed (only for values that are not JSON-representable).
    #[error("serialization failed: {0}")]
    Serialize(String),
}

impl EncodeError {
    /// An unsupported-request error.
    pub fn unsupported(
        path: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        EncodeError::Unsupported {
            path: path.into(),
            message: message.into(),
        }
    }

    /// The error as the client should see it: a 400, since it is the request that the chosen
    /// upstream cannot take.
    pub fn to_api_error(&self) -> ApiError<'static> {
        ApiError::new(ErrorKind::InvalidRequest, self.to_string())
    }
}

impl From<serde_json::Error> for EncodeError {
    fn from(e: serde_json::Error) -> Self {
        EncodeError::Serialize(e.to_string())
    }
}
