//! OTLP/HTTP (protobuf) trace export: one span per exchange, from its record.
//!
//! The spans are built as finished `SpanData` (ids, parent, start and end from the record)
//! and handed to the OpenTelemetry SDK's batch span processor, which exports them from its
//! own thread through `opentelemetry-otlp`'s HTTP exporter. The exporter's HTTP client is
//! ours ([`crate::client::UpstreamClient`], run on the server's tokio runtime), so no second
//! HTTP stack is linked.
//!
//! - **Ids.** The span id is the one the core put in the `traceparent` it forwarded upstream
//!   (so the provider's spans, if any, hang under ours); the trace id is the client's, or a
//!   fresh one. A sampled request without `traceparent` gets one (`00-<trace>-<span>-01`), so
//!   the upstream call carries the trace too.
//! - **Sampling.** Parent-based: a client `traceparent` decides with its sampled flag;
//!   otherwise `tracing.random_sampling` percent of requests are sampled.
//! - **Endpoint.** Plano's `tracing.opentracing_grpc_endpoint` names a collector; this host
//!   speaks OTLP over HTTP, so spans go to `<endpoint>/v1/traces`, and the conventional gRPC
//!   port 4317 is replaced by the HTTP port 4318 (with a log line saying so).

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use opentelemetry::trace::{
    SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{Array, InstrumentationScope, KeyValue, StringValue, Value};
use opentelemetry_http::HttpError;
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, SpanData, SpanEvents, SpanLinks, SpanProcessor,
};
use plano_core::config::Tracing;
use plano_core::exchange::ExchangeRecord;
use plano_core::telemetry::Value as CoreValue;
use plano_core::upstream::Traceparent;

use crate::client::UpstreamClient;
use crate::entropy::{OsEntropy, hex};

/// The trace context of one sampled exchange.
#[derive(Debug, Clone)]
pub struct TraceCtx {
    /// Trace id.
    pub trace_id: [u8; 16],
    /// The exchange's span id (preset into the driver's entropy).
    pub span_id: [u8; 8],
    /// The client's span, when it sent a `traceparent`.
    pub parent: Option<[u8; 8]>,
    /// A `traceparent` to add to the request handed to the core, when the client sent none.
    pub inject: Option<String>,
    /// When the request arrived.
    pub start: SystemTime,
}

/// The exporter.
#[derive(Debug)]
pub struct Exporter {
    processor: BatchSpanProcessor,
    sampling_percent: u32,
    scope: InstrumentationScope,
    /// Where spans go (for logs).
    pub url: String,
}

/// The OTLP/HTTP URL for a configured collector endpoint, and whether the port was changed.
pub fn traces_url(tracing: &Tracing) -> Option<(String, bool)> {
    let endpoint = tracing.otlp_endpoint.as_ref()?;
    let mut url = endpoint.clone();
    let moved = url.port == 4317;
    if moved {
        url.port = 4318;
    }
    Some((format!("{}/v1/traces", url.to_url()), moved))
}

#[derive(Debug, Clone)]
struct OtlpClient {
    client: UpstreamClient,
    runtime: tokio::runtime::Handle,
}

#[async_trait::async_trait]
impl opentelemetry_http::HttpClient for OtlpClient {
    async fn send_bytes(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, HttpError> {
        // The batch processor runs exports on its own thread with a plain executor: the
        // request itself runs on the server's runtime.
        let client = self.client.clone();
        let task = self
            .runtime
            .spawn(async move { client.send_whole(request, Duration::from_secs(10)).await });
        match task.await {
            Ok(Ok(resp)) => Ok(resp),
            Ok(Err(e)) => Err(e.into()),
            Err(e) => Err(e.to_string().into()),
        }
    }
}

impl Exporter {
    /// An exporter to `url`, sending through `client` on `runtime`.
    ///
    /// # Errors
    /// The exporter could not be built (a malformed URL).
    pub fn new(
        url: String,
        sampling_percent: u32,
        client: UpstreamClient,
        runtime: tokio::runtime::Handle,
    ) -> Result<Exporter, String> {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_http_client(OtlpClient { client, runtime })
            .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
            .with_endpoint(url.clone())
            .with_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        let mut processor = BatchSpanProcessor::builder(exporter)
            .with_batch_config(
                BatchConfigBuilder::default()
                    .with_scheduled_delay(Duration::from_secs(2))
                    .with_max_queue_size(8192)
                    .build(),
            )
            .build();
        processor.set_resource(&Resource::builder_empty().with_service_name("plano").build());
        Ok(Exporter {
            processor,
            sampling_percent,
            scope: InstrumentationScope::builder("plano")
                .with_version(env!("CARGO_PKG_VERSION"))
                .build(),
            url,
        })
    }

    /// The trace context of a new exchange, or `None` when it is not sampled.
    pub fn begin(&self, traceparent: Option<&str>, start: SystemTime) -> Option<TraceCtx> {
        let span_id = OsEntropy::id::<8>();
        match traceparent.and_then(Traceparent::parse) {
            Some(tp) => {
                if tp.flags & 1 == 0 {
                    return None;
                }
                Some(TraceCtx {
                    trace_id: unhex(&tp.trace_id)?,
                    span_id,
                    parent: unhex(&tp.parent_id),
                    inject: None,
                    start,
                })
            }
            None => {
                if OsEntropy::unit() * 100.0 >= f64::from(self.sampling_percent) {
                    return None;
                }
                let trace_id = OsEntropy::id::<16>();
                Some(TraceCtx {
                    inject: Some(format!("00-{}-{}-01", hex(&trace_id), hex(&span_id))),
                    trace_id,
                    span_id,
                    parent: None,
                    start,
                })
            }
        }
    }

    /// Queues the exchange's span for export.
    pub fn end(&self, ctx: &TraceCtx, record: &ExchangeRecord, end: SystemTime) {
        let mut attributes: Vec<KeyValue> =
            Vec::with_capacity(record.attributes.len() + record.custom_attributes.len() + 2);
        for (k, v) in &record.attributes {
            attributes.push(KeyValue::new(*k, value(v)));
        }
        for (k, v) in &record.custom_attributes {
            attributes.push(KeyValue::new(k.clone(), v.clone()));
        }
        attributes.push(KeyValue::new(
            "http.response.status_code",
            i64::from(record.status),
        ));
        attributes.push(KeyValue::new(
            "plano.client.api",
            record.client_api.as_str(),
        ));
        let operation = attr_str(record, "gen_ai.operation.name").unwrap_or("chat");
        let name = match attr_str(record, "gen_ai.request.model") {
            Some(model) => format!("{operation} {model}"),
            None => operation.to_owned(),
        };
        let status = match &record.error {
            Some(e) if record.status >= 500 => Status::error(e.code()),
            _ if record.status >= 500 => Status::error(record.status.to_string()),
            _ => Status::Unset,
        };
        let duration = Duration::from_millis(record.timing.duration_ms);
        let start = end.checked_sub(duration).unwrap_or(ctx.start);
        let span = SpanData {
            span_context: SpanContext::new(
                TraceId::from_bytes(ctx.trace_id),
                SpanId::from_bytes(ctx.span_id),
                TraceFlags::SAMPLED,
                false,
                TraceState::default(),
            ),
            parent_span_id: ctx.parent.map_or(SpanId::INVALID, SpanId::from_bytes),
            parent_span_is_remote: ctx.parent.is_some(),
            span_kind: SpanKind::Client,
            name: Cow::Owned(name),
            start_time: start,
            end_time: end,
            attributes,
            dropped_attributes_count: 0,
            events: SpanEvents::default(),
            links: SpanLinks::default(),
            status,
            instrumentation_scope: self.scope.clone(),
        };
        self.processor.on_end(span);
    }

    /// Exports what is queued and stops. Blocking: run it off the runtime's workers.
    pub fn shutdown(&self) {
        if let Err(e) = self.processor.shutdown_with_timeout(Duration::from_secs(5)) {
            tracing::warn!(error = %e, "trace export did not finish at shutdown");
        }
    }
}

fn attr_str<'r>(record: &'r ExchangeRecord, key: &str) -> Option<&'r str> {
    record.attributes.iter().find_map(|(k, v)| match v {
        CoreValue::Str(s) if *k == key => Some(s.as_str()),
        _ => None,
    })
}

fn value(v: &CoreValue) -> Value {
    match v {
        CoreValue::Str(s) => Value::String(s.clone().into()),
        CoreValue::Int(i) => Value::I64(*i),
        CoreValue::Double(d) => Value::F64(*d),
        CoreValue::Bool(b) => Value::Bool(*b),
        CoreValue::StrArray(a) => Value::Array(Array::String(
            a.iter().map(|s| StringValue::from(s.clone())).collect(),
        )),
    }
}

/// Lowercase-hex ASCII to bytes.
fn unhex<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    if text.len() != N * 2 {
        return None;
    }
    for (i, slot) in out.iter_mut().enumerate() {
        let pair = text.get(i * 2..i * 2 + 2)?;
        let s = std::str::from_utf8(pair).ok()?;
        *slot = u8::from_str_radix(s, 16).ok()?;
    }
    Some(out)
}
