//! Plano's `plano_config.yaml` (v0.1 to v0.4, legacy forms included), loaded and validated.
//!
//! Loading has three steps, each reporting every problem it finds with a YAML path and a
//! line and column:
//!
//! 1. parse the YAML into a positioned tree (`granit-parser` events);
//! 2. decode the tree into a raw config: unknown keys (with a suggestion), wrong types and
//!    missing required keys;
//! 3. validate into the typed [`Config`]: duplicates, references, URLs, durations, limits,
//!    the provider catalog, and secrets resolved through the host's [`SecretLookup`].
//!
//! Keys the gateway accepts but does not act on yet load with a [`Code::NotActedOn`]
//! warning; deprecated forms with a [`Code::Deprecated`] warning.
//!
//! ```
//! use plano_core::config::{Config, PlaceholderSecrets};
//!
//! let yaml = "version: v0.4.0\nmodel_providers:\n  - model: openai/gpt-4o\n    access_key: $OPENAI_API_KEY\n    default: true\n";
//! let env = |name: &str| (name == "OPENAI_API_KEY").then(|| "sk-test".to_owned());
//! let config = Config::load(yaml, &env).unwrap();
//! assert_eq!(config.providers[0].access_key.as_ref().unwrap().expose(), "sk-test");
//! assert!(Config::load("version: v0.4.0\nmodel_provider: []\n", &PlaceholderSecrets).is_err());
//! ```

mod decode;
mod diag;
mod enums;
mod model;
mod raw;
mod secret;
mod validate;
pub mod values;
mod yaml;

pub use diag::{Code, ConfigErrors, Diagnostic, Pos, Severity};
pub use enums::{
    AuthKind, CostProvider, FilterKind, FilterTransport, HttpMethod, LatencyProvider, ListenerKind,
    MessageFormat, Mode, Prefer, Protocol, RouterKind, SessionCacheKind, StateBackend,
    StateStorageKind, TimeUnit,
};
pub use model::{
    Alias, Config, DEFAULT_BODY_LIMIT, Filter, Gateway, Guard, Guards, HostStates, Listener,
    PromptTarget, Prompts, Provider, RateLimit, RoutePreference, Routing, SelectorValue,
    StateTarget, TargetEndpoint, TargetParameter, Timeouts, Tracing, Version,
};
pub use secret::{PlaceholderSecrets, Secret, SecretError, SecretLookup, resolve};

use decode::Decode;
use diag::Sink;

impl Config {
    /// Loads and validates a config, resolving `$VAR` secrets through `secrets`.
    ///
    /// # Errors
    ///
    /// [`ConfigErrors`] with every error found (and the warnings), sorted by position, when
    /// the text is not valid YAML, does not have the config's shape, or fails validation.
    pub fn load(yaml: &str, secrets: &dyn SecretLookup) -> Result<Config, ConfigErrors> {
        let mut sink = Sink::default();
        let config = yaml::parse(yaml, &mut sink)
            .and_then(|node| raw::RawConfig::decode(&node, "", &mut sink))
            .and_then(|raw| validate::validate(&raw, secrets, &mut sink));
        let diagnostics = sink.into_sorted();
        match config {
            Some(mut config) if !diagnostics.iter().any(Diagnostic::is_error) => {
                config.warnings = diagnostics;
                Ok(config)
            }
            _ => Err(ConfigErrors { diagnostics }),
        }
    }

    /// Checks a config without its secrets (every `$VAR` resolves to an empty string): for
    /// CI and `validate` commands.
    ///
    /// # Errors
    ///
    /// As [`Config::load`], except that unset variables are not errors.
    pub fn check(yaml: &str) -> Result<Config, ConfigErrors> {
        Config::load(yaml, &PlaceholderSecrets)
    }
}

/// The JSON Schema (draft 2020-12) of the accepted config, generated from the same
/// definitions the decoder uses. Checked in as `core/plano_config.schema.json`.
pub fn json_schema() -> serde_json::Value {
    let mut schema = raw::RawConfig::schema();
    if let serde_json::Value::Object(m) = &mut schema {
        m.insert(
            "$schema".into(),
            "https://json-schema.org/draft/2020-12/schema".into(),
        );
        m.insert("title".into(), "plano_config.yaml".into());
    }
    schema
}
