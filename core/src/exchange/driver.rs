//! The async driver for hosts with an async HTTP client (native, Workers, Spin, Lambda):
//! runs an [`Exchange`] over a host's HTTP client and [`Kv`] store, with
//! retries and fallback, and hands the client a body to pull chunk by chunk.
//!
//! # Call contract
//!
//! Build a [`Driver`] from references to the host's pieces and call [`Driver::handle`] per
//! request. Send the returned [`ClientResponse`]'s status and headers, then pull
//! [`ClientBody::next_chunk`] until it returns `None` and send each chunk as it comes (a
//! stream is transcoded one upstream chunk at a time: memory stays bounded). The exchange is
//! finalized (rate limit settled, Responses state saved) by the time `next_chunk` returns
//! `None`; then take the [`ExchangeRecord`] with [`ClientBody::take_record`]. If the client
//! goes away early, call [`ClientBody::abort`] for the record. A listener's output filters
//! on a stream are called through the same [`HttpClient`] between upstream chunks, one call
//! (per filter) per complete event, before the event is handed out.
//!
//! The driver reads no clock but the [`Clock`] given, waits only through
//! [`HttpClient::sleep`], and leaves timeouts to the host: [`HttpClient::send`] gets the
//! [`Deadlines`] and reports their expiry as [`SendError`]/[`BodyError`].

#![allow(async_fn_in_trait)] // deliberate: no Send bound (Workers futures are not Send)

use super::{
    Action, AttemptFailure, Deadlines, Exchange, ExchangeOptions, ExchangeRecord, HeadAction, Ids,
    MAX_ERROR_BODY, Next, RequestHead,
};
use crate::config::Config;
use crate::kv::Kv;
use crate::time::Clock;
use crate::upstream::UpstreamRequest;

/// Why a request got no response head.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// No connection (DNS, refused, reset, TLS). The reason must not contain credentials.
    #[error("connect: {0}")]
    Connect(String),
    /// [`Deadlines::connect_ms`] passed.
    #[error("connect timeout")]
    ConnectTimeout,
    /// [`Deadlines::response_ms`] passed before the head.
    #[error("response timeout")]
    Timeout,
}

/// Why an upstream body stopped before its end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// No chunk within [`Deadlines::idle_ms`].
    #[error("idle timeout")]
    Idle,
    /// The connection failed.
    #[error("connection lost: {0}")]
    Broken(String),
}

/// An upstream response head with its body.
#[derive(Debug)]
pub struct UpstreamResponse<B> {
    /// HTTP status.
    pub status: u16,
    /// Headers as received.
    pub headers: Vec<(String, String)>,
    /// The body, pulled chunk by chunk.
    pub body: B,
}

/// An upstream body the driver pulls.
pub trait UpstreamBody {
    /// The next chunk; `Ok(None)` at the end.
    ///
    /// # Errors
    /// [`BodyError`] when the body cannot be finished.
    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, BodyError>;
}

/// The host's HTTP client and timer.
pub trait HttpClient {
    /// The body type of responses.
    type Body: UpstreamBody;

    /// Sends `request` as is (the host adds only `content-length`, and `host` from the URL
    /// when absent), enforcing `deadlines.connect_ms` and `deadlines.response_ms`; the body's
    /// [`UpstreamBody::next_chunk`] enforces `deadlines.idle_ms`.
    ///
    /// # Errors
    /// [`SendError`].
    async fn send(
        &self,
        request: &UpstreamRequest,
        deadlines: Deadlines,
    ) -> Result<UpstreamResponse<Self::Body>, SendError>;

    /// Waits `ms` milliseconds (retry backoff).
    async fn sleep(&self, ms: u64);
}

/// The host's source of randomness.
pub trait Entropy {
    /// A fresh unguessable token (at least 128 random bits, e.g. 32 hex digits): the response
    /// id without its prefix ([`Ids::token`]).
    fn token(&self) -> String;
    /// A fresh span id.
    fn span_id(&self) -> [u8; 8];
    /// A random number in `[0, 1)` for retry jitter.
    fn jitter(&self) -> f64;
}

/// The client's request.
#[derive(Debug, Clone, Copy)]
pub struct ClientRequest<'r> {
    /// Method.
    pub method: &'r str,
    /// Request target (path and query, as received).
    pub target: &'r str,
    /// Headers.
    pub headers: &'r [(&'r str, &'r str)],
    /// The whole body.
    pub body: &'r [u8],
}

/// The host's pieces, borrowed.
#[derive(Debug)]
pub struct Driver<'a, H, K, C, E> {
    /// The loaded config.
    pub config: &'a Config,
    /// The HTTP client.
    pub http: &'a H,
    /// The state store.
    pub kv: &'a K,
    /// The clock.
    pub clock: &'a C,
    /// Ids and jitter.
    pub entropy: &'a E,
    /// Exchange options.
    pub options: ExchangeOptions<'a>,
}

/// The response for the client.
#[derive(Debug)]
pub struct ClientResponse<'a, B, K, C> {
    /// HTTP status.
    pub status: u16,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: ClientBody<'a, B, K, C>,
}

/// A client body pulled chunk by chunk.
#[derive(Debug)]
pub struct ClientBody<'a, B, K, C> {
    state: BodyState<'a, B, K, C>,
    record: Option<ExchangeRecord>,
}

#[derive(Debug)]
enum BodyState<'a, B, K, C> {
    Full(Option<Vec<u8>>),
    Stream {
        exchange: Box<Exchange<'a>>,
        upstream: B,
        kv: &'a K,
        clock: &'a C,
        /// The HTTP client, for the output filters' per-event calls.
        http: Caller<'a>,
    },
    Ended,
}

/// A stream output filter call's answer: status, headers and body; `None` without one.
type CallAnswer = Option<(u16, Vec<(String, String)>, Vec<u8>)>;
type CallFuture<'s> = std::pin::Pin<Box<dyn std::future::Future<Output = CallAnswer> + 's>>;

/// The host's [`HttpClient`] with its type erased, so a [`ClientBody`] can make a stream's
/// output filter calls without naming the client in its type (one boxed future per call,
/// next to an HTTP round trip).
trait SideCall {
    fn call<'s>(&'s self, request: &'s UpstreamRequest, d: Deadlines, max: usize)
    -> CallFuture<'s>;
}

impl<H: HttpClient> SideCall for H {
    fn call<'s>(
        &'s self,
        request: &'s UpstreamRequest,
        d: Deadlines,
        max: usize,
    ) -> CallFuture<'s> {
        Box::pin(async move {
            let mut resp = self.send(request, d).await.ok()?;
            let body = read(&mut resp.body, max).await.filter(|b| b.len() <= max)?;
            Some((resp.status, resp.headers, body))
        })
    }
}

/// A borrowed [`SideCall`].
#[derive(Clone, Copy)]
struct Caller<'a>(&'a dyn SideCall);

impl std::fmt::Debug for Caller<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Caller")
    }
}

impl<'a, B: UpstreamBody, K: Kv, C: Clock> ClientBody<'a, B, K, C> {
    /// The next chunk for the client; `None` once the body is complete (the exchange is then
    /// finalized and [`ClientBody::take_record`] returns its record). A stream that breaks
    /// ends with an error event in the client's format.
    pub async fn next_chunk(&mut self) -> Option<Vec<u8>> {
        match &mut self.state {
            BodyState::Ended => None,
            BodyState::Full(bytes) => {
                let b = bytes.take().filter(|b| !b.is_empty());
                if b.is_none() {
                    self.state = BodyState::Ended;
                }
                b
            }
            BodyState::Stream {
                exchange,
                upstream,
                kv,
                clock,
                http,
            } => loop {
                let mut out = Vec::new();
                let pulled = upstream.next_chunk().await;
                let now = clock.now_ms();
                let ended = match pulled {
                    Ok(Some(chunk)) => {
                        exchange.on_upstream_chunk(*kv, &chunk, now, &mut out).await;
                        false
                    }
                    Ok(None) => {
                        exchange.on_upstream_end(*kv, now, &mut out).await;
                        true
                    }
                    Err(e) => {
                        let idle = matches!(e, BodyError::Idle);
                        exchange.on_upstream_broken(idle, now, &mut out);
                        true
                    }
                };
                // Output filters: each complete event's calls, before it is released.
                while let Some(request) = exchange.stream_call() {
                    let answer = http
                        .0
                        .call(
                            &request,
                            exchange.stream_call_deadlines(),
                            MAX_FILTER_ANSWER,
                        )
                        .await;
                    let (status, headers, body) = match &answer {
                        Some((s, h, b)) => (Some(*s), h.as_slice(), b.as_slice()),
                        None => (None, &[][..], &[][..]),
                    };
                    let headers: Vec<(&str, &str)> = headers
                        .iter()
                        .map(|(n, v)| (n.as_str(), v.as_str()))
                        .collect();
                    let now = clock.now_ms();
                    exchange
                        .on_stream_call(*kv, status, &headers, body, now, &mut out)
                        .await;
                }
                if ended || exchange.is_done() {
                    self.record = Some(exchange.finish(*kv, clock.now_ms()).await);
                    self.state = BodyState::Ended;
                    return (!out.is_empty()).then_some(out);
                }
                if !out.is_empty() {
                    return Some(out);
                }
            },
        }
    }

    /// The exchange's record, once the body is complete (`None` before, and after the first
    /// call).
    pub fn take_record(&mut self) -> Option<ExchangeRecord> {
        self.record.take()
    }

    /// The client went away: finalizes the exchange (a stream's estimate stays charged) and
    /// returns its record (`None` if it was already taken).
    pub async fn abort(&mut self) -> Option<ExchangeRecord> {
        if let BodyState::Stream {
            exchange,
            kv,
            clock,
            ..
        } = &mut self.state
        {
            self.record = Some(exchange.finish(*kv, clock.now_ms()).await);
        }
        self.state = BodyState::Ended;
        self.record.take()
    }
}

impl<'a, H: HttpClient, K: Kv, C: Clock, E: Entropy> Driver<'a, H, K, C, E> {
    /// Runs one exchange up to the client response head (see the
    /// [module docs](crate::exchange::driver)).
    pub async fn handle(&self, req: &ClientRequest<'_>) -> ClientResponse<'a, H::Body, K, C> {
        let ids = Ids {
            token: self.entropy.token(),
            span_id: self.entropy.span_id(),
        };
        self.handle_with_ids(req, ids).await
    }

    /// [`Driver::handle`] with ids the host chose itself (e.g. the span id of a trace it
    /// already started, so the exported span is the parent the upstream sees in
    /// `traceparent`).
    pub async fn handle_with_ids(
        &self,
        req: &ClientRequest<'_>,
        ids: Ids,
    ) -> ClientResponse<'a, H::Body, K, C> {
        let mut options = self.options;
        // The stream loop below makes the output filters' per-event calls.
        options.stream_calls = true;
        let mut ex = Exchange::new(self.config, options, ids, self.clock.now_ms());
        let head = RequestHead {
            method: req.method,
            target: req.target,
            headers: req.headers,
        };
        let mut action = ex
            .on_request(self.kv, &head, req.body, self.clock.now_ms())
            .await;
        loop {
            let request = match action {
                Action::Respond(reply) => {
                    let record = ex.finish(self.kv, self.clock.now_ms()).await;
                    return full(reply, record);
                }
                Action::Send(r) => r,
            };
            let next = match self.http.send(&request, ex.deadlines()).await {
                Err(e) => {
                    let failure = match &e {
                        SendError::Connect(r) => AttemptFailure::Connect(r),
                        SendError::ConnectTimeout => AttemptFailure::ConnectTimeout,
                        SendError::Timeout => AttemptFailure::Timeout,
                    };
                    ex.on_upstream_failure(failure, self.clock.now_ms(), self.entropy.jitter())
                }
                Ok(mut resp) => {
                    let headers: Vec<(&str, &str)> = resp
                        .headers
                        .iter()
                        .map(|(n, v)| (n.as_str(), v.as_str()))
                        .collect();
                    match ex.on_upstream_head(resp.status, &headers, self.clock.now_ms()) {
                        HeadAction::ReadError => {
                            // A broken error body still tells the status: use what arrived.
                            let body = read(&mut resp.body, MAX_ERROR_BODY)
                                .await
                                .unwrap_or_default();
                            ex.on_upstream_failure(
                                AttemptFailure::ErrorBody(&body),
                                self.clock.now_ms(),
                                self.entropy.jitter(),
                            )
                        }
                        HeadAction::ReadBody => {
                            match read(&mut resp.body, self.options.max_response_bytes).await {
                                Some(body) if body.len() <= self.options.max_response_bytes => {
                                    ex.on_upstream_body(
                                        self.kv,
                                        &body,
                                        self.clock.now_ms(),
                                        self.entropy.jitter(),
                                    )
                                    .await
                                }
                                _ => ex.on_upstream_failure(
                                    AttemptFailure::BodyIncomplete,
                                    self.clock.now_ms(),
                                    self.entropy.jitter(),
                                ),
                            }
                        }
                        HeadAction::Stream { status, headers } => {
                            return ClientResponse {
                                status,
                                headers,
                                body: ClientBody {
                                    state: BodyState::Stream {
                                        exchange: Box::new(ex),
                                        upstream: resp.body,
                                        kv: self.kv,
                                        clock: self.clock,
                                        http: Caller(self.http),
                                    },
                                    record: None,
                                },
                            };
                        }
                    }
                }
            };
            match next {
                Next::Retry { delay_ms, .. } => {
                    if delay_ms > 0 {
                        self.http.sleep(delay_ms).await;
                    }
                    action = ex.next_request(self.kv, self.clock.now_ms()).await;
                }
                Next::Respond(reply) => {
                    let record = ex.finish(self.kv, self.clock.now_ms()).await;
                    return full(reply, record);
                }
            }
        }
    }
}

fn full<'a, B, K, C>(reply: super::Reply, record: ExchangeRecord) -> ClientResponse<'a, B, K, C> {
    ClientResponse {
        status: reply.status,
        headers: reply.headers,
        body: ClientBody {
            state: BodyState::Full(Some(reply.body)),
            record: Some(record),
        },
    }
}

/// Largest output filter answer for a stream event read, in bytes.
const MAX_FILTER_ANSWER: usize = 4 << 20;

/// Reads a body up to `max` bytes (one byte more tells the caller it was over). `None` when
/// the body broke.
async fn read(body: &mut impl UpstreamBody, max: usize) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        match body.next_chunk().await {
            Ok(Some(chunk)) => {
                let room = max.saturating_add(1).saturating_sub(out.len());
                out.extend_from_slice(chunk.get(..room).unwrap_or(&chunk));
                if out.len() > max {
                    return Some(out);
                }
            }
            Ok(None) => return Some(out),
            Err(_) => return None,
        }
    }
}
