//! The HTTP trigger: read the client's request (up to the body limit), run the exchange,
//! stream the response to the client one transcoded upstream chunk at a time (never holding
//! a whole LLM stream), then, with the response complete, export the trace and now and then
//! sweep expired state.

use futures::SinkExt;
use plano_core::exchange::driver::{ClientRequest, Driver, Entropy};
use plano_core::exchange::{ExchangeRecord, Ids};
use plano_core::time::Clock;
use spin_sdk::http::{Fields, IncomingRequest, OutgoingResponse, ResponseOutparam};
use spin_sdk::http_component;

use crate::host::{self, Host};
use crate::http::{Outbound, SpinClient, is_hop_header};
use crate::otlp::{self, TraceCtx};
use crate::store::{SWEEP_EVERY, SpinKv};
use crate::sys::{SpinClock, SpinEntropy};

static CLIENT: SpinClient = SpinClient;
static CLOCK: SpinClock = SpinClock;
static ENTROPY: SpinEntropy = SpinEntropy;

/// How long the trace export may take after the response.
const EXPORT_TIMEOUT_MS: u64 = 10_000;

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    let host = match host::get() {
        Ok(h) => h,
        Err(text) => return respond_text(out, 500, &text).await,
    };
    let kv = match SpinKv::open(&host.store_label) {
        Ok(kv) => kv,
        Err(text) => return respond_text(out, 500, &text).await,
    };
    // Spin's own request headers (`spin-full-url`, `spin-client-addr`, ...) describe the
    // trigger, not the client's request: they are not the upstream's business.
    let headers: Vec<(String, String)> = req
        .headers()
        .entries()
        .into_iter()
        .filter(|(n, _)| !n.starts_with("spin-"))
        .map(|(n, v)| (n, String::from_utf8_lossy(&v).into_owned()))
        .collect();
    let mut headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let method = req.method().to_string();
    let target = req.path_with_query().unwrap_or_else(|| "/".to_owned());
    // One byte over the limit tells the core the body is too large (413 in the client's shape).
    let body = read_limited(req, host.body_limit.saturating_add(1)).await;

    let trace = host.traces_url.as_ref().and_then(|_| {
        let tp = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("traceparent"))
            .map(|(_, v)| *v);
        otlp::begin(tp, host.sampling_percent, SpinEntropy::fresh_trace())
    });
    if let Some(tp) = trace.as_ref().and_then(|t| t.inject.as_deref()) {
        headers.push(("traceparent", tp));
    }
    let ids = Ids {
        token: ENTROPY.token(),
        span_id: trace
            .as_ref()
            .map_or_else(|| ENTROPY.span_id(), |t| t.span_id),
    };
    let request = ClientRequest {
        method: &method,
        target: &target,
        headers: &headers,
        body: &body,
    };
    let record = {
        let driver = Driver {
            config: &host.config,
            http: &CLIENT,
            kv: &kv,
            clock: &CLOCK,
            entropy: &ENTROPY,
            options: host.options(),
        };
        let resp = driver.handle_with_ids(&request, ids).await;
        let mut body = resp.body;
        let fields = Fields::new();
        for (name, value) in &resp.headers {
            if !is_hop_header(name) {
                // A value the host refuses is dropped rather than failing the response.
                let _ = fields.append(name, &value.clone().into_bytes());
            }
        }
        let response = OutgoingResponse::new(fields);
        let _ = response.set_status_code(resp.status);
        let mut sink = response.take_body();
        out.set(response);
        let mut gone = false;
        while let Some(chunk) = body.next_chunk().await {
            if sink.send(chunk).await.is_err() {
                gone = true;
                break;
            }
        }
        // Finishes the body: the client has the whole response from here on.
        drop(sink);
        if gone {
            body.abort().await
        } else {
            body.take_record()
        }
    };
    if let (Some(ctx), Some(record)) = (trace, record) {
        export(host, &ctx, &record).await;
    }
    if crate::frame::sweep_due(u16::from_le_bytes(SpinEntropy::bytes::<2>()), SWEEP_EVERY) {
        kv.sweep();
    }
}

/// Posts the exchange's span to the collector; a failure loses the span (best effort).
async fn export(host: &'static Host, ctx: &TraceCtx, record: &ExchangeRecord) {
    let Some(url) = host.traces_url.as_deref() else {
        return;
    };
    let body = otlp::export_body(ctx, record, CLOCK.now_ms());
    let out = Outbound {
        method: "POST",
        url,
        headers: vec![("content-type".into(), b"application/json".to_vec())],
        body: body.as_bytes(),
    };
    if let Some(Ok(resp)) = crate::http::send(out, EXPORT_TIMEOUT_MS).await {
        let _ = resp.into_body().await;
    }
}

/// A plain-text response (the host is not configured: no client API to shape it for).
async fn respond_text(out: ResponseOutparam, status: u16, text: &str) {
    let fields = Fields::new();
    let _ = fields.append("content-type", b"text/plain; charset=utf-8".as_ref());
    let response = OutgoingResponse::new(fields);
    let _ = response.set_status_code(status);
    let _ = out.set_with_body(response, text.as_bytes().to_vec()).await;
}

/// The request body, at most `max` bytes (the rest is left unread).
async fn read_limited(req: IncomingRequest, max: usize) -> Vec<u8> {
    use futures::StreamExt;
    let mut stream = req.into_body_stream();
    let mut out = Vec::new();
    while let Some(Ok(chunk)) = stream.next().await {
        let room = max.saturating_sub(out.len());
        out.extend_from_slice(chunk.get(..room).unwrap_or(&chunk));
        if out.len() >= max {
            break;
        }
    }
    out
}
