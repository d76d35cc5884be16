//! The validated, typed configuration the gateway acts on.
//!
//! Everything here has been checked: names are unique, references resolve, durations, URLs
//! and limits are well formed, secrets are resolved. Sections the gateway does not act on yet
//! are validated but not carried; each produced a [`Code::NotActedOn`](super::Code) warning.

use std::num::NonZeroU64;
use std::time::Duration;

use hermesllm::provider::ProviderSpec;

use super::diag::{Diagnostic, Pos};
use super::enums::{ListenerKind, StateBackend, TimeUnit};
use super::secret::Secret;
use super::values::BaseUrl;

/// A loaded configuration.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// The config format version.
    pub version: Version,
    /// Listeners; always exactly one of kind [`ListenerKind::Model`].
    pub listeners: Vec<Listener>,
    /// Model providers, in config order.
    pub providers: Vec<Provider>,
    /// Model aliases, in config order.
    pub aliases: Vec<Alias>,
    /// Token rate limits, in config order.
    pub rate_limits: Vec<RateLimit>,
    /// Tracing.
    pub tracing: Tracing,
    /// This gateway's own settings.
    pub gateway: Gateway,
    /// Preference-based routing (off when it has no preferences or no router model).
    pub routing: Routing,
    /// Input guards (`prompt_guards`).
    pub guards: Guards,
    /// Prompt targets (the prompt listener's function calling).
    pub prompts: Prompts,
    /// Request filters (`filters`), by id.
    pub filters: Vec<Filter>,
    /// Warnings: keys accepted but not acted on, deprecated forms, shadowed settings.
    pub warnings: Vec<Diagnostic>,
}

impl Config {
    /// The provider marked `default: true`, if any.
    pub fn default_provider(&self) -> Option<&Provider> {
        self.providers.iter().find(|p| p.default)
    }

    /// The provider with this `name`.
    pub fn provider(&self, name: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.name == name)
    }

    /// The provider a request's `model` names: an alias, a provider name, `provider/model`,
    /// a bare model id, or `provider/anything` covered by a wildcard provider (in that order
    /// of precedence). `None` when nothing matches; the caller decides whether the default
    /// provider applies.
    pub fn resolve_model(&self, model: &str) -> Option<&Provider> {
        if let Some(alias) = self.aliases.iter().find(|a| a.name == model) {
            return self.provider(&alias.provider);
        }
        super::validate::resolve_model(model, &self.providers)
    }

    /// The model listener.
    pub fn model_listener(&self) -> Option<&Listener> {
        self.listeners
            .iter()
            .find(|l| l.kind == ListenerKind::Model)
    }

    /// Whether a host that serves one listener per deployment (Workers, Spin, Lambda) serves
    /// the prompt listener, from its `PLANO_LISTENER` setting: `model` (the default, also
    /// when unset or empty) or `prompt`.
    ///
    /// # Errors
    /// An unknown setting; `prompt` when the config has no `type: prompt` listener, or has
    /// prompt targets this build cannot serve (plano-core without its `prompt-targets`
    /// feature).
    pub fn serves_prompt_listener(&self, setting: Option<&str>) -> Result<bool, String> {
        match setting.map(str::trim).unwrap_or("") {
            "" | "model" => Ok(false),
            "prompt" => {
                if !self
                    .listeners
                    .iter()
                    .any(|l| l.kind == ListenerKind::Prompt)
                {
                    return Err(
                        "PLANO_LISTENER is `prompt` but the config has no `type: prompt` listener"
                            .to_owned(),
                    );
                }
                if !cfg!(feature = "prompt-targets") && !self.prompts.targets.is_empty() {
                    return Err("PLANO_LISTENER is `prompt` and the config has prompt targets, but this build has none (plano-core's `prompt-targets` feature is off)".to_owned());
                }
                Ok(true)
            }
            other => Err(format!(
                "PLANO_LISTENER is `{other}`: expected `model` or `prompt`"
            )),
        }
    }
}

/// A config format version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Version {
    /// v0.1 (`v0.1`, `v0.1.0`, `0.1-beta`).
    V0_1,
    /// v0.2 (`0.2.0`).
    V0_2,
    /// v0.3 (`v0.3.0`).
    V0_3,
    /// v0.4 (`v0.4.0`).
    V0_4,
}

impl Version {
    /// Parses the spellings Plano accepts (`v0.1`, `v0.1.0`, `0.1-beta`, `0.2.0`, `v0.3.0`,
    /// `v0.4.0`) and the same numbers with or without `v` and `.0`.
    pub fn parse(text: &str) -> Option<Version> {
        let t = text.trim();
        let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
        let t = t.strip_suffix("-beta").unwrap_or(t);
        let t = t.strip_suffix(".0").unwrap_or(t);
        match t {
            "0.1" => Some(Version::V0_1),
            "0.2" => Some(Version::V0_2),
            "0.3" => Some(Version::V0_3),
            "0.4" => Some(Version::V0_4),
            _ => None,
        }
    }
}

/// A listener.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Listener {
    /// Unique name (`egress_traffic` / `ingress_traffic` for the legacy form).
    pub name: String,
    /// What it serves.
    pub kind: ListenerKind,
    /// Bind address (native host).
    pub address: String,
    /// TCP port (native host).
    pub port: u16,
    /// Request timeout; `None` uses [`Timeouts::request`].
    pub timeout: Option<Duration>,
    /// Retries on upstream failure.
    pub max_retries: Option<u32>,
    /// Filter ids applied to requests, in order (`input_filters`).
    pub input_filters: Vec<String>,
    /// Filter ids applied to responses, in order (`output_filters`).
    pub output_filters: Vec<String>,
    /// Where it was defined; line 0 for the default listener the gateway adds.
    pub pos: Pos,
}

/// A model provider.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Provider {
    /// Unique name (defaults to the `model` value).
    pub name: String,
    /// The provider prefix as written (`openai`, or a custom name with `provider_interface`).
    pub provider: String,
    /// The model id sent upstream; `None` for a wildcard (`openai/*`): the client's model id
    /// is forwarded.
    pub model: Option<String>,
    /// The catalog entry of the API the provider speaks.
    pub spec: &'static ProviderSpec,
    /// Upstream override; `None` uses [`ProviderSpec::base_url`].
    pub base_url: Option<BaseUrl>,
    /// Host header override.
    pub http_host: Option<String>,
    /// Credentials.
    pub access_key: Option<Secret>,
    /// Forward the client's Authorization header instead of `access_key`.
    pub passthrough_auth: bool,
    /// Extra upstream headers.
    pub headers: Vec<(String, Secret)>,
    /// The model used when a request names none.
    pub default: bool,
    /// Deprecated (v0.3) routes declared under the provider: (name, description); they
    /// join [`Routing::preferences`] with this provider as their only model.
    pub inline_routes: Vec<(String, String)>,
    /// Where it was defined.
    pub pos: Pos,
}

impl Provider {
    /// Whether this is a wildcard provider (`openai/*`).
    pub fn is_wildcard(&self) -> bool {
        self.model.is_none()
    }

    /// `provider/model` (or `provider/*`), as written in the config.
    pub fn full_model(&self) -> String {
        format!("{}/{}", self.provider, self.model.as_deref().unwrap_or("*"))
    }
}

/// A model alias.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Alias {
    /// The alias clients may send as `model`.
    pub name: String,
    /// The target as written.
    pub target: String,
    /// The name of the provider it resolves to.
    pub provider: String,
    /// Where it was defined.
    pub pos: Pos,
}

/// A token rate limit.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RateLimit {
    /// The model as written.
    pub model: String,
    /// Names of the providers it applies to.
    pub providers: Vec<String>,
    /// Request header name, lowercase.
    pub header: String,
    /// Which header values it counts.
    pub value: SelectorValue,
    /// Tokens per window.
    pub tokens: NonZeroU64,
    /// The window.
    pub unit: TimeUnit,
    /// Where it was defined.
    pub pos: Pos,
}

/// Which values of the selector header a rate limit counts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SelectorValue {
    /// `*`: a separate budget per distinct value.
    Each,
    /// Only this value.
    Exactly(String),
}

/// Tracing settings.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Tracing {
    /// Percentage of requests sampled (0 to 100); `None` when tracing is not configured.
    pub sampling_percent: Option<u32>,
    /// OTLP collector.
    pub otlp_endpoint: Option<BaseUrl>,
    /// Request header prefixes copied to span attributes.
    pub header_prefixes: Vec<String>,
    /// Attributes added to every span.
    pub static_attributes: Vec<(String, String)>,
}

/// This gateway's own settings (the `gateway` section), with defaults applied.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Gateway {
    /// Largest body buffered, in bytes.
    pub body_limit: u64,
    /// Timeouts.
    pub timeouts: Timeouts,
    /// State backend per host.
    pub state: HostStates,
}

/// Default `gateway.body_limit`: 10 MiB.
pub const DEFAULT_BODY_LIMIT: u64 = 10 << 20;

/// Timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Connecting to an upstream (default 5s).
    pub connect: Duration,
    /// A whole exchange (default 300s).
    pub request: Duration,
    /// Longest silence on a stream (default 60s).
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(5),
            request: Duration::from_secs(300),
            idle: Duration::from_secs(60),
        }
    }
}

/// The state backend of each host.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HostStates {
    /// Native server.
    pub native: StateTarget,
    /// Cloudflare Workers.
    pub workers: StateTarget,
    /// Fermyon Spin.
    pub spin: StateTarget,
    /// AWS Lambda.
    pub lambda: StateTarget,
    /// Envoy proxy-wasm.
    pub envoy: StateTarget,
}

impl Default for HostStates {
    fn default() -> Self {
        HostStates {
            native: StateTarget::Memory,
            workers: StateTarget::WorkersKv {
                binding: "PLANO_STATE".into(),
            },
            spin: StateTarget::SpinKv {
                store: "default".into(),
            },
            lambda: StateTarget::Dynamodb {
                table: "plano-state".into(),
            },
            envoy: StateTarget::SharedData,
        }
    }
}

/// A state backend with its name.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StateTarget {
    /// In-process memory.
    Memory,
    /// An embedded file.
    File {
        /// File path.
        path: String,
    },
    /// Workers KV.
    WorkersKv {
        /// KV namespace binding.
        binding: String,
    },
    /// A Durable Object namespace.
    DurableObject {
        /// Durable Object binding.
        binding: String,
    },
    /// Spin key-value store.
    SpinKv {
        /// Store label.
        store: String,
    },
    /// DynamoDB.
    Dynamodb {
        /// Table name.
        table: String,
    },
    /// proxy-wasm shared data.
    SharedData,
}

impl StateTarget {
    /// The backend kind.
    pub fn backend(&self) -> StateBackend {
        match self {
            StateTarget::Memory => StateBackend::Memory,
            StateTarget::File { .. } => StateBackend::File,
            StateTarget::WorkersKv { .. } => StateBackend::WorkersKv,
            StateTarget::DurableObject { .. } => StateBackend::DurableObject,
            StateTarget::SpinKv { .. } => StateBackend::SpinKv,
            StateTarget::Dynamodb { .. } => StateBackend::Dynamodb,
            StateTarget::SharedData => StateBackend::SharedData,
        }
    }
}

/// Preference-based routing: the operator's routes, the router model that picks one, how
/// the chosen route's models are ranked, and how long a session stays pinned.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Routing {
    /// Routes, from top-level `routing_preferences` and the deprecated per-provider form.
    pub preferences: Vec<RoutePreference>,
    /// The model that picks the route (`overrides.llm_routing_model`, else the legacy
    /// `routing.model`, else `Arch-Router`); `None` when no provider serves it (routing is
    /// then off, with a warning).
    pub router_model: Option<String>,
    /// Token budget of the conversation sent to the router
    /// (`overrides.llm_routing_model_context_length`, default 2048).
    pub router_context_tokens: u64,
    /// How long a session pin (`x-model-affinity`) lives (`routing.session_ttl_seconds`,
    /// default 600 s).
    pub session_ttl: Duration,
    /// Header whose value scopes session pins per tenant (`routing.session_cache.tenant_header`).
    pub tenant_header: Option<String>,
    /// Static prices per million tokens by model (`model_metrics_sources`, `provider: static`).
    pub costs: Vec<(String, f64)>,
    /// Static latencies in ms by model (`model_metrics_sources`, `provider: static`).
    pub latencies: Vec<(String, f64)>,
}

impl Routing {
    /// Whether config-level routing is on (preferences and a router).
    pub fn is_active(&self) -> bool {
        self.router_model.is_some() && !self.preferences.is_empty()
    }
}

/// One route: a task category in plain language and its candidate models.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RoutePreference {
    /// The route name the router answers with.
    pub name: String,
    /// What requests it matches, for the router.
    pub description: String,
    /// Candidate models, best first (as a client would name them).
    pub models: Vec<String>,
    /// How candidates are reordered.
    pub prefer: super::enums::Prefer,
}

impl RoutePreference {
    /// A route with config-order ranking.
    pub fn new(
        name: impl Into<String>,
        description: impl Into<String>,
        models: Vec<String>,
    ) -> Self {
        RoutePreference {
            name: name.into(),
            description: description.into(),
            models,
            prefer: super::enums::Prefer::None,
        }
    }
}

/// Input guards (`prompt_guards.input_guards`).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Guards {
    /// Jailbreak detection, when configured and served.
    pub jailbreak: Option<Guard>,
}

/// One guard: the model that classifies the latest user input, and the answer on detection.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Guard {
    /// The classifying model (a model name a configured provider serves).
    pub model: String,
    /// What the client gets instead of an LLM answer when the guard triggers
    /// (`on_exception.message`).
    pub message: String,
}

/// The prompt gateway: prompt targets the function-calling model matches requests to.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Prompts {
    /// The targets, in config order.
    pub targets: Vec<PromptTarget>,
    /// The global `system_prompt`.
    pub system_prompt: Option<String>,
    /// The function-calling model (`overrides.function_calling_model`, default
    /// `Arch-Function`); `None` when no provider serves it (prompt targets are then off).
    pub function_model: Option<String>,
}

impl Prompts {
    /// Whether prompt targets are active.
    pub fn is_active(&self) -> bool {
        self.function_model.is_some() && !self.targets.is_empty()
    }
}

/// A developer function the LLM can reach through the gateway.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PromptTarget {
    /// Function name.
    pub name: String,
    /// What it does (the tool description).
    pub description: String,
    /// Used when no other target matches.
    pub default: bool,
    /// Send the API's answer through the LLM (default `true`); else return it as is.
    pub auto_llm_dispatch_on_response: bool,
    /// Parameters.
    pub parameters: Vec<TargetParameter>,
    /// Where it is served.
    pub endpoint: Option<TargetEndpoint>,
    /// The system prompt for the LLM call after this target.
    pub system_prompt: Option<String>,
}

/// A prompt target parameter.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TargetParameter {
    /// Name.
    pub name: String,
    /// What it means.
    pub description: String,
    /// Type as written (`str`, `int`, `float`, `bool`, `list`, `dict`, or JSON Schema names).
    pub kind: String,
    /// Must be present.
    pub required: bool,
    /// Default value.
    pub default: Option<serde_json::Value>,
    /// Allowed values.
    pub values: Vec<serde_json::Value>,
    /// Substituted into the endpoint path (`{name}`).
    pub in_path: bool,
    /// Format hint (e.g. `date`).
    pub format: Option<String>,
}

/// A prompt target's endpoint.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TargetEndpoint {
    /// `http://host[:port]` or `https://…`, from `endpoints`.
    pub base_url: String,
    /// Request path (may hold `{param}` placeholders).
    pub path: String,
    /// `GET` (parameters in the query) or `POST` (a JSON body).
    pub post: bool,
    /// Extra headers.
    pub headers: Vec<(String, Secret)>,
    /// The `endpoints` entry's `connect_timeout` (hosts that declare connections, such as
    /// Envoy's clusters, use it).
    pub connect_timeout: Option<std::time::Duration>,
}

/// A request filter (`filters` entry): an HTTP service or an MCP tool that sees each request
/// body first and may rewrite or reject it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Filter {
    /// Its id (what listeners' `input_filters` name).
    pub id: String,
    /// Its URL (`http://host[:port][/prefix]`).
    pub url: String,
    /// An MCP tool (default) or a plain HTTP service.
    pub kind: super::enums::FilterKind,
    /// The MCP tool to call (default: the id).
    pub tool: String,
}
