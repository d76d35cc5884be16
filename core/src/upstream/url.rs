//! The upstream URL: base URL (configured or the catalog's) joined with the endpoint path.

use hermesllm::Api;
use hermesllm::provider::Endpoint;

use super::UpstreamError;
use crate::config::Provider;
use crate::config::values::BaseUrl;

/// The URL of `endpoint` for `model`.
///
/// A `base_url` path prefix **replaces** the endpoint's default prefix (the part before the
/// API's own path: `/v1` before `/chat/completions`, `/v1beta` before `/models/...`), as in
/// Plano and as OpenAI-style SDK base URLs work: `https://api.z.ai/api/coding/paas/v4` gives
/// `https://api.z.ai/api/coding/paas/v4/chat/completions`. A prefix that already ends with
/// the API path (a full endpoint URL) is used as is. The endpoint's query (Azure
/// `api-version`, Gemini `alt=sse`) is kept. `{region}` in a catalog URL (Bedrock) is replaced
/// by `region`.
///
/// # Errors
///
/// [`UpstreamError::NoBaseUrl`], [`UpstreamError::NoRegion`].
pub fn upstream_url(
    provider: &Provider,
    endpoint: &Endpoint,
    model: &str,
    stream: bool,
    region: Option<&str>,
) -> Result<String, UpstreamError> {
    let rendered = endpoint.path_for(model, stream);
    let (path, query) = rendered.split_once('?').unwrap_or((rendered.as_str(), ""));
    let (origin, path) = match &provider.base_url {
        Some(base) => {
            let origin = BaseUrl {
                path_prefix: String::new(),
                ..base.clone()
            }
            .to_url();
            let prefix = base.path_prefix.trim_end_matches('/');
            if prefix.is_empty() {
                (origin, path.to_owned())
            } else {
                let suffix = api_suffix(endpoint.api, path);
                let default_prefix = path.strip_suffix(suffix).unwrap_or("");
                if prefix.ends_with(suffix) && !suffix.is_empty() {
                    (origin, prefix.to_owned())
                } else if starts_with_segments(default_prefix, prefix) {
                    // `.../v1beta` for Gemini's `/v1beta/openai`, `.../openai` for Groq's
                    // `/openai/v1`: the user named the start of the default prefix.
                    (origin, path.to_owned())
                } else {
                    (origin, format!("{prefix}{suffix}"))
                }
            }
        }
        None => {
            let template = provider
                .spec
                .base_url
                .ok_or_else(|| UpstreamError::NoBaseUrl {
                    provider: provider.name.clone(),
                })?;
            let origin = if template.contains("{region}") {
                let region = region.ok_or_else(|| UpstreamError::NoRegion {
                    provider: provider.name.clone(),
                })?;
                template.replace("{region}", region)
            } else {
                template.to_owned()
            };
            (origin, path.to_owned())
        }
    };
    Ok(if query.is_empty() {
        format!("{origin}{path}")
    } else {
        format!("{origin}{path}?{query}")
    })
}

/// Whether `path` begins with the segments of `prefix`.
fn starts_with_segments(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The API's own part of a rendered endpoint path: what a `base_url` prefix is joined to.
fn api_suffix(api: Api, path: &str) -> &str {
    let at = match api {
        Api::OpenAiChat => path.rfind("/chat/completions"),
        Api::OpenAiResponses => path.rfind("/responses"),
        Api::AnthropicMessages => path.rfind("/messages"),
        Api::Gemini => path.find("/models/"),
        Api::BedrockConverse => path.find("/model/"),
    };
    at.and_then(|i| path.get(i..)).unwrap_or(path)
}

/// The AWS region named by a Bedrock host (`bedrock-runtime.us-west-2.amazonaws.com`,
/// `bedrock-runtime-fips.us-east-1.amazonaws.com`, VPC endpoint names containing
/// `bedrock-runtime.<region>.`).
pub fn region_from_host(host: &str) -> Option<&str> {
    let labels: Vec<&str> = host.split('.').collect();
    labels
        .windows(2)
        .find(|w| matches!(w.first(), Some(&l) if l == "bedrock-runtime" || l == "bedrock-runtime-fips"))
        .and_then(|w| w.get(1).copied())
        .filter(|r| r.contains('-') && r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}
