//! [`Exchange`]: the state, and the upstream and response phases.

use std::borrow::Cow;

use hermesllm::ir::{StreamEvent, Usage};
use hermesllm::stream::{StreamMeta, StreamSummary, Transcoder};
use hermesllm::translate::{decode_response, encode_response, stream_encoder};
use hermesllm::{Api, DecodeError, Losses, ResponseMeta};

use super::Candidate;
use super::record::{AttemptRecord, ExchangeRecord};
use super::reply::{Action, AttemptFailure, Deadlines, HeadAction, MAX_ERROR_BODY, Next, Reply};
use super::{ExchangeOptions, Ids};
use crate::config::Config;
use crate::error::{ExchangeError, Fault, GatewayError, UpstreamError};
use crate::kv::Kv;
use crate::ratelimit::{RateLimitError, Reservation};
use crate::retry::{self, Attempt, Decision, Failure};
use crate::route::Generate;
use crate::state::{self, ResponseCapture, SaveError, Saved};
use crate::telemetry::{self, Attribute, Outcome, SpanInput, Timestamps, Timing};
use crate::upstream::{self, UpstreamInput};

/// One client request's lifecycle. See the [module docs](super) for the order of calls.
#[derive(Debug)]
pub struct Exchange<'c> {
    pub(super) config: &'c Config,
    pub(super) options: ExchangeOptions<'c>,
    ids: Ids,
    start_ms: u64,
    pub(super) client_api: Api,
    pub(super) phase: Phase,
    pub(super) generation: Option<Generation<'c>>,
    /// The attempt in flight: its API, status and `retry-after`.
    sent: Option<Sent>,
    stream: Option<StreamState>,
    attempts: Vec<AttemptRecord>,
    losses: Losses,
    status: Option<u16>,
    error: Option<ExchangeError>,
    usage: Option<Usage>,
    first_token_ms: Option<u64>,
    summary: Option<StreamSummary>,
    attributes: Vec<Attribute>,
    saved: Option<Result<Saved, SaveError>>,
    /// A success head was accepted: the provider may have produced tokens.
    produced: bool,
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
    Done,
}

/// A generate request's state across attempts.
#[derive(Debug)]
pub(super) struct Generation<'c> {
    pub(super) generate: Generate,
    pub(super) headers: Vec<(String, String)>,
    /// The self-contained client body (expanded when it continued a stored response).
    pub(super) body: Vec<u8>,
    pub(super) stream: bool,
    pub(super) include_usage: bool,
    pub(super) candidates: Vec<Candidate<'c>>,
    pub(super) current: usize,
    /// Attempts on the current candidate.
    pub(super) attempt: u32,
    pub(super) reservation: Option<Reservation>,
    pub(super) save_turn: bool,
    pub(super) previous_response_id: Option<String>,
}

#[derive(Debug)]
struct Sent {
    api: Api,
    status: u16,
    retry_after: Option<String>,
}

#[derive(Debug)]
struct StreamState {
    transcoder: Transcoder<'static>,
    capture: Option<ResponseCapture>,
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
            saved: None,
            produced: false,
        }
    }

    /// The largest client body accepted (`gateway.body_limit`): hosts may refuse a larger
    /// `content-length` before reading, by calling [`Exchange::on_request`] with the bytes
    /// read so far plus one.
    pub fn body_limit(&self) -> u64 {
        self.config.gateway.body_limit
    }

    /// The timeouts the host enforces on each attempt.
    pub fn deadlines(&self) -> Deadlines {
        let t = &self.config.gateway.timeouts;
        let request = self
            .config
            .model_listener()
            .and_then(|l| l.timeout)
            .unwrap_or(t.request);
        let ms = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Deadlines {
            connect_ms: ms(t.connect),
            response_ms: ms(request),
            idle_ms: ms(t.idle),
        }
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

    /// Records that the request's `store: false` kept the turn out of the store.
    pub(super) fn skip_save(&mut self) {
        self.saved = Some(Ok(Saved::Skipped(state::Skip::StoreFalse)));
    }

    fn give_up(&mut self, err: ExchangeError) -> Next {
        match self.respond_error(err) {
            Action::Respond(r) => Next::Respond(r),
            Action::Send(_) => Next::Respond(Reply::json(500, Vec::new())),
        }
    }

    /// The next upstream request: after [`Exchange::on_request`] (which calls it itself) and
    /// after [`Next::Retry`] once its delay has passed. Returns [`Action::Send`], or
    /// [`Action::Respond`] when no candidate can be built (a client credential missing
    /// under `passthrough_auth` is 401; a misconfigured provider is skipped for the next
    /// candidate, and is a 500 when it was the last). Called at any other time: a 500.
    pub fn next_request(&mut self, now_ms: u64) -> Action {
        if !matches!(self.phase, Phase::New | Phase::Retrying) {
            return self.respond_internal("next_request called out of order");
        }
        loop {
            let Some(g) = self.generation.as_mut() else {
                return self.respond_internal("no request to send");
            };
            let Some(cand) = g.candidates.get(g.current).cloned() else {
                return self.respond_internal("no candidate left");
            };
            let headers: Vec<(&str, &str)> = g
                .headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            let meta = super::request::request_meta(&g.generate, &cand.upstream_model);
            let input = UpstreamInput {
                provider: cand.provider,
                upstream_model: &cand.upstream_model,
                client_api: g.generate.api,
                meta: &meta,
                stream: g.stream,
                client_headers: &headers,
                query_key: g.generate.query_key.as_ref(),
                body: &g.body,
                span_id: Some(self.ids.span_id),
                aws: self.options.aws,
                now_ms,
            };
            match upstream::build(&input) {
                Ok(req) => {
                    g.attempt = g.attempt.saturating_add(1);
                    self.losses = req.losses.clone();
                    self.sent = Some(Sent {
                        api: req.api,
                        status: 0,
                        retry_after: None,
                    });
                    self.attempts.push(AttemptRecord {
                        provider: cand.provider.name.clone(),
                        upstream_model: cand.upstream_model.clone(),
                        api: req.api,
                        start_ms: now_ms,
                        end_ms: None,
                        status: None,
                        error: None,
                    });
                    self.phase = Phase::Sent;
                    return Action::Send(Box::new(req));
                }
                Err(e) if e.fault() == Fault::Gateway && g.current + 1 < g.candidates.len() => {
                    g.current += 1;
                    g.attempt = 0;
                }
                Err(e) => {
                    let reply = Reply::api_error(self.client_api, &e.to_api_error());
                    self.error = Some(match e {
                        upstream::UpstreamError::Translate(
                            hermesllm::translate::TranslateError::Decode(d),
                        ) => crate::error::RequestError::InvalidBody(d).into(),
                        upstream::UpstreamError::Translate(
                            hermesllm::translate::TranslateError::Encode(d),
                        ) => crate::error::RequestError::Unsupported(d).into(),
                        other => GatewayError::Internal(other.to_string()).into(),
                    });
                    return self.respond(reply);
                }
            }
        }
    }

    /// The upstream response head arrived (any status). See [`HeadAction`]. Called out of
    /// order: [`HeadAction::ReadError`] (the following failure report then answers 500).
    pub fn on_upstream_head(
        &mut self,
        status: u16,
        headers: &[(&str, &str)],
        now_ms: u64,
    ) -> HeadAction {
        let response_id = self.response_id();
        let (Phase::Sent, Some(sent), Some(g)) =
            (self.phase, self.sent.as_mut(), self.generation.as_ref())
        else {
            return HeadAction::ReadError;
        };
        sent.status = status;
        if let Some(a) = self.attempts.last_mut() {
            a.status = Some(status);
        }
        if !(200..300).contains(&status) {
            sent.retry_after = crate::route::header(headers, "retry-after").map(str::to_owned);
            self.phase = Phase::ReadError;
            return HeadAction::ReadError;
        }
        self.produced = true;
        if !g.stream {
            self.phase = Phase::ReadBody;
            return HeadAction::ReadBody;
        }
        let model = g
            .candidates
            .get(g.current)
            .map_or_else(String::new, |c| c.upstream_model.clone());
        let meta = StreamMeta {
            id: response_id.into(),
            created: now_ms / 1000,
            model: model.into(),
            include_usage: g.include_usage,
        };
        let transcoder = Transcoder::new(sent.api, self.client_api, meta);
        let mut headers = vec![
            (
                "content-type".to_owned(),
                transcoder.content_type().to_owned(),
            ),
            ("cache-control".to_owned(), "no-cache".to_owned()),
        ];
        headers.extend(self.rate_headers(now_ms));
        self.stream = Some(StreamState {
            transcoder,
            capture: g.save_turn.then(ResponseCapture::new),
        });
        self.phase = Phase::Streaming;
        self.status = Some(200);
        HeadAction::Stream {
            status: 200,
            headers,
        }
    }

    fn rate_headers(&self, now_ms: u64) -> Vec<(String, String)> {
        self.generation
            .as_ref()
            .and_then(|g| g.reservation.as_ref())
            .map(|r| {
                r.headers(now_ms)
                    .into_iter()
                    .map(|(n, v)| (n.to_owned(), v))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// An attempt failed before a usable response (see [`AttemptFailure`]). `jitter` is a
    /// random number in `[0, 1)` for the backoff. Returns [`Next::Retry`] (same provider
    /// after a backoff or `retry-after`, or the next candidate) or [`Next::Respond`] with the
    /// error in the client's shape (an upstream error body translated, its status and
    /// `retry-after` kept).
    pub fn on_upstream_failure(
        &mut self,
        failure: AttemptFailure<'_>,
        now_ms: u64,
        jitter: f64,
    ) -> Next {
        let expected = match failure {
            AttemptFailure::ErrorBody(_) => self.phase == Phase::ReadError,
            AttemptFailure::BodyIncomplete => self.phase == Phase::ReadBody,
            _ => self.phase == Phase::Sent,
        };
        let Some(sent) = self.sent.take().filter(|_| expected) else {
            return self
                .give_up(GatewayError::Internal("upstream failure out of order".into()).into());
        };
        let d = self.deadlines();
        let err: ExchangeError = match failure {
            AttemptFailure::Connect(reason) => UpstreamError::Connect {
                reason: reason.to_owned(),
            }
            .into(),
            AttemptFailure::ConnectTimeout => UpstreamError::ConnectTimeout {
                after_ms: d.connect_ms,
            }
            .into(),
            AttemptFailure::Timeout => UpstreamError::Timeout {
                after_ms: d.response_ms,
            }
            .into(),
            AttemptFailure::ErrorBody(body) => UpstreamError::Status {
                api: sent.api,
                status: sent.status,
                body: body.get(..MAX_ERROR_BODY).unwrap_or(body).to_vec(),
                retry_after_ms: sent
                    .retry_after
                    .as_deref()
                    .and_then(|v| retry::parse_retry_after(v, now_ms)),
            }
            .into(),
            AttemptFailure::BodyIncomplete => UpstreamError::InvalidResponse(DecodeError::Stream(
                Cow::Borrowed("response body incomplete or over the size limit"),
            ))
            .into(),
        };
        self.produced = false;
        self.attempt_failed(err, sent.retry_after.as_deref(), now_ms, jitter)
    }

    fn attempt_failed(
        &mut self,
        err: ExchangeError,
        retry_after: Option<&str>,
        now_ms: u64,
        jitter: f64,
    ) -> Next {
        if let Some(a) = self.attempts.last_mut() {
            a.end_ms = Some(now_ms);
            a.error = Some(err.code());
        }
        let Some(g) = self.generation.as_mut() else {
            return self.give_up(err);
        };
        let at = Attempt {
            attempt: g.attempt,
            client_bytes_sent: false,
            has_fallback: g.current + 1 < g.candidates.len(),
            now_ms,
            jitter,
        };
        match retry::decide(&Failure::of(&err, retry_after), &at, &self.options.retry) {
            Decision::RetryAfter(delay_ms) => {
                self.phase = Phase::Retrying;
                Next::Retry {
                    delay_ms,
                    fallback: false,
                }
            }
            Decision::Fallback => {
                g.current += 1;
                g.attempt = 0;
                self.phase = Phase::Retrying;
                Next::Retry {
                    delay_ms: 0,
                    fallback: true,
                }
            }
            Decision::GiveUp(_) => self.give_up(err),
        }
    }

    /// The whole body of a non-streaming success ([`HeadAction::ReadBody`]). Translates it for
    /// the client (passthrough when the APIs match), saves the Responses turn, and returns
    /// [`Next::Respond`] with the reply; an undecodable body is an upstream failure (502, or
    /// [`Next::Retry`] on the next candidate). Touches `kv` to save state only.
    pub async fn on_upstream_body(
        &mut self,
        kv: &impl Kv,
        body: &[u8],
        now_ms: u64,
        jitter: f64,
    ) -> Next {
        if self.phase != Phase::ReadBody {
            return self
                .give_up(GatewayError::Internal("upstream body out of order".into()).into());
        }
        let Some(sent) = self.sent.take() else {
            return self.give_up(GatewayError::Internal("no attempt in flight".into()).into());
        };
        if let Some(a) = self.attempts.last_mut() {
            a.end_ms = Some(now_ms);
        }
        let mut resp = match decode_response(sent.api, body) {
            Ok(r) => r,
            Err(e) => {
                self.produced = false;
                let err = UpstreamError::InvalidResponse(e).into();
                return self.attempt_failed(err, None, now_ms, jitter);
            }
        };
        let model = self.current_model();
        let client_body = if sent.api == self.client_api {
            body.to_vec()
        } else {
            if let Some(prev) = self
                .generation
                .as_ref()
                .and_then(|g| g.previous_response_id.as_deref())
            {
                resp.previous_response_id = Some(prev.to_owned().into());
            }
            let meta = ResponseMeta {
                id: self.response_id().into(),
                created: now_ms / 1000,
                model: model.as_str().into(),
            };
            match encode_response(self.client_api, &resp, &meta, &mut self.losses) {
                Ok(b) => b,
                Err(e) => {
                    let err = GatewayError::Internal(format!("response encoding: {e}")).into();
                    return self.give_up(err);
                }
            }
        };
        self.usage = resp.usage;
        self.first_token_ms = Some(now_ms);
        self.attributes = self.span(Outcome::Response(&resp));
        drop(resp);
        if let Some(g) = self.generation.as_ref()
            && g.save_turn
        {
            let saved = state::save(kv, &g.body, &client_body, &self.options.save, now_ms).await;
            self.saved = Some(saved);
        }
        let mut reply = Reply::json(200, client_body);
        reply.headers.extend(self.rate_headers(now_ms));
        self.status = Some(200);
        self.phase = Phase::Done;
        Next::Respond(reply)
    }

    fn current_model(&self) -> String {
        self.generation
            .as_ref()
            .and_then(|g| g.candidates.get(g.current))
            .map_or_else(String::new, |c| c.upstream_model.clone())
    }

    /// A chunk of a streaming body ([`HeadAction::Stream`]), in any chunking: appends the
    /// client bytes now ready to `out` (possibly none). When the chunk completes a Responses
    /// turn, the turn is saved (through `kv`) before this returns, so before the client can
    /// see the end. Ignored outside a stream.
    pub async fn on_upstream_chunk(
        &mut self,
        kv: &impl Kv,
        chunk: &[u8],
        now_ms: u64,
        out: &mut Vec<u8>,
    ) {
        if self.phase != Phase::Streaming {
            return;
        }
        let start = out.len();
        if let Some(s) = self.stream.as_mut() {
            s.transcoder.push(chunk, now_ms, out);
        }
        self.capture(kv, out.get(start..).unwrap_or_default(), false, now_ms)
            .await;
    }

    /// The streaming body ended: appends the end of the client stream to `out` (a stream cut
    /// short ends with the client API's error event, unless both sides speak the same API,
    /// where the bytes pass as received). Ignored outside a stream.
    pub async fn on_upstream_end(&mut self, kv: &impl Kv, now_ms: u64, out: &mut Vec<u8>) {
        if self.phase != Phase::Streaming {
            return;
        }
        let start = out.len();
        if let Some(s) = self.stream.as_mut() {
            s.transcoder.finish(now_ms, out);
        }
        self.capture(kv, out.get(start..).unwrap_or_default(), true, now_ms)
            .await;
        self.end_stream(now_ms);
    }

    /// The streaming body broke: the connection failed (`idle == false`) or went silent past
    /// [`Deadlines::idle_ms`] (`idle == true`). Appends an error event in the client's
    /// stream format to `out` (nothing when the stream had already ended) and ends the
    /// stream; no retry is possible once bytes reached the client. Ignored outside a stream.
    pub async fn on_upstream_broken(
        &mut self,
        _kv: &impl Kv,
        idle: bool,
        now_ms: u64,
        out: &mut Vec<u8>,
    ) {
        if self.phase != Phase::Streaming {
            return;
        }
        let err: ExchangeError = if idle {
            UpstreamError::IdleTimeout {
                after_ms: self.deadlines().idle_ms,
            }
            .into()
        } else {
            UpstreamError::Connect {
                reason: "upstream connection lost mid-stream".to_owned(),
            }
            .into()
        };
        if let Some(s) = self.stream.as_ref()
            && !s.transcoder.is_ended()
        {
            let meta = StreamMeta {
                id: self.response_id().into(),
                created: now_ms / 1000,
                model: String::new().into(),
                include_usage: false,
            };
            let mut api_err = err.api_error();
            api_err.message = hermesllm::Str::from(err.to_string());
            stream_encoder(self.client_api, meta).encode(&StreamEvent::Error(api_err), out);
        }
        if let Some(a) = self.attempts.last_mut() {
            a.error = Some(err.code());
        }
        self.error = Some(err);
        self.end_stream(now_ms);
    }

    fn end_stream(&mut self, now_ms: u64) {
        if let Some(a) = self.attempts.last_mut() {
            a.end_ms = Some(now_ms);
        }
        if let Some(s) = self.stream.take() {
            let summary = s.transcoder.into_summary();
            self.usage = summary.usage;
            self.first_token_ms = summary.first_token_ms;
            self.summary = Some(summary);
        }
        self.phase = Phase::Done;
    }

    /// Feeds client-bound Responses bytes to the capture; saves the turn once captured.
    async fn capture(&mut self, kv: &impl Kv, bytes: &[u8], end: bool, now_ms: u64) {
        let Some(s) = self.stream.as_mut() else {
            return;
        };
        let Some(capture) = s.capture.as_mut() else {
            return;
        };
        capture.push(bytes);
        if !capture.is_done() && !end {
            return;
        }
        let Some(capture) = s.capture.take() else {
            return;
        };
        let Ok(captured) = capture.finish() else {
            // Failed or truncated turns are not stored (nothing to continue from).
            return;
        };
        if let Some(g) = self.generation.as_ref() {
            let saved = state::save(
                kv,
                &g.body,
                captured.response.get().as_bytes(),
                &self.options.save,
                now_ms,
            )
            .await;
            self.saved = Some(saved);
        }
    }

    /// Ends the exchange: call once, after the reply was sent or the stream ended (or when
    /// the client went away: a stream in progress is then treated as cut off). Settles the
    /// rate-limit reservation with the reported usage, releases it when no tokens were
    /// produced, or leaves the estimate charged when a stream ended without usage. Returns
    /// the record for the host to export.
    pub async fn finish(&mut self, kv: &impl Kv, now_ms: u64) -> ExchangeRecord {
        if self.phase == Phase::Streaming {
            self.end_stream(now_ms);
        }
        self.phase = Phase::Done;
        let mut rate_limit_error: Option<RateLimitError> = None;
        let reservation = self.generation.as_mut().and_then(|g| g.reservation.take());
        if let Some(r) = reservation {
            let result = match (self.usage, self.produced) {
                (Some(u), _) => r.settle(kv, now_ms, &u).await,
                (None, false) => r.release(kv, now_ms).await,
                // Cut off without usage: the estimate stays charged.
                (None, true) => {
                    drop(r);
                    Ok(())
                }
            };
            rate_limit_error = result.err();
        }
        if self.attributes.is_empty() {
            let outcome = match (&self.summary, &self.error) {
                (Some(summary), _) => Some(Outcome::Stream {
                    summary,
                    response_model: None,
                }),
                (None, Some(err)) => Some(Outcome::Error(err)),
                (None, None) => None,
            };
            if let Some(outcome) = outcome {
                self.attributes = self.span(outcome);
            }
        }
        let upstream: Vec<(u64, u64)> = self
            .attempts
            .iter()
            .map(|a| (a.start_ms, a.end_ms.unwrap_or(now_ms)))
            .collect();
        let timing = Timing::of(&Timestamps {
            start_ms: self.start_ms,
            first_token_ms: self.first_token_ms,
            end_ms: now_ms,
            upstream: &upstream,
        });
        ExchangeRecord {
            client_api: self.client_api,
            status: self.status.unwrap_or(500),
            attempts: std::mem::take(&mut self.attempts),
            error: self.error.clone(),
            attributes: std::mem::take(&mut self.attributes),
            timing,
            losses: std::mem::take(&mut self.losses),
            summary: self.summary.clone(),
            usage: self.usage,
            state: self.saved.take(),
            rate_limit_error,
        }
    }

    /// Span attributes from the decoded client request (empty when it does not decode).
    fn span(&self, outcome: Outcome<'_>) -> Vec<Attribute> {
        let Some(g) = self.generation.as_ref() else {
            return Vec::new();
        };
        let cand = g.candidates.get(g.current);
        let meta = super::request::request_meta(
            &g.generate,
            cand.map_or("", |c| c.upstream_model.as_str()),
        );
        let Ok(request) = hermesllm::translate::decode_request(g.generate.api, &g.body, &meta)
        else {
            return Vec::new();
        };
        telemetry::span_attributes(&SpanInput {
            client_api: self.client_api,
            provider: cand.map_or("", |c| c.provider.provider.as_str()),
            request: &request,
            upstream_model: cand.map(|c| c.upstream_model.as_str()),
            server: None,
            outcome,
        })
    }
}
