//! The answer of a request sent through Envoy's router (a stream written over the held
//! client request): its head judged by the exchange, a stream transcoded chunk by chunk, an
//! error or a body held whole and then replaced in place or retried with dispatch_http_call.

use plano_core::exchange::{AttemptFailure, HeadAction, Next};
use plano_core::kv::now_or_never;
use proxy_wasm::hostcalls;
use proxy_wasm::types::{Action as Flow, BufferType, LogLevel, MapType};

use super::super::host::{log, now_ms, read_buffer, read_map, store, unit};
use super::super::routed;
use super::{Hold, Http, MAX_ERROR_BODY, State};

impl Http {
    /// The router's response head (the upstream's, or Envoy's own answer when no upstream
    /// answered), judged by the exchange.
    pub(super) fn routed_head(&mut self, end_of_stream: bool) -> Flow {
        let now = now_ms();
        if let Some(reason) = routed::envoy_reply_reason() {
            // Connection refused or reset before the head, no head within the route's
            // timeout, no such cluster: a failed attempt, as on the call path.
            let failure = if reason.contains("timeout") {
                AttemptFailure::Timeout
            } else {
                AttemptFailure::Connect(&reason)
            };
            let Some(ex) = self.exchange.as_mut() else {
                return self.internal("no exchange");
            };
            let next = ex.on_upstream_failure(failure, now, unit());
            return self.held_next(next, end_of_stream.then_some(0));
        }
        let headers = read_map(MapType::HttpResponseHeaders);
        let status = headers
            .iter()
            .find(|(n, _)| n == ":status")
            .and_then(|(_, v)| v.parse::<u16>().ok())
            .unwrap_or(502);
        let refs: Vec<(&str, &str)> = headers
            .iter()
            .filter(|(n, _)| !n.starts_with(':'))
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let Some(ex) = self.exchange.as_mut() else {
            drop(refs);
            return self.internal("no exchange");
        };
        let action = ex.on_upstream_head(status, &refs, now);
        drop(refs);
        let hold = match action {
            HeadAction::Stream { status, headers } => {
                if let Err(e) = routed::replace_response_head(status, &headers) {
                    log(LogLevel::Warn, &format!("llm_gateway: response head: {e}"));
                }
                self.state = State::Streaming;
                if end_of_stream {
                    // No body at all: nothing can be appended to a head-only answer.
                    let kv = store();
                    if let Some(ex) = self.exchange.as_mut() {
                        let mut out = Vec::new();
                        let _ = now_or_never(ex.on_upstream_end(&kv, now_ms(), &mut out));
                    }
                    self.state = State::Done;
                }
                return Flow::Continue;
            }
            HeadAction::ReadBody => Hold::Body,
            HeadAction::ReadError => Hold::Error,
        };
        self.state = State::Holding(hold);
        if end_of_stream {
            return self.held_end(0);
        }
        Flow::Pause
    }

    /// A chunk of the router's stream: replaced by the client's bytes it makes ready.
    pub(super) fn stream_chunk(&mut self, size: usize, end_of_stream: bool) -> Flow {
        let chunk = read_buffer(BufferType::HttpResponseBody, size);
        let mut out = Vec::with_capacity(chunk.len().saturating_add(chunk.len() / 2));
        let kv = store();
        if let Some(ex) = self.exchange.as_mut() {
            let _ = now_or_never(ex.on_upstream_chunk(&kv, &chunk, now_ms(), &mut out));
            if end_of_stream {
                let _ = now_or_never(ex.on_upstream_end(&kv, now_ms(), &mut out));
            }
        }
        if end_of_stream {
            self.state = State::Done;
        }
        if let Err(s) = hostcalls::set_buffer(BufferType::HttpResponseBody, 0, size, &out) {
            log(
                LogLevel::Warn,
                &format!("llm_gateway: stream chunk not replaced: {s:?}"),
            );
        }
        Flow::Continue
    }

    /// The held router answer is complete (`size` bytes buffered): the exchange's verdict.
    pub(super) fn held_end(&mut self, size: usize) -> Flow {
        let State::Holding(hold) = std::mem::replace(&mut self.state, State::Done) else {
            return Flow::Continue;
        };
        let max = self
            .vm
            .as_ref()
            .map_or(usize::MAX, |vm| vm.options.max_response_bytes);
        let kv = store();
        let now = now_ms();
        let next = match hold {
            Hold::Reply(reply) => Next::Respond(reply),
            Hold::Error => {
                let body = read_buffer(BufferType::HttpResponseBody, size.min(MAX_ERROR_BODY));
                let Some(ex) = self.exchange.as_mut() else {
                    return self.internal("no exchange");
                };
                ex.on_upstream_failure(AttemptFailure::ErrorBody(&body), now, unit())
            }
            Hold::Body => {
                let Some(ex) = self.exchange.as_mut() else {
                    return self.internal("no exchange");
                };
                if size > max {
                    ex.on_upstream_failure(AttemptFailure::BodyIncomplete, now, unit())
                } else {
                    let body = read_buffer(BufferType::HttpResponseBody, size);
                    match now_or_never(ex.on_upstream_body(&kv, &body, now, unit())) {
                        Some(n) => n,
                        None => {
                            return self.internal("the state store did not answer synchronously");
                        }
                    }
                }
            }
        };
        self.held_next(next, Some(size))
    }

    /// What follows a router attempt: the reply written over the held answer (`held`: its
    /// buffered body size, once complete; `None` while its body is still coming), or a retry
    /// with dispatch_http_call whose answer replaces it.
    fn held_next(&mut self, next: Next, held: Option<usize>) -> Flow {
        match (next, held) {
            (Next::Respond(reply), Some(size)) => {
                let done = routed::replace_response_head(reply.status, &reply.headers)
                    .and_then(|()| routed::replace_response_body(size, &reply.body));
                match done {
                    Ok(()) => {
                        self.state = State::Done;
                        Flow::Continue
                    }
                    // A head-only answer has no body to replace: a local reply instead.
                    Err(e) => {
                        log(
                            LogLevel::Debug,
                            &format!("llm_gateway: in-place reply: {e}"),
                        );
                        self.reply(&reply)
                    }
                }
            }
            (Next::Respond(reply), None) => {
                self.state = State::Holding(Hold::Reply(reply));
                Flow::Pause
            }
            (next, _) => {
                let _ = self.next(next);
                Flow::Pause
            }
        }
    }
}
