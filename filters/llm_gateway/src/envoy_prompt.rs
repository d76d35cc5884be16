//! The prompt listener's part of the generated Envoy configuration: its listener, with
//! `prompt_gateway.wasm` (filters/prompt_gateway), and the clusters of the prompt targets'
//! developer endpoints (TLS for `https`, the `endpoints` entry's `connect_timeout`).
//!
//! The function-calling and guard models are providers, the input filters are `filters`
//! entries: [`crate::envoy_config`] declares their clusters for both listeners. The listener
//! itself is the model listener's shape ([`filter_listener`]) with the other filter.

use plano_core::config::{Config, ListenerKind};

use crate::envoy_config::{Cluster, FilterListener, filter_listener};
use crate::upstream::target_of;

/// Where the prompt listener is served and with which filter.
#[derive(Debug, Clone)]
pub struct PromptListener {
    /// Path of `prompt_gateway.wasm` as Envoy will see it.
    pub wasm_path: String,
    /// Address and port; default: the config's `type: prompt` listener.
    pub listen: Option<(String, u16)>,
}

/// The developer endpoints' clusters (one per origin; the first target's connect timeout
/// wins for an origin several targets share), with a warning per endpoint that is not http(s).
pub(crate) fn endpoint_clusters(config: &Config) -> (Vec<Cluster>, Vec<String>) {
    let mut clusters = Vec::new();
    let mut warnings = Vec::new();
    for t in &config.prompts.targets {
        let Some(e) = &t.endpoint else { continue };
        match target_of(&e.base_url) {
            Some(u) => clusters.push(Cluster {
                tls: u.scheme == "https",
                host: u.host,
                port: u.port,
                connect: e.connect_timeout,
            }),
            None => warnings.push(format!("prompt target {}: endpoint is not http(s)", t.name)),
        }
    }
    (clusters, warnings)
}

/// The prompt listener's YAML (an entry of `static_resources.listeners`), or `None` when the
/// config has no `type: prompt` listener and no address was given.
pub(crate) fn listener(
    config: &Config,
    p: &PromptListener,
    buffer_limit: u64,
    env_keys: &[String],
    plano_yaml: &str,
) -> Option<String> {
    let declared = config
        .listeners
        .iter()
        .find(|l| l.kind == ListenerKind::Prompt);
    let (address, port) = p
        .listen
        .clone()
        .or_else(|| declared.map(|l| (l.address.clone(), l.port)))?;
    let request = declared
        .and_then(|l| l.timeout)
        .unwrap_or(config.gateway.timeouts.request);
    let mut y = String::from(
        "  # The prompt listener: prompt_gateway runs the input filters, the guard, the prompt\n  \
         # targets (function-calling model, developer endpoint) as dispatch_http_call side calls,\n  \
         # then the LLM call like llm_gateway.\n",
    );
    y.push_str(&filter_listener(&FilterListener {
        name: "plano_prompt",
        address: &address,
        port,
        buffer_limit,
        request,
        filter: "prompt_gateway",
        wasm: &p.wasm_path,
        plano: plano_yaml,
        env_keys,
    }));
    Some(y)
}
