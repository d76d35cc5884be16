//! Rendering an [`ExchangeError`] as an HTTP response in the client's API shape.

use hermesllm::ir::ApiError;
use hermesllm::{Api, bedrock_converse, translate};

use super::{ExchangeError, RequestError, UpstreamError, redact_secrets};

/// An error response ready for the host to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorResponse {
    /// The HTTP status.
    pub status: u16,
    /// Headers, lower-case names except Bedrock's `x-amzn-ErrorType`, in a fixed order:
    /// `content-type`, then `retry-after` when known, then `x-amzn-ErrorType` for Bedrock.
    pub headers: Vec<(&'static str, String)>,
    /// The body in the client API's error shape.
    pub body: Vec<u8>,
}

impl ErrorResponse {
    /// The value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl ExchangeError {
    /// Renders the error for a client speaking `client`.
    ///
    /// - Status: [`ExchangeError::status`] (the upstream's, for upstream error statuses).
    /// - Body: the client API's error shape. An upstream error body is translated from the
    ///   upstream's API with `translate_error` (unchanged when the APIs match); the gateway's
    ///   own errors are encoded with `encode_error`. Key-shaped tokens are masked.
    /// - Headers: `content-type: application/json`; `retry-after` in whole seconds (rounded
    ///   up) when the wait is known; for Bedrock clients `x-amzn-ErrorType` with the exception
    ///   name, which the AWS SDKs read before the body.
    pub fn render(&self, client: Api) -> ErrorResponse {
        let status = self.status();
        let raw = match self {
            ExchangeError::Upstream(UpstreamError::Status {
                api, status, body, ..
            }) => translate::translate_error(*api, client, *status, body),
            _ => translate::encode_error(client, &self.api_error()),
        };
        let body = match String::from_utf8(raw) {
            Ok(text) => redact_secrets(&text).into_owned().into_bytes(),
            Err(e) => redact_secrets(&String::from_utf8_lossy(e.as_bytes()))
                .into_owned()
                .into_bytes(),
        };
        let mut headers = vec![("content-type", "application/json".to_owned())];
        if let Some(ms) = self.retry_after_ms() {
            headers.push(("retry-after", ms.div_ceil(1000).to_string()));
        }
        if client == Api::BedrockConverse {
            // Read back from the body so an upstream Bedrock exception keeps its own name.
            let decoded = translate::decode_error(Api::BedrockConverse, status, &body);
            let name = decoded
                .code
                .as_deref()
                .unwrap_or_else(|| bedrock_converse::error_type(decoded.kind))
                .to_owned();
            headers.push(("x-amzn-ErrorType", name));
        }
        ErrorResponse {
            status,
            headers,
            body,
        }
    }

    /// The error as the gateway states it in the internal model (not used for upstream
    /// error statuses, whose own body is translated instead).
    pub fn api_error(&self) -> ApiError<'static> {
        let mut err = match self {
            ExchangeError::Request(RequestError::InvalidBody(e)) => e.to_api_error(),
            ExchangeError::Request(RequestError::Unsupported(e)) => e.to_api_error(),
            ExchangeError::Upstream(UpstreamError::Status {
                api, status, body, ..
            }) => owned(translate::decode_error(*api, *status, body)),
            other => ApiError::new(other.kind(), other.to_string()),
        };
        err.status = self.status();
        if let ExchangeError::Request(RequestError::UnknownModel { .. }) = self {
            err.code = Some("model_not_found".into());
            err.param = Some("model".into());
        }
        err
    }
}

fn owned(e: ApiError<'_>) -> ApiError<'static> {
    let ApiError {
        status,
        kind,
        message,
        code,
        param,
        origin,
    } = e;
    ApiError {
        status,
        kind,
        message: message.into_owned(),
        code: code.map(hermesllm::Str::into_owned),
        param: param.map(hermesllm::Str::into_owned),
        origin,
    }
}
