//! Preference routing inside the exchange: the router call is a side call
//! ([`super::side`]) before the first attempt. A router that fails, times out or answers
//! nothing usable leaves the request on the model the client asked for: routing never
//! becomes the client's error.

use hermesllm::{Api, RequestMeta};

use super::phases::Exchange;
use super::reply::{Action, Reply};
use super::side::{Parked, Side};
use crate::config::RoutePreference;
use crate::kv::Kv;
use crate::route;
use crate::routing::{self, Decision, Source, pin, prompt};
use crate::upstream::{self, UpstreamInput, UpstreamRequest};

/// What starting to route gave.
pub(super) enum Start {
    /// The router call to send.
    Send(UpstreamRequest, Side),
    /// Decided without a call (pin, not a user turn, router unusable).
    Decided(Option<Decision>),
}

impl Exchange<'_> {
    /// Decides how to route a parked request: its session pin, no routing for a turn that
    /// is not the user's, or a router call (returned to send).
    pub(super) async fn start_routing(
        &mut self,
        kv: &impl Kv,
        p: &Parked,
        routes: Vec<RoutePreference>,
        now_ms: u64,
    ) -> Start {
        let routing = &self.config.routing;
        let header = |name: &str| {
            p.headers
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
        let placeholder = p.model.as_deref().unwrap_or("router");
        let meta = super::request::request_meta(&p.generate, placeholder);
        let Ok(req) = hermesllm::translate::decode_request(p.generate.api, &p.body, &meta) else {
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
        let text = prompt::prompt(
            &routes,
            &prompt::conversation(&req),
            routing.router_context_tokens,
        );
        drop(req);
        let Some(request) =
            self.side_request(router, |model| prompt::router_body(model, &text), now_ms)
        else {
            return failed;
        };
        let side = Side::Route {
            routes,
            api: request.api,
            sent_ms: now_ms,
        };
        Start::Send(request, side)
    }

    /// An OpenAI Chat side request to the provider serving `model`, with that provider's
    /// credentials only (none of the client's headers). `None` when nothing serves it.
    pub(super) fn side_request(
        &self,
        model: &str,
        body: impl FnOnce(&str) -> Vec<u8>,
        now_ms: u64,
    ) -> Option<UpstreamRequest> {
        let resolved = route::resolve_model(self.config, Some(model), None).ok()?;
        let body = body(resolved.upstream_model);
        let no_meta = RequestMeta::default();
        let input = UpstreamInput {
            provider: resolved.provider,
            upstream_model: resolved.upstream_model,
            client_api: Api::OpenAiChat,
            meta: &no_meta,
            stream: false,
            client_headers: &[],
            query_key: None,
            body: &body,
            span_id: Some(self.ids.span_id),
            aws: self.options.aws,
            now_ms,
        };
        upstream::build(&input).ok()
    }

    /// The router's answer.
    pub(super) fn route_answer(
        &mut self,
        routes: &[RoutePreference],
        api: Api,
        body: &[u8],
        took_ms: u64,
    ) {
        let name = routing::answer::route_from_body(api, body);
        self.decision = Some(routing::decide(
            self.config,
            routes,
            name.as_deref(),
            Some(took_ms),
        ));
    }

    /// The router call failed: the client's model serves the request.
    pub(super) fn route_failed(&mut self, took_ms: u64) {
        self.decision = Some(Decision {
            route: None,
            models: Vec::new(),
            source: Source::RouterFailed,
            router_ms: Some(took_ms),
        });
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
