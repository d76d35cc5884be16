//! Preference routing inside the exchange: the router call is an extra upstream request
//! before the first attempt. The host drives it like any attempt (`Send`, then the head,
//! then the body or a failure) and gets [`Next::Retry`] with no delay when it is done, so
//! hosts need no routing code: `next_request` then sends the first real attempt, to the
//! routed model. A router that fails, times out or answers nothing usable leaves the
//! request on the model the client asked for: routing never becomes the client's error.

use hermesllm::{Api, RequestMeta};

use super::phases::{Exchange, Phase};
use super::reply::{Action, HeadAction, Next, Reply};
use crate::config::RoutePreference;
use crate::kv::Kv;
use crate::route::{self, Generate};
use crate::routing::{self, Decision, Source, pin, prompt};
use crate::upstream::{self, UpstreamInput};

/// A generate request parked while its router call is out.
#[derive(Debug)]
pub(super) struct PendingRoute {
    pub(super) generate: Generate,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Vec<u8>,
    pub(super) model: Option<String>,
    pub(super) hint: Option<String>,
    pub(super) routes: Vec<RoutePreference>,
    pub(super) decide_only: bool,
    /// The API the router provider speaks (its answer is decoded as such).
    pub(super) router_api: Api,
    pub(super) sent_ms: u64,
}

/// What starting to route gave.
pub(super) enum Start {
    /// The router call to send; the request is parked.
    Send(Action),
    /// Decided without a call (pin, not a user turn, router unusable).
    Decided(Option<Decision>),
}

impl Exchange<'_> {
    /// Decides how to route a generate request: its session pin, no routing for a turn
    /// that is not the user's, or a router call (returned to send). `body` is what will be
    /// forwarded (without `routing_preferences`).
    #[allow(clippy::too_many_arguments)] // the parked request's parts
    pub(super) async fn start_routing(
        &mut self,
        kv: &impl Kv,
        generate: &Generate,
        headers: &[(String, String)],
        body: &[u8],
        model: Option<&str>,
        hint: Option<&str>,
        routes: Vec<RoutePreference>,
        decide_only: bool,
        now_ms: u64,
    ) -> Start {
        let routing = &self.config.routing;
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        self.pin_key = pin::key(
            header(routing::AFFINITY_HEADER),
            routing.tenant_header.as_deref().and_then(header),
        );
        if let Some(key) = &self.pin_key
            && let Some(pinned) = pin::load(kv, key, now_ms).await
        {
            return Start::Decided(Some(pinned));
        }
        let placeholder = model.unwrap_or("router");
        let meta = super::request::request_meta(generate, placeholder);
        let Ok(req) = hermesllm::translate::decode_request(generate.api, body, &meta) else {
            // The request phase reports the bad body in the client's shape.
            return Start::Decided(None);
        };
        if !prompt::ends_with_user_text(&req) {
            return Start::Decided(Some(Decision {
                route: None,
                models: Vec::new(),
                source: Source::NotUserTurn,
                router_ms: None,
            }));
        }
        let failed = Start::Decided(Some(Decision {
            route: None,
            models: Vec::new(),
            source: Source::RouterFailed,
            router_ms: None,
        }));
        let Some(router) = routing.router_model.as_deref() else {
            return failed;
        };
        let Ok(resolved) = route::resolve_model(self.config, Some(router), None) else {
            return failed;
        };
        let text = prompt::prompt(
            &routes,
            &prompt::conversation(&req),
            routing.router_context_tokens,
        );
        drop(req);
        let router_body = prompt::router_body(resolved.upstream_model, &text);
        let no_meta = RequestMeta::default();
        let input = UpstreamInput {
            provider: resolved.provider,
            upstream_model: resolved.upstream_model,
            client_api: Api::OpenAiChat,
            meta: &no_meta,
            stream: false,
            // The client's headers stay with the client's request: the router call carries
            // only the router provider's own credentials.
            client_headers: &[],
            query_key: None,
            body: &router_body,
            span_id: Some(self.ids.span_id),
            aws: self.options.aws,
            now_ms,
        };
        let Ok(request) = upstream::build(&input) else {
            return failed;
        };
        self.pending_route = Some(Box::new(PendingRoute {
            generate: generate.clone(),
            headers: headers.to_vec(),
            body: body.to_vec(),
            model: model.map(str::to_owned),
            hint: hint.map(str::to_owned),
            routes,
            decide_only,
            router_api: request.api,
            sent_ms: now_ms,
        }));
        self.phase = Phase::RouteSent;
        self.last_send_ms = now_ms;
        Start::Send(Action::Send(Box::new(request)))
    }

    /// The router's response head.
    pub(super) fn route_head(&mut self, status: u16) -> HeadAction {
        if (200..300).contains(&status) {
            self.phase = Phase::RouteBody;
            HeadAction::ReadBody
        } else {
            self.phase = Phase::RouteError;
            HeadAction::ReadError
        }
    }

    /// The router's answer: decide, then let the host continue with `next_request`.
    pub(super) fn route_body(&mut self, body: &[u8], now_ms: u64) -> Next {
        let Some(p) = self.pending_route.as_ref() else {
            return self.route_failed(now_ms);
        };
        let ms = Some(now_ms.saturating_sub(p.sent_ms));
        let decision = match routing::answer::route_from_body(p.router_api, body) {
            Some(name) => routing::decide(self.config, &p.routes, Some(&name), ms),
            None => routing::decide(self.config, &p.routes, None, ms),
        };
        self.decision = Some(decision);
        self.phase = Phase::Retrying;
        Next::Retry {
            delay_ms: 0,
            fallback: false,
        }
    }

    /// The router call failed (connection, timeout, error status, broken body): the client's
    /// model serves the request.
    pub(super) fn route_failed(&mut self, now_ms: u64) -> Next {
        let ms = self
            .pending_route
            .as_ref()
            .map(|p| now_ms.saturating_sub(p.sent_ms));
        self.decision = Some(Decision {
            route: None,
            models: Vec::new(),
            source: Source::RouterFailed,
            router_ms: ms,
        });
        self.phase = Phase::Retrying;
        Next::Retry {
            delay_ms: 0,
            fallback: false,
        }
    }

    /// Whether the exchange is in its router call.
    pub(super) fn routing_in_flight(&self) -> bool {
        matches!(
            self.phase,
            Phase::RouteSent | Phase::RouteBody | Phase::RouteError
        )
    }

    /// Records the decision (span attributes) and pins it for the session when it came from
    /// the router.
    /// `switched`: the routed model differs from the one the client asked for.
    pub(super) async fn settle_decision(
        &mut self,
        kv: &impl Kv,
        requested: Option<&str>,
        now_ms: u64,
    ) {
        let Some(d) = &self.decision else {
            return;
        };
        let attrs = &mut self.custom_attributes;
        attrs.push((
            "plano.routing.source".to_owned(),
            d.source.as_str().to_owned(),
        ));
        if let Some(r) = &d.route {
            attrs.push(("plano.routing.route".to_owned(), r.clone()));
        }
        if let Some(m) = d.models.first() {
            attrs.push(("plano.routing.model".to_owned(), m.clone()));
        }
        if let Some(ms) = d.router_ms {
            attrs.push(("plano.routing.router_ms".to_owned(), ms.to_string()));
        }
        attrs.push((
            "plano.routing.pinned".to_owned(),
            (d.source == Source::Pinned).to_string(),
        ));
        let switched = d
            .models
            .first()
            .is_some_and(|m| Some(m.as_str()) != requested);
        attrs.push(("plano.routing.switched".to_owned(), switched.to_string()));
        if d.source == Source::Router
            && let Some(key) = &self.pin_key
        {
            let ttl = self.config.routing.session_ttl.as_secs();
            pin::save(kv, key, d, ttl, now_ms).await;
        }
    }

    /// The routing decision API's answer (`POST /routing/v1/...`): the ranked models and the
    /// route, without calling any model.
    pub(super) fn decision_reply(&mut self, model: Option<&str>) -> Action {
        let d = self.decision.clone();
        let models: Vec<String> = match &d {
            Some(d) if !d.models.is_empty() => d.models.clone(),
            _ => model
                .map(str::to_owned)
                .or_else(|| self.config.default_provider().map(|p| p.name.clone()))
                .into_iter()
                .collect(),
        };
        let body = serde_json::json!({
            "models": models,
            "route": d.as_ref().and_then(|d| d.route.clone()),
            "pinned": d.as_ref().is_some_and(|d| d.source == Source::Pinned),
            "source": d.as_ref().map_or("not_routed", |d| d.source.as_str()),
            "router_ms": d.as_ref().and_then(|d| d.router_ms),
        });
        let body = serde_json::to_vec(&body).unwrap_or_default();
        self.respond(Reply::json(200, body))
    }
}
