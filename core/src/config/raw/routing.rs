//! Raw routing sections: overrides, routing preferences, metrics sources, affinity, caching.

use serde_json::Value as Json;

use crate::config::decode::{Decode, DurationText, Entries, obj, raw_struct};
use crate::config::diag::{Code, Sink, Spanned, child};
use crate::config::enums::{AuthKind, CostProvider, LatencyProvider, Prefer, SessionCacheKind};
use crate::config::yaml::Node;

raw_struct! {
    /// Global behaviour overrides.
    pub(crate) struct RawOverrides {
        /// Threshold for matching a prompt target (0 to 1).
        prompt_target_intent_matching_threshold: f64,
        /// Trim history to the model's context window.
        optimize_context_window: bool,
        /// Route through Plano's agent orchestrator.
        use_agent_orchestrator: bool,
        /// Disable agentic signal analysis.
        disable_signals: bool,
        /// Upstream connect timeout, e.g. `5s`.
        upstream_connect_timeout: DurationText,
        /// CA bundle for upstream TLS.
        upstream_tls_ca_path: String,
        /// Model for preference-based routing.
        llm_routing_model: String,
        /// Model for agent orchestration.
        agent_orchestration_model: String,
        /// Context length of the orchestrator model.
        orchestrator_model_context_length: u64,
        /// Token budget of the conversation sent to the routing model (this gateway's
        /// extension; default 2048).
        llm_routing_model_context_length: u64,
        /// Model that matches prompts to prompt targets and extracts their parameters (this
        /// gateway's extension; default `Arch-Function`).
        function_calling_model: String,
    }
}

raw_struct! {
    /// A task category and its candidate models.
    pub(crate) struct RawRoutingPreference {
        /// Unique preference name.
        name: String = required,
        /// What requests it matches.
        description: String = required,
        /// Candidate models, best first.
        models: Vec<Spanned<String>> = required,
        /// How to reorder candidates.
        selection_policy: RawSelectionPolicy,
    }
}

raw_struct! {
    /// Candidate ordering.
    pub(crate) struct RawSelectionPolicy {
        /// cheapest, fastest or none.
        prefer: Prefer = required,
    }
}

/// A metrics source, tagged by `type`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RawMetricsSource {
    /// `type: cost`.
    Cost(RawCostSource),
    /// `type: latency`.
    Latency(RawLatencySource),
}

impl Decode for RawMetricsSource {
    fn decode(node: &Node, path: &str, sink: &mut Sink) -> Option<Self> {
        let tags = [
            "cost",
            "latency",
            "digitalocean_pricing",
            "cost_metrics",
            "prometheus_metrics",
        ];
        match tag(node, path, sink, &tags)?.as_str() {
            "cost" | "digitalocean_pricing" | "cost_metrics" => {
                RawCostSource::decode(node, path, sink).map(RawMetricsSource::Cost)
            }
            _ => RawLatencySource::decode(node, path, sink).map(RawMetricsSource::Latency),
        }
    }

    fn schema() -> Json {
        obj([(
            "oneOf",
            Json::Array(vec![RawCostSource::schema(), RawLatencySource::schema()]),
        )])
    }
}

/// Reads the `type` tag of a tagged mapping.
pub(crate) fn tag(node: &Node, path: &str, sink: &mut Sink, tags: &[&str]) -> Option<String> {
    let entries = crate::config::decode::expect_map(node, path, sink)?;
    let Some((_, value)) = entries.iter().find(|(k, _)| k.text == "type") else {
        sink.error(
            Code::MissingKey,
            path,
            node.pos,
            format!("missing required key `type` (one of: {})", tags.join(", ")),
        );
        return None;
    };
    crate::config::enums::decode_name(value, &child(path, "type"), sink, "type", tags)
}

raw_struct! {
    /// A pricing catalog.
    pub(crate) struct RawCostSource {
        /// `cost` (formerly `digitalocean_pricing` or `cost_metrics`).
        kind as "type": String = required,
        /// digitalocean or models.dev. Required with `type: cost`.
        provider: CostProvider,
        /// Catalog URL override.
        url: String,
        /// Refresh interval in seconds.
        refresh_interval: u64,
        /// Catalog key to model name.
        model_aliases: Entries<String>,
        /// Catalog credentials.
        auth: RawSourceAuth,
        /// `provider: static`: price per million tokens by model name (this gateway's
        /// extension).
        prices: Entries<f64>,
    }
}

raw_struct! {
    /// A latency source.
    pub(crate) struct RawLatencySource {
        /// `latency` (formerly `prometheus_metrics`).
        kind as "type": String = required,
        /// prometheus. Required with `type: latency`.
        provider: LatencyProvider,
        /// Prometheus URL (required with `provider: prometheus`).
        url: String,
        /// PromQL query (required with `provider: prometheus`).
        query: String,
        /// Refresh interval in seconds.
        refresh_interval: u64,
        /// Prometheus credentials.
        auth: RawSourceAuth,
        /// `provider: static`: latency in milliseconds by model name (this gateway's
        /// extension).
        latencies: Entries<f64>,
    }
}

raw_struct! {
    /// Credentials of a metrics source.
    pub(crate) struct RawSourceAuth {
        /// `bearer`.
        kind as "type": AuthKind = required,
        /// The token; may use `$VAR` references.
        token: String = required,
    }
}

raw_struct! {
    /// Model affinity and routing budget.
    pub(crate) struct RawRouting {
        /// Legacy: provider of the routing model.
        llm_provider: String,
        /// Legacy: routing model.
        model: String,
        /// Lifetime of a session pin, in seconds.
        session_ttl_seconds: u64,
        /// Most session pins kept (1 to 10000).
        session_max_entries: u64,
        /// Where session pins live.
        session_cache: RawSessionCache,
        /// Cost gate on switching models within a session.
        routing_budget: RawRoutingBudget,
        /// Route only on a trailing user message.
        route_on_user_only: bool,
    }
}

raw_struct! {
    /// Session pin storage.
    pub(crate) struct RawSessionCache {
        /// memory or redis.
        kind as "type": SessionCacheKind,
        /// Redis URL; may use `$VAR` references.
        url: String,
        /// Header whose value scopes keys per tenant.
        tenant_header: String,
    }
}

raw_struct! {
    /// Routing budget.
    pub(crate) struct RawRoutingBudget {
        /// Cap on switching spend, percent of never switching (0 to 100). Required.
        max_switch_spend_pct: f64,
        /// Deprecated name of `max_switch_spend_pct`.
        max_overhead_pct: f64,
        /// Reset totals when a cold session re-binds.
        replenish_on_rebind: bool,
        /// Cached input rate as a fraction of the input rate (0 to 1).
        cache_read_discount: f64,
        /// Record the route a vetoed switch would have taken.
        record_counterfactual: bool,
    }
}

raw_struct! {
    /// Automatic provider prompt caching.
    pub(crate) struct RawPromptCaching {
        /// Master switch.
        enabled: bool,
        /// Derive a session key from the prompt prefix.
        session_affinity: bool,
        /// Insert cache-control markers where providers need them.
        inject_cache_control: bool,
        /// Smallest prefix worth a cache marker, in tokens (at least 1).
        min_prefix_tokens: u64,
        /// Session pin lifetime, in seconds (at least 1).
        session_ttl_seconds: u64,
    }
}
