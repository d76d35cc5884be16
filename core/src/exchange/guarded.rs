//! The input guard inside the exchange: a side call ([`super::side`]) classifying the latest
//! user input before routing and before any LLM; on detection the client gets the
//! configured message as an ordinary assistant answer in its own API (streamed when it asked
//! for a stream), and no LLM is called.

use hermesllm::Api;
use hermesllm::ir::{Block, Choice, Response, StopReason};
use hermesllm::stream::{StreamMeta, Transcoder};

use super::client_stream::{JsonArray, StreamState};
use super::phases::Exchange;
use super::reply::Reply;
use super::side::{Parked, Side};
use crate::guard::{self, Verdict};
use crate::upstream::UpstreamRequest;

impl Exchange<'_> {
    /// The guard call for `p`, when a guard is configured and the request ends with user
    /// input (`None`: no guard applies; the request goes on).
    pub(super) fn start_guard(&mut self, p: &Parked, now_ms: u64) -> Option<UpstreamRequest> {
        let g = self.config.guards.jailbreak.as_ref()?;
        let placeholder = p.model.as_deref().unwrap_or("guard");
        let meta = super::request::request_meta(&p.generate, placeholder);
        let req = hermesllm::translate::decode_request(p.generate.api, &p.body, &meta).ok()?;
        let input = guard::latest_user_text(&req)?;
        self.guard_stream = req.stream || p.generate.stream;
        drop(req);
        let request =
            self.side_request(&g.model, |model| guard::request_body(model, &input), now_ms)?;
        self.side = Some(Side::Guard {
            api: request.api,
            sent_ms: now_ms,
        });
        Some(request)
    }

    /// The guard's answer: the reply to send instead of calling any LLM, when it detected an
    /// attack.
    pub(super) fn guard_answer(&mut self, api: Api, body: &[u8], took_ms: u64) -> Option<Reply> {
        let verdict = guard::verdict_from_body(api, body);
        self.record_guard(verdict, took_ms);
        if verdict != Verdict::Detected {
            return None;
        }
        let message = self.config.guards.jailbreak.as_ref()?.message.clone();
        let alt_sse = self.parked.as_ref().is_some_and(|p| p.generate.alt_sse);
        let model = self
            .parked
            .as_ref()
            .and_then(|p| p.model.clone())
            .unwrap_or_default();
        Some(self.assistant_reply(&message, &model, self.guard_stream, alt_sse))
    }

    /// The guard call failed: the request goes on (recorded as `unknown`).
    pub(super) fn guard_failed(&mut self, took_ms: u64) {
        self.record_guard(Verdict::Unknown, took_ms);
    }

    fn record_guard(&mut self, verdict: Verdict, took_ms: u64) {
        self.custom_attributes.push((
            "plano.guard.jailbreak".to_owned(),
            verdict.as_str().to_owned(),
        ));
        self.custom_attributes
            .push(("plano.guard.duration_ms".to_owned(), took_ms.to_string()));
    }

    /// `text` as a complete assistant answer in the client's API: a response body, or a
    /// whole stream in the client's streaming format (SSE, Bedrock eventstream, Gemini's JSON
    /// array without `alt=sse`).
    pub(super) fn assistant_reply(
        &self,
        text: &str,
        model: &str,
        stream: bool,
        alt_sse: bool,
    ) -> Reply {
        let client = self.client_api;
        let id = self.response_id();
        let created = self.start_ms / 1000;
        if !stream {
            let response = Response {
                id: id.clone().into(),
                model: model.to_owned().into(),
                created: Some(created),
                choices: vec![Choice {
                    content: vec![Block::Text {
                        text: text.to_owned().into(),
                    }],
                    stop_reason: Some(StopReason::EndTurn),
                    ..Choice::default()
                }],
                ..Response::default()
            };
            let meta = hermesllm::ResponseMeta {
                id: id.into(),
                created,
                model: model.to_owned().into(),
            };
            let mut losses = hermesllm::Losses::default();
            return match hermesllm::translate::encode_response(
                client,
                &response,
                &meta,
                &mut losses,
            ) {
                Ok(body) => Reply::json(200, body),
                Err(_) => Reply::json(500, Vec::new()),
            };
        }
        // The answer as an OpenAI Chat stream, transcoded like any upstream stream.
        let chunk = |delta: serde_json::Value, finish: Option<&str>| {
            let event = serde_json::json!({
                "id": id, "object": "chat.completion.chunk", "created": created, "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            });
            format!("data: {event}\n\n")
        };
        let sse = format!(
            "{}{}{}data: [DONE]\n\n",
            chunk(
                serde_json::json!({"role": "assistant", "content": text}),
                None
            ),
            chunk(serde_json::json!({}), Some("stop")),
            ""
        );
        let meta = StreamMeta {
            id: id.clone().into(),
            created,
            model: model.to_owned().into(),
            include_usage: false,
        };
        let transcoder = Transcoder::new(Api::OpenAiChat, client, meta);
        let content_type = transcoder.content_type().to_owned();
        let array = (client == Api::Gemini && !alt_sse).then(JsonArray::new);
        let json_array = array.is_some();
        let mut state = StreamState {
            transcoder,
            capture: None,
            previous_response_id: None,
            array,
            events: None,
        };
        let mut out = Vec::new();
        state.push(sse.as_bytes(), self.start_ms, &mut out);
        state.finish(self.start_ms, &mut out);
        let content_type = if json_array {
            "application/json".to_owned()
        } else {
            content_type
        };
        Reply {
            status: 200,
            headers: vec![
                ("content-type".to_owned(), content_type),
                ("cache-control".to_owned(), "no-cache".to_owned()),
            ],
            body: out,
        }
    }
}
