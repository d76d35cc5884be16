//! The upstream side of an exchange: the request sent to a resolved provider.
//!
//! [`build`] chooses the upstream API (the client's own when the provider speaks it, so the
//! body passes through; otherwise the provider's preferred API, with translation), the URL,
//! the headers (credentials, API headers, forwarded client headers, `traceparent`) and the
//! body, and returns what the translation lost.
//!
//! # Call contract
//!
//! Call [`build`] once the client body is complete and the model is resolved
//! ([`crate::route::resolve_model`]). Send [`UpstreamRequest`] as is: its headers are
//! complete (a SigV4 signature covers them), and the host adds only `content-length` and,
//! unless a `host` header is present, the host from the URL. Decode the upstream response
//! with [`UpstreamRequest::api`].

mod headers;
mod sigv4;
mod stored;
mod trace;
mod url;

use std::fmt;

use hermesllm::provider::Auth;
use hermesllm::translate::{TranslateError, translate_request};
use hermesllm::{Api, Losses, RequestMeta};

use crate::config::Provider;
use crate::config::Secret;

pub use sigv4::{AwsCredentials, SignInput, sign_request};
pub use stored::{build_stored_response, responses_provider};
pub use trace::Traceparent;
pub use url::{region_from_host, upstream_url};

/// One outgoing header. `Debug` hides the value of sensitive headers (credentials).
#[derive(Clone, PartialEq, Eq)]
pub struct Header {
    /// Lowercase name.
    pub name: String,
    value: String,
    /// Whether the value is a credential.
    pub sensitive: bool,
}

impl Header {
    /// A header; the name is lowercased.
    pub fn new(name: &str, value: impl Into<String>, sensitive: bool) -> Header {
        Header {
            name: name.to_ascii_lowercase(),
            value: value.into(),
            sensitive,
        }
    }

    /// The value, for the wire. Do not log sensitive values.
    pub fn value(&self) -> &str {
        &self.value
    }
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.sensitive {
            write!(f, "{}: <redacted>", self.name)
        } else {
            write!(f, "{}: {:?}", self.name, self.value)
        }
    }
}

/// The request to send upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UpstreamRequest {
    /// The API the upstream speaks (decode its response with it).
    pub api: Api,
    /// Whether the client's body was passed through (same API) rather than translated.
    pub passthrough: bool,
    /// Always `POST` for LLM calls.
    pub method: &'static str,
    /// Full URL.
    pub url: String,
    /// Headers, in a fixed order: content type and accept, API headers, forwarded client
    /// headers, credentials, provider `headers`, `traceparent`, SigV4 headers.
    pub headers: Vec<Header>,
    /// The body.
    pub body: Vec<u8>,
    /// What the translation could not carry (empty for passthrough).
    pub losses: Losses,
}

impl UpstreamRequest {
    /// The first header named `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.name == name)
            .map(Header::value)
    }
}

/// What [`build`] needs.
#[derive(Debug, Clone, Copy)]
pub struct UpstreamInput<'a> {
    /// The resolved provider.
    pub provider: &'a Provider,
    /// The model id sent upstream ([`crate::route::Resolved::upstream_model`]).
    pub upstream_model: &'a str,
    /// The client's API ([`crate::route::Generate::api`]).
    pub client_api: Api,
    /// What the client's URL said ([`crate::route::Generate::meta`]).
    pub meta: &'a RequestMeta<'a>,
    /// Whether the request streams (from the path or the body's `stream`).
    pub stream: bool,
    /// The client's headers as received.
    pub client_headers: &'a [(&'a str, &'a str)],
    /// Gemini's `?key=` ([`crate::route::Generate::query_key`]), for `passthrough_auth`.
    pub query_key: Option<&'a Secret>,
    /// The client's body.
    pub body: &'a [u8],
    /// The span id of the gateway's upstream call: a valid client `traceparent` is sent on
    /// with this as its parent id (`None`: sent unchanged).
    pub span_id: Option<[u8; 8]>,
    /// AWS credentials for SigV4 providers without an `access_key`.
    pub aws: Option<&'a AwsCredentials>,
    /// Now, Unix milliseconds (SigV4 signing time).
    pub now_ms: u64,
}

pub use crate::error::Fault;

/// Why no upstream request could be built. Never contains a credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UpstreamError {
    /// The body could not be decoded, or the upstream API cannot express it (client).
    #[error(transparent)]
    Translate(#[from] TranslateError),
    /// The provider's catalog entry lists no API (gateway; the catalog's own tests rule it
    /// out).
    #[error("provider `{provider}` has no endpoint in the catalog")]
    NoEndpoint {
        /// Provider name.
        provider: String,
    },
    /// Neither the config nor the catalog gives the provider a URL (gateway).
    #[error("provider `{provider}` has no base_url")]
    NoBaseUrl {
        /// Provider name.
        provider: String,
    },
    /// A Bedrock provider without a region in `base_url` or the AWS credentials (gateway).
    #[error(
        "provider `{provider}` needs an AWS region: set base_url to https://bedrock-runtime.<region>.amazonaws.com"
    )]
    NoRegion {
        /// Provider name.
        provider: String,
    },
    /// A SigV4 provider with neither `access_key` nor AWS credentials (gateway).
    #[error(
        "provider `{provider}` has no credentials: set access_key (a Bedrock API key) or give the host AWS credentials"
    )]
    NoCredentials {
        /// Provider name.
        provider: String,
    },
    /// `passthrough_auth` is set but the client sent no credential (client).
    #[error("provider `{provider}` uses the client's credentials, but the request carries none")]
    MissingClientCredential {
        /// Provider name.
        provider: String,
    },
    /// SigV4 signing failed (gateway).
    #[error("signing the request for provider `{provider}` failed: {reason}")]
    Signing {
        /// Provider name.
        provider: String,
        /// Why (never a credential).
        reason: String,
    },
}

impl UpstreamError {
    /// Who is at fault.
    pub fn fault(&self) -> Fault {
        match self {
            UpstreamError::Translate(_) | UpstreamError::MissingClientCredential { .. } => {
                Fault::Client
            }
            _ => Fault::Gateway,
        }
    }

    /// Always `false`: the same request or config fails the same way.
    pub fn is_retryable(&self) -> bool {
        false
    }

    /// The error for the client. Gateway faults say only that the provider is misconfigured.
    pub fn to_api_error(&self) -> hermesllm::ir::ApiError<'static> {
        use hermesllm::ir::{ApiError, ErrorKind};
        match self {
            UpstreamError::Translate(e) => e.to_api_error(),
            UpstreamError::MissingClientCredential { .. } => {
                ApiError::new(ErrorKind::Authentication, self.to_string())
            }
            _ => ApiError::new(ErrorKind::Server, self.to_string()),
        }
    }
}

/// Builds the upstream request.
///
/// # Errors
///
/// [`UpstreamError`].
pub fn build(input: &UpstreamInput<'_>) -> Result<UpstreamRequest, UpstreamError> {
    let UpstreamInput {
        provider,
        upstream_model,
        client_api,
        meta,
        stream,
        client_headers,
        query_key,
        body,
        span_id,
        aws,
        now_ms,
    } = *input;
    let endpoint = provider
        .spec
        .endpoint_for_client(client_api)
        .ok_or_else(|| UpstreamError::NoEndpoint {
            provider: provider.name.clone(),
        })?;
    let api = endpoint.api;
    let sigv4 = matches!(endpoint.auth, Auth::SigV4 { .. })
        && !provider.passthrough_auth
        && provider
            .access_key
            .as_ref()
            .is_none_or(|k| k.expose().is_empty());
    let region = bedrock_region(provider, aws);
    let url = upstream_url(
        provider,
        endpoint,
        upstream_model,
        stream,
        region.as_deref(),
    )?;
    let translation = translate_request(client_api, api, body, meta, Some(upstream_model))?;

    let mut out: Vec<Header> = Vec::new();
    out.push(Header::new("content-type", "application/json", false));
    let accept = match (stream, api) {
        (true, Api::BedrockConverse) => "application/vnd.amazon.eventstream",
        (true, _) => "text/event-stream",
        (false, _) => "application/json",
    };
    out.push(Header::new("accept", accept, false));
    for (name, value) in endpoint.headers {
        // An Anthropic client's own `anthropic-version` wins on an Anthropic upstream.
        let client = (api == client_api)
            .then(|| crate::route::header(client_headers, name))
            .flatten();
        out.push(Header::new(name, client.unwrap_or(value), false));
    }
    let connection = crate::route::header(client_headers, "connection");
    for (name, value) in client_headers {
        let lower = name.to_ascii_lowercase();
        if endpoint.headers.iter().any(|(n, _)| *n == lower) {
            continue;
        }
        if headers::forwardable(name, api, connection) {
            out.push(Header::new(name, *value, false));
        }
    }
    if provider.passthrough_auth {
        let key = headers::client_key(client_headers, query_key.map(Secret::expose)).ok_or_else(
            || UpstreamError::MissingClientCredential {
                provider: provider.name.clone(),
            },
        )?;
        let (n, v) = headers::credential_header(endpoint.auth, key);
        out.push(Header::new(&n, v, true));
    } else if let Some(key) = &provider.access_key
        && !key.expose().is_empty()
    {
        let (n, v) = headers::credential_header(endpoint.auth, key.expose());
        out.push(Header::new(&n, v, true));
    }
    for (name, value) in &provider.headers {
        let lower = name.to_ascii_lowercase();
        out.retain(|h| h.name != lower);
        out.push(Header::new(&lower, value.expose(), true));
    }
    if let Some(tp) =
        crate::route::header(client_headers, "traceparent").and_then(Traceparent::parse)
    {
        let tp = span_id.map_or(tp, |s| tp.child(s));
        out.push(Header::new("traceparent", tp.to_header(), false));
        if let Some(state) = crate::route::header(client_headers, "tracestate") {
            out.push(Header::new("tracestate", state, false));
        }
    }
    if let Some(host) = &provider.http_host {
        out.retain(|h| h.name != "host");
        out.push(Header::new("host", host.as_str(), false));
    }
    if sigv4 {
        let Auth::SigV4 { service } = endpoint.auth else {
            return Err(UpstreamError::NoCredentials {
                provider: provider.name.clone(),
            });
        };
        let creds = aws.ok_or_else(|| UpstreamError::NoCredentials {
            provider: provider.name.clone(),
        })?;
        let region = region.ok_or_else(|| UpstreamError::NoRegion {
            provider: provider.name.clone(),
        })?;
        // Sign what AWS needs and proxies keep: host (from `host` or the URL) and type.
        let signed: Vec<(&str, &str)> = out
            .iter()
            .filter(|h| matches!(h.name.as_str(), "host" | "content-type"))
            .map(|h| (h.name.as_str(), h.value()))
            .collect();
        let sign_input = SignInput {
            method: "POST",
            url: &url,
            headers: &signed,
            body: &translation.body,
            region: &region,
            service,
            now_ms,
        };
        let extra = sign_request(creds, &sign_input).map_err(|reason| UpstreamError::Signing {
            provider: provider.name.clone(),
            reason,
        })?;
        out.extend(extra);
    }
    Ok(UpstreamRequest {
        api,
        passthrough: api == client_api,
        method: "POST",
        url,
        headers: out,
        body: translation.body,
        losses: translation.losses,
    })
}

/// The region of a Bedrock provider: from its `base_url` host, else the AWS credentials.
fn bedrock_region(provider: &Provider, aws: Option<&AwsCredentials>) -> Option<String> {
    provider
        .base_url
        .as_ref()
        .and_then(|b| region_from_host(&b.host))
        .map(str::to_owned)
        .or_else(|| aws.and_then(|a| a.region.clone()))
}
