//! [`Exchange`]: the state, and the upstream and response phases.

use hermesllm::ir::Usage;
use hermesllm::stream::StreamSummary;
use hermesllm::{Api, Losses};

pub(super) use super::client_stream::StreamState;
use super::record::AttemptRecord;
use super::reply::{Action, Deadlines, Next, Reply};
use super::{Candidate, ExchangeOptions, Ids};
use crate::config::Config;
use crate::error::{ExchangeError, GatewayError};
use crate::ratelimit::Reservation;
use crate::route::Generate;
use crate::state::{SaveError, Saved};
use crate::telemetry::Attribute;

/// One client request's lifecycle. See the [module docs](super) for the order of calls.
#[derive(Debug)]
pub struct Exchange<'c> {
    pub(super) config: &'c Config,
    pub(super) options: ExchangeOptions<'c>,
    pub(super) ids: Ids,
    pub(super) start_ms: u64,
    pub(super) client_api: Api,
    pub(super) phase: Phase,
    pub(super) generation: Option<Generation<'c>>,
    /// The attempt in flight: its API, status and `retry-after`.
    pub(super) sent: Option<Sent>,
    pub(super) stream: Option<StreamState>,
    pub(super) attempts: Vec<AttemptRecord>,
    pub(super) losses: Losses,
    pub(super) status: Option<u16>,
    pub(super) error: Option<ExchangeError>,
    pub(super) usage: Option<Usage>,
    pub(super) first_token_ms: Option<u64>,
    pub(super) summary: Option<StreamSummary>,
    pub(super) attributes: Vec<Attribute>,
    /// The config's custom span attributes, taken from the request head.
    pub(super) custom_attributes: Vec<(String, String)>,
    pub(super) saved: Option<Result<Saved, SaveError>>,
    /// When the last attempt was handed out.
    pub(super) last_send_ms: u64,
    /// `server.address` and `server.port` of the last attempt.
    pub(super) server: Option<(String, u16)>,
    /// A success head was accepted: the provider may have produced tokens.
    pub(super) produced: bool,
    /// The request in flight is a forwarded `GET`/`DELETE` of a stored response.
    pub(super) forward: bool,
    /// A generate request held while its side calls run.
    pub(super) parked: Option<Box<super::side::Parked>>,
    /// The side call in flight.
    pub(super) side: Option<super::side::Side>,
    /// The status of the side call in flight, once its head arrived.
    pub(super) side_status: Option<u16>,
    /// The `mcp-session-id` the side call in flight answered with.
    pub(super) side_session: Option<String>,
    /// The guarded request asked for a stream (for a guard's own answer).
    pub(super) guard_stream: bool,
    /// The routing decision, when the request was routed.
    pub(super) decision: Option<crate::routing::Decision>,
    /// The session pin's store key (`x-model-affinity`).
    pub(super) pin_key: Option<String>,
    /// The request's path (HTTP filters get it appended to their URL).
    pub(super) path: String,
    /// The output filter chain, once the response is being filtered.
    pub(super) output: Option<Box<super::output::Chain>>,
    /// A non-streaming reply held while the output filters run.
    pub(super) held: Option<Reply>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    New,
    /// A request is out: waiting for its head or failure.
    Sent,
    ReadError,
    ReadBody,
    Streaming,
    /// Waiting for `next_request` after [`Next::Retry`].
    Retrying,
    /// A side call (guard, router) is out: waiting for its head or failure.
    SideSent,
    /// Reading a side call's answer.
    SideBody,
    /// Reading a side call's error body.
    SideError,
    Done,
}

/// A generate request's state across attempts. `Debug` shows header names only: the
/// client's headers may carry its credentials (`passthrough_auth`).
pub(super) struct Generation<'c> {
    pub(super) generate: Generate,
    pub(super) headers: Vec<(String, String)>,
    /// The client body as received.
    pub(super) body: Vec<u8>,
    /// The Responses state for attempts whose upstream keeps none (`None` when no
    /// candidate needs it).
    pub(super) turn_state: Option<TurnState>,
    pub(super) stream: bool,
    pub(super) include_usage: bool,
    pub(super) candidates: Vec<Candidate<'c>>,
    pub(super) current: usize,
    /// Attempts on the current candidate.
    pub(super) attempt: u32,
    /// The input token estimate reserved in rate limits.
    pub(super) estimate: u64,
    pub(super) reservation: Option<Reservation>,
    /// The provider whose limits hold `reservation`.
    pub(super) reserved_for: Option<String>,
    /// The current attempt uses the gateway's Responses state (its body is the expanded one).
    pub(super) stateful: bool,
    /// The current attempt saves its turn in the gateway's store.
    pub(super) save_turn: bool,
    /// The stored response the current attempt's (expanded) body continues.
    pub(super) previous_response_id: Option<String>,
}

/// A Responses turn prepared for the attempts that need the gateway's state.
pub(super) struct TurnState {
    /// The self-contained body (the client's when it continues nothing), or the reply
    /// when the stored response could not be loaded or expanded.
    pub(super) expanded: Result<Vec<u8>, Reply>,
    /// The request's `previous_response_id`.
    pub(super) previous_response_id: Option<String>,
    /// The request's `store`.
    pub(super) store: bool,
}

impl Generation<'_> {
    /// The body the current attempt sends: the self-contained one when it uses the
    /// gateway's state (what a saved turn must record), else the client's.
    pub(super) fn attempt_body(&self) -> &[u8] {
        match (&self.turn_state, self.stateful) {
            (Some(t), true) => t.expanded.as_deref().unwrap_or(&self.body),
            _ => &self.body,
        }
    }
}

impl std::fmt::Debug for Generation<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        let providers: Vec<&str> = self
            .candidates
            .iter()
            .map(|c| c.provider.name.as_str())
            .collect();
        f.debug_struct("Generation")
            .field("api", &self.generate.api)
            .field("header_names", &names)
            .field("body_bytes", &self.body.len())
            .field(
                "state_ready",
                &self.turn_state.as_ref().map(|t| t.expanded.is_ok()),
            )
            .field("stream", &self.stream)
            .field("candidates", &providers)
            .field("current", &self.current)
            .field("attempt", &self.attempt)
            .field("estimate", &self.estimate)
            .field("reservation", &self.reservation)
            .field("previous_response_id", &self.previous_response_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
pub(super) struct Sent {
    pub(super) api: Api,
    pub(super) status: u16,
    pub(super) retry_after: Option<String>,
}

impl<'c> Exchange<'c> {
    /// A new exchange for a request whose head arrived at `start_ms`.
    pub fn new(config: &'c Config, options: ExchangeOptions<'c>, ids: Ids, start_ms: u64) -> Self {
        Exchange {
            config,
            options,
            ids,
            start_ms,
            client_api: Api::OpenAiChat,
            phase: Phase::New,
            generation: None,
            sent: None,
            stream: None,
            attempts: Vec::new(),
            losses: Losses::default(),
            status: None,
            error: None,
            usage: None,
            first_token_ms: None,
            summary: None,
            attributes: Vec::new(),
            custom_attributes: Vec::new(),
            saved: None,
            produced: false,
            forward: false,
            last_send_ms: start_ms,
            server: None,
            parked: None,
            side: None,
            side_status: None,
            side_session: None,
            guard_stream: false,
            decision: None,
            pin_key: None,
            path: String::new(),
            output: None,
            held: None,
        }
    }

    /// The largest client body accepted (`gateway.body_limit`): hosts may refuse a larger
    /// `content-length` before reading, by calling [`Exchange::on_request`] with the bytes
    /// read so far plus one.
    pub fn body_limit(&self) -> u64 {
        self.config.gateway.body_limit
    }

    /// The timeouts the host enforces on the attempt just handed out. `response_ms` is the
    /// request timeout (the listener's `timeout`, else `gateway.timeouts.request`) less what
    /// earlier attempts and backoff already used: the timeout bounds the whole exchange up
    /// to its response head, retries included.
    pub fn deadlines(&self) -> Deadlines {
        let t = &self.config.gateway.timeouts;
        let ms = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let used = self.last_send_ms.saturating_sub(self.start_ms);
        if matches!(self.side, Some(super::side::Side::Output)) {
            // An output filter call gets the whole request timeout, not what the model left.
            return Deadlines {
                connect_ms: ms(t.connect),
                response_ms: self.request_timeout_ms(),
                idle_ms: ms(t.idle),
            };
        }
        Deadlines {
            connect_ms: ms(t.connect),
            response_ms: self.request_timeout_ms().saturating_sub(used),
            idle_ms: ms(t.idle),
        }
    }

    /// The retry policy: the host's, with the model listener's `max_retries` (retries on one
    /// provider after the first attempt) when the config sets it.
    pub(super) fn retry_policy(&self) -> crate::retry::RetryPolicy {
        let mut policy = self.options.retry;
        if let Some(n) = self.config.model_listener().and_then(|l| l.max_retries) {
            policy.max_attempts = n.saturating_add(1);
        }
        policy
    }

    pub(super) fn request_timeout_ms(&self) -> u64 {
        let request = self
            .config
            .model_listener()
            .and_then(|l| l.timeout)
            .unwrap_or(self.config.gateway.timeouts.request);
        u64::try_from(request.as_millis()).unwrap_or(u64::MAX)
    }

    /// The response id used when the upstream gives none.
    pub fn response_id(&self) -> String {
        format!(
            "{}{}",
            super::response_id_prefix(self.client_api),
            self.ids.token
        )
    }

    /// The client's API (known after [`Exchange::on_request`]).
    pub fn client_api(&self) -> Api {
        self.client_api
    }

    /// Whether the exchange has handed out its final reply or stream end.
    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    pub(super) fn respond(&mut self, reply: Reply) -> Action {
        self.status = Some(reply.status);
        self.phase = Phase::Done;
        Action::Respond(reply)
    }

    pub(super) fn respond_error(&mut self, err: ExchangeError) -> Action {
        let reply = Reply::error(self.client_api, &err);
        self.error = Some(err);
        self.respond(reply)
    }

    pub(super) fn respond_internal(&mut self, why: &str) -> Action {
        self.respond_error(GatewayError::Internal(why.to_owned()).into())
    }

    pub(super) fn give_up(&mut self, err: ExchangeError) -> Next {
        match self.respond_error(err) {
            Action::Respond(r) => Next::Respond(r),
            Action::Send(_) => Next::Respond(Reply::json(500, Vec::new())),
        }
    }
}
