//! Requests for a response the upstream itself stores (`GET`/`DELETE /v1/responses/{id}`),
//! for the Responses ids the gateway never saw: a same-API passthrough leaves the state with
//! the provider.

use hermesllm::Api;
use hermesllm::provider::Auth;

use super::{Header, Traceparent, UpstreamError, UpstreamRequest, headers, upstream_url};
use crate::config::{Config, Provider, Secret};

/// The provider a Responses client's stored-response requests go to: the default provider
/// when it speaks Responses natively, else the first configured provider that does. `None`
/// when no provider speaks Responses.
pub fn responses_provider(config: &Config) -> Option<&Provider> {
    let native = |p: &&Provider| {
        p.spec
            .endpoint_for_client(Api::OpenAiResponses)
            .is_some_and(|e| e.api == Api::OpenAiResponses && !matches!(e.auth, Auth::SigV4 { .. }))
    };
    config
        .providers
        .iter()
        .find(|p| p.default)
        .filter(native)
        .or_else(|| config.providers.iter().find(native))
}

/// A `GET` or `DELETE` (`method`) of the stored response `id` at `provider`, with the
/// provider's credentials (the client's under `passthrough_auth`, from `client_headers` or
/// `query_key`), its configured headers and a child `traceparent` (`span_id`). Other client
/// headers are not forwarded. The id is percent-encoded into the path.
///
/// # Errors
///
/// [`UpstreamError::NoEndpoint`] when the provider does not speak Responses (or signs with
/// SigV4), [`UpstreamError::MissingClientCredential`], and the URL errors of
/// [`upstream_url`].
pub fn build_stored_response(
    provider: &Provider,
    method: &'static str,
    id: &str,
    client_headers: &[(&str, &str)],
    query_key: Option<&Secret>,
    span_id: Option<[u8; 8]>,
) -> Result<UpstreamRequest, UpstreamError> {
    let no_endpoint = || UpstreamError::NoEndpoint {
        provider: provider.name.clone(),
    };
    let endpoint = provider
        .spec
        .endpoint_for_client(Api::OpenAiResponses)
        .filter(|e| e.api == Api::OpenAiResponses && !matches!(e.auth, Auth::SigV4 { .. }))
        .ok_or_else(no_endpoint)?;
    let base = upstream_url(provider, endpoint, "", false, None)?;
    let (path, query) = base.split_once('?').unwrap_or((base.as_str(), ""));
    let mut url = format!("{}/{}", path.trim_end_matches('/'), encode(id));
    if !query.is_empty() {
        url.push('?');
        url.push_str(query);
    }
    let mut out = vec![Header::new("accept", "application/json", false)];
    for (name, value) in endpoint.headers {
        out.push(Header::new(name, *value, false));
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
    }
    if let Some(host) = &provider.http_host {
        out.retain(|h| h.name != "host");
        out.push(Header::new("host", host.as_str(), false));
    }
    Ok(UpstreamRequest {
        api: Api::OpenAiResponses,
        passthrough: true,
        method,
        url,
        headers: out,
        body: Vec::new(),
        losses: hermesllm::Losses::default(),
    })
}

/// Percent-encodes a path segment (unreserved characters kept).
fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
