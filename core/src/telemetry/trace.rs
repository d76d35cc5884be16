//! The trace context of one exchange, shared by every host's span export (the OTLP JSON
//! encoder here, the protobuf one of the Envoy filter, the SDK-based native and Lambda hosts
//! read the same rules): the span id is the one the core forwards upstream in
//! `traceparent`; the trace id is the client's, or a fresh one; sampling is parent-based,
//! else `tracing.random_sampling` percent; Plano's gRPC collector port 4317 becomes
//! OTLP/HTTP's 4318. Pure: the host passes the randomness.

use crate::config::Tracing;
use crate::config::values::BaseUrl;
use crate::exchange::ExchangeRecord;
use crate::telemetry::Value;
use crate::upstream::Traceparent;

/// The trace context of one sampled exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceCtx {
    /// Trace id.
    pub trace_id: [u8; 16],
    /// The exchange's span id (handed to the driver as its span id).
    pub span_id: [u8; 8],
    /// The client's span, when it sent a `traceparent`.
    pub parent: Option<[u8; 8]>,
    /// A `traceparent` to add to the request handed to the core, when the client sent none.
    pub inject: Option<String>,
}

/// Fresh random values for [`begin`].
#[derive(Debug, Clone, Copy)]
pub struct Fresh {
    /// A trace id for a trace the gateway starts.
    pub trace_id: [u8; 16],
    /// The exchange's span id.
    pub span_id: [u8; 8],
    /// A uniform number in `[0, 1)` for random sampling.
    pub unit: f64,
}

/// The collector's endpoint (OTLP/HTTP: port 4317, as Plano configures gRPC, becomes 4318).
pub fn collector(tracing: &Tracing) -> Option<BaseUrl> {
    let mut url = tracing.otlp_endpoint.clone()?;
    if url.port == 4317 {
        url.port = 4318;
    }
    Some(url)
}

/// The trace context of a new exchange, or `None` when it is not sampled.
pub fn begin(traceparent: Option<&str>, sampling_percent: u32, fresh: Fresh) -> Option<TraceCtx> {
    match traceparent.and_then(Traceparent::parse) {
        Some(tp) => {
            if tp.flags & 1 == 0 {
                return None;
            }
            Some(TraceCtx {
                trace_id: unhex(&tp.trace_id)?,
                span_id: fresh.span_id,
                parent: unhex(&tp.parent_id),
                inject: None,
            })
        }
        None => {
            if fresh.unit * 100.0 >= f64::from(sampling_percent) {
                return None;
            }
            Some(TraceCtx {
                inject: Some(format!(
                    "00-{}-{}-01",
                    hex(&fresh.trace_id),
                    hex(&fresh.span_id)
                )),
                trace_id: fresh.trace_id,
                span_id: fresh.span_id,
                parent: None,
            })
        }
    }
}

/// The span's name: `{operation} {model}` (GenAI conventions), `chat` when unknown.
pub fn span_name(record: &ExchangeRecord) -> String {
    let operation = attr_str(record, "gen_ai.operation.name").unwrap_or("chat");
    match attr_str(record, "gen_ai.request.model") {
        Some(model) => format!("{operation} {model}"),
        None => operation.to_owned(),
    }
}

/// The span's error status message, for a 5xx exchange (the error's code, else the status).
pub fn error_status(record: &ExchangeRecord) -> Option<String> {
    (record.status >= 500).then(|| {
        record
            .error
            .as_ref()
            .map_or_else(|| record.status.to_string(), |e| e.code().to_owned())
    })
}

fn attr_str<'r>(record: &'r ExchangeRecord, key: &str) -> Option<&'r str> {
    record.attributes.iter().find_map(|(k, v)| match v {
        Value::Str(s) if *k == key => Some(s.as_str()),
        _ => None,
    })
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            s.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
        }
    }
    s
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
