//! OTLP/HTTP trace export: one span per exchange, from its record, encoded as an OTLP
//! `ExportTraceServiceRequest` protobuf (the `opentelemetry-proto` types, prost encoding) and
//! posted by the root context's tick with `dispatch_http_call` to the collector's cluster.
//!
//! The span id is the one the core forwards upstream in `traceparent`, so the provider's
//! spans hang under the gateway's. Sampling is parent-based (a client `traceparent` decides),
//! else `tracing.random_sampling` percent (100 when unset). Plano's gRPC collector endpoint
//! (port 4317) becomes OTLP/HTTP's 4318, path `/v1/traces`. Pure functions, tested natively.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status, span};
use plano_core::config::values::BaseUrl;
use plano_core::exchange::ExchangeRecord;
use plano_core::telemetry::{Value, trace};
use prost::Message;

pub use plano_core::telemetry::trace::{Fresh, TraceCtx, begin, collector, hex};

/// Most spans one export carries; more wait for the next tick.
pub const MAX_BATCH: usize = 512;
/// Most spans waiting per VM; more are dropped (and counted) while the collector is slow.
pub const MAX_QUEUED: usize = 4096;

/// The path the spans are posted to, under the endpoint's own path prefix.
pub fn traces_path(endpoint: &BaseUrl) -> String {
    format!("{}/v1/traces", endpoint.path_prefix.trim_end_matches('/'))
}

/// The span of one exchange that started at `start_ms` and ended at `end_ms`.
pub fn span(ctx: &TraceCtx, record: &ExchangeRecord, start_ms: u64, end_ms: u64) -> Span {
    let mut attributes: Vec<KeyValue> = record
        .attributes
        .iter()
        .map(|(k, v)| kv(k, value(v)))
        .collect();
    attributes.extend(
        record
            .custom_attributes
            .iter()
            .map(|(k, v)| kv(k, any_value::Value::StringValue(v.clone()))),
    );
    attributes.push(kv(
        "http.response.status_code",
        any_value::Value::IntValue(i64::from(record.status)),
    ));
    let name = trace::span_name(record);
    let status = trace::error_status(record).map(|message| Status { code: 2, message });
    Span {
        trace_id: ctx.trace_id.to_vec(),
        span_id: ctx.span_id.to_vec(),
        parent_span_id: ctx.parent.map(|p| p.to_vec()).unwrap_or_default(),
        name,
        // SPAN_KIND_CLIENT: the gateway calls the model, as the GenAI conventions say.
        kind: span::SpanKind::Client as i32,
        start_time_unix_nano: start_ms.saturating_mul(1_000_000),
        end_time_unix_nano: end_ms.saturating_mul(1_000_000),
        attributes,
        status,
        ..Span::default()
    }
}

/// The protobuf body of one export of `spans`.
pub fn export_body(spans: Vec<Span>) -> Vec<u8> {
    let request = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![kv(
                    "service.name",
                    any_value::Value::StringValue("plano".to_owned()),
                )],
                ..Resource::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "plano-envoy".to_owned(),
                    version: env!("CARGO_PKG_VERSION").to_owned(),
                    ..InstrumentationScope::default()
                }),
                spans,
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    };
    request.encode_to_vec()
}

fn kv(key: &str, v: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: Some(v) }),
        ..KeyValue::default()
    }
}

fn value(v: &Value) -> any_value::Value {
    match v {
        Value::Str(s) => any_value::Value::StringValue(s.clone()),
        Value::Int(i) => any_value::Value::IntValue(*i),
        Value::Double(d) => any_value::Value::DoubleValue(*d),
        Value::Bool(b) => any_value::Value::BoolValue(*b),
        other => any_value::Value::StringValue(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const FRESH: Fresh = Fresh {
        trace_id: [7; 16],
        span_id: [9; 8],
        unit: 0.5,
    };

    #[test]
    fn a_sampled_client_trace_is_continued_and_an_unsampled_one_is_not() {
        let tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        let ctx = begin(Some(tp), 0, FRESH).unwrap();
        assert_eq!(hex(&ctx.trace_id), "0af7651916cd43dd8448eb211c80319c");
        assert_eq!(
            ctx.parent.map(|p| hex(&p)).as_deref(),
            Some("b7ad6b7169203331")
        );
        assert_eq!(ctx.span_id, [9; 8]);
        assert_eq!(ctx.inject, None);
        let unsampled = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
        assert_eq!(begin(Some(unsampled), 100, FRESH), None);
    }

    #[test]
    fn without_a_client_trace_the_sampling_rate_decides() {
        assert_eq!(begin(None, 0, FRESH), None);
        assert_eq!(begin(None, 50, FRESH), None);
        let ctx = begin(None, 51, FRESH).unwrap();
        assert_eq!(
            ctx.inject.as_deref(),
            Some("00-07070707070707070707070707070707-0909090909090909-01")
        );
    }

    #[test]
    fn the_export_decodes_as_an_otlp_request() {
        let ctx = begin(None, 100, FRESH).unwrap();
        let span = Span {
            trace_id: ctx.trace_id.to_vec(),
            span_id: ctx.span_id.to_vec(),
            name: "chat gpt-4o".into(),
            ..Span::default()
        };
        let body = export_body(vec![span]);
        let back = ExportTraceServiceRequest::decode(body.as_slice()).unwrap();
        let spans = &back.resource_spans[0].scope_spans[0].spans;
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].name, "chat gpt-4o");
        assert_eq!(spans[0].span_id, vec![9; 8]);
    }
}
