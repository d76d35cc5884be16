//! OTLP/HTTP JSON trace export: one span per exchange, built from its record and posted to
//! the collector through Spin's outbound HTTP once the client has its whole response (see
//! `handler`). The OpenTelemetry SDK needs threads and a runtime the component does not have,
//! so the span is encoded here by the OTLP JSON mapping (hex ids, nanosecond times and 64-bit
//! integers as strings).
//!
//! As on the other hosts: the span id is the one the core forwards upstream in
//! `traceparent`; the trace id is the client's or a fresh one; sampling follows a client's
//! `traceparent`, else `tracing.random_sampling` percent; Plano's gRPC collector endpoint
//! becomes `<endpoint>/v1/traces` with port 4317 replaced by OTLP/HTTP's 4318. Pure
//! functions, tested natively.

use plano_core::config::Tracing;
use plano_core::exchange::ExchangeRecord;
use plano_core::telemetry::Value;
use plano_core::upstream::Traceparent;
use serde_json::{Map, Value as Json, json};

/// The trace context of one sampled exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceCtx {
    /// Trace id.
    pub trace_id: [u8; 16],
    /// The exchange's span id (given to the driver as its span id).
    pub span_id: [u8; 8],
    /// The client's span, when it sent a `traceparent`.
    pub parent: Option<[u8; 8]>,
    /// A `traceparent` to add to the request handed to the core, when the client sent none.
    pub inject: Option<String>,
}

/// Random values [`begin`] draws from.
#[derive(Debug, Clone, Copy)]
pub struct Fresh {
    /// A trace id, for a trace the gateway starts.
    pub trace_id: [u8; 16],
    /// The exchange's span id.
    pub span_id: [u8; 8],
    /// Uniform in `[0, 1)`: the random-sampling draw.
    pub unit: f64,
}

/// The collector's OTLP/HTTP traces URL, when tracing is configured.
pub fn traces_url(tracing: &Tracing) -> Option<String> {
    let mut endpoint = tracing.otlp_endpoint.clone()?;
    if endpoint.port == 4317 {
        endpoint.port = 4318;
    }
    Some(format!("{}/v1/traces", endpoint.to_url()))
}

/// The trace context of a new exchange; `None` when it is not sampled.
pub fn begin(traceparent: Option<&str>, sampling_percent: u32, fresh: Fresh) -> Option<TraceCtx> {
    if let Some(tp) = traceparent.and_then(Traceparent::parse) {
        // A client's decision is followed both ways.
        if tp.flags & 1 == 0 {
            return None;
        }
        return Some(TraceCtx {
            trace_id: unhex(&tp.trace_id)?,
            span_id: fresh.span_id,
            parent: unhex(&tp.parent_id),
            inject: None,
        });
    }
    if fresh.unit * 100.0 >= f64::from(sampling_percent) {
        return None;
    }
    Some(TraceCtx {
        trace_id: fresh.trace_id,
        span_id: fresh.span_id,
        parent: None,
        inject: Some(format!(
            "00-{}-{}-01",
            hex(&fresh.trace_id),
            hex(&fresh.span_id)
        )),
    })
}

/// The body of the OTLP export request for one exchange that ended at `end_ms`.
pub fn export_body(ctx: &TraceCtx, record: &ExchangeRecord, end_ms: u64) -> String {
    let mut attributes: Vec<Json> = record
        .attributes
        .iter()
        .map(|(k, v)| attribute(k, value(v)))
        .collect();
    attributes.extend(
        record
            .custom_attributes
            .iter()
            .map(|(k, v)| attribute(k, json!({ "stringValue": v }))),
    );
    attributes.push(attribute(
        "http.response.status_code",
        json!({ "intValue": record.status.to_string() }),
    ));
    attributes.push(attribute(
        "plano.client.api",
        json!({ "stringValue": record.client_api.as_str() }),
    ));
    let operation = str_attribute(record, "gen_ai.operation.name").unwrap_or("chat");
    let name = match str_attribute(record, "gen_ai.request.model") {
        Some(model) => format!("{operation} {model}"),
        None => operation.to_owned(),
    };
    // OTLP status codes: 0 unset, 2 error (server-side failures only).
    let status = if record.status >= 500 {
        let message = record
            .error
            .as_ref()
            .map_or_else(|| record.status.to_string(), |e| e.code().to_owned());
        json!({ "code": 2, "message": message })
    } else {
        json!({ "code": 0 })
    };
    let nanos = |ms: u64| ms.saturating_mul(1_000_000).to_string();
    let mut span = Map::new();
    span.insert("traceId".into(), hex(&ctx.trace_id).into());
    span.insert("spanId".into(), hex(&ctx.span_id).into());
    if let Some(parent) = ctx.parent {
        span.insert("parentSpanId".into(), hex(&parent).into());
    }
    span.insert("name".into(), name.into());
    // SPAN_KIND_CLIENT: the gateway's call to the model provider.
    span.insert("kind".into(), 3.into());
    let start_ms = end_ms.saturating_sub(record.timing.duration_ms);
    span.insert("startTimeUnixNano".into(), nanos(start_ms).into());
    span.insert("endTimeUnixNano".into(), nanos(end_ms).into());
    span.insert("attributes".into(), attributes.into());
    span.insert("status".into(), status);
    json!({
        "resourceSpans": [{
            "resource": { "attributes": [
                attribute("service.name", json!({ "stringValue": "plano" })),
                attribute("cloud.platform", json!({ "stringValue": "fermyon_spin" })),
            ]},
            "scopeSpans": [{
                "scope": { "name": "plano", "version": env!("CARGO_PKG_VERSION") },
                "spans": [Json::Object(span)],
            }],
        }]
    })
    .to_string()
}

fn attribute(key: &str, value: Json) -> Json {
    json!({ "key": key, "value": value })
}

fn value(v: &Value) -> Json {
    match v {
        Value::Str(s) => json!({ "stringValue": s }),
        Value::Int(i) => json!({ "intValue": i.to_string() }),
        Value::Double(d) => json!({ "doubleValue": d }),
        Value::Bool(b) => json!({ "boolValue": b }),
        Value::StrArray(items) => {
            let values: Vec<Json> = items.iter().map(|s| json!({ "stringValue": s })).collect();
            json!({ "arrayValue": { "values": values } })
        }
    }
}

fn str_attribute<'r>(record: &'r ExchangeRecord, key: &str) -> Option<&'r str> {
    record.attributes.iter().find_map(|(k, v)| match v {
        Value::Str(s) if *k == key => Some(s.as_str()),
        _ => None,
    })
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lowercase-hex ASCII of exactly `2 * N` digits to bytes.
fn unhex<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    if text.len() != 2 * N {
        return None;
    }
    for (slot, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        *slot = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRESH: Fresh = Fresh {
        trace_id: [0xab; 16],
        span_id: [1, 2, 3, 4, 5, 6, 7, 8],
        unit: 0.5,
    };

    #[test]
    fn a_client_trace_decides_and_is_continued() {
        let tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        let ctx = begin(Some(tp), 0, FRESH).unwrap();
        assert_eq!(hex(&ctx.trace_id), "0af7651916cd43dd8448eb211c80319c");
        assert_eq!(
            ctx.parent.map(|p| hex(&p)).as_deref(),
            Some("b7ad6b7169203331")
        );
        assert_eq!(ctx.span_id, FRESH.span_id);
        assert_eq!(ctx.inject, None);
        let unsampled = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
        assert_eq!(begin(Some(unsampled), 100, FRESH), None);
    }

    #[test]
    fn without_a_client_trace_the_rate_decides() {
        assert_eq!(begin(None, 50, FRESH), None);
        let ctx = begin(None, 51, FRESH).unwrap();
        assert_eq!(
            ctx.inject.as_deref(),
            Some("00-abababababababababababababababab-0102030405060708-01")
        );
    }

    #[test]
    fn values_follow_the_otlp_json_mapping() {
        assert_eq!(value(&Value::Int(7)), json!({ "intValue": "7" }));
        assert_eq!(
            value(&Value::StrArray(vec!["stop".into()])),
            json!({ "arrayValue": { "values": [{ "stringValue": "stop" }] } })
        );
        assert_eq!(unhex::<2>(b"0aff"), Some([0x0a, 0xff]));
        assert_eq!(unhex::<2>(b"0af"), None);
    }
}
