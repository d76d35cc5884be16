//! The response phase: a non-streaming body, stream chunks, the end of the exchange.

use hermesllm::ResponseMeta;
use hermesllm::translate::{decode_response, encode_response};

use super::phases::{Exchange, Phase};
use super::record::ExchangeRecord;
use super::reply::{Next, Reply};
use crate::error::{ExchangeError, GatewayError, UpstreamError};
use crate::kv::Kv;
use crate::ratelimit::RateLimitError;
use crate::state;
use crate::telemetry::{self, Attribute, Outcome, SpanInput, Timestamps, Timing};

impl Exchange<'_> {
    /// The whole body of a non-streaming success
    /// ([`HeadAction::ReadBody`](super::HeadAction::ReadBody)). Translates it for the client
    /// (passthrough when the APIs match), saves the Responses turn, and returns
    /// [`Next::Respond`] with the reply; an undecodable body is an upstream failure (502, or
    /// [`Next::Retry`] on the next candidate). Touches `kv` to save state only.
    pub async fn on_upstream_body(
        &mut self,
        kv: &impl Kv,
        body: &[u8],
        now_ms: u64,
        jitter: f64,
    ) -> Next {
        if self.phase == Phase::SideBody {
            return self.side_body(body, now_ms);
        }
        if self.phase != Phase::ReadBody {
            return self
                .give_up(GatewayError::Internal("upstream body out of order".into()).into());
        }
        if self.forward {
            return self.forward_body(body, now_ms);
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
            if super::needs_state_api(sent.api, self.client_api) {
                // The turn is stored under the id the client sees: make it the gateway's own
                // (unguessable) id, not whatever the upstream chose.
                resp.id = hermesllm::Str::borrowed("");
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
        let mut reply = Reply::json(200, client_body);
        reply.headers.extend(self.rate_headers(now_ms));
        let reply = match self.hold_for_filters(reply) {
            Ok(next) => return next,
            Err(reply) => reply,
        };
        self.save_turn(kv, &reply.body, now_ms).await;
        self.status = Some(200);
        self.phase = Phase::Done;
        Next::Respond(reply)
    }

    /// Saves a non-streaming Responses turn answered with `client_body`, when it is saved.
    pub(super) async fn save_turn(&mut self, kv: &impl Kv, client_body: &[u8], now_ms: u64) {
        if let Some(g) = self.generation.as_ref()
            && g.save_turn
        {
            let saved = state::save(
                kv,
                g.attempt_body(),
                client_body,
                &self.options.save,
                now_ms,
            )
            .await;
            self.saved = Some(saved);
        }
    }

    fn current_model(&self) -> String {
        self.generation
            .as_ref()
            .and_then(|g| g.candidates.get(g.current))
            .map_or_else(String::new, |c| c.upstream_model.clone())
    }

    /// A chunk of a streaming body ([`HeadAction::Stream`](super::HeadAction::Stream)), in
    /// any chunking: appends the client bytes now ready to `out` (possibly none). When the
    /// chunk completes a Responses turn, the turn is saved (through `kv`) before this
    /// returns, so before the client can see the end. Ignored outside a stream.
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
            s.push(chunk, now_ms, out);
        }
        self.release_events(now_ms, out);
        self.capture(kv, out.get(start..).unwrap_or_default(), false, now_ms)
            .await;
    }

    /// The streaming body ended: appends the end of the client stream to `out` (a stream cut
    /// short, same-API passthrough included, loses its partial trailing event and ends with
    /// the client API's error event). Ignored outside a stream.
    pub async fn on_upstream_end(&mut self, kv: &impl Kv, now_ms: u64, out: &mut Vec<u8>) {
        if self.phase != Phase::Streaming {
            return;
        }
        let start = out.len();
        if let Some(s) = self.stream.as_mut() {
            s.finish(now_ms, out);
        }
        if self.stream.as_ref().is_some_and(|s| s.events.is_some()) {
            // With output filters the end follows the last event's filter calls.
            self.release_events(now_ms, out);
            return self.after_release(kv, start, now_ms, out).await;
        }
        self.capture(kv, out.get(start..).unwrap_or_default(), true, now_ms)
            .await;
        self.end_stream(now_ms);
    }

    /// The streaming body broke: the connection failed (`idle == false`) or went silent past
    /// [`Deadlines::idle_ms`](super::Deadlines::idle_ms) (`idle == true`). Appends an error
    /// event in the client's stream format to `out` (nothing when the stream had already
    /// ended) and ends the stream; no retry is possible once bytes reached the client.
    /// Ignored outside a stream.
    pub fn on_upstream_broken(&mut self, idle: bool, now_ms: u64, out: &mut Vec<u8>) {
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
        if let Some(s) = self.stream.as_mut()
            && !s.transcoder.is_ended()
        {
            let mut api_err = err.api_error();
            api_err.message = hermesllm::Str::from(err.to_string());
            s.fail(api_err, now_ms, out);
        }
        if let Some(a) = self.attempts.last_mut() {
            a.error = Some(err.code());
        }
        self.error = Some(err);
        self.end_stream(now_ms);
    }

    pub(super) fn end_stream(&mut self, now_ms: u64) {
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
    pub(super) async fn capture(&mut self, kv: &impl Kv, bytes: &[u8], end: bool, now_ms: u64) {
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
                g.attempt_body(),
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
        if let Some(chain) = self.output.take() {
            chain.attributes(self.config, &mut self.custom_attributes);
        }
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
                    response_model: summary.model.as_deref(),
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
            custom_attributes: std::mem::take(&mut self.custom_attributes),
            timing,
            losses: std::mem::take(&mut self.losses),
            summary: self.summary.clone(),
            usage: self.usage,
            state: self.saved.take(),
            rate_limit_error,
            routing: self.decision.take(),
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
        let Ok(request) =
            hermesllm::translate::decode_request(g.generate.api, g.attempt_body(), &meta)
        else {
            return Vec::new();
        };
        telemetry::span_attributes(&SpanInput {
            client_api: self.client_api,
            provider: cand.map_or("", |c| c.provider.provider.as_str()),
            request: &request,
            upstream_model: cand.map(|c| c.upstream_model.as_str()),
            server: self.server.as_ref().map(|(h, p)| (h.as_str(), *p)),
            outcome,
        })
    }
}
