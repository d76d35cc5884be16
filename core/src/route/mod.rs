//! The client side of an exchange: which API a request speaks and what it asks for
//! ([`classify`]), which provider serves its model ([`resolve_model`]), and the
//! `GET /v1/models` listings ([`models_body`]).
//!
//! # Call contract
//!
//! 1. On the request head, call [`classify`] with the method, the request target (path and
//!    query, as received, still percent-encoded) and the headers. An `Err` is answered at once
//!    with [`RouteError::status`] and [`RouteError::to_api_error`] rendered in
//!    [`RouteError::api`]'s error shape (`hermesllm::translate::encode_error`).
//! 2. For [`Route::Generate`] and [`Route::CountTokens`], once the body is read, take the model
//!    from [`Generate::model`] (path APIs) or the body, and call [`resolve_model`] with the
//!    value of the [`PROVIDER_HINT_HEADER`] header.
//! 3. Hand the [`Resolved`] provider and model to [`crate::upstream::build`].

mod models;
pub(crate) mod path;
mod resolve;

use std::borrow::Cow;

use hermesllm::Api;
use hermesllm::ir::{ApiError, ErrorKind};

use crate::config::Secret;

pub use models::{ModelsShape, models_body};
pub use path::header;
pub use resolve::{PROVIDER_HINT_HEADER, Resolution, ResolveError, Resolved, resolve_model};

/// What a request asks the gateway to do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Route {
    /// An LLM call (`POST` to an API's generate endpoint).
    Generate(Generate),
    /// Anthropic `POST /v1/messages/count_tokens`.
    CountTokens,
    /// `GET /v1/models`, in the shape the client expects.
    ListModels(ModelsShape),
    /// `GET /v1/responses/{id}` (OpenAI Responses).
    GetResponse {
        /// The response id, percent-decoded.
        id: String,
    },
    /// `DELETE /v1/responses/{id}` (OpenAI Responses).
    DeleteResponse {
        /// The response id, percent-decoded.
        id: String,
    },
    /// `GET /healthz`.
    Health,
    /// The routing decision API (`POST /routing/v1/chat/completions`, `/routing/v1/messages`,
    /// `/routing/v1/responses`): which models would serve this request, without calling any.
    Decide(Generate),
}

impl Route {
    /// The client API whose shapes (bodies, errors) this route uses.
    pub fn api(&self) -> Api {
        match self {
            Route::Generate(g) | Route::Decide(g) => g.api,
            Route::CountTokens => Api::AnthropicMessages,
            Route::ListModels(ModelsShape::Anthropic) => Api::AnthropicMessages,
            Route::GetResponse { .. } | Route::DeleteResponse { .. } => Api::OpenAiResponses,
            Route::ListModels(ModelsShape::OpenAi) | Route::Health => Api::OpenAiChat,
        }
    }
}

/// An LLM call as the URL describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Generate {
    /// The client's API.
    pub api: Api,
    /// The model from the path (Bedrock model id or ARN, Gemini model), percent-decoded;
    /// `None` for APIs that carry it in the body.
    pub model: Option<String>,
    /// Whether the path is the streaming one (`converse-stream`, `streamGenerateContent`);
    /// `false` for APIs that say it in the body (`"stream": true`).
    pub stream: bool,
    /// Gemini only: the client asked for Server-Sent Events (`?alt=sse`). Without it Gemini
    /// streams one JSON array, which the host must frame accordingly.
    pub alt_sse: bool,
    /// Gemini only: the API key the client sent as `?key=` (used by `passthrough_auth`).
    pub query_key: Option<Secret>,
}

impl Generate {
    /// The `hermesllm` request metadata the URL gives.
    pub fn meta(&self) -> hermesllm::RequestMeta<'_> {
        hermesllm::RequestMeta {
            model: self.model.as_deref().map(Into::into),
            stream: self.stream,
        }
    }

    fn body(api: Api) -> Route {
        Route::Generate(Generate {
            api,
            model: None,
            stream: false,
            alt_sse: false,
            query_key: None,
        })
    }
}

/// Why a request has no route. The client is at fault; retrying the same request fails
/// again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RouteError {
    /// No such endpoint.
    #[error("no route for {method} {path}")]
    NotFound {
        /// The best guess of the client's API, for the error shape.
        api: Api,
        /// The method as sent.
        method: String,
        /// The path (without query) as sent.
        path: String,
    },
    /// The endpoint exists but not for this method.
    #[error("method {method} is not allowed on {path}; allowed: {allow}")]
    MethodNotAllowed {
        /// The client's API.
        api: Api,
        /// The method as sent.
        method: String,
        /// The path as sent.
        path: String,
        /// The value for the `allow` response header.
        allow: &'static str,
    },
    /// The path or query is malformed (bad percent-encoding, empty model id).
    #[error("malformed request target: {reason}")]
    BadRequest {
        /// The client's API.
        api: Api,
        /// What is wrong.
        reason: Cow<'static, str>,
    },
}

impl RouteError {
    /// The client API whose error shape to answer in.
    pub fn api(&self) -> Api {
        match self {
            RouteError::NotFound { api, .. }
            | RouteError::MethodNotAllowed { api, .. }
            | RouteError::BadRequest { api, .. } => *api,
        }
    }

    /// The HTTP status to answer with (404, 405, 400).
    pub fn status(&self) -> u16 {
        match self {
            RouteError::NotFound { .. } => 404,
            RouteError::MethodNotAllowed { .. } => 405,
            RouteError::BadRequest { .. } => 400,
        }
    }

    /// Always the client: the request itself is wrong.
    pub fn fault(&self) -> crate::error::Fault {
        crate::error::Fault::Client
    }

    /// Always `false`: the request itself is wrong.
    pub fn is_retryable(&self) -> bool {
        false
    }

    /// The error for the client, to render with `hermesllm::translate::encode_error`.
    pub fn to_api_error(&self) -> ApiError<'static> {
        let kind = match self {
            RouteError::NotFound { .. } => ErrorKind::NotFound,
            RouteError::MethodNotAllowed { .. } | RouteError::BadRequest { .. } => {
                ErrorKind::InvalidRequest
            }
        };
        let mut e = ApiError::new(kind, self.to_string());
        e.status = self.status();
        e
    }
}

/// Classifies a request by method, target (path and query as received) and headers.
///
/// # Errors
///
/// [`RouteError`] for unknown paths, wrong methods and malformed encodings, carrying the
/// best guess of the client's API so the error can be rendered in its shape.
pub fn classify(method: &str, target: &str, headers: &[(&str, &str)]) -> Result<Route, RouteError> {
    let (path, query) = path::split_target(target);
    let guess = guess_api(path, headers);
    let not_found = || RouteError::NotFound {
        api: guess,
        method: method.to_owned(),
        path: path.to_owned(),
    };
    let only = |allow: &'static str, route: Route| -> Result<Route, RouteError> {
        if allow.split(", ").any(|m| m == method) {
            Ok(route)
        } else {
            Err(RouteError::MethodNotAllowed {
                api: route.api(),
                method: method.to_owned(),
                path: path.to_owned(),
                allow,
            })
        }
    };
    let segments: Vec<&str> = path
        .strip_prefix('/')
        .ok_or_else(not_found)?
        .split('/')
        .collect();
    match segments.as_slice() {
        ["v1", "chat", "completions"] => only("POST", Generate::body(Api::OpenAiChat)),
        ["v1", "responses"] => only("POST", Generate::body(Api::OpenAiResponses)),
        ["v1", "messages"] => only("POST", Generate::body(Api::AnthropicMessages)),
        ["v1", "messages", "count_tokens"] => only("POST", Route::CountTokens),
        ["v1", "models"] => {
            let shape = if path::header(headers, "anthropic-version").is_some() {
                ModelsShape::Anthropic
            } else {
                ModelsShape::OpenAi
            };
            only("GET", Route::ListModels(shape))
        }
        ["v1beta" | "v1", "models", action] if action.contains([':', '%']) => {
            let route = gemini(action, query)?;
            match route {
                Some(route) => only("POST", route),
                None => Err(not_found()),
            }
        }
        ["v1", "responses", id] => {
            let id = decode_segment(id, Api::OpenAiResponses, "response id")?;
            match method {
                "GET" => Ok(Route::GetResponse { id }),
                "DELETE" => Ok(Route::DeleteResponse { id }),
                _ => only("GET, DELETE", Route::GetResponse { id }),
            }
        }
        ["model", rest @ .., action] if !rest.is_empty() => {
            let stream = match *action {
                "converse" => false,
                "converse-stream" => true,
                _ => return Err(not_found()),
            };
            // An ARN sent with unencoded `/` spans several segments; each is decoded on its
            // own so an encoded `%2F` and a literal `/` mean the same.
            let mut model = String::new();
            for (i, seg) in rest.iter().enumerate() {
                if i > 0 {
                    model.push('/');
                }
                model.push_str(&decode_segment(seg, Api::BedrockConverse, "model id")?);
            }
            only(
                "POST",
                Route::Generate(Generate {
                    api: Api::BedrockConverse,
                    model: Some(model),
                    stream,
                    alt_sse: false,
                    query_key: None,
                }),
            )
        }
        ["healthz"] => only("GET", Route::Health),
        ["routing", "v1", rest @ ..] => {
            let api = match rest {
                ["chat", "completions"] => Api::OpenAiChat,
                ["messages"] => Api::AnthropicMessages,
                ["responses"] => Api::OpenAiResponses,
                _ => return Err(not_found()),
            };
            let Route::Generate(g) = Generate::body(api) else {
                return Err(not_found());
            };
            only("POST", Route::Decide(g))
        }
        _ => Err(not_found()),
    }
}

/// `{model}:{action}` of a Gemini path; `Ok(None)` for an action the gateway does not serve.
fn gemini(segment: &str, query: &str) -> Result<Option<Route>, RouteError> {
    let bad = |reason: &'static str| RouteError::BadRequest {
        api: Api::Gemini,
        reason: reason.into(),
    };
    let decoded = path::percent_decode(segment, false)
        .ok_or_else(|| bad("invalid percent-encoding in path"))?;
    let Some((model, action)) = decoded.rsplit_once(':') else {
        return Ok(None);
    };
    let stream = match action {
        "generateContent" => false,
        "streamGenerateContent" => true,
        _ => return Ok(None),
    };
    if model.is_empty() {
        return Err(bad("empty model name in path"));
    }
    let alt_sse = match path::query_param(query, "alt") {
        None => false,
        Some(Ok(alt)) => alt.eq_ignore_ascii_case("sse"),
        Some(Err(())) => return Err(bad("invalid percent-encoding in `alt`")),
    };
    let query_key = match path::query_param(query, "key") {
        None => None,
        Some(Ok(key)) => Some(Secret::literal(key)),
        Some(Err(())) => return Err(bad("invalid percent-encoding in `key`")),
    };
    Ok(Some(Route::Generate(Generate {
        api: Api::Gemini,
        model: Some(model.to_owned()),
        stream,
        alt_sse,
        query_key,
    })))
}

fn decode_segment(seg: &str, api: Api, what: &'static str) -> Result<String, RouteError> {
    match path::percent_decode(seg, false) {
        Some(s) if !s.is_empty() => Ok(s),
        Some(_) => Err(RouteError::BadRequest {
            api,
            reason: format!("empty {what} in path").into(),
        }),
        None => Err(RouteError::BadRequest {
            api,
            reason: format!("invalid percent-encoding in {what}").into(),
        }),
    }
}

/// The API a request most likely speaks, for the shape of an error about it.
fn guess_api(path: &str, headers: &[(&str, &str)]) -> Api {
    if path.starts_with("/model/") {
        Api::BedrockConverse
    } else if path.starts_with("/v1beta/")
        || path.contains(":generateContent")
        || path.contains(":streamGenerateContent")
    {
        Api::Gemini
    } else if path.starts_with("/v1/messages") {
        Api::AnthropicMessages
    } else if path.starts_with("/v1/responses") {
        Api::OpenAiResponses
    } else if path::header(headers, "anthropic-version").is_some() {
        Api::AnthropicMessages
    } else if path::header(headers, "x-goog-api-key").is_some() {
        Api::Gemini
    } else {
        Api::OpenAiChat
    }
}
