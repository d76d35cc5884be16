//! Tracing and Plano's `state_storage`.

use super::Cx;
use crate::config::diag::{Code, child, index};
use crate::config::enums::StateStorageKind;
use crate::config::model::Tracing;
use crate::config::raw::{RawConfig, RawExporter};
use crate::config::values::{is_header_name, parse_base_url};

/// Checks `tracing` and returns what the gateway acts on.
pub(crate) fn tracing(raw: &RawConfig, cx: &mut Cx<'_>) -> Tracing {
    let mut out = Tracing::default();
    let Some(t) = &raw.tracing else {
        return out;
    };
    let t = &t.value;
    cx.range(&t.random_sampling, "tracing.random_sampling", 0, 100);
    cx.range(&t.sampling_rate, "tracing.sampling_rate", 0.0, 1.0);
    out.sampling_percent = match (&t.random_sampling, &t.sampling_rate) {
        (Some(r), _) => Some(r.value.min(100)),
        (None, Some(rate)) => {
            cx.warn(
                Code::Deprecated,
                "tracing.sampling_rate",
                rate.pos,
                "sampling_rate is deprecated; use random_sampling (a percentage)",
            );
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Some((rate.value.clamp(0.0, 1.0) * 100.0).round() as u32)
        }
        (None, None) => Some(100),
    };
    if let Some(e) = &t.opentracing_grpc_endpoint
        && let Some(resolved) = cx.secret(e, "tracing.opentracing_grpc_endpoint")
    {
        match parse_base_url(resolved.expose()) {
            Ok(url) if !url.path_prefix.is_empty() => cx.error(
                Code::InvalidValue,
                "tracing.opentracing_grpc_endpoint",
                e.pos,
                "the collector endpoint must not have a path",
            ),
            Ok(url) => out.otlp_endpoint = Some(url),
            Err(msg) => cx.error(
                Code::InvalidValue,
                "tracing.opentracing_grpc_endpoint",
                e.pos,
                msg,
            ),
        }
    }
    if let Some(attrs) = &t.span_attributes {
        out.header_prefixes = attrs
            .value
            .header_prefixes
            .iter()
            .flat_map(|h| h.value.iter())
            .map(|h| h.value.to_ascii_lowercase())
            .collect();
        for (i, h) in attrs
            .value
            .header_prefixes
            .iter()
            .flat_map(|h| h.value.iter())
            .enumerate()
        {
            if !is_header_name(&h.value) {
                cx.error(
                    Code::InvalidValue,
                    &index("tracing.span_attributes.header_prefixes", i),
                    h.pos,
                    format!("invalid header prefix `{}`", h.value),
                );
            }
        }
        out.static_attributes = attrs
            .value
            .fixed
            .iter()
            .flat_map(|s| s.value.0.iter())
            .map(|(k, v)| (k.value.clone(), v.value.clone()))
            .collect();
    }
    for (i, e) in t.exporters.iter().flat_map(|e| e.value.iter()).enumerate() {
        let RawExporter::Posthog(p) = e;
        let path = index("tracing.exporters", i);
        if let Some(u) = &p.url
            && let Err(msg) = parse_base_url(&u.value)
        {
            cx.error(Code::InvalidValue, &child(&path, "url"), u.pos, msg);
        }
        if let Some(k) = &p.api_key {
            cx.secret_syntax(k, &child(&path, "api_key"));
        }
    }
    cx.not_acted_on("tracing", "exporters", &t.exporters, "tracing exporters");
    cx.not_acted_on(
        "tracing",
        "trace_arch_internal",
        &t.trace_arch_internal,
        "internal spans",
    );
    out
}

/// Checks Plano's `state_storage`: memory is what the gateway does by default; postgres is
/// not supported (state goes where `gateway.state` says).
pub(crate) fn state_storage(raw: &RawConfig, cx: &mut Cx<'_>) {
    for key in ["state_storage", "state_storage_v1_responses"] {
        let field = if key == "state_storage" {
            &raw.state_storage
        } else {
            &raw.state_storage_v1_responses
        };
        let Some(s) = field else { continue };
        if key != "state_storage" {
            cx.warn(
                Code::Deprecated,
                key,
                s.pos,
                "state_storage_v1_responses is deprecated; use state_storage",
            );
        }
        match (
            s.value.kind.as_ref().map(|k| k.value),
            &s.value.connection_string,
        ) {
            (Some(StateStorageKind::Postgres), None) => cx.error(
                Code::MissingKey,
                key,
                s.pos,
                "postgres state storage needs `connection_string`",
            ),
            (Some(StateStorageKind::Postgres), Some(c)) => {
                cx.secret_syntax(c, &child(key, "connection_string"));
                cx.warn(
                    Code::NotActedOn,
                    &child(key, "type"),
                    s.value.kind.as_ref().map_or(s.pos, |k| k.pos),
                    "accepted but not acted on yet: postgres state storage; conversation state \
                     uses the host backend from gateway.state",
                );
            }
            (_, Some(c)) => cx.warn(
                Code::NotActedOn,
                &child(key, "connection_string"),
                c.pos,
                "accepted but not acted on yet: connection_string is only used with postgres",
            ),
            _ => {}
        }
    }
}
