//! Which provider endpoint a request is for.

use std::borrow::Cow;

use http::Method;
use percent_encoding::percent_decode_str;

/// A wire format, and so a family of fixtures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    Chat,
    Responses,
    Messages,
    Gemini,
    Converse,
}

impl Api {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Api::Chat => "openai_chat",
            Api::Responses => "openai_responses",
            Api::Messages => "anthropic_messages",
            Api::Gemini => "gemini",
            Api::Converse => "bedrock_converse",
        }
    }
}

/// Whose credentials and error conventions apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Provider {
    OpenAi,
    Azure,
    Anthropic,
    Gemini,
    /// Gemini's OpenAI-compatible surface (`/v1beta/openai/...`): OpenAI-shaped answers,
    /// Gemini's key as a bearer token, Google's errors wrapped in a JSON array.
    GeminiOpenAi,
    Bedrock,
}

/// A generation endpoint: where the transcripts are served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Generate<'a> {
    pub(crate) api: Api,
    pub(crate) provider: Provider,
    /// The model named by the path (Gemini, Bedrock), percent-decoded.
    pub(crate) path_model: Option<Cow<'a, str>>,
    /// Streaming because of the path (`converse-stream`, `streamGenerateContent`).
    pub(crate) path_stream: bool,
}

/// What a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route<'a> {
    Generate(Generate<'a>),
    /// `GET /v1/responses/{id}`.
    GetResponse(&'a str),
    /// `DELETE /v1/responses/{id}`.
    DeleteResponse(&'a str),
    /// `GET /v1/models`.
    Models,
    /// `GET /__mock/requests`.
    Journal,
    /// `DELETE /__mock/requests`.
    ForgetJournal,
    /// `GET /__mock/health`.
    Health,
    /// A developer API behind a prompt target (`/dev/...`, [`crate::devapi`]).
    DevApi,
    /// An HTTP filter (`POST /filter/http/...`).
    HttpFilter,
    /// An MCP filter (`POST /filter/mcp`).
    McpFilter,
    /// An output filter upper-casing answers (`POST /filter/shout/...`).
    ShoutFilter,
    NotFound,
}

impl Route<'_> {
    /// Whether the request is the mock's own (not recorded, no credentials).
    pub(crate) fn is_introspection(&self) -> bool {
        matches!(self, Route::Journal | Route::ForgetJournal | Route::Health)
    }
}

/// Routes `method path` (the path without its query).
pub(crate) fn route<'a>(method: &Method, path: &'a str) -> Route<'a> {
    let post = method == Method::POST;
    let generate = |api, provider| {
        Route::Generate(Generate {
            api,
            provider,
            path_model: None,
            path_stream: false,
        })
    };
    if path.starts_with("/dev/") {
        return Route::DevApi;
    }
    if post && path.starts_with("/filter/http") {
        return Route::HttpFilter;
    }
    if post && path == "/filter/mcp" {
        return Route::McpFilter;
    }
    if post && path.starts_with("/filter/shout") {
        return Route::ShoutFilter;
    }
    match (method, path) {
        (&Method::GET, "/__mock/requests") => return Route::Journal,
        (&Method::DELETE, "/__mock/requests") => return Route::ForgetJournal,
        (&Method::GET, "/__mock/health") => return Route::Health,
        (&Method::GET, "/v1/models") => return Route::Models,
        (&Method::POST, "/v1/responses") => return generate(Api::Responses, Provider::OpenAi),
        (&Method::POST, "/v1/messages") => return generate(Api::Messages, Provider::Anthropic),
        _ => {}
    }
    if let Some(id) = path.strip_prefix("/v1/responses/")
        && !id.is_empty()
        && !id.contains('/')
    {
        return match *method {
            Method::GET => Route::GetResponse(id),
            Method::DELETE => Route::DeleteResponse(id),
            _ => Route::NotFound,
        };
    }
    if !post {
        return Route::NotFound;
    }
    if let Some(rest) = path.strip_prefix("/openai/deployments/")
        && let Some(deployment) = rest.strip_suffix("/chat/completions")
        && !deployment.is_empty()
        && !deployment.contains('/')
    {
        return generate(Api::Chat, Provider::Azure);
    }
    if path == "/v1beta/openai/chat/completions" {
        return generate(Api::Chat, Provider::GeminiOpenAi);
    }
    if path.ends_with("/chat/completions") {
        return generate(Api::Chat, Provider::OpenAi);
    }
    if let Some(rest) = path.strip_prefix("/v1beta/models/")
        && let Some((model, method)) = rest.rsplit_once(':')
        && !model.is_empty()
        && !model.contains('/')
    {
        let path_stream = match method {
            "generateContent" => false,
            "streamGenerateContent" => true,
            _ => return Route::NotFound,
        };
        return Route::Generate(Generate {
            api: Api::Gemini,
            provider: Provider::Gemini,
            path_model: Some(decode(model)),
            path_stream,
        });
    }
    if let Some(rest) = path.strip_prefix("/model/")
        && let Some((model, action)) = rest.rsplit_once('/')
        && !model.is_empty()
    {
        let path_stream = match action {
            "converse" => false,
            "converse-stream" => true,
            _ => return Route::NotFound,
        };
        return Route::Generate(Generate {
            api: Api::Converse,
            provider: Provider::Bedrock,
            path_model: Some(decode(model)),
            path_stream,
        });
    }
    Route::NotFound
}

/// The value of query parameter `name`, percent-decoded.
pub(crate) fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<Cow<'a, str>> {
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| decode(v))
    })
}

fn decode(s: &str) -> Cow<'_, str> {
    percent_decode_str(s).decode_utf8_lossy()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generate(method: Method, path: &str) -> Generate<'_> {
        match route(&method, path) {
            Route::Generate(g) => g,
            other => panic!("{path}: {other:?}"),
        }
    }

    #[test]
    fn provider_paths() {
        let g = generate(Method::POST, "/openai/v1/chat/completions");
        assert_eq!((g.api, g.provider), (Api::Chat, Provider::OpenAi));
        let g = generate(Method::POST, "/v1beta/openai/chat/completions");
        assert_eq!((g.api, g.provider), (Api::Chat, Provider::GeminiOpenAi));
        let g = generate(Method::POST, "/openai/deployments/gpt4o/chat/completions");
        assert_eq!((g.api, g.provider), (Api::Chat, Provider::Azure));
        let g = generate(
            Method::POST,
            "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
        );
        assert_eq!(g.path_model.as_deref(), Some("gemini-2.5-flash"));
        assert!(g.path_stream);
        let g = generate(Method::POST, "/model/us.amazon.nova-pro-v1%3A0/converse");
        assert_eq!(g.path_model.as_deref(), Some("us.amazon.nova-pro-v1:0"));
        assert!(!g.path_stream);
        assert_eq!(
            route(&Method::GET, "/v1/responses/resp_1"),
            Route::GetResponse("resp_1")
        );
        assert_eq!(route(&Method::GET, "/v1/chat/completions"), Route::NotFound);
        assert_eq!(route(&Method::POST, "/model/x/invoke"), Route::NotFound);
    }

    #[test]
    fn query_params_are_decoded() {
        assert_eq!(
            query_param(Some("alt=sse&key=a%2Bb"), "key").as_deref(),
            Some("a+b")
        );
        assert_eq!(query_param(Some("alt=sse"), "key"), None);
        assert_eq!(query_param(None, "key"), None);
    }
}
