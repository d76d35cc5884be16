//! The root context: loads the plano config once per VM in `on_configure` (every problem
//! logged with its YAML position; a bad config fails the plugin, so Envoy refuses it),
//! creates one [`Http`] context per request, and on its tick exports the queued spans with
//! `dispatch_http_call` and updates the memory gauge.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Duration;

use opentelemetry_proto::tonic::trace::v1::Span;
use plano_core::config::{Config, Secret};
use plano_core::exchange::ExchangeOptions;
use plano_core::upstream::AwsCredentials;
use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{BufferType, ContextType, LogLevel, MapType};

use super::host::{self, log};
use super::http::Http;
use super::metrics::Metrics;
use crate::Listener;
use crate::otlp;
use crate::upstream::cluster_name;

/// What every request of this VM shares.
#[derive(Debug)]
pub struct Vm {
    /// The loaded config (leaked once per `on_configure`: exchanges borrow it for the VM's
    /// life, and Envoy configures a VM once).
    pub config: &'static Config,
    /// Exchange options (AWS credentials from the environment; retries and fallback as on
    /// every host).
    pub options: ExchangeOptions<'static>,
    /// `tracing.random_sampling` percent (100 when unset).
    pub sampling: u32,
    /// Stats.
    pub metrics: Metrics,
    /// Spans waiting for the tick.
    pub spans: RefCell<VecDeque<Span>>,
    /// Requests served by this VM (only VMs that serve requests report memory).
    pub served: Cell<u64>,
}

impl Vm {
    /// Queues a span for export (dropped when the queue is full or no collector is set).
    pub fn push_span(&self, span: Span) {
        let mut q = self.spans.borrow_mut();
        if q.len() >= otlp::MAX_QUEUED {
            self.metrics.span_dropped();
            return;
        }
        q.push_back(span);
    }
}

/// Where spans go: the collector's cluster, authority and path.
#[derive(Debug)]
struct Collector {
    cluster: String,
    authority: String,
    path: String,
}

/// The root context.
#[derive(Debug)]
pub struct Root {
    /// The listener this filter serves (the prompt listener: exchanges with
    /// `prompt_listener`).
    listener: Listener,
    vm: Option<Rc<Vm>>,
    collector: Option<Collector>,
    /// An export is in flight (one at a time).
    exporting: bool,
}

impl Root {
    /// A root context for `listener`, before its configuration.
    pub fn new(listener: Listener) -> Self {
        Root {
            listener,
            vm: None,
            collector: None,
            exporting: false,
        }
    }
}

impl Context for Root {
    fn on_http_call_response(
        &mut self,
        _token: u32,
        _headers: usize,
        _body: usize,
        _trailers: usize,
    ) {
        self.exporting = false;
        let status = host::read_map(MapType::HttpCallResponseHeaders)
            .into_iter()
            .find(|(k, _)| k == ":status")
            .map(|(_, v)| v);
        if !status.as_deref().is_some_and(|s| s.starts_with('2')) {
            log(
                LogLevel::Warn,
                &format!(
                    "{}: OTLP export answered {status:?}",
                    self.listener.filter_name()
                ),
            );
        }
    }
}

impl RootContext for Root {
    fn on_configure(&mut self, size: usize) -> bool {
        let name = self.listener.filter_name();
        let bytes = hostcalls::get_buffer(BufferType::PluginConfiguration, 0, size)
            .ok()
            .flatten()
            .unwrap_or_default();
        let Ok(yaml) = std::str::from_utf8(&bytes) else {
            log(
                LogLevel::Critical,
                &format!("{name}: the plugin configuration is not UTF-8 text"),
            );
            return false;
        };
        if yaml.trim().is_empty() {
            log(
                LogLevel::Critical,
                &format!(
                    "{name}: empty plugin configuration: put the plano config (YAML) in `configuration`"
                ),
            );
            return false;
        }
        // Secrets come from the environment Envoy passes in (vm_config.environment_variables):
        // this is the host, where reading it belongs.
        #[allow(clippy::disallowed_methods)]
        let lookup = |name: &str| std::env::var(name).ok();
        let config = match Config::load(yaml, &lookup) {
            Ok(c) => c,
            Err(e) => {
                for d in &e.diagnostics {
                    log(LogLevel::Critical, &format!("{name}: plano config: {d}"));
                }
                return false;
            }
        };
        for w in &config.warnings {
            log(LogLevel::Warn, &format!("{name}: plano config: {w}"));
        }
        let config: &'static Config = Box::leak(Box::new(config));
        let aws: Option<&'static AwsCredentials> =
            aws_credentials().map(|c| &*Box::leak(Box::new(c)));
        let mut options = ExchangeOptions::default()
            .aws(aws)
            .prompt_listener(self.listener == Listener::Prompt);
        // Streams on a listener with output filters are fetched with dispatch_http_call and
        // their filter calls made (http.rs, `filtered`); other streams have none to make.
        options.stream_calls = true;
        self.collector = otlp::collector(&config.tracing).map(|url| {
            let tls = url.protocol == plano_core::config::Protocol::Https;
            let default_port = if tls { 443 } else { 80 };
            Collector {
                cluster: cluster_name(tls, &url.host, url.port),
                authority: if url.port == default_port {
                    url.host.clone()
                } else {
                    format!("{}:{}", url.host, url.port)
                },
                path: otlp::traces_path(&url),
            }
        });
        self.vm = Some(Rc::new(Vm {
            config,
            options,
            sampling: config.tracing.sampling_percent.unwrap_or(100),
            metrics: Metrics::define(self.listener.stats_prefix()),
            spans: RefCell::new(VecDeque::new()),
            served: Cell::new(0),
        }));
        let _ = hostcalls::set_tick_period(Duration::from_secs(1));
        log(
            LogLevel::Info,
            &format!(
                "{name}: configured ({} providers, state: proxy-wasm shared data of this Envoy)",
                config.providers.len()
            ),
        );
        if self.listener == Listener::Prompt {
            log_prompt_setup(config);
        }
        true
    }

    fn on_tick(&mut self) {
        let Some(vm) = self.vm.as_ref() else { return };
        if vm.served.get() > 0 {
            vm.metrics.memory(host::memory_bytes());
        }
        let Some(c) = self.collector.as_ref() else {
            vm.spans.borrow_mut().clear();
            return;
        };
        if self.exporting || vm.spans.borrow().is_empty() {
            return;
        }
        let batch: Vec<Span> = {
            let mut q = vm.spans.borrow_mut();
            let n = q.len().min(otlp::MAX_BATCH);
            q.drain(..n).collect()
        };
        let body = otlp::export_body(batch);
        let headers = vec![
            (":method", "POST"),
            (":path", c.path.as_str()),
            (":authority", c.authority.as_str()),
            ("content-type", "application/x-protobuf"),
        ];
        match hostcalls::dispatch_http_call(
            &c.cluster,
            headers,
            Some(&body),
            vec![],
            Duration::from_secs(5),
        ) {
            Ok(_) => self.exporting = true,
            Err(s) => log(
                LogLevel::Warn,
                &format!(
                    "{}: OTLP export to cluster {} failed: {s:?}",
                    self.listener.filter_name(),
                    c.cluster
                ),
            ),
        }
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Http::new(self.vm.clone())))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

/// AWS credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`
/// and `AWS_REGION` (else `AWS_DEFAULT_REGION`), for SigV4 providers without `access_key`.
#[allow(clippy::disallowed_methods)] // the host's environment, as for the secrets
fn aws_credentials() -> Option<AwsCredentials> {
    let get = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
    let id = get("AWS_ACCESS_KEY_ID")?;
    let secret = get("AWS_SECRET_ACCESS_KEY")?;
    let mut creds = AwsCredentials::new(id, Secret::literal(secret));
    creds.session_token = get("AWS_SESSION_TOKEN").map(Secret::literal);
    creds.region = get("AWS_REGION").or_else(|| get("AWS_DEFAULT_REGION"));
    Some(creds)
}

/// What the prompt listener will do, and why prompt targets are off when they are.
fn log_prompt_setup(config: &Config) {
    let p = &config.prompts;
    let msg = match &p.function_model {
        _ if p.targets.is_empty() => {
            "prompt_gateway: no prompt_targets: requests go to the LLM (after the input filters and the guard)".to_owned()
        }
        None => "prompt_gateway: no provider serves the function-calling model (overrides.function_calling_model, default Arch-Function): prompt targets are off".to_owned(),
        Some(m) => format!(
            "prompt_gateway: {} prompt targets, function-calling model {m}",
            p.targets.len()
        ),
    };
    let level = if p.is_active() || p.targets.is_empty() {
        LogLevel::Info
    } else {
        LogLevel::Warn
    };
    log(level, &msg);
}
