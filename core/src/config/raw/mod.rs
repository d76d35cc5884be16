//! The raw config: the YAML as written, every field optional and positioned.
//!
//! Decoding reports unknown keys, wrong types and missing required keys; what the values
//! mean is checked afterwards, by [`crate::config::validate`].

mod gateway;
mod listeners;
mod prompts;
mod providers;
mod routing;
mod telemetry;

pub(crate) use gateway::*;
pub(crate) use listeners::*;
pub(crate) use prompts::*;
pub(crate) use providers::*;
pub(crate) use routing::*;
pub(crate) use telemetry::*;

use super::decode::{Entries, Text, raw_struct};
use super::enums::Mode;

raw_struct! {
    /// A Plano gateway configuration (`plano_config.yaml`, formerly `arch_config.yaml`),
    /// versions v0.1 to v0.4, plus this gateway's own `gateway` section.
    pub(crate) struct RawConfig {
        /// Config format version: v0.1, v0.1.0, 0.1-beta, 0.2.0, v0.3.0 or v0.4.0.
        version: Text = required,
        /// Deprecated (before v0.1): the prompt gateway listener.
        listener: RawOldListener,
        /// Where the gateway listens: a list of listeners, or the legacy
        /// `ingress_traffic`/`egress_traffic` object.
        listeners: RawListeners,
        /// The models the gateway can call.
        model_providers: Vec<RawProvider>,
        /// Deprecated name of `model_providers`.
        llm_providers: Vec<RawProvider>,
        /// Friendly model names that point to a configured model.
        model_aliases: Entries<RawAlias>,
        /// Named upstream services for prompt targets and agents.
        endpoints: Entries<RawEndpoint>,
        /// Default system prompt for prompt targets.
        system_prompt: String,
        /// Functions the prompt gateway can call.
        prompt_targets: Vec<RawPromptTarget>,
        /// Input guardrails.
        prompt_guards: RawPromptGuards,
        /// Legacy: where guard failures are sent.
        error_target: RawErrorTarget,
        /// Token rate limits per model and request header.
        ratelimits: Vec<RawRateLimit>,
        /// OpenTelemetry tracing.
        tracing: RawTracing,
        /// Conversation state for the Responses API.
        state_storage: RawStateStorage,
        /// Legacy name of `state_storage`.
        state_storage_v1_responses: RawStateStorage,
        /// Global behaviour overrides.
        overrides: RawOverrides,
        /// Task categories with candidate models, for preference-based routing.
        routing_preferences: Vec<RawRoutingPreference>,
        /// Cost and latency catalogs for `selection_policy`.
        model_metrics_sources: Vec<RawMetricsSource>,
        /// Model affinity and routing budget.
        routing: RawRouting,
        /// Automatic provider prompt caching.
        prompt_caching: RawPromptCaching,
        /// Legacy gateway mode.
        mode: Mode,
        /// HTTP agents for agent listeners.
        agents: Vec<RawAgent>,
        /// Filters (MCP or HTTP) applied to requests and responses.
        filters: Vec<RawFilter>,
        /// This gateway's own settings (not in Plano): per-host state backends, body size
        /// limit, timeouts.
        gateway: RawGateway,
    }
}

raw_struct! {
    /// A model alias.
    pub(crate) struct RawAlias {
        /// The model the alias stands for: a model id (`gpt-4o`), a full model
        /// (`openai/gpt-4o`) or a provider name.
        target: String = required,
    }
}
