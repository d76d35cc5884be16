//! OTLP/HTTP JSON encoding of one span per exchange, from its record, for the hosts where the
//! OpenTelemetry SDK does not build or has no runtime (Workers, Spin): they post the body to
//! the collector themselves after the response. The OTLP JSON mapping: hex ids, nanosecond
//! times and 64-bit integers as strings. Pure: the host passes the randomness and the time.
//!
//! As on the native host: the span id is the one the core forwards upstream in
//! `traceparent`; the trace id is the client's, or a fresh one; sampling is parent-based,
//! else `tracing.random_sampling` percent; Plano's gRPC collector endpoint becomes
//! `<endpoint>/v1/traces` with port 4317 replaced by OTLP/HTTP's 4318. Pure functions,
//! tested natively.

use crate::config::Tracing;
use crate::exchange::ExchangeRecord;
use crate::telemetry::Value;
use serde_json::{Value as Json, json};

pub use super::trace::{Fresh, TraceCtx, begin, hex};

/// The OTLP/HTTP traces URL for the configured collector.
pub fn traces_url(tracing: &Tracing) -> Option<String> {
    let url = super::trace::collector(tracing)?;
    Some(format!("{}/v1/traces", url.to_url()))
}

/// The OTLP JSON export request for one exchange that ended at `end_ms`.
/// The OTLP/HTTP JSON request body for `record`'s span, ended at `end_ms`, from a host whose
/// `cloud.platform` resource attribute is `platform`.
pub fn export_body(ctx: &TraceCtx, record: &ExchangeRecord, end_ms: u64, platform: &str) -> String {
    let mut attributes: Vec<Json> = record
        .attributes
        .iter()
        .map(|(k, v)| json!({ "key": k, "value": value(v) }))
        .collect();
    for (k, v) in &record.custom_attributes {
        attributes.push(json!({ "key": k, "value": { "stringValue": v } }));
    }
    attributes.push(json!({
        "key": "http.response.status_code",
        "value": { "intValue": record.status.to_string() }
    }));
    attributes.push(json!({
        "key": "plano.client.api",
        "value": { "stringValue": record.client_api.as_str() }
    }));
    let name = super::trace::span_name(record);
    // OTLP status codes: 0 unset, 2 error.
    let status = match super::trace::error_status(record) {
        Some(message) => json!({ "code": 2, "message": message }),
        None => json!({ "code": 0 }),
    };
    let start_ms = end_ms.saturating_sub(record.timing.duration_ms);
    let nanos = |ms: u64| ms.saturating_mul(1_000_000).to_string();
    let mut span = json!({
        "traceId": hex(&ctx.trace_id),
        "spanId": hex(&ctx.span_id),
        "name": name,
        // SPAN_KIND_CLIENT: the gateway's call to the model provider.
        "kind": 3,
        "startTimeUnixNano": nanos(start_ms),
        "endTimeUnixNano": nanos(end_ms),
        "attributes": attributes,
        "status": status,
    });
    if let (Some(parent), Some(obj)) = (ctx.parent, span.as_object_mut()) {
        obj.insert("parentSpanId".into(), Json::String(hex(&parent)));
    }
    json!({
        "resourceSpans": [{
            "resource": {
                "attributes": [
                    { "key": "service.name", "value": { "stringValue": "plano" } },
                    { "key": "cloud.platform", "value": { "stringValue": platform } }
                ]
            },
            "scopeSpans": [{
                "scope": { "name": "plano", "version": env!("CARGO_PKG_VERSION") },
                "spans": [span]
            }]
        }]
    })
    .to_string()
}

fn value(v: &Value) -> Json {
    match v {
        Value::Str(s) => json!({ "stringValue": s }),
        Value::Int(i) => json!({ "intValue": i.to_string() }),
        Value::Double(d) => json!({ "doubleValue": d }),
        Value::Bool(b) => json!({ "boolValue": b }),
        Value::StrArray(a) => json!({
            "arrayValue": { "values": a.iter().map(|s| json!({ "stringValue": s })).collect::<Vec<_>>() }
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRESH: Fresh = Fresh {
        trace_id: [0xab; 16],
        span_id: [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08],
        unit: 0.5,
    };

    #[test]
    fn a_sampled_client_trace_is_continued() {
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
    fn without_a_client_trace_the_sampling_rate_decides() {
        assert_eq!(begin(None, 50, FRESH), None, "0.5 is not under 50%");
        let ctx = begin(None, 51, FRESH).unwrap();
        assert_eq!(
            ctx.inject.as_deref(),
            Some("00-abababababababababababababababab-0102030405060708-01")
        );
        assert_eq!(ctx.parent, None);
    }

    #[test]
    fn values_follow_the_otlp_json_mapping() {
        assert_eq!(value(&Value::Int(7)), json!({ "intValue": "7" }));
        assert_eq!(value(&Value::Bool(true)), json!({ "boolValue": true }));
        assert_eq!(
            value(&Value::StrArray(vec!["stop".into()])),
            json!({ "arrayValue": { "values": [{ "stringValue": "stop" }] } })
        );
    }
}
