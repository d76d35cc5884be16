//! Input and output filters end to end: `plano serve` with an HTTP filter and an MCP filter
//! (a small streamable-HTTP server answering in SSE) on 127.0.0.1 in front of the mock
//! provider: rewriting, rejection in the client's shape, the MCP session; an output filter
//! rewriting a non-streaming answer and each event of a streamed one.
// Helpers outside `#[test]` functions get the same allowances as the tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::disallowed_methods
)]

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Reads one HTTP/1.1 request (head and `content-length` body).
async fn read_request(s: &mut tokio::net::TcpStream) -> (String, Vec<u8>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = s.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let len: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = s.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return (head, buf[end + 4..].to_vec());
        }
    }
    (String::new(), Vec::new())
}

async fn respond(s: &mut tokio::net::TcpStream, status: &str, headers: &str, body: &str) {
    let resp = format!(
        "HTTP/1.1 {status}\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = s.write_all(resp.as_bytes()).await;
}

/// The filter server: `POST /redact/...` replaces digits with `#` (HTTP filter, rejects
/// bodies mentioning `forbidden` with a 403); `POST /mcp` is an MCP server whose tool
/// `uppercase` upper-cases the user's text, answering in SSE. Records method names.
async fn filter_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&log);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let seen = Arc::clone(&seen);
            tokio::spawn(async move {
                let (head, body) = read_request(&mut s).await;
                let line = head.lines().next().unwrap_or("").to_owned();
                let text = String::from_utf8_lossy(&body).to_string();
                if line.starts_with("POST /answers/") {
                    // Output filter: the answer's text becomes `[filtered]`, each stream
                    // delta's text `#`; other events are kept (empty answer).
                    let mut v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    let kind = if v["choices"][0]["message"].is_object() {
                        v["choices"][0]["message"]["content"] = json!("[filtered]");
                        "answer"
                    } else if v["choices"][0]["delta"]["content"].is_string() {
                        v["choices"][0]["delta"]["content"] = json!("#");
                        "delta"
                    } else {
                        "other"
                    };
                    seen.lock().unwrap().push(format!("out {kind} {line}"));
                    let out = if kind == "other" {
                        String::new()
                    } else {
                        v.to_string()
                    };
                    respond(&mut s, "200 OK", "content-type: application/json\r\n", &out).await;
                    return;
                }
                if line.starts_with("POST /redact/") {
                    seen.lock().unwrap().push(format!("http {line}"));
                    if text.contains("forbidden") {
                        respond(
                            &mut s,
                            "403 Forbidden",
                            "content-type: application/json\r\n",
                            r#"{"error":{"message":"forbidden words"}}"#,
                        )
                        .await;
                    } else {
                        let redacted: String = text
                            .chars()
                            .map(|c| if c.is_ascii_digit() { '#' } else { c })
                            .collect();
                        respond(
                            &mut s,
                            "200 OK",
                            "content-type: application/json\r\n",
                            &redacted,
                        )
                        .await;
                    }
                    return;
                }
                let msg: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let method = msg["method"].as_str().unwrap_or("").to_owned();
                let session = head
                    .lines()
                    .find_map(|l| l.strip_prefix("mcp-session-id: "))
                    .unwrap_or("")
                    .to_owned();
                seen.lock()
                    .unwrap()
                    .push(format!("mcp {method} session={session}"));
                match method.as_str() {
                    "initialize" => {
                        let r = json!({"jsonrpc":"2.0","id":msg["id"],"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"test","version":"1"}}});
                        respond(
                            &mut s,
                            "200 OK",
                            "content-type: application/json\r\nmcp-session-id: s-77\r\n",
                            &r.to_string(),
                        )
                        .await;
                    }
                    "notifications/initialized" => respond(&mut s, "202 Accepted", "", "").await,
                    "tools/call" => {
                        let mut req = msg["params"]["arguments"]["body"].clone();
                        let last = req["messages"]
                            .as_array()
                            .map_or(0, Vec::len)
                            .saturating_sub(1);
                        let upper = req["messages"][last]["content"]
                            .as_str()
                            .unwrap_or("")
                            .to_uppercase();
                        req["messages"][last]["content"] = Value::from(upper);
                        let r = json!({"jsonrpc":"2.0","id":msg["id"],"result":{"content":[{"type":"text","text":req.to_string()}]}});
                        let sse = format!("event: message\ndata: {r}\n\n");
                        respond(
                            &mut s,
                            "200 OK",
                            "content-type: text/event-stream\r\n",
                            &sse,
                        )
                        .await;
                    }
                    _ => respond(&mut s, "400 Bad Request", "", "").await,
                }
            });
        }
    });
    (url, log)
}

#[tokio::test(flavor = "multi_thread")]
async fn http_and_mcp_filters_in_front_of_the_provider() {
    let mock = plano_mock::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let (filters, log) = filter_server().await;
    let yaml = format!(
        "version: v0.4.0
listeners:
  - type: model
    name: llm
    port: 12000
    input_filters: [redact, shout]
model_providers:
  - model: openai/gpt-4o-mini
    access_key: $TEST_OPENAI_KEY
    base_url: {mock}
    default: true
filters:
  - id: redact
    url: {filters}/redact
    type: http
  - id: shout
    url: {filters}/mcp
    type: mcp
    tool: uppercase
",
        mock = mock.url()
    );
    let gw = Gateway::with_config(&yaml, &[("TEST_OPENAI_KEY", "sk-mock-filters")]).await;
    let post = |content: &'static str| {
        let url = gw.url.clone();
        async move {
            let r = client()
                .post(format!("{url}/v1/chat/completions"))
                .header("x-mock-tag", content)
                .json(&json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": content}]}))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = post("card 4111 please").await;
    assert_eq!(status, 200, "{body}");
    let up: Vec<Value> = client()
        .get(format!(
            "{}/__mock/requests?tag=card%204111%20please",
            mock.url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(up.len(), 1);
    assert_eq!(up[0]["body"]["messages"][0]["content"], "CARD #### PLEASE");
    let seen = log.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            "http POST /redact/v1/chat/completions HTTP/1.1",
            "mcp initialize session=",
            "mcp notifications/initialized session=s-77",
            "mcp tools/call session=s-77",
        ]
    );

    let (status, body) = post("forbidden stuff").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["message"], "forbidden words");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_output_filter_rewrites_answers_and_each_stream_event() {
    let mock = plano_mock::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let (filters, log) = filter_server().await;
    let yaml = format!(
        "version: v0.4.0
listeners:
  - type: model
    name: llm
    port: 12000
    output_filters: [answers]
model_providers:
  - model: openai/gpt-4o-mini
    access_key: $TEST_OPENAI_KEY
    base_url: {mock}
    default: true
filters:
  - id: answers
    url: {filters}/answers
    type: http
",
        mock = mock.url()
    );
    let gw = Gateway::with_config(&yaml, &[("TEST_OPENAI_KEY", "sk-mock-filters")]).await;
    let ask = |stream: bool| {
        json!({"model": "gpt-4o-mini", "stream": stream,
        "messages": [{"role": "user", "content": "tell me something"}]})
    };
    let r = client()
        .post(format!("{}/v1/chat/completions", gw.url))
        .json(&ask(false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["choices"][0]["message"]["content"], "[filtered]",
        "{body}"
    );
    assert!(
        body["usage"].is_object(),
        "the rest of the answer is the provider's"
    );
    assert_eq!(
        log.lock().unwrap().clone(),
        ["out answer POST /answers/v1/chat/completions HTTP/1.1"]
    );

    let r = client()
        .post(format!("{}/v1/chat/completions", gw.url))
        .json(&ask(true))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let text = r.text().await.unwrap();
    let mut deltas = String::new();
    let mut events = 0;
    for data in text.lines().filter_map(|l| l.strip_prefix("data: ")) {
        if data == "[DONE]" {
            continue;
        }
        events += 1;
        let v: Value = serde_json::from_str(data).unwrap();
        if let Some(t) = v["choices"][0]["delta"]["content"].as_str() {
            deltas.push_str(t);
        }
    }
    assert!(text.trim_end().ends_with("data: [DONE]"), "{text}");
    assert!(
        !deltas.is_empty() && deltas.chars().all(|c| c == '#'),
        "{text}"
    );
    let seen = log.lock().unwrap().clone();
    assert_eq!(
        seen.len(),
        1 + events,
        "one filter call per event: {seen:?}"
    );
    assert!(seen.iter().filter(|l| l.starts_with("out delta")).count() >= 1);
}
