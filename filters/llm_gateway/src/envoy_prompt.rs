//! The prompt listener's part of the generated Envoy configuration: its listener, with
//! `prompt_gateway.wasm` (filters/prompt_gateway), and the clusters of the prompt targets'
//! developer endpoints (TLS for `https`, the `endpoints` entry's `connect_timeout`).
//!
//! The function-calling and guard models are providers, the input filters are `filters`
//! entries: [`crate::envoy_config`] declares their clusters for both listeners. The prompt
//! listener answers every request from its filter (each upstream and side call is a
//! `dispatch_http_call`), so its route only answers when the filter did not.

use std::fmt::Write as _;
use std::time::Duration;

use plano_core::config::{Config, ListenerKind};

use crate::envoy_config::Cluster;
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
    let q = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned());
    let secs = |d: Duration| format!("\"{}s\"", d.as_secs_f64());
    let mut y = String::new();
    let _ = writeln!(
        y,
        r#"  # The prompt listener: prompt_gateway runs the input filters, the guard, the prompt
  # targets (function-calling model, developer endpoint) and the LLM call, each sent with
  # dispatch_http_call; this route only answers if it did not.
  - name: plano_prompt
    address:
      socket_address: {{ address: {address}, port_value: {port} }}
    per_connection_buffer_limit_bytes: {buffer_limit}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: plano_prompt
          codec_type: AUTO
          server_header_transformation: PASS_THROUGH
          stream_idle_timeout: {stream_idle}
          route_config:
            name: plano_prompt
            virtual_hosts:
            - name: plano_prompt
              domains: ["*"]
              routes:
              - match: {{ prefix: "/" }}
                direct_response:
                  status: 503
                  body: {{ inline_string: "prompt_gateway did not answer" }}
          http_filters:
          - name: plano.prompt_gateway
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config:
                name: prompt_gateway
                root_id: prompt_gateway
                configuration:
                  "@type": type.googleapis.com/google.protobuf.StringValue
                  value: {plano}
                vm_config:
                  vm_id: prompt_gateway
                  runtime: envoy.wasm.runtime.v8
                  code: {{ local: {{ filename: {wasm} }} }}
                  environment_variables:
                    host_env_keys: [{env}]
          - name: envoy.filters.http.buffer
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer
              max_request_bytes: {buffer_limit}
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"#,
        address = q(&address),
        // Longer than the request timeout: the filter's own timeout answers first.
        stream_idle = secs(request + Duration::from_secs(30)),
        plano = q(plano_yaml),
        wasm = q(&p.wasm_path),
        env = env_keys.iter().map(|k| q(k)).collect::<Vec<_>>().join(", "),
    );
    Some(y)
}
