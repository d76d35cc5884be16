//! One request, start to end: route, record, check credentials, apply faults, answer.
//!
//! The per-request work on the hot path is a borrowed parse of the body into [`Probe`]
//! (unknown fields skipped), one journal entry (a header map clone and a shared `Bytes`) and
//! the answer spliced from pre-split fixture bytes.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::sync::watch;

use crate::auth;
use crate::body::MockBody;
use crate::errors::{self, JSON, json_response, json_type};
use crate::fault::{BodyFault, Faults};
use crate::fixtures::{ApiFixtures, Catalog, Framing, Scenario};
use crate::ids::IdSuffix;
use crate::journal::{Entry, Journal, TAG_HEADER};
use crate::route::{Api, Generate, Provider, Route, query_param, route};
use crate::sigv4::Received;
use crate::template::{Fill, Template};

/// The largest request body read.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// `GET /v1/models`.
const MODELS: &str = r#"{"object":"list","data":[{"id":"gpt-4o","object":"model","created":1715367049,"owned_by":"system"},{"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"},{"id":"gpt-4.1","object":"model","created":1744316542,"owned_by":"system"},{"id":"o4-mini","object":"model","created":1744225351,"owned_by":"system"}]}"#;

/// How many Responses answers `GET /v1/responses/{id}` remembers (the oldest are forgotten).
const MAX_STORED: usize = 100_000;

/// Azure without `?api-version=`.
const AZURE_NO_API_VERSION: &str = r#"{"error":{"code":"404","message":"Resource not found"}}"#;

/// What the server shares between requests.
#[derive(Debug)]
pub(crate) struct State {
    catalog: &'static Catalog,
    journal: Journal,
    /// Requests seen per `x-mock-tag` value carrying `times=`.
    times: Mutex<HashMap<String, u64>>,
    /// Responses API ids this server returned, for `GET /v1/responses/{id}`.
    stored: Mutex<StoredResponses>,
    shutdown: watch::Receiver<bool>,
    next_request_id: AtomicU64,
}

#[derive(Debug, Clone)]
struct StoredResponse {
    body: &'static Template,
    model: Option<Bytes>,
    id: IdSuffix,
}

/// The last [`MAX_STORED`] Responses answers, by id.
#[derive(Debug, Default)]
struct StoredResponses {
    by_id: HashMap<String, StoredResponse>,
    /// Ids, oldest first (a deleted one stays until its turn comes).
    order: VecDeque<String>,
}

impl State {
    pub(crate) fn new(catalog: &'static Catalog, shutdown: watch::Receiver<bool>) -> State {
        State {
            catalog,
            journal: Journal::default(),
            times: Mutex::default(),
            stored: Mutex::default(),
            shutdown,
            next_request_id: AtomicU64::new(1),
        }
    }

    /// Whether this request still gets its faults (`times=` counts per tag).
    fn faults_apply(&self, tag: &str, times: Option<u64>) -> bool {
        let Some(limit) = times else {
            return true;
        };
        let mut seen = lock(&self.times);
        let count = match seen.get_mut(tag) {
            Some(count) => count,
            None => seen.entry(tag.to_owned()).or_insert(0),
        };
        *count += 1;
        *count <= limit
    }

    /// Remembers a Responses answer under its id (`prefix` + `suffix`).
    fn store(
        &self,
        prefix: &str,
        suffix: IdSuffix,
        body: &'static Template,
        model: Option<&Bytes>,
    ) {
        let entry = StoredResponse {
            body,
            model: model.cloned(),
            id: suffix,
        };
        let id = suffix.id(prefix);
        let mut stored = lock(&self.stored);
        if stored.order.len() >= MAX_STORED
            && let Some(oldest) = stored.order.pop_front()
        {
            stored.by_id.remove(&oldest);
        }
        stored.order.push_back(id.clone());
        stored.by_id.insert(id, entry);
    }
}

/// The request body fields the answer depends on.
#[derive(Debug, Deserialize)]
struct Probe<'a> {
    #[serde(borrow, default)]
    model: Option<&'a RawValue>,
    #[serde(default)]
    stream: Option<bool>,
    #[serde(borrow, default)]
    tools: Option<&'a RawValue>,
    /// OpenAI's legacy tool list.
    #[serde(borrow, default)]
    functions: Option<&'a RawValue>,
    /// Bedrock's tool list.
    #[serde(borrow, default, rename = "toolConfig")]
    tool_config: Option<&'a RawValue>,
    /// OpenAI `"none"` / Anthropic `{"type":"none"}`: tools declared but not to be called.
    #[serde(borrow, default)]
    tool_choice: Option<&'a RawValue>,
}

impl Probe<'_> {
    fn declares_tools(&self) -> bool {
        let forbidden = self.tool_choice.is_some_and(|c| {
            let compact: String = c.get().chars().filter(|c| !c.is_whitespace()).collect();
            compact == "\"none\"" || compact == r#"{"type":"none"}"#
        });
        if forbidden {
            return false;
        }
        [self.tools, self.functions, self.tool_config]
            .into_iter()
            .flatten()
            .any(|raw| {
                let compact = raw.get().bytes().filter(|b| !b.is_ascii_whitespace());
                !compact.clone().eq(*b"[]") && !compact.eq(*b"{}")
            })
    }

    /// The model as a JSON string literal, when the body names one.
    fn model(&self) -> Option<Bytes> {
        self.model
            .map(RawValue::get)
            .filter(|raw| raw.starts_with('"'))
            .map(|raw| Bytes::copy_from_slice(raw.as_bytes()))
    }
}

/// Answers one request.
pub(crate) async fn handle(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<Response<MockBody>, Infallible> {
    let (parts, body) = request.into_parts();
    let route = route(&parts.method, parts.uri.path());
    if route.is_introspection() {
        return Ok(introspect(&state, &route, &parts));
    }
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => return Ok(errors::misuse(&format!("request body unreadable: {e}"))),
    };
    state.journal.record(Entry {
        method: parts.method.clone(),
        target: parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned()),
        headers: parts.headers.clone(),
        body: body.clone(),
    });
    let request = Received {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
        body: &body,
    };
    let response = match route {
        Route::Generate(generate) => {
            let provider = generate.provider;
            let response = answer(&state, &generate, &request)
                .await
                .unwrap_or_else(|refusal| refusal);
            with_request_id(&state, provider, response)
        }
        Route::Models => openai_refusal(&state, Api::Chat, &request).unwrap_or_else(|| {
            json_response(StatusCode::OK, JSON, Bytes::from_static(MODELS.as_bytes()))
        }),
        Route::GetResponse(id) => openai_refusal(&state, Api::Responses, &request)
            .unwrap_or_else(|| get_response(&state, id)),
        Route::DeleteResponse(id) => openai_refusal(&state, Api::Responses, &request)
            .unwrap_or_else(|| delete_response(&state, id)),
        Route::DevApi => {
            crate::devapi::dev_api(&parts.method, parts.uri.path(), parts.uri.query(), &body)
        }
        Route::HttpFilter => crate::devapi::http_filter(&body),
        Route::McpFilter => crate::devapi::mcp_filter(&parts.headers, &body),
        Route::ShoutFilter => crate::devapi::shout_filter(&body),
        Route::NotFound | Route::Journal | Route::ForgetJournal | Route::Health => {
            errors::not_found(parts.method.as_str(), parts.uri.path())
        }
    };
    Ok(response)
}

/// `Err(response)` is an answer other than the transcript (refusal, injected error).
async fn answer(
    state: &State,
    generate: &Generate<'_>,
    request: &Received<'_>,
) -> Result<Response<MockBody>, Response<MockBody>> {
    let Generate {
        api,
        provider,
        path_model,
        path_stream,
    } = generate;
    let (api, provider) = (*api, *provider);
    let fixtures = state.catalog.api(api);
    // Gemini's OpenAI-compatible surface answers errors from Gemini's recordings.
    let error_fixtures = match provider {
        Provider::GeminiOpenAi => state.catalog.api(Api::Gemini),
        _ => fixtures,
    };
    auth::check(provider, request).map_err(|denied| errors::denied(error_fixtures, denied))?;
    if provider == Provider::Azure && query_param(request.query, "api-version").is_none() {
        let body = Bytes::from_static(AZURE_NO_API_VERSION.as_bytes());
        return Err(json_response(StatusCode::NOT_FOUND, JSON, body));
    }
    let headers = request.headers;
    let faults = match header(headers, "x-mock-fault") {
        Some(value) => Faults::parse(value).map_err(|e| errors::misuse(&e))?,
        None => Faults::default(),
    };
    let scenario = match header(headers, "x-mock-scenario") {
        Some(name) => Some(
            Scenario::parse(name.trim())
                .ok_or_else(|| errors::misuse(&format!("unknown scenario `{name}`")))?,
        ),
        None => None,
    };
    let probe: Probe<'_> = serde_json::from_slice(request.body).map_err(|_| {
        errors::injected(error_fixtures, api, provider, StatusCode::BAD_REQUEST, None)
    })?;
    if api == Api::Chat
        && probe.model.is_some_and(|m| {
            m.get() == "\"arch-router\""
                || m.get() == "\"arch-function\""
                || m.get() == "\"arch-guard\""
        })
    {
        let body: serde_json::Value = serde_json::from_slice(request.body).unwrap_or_default();
        if crate::router::is_router_call(&body) {
            return Ok(crate::router::answer(&body));
        }
        if crate::function::is_function_call(&body) {
            return Ok(crate::function::answer(&body));
        }
        if crate::guard::is_guard_call(&body) {
            return Ok(crate::guard::answer(&body));
        }
    }
    let tag = header(headers, TAG_HEADER).unwrap_or("");
    let faults = if state.faults_apply(tag, faults.times) {
        faults
    } else {
        Faults::default()
    };
    if let Some(delay) = faults.delay {
        tokio::time::sleep(delay).await;
    }
    if let Some(status) = faults.status {
        return Err(errors::injected(
            error_fixtures,
            api,
            provider,
            status,
            faults.retry_after,
        ));
    }
    let scenario = scenario.unwrap_or(if probe.declares_tools() {
        Scenario::Tools
    } else {
        Scenario::Text
    });
    let model = match path_model {
        Some(name) => serde_json::to_vec(name.as_ref()).ok().map(Bytes::from),
        None => probe.model(),
    };
    let transcript = Transcript {
        fixtures,
        api,
        provider,
        scenario,
        model,
        body_fault: faults.body,
    };
    if *path_stream || probe.stream == Some(true) {
        let framing = match api {
            Api::Gemini if query_param(request.query, "alt").as_deref() == Some("sse") => {
                Framing::SseData
            }
            Api::Gemini => Framing::JsonArray,
            _ => Framing::Verbatim,
        };
        Ok(transcript.stream(state, framing))
    } else {
        Ok(transcript.whole(state))
    }
}

/// The transcript chosen for one request.
struct Transcript {
    fixtures: &'static ApiFixtures,
    api: Api,
    provider: Provider,
    scenario: Scenario,
    /// A JSON string literal, or `None` to keep the fixture's model.
    model: Option<Bytes>,
    body_fault: Option<BodyFault>,
}

impl Transcript {
    /// The model and this answer's id.
    fn fill<'a>(&'a self, id: &'a IdSuffix) -> Fill<'a> {
        Fill {
            model: self.model.as_deref(),
            id: Some(id.as_bytes()),
        }
    }

    /// The non-streaming answer. Faults that count events cut the body in half.
    fn whole(self, state: &State) -> Response<MockBody> {
        let body = self.fixtures.body(self.scenario);
        let id = IdSuffix::next();
        if let Some(prefix) = &body.stored_prefix {
            state.store(prefix, id, &body.template, self.model.as_ref());
        }
        let bytes = body.template.render(self.fill(&id));
        let content_type = json_type(self.provider);
        let half = || bytes.slice(..bytes.len() / 2);
        let cut_body = match self.body_fault {
            None => return json_response(StatusCode::OK, content_type, bytes),
            Some(BodyFault::Malformed | BodyFault::TruncateAfter(_)) => {
                return json_response(StatusCode::OK, content_type, half());
            }
            Some(BodyFault::ResetAfter(_)) => MockBody::reset_after(vec![half()]),
            Some(BodyFault::StallAfter(_)) => {
                MockBody::stall_after(vec![half()], state.shutdown.clone())
            }
        };
        // The head promises the whole body, so the client sees it cut short.
        let mut response = Response::new(cut_body);
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
        response
    }

    /// The streaming answer, event by event.
    fn stream(self, state: &State, framing: Framing) -> Response<MockBody> {
        let stream = self.fixtures.stream(self.scenario);
        let id = IdSuffix::next();
        if let Some(stored) = &stream.stored {
            state.store(&stored.prefix, id, &stored.body, self.model.as_ref());
        }
        let mut events = stream.render(framing, self.fill(&id));
        let body = match self.body_fault {
            None => MockBody::chunks(events),
            Some(BodyFault::ResetAfter(n)) => {
                events.truncate(n);
                MockBody::reset_after(events)
            }
            Some(BodyFault::StallAfter(n)) => {
                events.truncate(n);
                MockBody::stall_after(events, state.shutdown.clone())
            }
            Some(BodyFault::TruncateAfter(n)) => {
                events.truncate(n.min(events.len().saturating_sub(1)));
                MockBody::chunks(events)
            }
            Some(BodyFault::Malformed) => {
                events.truncate(1);
                events.push(self.fixtures.malformed_event(framing));
                MockBody::chunks(events)
            }
        };
        let content_type = match (self.api, framing) {
            (Api::Converse, _) => "application/vnd.amazon.eventstream",
            (_, Framing::JsonArray) => json_type(self.provider),
            _ => "text/event-stream; charset=utf-8",
        };
        let mut response = Response::new(body);
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        response
    }
}

/// `/__mock/*`.
fn introspect(state: &State, route: &Route<'_>, parts: &Parts) -> Response<MockBody> {
    match route {
        Route::Journal => {
            let tag = query_param(parts.uri.query(), "tag");
            let list = state.journal.to_json(tag.as_deref());
            json_response(StatusCode::OK, JSON, errors::to_bytes(&list))
        }
        Route::ForgetJournal => {
            state.journal.clear();
            lock(&state.times).clear();
            let mut response = Response::new(MockBody::full(Bytes::new()));
            *response.status_mut() = StatusCode::NO_CONTENT;
            response
        }
        _ => json_response(
            StatusCode::OK,
            JSON,
            Bytes::from_static(br#"{"status":"ok"}"#),
        ),
    }
}

/// OpenAI's refusal when the key is wrong or missing.
fn openai_refusal(state: &State, api: Api, request: &Received<'_>) -> Option<Response<MockBody>> {
    auth::check(Provider::OpenAi, request)
        .err()
        .map(|denied| errors::denied(state.catalog.api(api), denied))
}

fn get_response(state: &State, id: &str) -> Response<MockBody> {
    let found = lock(&state.stored).by_id.get(id).cloned();
    match found {
        Some(StoredResponse { body, model, id }) => {
            let fill = Fill {
                model: model.as_deref(),
                id: Some(id.as_bytes()),
            };
            json_response(StatusCode::OK, JSON, body.render(fill))
        }
        None => errors::response_not_found(id),
    }
}

fn delete_response(state: &State, id: &str) -> Response<MockBody> {
    if lock(&state.stored).by_id.remove(id).is_none() {
        return errors::response_not_found(id);
    }
    let body = serde_json::json!({"id": id, "object": "response", "deleted": true});
    json_response(StatusCode::OK, JSON, errors::to_bytes(&body))
}

/// Each provider's request-id header.
fn with_request_id(
    state: &State,
    provider: Provider,
    mut response: Response<MockBody>,
) -> Response<MockBody> {
    let name = match provider {
        Provider::OpenAi | Provider::Azure => "x-request-id",
        Provider::Anthropic => "request-id",
        Provider::Bedrock => "x-amzn-requestid",
        Provider::Gemini | Provider::GeminiOpenAi => return response,
    };
    let n = state.next_request_id.fetch_add(1, Ordering::Relaxed);
    if let Ok(value) = HeaderValue::try_from(format!("req_mock_{n}")) {
        response.headers_mut().insert(name, value);
    }
    response
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
