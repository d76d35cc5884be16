//! `prompt_gateway`: Plano's prompt listener as an Envoy proxy-wasm filter (wasm32-wasip1).
//!
//! The glue is `llm_gateway`'s (root context, one HTTP context per request, shared-data
//! state, stats, OTLP traces), linked without its entry point; this crate's entry starts it
//! for [`Listener::Prompt`](llm_gateway::Listener::Prompt): every exchange has
//! `prompt_listener` set and plano-core is built with `prompt-targets`. So a chat request
//! goes through the listener's input filters, the jailbreak guard, the function-calling
//! model and the matched target's developer endpoint, each a side call the exchange hands the
//! filter like an upstream attempt (sent with `dispatch_http_call` to its Envoy cluster),
//! then to the LLM, with retries and fallback, from the same exchange. See the README.

#[cfg(target_arch = "wasm32")]
proxy_wasm::main! {{
    llm_gateway::start(llm_gateway::Listener::Prompt);
}}

// The prompt targets are in this build: the module exists only with plano-core's feature.
#[allow(unused_imports)]
use plano_core::prompts as _;
