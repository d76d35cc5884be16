//! Model resolution: which configured provider serves a request, and the model id sent
//! upstream.

use hermesllm::ir::{ApiError, ErrorKind};

use crate::config::{Config, Provider};

/// The request header naming a provider when the model does not resolve (Plano's
/// `x-arch-llm-provider-hint`; the value `default` means the default provider).
pub const PROVIDER_HINT_HEADER: &str = "x-arch-llm-provider-hint";

/// How the provider was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Resolution {
    /// A `model_aliases` entry.
    Alias,
    /// A provider's `name` or exact `provider/model`.
    Exact,
    /// A bare model id (`gpt-4o` for `openai/gpt-4o`).
    BareModel,
    /// `provider/anything` covered by a wildcard provider (`openai/*`).
    Wildcard,
    /// The [`PROVIDER_HINT_HEADER`] header.
    Hint,
    /// The provider marked `default: true`.
    Default,
}

/// A resolved model.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Resolved<'c> {
    /// The provider.
    pub provider: &'c Provider,
    /// The model id to send upstream.
    pub upstream_model: &'c str,
    /// How it was chosen.
    pub how: Resolution,
}

/// No provider serves the requested model. The client is at fault (404); retrying the same
/// request fails again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// The model matches nothing and there is no default provider.
    #[error("model `{model}` is not configured on this gateway")]
    UnknownModel {
        /// The model as requested.
        model: String,
    },
    /// The request names no model and there is no default provider.
    #[error("the request names no model and no default provider is configured")]
    NoModel,
    /// A wildcard provider was chosen (hint or default) but the request names no model to
    /// forward.
    #[error("provider `{provider}` serves any model but the request names none")]
    WildcardWithoutModel {
        /// The provider name.
        provider: String,
    },
}

impl ResolveError {
    /// The error for the client (404, naming the model).
    pub fn to_api_error(&self) -> ApiError<'static> {
        let kind = match self {
            ResolveError::UnknownModel { .. } => ErrorKind::NotFound,
            ResolveError::NoModel | ResolveError::WildcardWithoutModel { .. } => {
                ErrorKind::InvalidRequest
            }
        };
        let mut e = ApiError::new(kind, self.to_string());
        e.param = Some("model".into());
        if matches!(self, ResolveError::UnknownModel { .. }) {
            e.code = Some("model_not_found".into());
        }
        e
    }

    /// Always the client: it names a model the gateway does not serve.
    pub fn fault(&self) -> crate::error::Fault {
        crate::error::Fault::Client
    }

    /// Always `false`: the request itself names nothing the gateway serves.
    pub fn is_retryable(&self) -> bool {
        false
    }
}

/// Resolves `model` (from the body or path; `None` when absent or empty) to a provider:
/// alias → provider name or exact `provider/model` → bare model id → wildcard provider
/// ([`Config::resolve_model`]), then the `hint` header value (a provider name or model
/// resolvable as above; `default` for the default provider), then the default provider.
///
/// The upstream model is the provider's configured model, or for a wildcard provider the
/// requested model without its `provider/` prefix.
///
/// # Errors
///
/// [`ResolveError`] naming the model.
pub fn resolve_model<'c>(
    config: &'c Config,
    model: Option<&'c str>,
    hint: Option<&str>,
) -> Result<Resolved<'c>, ResolveError> {
    let model = model.map(str::trim).filter(|m| !m.is_empty());
    if let Some(m) = model
        && let Some(provider) = config.resolve_model(m)
    {
        let alias = config.aliases.iter().find(|a| a.name == m);
        let how = if alias.is_some() {
            Resolution::Alias
        } else if provider.is_wildcard() {
            Resolution::Wildcard
        } else if provider.name == m || provider.full_model() == m {
            Resolution::Exact
        } else {
            Resolution::BareModel
        };
        // An alias to `openai/gpt-5` covered by `openai/*` forwards `gpt-5`.
        let requested = alias.map_or(m, |a| a.target.as_str());
        return finish(provider, Some(requested), how);
    }
    let hinted = hint.map(str::trim).filter(|h| !h.is_empty()).and_then(|h| {
        if h == "default" {
            config.default_provider()
        } else {
            config.resolve_model(h)
        }
    });
    if let Some(provider) = hinted {
        return finish(provider, model, Resolution::Hint);
    }
    if let Some(provider) = config.default_provider() {
        return finish(provider, model, Resolution::Default);
    }
    Err(match model {
        Some(m) => ResolveError::UnknownModel {
            model: m.to_owned(),
        },
        None => ResolveError::NoModel,
    })
}

fn finish<'c>(
    provider: &'c Provider,
    requested: Option<&'c str>,
    how: Resolution,
) -> Result<Resolved<'c>, ResolveError> {
    let upstream_model = match (&provider.model, requested) {
        (Some(m), _) => m.as_str(),
        (None, Some(r)) => r
            .strip_prefix(provider.provider.as_str())
            .and_then(|r| r.strip_prefix('/'))
            .unwrap_or(r),
        (None, None) => {
            return Err(ResolveError::WildcardWithoutModel {
                provider: provider.name.clone(),
            });
        }
    };
    Ok(Resolved {
        provider,
        upstream_model,
        how,
    })
}
