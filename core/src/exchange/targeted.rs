//! Prompt targets inside the exchange (requests on the prompt listener): the
//! function-calling model as a side call, then the matched target's endpoint as another,
//! then the LLM with the API's answer (or the answer itself, or a clarifying question, as
//! the assistant's reply). See [`crate::prompts`].

use hermesllm::Api;
use hermesllm::ir::{ApiError, ErrorKind};
use serde_json::{Map, Value};

use super::phases::Exchange;
use super::reply::{Action, Next, Reply};
use super::side::{Parked, PromptStage, Side};
use crate::prompts::{self, Match};
use crate::upstream::UpstreamRequest;

impl Exchange<'_> {
    /// The function-calling request for `p` (`Err`: the reply, when it cannot be built).
    pub(super) fn start_function_call(
        &mut self,
        p: &Parked,
        now_ms: u64,
    ) -> Result<UpstreamRequest, Reply> {
        let prompts = &self.config.prompts;
        let client = p.generate.api;
        let fail =
            |why: &str| Reply::api_error(client, &ApiError::new(ErrorKind::Server, why.to_owned()));
        let model = prompts
            .function_model
            .as_deref()
            .ok_or_else(|| fail("prompt targets are off: no function-calling model"))?;
        let placeholder = p.model.as_deref().unwrap_or("function-calling");
        let meta = super::request::request_meta(&p.generate, placeholder);
        let req = hermesllm::translate::decode_request(client, &p.body, &meta).map_err(|e| {
            Reply::api_error(
                client,
                &ApiError::new(ErrorKind::InvalidRequest, e.to_string()),
            )
        })?;
        // The conversation as OpenAI Chat messages, whatever the client speaks.
        let mut losses = hermesllm::Losses::default();
        let chat = hermesllm::translate::encode_request(Api::OpenAiChat, &req, &mut losses)
            .map_err(|e| {
                fail(&format!(
                    "the conversation cannot be sent to the function-calling model: {e}"
                ))
            })?;
        drop(req);
        let messages = serde_json::from_slice::<Value>(&chat)
            .ok()
            .and_then(|v| v.get("messages").and_then(Value::as_array).cloned())
            .unwrap_or_default();
        let targets = &prompts.targets;
        let system = prompts.system_prompt.as_deref();
        let request = self
            .side_request(
                model,
                |m| prompts::function_request(m, targets, system, messages),
                now_ms,
            )
            .ok_or_else(|| fail("the function-calling model's provider cannot be reached"))?;
        self.side = Some(Side::Function {
            api: request.api,
            sent_ms: now_ms,
        });
        Ok(request)
    }

    /// The function-calling model's answer.
    pub(super) fn function_answer(&mut self, api: Api, body: &[u8]) -> Next {
        let targets = &self.config.prompts.targets;
        let decided = prompts::read_answer(api, body, targets);
        let m = match decided {
            Ok(m) => m,
            Err(why) => return self.prompt_error(&why),
        };
        let (target, arguments, call_id) = match m {
            Match::Clarify(question) => {
                self.custom_attributes
                    .push(("plano.prompt.outcome".to_owned(), "clarify".to_owned()));
                return self.answer_directly(&question);
            }
            Match::Call {
                target,
                arguments,
                call_id,
            } => (target, arguments, call_id),
            Match::None => match targets.iter().position(|t| t.default) {
                Some(i) => {
                    let defaults = targets
                        .get(i)
                        .map(|t| {
                            t.parameters
                                .iter()
                                .filter_map(|p| Some((p.name.clone(), p.default.clone()?)))
                                .collect()
                        })
                        .unwrap_or_default();
                    (i, defaults, "call_default".to_owned())
                }
                None => {
                    // No target: the LLM answers, under the global system prompt.
                    self.custom_attributes
                        .push(("plano.prompt.outcome".to_owned(), "no_match".to_owned()));
                    let system = self.config.prompts.system_prompt.clone();
                    return self.rewrite_parked(system.as_deref(), None, None);
                }
            },
        };
        let Some(t) = targets.get(target) else {
            return self.prompt_error("matched an unknown prompt target");
        };
        self.custom_attributes
            .push(("plano.prompt.target".to_owned(), t.name.clone()));
        let request = match prompts::endpoint_request(t, &arguments) {
            Ok(r) => r,
            Err(why) => return self.prompt_error(&why),
        };
        if let Some(p) = self.parked.as_mut() {
            p.prompt = PromptStage::Call {
                request: Box::new(request),
                target,
                call_id,
                arguments,
            };
        }
        self.continue_parked()
    }

    /// The endpoint call to send for a matched target.
    pub(super) fn start_endpoint_call(
        &mut self,
        request: UpstreamRequest,
        target: usize,
        call_id: String,
        arguments: Map<String, Value>,
        now_ms: u64,
    ) -> UpstreamRequest {
        self.side = Some(Side::Endpoint {
            target,
            call_id,
            arguments,
            sent_ms: now_ms,
        });
        request
    }

    /// The endpoint's answer: on to the LLM with it, or straight to the client.
    pub(super) fn endpoint_answer(
        &mut self,
        target: usize,
        call_id: &str,
        arguments: &Map<String, Value>,
        body: &[u8],
    ) -> Next {
        let Some(t) = self.config.prompts.targets.get(target) else {
            return self.prompt_error("matched an unknown prompt target");
        };
        let cut = body.get(..prompts::call::MAX_API_RESULT).unwrap_or(body);
        let result = String::from_utf8_lossy(cut).into_owned();
        if !t.auto_llm_dispatch_on_response {
            self.custom_attributes
                .push(("plano.prompt.outcome".to_owned(), "api_result".to_owned()));
            return self.answer_directly(&result);
        }
        self.custom_attributes
            .push(("plano.prompt.outcome".to_owned(), "llm".to_owned()));
        let system = t
            .system_prompt
            .clone()
            .or_else(|| self.config.prompts.system_prompt.clone());
        let t = t.clone();
        self.rewrite_parked(
            system.as_deref(),
            Some((&t, call_id, arguments)),
            Some(&result),
        )
    }

    /// The endpoint failed: a 502 in the client's shape naming the target (never its URL's
    /// credentials).
    pub(super) fn endpoint_failed(&mut self, target: usize, status: Option<u16>) -> Next {
        let name = self
            .config
            .prompts
            .targets
            .get(target)
            .map_or("?", |t| t.name.as_str());
        let why = match status {
            Some(s) => format!("the endpoint of prompt target `{name}` answered {s}"),
            None => format!("the endpoint of prompt target `{name}` could not be reached"),
        };
        self.prompt_error(&why)
    }

    /// The function-calling model failed.
    pub(super) fn function_failed(&mut self, status: Option<u16>) -> Next {
        let why = match status {
            Some(s) => format!("the function-calling model answered {s}"),
            None => "the function-calling model could not be reached".to_owned(),
        };
        self.prompt_error(&why)
    }

    /// Rewrites the parked body for the LLM (system prompt, the call and its result) and
    /// goes on.
    fn rewrite_parked(
        &mut self,
        system: Option<&str>,
        call: Option<(&crate::config::PromptTarget, &str, &Map<String, Value>)>,
        result: Option<&str>,
    ) -> Next {
        let Some(p) = self.parked.as_mut() else {
            return self.prompt_error("no request to continue");
        };
        p.prompt = PromptStage::Done;
        let placeholder = p.model.clone().unwrap_or_else(|| "llm".to_owned());
        let meta = super::request::request_meta(&p.generate, &placeholder);
        match prompts::with_api_result(p.generate.api, &p.body, &meta, system, call, result) {
            Ok(body) => {
                p.body = body;
                self.continue_parked()
            }
            Err(why) => self.prompt_error(&why),
        }
    }

    /// Answers `text` as the assistant, in the client's API.
    fn answer_directly(&mut self, text: &str) -> Next {
        let Some(p) = self.parked.take() else {
            return self.prompt_error("no request to answer");
        };
        let stream = {
            let meta = super::request::request_meta(&p.generate, "m");
            hermesllm::translate::decode_request(p.generate.api, &p.body, &meta)
                .map(|r| r.stream)
                .unwrap_or(false)
                || p.generate.stream
        };
        let model = p.model.clone().unwrap_or_default();
        let reply = self.assistant_reply(text, &model, stream, p.generate.alt_sse);
        match self.respond(reply) {
            Action::Respond(r) => Next::Respond(r),
            Action::Send(_) => Next::Respond(Reply::json(500, Vec::new())),
        }
    }

    fn prompt_error(&mut self, why: &str) -> Next {
        self.parked = None;
        let err = ApiError::new(ErrorKind::Server, why.to_owned());
        let mut err = err;
        err.status = 502;
        let reply = Reply::api_error(self.client_api, &err);
        match self.respond(reply) {
            Action::Respond(r) => Next::Respond(r),
            Action::Send(_) => Next::Respond(Reply::json(502, Vec::new())),
        }
    }

    fn continue_parked(&mut self) -> Next {
        self.phase = super::phases::Phase::Retrying;
        Next::Retry {
            delay_ms: 0,
            fallback: false,
        }
    }
}
