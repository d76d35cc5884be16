//! The Function URL handler: converts the invocation's HTTP event into a request for the
//! engine and relays the response, head first, then the body chunk by chunk through the
//! Function URL's response streaming (`run_with_streaming_response`): a fixed body is one
//! chunk, an LLM stream is forwarded as the upstream produces it.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http_body::{Body, Frame};
use lambda_http::Request;
use tokio::sync::mpsc;

use crate::engine::{self, Engine};

/// The response body: chunks from the engine until it closes the channel.
#[derive(Debug)]
pub struct ChannelBody {
    rx: Option<mpsc::Receiver<Bytes>>,
}

impl ChannelBody {
    /// A body of one fixed chunk.
    pub fn fixed(bytes: Bytes) -> ChannelBody {
        let (tx, rx) = mpsc::channel(1);
        // A fresh channel of capacity one takes one message.
        let _ = tx.try_send(bytes);
        ChannelBody { rx: Some(rx) }
    }
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let Some(rx) = self.rx.as_mut() else {
            return Poll::Ready(None);
        };
        match rx.poll_recv(cx) {
            Poll::Ready(Some(chunk)) => Poll::Ready(Some(Ok(Frame::data(chunk)))),
            Poll::Ready(None) => {
                self.rx = None;
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.rx.is_none()
    }
}

/// The host's setup: the engine, or why the config did not load.
pub type Setup = Result<Engine, std::sync::Arc<str>>;

/// Handles one invocation.
///
/// # Errors
/// Never: every failure is an HTTP answer (the signature is lambda_http's).
pub async fn handle(
    setup: Setup,
    body_limit: usize,
    event: Request,
) -> Result<http::Response<ChannelBody>, Infallible> {
    let engine = match setup {
        Ok(e) => e,
        Err(text) => return Ok(plain(500, &text)),
    };
    let request = to_request(event, body_limit);
    let Some((head, rx)) = engine.submit(request).await else {
        return Ok(plain(500, "the gateway engine stopped"));
    };
    let mut builder = http::Response::builder().status(head.status);
    for (name, value) in &head.headers {
        // The runtime frames the stream itself; a value hyper refuses is dropped rather
        // than failing the response.
        if matches!(
            name.as_str(),
            "content-length" | "transfer-encoding" | "connection" | "keep-alive"
        ) {
            continue;
        }
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            builder = builder.header(n, v);
        }
    }
    Ok(builder
        .body(ChannelBody { rx: Some(rx) })
        .unwrap_or_else(|_| plain(500, "invalid response head")))
}

/// The engine's request for an event: method, path and query as the client sent them,
/// headers, and the body (base64-decoded by lambda_http) up to `body_limit` plus one byte,
/// so the core answers 413 for a larger one.
pub fn to_request(event: Request, body_limit: usize) -> engine::Request {
    let (parts, body) = event.into_parts();
    let target = parts
        .uri
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    let headers = parts
        .headers
        .iter()
        .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let mut body = match body {
        lambda_http::Body::Empty => Vec::new(),
        lambda_http::Body::Text(t) => t.into_bytes(),
        lambda_http::Body::Binary(b) => b,
        // `Body` is non-exhaustive upstream; a future variant reads as empty.
        _ => Vec::new(),
    };
    body.truncate(body_limit.saturating_add(1));
    engine::Request {
        method: parts.method.as_str().to_owned(),
        target,
        headers,
        body,
    }
}

fn plain(status: u16, text: &str) -> http::Response<ChannelBody> {
    let mut resp = http::Response::new(ChannelBody::fixed(Bytes::from(format!("{text}\n"))));
    *resp.status_mut() = http::StatusCode::from_u16(status).unwrap_or_default();
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}
