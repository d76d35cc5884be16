//! `GET`/`DELETE /v1/responses/{id}` for ids the gateway's store does not hold: forwarded
//! to the provider that serves Responses clients natively, whose own store keeps the
//! responses of same-API passthrough turns (the gateway stores only the turns it
//! translated).

use hermesllm::Api;

use super::phases::{Exchange, Phase, Sent};
use super::record::AttemptRecord;
use super::reply::{Action, HeadAction, Next, Reply};
use super::request::RequestHead;
use crate::error::redact_secrets;
use crate::upstream;

impl Exchange<'_> {
    /// The local store does not know `id`: [`Action::Send`] of the same `method` to the
    /// Responses provider ([`upstream::responses_provider`]), or the local 404 (`not_found`)
    /// when no provider speaks Responses or its request cannot be built.
    pub(super) fn forward_stored(
        &mut self,
        head: &RequestHead<'_>,
        method: &'static str,
        id: &str,
        not_found: Reply,
        now_ms: u64,
    ) -> Action {
        let Some(provider) = upstream::responses_provider(self.config) else {
            return self.respond(not_found);
        };
        let req = match upstream::build_stored_response(
            provider,
            method,
            id,
            head.headers,
            None,
            Some(self.ids.span_id),
        ) {
            Ok(r) => r,
            Err(e) => {
                return self.respond(Reply::api_error(Api::OpenAiResponses, &e.to_api_error()));
            }
        };
        self.forward = true;
        self.sent = Some(Sent {
            api: Api::OpenAiResponses,
            status: 0,
            retry_after: None,
        });
        self.attempts.push(AttemptRecord {
            provider: provider.name.clone(),
            upstream_model: String::new(),
            api: Api::OpenAiResponses,
            start_ms: now_ms,
            end_ms: None,
            status: None,
            error: None,
        });
        self.phase = Phase::Sent;
        self.last_send_ms = now_ms;
        Action::Send(Box::new(req))
    }

    /// The forwarded request's head: every status's body is read and passed through.
    pub(super) fn forward_head(&mut self, status: u16) -> HeadAction {
        let Some(sent) = self.sent.as_mut().filter(|_| self.phase == Phase::Sent) else {
            return HeadAction::ReadError;
        };
        sent.status = status;
        if let Some(a) = self.attempts.last_mut() {
            a.status = Some(status);
        }
        self.phase = Phase::ReadBody;
        HeadAction::ReadBody
    }

    /// The forwarded request's body: the provider's answer, as it came (an error body with
    /// anything that looks like a credential redacted).
    pub(super) fn forward_body(&mut self, body: &[u8], now_ms: u64) -> Next {
        let status = self.sent.take().map_or(502, |s| s.status);
        if let Some(a) = self.attempts.last_mut() {
            a.end_ms = Some(now_ms);
        }
        let body = if (200..300).contains(&status) {
            body.to_vec()
        } else {
            redact_secrets(&String::from_utf8_lossy(body))
                .into_owned()
                .into_bytes()
        };
        match self.respond(Reply::json(status, body)) {
            Action::Respond(r) => Next::Respond(r),
            Action::Send(_) => Next::Respond(Reply::json(500, Vec::new())),
        }
    }
}
