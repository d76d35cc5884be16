//! One request: the exchange's phases called from proxy-wasm's HTTP callbacks.
//!
//! ```text
//! request headers    method, path and headers copied; the head is held (paused: with
//!                    allow_on_headers_stop_iteration the body still reaches the filter); a
//!                    content-length over the body limit is the 413 at once; no body: the
//!                    request phase now
//! request body       buffered (over the body limit: the 413 in the client's shape) to its
//!                    end, then the request phase: a local reply; a streaming upstream
//!                    request written over the held request (head, credentials, body, the
//!                    cluster header the route selects the provider's cluster by) and
//!                    resumed through Envoy's router (also after side calls); any other
//!                    upstream request sent with dispatch_http_call
//! response headers   the router's answer (or Envoy's own 503/504) judged by the exchange: a
//!                    stream's head replaced by the client's and let through; an error held
//! response body      a stream transcoded chunk by chunk as it arrives; a held answer read
//!                    whole, then replaced in place or retried
//! http call response a dispatched attempt's answer (or its failure): the reply, or a retry
//!                    or fallback (after a backoff slept on the sleep cluster); a stream
//!                    on a listener with output filters: transcoded with one filter call
//!                    in flight at a time (`Filtering`), answered whole at its end
//! log                the exchange finished (rate limit settled), stats, span queued
//! ```
//!
//! Retries and fallback after the first attempt go with dispatch_http_call (answered whole,
//! the client's reply sent with send_http_response, which replaces a held router answer):
//! a proxy-wasm filter cannot send a second request through the router. Streams on a
//! listener with output filters never go through the router: each complete event needs its
//! filter calls (dispatch_http_call) before it is released, so the stream is fetched whole
//! and the client gets the filtered result at its end.
//!
//! The router's answers (response headers and body above) are handled in
//! [`router_answer`].
//!
//! Every callback is total: nothing here unwraps, indexes or panics on any input.

use std::rc::Rc;
use std::time::Duration;

use plano_core::exchange::{
    Action, AttemptFailure, Exchange, HeadAction, Ids, MAX_ERROR_BODY, Next, Reply, RequestHead,
};
use plano_core::kv::now_or_never;
use plano_core::upstream::UpstreamRequest;
use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::{Action as Flow, BufferType, LogLevel, MapType};

use super::host::{log, now_ms, random, read_buffer, read_map, store, unit};
use super::root::Vm;
use super::routed;
use crate::filtered::{FilteredStream, MAX_FILTER_ANSWER, Step};
use crate::otlp::{self, Fresh, TraceCtx};
use crate::upstream::{SLEEP_CLUSTER, target_of, wants_stream};

mod router_answer;

/// How much of a buffered stream is transcoded at a time.
const STREAM_SLICE: usize = 64 * 1024;

/// Bytes `start..start + len` of the call's response body.
fn read_slice(start: usize, len: usize) -> Vec<u8> {
    hostcalls::get_buffer(BufferType::HttpCallResponseBody, start, len)
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// Where the request is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// Reading the client's request.
    Request,
    /// The attempt went through Envoy's router: waiting for its response head.
    Routed,
    /// The router's stream is transcoded chunk by chunk.
    Streaming,
    /// The router's answer is held (head paused, body buffered) until its end.
    Holding(Hold),
    /// An upstream call is in flight.
    Calling,
    /// Sleeping before a retry (a call to the sleep cluster is in flight).
    Sleeping,
    /// A dispatched stream goes through the output filters: a filter call is in flight.
    Filtering,
    /// Answered: nothing more to do.
    Done,
}

/// What a held router answer is read for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Hold {
    /// A success body for [`Exchange::on_upstream_body`].
    Body,
    /// An error body for [`Exchange::on_upstream_failure`].
    Error,
    /// Already judged (Envoy's own answer): replaced by this reply at its end.
    Reply(Reply),
}

/// One request's context.
pub struct Http {
    vm: Option<Rc<Vm>>,
    exchange: Option<Exchange<'static>>,
    state: State,
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    trace: Option<TraceCtx>,
    start_ms: u64,
    finished: bool,
    /// The client's request head is paused and writable, its body (this many bytes) buffered
    /// by Envoy: the first streaming attempt goes through the router (also after side calls,
    /// the router model's or input filters', sent with dispatch_http_call meanwhile).
    held_body: Option<usize>,
    /// Inside `on_http_request_body`: a routed attempt continues by returning `Continue`;
    /// elsewhere (after a side call) it resumes the held request.
    in_body: bool,
    /// A stream on a listener with output filters, between its filter calls.
    filtered: Option<Box<FilteredStream>>,
}

impl Http {
    /// A context for one request (`vm` is `None` when the plugin is not configured).
    pub fn new(vm: Option<Rc<Vm>>) -> Self {
        Http {
            vm,
            exchange: None,
            state: State::Request,
            method: String::new(),
            target: String::new(),
            headers: Vec::new(),
            trace: None,
            start_ms: now_ms(),
            finished: false,
            held_body: None,
            in_body: false,
            filtered: None,
        }
    }

    /// Answers the client with `reply` (Envoy's local reply).
    fn reply(&mut self, reply: &Reply) -> Flow {
        let headers: Vec<(&str, &str)> = reply
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        if let Err(s) =
            hostcalls::send_http_response(u32::from(reply.status), headers, Some(&reply.body))
        {
            log(
                LogLevel::Error,
                &format!("llm_gateway: local reply failed: {s:?}"),
            );
        }
        self.state = State::Done;
        self.held_body = None;
        Flow::Pause
    }

    /// A 500 for a state the filter cannot be in.
    fn internal(&mut self, why: &str) -> Flow {
        log(LogLevel::Error, &format!("llm_gateway: {why}"));
        let body = br#"{"error":{"message":"internal gateway error","type":"internal_error"}}"#;
        let reply = Reply {
            status: 500,
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body: body.to_vec(),
        };
        self.reply(&reply)
    }

    /// The request phase over the whole body.
    fn run_request(&mut self, body: &[u8]) -> Flow {
        let kv = store();
        let now = now_ms();
        let headers = refs(&self.headers);
        let head = RequestHead {
            method: &self.method,
            target: &self.target,
            headers: &headers,
        };
        let Some(ex) = self.exchange.as_mut() else {
            drop(headers);
            return self.internal("no exchange for the request");
        };
        let action = now_or_never(ex.on_request(&kv, &head, body, now));
        drop(headers);
        match action {
            None => self.internal("the state store did not answer synchronously"),
            Some(action) => self.act(action),
        }
    }

    /// Sends the upstream request or answers.
    fn act(&mut self, action: Action) -> Flow {
        match action {
            Action::Respond(reply) => self.reply(&reply),
            Action::Send(req) => self.send(&req),
        }
    }

    /// Sends `req` to its provider's cluster.
    fn send(&mut self, req: &UpstreamRequest) -> Flow {
        let Some(t) = target_of(&req.url) else {
            return self.failed(AttemptFailure::Connect("the upstream URL is not http(s)"));
        };
        // A stream through the output filters is fetched whole with dispatch_http_call: each
        // complete event needs its filter calls before the client may see it.
        let filtered = self
            .exchange
            .as_ref()
            .is_some_and(Exchange::has_output_filters);
        if wants_stream(req.header("accept"))
            && !filtered
            && let Some(size) = self.held_body.take()
        {
            match routed::rewrite_request(req, &t, size) {
                Ok(()) => {
                    self.state = State::Routed;
                    if !self.in_body
                        && let Err(s) = hostcalls::resume_http_request()
                    {
                        log(
                            LogLevel::Warn,
                            &format!("llm_gateway: resuming the request failed: {s:?}"),
                        );
                    }
                    return Flow::Continue;
                }
                // The head could not be written (never expected): the call path instead.
                Err(e) => log(
                    LogLevel::Warn,
                    &format!(
                        "llm_gateway: request rewrite failed ({e}); sending with dispatch_http_call"
                    ),
                ),
            }
        }
        let timeout_ms = self
            .exchange
            .as_ref()
            .map_or(300_000, |ex| ex.deadlines().response_ms);
        match dispatch(req, timeout_ms) {
            Ok(()) => {
                self.state = State::Calling;
                Flow::Pause
            }
            Err(why) => self.failed(AttemptFailure::Connect(why)),
        }
    }

    /// Sends the stream's filter calls and transcodes it until the next call is in flight
    /// (`Filtering`) or the stream is over (the whole reply to the client).
    fn pump(&mut self, mut fs: Box<FilteredStream>) -> Flow {
        let kv = store();
        loop {
            let Some(ex) = self.exchange.as_mut() else {
                return self.internal("no exchange");
            };
            match fs.step(ex, &kv, now_ms) {
                Step::Reply(reply) => return self.reply(&reply),
                Step::Call(req) => {
                    let timeout_ms = ex.stream_call_deadlines().response_ms;
                    if dispatch(&req, timeout_ms).is_ok() {
                        self.state = State::Filtering;
                        self.filtered = Some(fs);
                        return Flow::Pause;
                    }
                    // No answer (no cluster for the filter): the exchange fails it closed.
                    fs.answer(ex, &kv, None, &[], &[], now_ms());
                }
            }
        }
    }

    /// A stream filter call's answer (or its failure: no `:status`).
    fn filter_answered(&mut self, headers: &[(String, String)], body_size: usize) -> Flow {
        let Some(mut fs) = self.filtered.take() else {
            return self.internal("no filtered stream");
        };
        let status = headers
            .iter()
            .find(|(n, _)| n == ":status")
            .and_then(|(_, v)| v.parse::<u16>().ok())
            .filter(|_| body_size <= MAX_FILTER_ANSWER);
        let body = if status.is_some() {
            read_slice(0, body_size)
        } else {
            Vec::new()
        };
        let refs: Vec<(&str, &str)> = headers
            .iter()
            .filter(|(n, _)| !n.starts_with(':'))
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let kv = store();
        let Some(ex) = self.exchange.as_mut() else {
            drop(refs);
            return self.internal("no exchange");
        };
        fs.answer(ex, &kv, status, &refs, &body, now_ms());
        drop(refs);
        self.pump(fs)
    }

    /// An attempt failed before an answer.
    fn failed(&mut self, failure: AttemptFailure<'_>) -> Flow {
        let Some(ex) = self.exchange.as_mut() else {
            return self.internal("no exchange");
        };
        let next = ex.on_upstream_failure(failure, now_ms(), unit());
        self.next(next)
    }

    /// What follows an attempt: the reply, or a retry after its delay.
    fn next(&mut self, next: Next) -> Flow {
        match next {
            Next::Respond(reply) => self.reply(&reply),
            Next::Retry { delay_ms, .. } if delay_ms > 0 => self.sleep(delay_ms),
            Next::Retry { .. } => self.retry(),
        }
    }

    fn retry(&mut self) -> Flow {
        let kv = store();
        let Some(ex) = self.exchange.as_mut() else {
            return self.internal("no exchange");
        };
        match now_or_never(ex.next_request(&kv, now_ms())) {
            Some(action) => self.act(action),
            None => self.internal("the state store did not answer synchronously"),
        }
    }

    /// Waits `ms` with a call to the sleep cluster (Envoy's fault filter delays it); without
    /// that cluster the retry goes at once.
    fn sleep(&mut self, ms: u64) -> Flow {
        let delay = ms.to_string();
        let headers = vec![
            (":method", "GET"),
            (":scheme", "http"),
            (":authority", "plano-sleep"),
            (":path", "/sleep"),
            ("x-envoy-fault-delay-request", delay.as_str()),
        ];
        let timeout = Duration::from_millis(ms.saturating_add(5_000));
        match hostcalls::dispatch_http_call(SLEEP_CLUSTER, headers, None, vec![], timeout) {
            Ok(_) => {
                self.state = State::Sleeping;
                Flow::Pause
            }
            Err(_) => self.retry(),
        }
    }

    /// The upstream's answer (any status), or its failure (no head: `headers` empty).
    fn answered(&mut self, headers: Vec<(String, String)>, body_size: usize) -> Flow {
        let status = headers
            .iter()
            .find(|(n, _)| n == ":status")
            .and_then(|(_, v)| v.parse::<u16>().ok());
        let Some(status) = status else {
            return self.broken();
        };
        // Envoy's own answers for a call that got no upstream response (plain text).
        if !(200..300).contains(&status)
            && !headers
                .iter()
                .any(|(n, v)| n == "content-type" && v.contains("json"))
        {
            let start = read_slice(0, body_size.min(120));
            let text = String::from_utf8_lossy(&start).into_owned();
            if text.starts_with("upstream request timeout") {
                return self.failed(AttemptFailure::Timeout);
            }
            if text.starts_with("upstream connect error") || text.starts_with("no healthy upstream")
            {
                return self.failed(AttemptFailure::Connect(&text));
            }
        }
        let refs: Vec<(&str, &str)> = headers
            .iter()
            .filter(|(n, _)| !n.starts_with(':'))
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let kv = store();
        let now = now_ms();
        let max = self
            .vm
            .as_ref()
            .map_or(usize::MAX, |vm| vm.options.max_response_bytes);
        let Some(ex) = self.exchange.as_mut() else {
            return self.internal("no exchange");
        };
        let next = match ex.on_upstream_head(status, &refs, now) {
            HeadAction::ReadError => {
                let body = read_slice(0, body_size.min(MAX_ERROR_BODY));
                ex.on_upstream_failure(AttemptFailure::ErrorBody(&body), now, unit())
            }
            HeadAction::ReadBody if body_size > max => {
                ex.on_upstream_failure(AttemptFailure::BodyIncomplete, now, unit())
            }
            HeadAction::ReadBody => {
                let body = read_slice(0, body_size);
                match now_or_never(ex.on_upstream_body(&kv, &body, now, unit())) {
                    Some(n) => n,
                    None => return self.internal("the state store did not answer synchronously"),
                }
            }
            HeadAction::Stream { status, headers } if ex.has_output_filters() => {
                // The filter calls' answers come in later callbacks: the body is copied out
                // of this call's response (readable only now).
                let body = read_slice(0, body_size);
                return self.pump(Box::new(FilteredStream::new(status, headers, body)));
            }
            HeadAction::Stream { status, headers } => {
                // The answer is transcoded slice by slice from Envoy's buffer: only the
                // client's bytes are held whole (send_http_response takes one body).
                let mut out = Vec::with_capacity(body_size.saturating_add(body_size / 2));
                let mut at = 0;
                while at < body_size {
                    let n = STREAM_SLICE.min(body_size - at);
                    let chunk = read_slice(at, n);
                    if chunk.is_empty() {
                        break;
                    }
                    at += chunk.len();
                    let _ = now_or_never(ex.on_upstream_chunk(&kv, &chunk, now_ms(), &mut out));
                }
                let _ = now_or_never(ex.on_upstream_end(&kv, now_ms(), &mut out));
                Next::Respond(Reply {
                    status,
                    headers,
                    body: out,
                })
            }
        };
        self.next(next)
    }

    /// The call failed without an answer. Envoy's async client answers a failure before the
    /// upstream's head itself (503 "upstream connect error", 504 "upstream request timeout",
    /// handled in [`Http::answered`]); a failure callback means the upstream's answer had
    /// begun and broke (reset, or over the buffer limit). So: a head arrived, then its body
    /// broke — a stream ends with the client's error event (the events before the break are
    /// lost with the async client's partial answer), a body is incomplete; neither is
    /// retried on the same provider.
    fn broken(&mut self) -> Flow {
        let now = now_ms();
        let Some(ex) = self.exchange.as_mut() else {
            return self.internal("no exchange");
        };
        let next = match ex.on_upstream_head(200, &[], now) {
            HeadAction::Stream { status, headers } => {
                let mut out = Vec::new();
                ex.on_upstream_broken(false, now, &mut out);
                Next::Respond(Reply {
                    status,
                    headers,
                    body: out,
                })
            }
            HeadAction::ReadBody | HeadAction::ReadError => {
                ex.on_upstream_failure(AttemptFailure::BodyIncomplete, now, unit())
            }
        };
        self.next(next)
    }

    /// The 413 for a body over the limit, without holding it.
    fn refuse_oversized(&mut self) -> Flow {
        let headers = refs(&self.headers);
        let head = RequestHead {
            method: &self.method,
            target: &self.target,
            headers: &headers,
        };
        let action = self
            .exchange
            .as_mut()
            .map(|ex| ex.on_oversized_request(&head));
        drop(headers);
        match action {
            Some(Action::Respond(mut reply)) => {
                // The rest of the body is never read: the connection cannot be reused.
                reply
                    .headers
                    .push(("connection".to_owned(), "close".to_owned()));
                self.reply(&reply)
            }
            _ => self.internal("no exchange for an oversized request"),
        }
    }

    fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        let (Some(vm), Some(ex)) = (self.vm.as_ref(), self.exchange.as_mut()) else {
            return;
        };
        let end = now_ms();
        let Some(record) = now_or_never(ex.finish(&store(), end)) else {
            return;
        };
        vm.served.set(vm.served.get().saturating_add(1));
        vm.metrics.record(&record);
        if let Some(rle) = &record.rate_limit_error {
            log(
                LogLevel::Warn,
                &format!("llm_gateway: rate limit settlement: {rle}"),
            );
        }
        if let Some(ctx) = &self.trace {
            vm.push_span(otlp::span(ctx, &record, self.start_ms, end));
        }
        // The exchange holds the request body: free it now, not when Envoy drops the context.
        self.exchange = None;
    }
}

impl Context for Http {
    fn on_http_call_response(
        &mut self,
        _token_id: u32,
        _num_headers: usize,
        body_size: usize,
        _num_trailers: usize,
    ) {
        match self.state {
            State::Sleeping => {
                let _ = self.retry();
            }
            State::Calling => {
                let headers = read_map(MapType::HttpCallResponseHeaders);
                let _ = self.answered(headers, body_size);
            }
            State::Filtering => {
                let headers = read_map(MapType::HttpCallResponseHeaders);
                let _ = self.filter_answered(&headers, body_size);
            }
            State::Request | State::Routed | State::Streaming | State::Holding(_) | State::Done => {
            }
        }
    }

    fn on_done(&mut self) -> bool {
        self.finish();
        true
    }
}

impl HttpContext for Http {
    fn on_http_request_headers(&mut self, _num_headers: usize, end_of_stream: bool) -> Flow {
        let Some(vm) = self.vm.clone() else {
            return self.internal("llm_gateway is not configured");
        };
        let mut headers = Vec::new();
        let mut authority = None;
        for (name, value) in read_map(MapType::HttpRequestHeaders) {
            match name.as_str() {
                ":method" => self.method = value,
                ":path" => self.target = value,
                ":authority" => authority = Some(value),
                n if n.starts_with(':') => {}
                _ => headers.push((name, value)),
            }
        }
        if let Some(a) = authority
            && !headers.iter().any(|(n, _)| n == "host")
        {
            headers.push(("host".to_owned(), a));
        }
        let fresh = Fresh {
            trace_id: random(),
            span_id: random(),
            unit: unit(),
        };
        let traceparent = headers
            .iter()
            .find(|(n, _)| n == "traceparent")
            .map(|(_, v)| v.as_str());
        self.trace = otlp::begin(traceparent, vm.sampling, fresh);
        if let Some(inject) = self.trace.as_ref().and_then(|t| t.inject.clone()) {
            headers.push(("traceparent".to_owned(), inject));
        }
        self.headers = headers;
        let ids = Ids {
            token: otlp::hex(&random::<16>()),
            span_id: self.trace.as_ref().map_or_else(random, |t| t.span_id),
        };
        self.exchange = Some(Exchange::new(vm.config, vm.options, ids, self.start_ms));
        if end_of_stream {
            return self.run_request(&[]);
        }
        let limit = vm.config.gateway.body_limit;
        let declared = self
            .headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit) {
            return self.refuse_oversized();
        }
        // Held until the request phase: the upstream request is written over it.
        Flow::Pause
    }

    fn on_http_request_body(&mut self, body_size: usize, end_of_stream: bool) -> Flow {
        if self.state != State::Request {
            return Flow::Pause;
        }
        let limit = self
            .vm
            .as_ref()
            .map_or(u64::MAX, |vm| vm.config.gateway.body_limit);
        if u64::try_from(body_size).unwrap_or(u64::MAX) > limit {
            return self.refuse_oversized();
        }
        if !end_of_stream {
            return Flow::Pause;
        }
        let body = read_buffer(BufferType::HttpRequestBody, body_size);
        self.held_body = Some(body_size);
        self.in_body = true;
        let flow = self.run_request(&body);
        self.in_body = false;
        flow
    }

    fn on_http_request_trailers(&mut self, _num_trailers: usize) -> Flow {
        // A body ended by trailers: its last data callback did not say so.
        if self.state != State::Request {
            return Flow::Pause;
        }
        let limit = self
            .vm
            .as_ref()
            .map_or(0, |vm| vm.config.gateway.body_limit);
        let max = usize::try_from(limit.saturating_add(1)).unwrap_or(usize::MAX);
        let body = read_buffer(BufferType::HttpRequestBody, max);
        if body.len() > max.saturating_sub(1) {
            return self.refuse_oversized();
        }
        self.run_request(&body)
    }

    fn on_http_response_headers(&mut self, _num_headers: usize, end_of_stream: bool) -> Flow {
        match self.state {
            State::Routed => self.routed_head(end_of_stream),
            // The filter's own replies (send_http_response) pass through.
            _ => Flow::Continue,
        }
    }

    fn on_http_response_body(&mut self, body_size: usize, end_of_stream: bool) -> Flow {
        match self.state {
            State::Streaming => self.stream_chunk(body_size, end_of_stream),
            State::Holding(_) if end_of_stream => self.held_end(body_size),
            // Held until its end, or until a retry's answer replaces it.
            State::Holding(_) | State::Calling | State::Sleeping | State::Filtering => Flow::Pause,
            State::Request | State::Routed | State::Done => Flow::Continue,
        }
    }

    fn on_log(&mut self) {
        self.finish();
    }
}

/// Borrowed header pairs.
fn refs(headers: &[(String, String)]) -> Vec<(&str, &str)> {
    headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

/// Sends `req` to its cluster with dispatch_http_call; the answer comes to
/// `on_http_call_response`. Fails when the URL is not http(s) or Envoy has no such cluster.
fn dispatch(req: &UpstreamRequest, timeout_ms: u64) -> Result<(), &'static str> {
    let Some(t) = target_of(&req.url) else {
        return Err("the upstream URL is not http(s)");
    };
    let mut map: Vec<(&str, &str)> = vec![
        (":method", req.method),
        (":scheme", t.scheme),
        (":authority", t.authority.as_str()),
        (":path", t.path.as_str()),
    ];
    for h in &req.headers {
        let name = h.name.as_str();
        if !matches!(name, "host" | "content-length" | "transfer-encoding") {
            map.push((name, h.value()));
        }
    }
    let body = (!req.body.is_empty()).then_some(req.body.as_slice());
    let timeout = Duration::from_millis(timeout_ms.clamp(1, u64::from(u32::MAX)));
    match hostcalls::dispatch_http_call(&t.cluster, map, body, vec![], timeout) {
        Ok(_) => Ok(()),
        // No such cluster (the Envoy config was not generated from this plano config).
        Err(s) => {
            log(
                LogLevel::Warn,
                &format!("llm_gateway: cannot call cluster {}: {s:?}", t.cluster),
            );
            Err("no Envoy cluster for this upstream")
        }
    }
}
