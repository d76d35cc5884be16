//! Output filters (a listener's `output_filters`): the response, once translated to the
//! client's API, goes through the same filter services as requests ([`crate::filters`]:
//! HTTP, MCP) before the client sees it. A 2xx JSON object replaces it, an empty answer
//! keeps it, a 4xx rejects it in the client's API shape, anything else fails closed (502).
//!
//! - **Non-streaming**: the client body goes to each filter in order, each on the previous
//!   one's output. The calls are side calls ([`super::side`]): `on_upstream_body` answers
//!   [`Next::Retry`] with no delay, `next_request` hands out each call, and the last step
//!   saves the Responses turn (as filtered: what the client saw) and answers.
//! - **Streams**: per complete client event ([`super::events`]): the JSON `data` of each
//!   SSE event (a Gemini array's elements are those events before the array framing), the
//!   JSON payload of each Bedrock eventstream event. A host pulls the calls between upstream
//!   chunks with [`Exchange::stream_call`] and answers them with
//!   [`Exchange::on_stream_call`] (the [`super::driver`] does); an event is released once
//!   every filter ran on it. A rejection or failure ends the stream with the client API's
//!   error event. An MCP filter's session is opened once per exchange and reused for every
//!   event. Hosts that do not drive these calls (`ExchangeOptions::stream_calls` off)
//!   refuse streamed requests on a listener with output filters (501): a filter is policy,
//!   never skipped.
//!
//! Span attributes: `plano.output_filter.<id>` = `replaced`, `kept`, `rejected` or `failed`
//! (for a stream: the strongest over its events), and `plano.output_filter.events` (how many
//! stream events went through the filters).

use hermesllm::ir::{ApiError, ErrorKind};

use super::events::Events;
use super::phases::{Exchange, Phase};
use super::reply::{Action, Deadlines, Next, Reply};
use super::side::{FilterStep, Side};
use crate::config::{Config, Filter, FilterKind, ListenerKind};
use crate::filters::{self, Outcome};
use crate::kv::Kv;
use crate::upstream::UpstreamRequest;

/// An MCP filter's session.
#[derive(Debug, Clone, Default)]
enum Session {
    /// Not started.
    #[default]
    New,
    /// `initialize` answered (with this session id): `notifications/initialized` is next.
    Initializing(Option<String>),
    /// Ready for `tools/call`.
    Ready(Option<String>),
}

/// The output filter chain: where the body in progress is, and each MCP filter's session.
#[derive(Debug)]
pub(super) struct Chain {
    /// The listener's output filters, as indexes into `config.filters` (unknown ids, which
    /// name agents, left out).
    filters: Vec<usize>,
    sessions: Vec<Session>,
    /// What each filter did so far (`Rank`, strongest kept).
    marks: Vec<u8>,
    /// The filter the body in progress is at.
    pos: usize,
    /// The call in flight.
    step: Option<FilterStep>,
    /// Stream events that went through the chain.
    events: u64,
}

const KEPT: u8 = 1;
const REPLACED: u8 = 2;
const REJECTED: u8 = 3;
const FAILED: u8 = 4;

impl Chain {
    /// The chain of the listener serving the request; `None` without output filters.
    pub(super) fn of(config: &Config, prompt_listener: bool) -> Option<Chain> {
        let kind = if prompt_listener {
            ListenerKind::Prompt
        } else {
            ListenerKind::Model
        };
        let ids = &config
            .listeners
            .iter()
            .find(|l| l.kind == kind)?
            .output_filters;
        let filters: Vec<usize> = ids
            .iter()
            .filter_map(|id| config.filters.iter().position(|f| &f.id == id))
            .collect();
        (!filters.is_empty()).then(|| Chain {
            sessions: vec![Session::New; filters.len()],
            marks: vec![0; filters.len()],
            filters,
            pos: 0,
            step: None,
            events: 0,
        })
    }

    fn filter<'c>(&self, config: &'c Config) -> Option<&'c Filter> {
        config.filters.get(*self.filters.get(self.pos)?)
    }

    /// The next call for `body` (a request path `path`); `None` once every filter ran.
    fn next_call(&mut self, config: &Config, path: &str, body: &[u8]) -> Option<UpstreamRequest> {
        let f = self.filter(config)?;
        let (request, step) = match (f.kind, self.sessions.get(self.pos)) {
            (FilterKind::Http, _) => (filters::http_request(f, path, body), FilterStep::Http),
            (_, Some(Session::Initializing(s))) => (
                filters::mcp_initialized(f, s.as_deref()),
                FilterStep::McpInitialized,
            ),
            (_, Some(Session::Ready(s))) => (
                filters::mcp_call(f, s.as_deref(), body),
                FilterStep::McpCall,
            ),
            _ => (filters::mcp_initialize(f), FilterStep::McpInitialize),
        };
        self.step = Some(step);
        Some(request)
    }

    /// The answer to the call in flight (`status` `None`: no answer). `None` when an MCP
    /// session step is done (the next call follows); else the filter's outcome, the chain
    /// moved on past it when it replaced or kept the body.
    fn answer(
        &mut self,
        status: Option<u16>,
        session: Option<String>,
        body: &[u8],
    ) -> Option<Outcome> {
        let step = self.step.take()?;
        let ok = status.is_some_and(|s| (200..300).contains(&s));
        let outcome = match (step, status) {
            (_, None) => Outcome::Fail("it could not be reached".to_owned()),
            (FilterStep::Http, Some(s)) => filters::read_http(s, body),
            (FilterStep::McpCall, Some(s)) => filters::read_mcp_call(s, body),
            (FilterStep::McpInitialize, _) if ok => {
                let slot = self.sessions.get_mut(self.pos)?;
                *slot = Session::Initializing(session);
                return None;
            }
            (FilterStep::McpInitialized, _) if ok => {
                let slot = self.sessions.get_mut(self.pos)?;
                if let Session::Initializing(s) = std::mem::take(slot) {
                    *slot = Session::Ready(s);
                }
                return None;
            }
            (_, Some(s)) => Outcome::Fail(format!("its MCP session could not start ({s})")),
        };
        let mark = match &outcome {
            Outcome::Keep => KEPT,
            Outcome::Replace(_) => REPLACED,
            Outcome::Reject { .. } => REJECTED,
            Outcome::Fail(_) => FAILED,
        };
        if let Some(m) = self.marks.get_mut(self.pos) {
            *m = (*m).max(mark);
        }
        if matches!(outcome, Outcome::Keep | Outcome::Replace(_)) {
            self.pos += 1;
        }
        Some(outcome)
    }

    /// Every filter ran on the body in progress.
    fn done(&self) -> bool {
        self.pos >= self.filters.len()
    }

    /// The id of the filter the chain is at.
    fn id(&self, config: &Config) -> String {
        self.filter(config)
            .map(|f| f.id.clone())
            .unwrap_or_default()
    }

    /// The span attributes of what the filters did.
    pub(super) fn attributes(&self, config: &Config, out: &mut Vec<(String, String)>) {
        for (&i, &mark) in self.filters.iter().zip(&self.marks) {
            let what = match mark {
                KEPT => "kept",
                REPLACED => "replaced",
                REJECTED => "rejected",
                FAILED => "failed",
                _ => continue,
            };
            if let Some(f) = config.filters.get(i) {
                out.push((format!("plano.output_filter.{}", f.id), what.to_owned()));
            }
        }
        if self.events > 0 {
            out.push((
                "plano.output_filter.events".to_owned(),
                self.events.to_string(),
            ));
        }
    }
}

/// The client's error for a filter that rejected or failed (`None` for the other outcomes).
/// The filter's message is redacted like any error the gateway renders (a stream's error
/// event does not go through [`Reply::api_error`]).
fn refusal(id: &str, outcome: Outcome) -> Option<ApiError<'static>> {
    match outcome {
        Outcome::Reject { status, message } => {
            let message = crate::error::redact_secrets(&message).into_owned();
            let mut err = ApiError::new(ErrorKind::from_status(status), message);
            err.status = status;
            Some(err)
        }
        Outcome::Fail(why) => {
            let mut err = ApiError::new(
                ErrorKind::Server,
                format!("response filter `{id}` failed: {why}"),
            );
            err.status = 502;
            Some(err)
        }
        Outcome::Keep | Outcome::Replace(_) => None,
    }
}

impl Exchange<'_> {
    /// The output filter chain of the listener serving this request, if it has one.
    pub(super) fn output_chain(&self) -> Option<Chain> {
        Chain::of(self.config, self.options.prompt_listener)
    }

    /// Whether the listener serving this request has output filters. A host that can also
    /// send a stream past the exchange (Envoy's router, chunk by chunk) must not for such a
    /// request: each complete event needs its [`Exchange::stream_call`]s first.
    pub fn has_output_filters(&self) -> bool {
        self.output_chain().is_some()
    }

    /// A streamed request the host cannot filter: the reply refusing it (501).
    pub(super) fn unfilterable_stream(&self) -> Option<Reply> {
        if self.options.stream_calls || self.output_chain().is_none() {
            return None;
        }
        let mut err = ApiError::new(
            ErrorKind::Server,
            "this gateway host cannot run output filters on streams: ask without streaming",
        );
        err.status = 501;
        Some(Reply::api_error(self.client_api, &err))
    }

    /// Holds a non-streaming reply for the output filters: `Ok(Next::Retry)` when there are
    /// filters to run (`next_request` sends them), else the reply back.
    pub(super) fn hold_for_filters(&mut self, reply: Reply) -> Result<Next, Reply> {
        let Some(chain) = self.output_chain() else {
            return Err(reply);
        };
        self.output = Some(Box::new(chain));
        self.held = Some(reply);
        self.phase = Phase::Retrying;
        Ok(Next::Retry {
            delay_ms: 0,
            fallback: false,
        })
    }

    /// The held reply's next filter call, or (every filter done) the reply itself, after
    /// saving the Responses turn as filtered.
    pub(super) async fn next_output(&mut self, kv: &impl Kv, now_ms: u64) -> Action {
        let (Some(chain), Some(held)) = (self.output.as_mut(), self.held.as_ref()) else {
            return self.respond_internal("no held reply");
        };
        if let Some(request) = chain.next_call(self.config, &self.path, &held.body) {
            self.side = Some(Side::Output);
            self.side_status = None;
            self.phase = Phase::SideSent;
            self.last_send_ms = now_ms;
            return Action::Send(Box::new(request));
        }
        let Some(reply) = self.held.take() else {
            return self.respond_internal("no held reply");
        };
        self.save_turn(kv, &reply.body, now_ms).await;
        self.respond(reply)
    }

    /// The answer to a non-streaming reply's filter call (`status` `None`: no answer).
    pub(super) fn output_answer(&mut self, status: Option<u16>, body: &[u8]) -> Next {
        let session = self.side_session.take();
        let Some(chain) = self.output.as_mut() else {
            return self
                .give_up(crate::error::GatewayError::Internal("no output filter".into()).into());
        };
        let id = chain.id(self.config);
        let retry = Next::Retry {
            delay_ms: 0,
            fallback: false,
        };
        match chain.answer(status, session, body) {
            None | Some(Outcome::Keep) => {}
            Some(Outcome::Replace(b)) => {
                if let Some(held) = self.held.as_mut() {
                    held.body = b;
                }
            }
            Some(outcome) => {
                self.held = None;
                if let Some(err) = refusal(&id, outcome) {
                    let reply = Reply::api_error(self.client_api, &err);
                    self.status = Some(reply.status);
                    self.phase = Phase::Done;
                    return Next::Respond(reply);
                }
            }
        }
        self.phase = Phase::Retrying;
        retry
    }

    /// The next output filter call a stream needs before it can release more bytes, if any.
    /// Call after [`Exchange::on_upstream_chunk`], [`Exchange::on_upstream_end`] and
    /// [`Exchange::on_stream_call`] until it returns `None`; send it with
    /// [`Exchange::stream_call_deadlines`] and give its answer to
    /// [`Exchange::on_stream_call`]. `None` outside a stream or without output filters.
    pub fn stream_call(&mut self) -> Option<UpstreamRequest> {
        if self.phase != Phase::Streaming {
            return None;
        }
        let chain = self.output.as_mut()?;
        let events = self.stream.as_mut()?.events.as_mut()?;
        let data = events.peek()?;
        chain.next_call(self.config, &self.path, data)
    }

    /// The deadlines of a [`Exchange::stream_call`] request: the whole request timeout for
    /// each (the stream may have run past the request's own).
    pub fn stream_call_deadlines(&self) -> Deadlines {
        Deadlines {
            response_ms: self.request_timeout_ms(),
            ..self.deadlines()
        }
    }

    /// The answer to the request from [`Exchange::stream_call`]: its status and headers and
    /// whole body (at most [`ExchangeOptions::max_response_bytes`](super::ExchangeOptions)),
    /// or `status` `None` when it got no answer (connection, timeout, broken or oversized
    /// body). Appends the client bytes now released to `out`; a rejection or failure ends
    /// the stream with the client API's error event (then [`Exchange::is_done`]).
    pub async fn on_stream_call(
        &mut self,
        kv: &impl Kv,
        status: Option<u16>,
        headers: &[(&str, &str)],
        body: &[u8],
        now_ms: u64,
        out: &mut Vec<u8>,
    ) {
        if self.phase != Phase::Streaming {
            return;
        }
        let session = crate::route::header(headers, "mcp-session-id").map(str::to_owned);
        let start = out.len();
        let (Some(chain), Some(s)) = (self.output.as_mut(), self.stream.as_mut()) else {
            return;
        };
        let id = chain.id(self.config);
        match chain.answer(status, session, body) {
            None | Some(Outcome::Keep) => {}
            Some(Outcome::Replace(b)) => {
                if let Some(e) = s.events.as_mut() {
                    e.replace_front(b);
                }
            }
            Some(outcome) => {
                if let Some(err) = refusal(&id, outcome) {
                    if let Some(e) = s.events.as_mut() {
                        e.clear();
                    }
                    s.fail(err, now_ms, out);
                }
                self.end_stream(now_ms);
                return;
            }
        }
        self.release_events(now_ms, out);
        self.after_release(kv, start, now_ms, out).await;
    }

    /// Releases the stream events the filters are done with, and those that need none. An
    /// event too large to frame ends the stream with an error event (fail closed).
    pub(super) fn release_events(&mut self, now_ms: u64, out: &mut Vec<u8>) {
        let (Some(chain), Some(s)) = (self.output.as_mut(), self.stream.as_mut()) else {
            return;
        };
        if s.events.as_ref().is_some_and(|e| e.broken) {
            let mut err = ApiError::new(
                ErrorKind::Server,
                "a stream event over 4 MiB cannot go through the response filters",
            );
            err.status = 502;
            s.fail(err, now_ms, out);
            self.end_stream(now_ms);
            return;
        }
        loop {
            let Some(e) = s.events.as_mut() else { return };
            let mut bytes = Vec::new();
            let released = e.front(&mut bytes).is_some() && chain.done();
            if released {
                e.release_front(&mut bytes);
                chain.pos = 0;
                chain.events += 1;
            }
            s.emit(&bytes, out);
            if !released {
                return;
            }
        }
    }

    /// After events were released: the Responses capture, and the end of the stream once
    /// the upstream ended and no event is left.
    pub(super) async fn after_release(
        &mut self,
        kv: &impl Kv,
        start: usize,
        now_ms: u64,
        out: &mut Vec<u8>,
    ) {
        let ended = self
            .stream
            .as_ref()
            .and_then(|s| s.events.as_ref())
            .is_some_and(|e| e.ending && e.is_empty());
        if ended && let Some(s) = self.stream.as_mut() {
            s.close(out);
        }
        self.capture(kv, out.get(start..).unwrap_or_default(), ended, now_ms)
            .await;
        if ended {
            self.end_stream(now_ms);
        }
    }
}

/// Whether a stream of `client` events is an AWS eventstream (else SSE).
pub(super) fn new_events(client: hermesllm::Api) -> Events {
    Events::new(client == hermesllm::Api::BedrockConverse)
}
