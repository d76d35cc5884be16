//! Upstream calls with the Workers fetch API.
//!
//! Deadlines are races against runtime timers: the fetch is aborted (its `AbortSignal`) when
//! `response_ms` passes before the head, and a body read gives up after `idle_ms` of silence.
//! The fetch API does not tell connecting from waiting, so `connect_ms` is not enforced on
//! its own: a refused connection fails at once, an unreachable one when `response_ms` ends.

use std::pin::pin;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::future::{Either, select};
use plano_core::exchange::Deadlines;
use plano_core::exchange::driver::{
    BodyError, HttpClient, SendError, UpstreamBody, UpstreamResponse,
};
use plano_core::upstream::UpstreamRequest;
use worker::{
    AbortController, ByteStream, Delay, Fetch, Headers, Method, Request, RequestInit,
    RequestRedirect,
};

/// The fetch-based client.
#[derive(Debug, Default)]
pub struct FetchClient;

/// An upstream body: the fetch response's `ReadableStream`, read chunk by chunk.
#[derive(Debug)]
pub struct FetchBody {
    stream: Option<ByteStream>,
    idle_ms: u64,
    // Kept so that the request stays abortable as long as its body is read; dropped with it.
    _abort: AbortController,
}

impl HttpClient for FetchClient {
    type Body = FetchBody;

    async fn send(
        &self,
        request: &UpstreamRequest,
        deadlines: Deadlines,
    ) -> Result<UpstreamResponse<FetchBody>, SendError> {
        let headers = Headers::new();
        for h in &request.headers {
            // The runtime sets these from the URL and the body.
            if matches!(h.name.as_str(), "host" | "content-length") {
                continue;
            }
            headers
                .set(&h.name, h.value())
                .map_err(|_| SendError::Connect(format!("invalid header {}", h.name)))?;
        }
        let mut init = RequestInit::new();
        init.with_method(Method::from(request.method.to_owned()))
            .with_headers(headers)
            .with_redirect(RequestRedirect::Manual);
        if !request.body.is_empty() {
            let body = js_sys::Uint8Array::from(request.body.as_slice());
            init.with_body(Some(body.into()));
        }
        let req = Request::new_with_init(&request.url, &init)
            .map_err(|e| SendError::Connect(format!("invalid upstream request: {e}")))?;
        let abort = AbortController::default();
        let signal = abort.signal();
        let fetch = Fetch::Request(req);
        let sent = pin!(fetch.send_with_signal(&signal));
        let timer = pin!(Delay::from(Duration::from_millis(deadlines.response_ms)));
        let mut resp = match select(sent, timer).await {
            Either::Left((Ok(resp), _)) => resp,
            Either::Left((Err(e), _)) => return Err(SendError::Connect(e.to_string())),
            Either::Right(((), _)) => {
                abort.abort();
                return Err(SendError::Timeout);
            }
        };
        let status = resp.status_code();
        let headers: Vec<(String, String)> = resp.headers().entries().collect();
        let stream = resp.stream().ok();
        Ok(UpstreamResponse {
            status,
            headers,
            body: FetchBody {
                stream,
                idle_ms: deadlines.idle_ms,
                _abort: abort,
            },
        })
    }

    async fn sleep(&self, ms: u64) {
        Delay::from(Duration::from_millis(ms)).await;
    }
}

impl UpstreamBody for FetchBody {
    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, BodyError> {
        let Some(stream) = self.stream.as_mut() else {
            return Ok(None);
        };
        loop {
            let next = pin!(stream.next());
            let timer = pin!(Delay::from(Duration::from_millis(self.idle_ms)));
            match select(next, timer).await {
                Either::Left((Some(Ok(chunk)), _)) if chunk.is_empty() => continue,
                Either::Left((Some(Ok(chunk)), _)) => return Ok(Some(chunk)),
                Either::Left((None, _)) => {
                    self.stream = None;
                    return Ok(None);
                }
                Either::Left((Some(Err(e)), _)) => {
                    self.stream = None;
                    return Err(BodyError::Broken(e.to_string()));
                }
                Either::Right(((), _)) => {
                    self.stream = None;
                    return Err(BodyError::Idle);
                }
            }
        }
    }
}
