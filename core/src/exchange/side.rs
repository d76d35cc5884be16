//! Side calls before the first attempt: the input guard, then the preference router. Each is
//! an extra upstream request the host drives like any attempt (`Send`, the head, the body or
//! a failure); when one is done the exchange answers [`Next::Retry`] with no delay, and
//! `next_request` goes on with the next step, or the first real attempt. Hosts need no code
//! for them. A side call that fails never fails the request: the guard lets it through, the
//! router leaves the requested model.

use hermesllm::Api;

use super::phases::{Exchange, Phase};
use super::reply::{Action, HeadAction, Next};
use crate::config::RoutePreference;
use crate::kv::Kv;
use crate::route::Generate;

/// A generate request held while its side calls run.
#[derive(Debug)]
pub(super) struct Parked {
    pub(super) generate: Generate,
    pub(super) headers: Vec<(String, String)>,
    /// The body to forward (without `routing_preferences`).
    pub(super) body: Vec<u8>,
    pub(super) model: Option<String>,
    pub(super) hint: Option<String>,
    /// The routing decision API: answer the decision, call no model.
    pub(super) decide_only: bool,
    /// The guard has run (or does not apply).
    pub(super) guarded: bool,
    /// Routes still to be decided over (taken when routing starts).
    pub(super) routes: Option<Vec<RoutePreference>>,
    /// Where a prompt-listener request is in the prompt-target flow.
    pub(super) prompt: PromptStage,
    /// The request's path (HTTP filters get it appended to their URL).
    pub(super) path: String,
    /// The next input filter to run.
    pub(super) filter_index: usize,
    /// The MCP session of the filter in progress, and its step (0 `initialize`, 1
    /// `notifications/initialized`, 2 `tools/call`).
    pub(super) mcp_session: Option<String>,
    pub(super) mcp_step: u8,
}

/// Where a parked prompt-listener request is in the prompt-target flow.
#[derive(Debug, Default)]
#[cfg_attr(not(feature = "prompt-targets"), allow(dead_code))]
pub(super) enum PromptStage {
    /// Not a prompt-listener request (or prompt targets are off).
    #[default]
    Off,
    /// The function-calling model is still to be asked.
    Pending,
    /// A target matched: its endpoint call is to be sent.
    Call {
        request: Box<crate::upstream::UpstreamRequest>,
        target: usize,
        call_id: String,
        arguments: serde_json::Map<String, serde_json::Value>,
    },
    /// Done: the request goes on to the LLM.
    Done,
}

/// Which call of a filter is in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FilterStep {
    Http,
    McpInitialize,
    McpInitialized,
    McpCall,
}

/// The side call in flight.
#[derive(Debug)]
pub(super) enum Side {
    /// The input guard.
    Guard {
        /// The API the guard provider speaks.
        api: Api,
        sent_ms: u64,
    },
    /// An input filter.
    Filter { index: usize, step: FilterStep },
    /// An output filter on a non-streaming reply (its step is the chain's).
    Output,
    /// The function-calling model (prompt targets).
    #[cfg(feature = "prompt-targets")]
    Function {
        /// The API its provider speaks.
        api: Api,
        sent_ms: u64,
    },
    /// A prompt target's endpoint.
    #[cfg(feature = "prompt-targets")]
    Endpoint {
        target: usize,
        call_id: String,
        arguments: serde_json::Map<String, serde_json::Value>,
        sent_ms: u64,
    },
    /// The preference router.
    Route {
        routes: Vec<RoutePreference>,
        /// The API the router provider speaks.
        api: Api,
        sent_ms: u64,
    },
}

impl Exchange<'_> {
    /// Runs the request's next step: the guard, then routing, then the request itself
    /// (`generate_resolved`). Returns the side call to send, or the first attempt.
    pub(super) async fn advance(&mut self, kv: &impl Kv, mut p: Parked, now_ms: u64) -> Action {
        if let Some(request) = self.next_filter_call(&mut p) {
            return self.park(p, request, now_ms);
        }
        if !p.guarded {
            p.guarded = true;
            if let Some(request) = self.start_guard(&p, now_ms) {
                return self.park(p, request, now_ms);
            }
        }
        match std::mem::take(&mut p.prompt) {
            #[cfg(feature = "prompt-targets")]
            PromptStage::Pending => match self.start_function_call(&p, now_ms) {
                Ok(request) => {
                    p.prompt = PromptStage::Done;
                    return self.park(p, request, now_ms);
                }
                Err(reply) => return self.respond(reply),
            },
            #[cfg(feature = "prompt-targets")]
            PromptStage::Call {
                request,
                target,
                call_id,
                arguments,
            } => {
                let request =
                    self.start_endpoint_call(*request, target, call_id, arguments, now_ms);
                p.prompt = PromptStage::Done;
                return self.park(p, request, now_ms);
            }
            _ => {}
        }
        if let Some(routes) = p.routes.take() {
            match self.start_routing(kv, &p, routes, now_ms).await {
                super::routed::Start::Send(request, side) => {
                    self.side = Some(side);
                    return self.park(p, request, now_ms);
                }
                super::routed::Start::Decided(d) => self.decision = d,
            }
        }
        self.generate_resolved(
            kv,
            p.generate,
            p.headers,
            p.body,
            p.model,
            p.hint,
            p.decide_only,
            now_ms,
        )
        .await
    }

    /// Holds `p` and hands out its side call.
    fn park(
        &mut self,
        p: Parked,
        request: crate::upstream::UpstreamRequest,
        now_ms: u64,
    ) -> Action {
        self.parked = Some(Box::new(p));
        self.side_status = None;
        self.phase = Phase::SideSent;
        self.last_send_ms = now_ms;
        Action::Send(Box::new(request))
    }

    /// Whether a side call is in flight.
    pub(super) fn side_in_flight(&self) -> bool {
        matches!(
            self.phase,
            Phase::SideSent | Phase::SideBody | Phase::SideError
        )
    }

    /// A side call's response head.
    pub(super) fn side_head(&mut self, status: u16, headers: &[(&str, &str)]) -> HeadAction {
        self.side_status = Some(status);
        self.side_session = crate::route::header(headers, "mcp-session-id").map(str::to_owned);
        if (200..300).contains(&status) {
            self.phase = Phase::SideBody;
            HeadAction::ReadBody
        } else {
            self.phase = Phase::SideError;
            HeadAction::ReadError
        }
    }

    /// A side call's answer.
    pub(super) fn side_body(&mut self, body: &[u8], now_ms: u64) -> Next {
        match self.side.take() {
            Some(Side::Filter { index, step }) => {
                let status = self.side_status.unwrap_or(200);
                return self.filter_answer(index, step, status, body);
            }
            Some(Side::Output) => {
                let status = self.side_status.unwrap_or(200);
                return self.output_answer(Some(status), body);
            }
            Some(Side::Guard { api, sent_ms }) => {
                if let Some(reply) = self.guard_answer(api, body, now_ms.saturating_sub(sent_ms)) {
                    self.parked = None;
                    return match self.respond(reply) {
                        Action::Respond(r) => Next::Respond(r),
                        Action::Send(_) => Next::Respond(super::Reply::json(500, Vec::new())),
                    };
                }
            }
            Some(Side::Route {
                routes,
                api,
                sent_ms,
            }) => self.route_answer(&routes, api, body, now_ms.saturating_sub(sent_ms)),
            #[cfg(feature = "prompt-targets")]
            Some(Side::Function { api, sent_ms }) => {
                self.side_duration("plano.prompt.function_ms", now_ms, sent_ms);
                return self.function_answer(api, body);
            }
            #[cfg(feature = "prompt-targets")]
            Some(Side::Endpoint {
                target,
                call_id,
                arguments,
                sent_ms,
            }) => {
                self.side_duration("plano.prompt.endpoint_ms", now_ms, sent_ms);
                return self.endpoint_answer(target, &call_id, &arguments, body);
            }
            None => {}
        }
        self.phase = Phase::Retrying;
        Next::Retry {
            delay_ms: 0,
            fallback: false,
        }
    }

    #[cfg(feature = "prompt-targets")]
    fn side_duration(&mut self, key: &str, now_ms: u64, sent_ms: u64) {
        self.custom_attributes
            .push((key.to_owned(), now_ms.saturating_sub(sent_ms).to_string()));
    }

    /// A side call failed (connection, timeout, error status, broken body).
    pub(super) fn side_failed(&mut self, now_ms: u64, error_body: Option<&[u8]>) -> Next {
        match self.side.take() {
            Some(Side::Filter { index, step }) => {
                let status = self.side_status.filter(|s| !(200..300).contains(s));
                return self.filter_failed(index, step, status, error_body.unwrap_or_default());
            }
            Some(Side::Output) => {
                let status = self.side_status.filter(|s| !(200..300).contains(s));
                return self.output_answer(status, error_body.unwrap_or_default());
            }
            Some(Side::Guard { sent_ms, .. }) => {
                self.guard_failed(now_ms.saturating_sub(sent_ms));
            }
            Some(Side::Route { sent_ms, .. }) => {
                self.route_failed(now_ms.saturating_sub(sent_ms));
            }
            #[cfg(feature = "prompt-targets")]
            Some(Side::Function { .. }) => {
                let status = self.side_status.filter(|s| !(200..300).contains(s));
                return self.function_failed(status);
            }
            #[cfg(feature = "prompt-targets")]
            Some(Side::Endpoint { target, .. }) => {
                let status = self.side_status.filter(|s| !(200..300).contains(s));
                return self.endpoint_failed(target, status);
            }
            None => {}
        }
        self.phase = Phase::Retrying;
        Next::Retry {
            delay_ms: 0,
            fallback: false,
        }
    }
}
