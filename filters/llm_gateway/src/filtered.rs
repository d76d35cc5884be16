//! A stream on a listener with output filters, transcoded across callbacks.
//!
//! Each complete event needs the output filters' calls before it is released
//! ([`Exchange::stream_call`]). In a proxy-wasm filter a call's answer arrives in a later
//! callback (`on_http_call_response`), so the stream cannot be transcoded in one go: this
//! keeps what the next callback needs — the upstream body (copied out of the upstream call's
//! response, which is only readable during its own callback), how far it was fed to the
//! exchange, whether its end was, and the client bytes produced so far — and
//! [`FilteredStream::step`] goes on until the next call or the end. The client gets the whole
//! result at the end (one local reply), so the filters' calls are made in the event order.
//!
//! Builds natively (no proxy-wasm calls), so the unit tests drive it with a real exchange.

use plano_core::exchange::{Exchange, Reply};
use plano_core::kv::{Kv, now_or_never};
use plano_core::upstream::UpstreamRequest;

/// How much of the upstream body is given to the exchange at a time.
const SLICE: usize = 64 * 1024;

/// The largest filter answer read; a larger one is no answer (as the core's async driver).
pub const MAX_FILTER_ANSWER: usize = 4 << 20;

/// What the host does next.
#[derive(Debug)]
pub enum Step {
    /// Send this filter call; give its answer to [`FilteredStream::answer`], then step again.
    Call(UpstreamRequest),
    /// The stream is over: answer the client with this (its head and every client byte).
    Reply(Reply),
}

/// A stream being transcoded through the output filters.
#[derive(Debug)]
pub struct FilteredStream {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    at: usize,
    ended: bool,
    out: Vec<u8>,
}

impl FilteredStream {
    /// The stream the exchange accepted (`status` and `headers`: the client's head from
    /// `HeadAction::Stream`) over the whole upstream `body`.
    pub fn new(status: u16, headers: Vec<(String, String)>, body: Vec<u8>) -> Self {
        let out = Vec::with_capacity(body.len().saturating_add(body.len() / 2));
        FilteredStream {
            status,
            headers,
            body,
            at: 0,
            ended: false,
            out,
        }
    }

    /// Feeds the exchange until it needs a filter call, or the stream is over (the upstream
    /// body ended and every event is released, or the exchange ended it: a rejection).
    pub fn step(&mut self, ex: &mut Exchange<'_>, kv: &impl Kv, now_ms: impl Fn() -> u64) -> Step {
        loop {
            if let Some(request) = ex.stream_call() {
                return Step::Call(request);
            }
            if self.ended || ex.is_done() {
                self.body = Vec::new();
                return Step::Reply(Reply {
                    status: self.status,
                    headers: std::mem::take(&mut self.headers),
                    body: std::mem::take(&mut self.out),
                });
            }
            if self.at < self.body.len() {
                let end = piece_end(&self.body, self.at);
                let chunk = self.body.get(self.at..end).unwrap_or_default();
                self.at = end;
                let _ = now_or_never(ex.on_upstream_chunk(kv, chunk, now_ms(), &mut self.out));
            } else {
                self.ended = true;
                let _ = now_or_never(ex.on_upstream_end(kv, now_ms(), &mut self.out));
            }
        }
    }

    /// The answer to the last [`Step::Call`]: its status, headers and body, or `status`
    /// `None` when it got none (no cluster, connection failure, timeout, over
    /// [`MAX_FILTER_ANSWER`]). A rejection or failure ends the stream with the client's
    /// error event (the exchange writes it).
    pub fn answer(
        &mut self,
        ex: &mut Exchange<'_>,
        kv: &impl Kv,
        status: Option<u16>,
        headers: &[(&str, &str)],
        body: &[u8],
        now_ms: u64,
    ) {
        let _ = now_or_never(ex.on_stream_call(kv, status, headers, body, now_ms, &mut self.out));
    }
}

/// Where the piece of `body` fed to the exchange from `at` ends: one upstream event (at most
/// [`SLICE`] bytes), as a provider sends them. Feeding the whole body at once would let the
/// transcoder see the stream's end while earlier events still wait for their filter calls,
/// and a rejection after that point could no longer append the client's error event (an
/// ended transcoder writes nothing more).
fn piece_end(body: &[u8], at: usize) -> usize {
    let rest = body.get(at..).unwrap_or_default();
    let len = match rest {
        // Bedrock's eventstream (a frame's length, big-endian, begins it; under 16 MiB, so
        // its first byte is 0, which no SSE stream begins with).
        [0, b1, b2, b3, ..] => usize::from(*b1) << 16 | usize::from(*b2) << 8 | usize::from(*b3),
        // SSE: up to and including the blank line that ends the event.
        _ => {
            let lf = rest.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
            let crlf = rest
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map(|i| i + 4);
            match (lf, crlf) {
                (Some(a), Some(b)) => a.min(b),
                (a, b) => a.or(b).unwrap_or(rest.len()),
            }
        }
    };
    at.saturating_add(len.clamp(1, SLICE)).min(body.len())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use std::collections::BTreeMap;

    use plano_core::config::Config;
    use plano_core::exchange::{Action, ExchangeOptions, HeadAction, Ids, RequestHead};
    use plano_core::kv::MemoryKv;
    use plano_core::time::ManualClock;

    use super::*;

    const YAML: &str = r#"version: v0.4.0
listeners:
  - type: model
    name: llm
    port: 12000
    output_filters: [redact]
model_providers:
  - model: openai/gpt-4o
    access_key: sk-test
    base_url: http://127.0.0.1:9/
    default: true
filters:
  - id: redact
    url: http://127.0.0.1:7000/filter
    type: http
"#;

    const ASK: &str = r#"{"model":"gpt-4o","stream":true,"max_tokens":64,"messages":[{"role":"user","content":"hi"}]}"#;

    fn event(text: &str) -> String {
        format!(
            "data: {{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{text}\"}},\"finish_reason\":null}}]}}\n\n"
        )
    }

    fn upstream() -> Vec<u8> {
        let mut b = String::new();
        for t in ["one", "two", "three"] {
            b.push_str(&event(t));
        }
        b.push_str("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
        b.push_str("data: [DONE]\n\n");
        b.into_bytes()
    }

    /// Runs a stream through the filters; `filter` answers each call's body with a status
    /// and a body. Returns the client's reply and the filter calls' bodies, in order.
    fn run(target: &str, filter: impl Fn(&[u8]) -> (u16, Vec<u8>)) -> (Reply, Vec<Vec<u8>>) {
        let config = Config::load(YAML, &BTreeMap::new()).unwrap();
        let kv = MemoryKv::new(ManualClock::default());
        let mut options = ExchangeOptions::default();
        options.stream_calls = true;
        let ids = Ids {
            token: "t".repeat(32),
            span_id: [1; 8],
        };
        let mut ex = Exchange::new(&config, options, ids, 0);
        assert!(ex.has_output_filters());
        let head = RequestHead {
            method: "POST",
            target,
            headers: &[
                ("content-type", "application/json"),
                ("anthropic-version", "2023-06-01"),
            ],
        };
        match now_or_never(ex.on_request(&kv, &head, ASK.as_bytes(), 0)).unwrap() {
            Action::Send(_) => {}
            Action::Respond(r) => panic!("answered {}", String::from_utf8_lossy(&r.body)),
        }
        let HeadAction::Stream { status, headers } =
            ex.on_upstream_head(200, &[("content-type", "text/event-stream")], 1)
        else {
            panic!("not a stream")
        };
        let mut s = FilteredStream::new(status, headers, upstream());
        let mut calls = Vec::new();
        loop {
            match s.step(&mut ex, &kv, || 2) {
                Step::Call(req) => {
                    assert!(req.url.starts_with("http://127.0.0.1:7000/filter"));
                    let (st, body) = filter(&req.body);
                    calls.push(req.body.clone());
                    s.answer(&mut ex, &kv, Some(st), &[], &body, 3);
                }
                Step::Reply(r) => return (r, calls),
            }
        }
    }

    fn text(r: &Reply) -> String {
        String::from_utf8_lossy(&r.body).into_owned()
    }

    #[test]
    fn the_body_is_fed_one_upstream_event_at_a_time() {
        let sse = b"data: a\n\ndata: b\r\n\r\ndata: c";
        assert_eq!(piece_end(sse, 0), 9);
        assert_eq!(piece_end(sse, 9), 20);
        assert_eq!(piece_end(sse, 20), sse.len());
        let mut es = vec![0, 0, 0, 6, 1, 2, 0, 0, 0, 5, 9];
        assert_eq!(piece_end(&es, 0), 6);
        assert_eq!(piece_end(&es, 6), es.len());
        es.extend(vec![7; SLICE * 2]);
        assert_eq!(piece_end(&es, es.len() - SLICE * 2), es.len() - SLICE);
    }

    #[test]
    fn every_event_is_filtered_in_order_and_rewrites_reach_the_client() {
        let (reply, calls) = run("/v1/chat/completions", |b| {
            let s = String::from_utf8_lossy(b).replace("two", "[REDACTED]");
            (200, s.into_bytes())
        });
        assert_eq!(reply.status, 200);
        // One call per complete event, in the stream's order.
        assert!(calls.len() >= 3, "{} calls", calls.len());
        let order: Vec<usize> = ["one", "two", "three"]
            .iter()
            .map(|t| {
                calls
                    .iter()
                    .position(|c| String::from_utf8_lossy(c).contains(t))
                    .unwrap()
            })
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
        let out = text(&reply);
        assert!(out.contains("one") && out.contains("three"), "{out}");
        assert!(
            out.contains("[REDACTED]") && !out.contains("\"two\""),
            "{out}"
        );
        assert!(out.trim_end().ends_with("data: [DONE]"), "{out}");
    }

    #[test]
    fn a_rejection_mid_stream_ends_it_with_the_clients_error_event() {
        for (target, error) in [
            ("/v1/chat/completions", "data: {\"error\""),
            ("/v1/messages", "event: error"),
        ] {
            rejected(target, error);
        }
    }

    fn rejected(target: &str, error: &str) {
        let (reply, calls) = run(target, |b| {
            if String::from_utf8_lossy(b).contains("two") {
                (403, br#"{"message":"blocked"}"#.to_vec())
            } else {
                (200, b.to_vec())
            }
        });
        // Nothing after the rejected event is sent to the filter or the client.
        assert!(
            !calls
                .iter()
                .any(|c| String::from_utf8_lossy(c).contains("three"))
        );
        let out = text(&reply);
        assert!(out.contains("one"), "{out}");
        assert!(!out.contains("two") && !out.contains("three"), "{out}");
        assert!(out.contains(error), "{target}: {out}");
        assert!(
            !out.contains("[DONE]") && !out.contains("message_stop"),
            "{out}"
        );
    }

    #[test]
    fn a_filter_without_an_answer_fails_the_stream_closed() {
        for target in ["/v1/chat/completions", "/v1/messages"] {
            fails_closed(target);
        }
    }

    fn fails_closed(target: &str) {
        let config = Config::load(YAML, &BTreeMap::new()).unwrap();
        let kv = MemoryKv::new(ManualClock::default());
        let mut options = ExchangeOptions::default();
        options.stream_calls = true;
        let ids = Ids {
            token: "t".repeat(32),
            span_id: [1; 8],
        };
        let mut ex = Exchange::new(&config, options, ids, 0);
        let head = RequestHead {
            method: "POST",
            target,
            headers: &[("anthropic-version", "2023-06-01")],
        };
        let _ = now_or_never(ex.on_request(&kv, &head, ASK.as_bytes(), 0)).unwrap();
        let HeadAction::Stream { status, headers } =
            ex.on_upstream_head(200, &[("content-type", "text/event-stream")], 1)
        else {
            panic!("not a stream")
        };
        let mut s = FilteredStream::new(status, headers, upstream());
        let Step::Call(_) = s.step(&mut ex, &kv, || 2) else {
            panic!("no filter call")
        };
        s.answer(&mut ex, &kv, None, &[], &[], 3);
        let Step::Reply(reply) = s.step(&mut ex, &kv, || 4) else {
            panic!("called again after a failure")
        };
        let out = text(&reply);
        assert!(ex.is_done());
        assert!(
            out.contains("error") && !out.contains("one"),
            "{target}: {out:?}"
        );
    }
}
