//! Output filters on the model listener: an HTTP filter rewriting, keeping and rejecting a
//! non-streaming answer (in the client's shape), failures closing, an MCP filter chained
//! after an HTTP one, and streams filtered per complete event in four client formats (chat
//! SSE, Anthropic SSE with event names, a Gemini JSON array, a Bedrock eventstream), with a
//! rejection ending a stream mid-way and the rate-limit usage staying the upstream's.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod exchange_support;

use exchange_support::*;
use hermesllm::stream::{EventStreamFramer, SseFramer};
use plano_core::exchange::driver::SendError;
use plano_core::exchange::{Action, Exchange, ExchangeOptions, Ids, RequestHead};
use serde_json::{Value, json};

const FILTERS: &str = r#"filters:
  - id: redact
    url: http://127.0.0.1:7000
    type: http
  - id: policy
    url: http://127.0.0.1:7001/mcp
    type: mcp
    tool: check_response
"#;

const ASK: &str = r#"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"#;

fn gw(ids: &str) -> Gw {
    Gw::new(config_listener(
        12000,
        &format!("    output_filters: [{ids}]\n"),
        FILTERS,
    ))
}

fn openai_ok() -> Canned {
    Canned::ok(fixture("openai_chat/responses/text.json"))
}

fn mcp_init() -> Canned {
    Canned::ok(br#"{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"f","version":"1"}}}"#.to_vec())
        .header("mcp-session-id", "sess-7")
}

fn mcp_result(body: &Value) -> Canned {
    Canned::ok(
        serde_json::to_vec(
            &json!({"jsonrpc":"2.0","id":2,"result":{"structuredContent":{"body":body}}}),
        )
        .unwrap(),
    )
}

fn attr(out: &Outcome, key: &str) -> Option<String> {
    out.record
        .custom_attributes
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

#[test]
fn an_http_filter_rewrites_the_answer_and_usage_stays_the_upstreams() {
    let gw = gw("redact");
    let upstream = fixture("openai_chat/responses/text.json");
    let mut rewritten: Value = serde_json::from_slice(&upstream).unwrap();
    rewritten["choices"][0]["message"]["content"] = json!("[REDACTED]");
    rewritten["usage"] = json!({"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2});
    let (out, sent) = gw.post(
        "/v1/chat/completions",
        ASK,
        vec![
            openai_ok(),
            Canned::ok(serde_json::to_vec(&rewritten).unwrap()),
        ],
    );
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].url, "http://127.0.0.1:7000/v1/chat/completions");
    assert_eq!(
        sent[1].body, upstream,
        "the filter sees the client's answer"
    );
    assert_eq!(out.json()["choices"][0]["message"]["content"], "[REDACTED]");
    assert_eq!(
        attr(&out, "plano.output_filter.redact").as_deref(),
        Some("replaced")
    );
    let upstream_usage: Value =
        serde_json::from_slice::<Value>(&upstream).unwrap()["usage"].clone();
    let u = out.record.usage.unwrap();
    assert_eq!(
        u.input_tokens,
        upstream_usage["prompt_tokens"].as_u64().unwrap(),
        "usage is the upstream's, not the filter's"
    );
}

#[test]
fn the_filter_sees_the_clients_api_not_the_upstreams() {
    // An Anthropic client served by OpenAI: the filter gets an Anthropic message.
    let gw = gw("redact");
    let body = r#"{"model":"gpt-4o","max_tokens":5,"messages":[{"role":"user","content":"x"}]}"#;
    let (out, sent) = gw.post(
        "/v1/messages",
        body,
        vec![openai_ok(), Canned::ok(Vec::new())],
    );
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(sent[1].url, "http://127.0.0.1:7000/v1/messages");
    assert_eq!(sent[1].json()["type"], "message");
    assert_eq!(out.json()["type"], "message", "an empty answer keeps it");
    assert_eq!(out.body(), sent[1].body);
    assert_eq!(
        attr(&out, "plano.output_filter.redact").as_deref(),
        Some("kept")
    );
}

#[test]
fn a_4xx_rejects_in_the_clients_shape() {
    let gw = gw("redact");
    let (out, sent) = gw.post(
        "/v1/chat/completions",
        ASK,
        vec![
            openai_ok(),
            Canned::status(
                451,
                br#"{"error":{"message":"not for your eyes"}}"#.to_vec(),
            ),
        ],
    );
    assert_eq!(out.status, 451);
    assert_eq!(sent.len(), 2);
    assert_eq!(out.json()["error"]["message"], "not for your eyes");
    assert_eq!(
        attr(&out, "plano.output_filter.redact").as_deref(),
        Some("rejected")
    );
    assert!(
        out.record.usage.is_some(),
        "the model's tokens are still counted"
    );
    let body = r#"{"model":"gpt-4o","max_tokens":5,"messages":[{"role":"user","content":"x"}]}"#;
    let (out, _) = gw.post(
        "/v1/messages",
        body,
        vec![openai_ok(), Canned::status(403, b"blocked".to_vec())],
    );
    assert_eq!(out.status, 403);
    assert_eq!(out.json()["type"], "error");
    assert_eq!(out.json()["error"]["message"], "blocked");
}

#[test]
fn failing_filters_fail_closed() {
    for canned in [
        Canned::status(500, b"boom".to_vec()),
        Canned::Fail(SendError::Connect("refused".into())),
        Canned::Fail(SendError::Timeout),
        Canned::ok(b"not json".to_vec()),
        Canned::ok(b"[1,2]".to_vec()),
    ] {
        let gw = gw("redact");
        let (out, sent) = gw.post(
            "/v1/chat/completions",
            ASK,
            vec![openai_ok(), canned.clone()],
        );
        assert_eq!(out.status, 502, "{canned:?}: {}", out.text());
        assert_eq!(sent.len(), 2);
        let msg = out.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(msg.contains("response filter `redact`"), "{msg}");
        assert!(
            !out.text().contains("content\":\"Hello"),
            "nothing of the answer leaks"
        );
        assert_eq!(
            attr(&out, "plano.output_filter.redact").as_deref(),
            Some("failed")
        );
    }
}

#[test]
fn filters_chain_in_order_http_then_mcp() {
    let gw = gw("redact, policy");
    let step1 = json!({"id":"x","object":"chat.completion","created":1,"model":"gpt-4o",
        "choices":[{"index":0,"message":{"role":"assistant","content":"step 1"},"finish_reason":"stop"}]});
    let mut step2 = step1.clone();
    step2["choices"][0]["message"]["content"] = json!("step 2");
    let (out, sent) = gw.post(
        "/v1/chat/completions",
        ASK,
        vec![
            openai_ok(),
            Canned::ok(serde_json::to_vec(&step1).unwrap()),
            mcp_init(),
            Canned::status(202, Vec::new()),
            mcp_result(&step2),
        ],
    );
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(sent.len(), 5);
    assert_eq!(sent[2].json()["method"], "initialize");
    assert_eq!(sent[3].json()["method"], "notifications/initialized");
    assert_eq!(sent[3].header("mcp-session-id"), Some("sess-7"));
    let call = sent[4].json();
    assert_eq!(call["params"]["name"], "check_response");
    assert_eq!(
        call["params"]["arguments"]["body"]["choices"][0]["message"]["content"], "step 1",
        "the MCP filter sees the HTTP filter's output"
    );
    assert_eq!(sent[4].header("mcp-session-id"), Some("sess-7"));
    assert_eq!(out.json()["choices"][0]["message"]["content"], "step 2");
    assert_eq!(
        attr(&out, "plano.output_filter.policy").as_deref(),
        Some("replaced")
    );
}

#[test]
fn an_mcp_error_rejects() {
    let gw = gw("policy");
    let err = br#"{"jsonrpc":"2.0","id":2,"result":{"isError":true,"content":[{"type":"text","text":"leaks a secret"}]}}"#;
    let (out, _) = gw.post(
        "/v1/chat/completions",
        ASK,
        vec![
            openai_ok(),
            mcp_init(),
            Canned::status(202, Vec::new()),
            Canned::ok(err.to_vec()),
        ],
    );
    assert_eq!(out.status, 400);
    assert_eq!(out.json()["error"]["message"], "leaks a secret");
}

// ---- streams ----

/// The JSON events of an SSE text: (event name, data).
fn sse_events(text: &[u8]) -> Vec<(String, String)> {
    let mut f = SseFramer::new();
    f.push(text);
    f.finish();
    let mut out = Vec::new();
    while let Some(ev) = f.next_event() {
        let ev = ev.unwrap();
        if serde_json::from_str::<Value>(ev.data).is_ok_and(|v| v.is_object()) {
            out.push((ev.event.to_owned(), ev.data.to_owned()));
        }
    }
    out
}

/// A filter answer per event: `{"n": i}` for event i.
fn numbered(n: usize) -> Vec<Canned> {
    (0..n)
        .map(|i| Canned::ok(json!({ "n": i }).to_string().into_bytes()))
        .collect()
}

fn stream_chat() -> String {
    r#"{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hi"}]}"#.to_owned()
}

#[test]
fn a_chat_stream_is_filtered_per_event_in_any_chunking() {
    let upstream = fixture("openai_chat/streams/text.sse");
    let events = sse_events(&upstream);
    assert!(events.len() >= 5);
    for size in [1, 17, upstream.len()] {
        let gw = gw("redact");
        let mut canned = vec![Canned::chunked(&upstream, size)];
        canned.extend(numbered(events.len()));
        let (out, sent) = gw.post("/v1/chat/completions", &stream_chat(), canned);
        assert_eq!(out.status, 200, "{}", out.text());
        assert_eq!(sent.len(), 1 + events.len(), "one call per event");
        for (i, (_, data)) in events.iter().enumerate() {
            assert_eq!(
                sent[1 + i].json(),
                serde_json::from_str::<Value>(data).unwrap(),
                "event {i} goes to the filter whole"
            );
            assert_eq!(sent[1 + i].url, "http://127.0.0.1:7000/v1/chat/completions");
        }
        let expected: String = (0..events.len())
            .map(|i| format!("data: {{\"n\":{i}}}\n\n"))
            .collect::<String>()
            + "data: [DONE]\n\n";
        assert_eq!(out.text(), expected);
        // The rewritten events carry no usage: the record keeps the upstream's.
        assert!(out.record.usage.is_some());
        assert!(out.record.summary.as_ref().unwrap().completed);
        assert_eq!(
            attr(&out, "plano.output_filter.events"),
            Some(events.len().to_string())
        );
    }
}

#[test]
fn an_anthropic_stream_keeps_its_event_names_and_kept_events_are_untouched() {
    let gw = gw("redact");
    let upstream = fixture("anthropic_messages/streams/text.sse");
    let events = sse_events(&upstream);
    let body = r#"{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"Hi"}]}"#;
    let mut canned = vec![Canned::chunked(&upstream, 29)];
    // Rewrite the text deltas, keep everything else.
    let mut rewritten = 0;
    for (name, data) in &events {
        if name == "content_block_delta" {
            let mut v: Value = serde_json::from_str(data).unwrap();
            v["delta"]["text"] = json!("*");
            canned.push(Canned::ok(v.to_string().into_bytes()));
            rewritten += 1;
        } else {
            canned.push(Canned::ok(Vec::new()));
        }
    }
    assert!(rewritten >= 1);
    let (out, sent) = gw.post("/v1/messages", body, canned);
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(sent.len(), 1 + events.len());
    let got = sse_events(out.text().as_bytes());
    assert_eq!(got.len(), events.len());
    for ((name, data), (got_name, got_data)) in events.iter().zip(&got) {
        assert_eq!(name, got_name, "event names are kept");
        if name == "content_block_delta" {
            assert_eq!(
                serde_json::from_str::<Value>(got_data).unwrap()["delta"]["text"],
                "*"
            );
        } else {
            assert_eq!(data, got_data);
        }
    }
    let u = out.record.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (25, 15));
}

#[test]
fn a_rejection_mid_stream_ends_it_with_the_clients_error_event() {
    let gw = gw("redact");
    let upstream = fixture("anthropic_messages/streams/text.sse");
    let body = r#"{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"Hi"}]}"#;
    let canned = vec![
        Canned::chunked(&upstream, 40),
        Canned::ok(Vec::new()),
        Canned::status(403, br#"{"message":"no more"}"#.to_vec()),
    ];
    let (out, sent) = gw.post("/v1/messages", body, canned);
    assert_eq!(out.status, 200);
    assert_eq!(sent.len(), 3, "no call after the rejection");
    let got = sse_events(out.text().as_bytes());
    assert_eq!(got.len(), 2, "{}", out.text());
    assert_eq!(got[0].0, "message_start");
    assert_eq!(got[1].0, "error");
    assert!(got[1].1.contains("no more"), "{}", got[1].1);
    assert!(!out.text().contains("message_stop"));
    assert_eq!(
        attr(&out, "plano.output_filter.redact").as_deref(),
        Some("rejected")
    );
}

#[test]
fn a_rejection_after_the_translated_stream_ended_still_ends_it_with_an_error_event() {
    // The whole upstream stream in one chunk: the transcoder has written the client stream's
    // end before the filter sees the events, so the error event must come from past it.
    let gw = gw("redact");
    let upstream = fixture("openai_chat/streams/text.sse");
    let body = r#"{"model":"gpt-4o","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"Hi"}]}"#;
    let canned = vec![
        Canned::chunked(&upstream, upstream.len()),
        Canned::ok(Vec::new()),
        Canned::ok(Vec::new()),
        Canned::status(403, br#"{"message":"no more"}"#.to_vec()),
    ];
    let (out, sent) = gw.post("/v1/messages", body, canned);
    assert_eq!(out.status, 200);
    assert_eq!(sent.len(), 4, "no call after the rejection");
    let got = sse_events(out.text().as_bytes());
    assert_eq!(got.len(), 3, "{}", out.text());
    assert_eq!(got[0].0, "message_start");
    assert_eq!(got[2].0, "error", "{}", out.text());
    assert!(got[2].1.contains("no more"), "{}", got[2].1);
    assert!(!out.text().contains("message_stop"));
}

#[test]
fn a_failing_filter_mid_stream_fails_closed() {
    let gw = gw("redact");
    let upstream = fixture("openai_chat/streams/text.sse");
    let canned = vec![
        Canned::chunked(&upstream, 40),
        Canned::Fail(SendError::Connect("refused".into())),
    ];
    let (out, sent) = gw.post("/v1/chat/completions", &stream_chat(), canned);
    assert_eq!(sent.len(), 2);
    let text = out.text();
    assert!(!text.contains("Hello"), "no unfiltered event: {text}");
    assert!(text.contains("response filter `redact` failed"), "{text}");
}

#[test]
fn a_gemini_array_stream_is_filtered_per_element() {
    let gw = gw("redact");
    let upstream = fixture("gemini/streams/text.sse");
    let n = sse_events(&upstream).len();
    let mut canned = vec![Canned::chunked(&upstream, 9)];
    canned.extend(numbered(n));
    let body = r#"{"contents":[{"role":"user","parts":[{"text":"Hi"}]}]}"#;
    let (out, sent) = gw.post(
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
        body,
        canned,
    );
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(out.header("content-type"), Some("application/json"));
    assert_eq!(sent.len(), 1 + n);
    assert!(
        sent[1].json().get("candidates").is_some(),
        "an element goes to the filter"
    );
    let expected: Vec<Value> = (0..n).map(|i| json!({ "n": i })).collect();
    assert_eq!(out.json(), Value::Array(expected));
}

#[test]
fn a_bedrock_eventstream_is_filtered_per_event_message() {
    let gw = gw("redact");
    let upstream = bedrock_capture("converse-stream-text.bin");
    let payloads = |bytes: &[u8]| {
        let mut f = EventStreamFramer::new();
        f.push(bytes);
        let mut out = Vec::new();
        while let Some(m) = f.next_message() {
            let m = m.unwrap();
            out.push((
                m.event_type.to_owned(),
                serde_json::from_slice::<Value>(m.payload).unwrap(),
            ));
        }
        out
    };
    let events = payloads(&upstream);
    let mut canned = vec![Canned::chunked(&upstream, 33)];
    for (ty, v) in &events {
        let mut v = v.clone();
        if ty == "contentBlockDelta" {
            v["delta"]["text"] = json!("#");
        }
        canned.push(Canned::ok(v.to_string().into_bytes()));
    }
    let body = r#"{"messages":[{"role":"user","content":[{"text":"Hi"}]}]}"#;
    let (out, sent) = gw.post(
        "/model/us.anthropic.claude-sonnet-4-5-v1:0/converse-stream",
        body,
        canned,
    );
    assert_eq!(out.status, 200);
    assert_eq!(sent.len(), 1 + events.len());
    let got = payloads(&out.body());
    assert_eq!(got.len(), events.len());
    for ((ty, _), (got_ty, got_v)) in events.iter().zip(&got) {
        assert_eq!(ty, got_ty, "event types (headers) are kept");
        if ty == "contentBlockDelta" {
            assert_eq!(got_v["delta"]["text"], "#");
        }
    }
    assert!(out.record.usage.is_some());
}

#[test]
fn an_mcp_filter_on_a_stream_opens_one_session() {
    let gw = gw("policy");
    let upstream = fixture("openai_chat/streams/text.sse");
    let n = sse_events(&upstream).len();
    let mut canned = vec![
        Canned::chunked(&upstream, 64),
        mcp_init(),
        Canned::status(202, Vec::new()),
    ];
    for i in 0..n {
        canned.push(mcp_result(&json!({ "n": i })));
    }
    let (out, sent) = gw.post("/v1/chat/completions", &stream_chat(), canned);
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(
        sent.len(),
        3 + n,
        "initialize once, then one tools/call per event"
    );
    assert!(sent[3..].iter().all(
        |s| s.json()["method"] == "tools/call" && s.header("mcp-session-id") == Some("sess-7")
    ));
    assert!(out.text().starts_with("data: {\"n\":0}\n\n"));
}

#[test]
fn a_host_that_cannot_drive_stream_calls_refuses_filtered_streams() {
    let gw = gw("redact");
    let mut ex = Exchange::new(
        &gw.config,
        ExchangeOptions::default(),
        Ids {
            token: "t".repeat(32),
            span_id: [1; 8],
        },
        0,
    );
    let head = RequestHead {
        method: "POST",
        target: "/v1/chat/completions",
        headers: &[],
    };
    let action = futures_ready(ex.on_request(&gw.kv, &head, stream_chat().as_bytes(), 0));
    match action {
        Action::Respond(r) => {
            assert_eq!(r.status, 501);
            assert!(String::from_utf8_lossy(&r.body).contains("output filters"));
        }
        Action::Send(r) => panic!("sent {}", r.url),
    }
}

#[test]
fn the_exchange_tells_whether_its_listener_has_output_filters() {
    let ids = || Ids {
        token: "t".repeat(32),
        span_id: [1; 8],
    };
    let filtered = gw("redact");
    let ex = Exchange::new(&filtered.config, ExchangeOptions::default(), ids(), 0);
    assert!(ex.has_output_filters());
    // The prompt listener (absent here) has none.
    let prompt = ExchangeOptions::default().prompt_listener(true);
    assert!(!Exchange::new(&filtered.config, prompt, ids(), 0).has_output_filters());
    let plain = Gw::new(config_listener(12000, "", FILTERS));
    let ex = Exchange::new(&plain.config, ExchangeOptions::default(), ids(), 0);
    assert!(!ex.has_output_filters());
}

fn futures_ready<F: std::future::Future>(f: F) -> F::Output {
    plano_core::kv::now_or_never(f).expect("ready")
}

#[test]
fn a_stored_responses_turn_is_the_filtered_answer() {
    // A Responses client served by Anthropic: the gateway stores the turn the client saw.
    let ask = r#"{"model":"claude-sonnet-4-5","input":"hi"}"#;
    let upstream = || Canned::ok(fixture("anthropic_messages/responses/text.json"));
    let plain = Gw::new(config());
    let (first, _) = plain.post("/v1/responses", ask, vec![upstream()]);
    assert_eq!(first.status, 200, "{}", first.text());
    let mut filtered = first.json();
    filtered["output"][0]["content"][0]["text"] = json!("[filtered]");
    let gw = gw("redact");
    let (out, _) = gw.post(
        "/v1/responses",
        ask,
        vec![upstream(), Canned::ok(filtered.to_string().into_bytes())],
    );
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(out.json(), filtered);
    let id = out.json()["id"].as_str().unwrap().to_owned();
    let (got, _, _) = gw.run("GET", &format!("/v1/responses/{id}"), &[], b"", vec![]);
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(got.json()["output"][0]["content"][0]["text"], "[filtered]");
}

#[test]
fn an_mcp_filter_whose_session_cannot_start_fails_closed() {
    let gw = gw("policy");
    let (out, sent) = gw.post(
        "/v1/chat/completions",
        ASK,
        vec![openai_ok(), Canned::status(500, b"down".to_vec())],
    );
    assert_eq!(out.status, 502, "{}", out.text());
    assert_eq!(sent.len(), 2);
    let msg = out.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(msg.contains("`policy`") && msg.contains("session"), "{msg}");
}
