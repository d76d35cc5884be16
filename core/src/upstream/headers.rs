//! Which client headers travel upstream, and the credentials that replace them.

use hermesllm::Api;
use hermesllm::provider::Auth;

/// Headers never copied from the client: hop-by-hop headers (RFC 9110 §7.6.1), framing the
/// gateway recomputes, client credentials, headers the gateway sets itself, and its own
/// control headers.
const NEVER: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    "content-type",
    "content-encoding",
    "accept",
    "accept-encoding",
    "expect",
    "authorization",
    "x-api-key",
    "api-key",
    "x-goog-api-key",
    "cookie",
    "traceparent",
    "tracestate",
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
];

/// Whether a client header may be copied upstream to an endpoint speaking `upstream`.
/// API-specific headers (`anthropic-*`, `openai-*`, `x-goog-*`) go only to upstreams speaking
/// that API; AWS signing headers (`x-amz-*`) never (they sign the client's request, not ours);
/// headers named by the client's `connection` header never.
pub(crate) fn forwardable(name: &str, upstream: Api, connection: Option<&str>) -> bool {
    let lower = name.to_ascii_lowercase();
    if NEVER.contains(&lower.as_str())
        || lower.starts_with("x-arch-")
        || lower.starts_with("x-plano-")
        || lower.starts_with("x-amz-")
        || lower.starts_with("x-envoy-")
    {
        return false;
    }
    if connection.is_some_and(|c| c.split(',').any(|t| t.trim().eq_ignore_ascii_case(&lower))) {
        return false;
    }
    if lower.starts_with("anthropic-") {
        return upstream == Api::AnthropicMessages;
    }
    if lower.starts_with("openai-") {
        return matches!(upstream, Api::OpenAiChat | Api::OpenAiResponses);
    }
    if lower.starts_with("x-goog-") {
        return upstream == Api::Gemini;
    }
    true
}

/// The key a client authenticated with, from whichever credential it sent: `authorization:
/// Bearer`, `x-api-key`, `api-key`, `x-goog-api-key`, or Gemini's `?key=`.
pub(crate) fn client_key<'h>(
    headers: &[(&str, &'h str)],
    query_key: Option<&'h str>,
) -> Option<&'h str> {
    let get = |n: &str| {
        crate::route::header(headers, n)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    get("authorization")
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .or_else(|| get("x-api-key"))
        .or_else(|| get("api-key"))
        .or_else(|| get("x-goog-api-key"))
        .or(query_key)
}

/// The credential header for `key` in `auth`'s style: `None` for [`Auth::None`] and for
/// SigV4, where a key is a Bedrock API key sent as a bearer token.
pub(crate) fn credential_header(auth: Auth, key: &str) -> (String, String) {
    match auth {
        Auth::Header(name) => (name.to_owned(), key.to_owned()),
        _ => ("authorization".to_owned(), format!("Bearer {key}")),
    }
}
