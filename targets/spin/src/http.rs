//! Upstream calls with Spin's outbound HTTP (`wasi:http/outgoing-handler`, through spin-sdk).
//!
//! Deadlines are races against `wasi:clocks` timers ([`crate::timer`]): the request is dropped
//! (which cancels it) when `response_ms` passes before the head, and a body read gives up
//! after `idle_ms` of silence. spin-sdk's client does not pass `wasi:http` request options, so
//! `connect_ms` is not enforced on its own: a refused connection fails at once, an unreachable
//! one when `response_ms` ends. Spin refuses hosts missing from `allowed_outbound_hosts`:
//! that is a connect error here.

use std::pin::Pin;

use futures::future::{Either, select};
use futures::{SinkExt, Stream, StreamExt};
use plano_core::exchange::Deadlines;
use plano_core::exchange::driver::{
    BodyError, HttpClient, SendError, UpstreamBody, UpstreamResponse,
};
use plano_core::upstream::UpstreamRequest;
use spin_sdk::http::{ErrorCode, Fields, IncomingResponse, Method, OutgoingRequest, Scheme};

use crate::timer::sleep_ms;

/// Headers the WASI HTTP host sets itself or refuses from a guest.
pub fn is_hop_header(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "host"
            | "content-length"
            | "connection"
            | "keep-alive"
            | "transfer-encoding"
            | "upgrade"
            | "proxy-connection"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "http2-settings"
    )
}

/// The outbound client.
#[derive(Debug, Default)]
pub struct SpinClient;

type ByteStream = Pin<Box<dyn Stream<Item = Result<Vec<u8>, wasi::io::streams::Error>>>>;

/// An upstream body, read chunk by chunk.
pub struct SpinBody {
    // Declared before the response: a body stream must be dropped before its response (a
    // WASI child resource outliving its parent traps).
    stream: Option<ByteStream>,
    _response: IncomingResponse,
    idle_ms: u64,
}

impl std::fmt::Debug for SpinBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpinBody")
            .field("idle_ms", &self.idle_ms)
            .finish_non_exhaustive()
    }
}

/// A WIT method from its name.
pub fn method(name: &str) -> Method {
    match name {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        "PATCH" => Method::Patch,
        "HEAD" => Method::Head,
        "OPTIONS" => Method::Options,
        other => Method::Other(other.to_owned()),
    }
}

/// An outbound request: method, URL, headers, whole body.
#[derive(Debug)]
pub struct Outbound<'a> {
    /// Method name.
    pub method: &'a str,
    /// Absolute URL.
    pub url: &'a str,
    /// Headers (hop-by-hop ones are dropped; `content-length` is set from the body).
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body.
    pub body: &'a [u8],
}

/// Sends a request; `None` when `timeout_ms` passed before the response head.
///
/// The request is handed to the host before its body is written (both run together), so a
/// refusal (`HttpRequestDenied` for a host outside `allowed_outbound_hosts`, a refused
/// connection) is reported as such rather than as a failed body write.
///
/// # Errors
/// The host's error code, as text without credentials.
pub async fn send(
    out: Outbound<'_>,
    timeout_ms: u64,
) -> Option<Result<IncomingResponse, SendError>> {
    let request = match outgoing_request(&out) {
        Ok(r) => r,
        Err(e) => return Some(Err(SendError::Connect(e))),
    };
    let mut sink = request.take_body();
    let response = spin_sdk::http::send::<_, IncomingResponse>(request);
    let body = out.body.to_vec();
    let write = async move {
        // Dropping the sink finishes the body (an empty one too).
        let written = sink.send(body).await;
        drop(sink);
        written
    };
    let exchange = std::pin::pin!(futures::future::join(response, write));
    match select(exchange, sleep_ms(timeout_ms)).await {
        Either::Left(((Ok(resp), _), _)) => Some(Ok(resp)),
        Either::Left(((Err(e), _), _)) => Some(Err(send_error(&e))),
        Either::Right(((), _)) => None,
    }
}

/// A WASI outgoing request for `out` (without its body).
fn outgoing_request(out: &Outbound<'_>) -> Result<OutgoingRequest, String> {
    // Errors never quote the URL: a query string may carry a credential.
    let parts = crate::url::split(out.url).ok_or("the upstream URL is not absolute")?;
    let mut fields: Vec<(String, Vec<u8>)> = out
        .headers
        .iter()
        .filter(|(n, _)| !is_hop_header(n))
        .cloned()
        .collect();
    if !out.body.is_empty() || !matches!(out.method, "GET" | "HEAD") {
        fields.push((
            "content-length".into(),
            out.body.len().to_string().into_bytes(),
        ));
    }
    let headers = Fields::from_list(&fields).map_err(|e| format!("invalid header: {e:?}"))?;
    let request = OutgoingRequest::new(headers);
    let scheme = match parts.scheme {
        "https" => Scheme::Https,
        "http" => Scheme::Http,
        other => Scheme::Other(other.to_owned()),
    };
    request
        .set_method(&method(out.method))
        .and_then(|()| request.set_scheme(Some(&scheme)))
        .and_then(|()| request.set_authority(Some(parts.authority)))
        .and_then(|()| request.set_path_with_query(Some(&parts.path_with_query)))
        .map_err(|()| "the upstream URL or method is not valid for wasi:http".to_owned())?;
    Ok(request)
}

fn send_error(e: &spin_sdk::http::SendError) -> SendError {
    match e {
        spin_sdk::http::SendError::Http(ErrorCode::ConnectionTimeout) => SendError::ConnectTimeout,
        spin_sdk::http::SendError::Http(code) => SendError::Connect(format!("{code:?}")),
        other => SendError::Connect(other.to_string()),
    }
}

impl HttpClient for SpinClient {
    type Body = SpinBody;

    async fn send(
        &self,
        request: &UpstreamRequest,
        deadlines: Deadlines,
    ) -> Result<UpstreamResponse<SpinBody>, SendError> {
        let out = Outbound {
            method: request.method,
            url: &request.url,
            headers: request
                .headers
                .iter()
                .map(|h| (h.name.clone(), h.value().as_bytes().to_vec()))
                .collect(),
            body: &request.body,
        };
        let resp = match send(out, deadlines.response_ms).await {
            Some(r) => r?,
            None => return Err(SendError::Timeout),
        };
        let status = resp.status();
        let headers = resp
            .headers()
            .entries()
            .into_iter()
            .map(|(n, v)| (n, String::from_utf8_lossy(&v).into_owned()))
            .collect();
        let stream: ByteStream = Box::pin(resp.take_body_stream());
        Ok(UpstreamResponse {
            status,
            headers,
            body: SpinBody {
                stream: Some(stream),
                _response: resp,
                idle_ms: deadlines.idle_ms,
            },
        })
    }

    async fn sleep(&self, ms: u64) {
        sleep_ms(ms).await;
    }
}

impl UpstreamBody for SpinBody {
    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, BodyError> {
        let Some(stream) = self.stream.as_mut() else {
            return Ok(None);
        };
        loop {
            let next = stream.next();
            let timer = sleep_ms(self.idle_ms);
            match select(next, timer).await {
                Either::Left((Some(Ok(chunk)), _)) if chunk.is_empty() => continue,
                Either::Left((Some(Ok(chunk)), _)) => return Ok(Some(chunk)),
                Either::Left((None, _)) => {
                    self.stream = None;
                    return Ok(None);
                }
                Either::Left((Some(Err(e)), _)) => {
                    self.stream = None;
                    return Err(BodyError::Broken(e.to_debug_string()));
                }
                Either::Right(((), _)) => {
                    self.stream = None;
                    return Err(BodyError::Idle);
                }
            }
        }
    }
}
