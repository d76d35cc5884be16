//! Input filters on the model listener: an HTTP filter rewriting and rejecting, an MCP
//! filter's three calls (session id carried), rejections in the client's shape, failures
//! closing, and the filters running before routing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod exchange_support;

use exchange_support::*;
use plano_core::exchange::driver::SendError;

const FILTERS: &str = r#"filters:
  - id: pii
    url: http://127.0.0.1:7000
    type: http
  - id: policy
    url: http://127.0.0.1:7001/mcp
    type: mcp
    tool: check_request
"#;

const ASK: &str =
    r#"{"model":"gpt-4o","messages":[{"role":"user","content":"my card is 4111 1111 1111 1111"}]}"#;

fn gw(ids: &str) -> Gw {
    Gw::new(config_listener(
        12000,
        &format!("    input_filters: [{ids}]\n"),
        FILTERS,
    ))
}

fn openai_ok() -> Canned {
    Canned::ok(fixture("openai_chat/responses/text.json"))
}

fn mcp_init() -> Canned {
    Canned::ok(br#"{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"f","version":"1"}}}"#.to_vec())
        .header("mcp-session-id", "sess-9")
}

fn accepted() -> Canned {
    Canned::status(202, Vec::new())
}

#[test]
fn an_http_filter_rewrites_the_body() {
    let gw = gw("pii");
    let redacted =
        br#"{"model":"gpt-4o","messages":[{"role":"user","content":"my card is [REDACTED]"}]}"#;
    let (out, sent) = gw.post(
        "/v1/chat/completions",
        ASK,
        vec![Canned::ok(redacted.to_vec()), openai_ok()],
    );
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].url, "http://127.0.0.1:7000/v1/chat/completions");
    assert_eq!(
        sent[0].body,
        ASK.as_bytes(),
        "the filter sees the client's body"
    );
    assert_eq!(
        sent[1].json()["messages"][0]["content"],
        "my card is [REDACTED]",
        "the provider gets the filter's body"
    );
    assert!(
        out.record
            .custom_attributes
            .contains(&("plano.filter.pii".into(), "replaced".into()))
    );
}

#[test]
fn a_4xx_rejects_in_the_clients_shape_and_nothing_reaches_the_llm() {
    let gw = gw("pii");
    let (out, sent) = gw.post(
        "/v1/chat/completions",
        ASK,
        vec![Canned::status(
            403,
            br#"{"error":{"message":"card numbers are not allowed"}}"#.to_vec(),
        )],
    );
    assert_eq!(out.status, 403);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        out.json()["error"]["message"],
        "card numbers are not allowed"
    );
    // An Anthropic client gets Anthropic's error shape.
    let body = r#"{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":"x"}]}"#;
    let (out, _) = gw.post(
        "/v1/messages",
        body,
        vec![Canned::status(422, b"nope".to_vec())],
    );
    assert_eq!(out.status, 422);
    assert_eq!(out.json()["type"], "error");
    assert_eq!(out.json()["error"]["message"], "nope");
}

#[test]
fn failing_filters_fail_closed() {
    for canned in [
        Canned::status(500, b"boom".to_vec()),
        Canned::Fail(SendError::Connect("refused".into())),
        Canned::ok(b"not json".to_vec()),
    ] {
        let gw = gw("pii");
        let (out, sent) = gw.post("/v1/chat/completions", ASK, vec![canned.clone()]);
        assert_eq!(out.status, 502, "{canned:?}");
        assert_eq!(sent.len(), 1);
        assert!(
            out.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("`pii`")
        );
    }
}

#[test]
fn an_mcp_filter_initializes_then_calls_its_tool() {
    let gw = gw("policy");
    let result = br#"{"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"cleaned\"}]}"}]}}"#;
    let (out, sent) = gw.post(
        "/v1/chat/completions",
        ASK,
        vec![
            mcp_init(),
            accepted(),
            Canned::ok(result.to_vec()),
            openai_ok(),
        ],
    );
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(sent.len(), 4);
    for s in &sent[..3] {
        assert_eq!(s.url, "http://127.0.0.1:7001/mcp");
    }
    assert_eq!(sent[0].json()["method"], "initialize");
    assert_eq!(sent[1].json()["method"], "notifications/initialized");
    assert_eq!(sent[1].header("mcp-session-id"), Some("sess-9"));
    let call = sent[2].json();
    assert_eq!(call["method"], "tools/call");
    assert_eq!(call["params"]["name"], "check_request");
    assert_eq!(
        call["params"]["arguments"]["body"]["messages"][0]["content"],
        "my card is 4111 1111 1111 1111"
    );
    assert_eq!(sent[2].header("mcp-session-id"), Some("sess-9"));
    assert_eq!(sent[3].json()["messages"][0]["content"], "cleaned");
}

#[test]
fn mcp_errors_reject() {
    let gw = gw("policy");
    let is_error = br#"{"jsonrpc":"2.0","id":2,"result":{"isError":true,"content":[{"type":"text","text":"policy violation"}]}}"#;
    let sse = format!(
        "event: message\ndata: {}\n\n",
        String::from_utf8_lossy(is_error)
    );
    let (out, sent) = gw.post(
        "/v1/chat/completions",
        ASK,
        vec![
            mcp_init(),
            accepted(),
            Canned::ok(sse.into_bytes()).header("content-type", "text/event-stream"),
        ],
    );
    assert_eq!(out.status, 400);
    assert_eq!(sent.len(), 3);
    assert_eq!(out.json()["error"]["message"], "policy violation");
}

#[test]
fn filters_chain_in_order_before_routing() {
    let extra = format!(
        "{FILTERS}overrides:\n  llm_routing_model: gpt-4o-mini\nrouting_preferences:\n  - name: code\n    description: code\n    models: [anthropic/claude-sonnet-4-5]\n"
    );
    let gw = Gw::new(config_listener(
        12000,
        "    input_filters: [pii, policy]\n",
        &extra,
    ));
    let step1 =
        br#"{"model":"gpt-4o","messages":[{"role":"user","content":"write code, step 1"}]}"#;
    let step2 = br#"{"jsonrpc":"2.0","id":2,"result":{"structuredContent":{"body":{"model":"gpt-4o","messages":[{"role":"user","content":"write code, step 2"}]}}}}"#;
    let router = serde_json::json!({"id":"r","object":"chat.completion","created":1,"model":"m",
        "choices":[{"index":0,"message":{"role":"assistant","content":"{\"route\":\"code\"}"},"finish_reason":"stop"}]});
    let (out, sent) = gw.post(
        "/v1/chat/completions",
        ASK,
        vec![
            Canned::ok(step1.to_vec()),
            mcp_init(),
            accepted(),
            Canned::ok(step2.to_vec()),
            Canned::ok(serde_json::to_vec(&router).unwrap()),
            Canned::ok(fixture("anthropic_messages/responses/text.json")),
        ],
    );
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(sent.len(), 6);
    // The MCP filter saw the HTTP filter's output; the router saw the MCP filter's.
    assert_eq!(
        sent[3].json()["params"]["arguments"]["body"]["messages"][0]["content"],
        "write code, step 1"
    );
    assert!(
        sent[4].json()["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("write code, step 2")
    );
    assert!(sent[5].url.contains("anthropic.com"));
}
