//! Raw model providers and rate limits.

use crate::config::decode::{Entries, raw_struct};
use crate::config::enums::{Protocol, TimeUnit};

raw_struct! {
    /// A model provider (`model_providers[]`, legacy `llm_providers[]`).
    pub(crate) struct RawProvider {
        /// `provider/model-id`, `provider/*` for every model of a provider, or (v0.1) a bare
        /// model id with `provider_interface`.
        model: String = required,
        /// Unique name (default: the `model` value).
        name: String,
        /// API key; `$VAR` or `${VAR}` references are resolved by the host.
        access_key: String,
        /// The model used when a request names none.
        default: bool,
        /// Upstream URL (`http` or `https`), optionally with a path prefix.
        base_url: String,
        /// Forward the client's Authorization header instead of `access_key`.
        passthrough_auth: bool,
        /// Host header override.
        http_host: String,
        /// The API a provider not in the catalog speaks (with `base_url`).
        provider_interface: String,
        /// Deprecated (v0.1) name of `provider_interface`.
        provider: String,
        /// Deprecated (v0.1): upstream `host:port`; use `base_url`.
        endpoint: String,
        /// Deprecated (v0.1): scheme for `endpoint`.
        protocol: Protocol,
        /// Extra headers sent upstream; values may use `$VAR` references.
        headers: Entries<String>,
        /// Deprecated (v0.3): routing preferences under the provider; use top-level
        /// `routing_preferences`.
        routing_preferences: Vec<RawInlinePreference>,
        /// Deprecated (v0.1): what the model is good at, for the LLM router.
        usage: String,
    }
}

raw_struct! {
    /// A v0.3 routing preference inside a provider.
    pub(crate) struct RawInlinePreference {
        /// Preference name.
        name: String = required,
        /// What requests it matches.
        description: String = required,
    }
}

raw_struct! {
    /// A token rate limit.
    pub(crate) struct RawRateLimit {
        /// The model it applies to (`provider/model` or a model id). Required.
        model: String,
        /// Deprecated (before v0.1) name of `model`.
        provider: String,
        /// Which requests it counts, by header.
        selector: RawSelector = required,
        /// How many tokens per unit.
        limit: RawLimit = required,
    }
}

raw_struct! {
    /// A rate-limit selector.
    pub(crate) struct RawSelector {
        /// Request header name.
        key: String = required,
        /// Header value, or `*` for a separate budget per distinct value.
        value: String = required,
    }
}

raw_struct! {
    /// A rate-limit budget.
    pub(crate) struct RawLimit {
        /// Tokens allowed per unit (at least 1).
        tokens: u64 = required,
        /// second, minute, hour or day.
        unit: TimeUnit = required,
    }
}
