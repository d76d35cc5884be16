//! The Envoy configuration for a plano config: the model listener with this filter, the
//! prompt listener with `prompt_gateway.wasm` ([`crate::envoy_prompt`]), one cluster per
//! upstream origin (providers, input filters, developer endpoints; TLS for `https`), the
//! collector's cluster, timeouts and
//! retries from the config, and the admin interface on 127.0.0.1 only (Envoy's admin serves
//! `config_dump`, which holds the plano config: never expose it).
//!
//! Used by the `plano-envoy-config` binary; the output is plain Envoy v3 YAML (every scalar
//! written as a JSON string or number, which YAML reads as is).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use plano_core::config::values::BaseUrl;
use plano_core::config::{Config, ListenerKind, Protocol};

pub use crate::envoy_prompt::PromptListener;
use crate::upstream::{SLEEP_CLUSTER, cluster_name};

/// The provider clusters' connection buffer limit: the largest stream chunk Envoy hands the
/// filter at once (about).
pub const STREAM_CHUNK_LIMIT: u32 = 64 * 1024;

/// What the generator needs besides the plano config.
#[derive(Debug, Clone)]
pub struct Options {
    /// The plano config as written (embedded as the plugin configuration; its `$VARS` are
    /// resolved inside Envoy from the variables named in `env_keys`).
    pub plano_yaml: String,
    /// Path of `llm_gateway.wasm` as Envoy will see it.
    pub wasm_path: String,
    /// Listener address and port; default: the config's model listener (else 0.0.0.0:12000).
    pub listen: Option<(String, u16)>,
    /// Admin port on 127.0.0.1 (0: none).
    pub admin_port: u16,
    /// Region for catalog URLs with `{region}` (Bedrock without `base_url`).
    pub aws_region: Option<String>,
    /// Port of the sleep listener on 127.0.0.1 (retry backoff; see [`SLEEP_CLUSTER`]).
    pub sleep_port: u16,
    /// CA bundle for upstream TLS.
    pub ca_file: String,
    /// Environment variables Envoy passes to the filter (secrets the config names; AWS
    /// credentials).
    pub env_keys: Vec<String>,
    /// The prompt listener's filter (`--prompt-wasm`); `None`: no prompt listener.
    pub prompt: Option<PromptListener>,
}

/// A cluster to declare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cluster {
    pub(crate) tls: bool,
    pub(crate) host: String,
    pub(crate) port: u16,
    /// Its own connect timeout (a developer endpoint's `connect_timeout`); else the
    /// gateway's.
    pub(crate) connect: Option<std::time::Duration>,
}

/// The Envoy YAML for `config`, with a warning per provider whose origin is unknown.
pub fn generate(config: &Config, opts: &Options) -> (String, Vec<String>) {
    let mut warnings = Vec::new();
    let mut clusters: BTreeMap<String, Cluster> = BTreeMap::new();
    for p in &config.providers {
        let origin = match &p.base_url {
            Some(b) => Some(cluster_of(b)),
            None => p.spec.base_url.and_then(|t| {
                let url = match (&opts.aws_region, t.contains("{region}")) {
                    (_, false) => t.to_owned(),
                    (Some(r), true) => t.replace("{region}", r),
                    (None, true) => return None,
                };
                crate::upstream::target_of(&url).map(|t| Cluster {
                    tls: t.scheme == "https",
                    host: t.host,
                    port: t.port,
                    connect: None,
                })
            }),
        };
        match origin {
            Some(c) => {
                clusters.insert(cluster_name(c.tls, &c.host, c.port), c);
            }
            None => warnings.push(format!(
                "provider {}: no upstream origin (set base_url, or --aws-region for a catalog URL with a region)",
                p.name
            )),
        }
    }
    // Input filters (HTTP and MCP) are side calls the exchange sends like any attempt.
    for f in &config.filters {
        match crate::upstream::target_of(&f.url) {
            Some(t) => {
                let c = Cluster {
                    tls: t.scheme == "https",
                    host: t.host,
                    port: t.port,
                    connect: None,
                };
                clusters.insert(cluster_name(c.tls, &c.host, c.port), c);
            }
            None => warnings.push(format!("filter {}: url is not http(s)", f.id)),
        }
    }
    // Prompt targets' developer endpoints (side calls of the prompt listener).
    let (endpoints, endpoint_warnings) = crate::envoy_prompt::endpoint_clusters(config);
    warnings.extend(endpoint_warnings);
    for c in endpoints {
        clusters
            .entry(cluster_name(c.tls, &c.host, c.port))
            .or_insert(c);
    }
    if let Some(c) = crate::otlp::collector(&config.tracing) {
        let c = cluster_of(&c);
        clusters.insert(cluster_name(c.tls, &c.host, c.port), c);
    }
    let listener = config
        .listeners
        .iter()
        .find(|l| l.kind == ListenerKind::Model);
    let (address, port) = opts.listen.clone().unwrap_or_else(|| match listener {
        Some(l) => (l.address.clone(), l.port),
        None => ("0.0.0.0".to_owned(), 12000),
    });
    let t = &config.gateway.timeouts;
    let request = listener.and_then(|l| l.timeout).unwrap_or(t.request);
    // Room for the largest body the filter accepts, so its 413 (in the client's shape)
    // answers before Envoy's own.
    let buffer_limit = config
        .gateway
        .body_limit
        .saturating_add(64 * 1024)
        .min(u64::from(u32::MAX));

    let mut y = String::new();
    let q = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned());
    let secs = |d: std::time::Duration| format!("\"{}s\"", d.as_secs_f64());
    let _ = writeln!(
        y,
        "# Generated by plano-envoy-config (filters/llm_gateway) from a plano config: do not edit,\n# regenerate. Admin on 127.0.0.1 only: its config_dump shows the plano config."
    );
    if opts.admin_port != 0 {
        let _ = writeln!(
            y,
            "admin:\n  address:\n    socket_address: {{ address: \"127.0.0.1\", port_value: {} }}",
            opts.admin_port
        );
    }
    let _ = writeln!(y, "static_resources:\n  listeners:");
    y.push_str(&filter_listener(&FilterListener {
        name: "plano_model",
        address: &address,
        port,
        buffer_limit,
        request,
        filter: "llm_gateway",
        wasm: &opts.wasm_path,
        plano: &opts.plano_yaml,
        env_keys: &opts.env_keys,
    }));
    let _ = writeln!(
        y,
        r#"  # Retry backoff: a proxy-wasm HTTP context has no timer, so the filter waits by calling this
  # listener, whose fault filter delays the answer by x-envoy-fault-delay-request ms.
  - name: plano_sleep
    address:
      socket_address: {{ address: "127.0.0.1", port_value: {sleep_port} }}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: plano_sleep
          route_config:
            virtual_hosts:
            - name: sleep
              domains: ["*"]
              routes:
              - match: {{ prefix: "/" }}
                direct_response: {{ status: 204 }}
          http_filters:
          - name: envoy.filters.http.fault
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault
              delay:
                header_delay: {{}}
                percentage: {{ numerator: 100, denominator: HUNDRED }}
              max_active_faults: 1000000
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"#,
        sleep_port = opts.sleep_port,
    );
    let prompt = opts.prompt.as_ref().and_then(|p| {
        crate::envoy_prompt::listener(config, p, buffer_limit, &opts.env_keys, &opts.plano_yaml)
    });
    let has_prompt = config
        .listeners
        .iter()
        .any(|l| l.kind == ListenerKind::Prompt);
    match (prompt, &opts.prompt) {
        (Some(listener), _) => y.push_str(&listener),
        (None, Some(_)) => warnings.push(
            "--prompt-wasm: the config has no `type: prompt` listener (or pass --prompt-listen)"
                .to_owned(),
        ),
        (None, None) if has_prompt => warnings.push(
            "the config has a prompt listener: pass --prompt-wasm PATH (prompt_gateway.wasm) to serve it"
                .to_owned(),
        ),
        (None, None) => {}
    }
    let _ = writeln!(y, "  clusters:");
    for (name, c) in &clusters {
        let ip = c.host.parse::<std::net::IpAddr>().is_ok();
        let _ = writeln!(
            y,
            r#"  - name: {name}
    type: {kind}
    dns_lookup_family: V4_PREFERRED
    connect_timeout: {connect}
    # Envoy hands a stream to llm_gateway in chunks of at most about this much, which bounds
    # what the filter's VM holds while it transcodes a chunk (the default 1 MiB lets a fast
    # upstream's chunks grow the VM to 6 MiB).
    per_connection_buffer_limit_bytes: {STREAM_CHUNK_LIMIT}
    load_assignment:
      cluster_name: {name}
      endpoints:
      - lb_endpoints:
        - endpoint:
            address:
              socket_address: {{ address: {host}, port_value: {port} }}"#,
            name = q(name),
            kind = if ip { "STATIC" } else { "LOGICAL_DNS" },
            connect = secs(c.connect.unwrap_or(t.connect)),
            host = q(&c.host),
            port = c.port,
        );
        if c.tls {
            let _ = writeln!(
                y,
                r#"    transport_socket:
      name: envoy.transport_sockets.tls
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
        sni: {host}
        common_tls_context:
          validation_context:
            trusted_ca: {{ filename: {ca} }}
            match_typed_subject_alt_names:
            - san_type: DNS
              matcher: {{ exact: {host} }}"#,
                host = q(&c.host),
                ca = q(&opts.ca_file),
            );
        }
    }
    let _ = writeln!(
        y,
        r#"  - name: {SLEEP_CLUSTER}
    type: STATIC
    connect_timeout: "1s"
    load_assignment:
      cluster_name: {SLEEP_CLUSTER}
      endpoints:
      - lb_endpoints:
        - endpoint:
            address:
              socket_address: {{ address: "127.0.0.1", port_value: {} }}"#,
        opts.sleep_port
    );
    (y, warnings)
}

/// A listener whose requests a plano filter answers: the model listener (llm_gateway) or the
/// prompt listener (prompt_gateway).
pub(crate) struct FilterListener<'a> {
    /// Envoy's name for it, also its stat prefix and route config name.
    pub(crate) name: &'a str,
    pub(crate) address: &'a str,
    pub(crate) port: u16,
    /// Per-connection buffer limit: room for the largest body the filter accepts.
    pub(crate) buffer_limit: u64,
    /// The request timeout (the routed stream's idle timeout).
    pub(crate) request: std::time::Duration,
    /// The filter: its root id and VM id (`llm_gateway`, `prompt_gateway`).
    pub(crate) filter: &'a str,
    /// Path of its .wasm as Envoy sees it.
    pub(crate) wasm: &'a str,
    /// The plano config text, the plugin configuration.
    pub(crate) plano: &'a str,
    /// Environment variables Envoy passes to the VM.
    pub(crate) env_keys: &'a [String],
}

/// The YAML of `l`, an entry of `static_resources.listeners`.
pub(crate) fn filter_listener(l: &FilterListener<'_>) -> String {
    let q = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned());
    let secs = |d: std::time::Duration| format!("\"{}s\"", d.as_secs_f64());
    let mut y = String::new();
    let _ = writeln!(
        y,
        r#"  - name: {name}
    address:
      socket_address: {{ address: {address}, port_value: {port} }}
    per_connection_buffer_limit_bytes: {buffer_limit}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: {name}
          codec_type: AUTO
          server_header_transformation: PASS_THROUGH
          # Longer than the request timeout so the filter's own timeout answers first on the
          # requests it sends with dispatch_http_call.
          stream_idle_timeout: {stream_idle}
          route_config:
            name: {name}
            virtual_hosts:
            - name: {name}
              domains: ["*"]
              # Set by {filter} to pick the provider's cluster; never sent upstream.
              request_headers_to_remove: ["{cluster_header}"]
              routes:
              # A streaming attempt: {filter} rewrote the held request (path, authority,
              # credentials, body) and names the provider's cluster in {cluster_header}. No
              # overall timeout (a stream lasts as long as the generation); the idle timeout
              # bounds the wait for the head and each silence to the request timeout.
              - match:
                  prefix: "/"
                  headers: [{{ name: "{cluster_header}", present_match: true }}]
                route:
                  cluster_header: "{cluster_header}"
                  timeout: "0s"
                  idle_timeout: {request}
              # {filter} answers every other request itself (locally, or with the answer
              # fetched with dispatch_http_call): this route only answers if it did not.
              - match: {{ prefix: "/" }}
                direct_response:
                  status: 503
                  body: {{ inline_string: "{filter} did not answer" }}
          http_filters:
          - name: plano.{filter}
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config:
                name: {filter}
                root_id: {filter}
                # Envoy >= 1.35: a paused request head still lets the body reach the filter,
                # and stays writable until the filter resumes it (proxy-wasm-cpp-host #434).
                allow_on_headers_stop_iteration: true
                configuration:
                  "@type": type.googleapis.com/google.protobuf.StringValue
                  value: {plano}
                vm_config:
                  vm_id: {filter}
                  runtime: envoy.wasm.runtime.v8
                  code: {{ local: {{ filename: {wasm} }} }}
                  environment_variables:
                    host_env_keys: [{env}]
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
              # No x-envoy-* headers to the provider or the client.
              suppress_envoy_headers: true"#,
        name = l.name,
        address = q(l.address),
        port = l.port,
        buffer_limit = l.buffer_limit,
        stream_idle = secs(l.request + std::time::Duration::from_secs(30)),
        request = secs(l.request),
        filter = l.filter,
        cluster_header = crate::upstream::CLUSTER_HEADER,
        plano = q(l.plano),
        wasm = q(l.wasm),
        env = l
            .env_keys
            .iter()
            .map(|k| q(k))
            .collect::<Vec<_>>()
            .join(", "),
    );
    y
}

fn cluster_of(b: &BaseUrl) -> Cluster {
    Cluster {
        tls: b.protocol == Protocol::Https,
        host: b.host.clone(),
        port: b.port,
        connect: None,
    }
}

/// The `$VAR` and `${VAR}` names a plano config references, plus the AWS credential
/// variables SigV4 providers read, sorted and without duplicates.
pub fn referenced_env(yaml: &str) -> Vec<String> {
    let mut names: Vec<String> = [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let bytes = yaml.as_bytes();
    let mut i = 0;
    while let Some(off) = bytes
        .get(i..)
        .and_then(|b| b.iter().position(|&c| c == b'$'))
    {
        let mut j = i + off + 1;
        if bytes.get(j) == Some(&b'{') {
            j += 1;
        }
        let start = j;
        while bytes
            .get(j)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            j += 1;
        }
        if let Some(name) = yaml.get(start..j)
            && name
                .bytes()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        {
            names.push(name.to_owned());
        }
        i = j.max(i + off + 1);
    }
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const YAML: &str = r#"
version: v0.4.0
listeners:
  - { type: model, name: llm, address: 127.0.0.1, port: 12000 }
model_providers:
  - model: openai/gpt-4o
    access_key: $OPENAI_API_KEY
    default: true
  - model: anthropic/claude-sonnet-4-5
    access_key: ${ANTHROPIC_API_KEY}
  - model: openai/local
    access_key: $OPENAI_API_KEY
    base_url: http://127.0.0.1:8080
  - model: amazon_bedrock/amazon.nova-pro-v1:0
    access_key: $BEDROCK_API_KEY
    base_url: https://bedrock-runtime.us-west-2.amazonaws.com
tracing:
  opentracing_grpc_endpoint: http://otel.internal:4317
gateway:
  timeouts: { connect: 2s, request: 10s, idle: 2s }
"#;

    fn opts(region: Option<&str>) -> Options {
        Options {
            plano_yaml: YAML.to_owned(),
            wasm_path: "/x/llm_gateway.wasm".to_owned(),
            listen: None,
            admin_port: 9901,
            aws_region: region.map(str::to_owned),
            ca_file: "/etc/ssl/certs/ca-certificates.crt".to_owned(),
            sleep_port: 12001,
            env_keys: referenced_env(YAML),
            prompt: None,
        }
    }

    #[test]
    fn clusters_per_origin_with_tls_for_https() {
        let config = Config::check(YAML).unwrap();
        let (y, warnings) = generate(&config, &opts(Some("us-west-2")));
        assert!(warnings.is_empty(), "{warnings:?}");
        for name in [
            "plano_https_api.openai.com_443",
            "plano_https_api.anthropic.com_443",
            "plano_http_127.0.0.1_8080",
            "plano_https_bedrock-runtime.us-west-2.amazonaws.com_443",
        ] {
            assert!(y.contains(&format!("- name: \"{name}\"")), "{name} in\n{y}");
        }
        assert_eq!(y.matches("UpstreamTlsContext").count(), 3);
        assert!(y.contains("address: \"127.0.0.1\", port_value: 9901"));
        assert!(y.contains("stream_idle_timeout: \"40s\""), "{y}");
        assert!(y.contains("allow_on_headers_stop_iteration: true"), "{y}");
        assert!(y.contains("cluster_header: \"x-plano-cluster\""), "{y}");
        assert!(y.contains("idle_timeout: \"10s\""), "{y}");
        assert!(!y.contains("envoy.filters.http.buffer"), "{y}");
        assert_eq!(
            y.matches("per_connection_buffer_limit_bytes: 65536")
                .count(),
            5,
            "{y}"
        );
        assert!(y.contains("port_value: 12001"));
        assert!(y.contains("connect_timeout: \"2s\""));
        assert!(
            y.contains("\"ANTHROPIC_API_KEY\", \"AWS_ACCESS_KEY_ID\""),
            "{y}"
        );
    }

    #[test]
    fn the_collector_gets_an_otlp_http_cluster() {
        let config = Config::check(YAML).unwrap();
        let (y, _) = generate(&config, &opts(None));
        assert!(
            y.contains("- name: \"plano_http_otel.internal_4318\""),
            "{y}"
        );
    }

    const PROMPT_YAML: &str = r#"
version: v0.4.0
listeners:
  - { type: model, name: llm, address: 127.0.0.1, port: 12000 }
  - { type: prompt, name: prompts, address: 127.0.0.1, port: 10000, input_filters: [pii] }
model_providers:
  - model: openai/gpt-4o-mini
    access_key: $OPENAI_API_KEY
    default: true
  - name: fc
    model: openai/arch-function
    base_url: http://127.0.0.1:8001
  - name: guard
    model: openai/arch-guard
    base_url: http://127.0.0.1:8002
overrides:
  function_calling_model: fc
prompt_guards:
  input_guards:
    jailbreak:
      model: guard
      on_exception: { message: no }
filters:
  - { id: pii, url: "http://127.0.0.1:7000", type: http }
endpoints:
  weather_api:
    endpoint: 127.0.0.1:9000
    connect_timeout: 0.25s
  billing:
    endpoint: billing.example.com
    protocol: https
prompt_targets:
  - name: get_weather
    description: weather
    parameters:
      - { name: city, description: the city, type: str, required: true }
    endpoint: { name: weather_api, path: "/weather/{city}" }
  - name: invoice
    description: an invoice
    endpoint: { name: billing, path: /invoice, http_method: POST }
"#;

    fn prompt_opts(prompt: Option<PromptListener>) -> Options {
        Options {
            plano_yaml: PROMPT_YAML.to_owned(),
            prompt,
            ..opts(None)
        }
    }

    #[test]
    fn the_prompt_listener_gets_prompt_gateway_and_its_clusters() {
        let config = Config::check(PROMPT_YAML).unwrap();
        let (y, warnings) = generate(
            &config,
            &prompt_opts(Some(PromptListener {
                wasm_path: "/x/prompt_gateway.wasm".to_owned(),
                listen: None,
            })),
        );
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(y.contains("- name: plano_prompt\n"), "{y}");
        assert!(
            y.contains("address: \"127.0.0.1\", port_value: 10000"),
            "{y}"
        );
        assert!(y.contains("filename: \"/x/prompt_gateway.wasm\""), "{y}");
        assert!(y.contains("vm_id: prompt_gateway"), "{y}");
        // The model listener keeps llm_gateway.
        assert!(y.contains("filename: \"/x/llm_gateway.wasm\""), "{y}");
        // Developer endpoints (TLS for https, their connect timeout), the function-calling
        // and guard models, the filter.
        for name in [
            "plano_http_127.0.0.1_9000",
            "plano_https_billing.example.com_443",
            "plano_http_127.0.0.1_8001",
            "plano_http_127.0.0.1_8002",
            "plano_http_127.0.0.1_7000",
        ] {
            assert!(y.contains(&format!("- name: \"{name}\"")), "{name} in\n{y}");
        }
        let weather = y
            .split("- name: \"plano_http_127.0.0.1_9000\"")
            .nth(1)
            .unwrap();
        assert!(weather.contains("connect_timeout: \"0.25s\""), "{weather}");
        assert!(y.contains("sni: \"billing.example.com\""), "{y}");
        // Listening port from --prompt-listen.
        let (y, _) = generate(
            &config,
            &prompt_opts(Some(PromptListener {
                wasm_path: "/x/prompt_gateway.wasm".to_owned(),
                listen: Some(("127.0.0.1".to_owned(), 18000)),
            })),
        );
        assert!(
            y.contains("address: \"127.0.0.1\", port_value: 18000"),
            "{y}"
        );
    }

    #[test]
    fn a_prompt_listener_without_its_filter_is_a_warning() {
        let config = Config::check(PROMPT_YAML).unwrap();
        let (y, warnings) = generate(&config, &prompt_opts(None));
        assert!(!y.contains("plano_prompt"), "{y}");
        assert!(
            warnings.iter().any(|w| w.contains("--prompt-wasm")),
            "{warnings:?}"
        );
        // And a filter without a prompt listener.
        let config = Config::check(YAML).unwrap();
        let (y, warnings) = generate(
            &config,
            &Options {
                prompt: Some(PromptListener {
                    wasm_path: "/x/prompt_gateway.wasm".to_owned(),
                    listen: None,
                }),
                ..opts(None)
            },
        );
        assert!(!y.contains("plano_prompt"), "{y}");
        assert!(
            warnings.iter().any(|w| w.contains("no `type: prompt`")),
            "{warnings:?}"
        );
    }

    #[test]
    fn env_references_are_found() {
        let names = referenced_env("a: $A_1\nb: ${B}\nc: $$ $1 x$");
        assert!(names.contains(&"A_1".to_owned()));
        assert!(names.contains(&"B".to_owned()));
        assert!(!names.iter().any(|n| n == "1"));
    }
}
