//! The fetch event: read the client's request (up to the body limit), run the exchange, and
//! answer with a fixed body or a `ReadableStream` pulled one transcoded upstream chunk at a
//! time (the runtime pulls when the client can take more, so memory stays at one chunk).

use futures_util::StreamExt;
use std::time::Duration;

use plano_core::exchange::driver::{ClientBody, ClientRequest, Driver, Entropy};
use plano_core::exchange::{ExchangeRecord, Ids};
use plano_core::time::Clock;
use worker::{Context, Env, Fetch, Headers, Method, Request, RequestInit, Response, Result, event};

use crate::clock::WorkerClock;
use crate::entropy::WorkerEntropy;
use crate::host::{self, Host};
use crate::http::{FetchBody, FetchClient};
use crate::otlp::{self, TraceCtx};
use crate::store::Store;

static CLIENT: FetchClient = FetchClient;
static CLOCK: WorkerClock = WorkerClock;
static ENTROPY: WorkerEntropy = WorkerEntropy;

type Body = ClientBody<'static, FetchBody, Store, WorkerClock>;

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, ctx: Context) -> Result<Response> {
    let host = match host::get(&env) {
        Ok(h) => h,
        Err(text) => return Response::error(text, 500),
    };
    // One byte over the limit tells the core the body is too large (413 in the client's shape).
    let body = read_limited(&mut req, host.body_limit.saturating_add(1)).await;
    let headers: Vec<(String, String)> = req.headers().entries().collect();
    let mut headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let trace = host.traces_url.as_ref().and_then(|_| {
        let tp = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("traceparent"))
            .map(|(_, v)| *v);
        otlp::begin(tp, host.sampling_percent, WorkerEntropy::fresh_trace())
    });
    let inject = trace.as_ref().and_then(|t| t.inject.clone());
    if let Some(tp) = inject.as_deref() {
        headers.push(("traceparent", tp));
    }
    let ids = Ids {
        token: ENTROPY.token(),
        span_id: trace
            .as_ref()
            .map_or_else(|| ENTROPY.span_id(), |t| t.span_id),
    };
    let export = trace.map(|ctx| Export { host, ctx });
    let url = req.url()?;
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let method = req.method().to_string();
    let request = ClientRequest {
        method: &method,
        target: &target,
        headers: &headers,
        body: &body,
    };
    let resp = driver(host).handle_with_ids(&request, ids).await;
    let out = Headers::new();
    for (name, value) in &resp.headers {
        if matches!(
            name.as_str(),
            "content-length" | "transfer-encoding" | "connection" | "keep-alive"
        ) {
            continue;
        }
        // A value the runtime refuses is dropped rather than failing the response.
        let _ = out.append(name, value);
    }
    let builder = Response::builder()
        .with_status(resp.status)
        .with_headers(out);
    let mut body = resp.body;
    if let Some(record) = body.take_record() {
        if let Some(e) = export {
            e.send(&ctx, &record);
        }
        // Finished: the body is ready at once.
        let bytes = body.next_chunk().await.unwrap_or_default();
        return Ok(if bytes.is_empty() {
            builder.empty()
        } else {
            builder.fixed(bytes)
        });
    }
    let streamed = Streamed {
        body: Some(body),
        ctx,
        export,
    };
    let stream = futures_util::stream::unfold(streamed, |mut s| async move {
        let chunk = match s.body.as_mut() {
            Some(b) => b.next_chunk().await,
            None => None,
        };
        match chunk {
            Some(c) => Some((Ok::<Vec<u8>, worker::Error>(c), s)),
            None => {
                // Ended and finalized: nothing is left for `Drop` to do.
                let record = s.body.take().and_then(|mut b| b.take_record());
                if let (Some(e), Some(r)) = (s.export.take(), record) {
                    e.send(&s.ctx, &r);
                }
                None
            }
        }
    });
    builder.from_stream(stream.boxed_local())
}

fn driver(host: &'static Host) -> Driver<'static, FetchClient, Store, WorkerClock, WorkerEntropy> {
    Driver {
        config: &host.config,
        http: &CLIENT,
        kv: &host.store,
        clock: &CLOCK,
        entropy: &ENTROPY,
        options: host.options(),
    }
}

/// A streamed client body. Dropped before its end (the client went away and the runtime
/// cancelled the stream), it finalizes the exchange after the response with
/// `ctx.wait_until`: the rate-limit estimate stays charged, nothing is saved.
struct Streamed {
    body: Option<Body>,
    ctx: Context,
    export: Option<Export>,
}

impl Drop for Streamed {
    fn drop(&mut self) {
        if let Some(mut body) = self.body.take() {
            let export = self.export.take();
            self.ctx.wait_until(async move {
                let record = body.abort().await;
                if let (Some(e), Some(r)) = (export, record) {
                    e.post(&r).await;
                }
            });
        }
    }
}

/// A sampled exchange's span, exported when its record is ready.
struct Export {
    host: &'static Host,
    ctx: TraceCtx,
}

impl Export {
    /// Posts the span after the response (`ctx.wait_until`).
    fn send(self, ctx: &Context, record: &ExchangeRecord) {
        let record = record.clone();
        ctx.wait_until(async move { self.post(&record).await });
    }

    /// Posts the span to the collector; a failure loses the span (best effort, like a full
    /// exporter queue natively).
    async fn post(&self, record: &ExchangeRecord) {
        let Some(url) = self.host.traces_url.as_deref() else {
            return;
        };
        let body = otlp::export_body(&self.ctx, record, CLOCK.now_ms());
        let headers = Headers::new();
        let _ = headers.set("content-type", "application/json");
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(body.into()));
        let Ok(req) = Request::new_with_init(url, &init) else {
            return;
        };
        let fetch = Fetch::Request(req);
        let sent = std::pin::pin!(fetch.send());
        let timer = std::pin::pin!(worker::Delay::from(Duration::from_secs(10)));
        if let futures_util::future::Either::Left((Ok(mut resp), _)) =
            futures_util::future::select(sent, timer).await
        {
            let _ = resp.bytes().await;
        }
    }
}

/// How much of a too-large body is read and dropped before the 413.
const DRAIN_LIMIT: usize = 16 * 1024 * 1024;

/// The request body, at most `max` bytes (`max` read means too large; the rest is drained).
async fn read_limited(req: &mut Request, max: usize) -> Vec<u8> {
    let Ok(mut stream) = req.stream() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    while let Some(Ok(chunk)) = stream.next().await {
        let room = max.saturating_sub(out.len());
        out.extend_from_slice(chunk.get(..room).unwrap_or(&chunk));
        if out.len() >= max {
            break;
        }
    }
    if out.len() >= max {
        // Too large: the rest is read and dropped (up to DRAIN_LIMIT) before the 413, so a
        // client still sending gets the answer instead of a connection closed under it.
        let mut drained = 0usize;
        while drained < DRAIN_LIMIT {
            match stream.next().await {
                Some(Ok(chunk)) => drained = drained.saturating_add(chunk.len()),
                _ => break,
            }
        }
    }
    out
}
