//! The process environment: config secrets (`$VAR` in the config), AWS credentials of the
//! function's role, `PLANO_*` settings. Values read here are secrets more often than not and
//! are never logged.

use plano_core::config::{Secret, SecretLookup};
use plano_core::upstream::AwsCredentials;

/// One environment variable, `None` when unset, empty or not UTF-8.
// The host is where the environment belongs; clippy.toml bans `std::env::var` in libraries.
#[allow(clippy::disallowed_methods)]
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `$VAR` references in the config resolve to environment variables (Terraform fills them
/// from Secrets Manager or SSM parameters).
#[derive(Debug, Clone, Copy, Default)]
pub struct EnvSecrets;

impl SecretLookup for EnvSecrets {
    fn lookup(&self, name: &str) -> Option<String> {
        // An empty variable counts as set: the config loader decides what empty means.
        #[allow(clippy::disallowed_methods)]
        std::env::var(name).ok()
    }
}

/// The function role's credentials: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN` and `AWS_REGION` (else `AWS_DEFAULT_REGION`), which Lambda sets for
/// every invocation environment. `None` unless the key id and the secret are both set.
pub fn aws_credentials_from(get: &dyn Fn(&str) -> Option<String>) -> Option<AwsCredentials> {
    let id = get("AWS_ACCESS_KEY_ID")?;
    let secret = get("AWS_SECRET_ACCESS_KEY")?;
    let mut creds = AwsCredentials::new(id, Secret::literal(secret));
    creds.session_token = get("AWS_SESSION_TOKEN").map(Secret::literal);
    creds.region = get("AWS_REGION").or_else(|| get("AWS_DEFAULT_REGION"));
    Some(creds)
}
