//! The request phase: classify, answer locally, or validate, resolve, reserve, expand and
//! build the first upstream request.

use hermesllm::Api;
use hermesllm::translate::decode_request;

use super::phases::{Exchange, Generation, Phase, TurnState};
use super::reply::{Action, Reply};
use crate::error::{ExchangeError, RequestError};
use crate::kv::Kv;
use crate::ratelimit::{Decision, RateLimiter};
use crate::route::{self, Route};
use crate::state;
use crate::tokens::{CharEstimator, RequestCosts, estimate_request};

/// The client's request head.
#[derive(Debug, Clone, Copy)]
pub struct RequestHead<'h> {
    /// The method (`POST`).
    pub method: &'h str,
    /// The request target as received: path and query, still percent-encoded.
    pub target: &'h str,
    /// The headers as received.
    pub headers: &'h [(&'h str, &'h str)],
}

impl<'c> Exchange<'c> {
    /// The request phase. Call once, with the whole client body (hosts that see
    /// `content-length` first may refuse early with [`Exchange::body_limit`]).
    ///
    /// Returns [`Action::Respond`] for everything answered locally — `/healthz`,
    /// `/v1/models`, `GET`/`DELETE /v1/responses/{id}` of a response the gateway stored,
    /// `count_tokens`, and every error in the
    /// client's API shape: unknown path 404, wrong method 405, oversized body 413, invalid
    /// body 400, unknown model 404, unknown `previous_response_id` 400, rate limited 429 with
    /// `retry-after` and `x-ratelimit-*` headers, misconfigured provider 500 — or
    /// [`Action::Send`] with the first upstream request. A `GET`/`DELETE` of a response the
    /// gateway's store does not hold is forwarded ([`Action::Send`] with that method) to the
    /// provider serving Responses clients natively (the default provider if it does, else
    /// the first that does), with its credentials; drive it like any attempt: its answer,
    /// any status, is read as a body ([`HeadAction::ReadBody`](super::HeadAction::ReadBody))
    /// and passed through, with no retry. Without such a provider the answer is the local
    /// 404.
    ///
    /// Touches `kv` for the rate-limit reservation and Responses state only.
    pub async fn on_request(
        &mut self,
        kv: &impl Kv,
        head: &RequestHead<'_>,
        body: &[u8],
        now_ms: u64,
    ) -> Action {
        if !matches!(self.phase, Phase::New) {
            return self.respond_internal("on_request called twice");
        }
        let route = match self.classify(head) {
            Ok(r) => r,
            Err(action) => return action,
        };
        self.custom_attributes =
            crate::telemetry::custom_attributes(&self.config.tracing, head.headers);
        let limit = self.config.gateway.body_limit;
        if u64::try_from(body.len()).unwrap_or(u64::MAX) > limit {
            let err = ExchangeError::Request(RequestError::BodyTooLarge { limit });
            return self.respond_error(err);
        }
        match route {
            Route::Health => self.respond(Reply::json(200, br#"{"status":"ok"}"#.to_vec())),
            Route::ListModels(shape) => {
                self.respond(Reply::json(200, route::models_body(self.config, shape)))
            }
            // An id the gateway never stored may be the provider's own (a same-API
            // passthrough turn): ask the provider that serves Responses clients.
            Route::GetResponse { id } => match state::get_response(kv, &id, now_ms).await {
                Ok(json) => self.respond(Reply::json(200, json.into_bytes())),
                Err(e) => {
                    let reply = Reply::api_error(Api::OpenAiResponses, &e.api_error());
                    if matches!(e, state::LoadError::NotFound { .. }) {
                        self.forward_stored(head, "GET", &id, reply, now_ms)
                    } else {
                        self.respond(reply)
                    }
                }
            },
            Route::DeleteResponse { id } => match state::delete(kv, &id, now_ms).await {
                Ok(body) => self.respond(Reply::json(200, body)),
                Err(e) => {
                    let reply = Reply::api_error(Api::OpenAiResponses, &e.api_error());
                    if matches!(e, state::LoadError::NotFound { .. }) {
                        self.forward_stored(head, "DELETE", &id, reply, now_ms)
                    } else {
                        self.respond(reply)
                    }
                }
            },
            Route::CountTokens => {
                let meta = hermesllm::RequestMeta::default();
                let body = with_max_tokens(body);
                match decode_request(Api::AnthropicMessages, &body, &meta) {
                    Ok(req) => {
                        let n = self.estimate(&req);
                        let body = format!("{{\"input_tokens\":{n}}}").into_bytes();
                        self.respond(Reply::json(200, body))
                    }
                    Err(e) => {
                        self.respond_error(ExchangeError::Request(RequestError::InvalidBody(e)))
                    }
                }
            }
            Route::Generate(g) => self.generate(kv, head, g, body, now_ms, false).await,
            Route::Decide(g) => self.generate(kv, head, g, body, now_ms, true).await,
        }
    }

    /// The request phase for a body known to exceed [`Exchange::body_limit`] (from its
    /// `content-length`, or counted while it arrives) without holding the body: the 413 in
    /// the client's API shape, or the route's own error (404, 405) for a request to no known
    /// route. For hosts that must not buffer what they will refuse (Envoy's filter). Call
    /// instead of [`Exchange::on_request`], once; then [`Exchange::finish`].
    pub fn on_oversized_request(&mut self, head: &RequestHead<'_>) -> Action {
        if !matches!(self.phase, Phase::New) {
            return self.respond_internal("on_request called twice");
        }
        if let Err(action) = self.classify(head) {
            return action;
        }
        let limit = self.config.gateway.body_limit;
        self.respond_error(ExchangeError::Request(RequestError::BodyTooLarge { limit }))
    }

    /// Which route the request is (setting the client API), or the reply for no route.
    fn classify(&mut self, head: &RequestHead<'_>) -> Result<Route, Action> {
        match route::classify(head.method, head.target, head.headers) {
            Ok(r) => {
                self.client_api = r.api();
                Ok(r)
            }
            Err(e) => {
                self.client_api = e.api();
                let mut reply = Reply::api_error(e.api(), &e.to_api_error());
                if let route::RouteError::MethodNotAllowed { allow, .. } = &e {
                    reply
                        .headers
                        .push(("allow".to_owned(), (*allow).to_owned()));
                }
                Err(self.respond(reply))
            }
        }
    }

    /// A generate request (or, `decide_only`, the routing decision API): the model it
    /// names, then preference routing (which may send the router call first), then
    /// [`Exchange::generate_resolved`].
    async fn generate(
        &mut self,
        kv: &impl Kv,
        head: &RequestHead<'_>,
        g: route::Generate,
        body: &[u8],
        now_ms: u64,
        decide_only: bool,
    ) -> Action {
        let api = g.api;
        // Routes the client brings in the body; the key never reaches the provider.
        // Only looked for where a router is configured (it costs a scan of the body).
        let scan = self.config.routing.router_model.is_some();
        let found = if scan {
            crate::routing::body_preferences(body)
        } else {
            Ok(None)
        };
        let (body_routes, body) = match found {
            Ok(Some((routes, stripped))) => (Some(routes), stripped),
            Ok(None) => (None, body.to_vec()),
            Err(e) => {
                let err = hermesllm::DecodeError::invalid("routing_preferences", e.0);
                return self.respond_error(RequestError::InvalidBody(err).into());
            }
        };
        // The model first (a body without one goes to the hint or default provider), then a
        // full decode with that model: it validates the body and gives the stream flag.
        let model = match &g.model {
            Some(m) => Some(m.clone()),
            None => match serde_json::from_slice::<ModelPeek>(&body) {
                Ok(p) => p.model.filter(|m| !m.trim().is_empty()),
                Err(_) => {
                    let err = match decode_request(api, &body, &g.meta()) {
                        Err(e) => RequestError::InvalidBody(e),
                        Ok(_) => RequestError::InvalidBody(hermesllm::DecodeError::invalid(
                            "model",
                            "must be a string",
                        )),
                    };
                    return self.respond_error(err.into());
                }
            },
        };
        let hint = route::header(head.headers, route::PROVIDER_HINT_HEADER).map(str::to_owned);
        let headers: Vec<(String, String)> = head
            .headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        // A provider hint is the client's explicit choice: it is not routed (the decision
        // API still answers what the router would pick).
        let routes = (hint.is_none() || decide_only)
            .then(|| crate::routing::routes_for(self.config, body_routes.as_deref()))
            .flatten()
            .map(<[_]>::to_vec);
        self.path = crate::route::path::split_target(head.target).0.to_owned();
        let parked = super::side::Parked {
            generate: g,
            headers,
            body,
            model,
            hint,
            decide_only,
            // The decision API calls no LLM: nothing to guard.
            guarded: decide_only,
            routes,
            path: self.path.clone(),
            filter_index: 0,
            mcp_session: None,
            mcp_step: 0,
            prompt: if cfg!(feature = "prompt-targets")
                && self.options.prompt_listener
                && !decide_only
                && self.config.prompts.is_active()
            {
                super::side::PromptStage::Pending
            } else {
                super::side::PromptStage::Off
            },
        };
        self.advance(kv, parked, now_ms).await
    }

    /// The rest of the request phase, once routing (if any) decided: resolve the model (the
    /// routed models first), validate, prepare state, reserve, and build the first attempt.
    #[allow(clippy::too_many_arguments)] // the parked request's parts
    pub(super) async fn generate_resolved(
        &mut self,
        kv: &impl Kv,
        g: route::Generate,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        model: Option<String>,
        hint: Option<String>,
        decide_only: bool,
        now_ms: u64,
    ) -> Action {
        let api = g.api;
        self.settle_decision(kv, model.as_deref(), now_ms).await;
        if decide_only {
            return self.decision_reply(model.as_deref());
        }
        let hint = hint.as_deref();
        let body = body.as_slice();
        // The routed models, best first, that a provider serves.
        let routed: Vec<String> = self
            .decision
            .as_ref()
            .map(|d| {
                d.models
                    .iter()
                    .filter(|m| route::resolve_model(self.config, Some(m.as_str()), None).is_ok())
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let first_model = routed.first().cloned().or(model);
        let model = first_model;
        let resolved = match route::resolve_model(self.config, model.as_deref(), hint) {
            Ok(r) => r,
            Err(e) => {
                let err = match e {
                    route::ResolveError::UnknownModel { model } => {
                        ExchangeError::Request(RequestError::UnknownModel { model })
                    }
                    other => return self.respond(Reply::api_error(api, &other.to_api_error())),
                };
                return self.respond_error(err);
            }
        };
        let meta = request_meta(&g, resolved.upstream_model);
        // One decode of the client body: it validates the body and gives the stream flags
        // and the token estimate (reused below unless state expansion changed the body).
        let (stream, include_usage, body_estimate) = match decode_request(api, body, &meta) {
            Ok(req) => (
                req.stream || g.stream,
                req.stream_include_usage.unwrap_or(false),
                self.limit_estimate(&req),
            ),
            Err(e) => return self.respond_error(RequestError::InvalidBody(e).into()),
        };
        if stream && let Some(reply) = self.unfilterable_stream() {
            return self.respond(reply);
        }
        let mut candidates = super::candidates(self.config, &resolved);
        // A routed request may fall back to the route's other models, in rank order.
        for m in routed.iter().skip(1) {
            if let Ok(r) = route::resolve_model(self.config, Some(m.as_str()), None) {
                for c in super::candidates(self.config, &r) {
                    if !candidates.iter().any(|k| {
                        k.provider.name == c.provider.name && k.upstream_model == c.upstream_model
                    }) {
                        candidates.push(c);
                    }
                }
            }
        }

        // Responses state, for the attempts whose upstream keeps none: decided per attempt
        // (`next_request`), prepared here when any candidate needs it. A state failure is
        // the reply at once when the first candidate needs the state; otherwise it only
        // rules out the candidates that need it (the id may be the upstream's own).
        let mut turn_state = None;
        if api == Api::OpenAiResponses
            && candidates
                .iter()
                .any(|c| super::needs_state(c.provider, api))
        {
            let first_needs = candidates
                .first()
                .is_some_and(|c| super::needs_state(c.provider, api));
            let turn = match state::inspect(body) {
                Ok(t) => Some(t),
                Err(e) if first_needs => {
                    return self.respond(Reply::api_error(api, &e.api_error()));
                }
                Err(_) => None,
            };
            if let Some(turn) = turn {
                let expanded = match &turn.previous_response_id {
                    None => Ok(body.to_vec()),
                    Some(prev) => match state::load(kv, prev, now_ms).await {
                        Ok(stored) => state::expand_request(body, &stored)
                            .map_err(|e| Reply::api_error(api, &e.api_error())),
                        Err(e) => Err(Reply::api_error(api, &e.api_error())),
                    },
                };
                if first_needs && let Err(reply) = expanded {
                    return self.respond(reply);
                }
                turn_state = Some(TurnState {
                    expanded,
                    previous_response_id: turn.previous_response_id,
                    store: turn.store,
                });
            }
        }
        // The estimate, from the self-contained body: only a body that state expansion
        // actually rewrote (a `previous_response_id` was resolved) needs decoding again.
        let estimate = match &turn_state {
            Some(TurnState {
                expanded: Ok(expanded),
                previous_response_id: Some(_),
                ..
            }) => match decode_request(api, expanded, &meta) {
                Ok(req) => self.limit_estimate(&req),
                Err(e) => return self.respond_error(RequestError::InvalidBody(e).into()),
            },
            _ => body_estimate,
        };
        drop(meta);
        self.generation = Some(Generation {
            generate: g,
            headers,
            body: body.to_vec(),
            turn_state,
            stream,
            include_usage,
            candidates,
            current: 0,
            attempt: 0,
            estimate,
            reservation: None,
            reserved_for: None,
            stateful: false,
            save_turn: false,
            previous_response_id: None,
        });
        self.next_request(kv, now_ms).await
    }
}

impl Exchange<'_> {
    /// The estimate rate limits reserve: 0 without any configured limit, since counting
    /// (tiktoken natively: 100-170 µs for a 2 KB request) is then only cost.
    fn limit_estimate(&self, req: &hermesllm::ir::Request<'_>) -> u64 {
        if self.config.rate_limits.is_empty() {
            0
        } else {
            self.estimate(req)
        }
    }

    /// The input-token estimate of `req` with the host's counter for its model (the
    /// table-free estimator by default).
    fn estimate(&self, req: &hermesllm::ir::Request<'_>) -> u64 {
        let costs = RequestCosts::default();
        match self.options.token_counter {
            Some(choose) => estimate_request(req, choose(&req.model), &costs),
            None => estimate_request(req, &CharEstimator::default(), &costs),
        }
    }

    /// Holds the rate-limit budget for the candidate about to be tried: a fallback to
    /// another provider releases the previous provider's reservation and reserves under the
    /// new provider's limits (each provider's budgets count what it serves). `Err` is the
    /// reply: 429 with `retry-after` and `x-ratelimit-*` headers (no fallback around a
    /// spent budget: the limit is the client's, not the provider's), or 503 when the store
    /// fails under [`OnUnavailable::Deny`](crate::ratelimit::OnUnavailable::Deny).
    pub(super) async fn reserve_for(
        &mut self,
        kv: &impl Kv,
        now_ms: u64,
        provider: &str,
    ) -> Result<(), Reply> {
        let api = self.client_api;
        let limiter = RateLimiter::new(&self.config.rate_limits, self.options.rate_limit);
        let Some(g) = self.generation.as_mut() else {
            return Ok(());
        };
        if g.reserved_for.as_deref() == Some(provider) {
            return Ok(());
        }
        if let Some(r) = g.reservation.take() {
            // Best effort: a failed release over-counts until the window ends.
            let _ = r.release(kv, now_ms).await;
        }
        g.reserved_for = Some(provider.to_owned());
        match limiter
            .reserve(kv, now_ms, provider, &g.headers, g.estimate)
            .await
        {
            Ok(Decision::Admitted(r)) => {
                g.reservation = Some(r);
                Ok(())
            }
            Ok(Decision::Limited(limited)) => {
                let mut reply = Reply::api_error(api, &limited.api_error());
                reply.headers.extend(
                    limited
                        .headers()
                        .into_iter()
                        .map(|(n, v)| (n.to_owned(), v)),
                );
                Err(reply)
            }
            Err(e) => {
                let mut err = e.api_error();
                err.status = 503;
                Err(Reply::api_error(api, &err))
            }
        }
    }
}

/// The `model` field of a body-model request, read leniently.
#[derive(serde::Deserialize)]
struct ModelPeek {
    #[serde(default)]
    model: Option<String>,
}

/// What the URL says, with `upstream_model` standing in for a body that names no model
/// (the decoders require one).
pub(super) fn request_meta<'a>(
    g: &'a route::Generate,
    upstream_model: &'a str,
) -> hermesllm::RequestMeta<'a> {
    let mut meta = g.meta();
    if meta.model.is_none() {
        meta.model = Some(upstream_model.into());
    }
    meta
}

/// A `count_tokens` body with the `max_tokens` a Messages request requires (count_tokens
/// bodies have none); other bodies unchanged.
fn with_max_tokens(body: &[u8]) -> Vec<u8> {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(mut map)) => {
            map.entry("max_tokens")
                .or_insert_with(|| serde_json::Value::from(1));
            serde_json::to_vec(&map).unwrap_or_else(|_| body.to_vec())
        }
        _ => body.to_vec(),
    }
}
