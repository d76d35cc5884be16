//! Routing sections not acted on yet: overrides, metrics sources, affinity, prompt caching.
//! Their values are range-checked so a broken config is caught now.

use super::Cx;
use crate::config::diag::{Code, child, index};
use crate::config::enums::SessionCacheKind;
use crate::config::raw::{RawConfig, RawMetricsSource};
use crate::config::values::parse_base_url;

/// Checks `overrides`, `model_metrics_sources`, `routing` and `prompt_caching`.
pub(crate) fn routing_sections(raw: &RawConfig, cx: &mut Cx<'_>) {
    if let Some(o) = &raw.overrides {
        let o = &o.value;
        let path = "overrides";
        cx.range(
            &o.prompt_target_intent_matching_threshold,
            &child(path, "prompt_target_intent_matching_threshold"),
            0.0,
            1.0,
        );
        if let Some(t) = &o.upstream_connect_timeout {
            cx.duration(t, &child(path, "upstream_connect_timeout"));
        }
        cx.range(
            &o.orchestrator_model_context_length,
            &child(path, "orchestrator_model_context_length"),
            1,
            u64::MAX,
        );
        let what = "this override";
        cx.not_acted_on(
            path,
            "prompt_target_intent_matching_threshold",
            &o.prompt_target_intent_matching_threshold,
            what,
        );
        cx.not_acted_on(
            path,
            "optimize_context_window",
            &o.optimize_context_window,
            what,
        );
        cx.not_acted_on(
            path,
            "use_agent_orchestrator",
            &o.use_agent_orchestrator,
            what,
        );
        cx.not_acted_on(path, "disable_signals", &o.disable_signals, what);
        cx.not_acted_on(
            path,
            "upstream_tls_ca_path",
            &o.upstream_tls_ca_path,
            "the host's TLS roots are used",
        );
        cx.not_acted_on(path, "llm_routing_model", &o.llm_routing_model, what);
        cx.not_acted_on(
            path,
            "agent_orchestration_model",
            &o.agent_orchestration_model,
            what,
        );
        cx.not_acted_on(
            path,
            "orchestrator_model_context_length",
            &o.orchestrator_model_context_length,
            what,
        );
    }

    for (i, s) in raw
        .model_metrics_sources
        .iter()
        .flat_map(|s| s.value.iter())
        .enumerate()
    {
        let path = index("model_metrics_sources", i);
        let (url, refresh, kind, has_provider, at) = match s {
            RawMetricsSource::Cost(c) => (
                &c.url,
                &c.refresh_interval,
                &c.kind,
                c.seen.contains(&"provider"),
                c.at,
            ),
            RawMetricsSource::Latency(l) => (
                &l.url,
                &l.refresh_interval,
                &l.kind,
                l.seen.contains(&"provider"),
                l.at,
            ),
        };
        if let Some(k) = kind {
            if k.value == "cost" || k.value == "latency" {
                if !has_provider {
                    cx.error(
                        Code::MissingKey,
                        &path,
                        at,
                        "missing required key `provider`",
                    );
                }
            } else {
                let new = if k.value == "prometheus_metrics" {
                    "latency"
                } else {
                    "cost"
                };
                cx.warn(
                    Code::Deprecated,
                    &child(&path, "type"),
                    k.pos,
                    format!(
                        "`{}` is deprecated; use `type: {new}` with a `provider`",
                        k.value
                    ),
                );
            }
        }
        if let Some(u) = url
            && let Err(e) = parse_base_url(&u.value)
        {
            cx.error(Code::InvalidValue, &child(&path, "url"), u.pos, e);
        }
        cx.range(refresh, &child(&path, "refresh_interval"), 1, u64::MAX);
        let auth = match s {
            RawMetricsSource::Cost(c) => &c.auth,
            RawMetricsSource::Latency(l) => &l.auth,
        };
        if let Some(token) = auth.as_ref().and_then(|a| a.value.token.as_ref()) {
            cx.secret_syntax(token, &child(&child(&path, "auth"), "token"));
        }
    }
    cx.not_acted_on(
        "",
        "model_metrics_sources",
        &raw.model_metrics_sources,
        "model metrics sources",
    );

    if let Some(r) = &raw.routing {
        let r = &r.value;
        cx.range(
            &r.session_ttl_seconds,
            "routing.session_ttl_seconds",
            1,
            u64::MAX,
        );
        cx.range(
            &r.session_max_entries,
            "routing.session_max_entries",
            1,
            10_000,
        );
        if let Some(c) = &r.session_cache {
            let redis = c
                .value
                .kind
                .as_ref()
                .is_some_and(|k| k.value == SessionCacheKind::Redis);
            match &c.value.url {
                None if redis => cx.error(
                    Code::MissingKey,
                    "routing.session_cache",
                    c.pos,
                    "a redis session cache needs `url`",
                ),
                Some(u) => cx.secret_syntax(u, "routing.session_cache.url"),
                None => {}
            }
        }
        if let Some(b) = &r.routing_budget {
            match (&b.value.max_switch_spend_pct, &b.value.max_overhead_pct) {
                (None, None)
                    if !b.value.seen.contains(&"max_switch_spend_pct")
                        && !b.value.seen.contains(&"max_overhead_pct") =>
                {
                    cx.error(
                        Code::MissingKey,
                        "routing.routing_budget",
                        b.pos,
                        "missing required key `max_switch_spend_pct`",
                    )
                }
                (Some(_), Some(old)) => cx.error(
                    Code::Conflict,
                    "routing.routing_budget.max_overhead_pct",
                    old.pos,
                    "use max_switch_spend_pct or the deprecated max_overhead_pct, not both",
                ),
                (None, Some(old)) => cx.warn(
                    Code::Deprecated,
                    "routing.routing_budget.max_overhead_pct",
                    old.pos,
                    "max_overhead_pct is deprecated; rename it to max_switch_spend_pct",
                ),
                _ => {}
            }
            cx.range(
                &b.value.max_overhead_pct,
                "routing.routing_budget.max_overhead_pct",
                0.0,
                100.0,
            );
            cx.range(
                &b.value.max_switch_spend_pct,
                "routing.routing_budget.max_switch_spend_pct",
                0.0,
                100.0,
            );
            cx.range(
                &b.value.cache_read_discount,
                "routing.routing_budget.cache_read_discount",
                0.0,
                1.0,
            );
        }
    }
    cx.not_acted_on(
        "",
        "routing",
        &raw.routing,
        "model affinity and routing budget",
    );

    if let Some(c) = &raw.prompt_caching {
        cx.range(
            &c.value.min_prefix_tokens,
            "prompt_caching.min_prefix_tokens",
            1,
            u64::MAX,
        );
        cx.range(
            &c.value.session_ttl_seconds,
            "prompt_caching.session_ttl_seconds",
            1,
            u64::MAX,
        );
    }
    cx.not_acted_on(
        "",
        "prompt_caching",
        &raw.prompt_caching,
        "automatic prompt caching",
    );
}
