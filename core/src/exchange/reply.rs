//! What the exchange hands back to the host: replies to the client, the next step after an
//! upstream event, and the deadlines the host's timer enforces.

use hermesllm::ir::ApiError;
use hermesllm::{Api, bedrock_converse, translate};

use crate::error::{ExchangeError, redact_secrets};
use crate::upstream::UpstreamRequest;

/// A complete response for the client (a local answer, an error, or a non-streaming
/// upstream response).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Headers, lowercase names (Bedrock's `x-amzn-ErrorType` aside), in a fixed order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Reply {
    /// The first header named `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn json(status: u16, body: Vec<u8>) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body,
        }
    }

    /// An [`ExchangeError`] rendered for a client speaking `client`.
    pub(crate) fn error(client: Api, err: &ExchangeError) -> Reply {
        let r = err.render(client);
        Reply {
            status: r.status,
            headers: r
                .headers
                .into_iter()
                .map(|(n, v)| (n.to_owned(), v))
                .collect(),
            body: r.body,
        }
    }

    /// An error stated by another module ([`ApiError`] with its status), rendered as
    /// [`ExchangeError::render`] renders the gateway's own errors.
    pub(crate) fn api_error(client: Api, err: &ApiError<'_>) -> Reply {
        let raw = translate::encode_error(client, err);
        let body = redact_secrets(&String::from_utf8_lossy(&raw))
            .into_owned()
            .into_bytes();
        let mut reply = Reply::json(err.status, body);
        if client == Api::BedrockConverse {
            let name = err
                .code
                .as_deref()
                .filter(|c| c.ends_with("Exception"))
                .unwrap_or_else(|| bedrock_converse::error_type(err.kind));
            reply
                .headers
                .push(("x-amzn-ErrorType".to_owned(), name.to_owned()));
        }
        reply
    }
}

/// What the host does after [`Exchange::on_request`](super::Exchange::on_request) or
/// [`Exchange::next_request`](super::Exchange::next_request).
#[derive(Debug)]
#[must_use = "send the upstream request or the reply"]
pub enum Action {
    /// Answer the client with this and call [`Exchange::finish`](super::Exchange::finish).
    Respond(Reply),
    /// Send this request upstream (with [`Deadlines`]), then report the response head with
    /// [`Exchange::on_upstream_head`](super::Exchange::on_upstream_head) or a failure with
    /// [`Exchange::on_upstream_failure`](super::Exchange::on_upstream_failure).
    Send(Box<UpstreamRequest>),
}

/// What the host does with an upstream response head
/// ([`Exchange::on_upstream_head`](super::Exchange::on_upstream_head)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "read the body as told"]
pub enum HeadAction {
    /// An error status: read the body (at most [`MAX_ERROR_BODY`] bytes; more is cut) and
    /// pass it to [`Exchange::on_upstream_failure`](super::Exchange::on_upstream_failure) as
    /// [`AttemptFailure::ErrorBody`]. Nothing has reached the client.
    ReadError,
    /// A non-streaming success: read the whole body (at most
    /// [`ExchangeOptions::max_response_bytes`](super::ExchangeOptions::max_response_bytes))
    /// and pass it to [`Exchange::on_upstream_body`](super::Exchange::on_upstream_body).
    ReadBody,
    /// A streaming success: send this head to the client now, then pass each upstream chunk
    /// to [`Exchange::on_upstream_chunk`](super::Exchange::on_upstream_chunk). From here on
    /// there is no retry.
    Stream {
        /// Client status (200).
        status: u16,
        /// Client headers (`content-type`, rate-limit headers).
        headers: Vec<(String, String)>,
    },
}

/// Largest upstream error body the exchange reads; the rest is ignored.
pub const MAX_ERROR_BODY: usize = 64 * 1024;

/// Why an upstream attempt produced no usable response head or body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttemptFailure<'b> {
    /// No connection (DNS, refused, reset, TLS); the host's reason, without credentials.
    Connect(&'b str),
    /// [`Deadlines::connect_ms`] passed without a connection.
    ConnectTimeout,
    /// [`Deadlines::response_ms`] passed without a response head.
    Timeout,
    /// The body of an error status announced by [`HeadAction::ReadError`].
    ErrorBody(&'b [u8]),
    /// A non-streaming body larger than the limit, or cut off before its end.
    BodyIncomplete,
}

/// What to do after a failed attempt or a complete non-streaming body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "wait and retry, or answer the client"]
pub enum Next {
    /// Wait this many ms (the host's timer), then call
    /// [`Exchange::next_request`](super::Exchange::next_request) for the next attempt
    /// (the same provider, or the next candidate when `fallback`).
    Retry {
        /// Delay before the next attempt.
        delay_ms: u64,
        /// Whether the next attempt goes to another provider.
        fallback: bool,
    },
    /// Answer the client with this, then call [`Exchange::finish`](super::Exchange::finish).
    Respond(Reply),
}

/// The timeouts the host's timer enforces for each attempt, in ms (from
/// `gateway.timeouts`, the listener's `timeout` replacing the request timeout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    /// From sending to connected: then report [`AttemptFailure::ConnectTimeout`].
    pub connect_ms: u64,
    /// From sending to the response head: then report [`AttemptFailure::Timeout`].
    pub response_ms: u64,
    /// Longest silence between two body chunks: then call
    /// [`Exchange::on_upstream_broken`](super::Exchange::on_upstream_broken) (streams) or
    /// report [`AttemptFailure::BodyIncomplete`] (bodies).
    pub idle_ms: u64,
}
