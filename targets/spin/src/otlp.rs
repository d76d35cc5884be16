//! OTLP/HTTP JSON trace export: one span per exchange, encoded by
//! [`plano_core::telemetry::otlp_json`] and posted to the collector through Spin's outbound HTTP once the client has its whole response (see `handler`).

use plano_core::exchange::ExchangeRecord;
pub use plano_core::telemetry::otlp_json::{Fresh, TraceCtx, begin, hex, traces_url};

/// The OTLP/HTTP JSON body for `record`'s span, ended at `end_ms`.
pub fn export_body(ctx: &TraceCtx, record: &ExchangeRecord, end_ms: u64) -> String {
    plano_core::telemetry::otlp_json::export_body(ctx, record, end_ms, "fermyon_spin")
}
