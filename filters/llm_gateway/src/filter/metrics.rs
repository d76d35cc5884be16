//! Envoy stats through proxy-wasm metrics (Envoy shows them as `wasmcustom.plano_llm.*`, and
//! `wasmcustom.plano_prompt.*` for the prompt listener):
//! request and error counts, rate-limit refusals, tokens, and histograms of time to first
//! token, duration and upstream time; a gauge of this VM's memory. Defined once per VM (Envoy
//! shares a stat of one name between the VMs of its workers).

use plano_core::exchange::ExchangeRecord;
use proxy_wasm::hostcalls;
use proxy_wasm::types::MetricType;

/// The metric ids of this VM.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Option<u32>,
    errors: Option<u32>,
    rate_limited: Option<u32>,
    input_tokens: Option<u32>,
    output_tokens: Option<u32>,
    ttft_ms: Option<u32>,
    duration_ms: Option<u32>,
    upstream_ms: Option<u32>,
    memory_bytes: Option<u32>,
    spans_dropped: Option<u32>,
}

fn define(kind: MetricType, name: &str) -> Option<u32> {
    hostcalls::define_metric(kind, name).ok()
}

impl Metrics {
    /// Defines every metric under `prefix` (a metric the host refuses is skipped).
    pub fn define(prefix: &str) -> Metrics {
        use MetricType::{Counter, Gauge, Histogram};
        let metric = |kind, name: &str| define(kind, &format!("{prefix}.{name}"));
        Metrics {
            requests: metric(Counter, "requests_total"),
            errors: metric(Counter, "errors_total"),
            rate_limited: metric(Counter, "rate_limited_total"),
            input_tokens: metric(Counter, "input_tokens_total"),
            output_tokens: metric(Counter, "output_tokens_total"),
            ttft_ms: metric(Histogram, "time_to_first_token_ms"),
            duration_ms: metric(Histogram, "duration_ms"),
            upstream_ms: metric(Histogram, "upstream_ms"),
            memory_bytes: metric(Gauge, "vm_memory_bytes"),
            spans_dropped: metric(Counter, "spans_dropped_total"),
        }
    }

    /// Records one finished exchange.
    pub fn record(&self, r: &ExchangeRecord) {
        inc(self.requests, 1);
        if r.status >= 500 {
            inc(self.errors, 1);
        }
        // A 429 without an upstream attempt is the gateway's own refusal.
        if r.status == 429 && r.attempts.is_empty() {
            inc(self.rate_limited, 1);
        }
        if let Some(u) = &r.usage {
            inc(self.input_tokens, u.input_tokens);
            inc(self.output_tokens, u.output_tokens);
        }
        if let Some(t) = r.timing.time_to_first_token_ms {
            rec(self.ttft_ms, t);
        }
        rec(self.duration_ms, r.timing.duration_ms);
        if !r.attempts.is_empty() {
            rec(self.upstream_ms, r.timing.upstream_ms);
        }
    }

    /// Sets the memory gauge.
    pub fn memory(&self, bytes: u64) {
        if let Some(id) = self.memory_bytes {
            let _ = hostcalls::record_metric(id, bytes);
        }
    }

    /// Counts spans dropped because the export queue was full.
    pub fn span_dropped(&self) {
        inc(self.spans_dropped, 1);
    }
}

fn inc(id: Option<u32>, n: u64) {
    if let Some(id) = id {
        let _ = hostcalls::increment_metric(id, i64::try_from(n).unwrap_or(i64::MAX));
    }
}

fn rec(id: Option<u32>, v: u64) {
    if let Some(id) = id {
        let _ = hostcalls::record_metric(id, v);
    }
}
