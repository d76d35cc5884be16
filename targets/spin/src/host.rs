//! The host: the config, the exchange options and where state lives.
//!
//! The config is the text of the `plano_config` Spin variable (spin.toml's `[variables]`,
//! a default written by `plano-spin-manifest`, or supplied at deploy time through
//! `SPIN_VARIABLE_PLANO_CONFIG` or a runtime config's variables provider). Every `$VAR` in it
//! resolves to the Spin variable of the same name in lowercase (`$OPENAI_API_KEY` reads
//! `openai_api_key`, which spin.toml declares `secret = true`).
//!
//! A Spin instance serves one request or a few and is then dropped, so nothing here is state:
//! the loaded config is a per-instance cache of the variables (the first request an instance
//! serves loads it), and everything that must outlive a request goes to the key-value store.

use std::cell::OnceCell;

use plano_core::config::{Config, Secret, StateTarget};
use plano_core::exchange::ExchangeOptions;
use plano_core::state::SPIN_KV_MAX_VALUE;
use plano_core::upstream::AwsCredentials;

use crate::frame;
use crate::manifest::{CONFIG_VARIABLE, LISTENER_VARIABLE, variable_name};

/// What every request of an instance shares.
#[derive(Debug)]
pub struct Host {
    /// The loaded config.
    pub config: Config,
    /// The key-value store label.
    pub store_label: String,
    /// AWS credentials for SigV4 providers without an `access_key`.
    pub aws: Option<AwsCredentials>,
    /// Largest client body read.
    pub body_limit: usize,
    /// The OTLP/HTTP traces URL, when tracing is configured.
    pub traces_url: Option<String>,
    /// Percent of requests without a client `traceparent` that are traced.
    pub sampling_percent: u32,
    /// Serves the config's prompt listener (the `plano_listener` variable is `prompt`).
    pub prompt_listener: bool,
}

impl Host {
    /// The exchange options for this host.
    pub fn options(&'static self) -> ExchangeOptions<'static> {
        let mut options = ExchangeOptions::default()
            .aws(self.aws.as_ref())
            .prompt_listener(self.prompt_listener);
        // The expiry frame takes its share of the store's value limit.
        options.save.max_value_bytes = SPIN_KV_MAX_VALUE.saturating_sub(frame::HEADER);
        options
    }
}

thread_local! {
    static HOST: OnceCell<&'static Host> = const { OnceCell::new() };
}

/// The instance's host, loaded on first use. A config that does not load is an error text
/// (its diagnostics: positions and messages, never secret values), tried again on the next
/// request.
pub fn get() -> Result<&'static Host, String> {
    if let Some(h) = HOST.with(|c| c.get().copied()) {
        return Ok(h);
    }
    let host: &'static Host = Box::leak(Box::new(build()?));
    HOST.with(|c| {
        let _ = c.set(host);
    });
    Ok(host)
}

/// A Spin variable for a config `$NAME` reference.
fn variable(reference: &str) -> Option<String> {
    spin_sdk::variables::get(&variable_name(reference)?).ok()
}

fn build() -> Result<Host, String> {
    let text = spin_sdk::variables::get(CONFIG_VARIABLE).map_err(|e| {
        format!("no config: set the `{CONFIG_VARIABLE}` Spin variable to the plano config ({e})")
    })?;
    let config = Config::load(&text, &variable).map_err(|e| format!("config rejected:\n{e}"))?;
    let listener = spin_sdk::variables::get(LISTENER_VARIABLE).ok();
    let prompt_listener = config.serves_prompt_listener(listener.as_deref())?;
    let store_label = match &config.gateway.state.spin {
        StateTarget::SpinKv { store } => store.clone(),
        _ => "default".to_owned(),
    };
    let body_limit = usize::try_from(config.gateway.body_limit).unwrap_or(usize::MAX);
    Ok(Host {
        traces_url: crate::otlp::traces_url(&config.tracing),
        sampling_percent: config.tracing.sampling_percent.unwrap_or(100),
        store_label,
        prompt_listener,
        aws: aws_credentials(),
        body_limit,
        config,
    })
}

/// AWS credentials from the `aws_access_key_id`, `aws_secret_access_key`,
/// `aws_session_token` and `aws_region` (else `aws_default_region`) variables.
fn aws_credentials() -> Option<AwsCredentials> {
    let get = |n: &str| spin_sdk::variables::get(n).ok().filter(|v| !v.is_empty());
    let id = get("aws_access_key_id")?;
    let secret = get("aws_secret_access_key")?;
    let mut creds = AwsCredentials::new(id, Secret::literal(secret));
    creds.session_token = get("aws_session_token").map(Secret::literal);
    creds.region = get("aws_region").or_else(|| get("aws_default_region"));
    Some(creds)
}
