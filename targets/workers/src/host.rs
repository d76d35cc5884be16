//! The per-isolate host: the config, the state store and the exchange options, built on the
//! first request an isolate serves and kept for its life.
//!
//! The config is the text of the `PLANO_CONFIG` binding (a `[vars]` entry or a secret), read
//! at run time rather than embedded at build time: one build serves every deployment and a
//! config change is `wrangler deploy` (or `wrangler secret put`) without a rebuild. `$VAR`
//! references in it resolve to Worker secrets (`wrangler secret put NAME`) and, failing
//! those, plain variables. Bindings are stable for an isolate's life, so the store built from
//! the first request's `Env` serves the later ones.

use std::cell::OnceCell;

use plano_core::config::Secret;
use plano_core::config::{Config, StateTarget};
use plano_core::exchange::ExchangeOptions;
use plano_core::kv::MemoryKv;
use plano_core::state::{DURABLE_OBJECT_MAX_VALUE, WORKERS_KV_MAX_VALUE};
use plano_core::upstream::AwsCredentials;
use worker::Env;

use crate::clock::WorkerClock;
use crate::store::{DurableStore, Store, WorkersKv};

/// The binding holding the config text.
pub const CONFIG_BINDING: &str = "PLANO_CONFIG";
/// The variable naming the listener the Worker serves: `model` (default) or `prompt`. The
/// prompt listener needs the build with prompt targets (`build.sh --prompt`).
pub const LISTENER_BINDING: &str = "PLANO_LISTENER";
/// The Durable Object namespace for exact counters next to Workers KV.
pub const COUNTERS_BINDING: &str = "PLANO_COUNTERS";

/// What every request of an isolate shares.
#[derive(Debug)]
pub struct Host {
    /// The loaded config.
    pub config: Config,
    /// The state store.
    pub store: Store,
    /// AWS credentials for SigV4 providers without an `access_key`.
    pub aws: Option<AwsCredentials>,
    /// Largest client body read.
    pub body_limit: usize,
    /// Responses state's largest value in this store.
    pub max_value_bytes: usize,
    /// The OTLP/HTTP traces URL, when tracing is configured.
    pub traces_url: Option<String>,
    /// Percent of requests without a client `traceparent` that are traced.
    pub sampling_percent: u32,
    /// Serves the config's prompt listener (`PLANO_LISTENER = "prompt"`).
    pub prompt_listener: bool,
}

impl Host {
    /// The exchange options for this host.
    pub fn options(&'static self) -> ExchangeOptions<'static> {
        let mut options = ExchangeOptions::default()
            .aws(self.aws.as_ref())
            .prompt_listener(self.prompt_listener);
        options.save.max_value_bytes = self.max_value_bytes;
        options
    }
}

thread_local! {
    static HOST: OnceCell<&'static Host> = const { OnceCell::new() };
}

/// The isolate's host, built on first use. A config that does not load is an error text (its
/// diagnostics: positions and messages, never secret values) and is tried again on the next
/// request.
pub fn get(env: &Env) -> Result<&'static Host, String> {
    if let Some(h) = HOST.with(|c| c.get().copied()) {
        return Ok(h);
    }
    let host: &'static Host = Box::leak(Box::new(build(env)?));
    HOST.with(|c| {
        let _ = c.set(host);
    });
    Ok(host)
}

/// A secret or variable binding as text.
fn binding(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .ok()
        .map(|s| s.to_string())
        .or_else(|| env.var(name).ok().map(|v| v.to_string()))
}

fn build(env: &Env) -> Result<Host, String> {
    let Some(text) = binding(env, CONFIG_BINDING) else {
        return Err(format!(
            "no config: set the {CONFIG_BINDING} variable or secret to the plano config (YAML)"
        ));
    };
    let lookup = |name: &str| binding(env, name);
    let config = Config::load(&text, &lookup).map_err(|e| format!("config rejected:\n{e}"))?;
    let prompt_listener =
        config.serves_prompt_listener(binding(env, LISTENER_BINDING).as_deref())?;
    let (store, max_value_bytes) = match &config.gateway.state.workers {
        StateTarget::WorkersKv { binding } => {
            let kv = env
                .kv(binding)
                .map_err(|e| format!("KV namespace binding `{binding}`: {e}"))?;
            let counters = env.durable_object(COUNTERS_BINDING).ok().map(DurableStore);
            (
                Store::Split {
                    kv: WorkersKv(kv),
                    counters,
                },
                WORKERS_KV_MAX_VALUE,
            )
        }
        StateTarget::DurableObject { binding } => {
            let ns = env
                .durable_object(binding)
                .map_err(|e| format!("Durable Object binding `{binding}`: {e}"))?;
            // The object's frame takes 8 bytes; the key is the object's name, not stored.
            (
                Store::Durable(DurableStore(ns)),
                DURABLE_OBJECT_MAX_VALUE.saturating_sub(64),
            )
        }
        _ => (
            Store::Memory(MemoryKv::new(WorkerClock)),
            WORKERS_KV_MAX_VALUE,
        ),
    };
    let body_limit = usize::try_from(config.gateway.body_limit).unwrap_or(usize::MAX);
    let traces_url = crate::otlp::traces_url(&config.tracing);
    let sampling_percent = config.tracing.sampling_percent.unwrap_or(100);
    Ok(Host {
        traces_url,
        sampling_percent,
        config,
        store,
        aws: aws_credentials(env),
        body_limit,
        max_value_bytes,
        prompt_listener,
    })
}

/// AWS credentials from the `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`
/// and `AWS_REGION` (else `AWS_DEFAULT_REGION`) secrets.
fn aws_credentials(env: &Env) -> Option<AwsCredentials> {
    let get = |n: &str| binding(env, n).filter(|v| !v.is_empty());
    let id = get("AWS_ACCESS_KEY_ID")?;
    let secret = get("AWS_SECRET_ACCESS_KEY")?;
    let mut creds = AwsCredentials::new(id, Secret::literal(secret));
    creds.session_token = get("AWS_SESSION_TOKEN").map(Secret::literal);
    creds.region = get("AWS_REGION").or_else(|| get("AWS_DEFAULT_REGION"));
    Some(creds)
}
