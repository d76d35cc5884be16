//! Validation: from the raw config to the typed [`Config`], reporting every problem.
//!
//! Each section validates independently so one mistake does not hide the next. Values that
//! failed to decode are `None` in the raw config and were already reported; validation only
//! reports problems with values that are present.

mod gateway;
mod listeners;
mod prompts;
mod providers;
mod references;
mod routing;
mod telemetry;

use std::time::Duration;

use super::decode::DurationText;
use super::diag::{Code, Pos, Sink, Spanned, child};

use super::model::{Config, Version};
use super::raw::RawConfig;
use super::secret::{Secret, SecretLookup, resolve};
use super::values::parse_duration;
pub(crate) use references::resolve_model;

/// Shared state of one validation run.
pub(crate) struct Cx<'a> {
    pub(crate) sink: &'a mut Sink,
    pub(crate) lookup: &'a dyn SecretLookup,
}

impl Cx<'_> {
    pub(crate) fn error(&mut self, code: Code, path: &str, pos: Pos, message: impl Into<String>) {
        self.sink.error(code, path, pos, message);
    }

    pub(crate) fn warn(&mut self, code: Code, path: &str, pos: Pos, message: impl Into<String>) {
        self.sink.warn(code, path, pos, message);
    }

    /// Warns that `key` under `path` is accepted but not acted on, if present.
    pub(crate) fn not_acted_on<T>(
        &mut self,
        path: &str,
        key: &str,
        field: &Option<Spanned<T>>,
        what: &str,
    ) {
        if let Some(f) = field {
            self.warn(
                Code::NotActedOn,
                &child(path, key),
                f.pos,
                format!("accepted but not acted on yet: {what}"),
            );
        }
    }

    /// Resolves a secret template; unset variables are errors naming the variable.
    pub(crate) fn secret(&mut self, field: &Spanned<String>, path: &str) -> Option<Secret> {
        match resolve(&field.value, self.lookup) {
            Ok(s) => Some(s),
            Err(errors) => {
                for e in errors {
                    self.error(Code::Secret, path, field.pos, e.to_string());
                }
                None
            }
        }
    }

    /// Checks a secret template's syntax only, for sections not acted on (their variables
    /// need not be set).
    pub(crate) fn secret_syntax(&mut self, field: &Spanned<String>, path: &str) {
        if let Err(errors) = resolve(&field.value, &super::secret::PlaceholderSecrets) {
            for e in errors {
                self.error(Code::Secret, path, field.pos, e.to_string());
            }
        }
    }

    /// Parses a positive duration.
    pub(crate) fn duration(
        &mut self,
        field: &Spanned<DurationText>,
        path: &str,
    ) -> Option<Duration> {
        match parse_duration(&field.value.0) {
            Ok(d) if d.is_zero() => {
                self.error(
                    Code::InvalidValue,
                    path,
                    field.pos,
                    format!("duration `{}` must be greater than zero", field.value.0),
                );
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                self.error(Code::InvalidValue, path, field.pos, e);
                None
            }
        }
    }

    /// Reports a number outside `min..=max`.
    pub(crate) fn range<T: PartialOrd + std::fmt::Display + Copy>(
        &mut self,
        field: &Option<Spanned<T>>,
        path: &str,
        min: T,
        max: T,
    ) {
        if let Some(f) = field
            && !(min <= f.value && f.value <= max)
        {
            self.error(
                Code::InvalidValue,
                path,
                f.pos,
                format!("{} is out of range ({min} to {max})", f.value),
            );
        }
    }
}

/// Validates `raw` into a [`Config`]. Returns `None` when any error was reported.
pub(crate) fn validate(
    raw: &RawConfig,
    lookup: &dyn SecretLookup,
    sink: &mut Sink,
) -> Option<Config> {
    let mut cx = Cx { sink, lookup };
    let version = raw.version.as_ref().and_then(|v| {
        let parsed = Version::parse(&v.value.0);
        if parsed.is_none() {
            cx.error(
                Code::InvalidValue,
                "version",
                v.pos,
                format!(
                    "unsupported version `{}`; expected one of: v0.1, v0.1.0, 0.1-beta, 0.2.0, v0.3.0, v0.4.0",
                    v.value.0
                ),
            );
        }
        parsed
    });

    let ids = listeners::agents_and_filters(raw, &mut cx);
    let endpoints = prompts::endpoints(raw, &mut cx);
    let targets = prompts::prompt_sections(raw, &endpoints, &mut cx);
    let providers = providers::providers(raw, &endpoints, &mut cx);
    let listeners = listeners::listeners(raw, &ids, &mut cx);
    let aliases = references::aliases(raw, &providers, &mut cx);
    let rate_limits = references::rate_limits(raw, &providers, &mut cx);
    let preferences = references::routing_preferences(raw, &providers, &mut cx);
    routing::routing_sections(raw, &mut cx);
    let routing = routing::routing(raw, &providers, &aliases, preferences, &mut cx);
    let guards = prompts::guards(raw, &providers, &aliases, &mut cx);
    let prompts = prompts::prompts(raw, targets, &providers, &aliases, &mut cx);
    let filters = listeners::filters(raw);
    let tracing = telemetry::tracing(raw, &mut cx);
    let gateway = gateway::gateway(raw, &mut cx);

    if cx.sink.has_errors() {
        return None;
    }
    Some(Config {
        version: version?,
        listeners,
        providers,
        aliases,
        rate_limits,
        tracing,
        gateway,
        routing,
        guards,
        prompts,
        filters,
        warnings: Vec::new(),
    })
}
