//! The attempt phase: building each upstream request, judging its head, and deciding what
//! follows a failure (retry, fallback, or the error reply).

use std::borrow::Cow;

use hermesllm::stream::{StreamMeta, Transcoder};
use hermesllm::{Api, DecodeError};

use super::client_stream::{JsonArray, StreamState};
use super::phases::{Exchange, Phase, Sent};
use super::record::AttemptRecord;
use super::reply::{Action, AttemptFailure, HeadAction, MAX_ERROR_BODY, Next, Reply};
use crate::error::{ExchangeError, Fault, GatewayError, UpstreamError};
use crate::kv::Kv;
use crate::retry::{self, Attempt, Decision, Failure};
use crate::state::ResponseCapture;
use crate::upstream::{self, UpstreamInput};

impl Exchange<'_> {
    /// The next upstream request: after [`Exchange::on_request`] (which calls it itself) and
    /// after [`Next::Retry`] once its delay has passed. Returns [`Action::Send`], or
    /// [`Action::Respond`] when no candidate can be built (a client credential missing
    /// under `passthrough_auth` is 401; a misconfigured provider is skipped for the next
    /// candidate, and is a 500 when it was the last; a rate limit of the candidate's provider
    /// refuses with 429, see below). Called at any other time: a 500.
    ///
    /// Touches `kv` for rate limits: the first call reserves the request's estimate under
    /// the first candidate's limits, and a fallback to another provider moves the
    /// reservation to that provider's limits.
    pub async fn next_request(&mut self, kv: &impl Kv, now_ms: u64) -> Action {
        if !matches!(self.phase, Phase::New | Phase::Retrying) {
            return self.respond_internal("next_request called out of order");
        }
        if self.held.is_some() {
            // A reply waiting for its output filters.
            return self.next_output(kv, now_ms).await;
        }
        if let Some(p) = self.parked.take() {
            // A side call is done (or failed): the request goes on. Boxed: the next steps
            // end in `next_request` (a request with side calls allocates this one future).
            return Box::pin(self.advance(kv, *p, now_ms)).await;
        }
        loop {
            let Some(g) = self.generation.as_mut() else {
                return self.respond_internal("no request to send");
            };
            let Some(cand) = g.candidates.get(g.current).cloned() else {
                return self.respond_internal("no candidate left");
            };
            if let Err(reply) = self.reserve_for(kv, now_ms, &cand.provider.name).await {
                return self.respond(reply);
            }
            let Some(g) = self.generation.as_mut() else {
                return self.respond_internal("no request to send");
            };
            // Responses state, for this attempt's upstream.
            let needs_state = super::needs_state(cand.provider, g.generate.api);
            let stateful = match (&g.turn_state, needs_state) {
                (Some(t), true) => match &t.expanded {
                    Ok(_) => Some((t.store, t.previous_response_id.clone())),
                    Err(reply) => {
                        // This candidate cannot continue the stored turn: the next may.
                        if g.current + 1 < g.candidates.len() {
                            g.current += 1;
                            g.attempt = 0;
                            continue;
                        }
                        let reply = reply.clone();
                        return self.respond(reply);
                    }
                },
                _ => None,
            };
            g.save_turn = stateful.as_ref().is_some_and(|(store, _)| *store);
            g.previous_response_id = stateful.as_ref().and_then(|(_, p)| p.clone());
            g.stateful = stateful.is_some();
            let body = g.attempt_body();
            let store_false = stateful.as_ref().is_some_and(|(store, _)| !*store);
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
                body,
                span_id: Some(self.ids.span_id),
                aws: self.options.aws,
                now_ms,
            };
            match upstream::build(&input) {
                Ok(req) => {
                    g.attempt = g.attempt.saturating_add(1);
                    // What saving will report: `store: false` only where the gateway keeps
                    // the state.
                    self.saved = store_false.then_some(Ok(crate::state::Saved::Skipped(
                        crate::state::Skip::StoreFalse,
                    )));
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
                    self.last_send_ms = now_ms;
                    self.server = server_of(&req.url);
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
                        upstream::UpstreamError::MissingClientCredential { .. } => {
                            crate::error::RequestError::MissingCredentials {
                                header: "authorization",
                            }
                            .into()
                        }
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
        if self.forward {
            return self.forward_head(status);
        }
        if self.phase == Phase::SideSent {
            return self.side_head(status, headers);
        }
        let response_id = self.response_id();
        let (Phase::Sent, Some(sent), Some(g)) =
            (self.phase, self.sent.as_mut(), self.generation.as_ref())
        else {
            return HeadAction::ReadError;
        };
        sent.status = status;
        let upstream_api = sent.api;
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
        let client_api = self.client_api;
        let mut transcoder = Transcoder::new(upstream_api, client_api, meta);
        if super::needs_state_api(upstream_api, client_api) {
            // The turn is stored under the id the client sees: the gateway's own.
            transcoder = transcoder.with_own_id(self.response_id());
        }
        let mut headers = vec![
            (
                "content-type".to_owned(),
                transcoder.content_type().to_owned(),
            ),
            ("cache-control".to_owned(), "no-cache".to_owned()),
        ];
        headers.extend(self.rate_headers(now_ms));
        let previous_response_id = g
            .previous_response_id
            .as_deref()
            .filter(|_| upstream_api != client_api)
            .and_then(|p| serde_json::to_string(p).ok());
        let array = (client_api == Api::Gemini && !g.generate.alt_sse).then(JsonArray::new);
        if array.is_some()
            && let Some(ct) = headers.first_mut()
        {
            ct.1 = "application/json".to_owned();
        }
        self.stream = Some(StreamState {
            transcoder,
            capture: g.save_turn.then(ResponseCapture::new),
            previous_response_id,
            array,
            events: None,
        });
        if let Some(chain) = self.output_chain()
            && let Some(s) = self.stream.as_mut()
        {
            s.events = Some(super::output::new_events(client_api));
            self.output = Some(Box::new(chain));
        }
        self.phase = Phase::Streaming;
        self.status = Some(200);
        HeadAction::Stream {
            status: 200,
            headers,
        }
    }

    pub(super) fn rate_headers(&self, now_ms: u64) -> Vec<(String, String)> {
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
        if self.side_in_flight() {
            let body = match failure {
                AttemptFailure::ErrorBody(b) => Some(b),
                _ => None,
            };
            return self.side_failed(now_ms, body);
        }
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

    pub(super) fn attempt_failed(
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
        let policy = self.retry_policy();
        // No attempt starts after the request timeout: the client is waiting on it.
        let deadline = self.start_ms.saturating_add(self.request_timeout_ms());
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
        let decision = retry::decide(&Failure::of(&err, retry_after), &at, &policy);
        let delay = match decision {
            Decision::RetryAfter(d) => d,
            _ => 0,
        };
        if now_ms.saturating_add(delay) >= deadline {
            return self.give_up(err);
        }
        match decision {
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
}

/// `server.address` and `server.port` of an upstream URL (`https://host[:port]/…`).
fn server_of(url: &str) -> Option<(String, u16)> {
    let (default_port, rest) = if let Some(r) = url.strip_prefix("https://") {
        (443, r)
    } else {
        (80, url.strip_prefix("http://")?)
    };
    let authority = rest.split(['/', '?']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => {
            match port.parse::<u16>() {
                Ok(p) => Some((host.to_owned(), p)),
                Err(_) => Some((authority.to_owned(), default_port)),
            }
        }
        _ => Some((authority.to_owned(), default_port)),
    }
}

#[cfg(test)]
mod tests {
    use super::server_of;

    #[test]
    fn server_from_url() {
        let s = |u: &str| server_of(u).map(|(h, p)| format!("{h} {p}"));
        assert_eq!(
            s("https://api.openai.com/v1/x").as_deref(),
            Some("api.openai.com 443")
        );
        assert_eq!(
            s("http://localhost:8080/v1").as_deref(),
            Some("localhost 8080")
        );
        assert_eq!(s("http://[::1]:9000/").as_deref(), Some("[::1] 9000"));
        assert_eq!(s("ftp://x"), None);
    }
}
