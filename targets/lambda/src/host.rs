//! The execution environment's state, built once at init and kept across invocations: the
//! config, the pooled HTTP client, the state store, the trace exporter.
//!
//! # Config
//!
//! The plano config (`plano_config.yaml`, v0.1 to v0.4, unchanged) is, in order:
//! 1. the text of the `PLANO_CONFIG` environment variable (small configs: Lambda allows 4 KB
//!    of environment in all);
//! 2. the file named by `PLANO_CONFIG_FILE`;
//! 3. `plano_config.yaml` in the deployment package (`$LAMBDA_TASK_ROOT`, where
//!    `cargo lambda build --include plano_config.yaml` puts it).
//!
//! `$VAR` references resolve to environment variables, which the Terraform module fills from
//! Secrets Manager or SSM parameters. A config that does not load is not fatal to the
//! function: every request answers 500 with the diagnostics (positions and messages, never a
//! secret value), which is easier to find than an init failure.
//!
//! # State
//!
//! `gateway.state.lambda` chooses `dynamodb` (default, table `plano-state`) or `memory`.
//! `PLANO_DYNAMODB_TABLE` overrides the table name (Terraform sets it to the table it made);
//! `AWS_ENDPOINT_URL_DYNAMODB` (else `AWS_ENDPOINT_URL`), the AWS SDKs' variable, points the
//! store at an emulator. Credentials are the function role's, from the standard variables.

use std::time::Duration;

use plano_core::config::{Config, StateTarget};
use plano_core::exchange::ExchangeOptions;
use plano_core::kv::MemoryKv;
use plano_core::state::DYNAMODB_MAX_ITEM;
use plano_core::upstream::AwsCredentials;

use crate::client::HttpsClient;
use crate::clock::SystemClock;
use crate::dynamo::Dynamo;
use crate::env::aws_credentials_from;
use crate::otel::{self, Exporter};
use crate::store::{DynamoKv, Store};

/// Environment variable holding the config text.
pub const CONFIG_VAR: &str = "PLANO_CONFIG";
/// Environment variable naming a config file.
pub const CONFIG_FILE_VAR: &str = "PLANO_CONFIG_FILE";
/// Environment variable naming the listener served: `model` (default) or `prompt`.
pub const LISTENER_VAR: &str = "PLANO_LISTENER";
/// The config file's name in the deployment package.
pub const PACKAGED_CONFIG: &str = "plano_config.yaml";

/// What every invocation of an execution environment shares.
#[derive(Debug)]
pub struct App {
    /// The loaded config.
    pub config: Config,
    /// The pooled client (upstreams, DynamoDB, the collector).
    pub client: HttpsClient,
    /// The state store.
    pub store: Store,
    /// AWS credentials for SigV4 providers without an `access_key`.
    pub aws: Option<AwsCredentials>,
    /// Largest client body read (`gateway.body_limit`).
    pub body_limit: usize,
    /// Largest Responses state value this store takes.
    pub max_value_bytes: usize,
    /// The trace exporter, when tracing is configured.
    pub exporter: Option<Exporter>,
    /// Serves the config's prompt listener (`PLANO_LISTENER=prompt`): one function per
    /// listener.
    pub prompt_listener: bool,
}

impl App {
    /// The exchange options for this host.
    pub fn options(&self) -> ExchangeOptions<'_> {
        let mut options = ExchangeOptions::default()
            .aws(self.aws.as_ref())
            .prompt_listener(self.prompt_listener);
        options.save.max_value_bytes = self.max_value_bytes;
        options
    }
}

/// The config text, from the places listed in the module docs.
///
/// # Errors
/// A message naming where the config was looked for.
pub fn config_text(get: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    if let Some(text) = get(CONFIG_VAR) {
        return Ok(text);
    }
    let path = get(CONFIG_FILE_VAR).unwrap_or_else(|| {
        let root = get("LAMBDA_TASK_ROOT").unwrap_or_else(|| ".".into());
        format!("{}/{PACKAGED_CONFIG}", root.trim_end_matches('/'))
    });
    std::fs::read_to_string(&path)
        .map_err(|e| format!("no config: {CONFIG_VAR} is not set and {path} cannot be read ({e})"))
}

/// Builds the environment's state from `get` (the process environment in the function).
/// `memory_store` forces the in-memory store (in-process tests).
///
/// # Errors
/// The config's diagnostics, or why the store cannot be set up.
pub fn build(get: &dyn Fn(&str) -> Option<String>, memory_store: bool) -> Result<App, String> {
    let text = config_text(get)?;
    let config = Config::load(&text, &|name: &str| get(name))
        .map_err(|e| format!("config rejected:\n{e}"))?;
    let prompt_listener = config.serves_prompt_listener(get(LISTENER_VAR).as_deref())?;
    for w in &config.warnings {
        tracing::warn!(%w, "config");
    }
    let client = HttpsClient::new(config.gateway.timeouts.connect, crate::client::POOL);
    let aws = aws_credentials_from(get);
    let store = match &config.gateway.state.lambda {
        StateTarget::Dynamodb { table } if !memory_store => {
            let creds = aws.clone().ok_or(
                "DynamoDB state needs AWS credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)",
            )?;
            let region = creds
                .region
                .clone()
                .ok_or("DynamoDB state needs AWS_REGION")?;
            let endpoint = get("AWS_ENDPOINT_URL_DYNAMODB").or_else(|| get("AWS_ENDPOINT_URL"));
            let table = get("PLANO_DYNAMODB_TABLE").unwrap_or_else(|| table.clone());
            // DynamoDB answers in milliseconds; a stuck connection must not hold the
            // request for the whole upstream timeout.
            let db = Dynamo::new(
                client.clone(),
                region,
                endpoint,
                creds,
                Duration::from_secs(3),
            );
            Store::Dynamo(Box::new(DynamoKv::new(db, table)))
        }
        _ => Store::Memory(MemoryKv::new(SystemClock)),
    };
    let exporter = match otel::traces_url(&config.tracing) {
        None => None,
        Some(url) => {
            let sampling = config.tracing.sampling_percent.unwrap_or(100);
            Some(Exporter::new(url, sampling, client.clone())?)
        }
    };
    Ok(App {
        body_limit: usize::try_from(config.gateway.body_limit).unwrap_or(usize::MAX),
        // The item's key and attribute names take the rest of the 400 KB.
        max_value_bytes: DYNAMODB_MAX_ITEM - 4096,
        config,
        client,
        store,
        aws,
        exporter,
        prompt_listener,
    })
}
