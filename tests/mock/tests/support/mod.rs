//! Shared by the integration tests: an in-process mock, a client, fixture readers and
//! stream decoders.

#![allow(dead_code)]

use std::path::PathBuf;

use aws_smithy_eventstream::frame::{DecodedFrame, MessageFrameDecoder};
use plano_mock::{MockServer, keys};
use serde_json::Value;

/// A mock on a free port of 127.0.0.1.
pub async fn mock() -> MockServer {
    plano_mock::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

pub fn client() -> reqwest::Client {
    reqwest::Client::new()
}

/// A request with the credentials each route needs.
pub fn openai(server: &MockServer, path: &str, body: &Value) -> reqwest::RequestBuilder {
    client()
        .post(format!("{}{path}", server.url()))
        .bearer_auth(keys::OPENAI_KEY)
        .json(body)
}

pub fn anthropic(server: &MockServer, body: &Value) -> reqwest::RequestBuilder {
    client()
        .post(format!("{}/v1/messages", server.url()))
        .header("x-api-key", keys::ANTHROPIC_KEY)
        .header("anthropic-version", keys::ANTHROPIC_VERSION)
        .json(body)
}

pub fn gemini(server: &MockServer, model: &str, method_and_query: &str) -> reqwest::RequestBuilder {
    client()
        .post(format!(
            "{}/v1beta/models/{model}:{method_and_query}",
            server.url()
        ))
        .header("x-goog-api-key", keys::GEMINI_KEY)
        .json(&serde_json::json!({"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]}))
}

pub fn bedrock(server: &MockServer, model: &str, action: &str) -> reqwest::RequestBuilder {
    client()
        .post(format!("{}/model/{model}/{action}", server.url()))
        .bearer_auth(keys::BEDROCK_API_KEY)
        .json(&serde_json::json!({"messages": [{"role": "user", "content": [{"text": "Hi"}]}]}))
}

/// A hermesllm fixture's bytes (`<api>/<kind>/<name>`).
pub fn fixture(path: &str) -> Vec<u8> {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../hermesllm/tests/fixtures")
        .join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

pub fn fixture_json(path: &str) -> Value {
    serde_json::from_slice(&fixture(path)).unwrap()
}

/// A real Bedrock capture, as the mock's copy.
pub fn capture(name: &str) -> Vec<u8> {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/bedrock")
        .join(name);
    std::fs::read(full).unwrap()
}

/// Sets every `model` / `modelVersion` string in `value` to `model`; returns how many.
pub fn set_models(value: &mut Value, model: &str) -> usize {
    match value {
        Value::Object(map) => {
            let mut n = 0;
            for (k, v) in map.iter_mut() {
                if (k == "model" || k == "modelVersion") && v.is_string() {
                    *v = Value::String(model.to_owned());
                    n += 1;
                } else {
                    n += set_models(v, model);
                }
            }
            n
        }
        Value::Array(items) => items.iter_mut().map(|v| set_models(v, model)).sum(),
        _ => 0,
    }
}

/// Every `model` / `modelVersion` string in `value`.
pub fn models(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    collect_models(value, &mut out);
    out
}

fn collect_models(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::String(s) if k == "model" || k == "modelVersion" => out.push(s.clone()),
                    _ => collect_models(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_models(v, out)),
        _ => {}
    }
}

/// One SSE event: its `event:` name (if any) and `data:` payload.
#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    pub event: Option<String>,
    pub data: String,
}

/// Splits an SSE body into events (LF or CRLF line ends).
pub fn sse_events(body: &[u8]) -> Vec<SseEvent> {
    let text = std::str::from_utf8(body).unwrap().replace("\r\n", "\n");
    text.split("\n\n")
        .filter(|b| !b.trim().is_empty())
        .map(|block| {
            let mut event = None;
            let mut data = String::new();
            for line in block.lines() {
                if let Some(e) = line.strip_prefix("event:") {
                    event = Some(e.trim().to_owned());
                } else if let Some(d) = line.strip_prefix("data:") {
                    data.push_str(d.strip_prefix(' ').unwrap_or(d));
                }
            }
            SseEvent { event, data }
        })
        .collect()
}

/// One decoded eventstream frame.
#[derive(Debug, Clone, PartialEq)]
pub struct EsFrame {
    pub message_type: String,
    /// `:event-type`, or `:exception-type` for exceptions.
    pub event_type: String,
    pub content_type: String,
    pub payload: Vec<u8>,
}

/// Decodes a whole eventstream body with the AWS decoder; panics on trailing bytes.
pub fn eventstream_frames(mut body: &[u8]) -> Vec<EsFrame> {
    let mut decoder = MessageFrameDecoder::new();
    let mut out = Vec::new();
    while let DecodedFrame::Complete(message) = decoder.decode_frame(&mut body).unwrap() {
        let header = |name: &str| {
            message
                .headers()
                .iter()
                .find(|h| h.name().as_str() == name)
                .map(|h| h.value().as_string().unwrap().as_str().to_owned())
        };
        let message_type = header(":message-type").unwrap();
        out.push(EsFrame {
            event_type: header(":event-type")
                .or_else(|| header(":exception-type"))
                .unwrap(),
            content_type: header(":content-type").unwrap(),
            message_type,
            payload: message.payload().to_vec(),
        });
    }
    assert!(body.is_empty(), "{} trailing bytes", body.len());
    out
}

/// Reads a body chunk by chunk: the bytes received and the error that ended it, if any.
pub async fn read_body(mut response: reqwest::Response) -> (Vec<u8>, Option<reqwest::Error>) {
    let mut out = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => out.extend_from_slice(&chunk),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e)),
        }
    }
}

/// The prefix the mock keeps of a fixture's id: lowercase letters and their `_` / `-`.
pub fn id_prefix(id: &str) -> &str {
    let letters = id.bytes().take_while(u8::is_ascii_lowercase).count();
    match id.as_bytes().get(letters) {
        Some(b'_' | b'-') if letters > 0 => &id[..=letters],
        _ => "",
    }
}

/// The answer's id in a body or stream event (Chat `id`, Responses `response.id` / `id`,
/// Anthropic `message.id` / `id`, Gemini `responseId`).
pub fn answer_id(value: &Value) -> Option<&str> {
    ["/response/id", "/message/id", "/id", "/responseId"]
        .iter()
        .find_map(|p| value.pointer(p))
        .and_then(Value::as_str)
}

/// `value` without what the mock makes per answer or derives from the stream: the answer
/// id is cut to its prefix, the usage and the body's text are blanked.
pub fn without_generated(value: &Value) -> Value {
    let mut v = value.clone();
    for pointer in ["/response/id", "/message/id", "/id", "/responseId"] {
        if let Some(Value::String(id)) = v.pointer_mut(pointer) {
            *id = id_prefix(id).to_owned();
        }
    }
    for pointer in [
        "/usage",
        "/usageMetadata",
        "/response/usage",
        "/message/usage",
    ] {
        if let Some(usage) = v.pointer_mut(pointer) {
            *usage = Value::Null;
        }
    }
    blank_texts(&mut v, &["choices", "*", "message", "content"]);
    blank_texts(&mut v, &["content", "*", "text"]);
    blank_texts(&mut v, &["output", "*", "content", "*", "text"]);
    blank_texts(&mut v, &["output", "message", "content", "*", "text"]);
    blank_texts(
        &mut v,
        &["candidates", "*", "content", "parts", "*", "text"],
    );
    v
}

fn blank_texts(v: &mut Value, path: &[&str]) {
    let Some((first, rest)) = path.split_first() else {
        if v.is_string() {
            *v = Value::String(String::new());
        }
        return;
    };
    match (v, *first) {
        (Value::Array(items), "*") => items.iter_mut().for_each(|i| blank_texts(i, rest)),
        (Value::Object(map), key) => {
            if let Some(child) = map.get_mut(key) {
                blank_texts(child, rest);
            }
        }
        _ => {}
    }
}
