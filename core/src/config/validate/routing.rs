//! Routing sections: the preference router's settings ([`routing`]), and the overrides,
//! metrics sources, affinity and prompt-caching keys, range-checked (with a warning for
//! those not acted on) so a broken config is caught now.

use std::time::Duration;

use super::Cx;
use crate::config::diag::{Code, child, index};
use crate::config::enums::{CostProvider, LatencyProvider, SessionCacheKind};
use crate::config::model::{Alias, Provider, RoutePreference, Routing};
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
    if let Some(r) = &raw.routing {
        let r = &r.value;
        let path = "routing";
        cx.not_acted_on(
            path,
            "session_max_entries",
            &r.session_max_entries,
            "pins live in the host's state store, bounded by their TTL",
        );
        cx.not_acted_on(
            path,
            "routing_budget",
            &r.routing_budget,
            "the routing budget",
        );
        cx.not_acted_on(
            path,
            "route_on_user_only",
            &r.route_on_user_only,
            "only a trailing user message is routed anyway",
        );
        if let Some(c) = &r.session_cache {
            cx.not_acted_on(
                &child(path, "session_cache"),
                "url",
                &c.value.url,
                "pins live in the host's state store (gateway.state)",
            );
        }
    }

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

/// Default token budget of the conversation the router sees.
pub(crate) const DEFAULT_ROUTER_CONTEXT_TOKENS: u64 = 2048;
/// Default lifetime of a session pin.
pub(crate) const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(600);
/// The router model when the config names none.
pub(crate) const DEFAULT_ROUTER_MODEL: &str = "Arch-Router";

/// The typed routing settings: every route (top-level and the deprecated per-provider form),
/// the router model (which must be served by a configured provider, else routing is off with
/// a warning), static metrics and session pinning.
pub(crate) fn routing(
    raw: &RawConfig,
    providers: &[Provider],
    aliases: &[Alias],
    mut preferences: Vec<RoutePreference>,
    cx: &mut Cx<'_>,
) -> Routing {
    for p in providers {
        for (name, description) in &p.inline_routes {
            if !preferences.iter().any(|r| &r.name == name) {
                preferences.push(RoutePreference::new(
                    name.clone(),
                    description.clone(),
                    vec![p.name.clone()],
                ));
            }
        }
    }
    let overrides = raw.overrides.as_ref().map(|o| &o.value);
    let legacy = raw.routing.as_ref().map(|r| &r.value);
    let named = overrides
        .and_then(|o| o.llm_routing_model.as_ref())
        .or_else(|| legacy.and_then(|r| r.model.as_ref()));
    let router = named.map_or(DEFAULT_ROUTER_MODEL, |m| m.value.as_str());
    let served = aliases.iter().any(|a| a.name == router)
        || super::references::resolve_model(router, providers).is_some();
    let router_model = if served {
        Some(router.to_owned())
    } else {
        if !preferences.is_empty() {
            let (path, pos) = match named {
                Some(m) => ("overrides.llm_routing_model", m.pos),
                None => match &raw.routing_preferences {
                    Some(r) => ("routing_preferences", r.pos),
                    // Only the deprecated per-provider form: point at that provider.
                    None => (
                        "model_providers",
                        providers
                            .iter()
                            .find(|p| !p.inline_routes.is_empty())
                            .map_or(Default::default(), |p| p.pos),
                    ),
                },
            };
            cx.warn(
                Code::NotActedOn,
                path,
                pos,
                format!(
                    "preference-based routing is off: no provider serves the router model \
                     `{router}` (add one, e.g. `model: arch/Arch-Router` with its base_url, or \
                     name a served model in overrides.llm_routing_model)"
                ),
            );
        }
        None
    };
    let mut costs = Vec::new();
    let mut latencies = Vec::new();
    for (i, s) in raw
        .model_metrics_sources
        .iter()
        .flat_map(|s| s.value.iter())
        .enumerate()
    {
        let path = index("model_metrics_sources", i);
        match s {
            RawMetricsSource::Cost(c) => {
                let stat = c
                    .provider
                    .as_ref()
                    .is_some_and(|p| p.value == CostProvider::Static);
                if stat {
                    for (model, price) in c.prices.iter().flat_map(|p| p.value.0.iter()) {
                        if price.value.is_finite() && price.value >= 0.0 {
                            costs.push((model.value.clone(), price.value));
                        } else {
                            cx.error(
                                Code::InvalidValue,
                                &child(&child(&path, "prices"), &model.value),
                                price.pos,
                                "a price must be a finite number, 0 or more",
                            );
                        }
                    }
                } else {
                    cx.warn(
                        Code::NotActedOn,
                        &path,
                        c.at,
                        "accepted but not fetched yet: a catalog price source (use `provider: \
                         static` with `prices`); its models rank in config order",
                    );
                }
            }
            RawMetricsSource::Latency(l) => {
                let stat = l
                    .provider
                    .as_ref()
                    .is_some_and(|p| p.value == LatencyProvider::Static);
                if stat {
                    for (model, ms) in l.latencies.iter().flat_map(|p| p.value.0.iter()) {
                        if ms.value.is_finite() && ms.value >= 0.0 {
                            latencies.push((model.value.clone(), ms.value));
                        } else {
                            cx.error(
                                Code::InvalidValue,
                                &child(&child(&path, "latencies"), &model.value),
                                ms.pos,
                                "a latency must be a finite number of ms, 0 or more",
                            );
                        }
                    }
                } else {
                    for key in ["url", "query"] {
                        if !l.seen.contains(&key) {
                            cx.error(
                                Code::MissingKey,
                                &path,
                                l.at,
                                format!("missing required key `{key}`"),
                            );
                        }
                    }
                    cx.warn(
                        Code::NotActedOn,
                        &path,
                        l.at,
                        "accepted but not fetched yet: a Prometheus latency source (use \
                         `provider: static` with `latencies`); its models rank in config order",
                    );
                }
            }
        }
    }
    Routing {
        preferences,
        router_model,
        router_context_tokens: overrides
            .and_then(|o| o.llm_routing_model_context_length.as_ref())
            .map_or(DEFAULT_ROUTER_CONTEXT_TOKENS, |n| n.value.max(1)),
        session_ttl: legacy
            .and_then(|r| r.session_ttl_seconds.as_ref())
            .map_or(DEFAULT_SESSION_TTL, |s| Duration::from_secs(s.value)),
        tenant_header: legacy
            .and_then(|r| r.session_cache.as_ref())
            .and_then(|c| c.value.tenant_header.as_ref())
            .map(|h| h.value.to_ascii_lowercase()),
        costs,
        latencies,
    }
}
