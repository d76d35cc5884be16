//! OTLP/HTTP (protobuf) trace export: one span per exchange, built from its record and
//! exported with `opentelemetry-otlp`'s exporter **before the invocation ends**.
//!
//! Lambda freezes the execution environment as soon as the response is complete, so a
//! batch processor's background export would run only at the next thaw, or never. The
//! engine therefore awaits [`Exporter::export`] after the exchange is finalized and before
//! it ends the response body; the exporter sends through the process's pooled client (a
//! warm connection to the collector). A failed export loses the span (best effort), with a
//! log line.
//!
//! Ids and sampling are the native host's: parent-based on a client `traceparent`, else
//! `tracing.random_sampling` percent; a sampled request without `traceparent` gets one, so
//! the upstream call carries the trace. `tracing.opentracing_grpc_endpoint` names the
//! collector; spans go to `<endpoint>/v1/traces`, port 4317 becoming 4318.

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
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanExporter, SpanLinks};
use plano_core::config::Tracing;
use plano_core::exchange::ExchangeRecord;
use plano_core::telemetry::Value as CoreValue;
use plano_core::upstream::Traceparent;

use crate::client::HttpsClient;
use crate::entropy::{OsEntropy, hex};

/// The trace context of one sampled exchange.
#[derive(Debug, Clone)]
pub struct TraceCtx {
    /// Trace id.
    pub trace_id: [u8; 16],
    /// The exchange's span id (handed to the driver, so it is the upstream's parent).
    pub span_id: [u8; 8],
    /// The client's span, when it sent a `traceparent`.
    pub parent: Option<[u8; 8]>,
    /// A `traceparent` to add to the request handed to the core, when the client sent none.
    pub inject: Option<String>,
}

/// The exporter.
#[derive(Debug)]
pub struct Exporter {
    exporter: opentelemetry_otlp::SpanExporter,
    sampling_percent: u32,
    scope: InstrumentationScope,
}

/// The OTLP/HTTP traces URL for the configured collector endpoint.
pub fn traces_url(tracing: &Tracing) -> Option<String> {
    let mut url = tracing.otlp_endpoint.clone()?;
    if url.port == 4317 {
        url.port = 4318;
    }
    Some(format!("{}/v1/traces", url.to_url()))
}

#[derive(Debug, Clone)]
struct OtlpClient(HttpsClient);

#[async_trait::async_trait]
impl opentelemetry_http::HttpClient for OtlpClient {
    async fn send_bytes(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, HttpError> {
        self.0
            .send_whole(request, Duration::from_secs(5))
            .await
            .map_err(Into::into)
    }
}

impl Exporter {
    /// An exporter to `url` through `client`.
    ///
    /// # Errors
    /// The exporter could not be built (a malformed URL).
    pub fn new(url: String, sampling_percent: u32, client: HttpsClient) -> Result<Self, String> {
        let mut exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_http_client(OtlpClient(client))
            .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
            .with_endpoint(url)
            .with_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| e.to_string())?;
        exporter.set_resource(&Resource::builder_empty().with_service_name("plano").build());
        Ok(Exporter {
            exporter,
            sampling_percent,
            scope: InstrumentationScope::builder("plano")
                .with_version(env!("CARGO_PKG_VERSION"))
                .build(),
        })
    }

    /// The trace context of a new exchange, or `None` when it is not sampled.
    pub fn begin(&self, traceparent: Option<&str>) -> Option<TraceCtx> {
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
                })
            }
        }
    }

    /// Exports the exchange's span now (awaited: see the module docs).
    pub async fn export(&self, ctx: &TraceCtx, record: &ExchangeRecord, end: SystemTime) {
        let span = self.span(ctx, record, end);
        if let Err(e) = self.exporter.export(vec![span]).await {
            tracing::warn!(error = %e, "trace export failed; the span is lost");
        }
    }

    fn span(&self, ctx: &TraceCtx, record: &ExchangeRecord, end: SystemTime) -> SpanData {
        let mut attributes: Vec<KeyValue> =
            Vec::with_capacity(record.attributes.len() + record.custom_attributes.len() + 3);
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
        attributes.push(KeyValue::new("faas.trigger", "http"));
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
        SpanData {
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
            start_time: end.checked_sub(duration).unwrap_or(end),
            end_time: end,
            attributes,
            dropped_attributes_count: 0,
            events: SpanEvents::default(),
            links: SpanLinks::default(),
            status,
            instrumentation_scope: self.scope.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_ids_parse_or_are_refused() {
        assert_eq!(unhex::<2>(b"0aff"), Some([0x0a, 0xff]));
        assert_eq!(unhex::<2>(b"0af"), None);
        assert_eq!(unhex::<2>(b"zzzz"), None);
    }
}
