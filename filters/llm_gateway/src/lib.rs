//! `llm_gateway`: the plano gateway as an Envoy proxy-wasm filter (wasm32-wasip1).
//!
//! The filter drives `plano-core`'s [`Exchange`](plano_core::exchange::Exchange) phases from
//! proxy-wasm callbacks: the request phase answers locally or builds the upstream request,
//! which the filter sends with `dispatch_http_call` to the provider's cluster; the answer
//! goes through the exchange (translation, retries, fallback, errors in the client's shape)
//! and back to the client as the filter's reply. See the README for what that costs.
//!
//! The same glue serves Plano's prompt listener: `filters/prompt_gateway` links this crate
//! without its `entry` feature (the model listener's `proxy_wasm::main!`) and calls
//! [`start`] with [`Listener::Prompt`].
//!
//! Modules without proxy-wasm calls build natively and carry the unit tests; the host glue
//! (`filter/`: root, http, host, metrics) is `cfg(target_arch = "wasm32")`.

pub mod envoy_config;
pub mod envoy_prompt;
pub mod filtered;
pub mod otlp;
pub mod store;
pub mod upstream;

#[cfg(target_arch = "wasm32")]
mod filter;
#[cfg(target_arch = "wasm32")]
pub use filter::start;

/// Which listener a filter build serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    /// The model listener (`llm_gateway.wasm`): LLM requests.
    Model,
    /// The prompt listener (`prompt_gateway.wasm`): the input filters, the guard and the
    /// prompt targets (function calling, developer endpoints) before the LLM call; plano-core
    /// must be built with its `prompt-targets` feature.
    Prompt,
}

impl Listener {
    /// The filter's name, as its log lines and the generated Envoy config spell it.
    pub fn filter_name(self) -> &'static str {
        match self {
            Listener::Model => "llm_gateway",
            Listener::Prompt => "prompt_gateway",
        }
    }

    /// The prefix of its Envoy stats (`wasmcustom.<prefix>.*`): Envoy shares a stat of one
    /// name between plugins, so each listener has its own.
    pub fn stats_prefix(self) -> &'static str {
        match self {
            Listener::Model => "plano_llm",
            Listener::Prompt => "plano_prompt",
        }
    }
}
