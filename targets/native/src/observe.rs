//! What happens when an exchange ends: metrics, one log line, and its span.

use plano_core::error::redact_secrets;
use plano_core::exchange::ExchangeRecord;
use plano_core::telemetry::Value;

use crate::clock::SystemClock;
use crate::metrics::Labels;
use crate::otel::TraceCtx;
use crate::server::Shared;

/// Records a finished (or aborted: the client went away) exchange.
pub fn exchange(app: &Shared, record: &ExchangeRecord, trace: Option<&TraceCtx>, aborted: bool) {
    fn provider_of<'r>(app: &'r Shared, name: &'r str) -> &'r str {
        app.config
            .provider(name)
            .map_or(name, |p| p.provider.as_str())
    }
    let last = record.attempts.last();
    let provider = last.map_or("none", |a| provider_of(app, &a.provider));
    let model = last
        .map(|a| a.upstream_model.as_str())
        .or_else(|| attr(record, "gen_ai.request.model"))
        .unwrap_or("none");
    let labels = Labels {
        client_api: record.client_api.as_str(),
        provider,
        model,
    };
    let failed: Vec<(&str, &str, &'static str)> = record
        .attempts
        .iter()
        .filter_map(|a| {
            a.error.map(|code| {
                (
                    provider_of(app, &a.provider),
                    a.upstream_model.as_str(),
                    code,
                )
            })
        })
        .collect();
    app.metrics.record(&labels, record, &failed);

    let timing = record.timing;
    let usage = record.usage.as_ref();
    let error_detail = record
        .error
        .as_ref()
        .map(|e| redact_secrets(&e.to_string()).into_owned());
    tracing::info!(
        target: "plano::exchange",
        client_api = labels.client_api,
        model,
        provider,
        status = record.status,
        duration_ms = timing.duration_ms,
        ttft_ms = timing.time_to_first_token_ms,
        overhead_ms = timing.overhead_ms,
        input_tokens = usage.map(|u| u.input_tokens),
        output_tokens = usage.map(|u| u.output_tokens),
        attempts = record.attempts.len(),
        stream = record.summary.is_some(),
        aborted,
        error = record.error.as_ref().map(|e| e.code()),
        detail = error_detail.as_deref(),
        "exchange"
    );
    if let Some(e) = &record.rate_limit_error {
        tracing::warn!(error = %e, "rate limit settlement failed");
    }
    if let Some(Err(e)) = &record.state {
        tracing::warn!(error = %e, "saving the Responses turn failed");
    }

    if let (Some(exporter), Some(ctx)) = (app.exporter(), trace) {
        exporter.end(ctx, record, SystemClock::now());
    }
}

fn attr<'r>(record: &'r ExchangeRecord, key: &str) -> Option<&'r str> {
    record.attributes.iter().find_map(|(k, v)| match v {
        Value::Str(s) if *k == key => Some(s.as_str()),
        _ => None,
    })
}
