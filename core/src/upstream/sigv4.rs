//! AWS Signature Version 4, through the `aws-sigv4` crate, with time as an input.

use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;

use super::Header;
use crate::config::Secret;

/// AWS credentials for SigV4, supplied by the host (environment, Lambda role, Workers
/// secrets). `Debug` never shows the secret key or session token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AwsCredentials {
    /// Access key id (`AKIA...`, `ASIA...`).
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: Secret,
    /// Session token of temporary credentials.
    pub session_token: Option<Secret>,
    /// Region used when the provider's `base_url` does not name one (`AWS_REGION`).
    pub region: Option<String>,
}

impl AwsCredentials {
    /// Credentials without a session token or default region.
    pub fn new(access_key_id: impl Into<String>, secret_access_key: Secret) -> Self {
        AwsCredentials {
            access_key_id: access_key_id.into(),
            secret_access_key,
            session_token: None,
            region: None,
        }
    }

    /// With a session token (temporary credentials).
    #[must_use]
    pub fn with_session_token(mut self, token: Secret) -> Self {
        self.session_token = Some(token);
        self
    }

    /// With a default region.
    #[must_use]
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }
}

/// What is signed: the request as it will be sent.
#[derive(Debug, Clone, Copy)]
pub struct SignInput<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Full URL, percent-encoded as it will be sent.
    pub url: &'a str,
    /// Headers to sign (the host is taken from `url` unless a `host` header is given).
    pub headers: &'a [(&'a str, &'a str)],
    /// The body.
    pub body: &'a [u8],
    /// Region.
    pub region: &'a str,
    /// Signing service name (`bedrock`).
    pub service: &'a str,
    /// Signing time, Unix milliseconds.
    pub now_ms: u64,
}

/// Signs a request, returning the headers to add (`x-amz-date`, `authorization` and, with a
/// session token, `x-amz-security-token`; the last two marked sensitive). The payload is
/// hashed into the signature without an `x-amz-content-sha256` header and the path is
/// double-encoded, as AWS requires for every service but S3.
///
/// # Errors
///
/// The reason, which never contains a credential.
pub fn sign_request(creds: &AwsCredentials, input: &SignInput<'_>) -> Result<Vec<Header>, String> {
    let credentials = Credentials::new(
        creds.access_key_id.clone(),
        creds.secret_access_key.expose().to_owned(),
        creds.session_token.as_ref().map(|t| t.expose().to_owned()),
        None,
        "plano",
    );
    let identity = credentials.into();
    let time = UNIX_EPOCH
        .checked_add(Duration::from_millis(input.now_ms))
        .ok_or_else(|| "signing time out of range".to_owned())?;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(input.region)
        .name(input.service)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| format!("signing parameters: {e}"))?
        .into();
    let request = SignableRequest::new(
        input.method,
        input.url,
        input.headers.iter().copied(),
        SignableBody::Bytes(input.body),
    )
    .map_err(|e| format!("request cannot be signed: {e}"))?;
    let (instructions, _signature) = sign(request, &params)
        .map_err(|e| format!("signing failed: {e}"))?
        .into_parts();
    let (headers, _params) = instructions.into_parts();
    Ok(headers
        .into_iter()
        .map(|h| {
            let sensitive = h.sensitive() || h.name().eq_ignore_ascii_case("authorization");
            Header::new(h.name(), h.value(), sensitive)
        })
        .collect())
}
