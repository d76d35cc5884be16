//! The process environment: the one place the server reads environment variables (config
//! secrets, AWS credentials, the keys zero-config mode looks for, `PLANO_LOG`).
//!
//! Values read here are secrets more often than not: they go into [`Secret`]s or straight to
//! the loader, and are never logged.

use plano_core::config::{Secret, SecretLookup};
use plano_core::upstream::AwsCredentials;

/// One environment variable, `None` when unset, empty or not UTF-8.
// The host is where the environment belongs; clippy.toml bans `std::env::var` for the
// libraries, which take secrets through a `SecretLookup` instead.
#[allow(clippy::disallowed_methods)]
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `$VAR` references in the config resolve to environment variables.
#[derive(Debug, Clone, Copy, Default)]
pub struct EnvSecrets;

impl SecretLookup for EnvSecrets {
    fn lookup(&self, name: &str) -> Option<String> {
        // An empty variable counts as set: the config loader decides what empty means.
        #[allow(clippy::disallowed_methods)]
        std::env::var(name).ok()
    }
}

/// AWS credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`
/// and `AWS_REGION` (else `AWS_DEFAULT_REGION`), for Bedrock providers without an
/// `access_key`. `None` unless both the key id and the secret are set.
pub fn aws_credentials() -> Option<AwsCredentials> {
    aws_credentials_from(&|name| var(name))
}

/// [`aws_credentials`] over any lookup (tests).
pub fn aws_credentials_from(get: &dyn Fn(&str) -> Option<String>) -> Option<AwsCredentials> {
    let id = get("AWS_ACCESS_KEY_ID")?;
    let secret = get("AWS_SECRET_ACCESS_KEY")?;
    let mut creds = AwsCredentials::new(id, Secret::literal(secret));
    creds.session_token = get("AWS_SESSION_TOKEN").map(Secret::literal);
    creds.region = get("AWS_REGION").or_else(|| get("AWS_DEFAULT_REGION"));
    Some(creds)
}
