//! The provider catalog, as data.
//!
//! One [`ProviderSpec`] row per provider: its ids (as Plano's `plano_config.yaml` spells them,
//! plus aliases), default base URL, and the [`Endpoint`]s of the APIs it speaks natively, each
//! with its path template and auth style. Adding an OpenAI-compatible provider is one row; no
//! code per provider. The gateway prefers the client's own API when the provider speaks it
//! (passthrough), and otherwise the provider's first endpoint.

use std::fmt::Write as _;

use crate::Api;

/// How a provider expects credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Auth {
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// The key alone in a named header (`x-api-key`, `api-key`, `x-goog-api-key`).
    Header(&'static str),
    /// AWS Signature Version 4 for `service` (key id, secret and optional session token).
    SigV4 {
        /// The signing service name.
        service: &'static str,
    },
    /// No credentials (local servers such as Ollama).
    None,
}

/// One API a provider speaks, where it lives, and how to authenticate to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// The API.
    pub api: Api,
    /// Path appended to the base URL; `{model}` is replaced by the percent-encoded model id.
    pub path: &'static str,
    /// Path for streaming requests when it differs (Bedrock `converse-stream`, Gemini
    /// `streamGenerateContent?alt=sse`).
    pub stream_path: Option<&'static str>,
    /// Credentials.
    pub auth: Auth,
    /// Fixed headers the API requires (`anthropic-version`).
    pub headers: &'static [(&'static str, &'static str)],
}

impl Endpoint {
    /// The request path (and query) for `model`, streaming or not.
    pub fn path_for(&self, model: &str, stream: bool) -> String {
        let template = match (stream, self.stream_path) {
            (true, Some(p)) => p,
            _ => self.path,
        };
        if !template.contains("{model}") {
            return template.to_owned();
        }
        // Gemini SDKs name models `models/gemini-x`; the template already has the prefix.
        let model = model.strip_prefix("models/").unwrap_or(model);
        template.replace("{model}", &percent_encode_segment(model))
    }
}

/// A provider: ids, default base URL, and the APIs it speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderSpec {
    /// Canonical id, as in `plano_config.yaml` (`openai`, `anthropic`, ...).
    pub id: &'static str,
    /// Other names accepted in config (`google` for `gemini`, `amazon` for `amazon_bedrock`).
    pub aliases: &'static [&'static str],
    /// Default base URL (scheme and host, no trailing slash). `None`: the config must give
    /// one (Azure resources, self-hosted servers). `{region}` is replaced by the configured
    /// region (Bedrock).
    pub base_url: Option<&'static str>,
    /// Native endpoints, preferred first.
    pub endpoints: &'static [Endpoint],
}

impl ProviderSpec {
    /// The endpoint for `api`, if the provider speaks it natively.
    pub fn endpoint(&self, api: Api) -> Option<&'static Endpoint> {
        self.endpoints.iter().find(|e| e.api == api)
    }

    /// The endpoint to use for a client speaking `client`: the same API when the provider
    /// speaks it (passthrough), otherwise the provider's preferred API (translation).
    pub fn endpoint_for_client(&self, client: Api) -> Option<&'static Endpoint> {
        self.endpoint(client).or_else(|| self.endpoints.first())
    }
}

/// Looks a provider up by id or alias (ASCII case-insensitive).
pub fn lookup(name: &str) -> Option<&'static ProviderSpec> {
    PROVIDERS.iter().find(|p| {
        p.id.eq_ignore_ascii_case(name) || p.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    })
}

/// Percent-encodes one path segment (RFC 3986 unreserved characters pass through), as AWS
/// requires for Bedrock model ids and ARNs (`anthropic.claude-v2:1` → `anthropic.claude-v2%3A1`).
pub fn percent_encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

const fn chat(path: &'static str, auth: Auth) -> Endpoint {
    Endpoint {
        api: Api::OpenAiChat,
        path,
        stream_path: None,
        auth,
        headers: &[],
    }
}

const fn responses(path: &'static str, auth: Auth) -> Endpoint {
    Endpoint {
        api: Api::OpenAiResponses,
        path,
        stream_path: None,
        auth,
        headers: &[],
    }
}

const fn openai_compatible(
    id: &'static str,
    aliases: &'static [&'static str],
    base_url: &'static str,
    endpoints: &'static [Endpoint],
) -> ProviderSpec {
    ProviderSpec {
        id,
        aliases,
        base_url: Some(base_url),
        endpoints,
    }
}

const ANTHROPIC_VERSION: &[(&str, &str)] = &[("anthropic-version", "2023-06-01")];

/// Every provider the gateway knows without configuration beyond a key.
pub static PROVIDERS: &[ProviderSpec] = &[
    openai_compatible(
        "openai",
        &[],
        "https://api.openai.com",
        &[
            chat("/v1/chat/completions", Auth::Bearer),
            responses("/v1/responses", Auth::Bearer),
        ],
    ),
    ProviderSpec {
        id: "anthropic",
        aliases: &["claude"],
        base_url: Some("https://api.anthropic.com"),
        endpoints: &[Endpoint {
            api: Api::AnthropicMessages,
            path: "/v1/messages",
            stream_path: None,
            auth: Auth::Header("x-api-key"),
            headers: ANTHROPIC_VERSION,
        }],
    },
    ProviderSpec {
        id: "gemini",
        aliases: &["google"],
        base_url: Some("https://generativelanguage.googleapis.com"),
        endpoints: &[
            Endpoint {
                api: Api::Gemini,
                path: "/v1beta/models/{model}:generateContent",
                stream_path: Some("/v1beta/models/{model}:streamGenerateContent?alt=sse"),
                auth: Auth::Header("x-goog-api-key"),
                headers: &[],
            },
            chat("/v1beta/openai/chat/completions", Auth::Bearer),
        ],
    },
    ProviderSpec {
        id: "amazon_bedrock",
        aliases: &["amazon", "bedrock", "aws_bedrock"],
        base_url: Some("https://bedrock-runtime.{region}.amazonaws.com"),
        endpoints: &[Endpoint {
            api: Api::BedrockConverse,
            path: "/model/{model}/converse",
            stream_path: Some("/model/{model}/converse-stream"),
            auth: Auth::SigV4 { service: "bedrock" },
            headers: &[],
        }],
    },
    ProviderSpec {
        id: "azure_openai",
        aliases: &["azure"],
        base_url: None,
        endpoints: &[
            chat(
                "/openai/deployments/{model}/chat/completions?api-version=2024-10-21",
                Auth::Header("api-key"),
            ),
            responses("/openai/v1/responses", Auth::Header("api-key")),
        ],
    },
    openai_compatible(
        "groq",
        &[],
        "https://api.groq.com",
        &[chat("/openai/v1/chat/completions", Auth::Bearer)],
    ),
    openai_compatible(
        "mistral",
        &["mistralai"],
        "https://api.mistral.ai",
        &[chat("/v1/chat/completions", Auth::Bearer)],
    ),
    openai_compatible(
        "deepseek",
        &[],
        "https://api.deepseek.com",
        &[chat("/v1/chat/completions", Auth::Bearer)],
    ),
    openai_compatible(
        "xai",
        &["x-ai", "grok"],
        "https://api.x.ai",
        &[
            chat("/v1/chat/completions", Auth::Bearer),
            responses("/v1/responses", Auth::Bearer),
        ],
    ),
    openai_compatible(
        "together_ai",
        &["together"],
        "https://api.together.xyz",
        &[chat("/v1/chat/completions", Auth::Bearer)],
    ),
    ProviderSpec {
        id: "ollama",
        aliases: &[],
        base_url: Some("http://localhost:11434"),
        endpoints: &[chat("/v1/chat/completions", Auth::None)],
    },
    openai_compatible(
        "openrouter",
        &[],
        "https://openrouter.ai",
        &[chat("/api/v1/chat/completions", Auth::Bearer)],
    ),
    openai_compatible(
        "vercel",
        &[],
        "https://ai-gateway.vercel.sh",
        &[chat("/v1/chat/completions", Auth::Bearer)],
    ),
    openai_compatible(
        "qwen",
        &["dashscope"],
        "https://dashscope-intl.aliyuncs.com",
        &[chat("/compatible-mode/v1/chat/completions", Auth::Bearer)],
    ),
    openai_compatible(
        "zhipu",
        &["z-ai", "zai"],
        "https://open.bigmodel.cn",
        &[chat("/api/paas/v4/chat/completions", Auth::Bearer)],
    ),
    openai_compatible(
        "moonshotai",
        &["moonshot", "kimi"],
        "https://api.moonshot.ai",
        &[chat("/v1/chat/completions", Auth::Bearer)],
    ),
    openai_compatible(
        "github",
        &[],
        "https://models.github.ai",
        &[chat("/inference/chat/completions", Auth::Bearer)],
    ),
    openai_compatible(
        "digitalocean",
        &["do", "do_ai"],
        "https://inference.do-ai.run",
        &[chat("/v1/chat/completions", Auth::Bearer)],
    ),
    ProviderSpec {
        id: "plano",
        aliases: &["arch", "katanemo"],
        base_url: None,
        endpoints: &[chat("/v1/chat/completions", Auth::Bearer)],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_aliases_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for p in PROVIDERS {
            for name in std::iter::once(&p.id).chain(p.aliases) {
                assert!(seen.insert(name.to_ascii_lowercase()), "duplicate {name}");
            }
            assert!(!p.endpoints.is_empty(), "{} has no endpoint", p.id);
        }
    }

    #[test]
    fn lookup_by_alias() {
        assert_eq!(lookup("google").map(|p| p.id), Some("gemini"));
        assert_eq!(lookup("Amazon").map(|p| p.id), Some("amazon_bedrock"));
        assert_eq!(lookup("together").map(|p| p.id), Some("together_ai"));
        assert!(lookup("nope").is_none());
    }

    #[test]
    fn paths() {
        let bedrock = lookup("amazon_bedrock").unwrap();
        let e = bedrock.endpoint(Api::BedrockConverse).unwrap();
        assert_eq!(
            e.path_for("anthropic.claude-3-5-sonnet-20240620-v1:0", false),
            "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse"
        );
        assert_eq!(
            e.path_for("us.amazon.nova-pro-v1:0", true),
            "/model/us.amazon.nova-pro-v1%3A0/converse-stream"
        );
        let gemini = lookup("gemini").unwrap();
        let e = gemini.endpoint_for_client(Api::AnthropicMessages).unwrap();
        assert_eq!(e.api, Api::Gemini);
        assert_eq!(
            e.path_for("models/gemini-2.5-flash", true),
            "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
        );
        let groq = lookup("groq").unwrap();
        let e = groq.endpoint_for_client(Api::OpenAiResponses).unwrap();
        assert_eq!(
            (e.api, e.path_for("llama", false).as_str()),
            (Api::OpenAiChat, "/openai/v1/chat/completions")
        );
        let azure = lookup("azure_openai").unwrap();
        assert_eq!(
            azure
                .endpoint(Api::OpenAiChat)
                .unwrap()
                .path_for("gpt-4o deploy", false),
            "/openai/deployments/gpt-4o%20deploy/chat/completions?api-version=2024-10-21"
        );
        let anthropic = lookup("anthropic").unwrap();
        let e = anthropic.endpoint_for_client(Api::OpenAiChat).unwrap();
        assert_eq!(e.auth, Auth::Header("x-api-key"));
        assert_eq!(e.headers, &[("anthropic-version", "2023-06-01")]);
    }
}
