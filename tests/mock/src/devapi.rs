//! The mock as the prompt gateway's other peers: a developer API behind prompt targets, an
//! HTTP filter and an MCP filter (streamable HTTP), so the conformance suite can drive the
//! prompt listener with one server on 127.0.0.1. Every request is journaled like a provider
//! call; none of them checks credentials.
//!
//! - `GET /dev/weather/{city}` answers `{"city", "query", "temp_c": 12, "sky": "rain"}`;
//!   `POST /dev/book` answers `{"booked": <the JSON body>}`; anything under `/dev/broken`
//!   is a 500.
//! - `POST /filter/http/...` (the filter's URL plus the client request's path): a body
//!   holding `filter-reject` is refused with a 403 and `{"error":{"message":"blocked by
//!   policy"}}`; one holding `filter-rewrite` comes back with every `filter-rewrite` turned
//!   into `filter-rewritten`; anything else gets an empty 204 (keep the body).
//! - `POST /filter/mcp`: `initialize` answers with an `mcp-session-id` header, which every
//!   later call must carry (else a JSON-RPC error); `notifications/initialized` gets a 202;
//!   `tools/call` of `check_request` with `{"body": ...}` answers, as Server-Sent Events,
//!   `isError` with `blocked by mcp policy` when the body holds `mcp-reject`, else
//!   `structuredContent: {"body": ...}` with `mcp-rewrite` turned into `mcp-rewritten`.
//! - `POST /filter/shout/...`, an output filter: every string under a `text`, `content` or
//!   `delta` key of the JSON body (an answer, or one stream event's data) comes back in upper
//!   case; a body with nothing to change gets an empty 204 (keep it).

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::body::MockBody;
use crate::errors::{JSON, json_response, to_bytes};

/// The MCP tool the filter serves.
const MCP_TOOL: &str = "check_request";

/// A developer API request (`path` starts with `/dev/`).
pub(crate) fn dev_api(
    method: &Method,
    path: &str,
    query: Option<&str>,
    body: &[u8],
) -> Response<MockBody> {
    if path.starts_with("/dev/broken") {
        let body = json!({"error": "the developer API is down"});
        return json_response(StatusCode::INTERNAL_SERVER_ERROR, JSON, to_bytes(&body));
    }
    if method == Method::GET
        && let Some(city) = path.strip_prefix("/dev/weather/")
        && !city.is_empty()
    {
        let city = percent_encoding::percent_decode_str(city).decode_utf8_lossy();
        let body = json!({
            "city": city,
            "query": query.unwrap_or(""),
            "temp_c": 12,
            "sky": "rain",
        });
        return json_response(StatusCode::OK, JSON, to_bytes(&body));
    }
    if method == Method::POST && path == "/dev/book" {
        let Ok(request) = serde_json::from_slice::<Value>(body) else {
            let body = json!({"error": "the body is not JSON"});
            return json_response(StatusCode::BAD_REQUEST, JSON, to_bytes(&body));
        };
        return json_response(StatusCode::OK, JSON, to_bytes(&json!({"booked": request})));
    }
    let body = json!({"error": format!("no developer API at {method} {path}")});
    json_response(StatusCode::NOT_FOUND, JSON, to_bytes(&body))
}

/// An HTTP filter call.
pub(crate) fn http_filter(body: &[u8]) -> Response<MockBody> {
    let text = String::from_utf8_lossy(body);
    if text.contains("filter-reject") {
        let body = json!({"error": {"message": "blocked by policy"}});
        return json_response(StatusCode::FORBIDDEN, JSON, to_bytes(&body));
    }
    if text.contains("filter-rewrite") {
        let rewritten = text.replace("filter-rewrite", "filter-rewritten");
        return json_response(StatusCode::OK, JSON, Bytes::from(rewritten));
    }
    let mut response = Response::new(MockBody::full(Bytes::new()));
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

/// An output filter call: the answer (or event) with its text in upper case.
pub(crate) fn shout_filter(body: &[u8]) -> Response<MockBody> {
    let Ok(mut v) = serde_json::from_slice::<Value>(body) else {
        let body = json!({"error": {"message": "the output filter got a body that is not JSON"}});
        return json_response(StatusCode::BAD_REQUEST, JSON, to_bytes(&body));
    };
    if !shout(&mut v) {
        let mut response = Response::new(MockBody::full(Bytes::new()));
        *response.status_mut() = StatusCode::NO_CONTENT;
        return response;
    }
    json_response(StatusCode::OK, JSON, to_bytes(&v))
}

/// Upper-cases the strings under `text`, `content` and `delta` keys; whether any changed.
fn shout(v: &mut Value) -> bool {
    match v {
        Value::Object(map) => {
            let mut changed = false;
            for (k, child) in map.iter_mut() {
                match child {
                    Value::String(s) if matches!(k.as_str(), "text" | "content" | "delta") => {
                        let upper = s.to_uppercase();
                        if upper != *s {
                            *s = upper;
                            changed = true;
                        }
                    }
                    other => changed |= shout(other),
                }
            }
            changed
        }
        Value::Array(items) => items.iter_mut().fold(false, |c, i| shout(i) | c),
        _ => false,
    }
}

/// An MCP filter call (one JSON-RPC message per POST).
pub(crate) fn mcp_filter(headers: &HeaderMap, body: &[u8]) -> Response<MockBody> {
    static SESSIONS: AtomicU64 = AtomicU64::new(1);
    let Ok(message) = serde_json::from_slice::<Value>(body) else {
        return rpc_error(Value::Null, -32700, "parse error");
    };
    let id = message.get("id").cloned().unwrap_or(Value::Null);
    let method = message.get("method").and_then(Value::as_str).unwrap_or("");
    let session = headers.get("mcp-session-id").and_then(|v| v.to_str().ok());
    match method {
        "initialize" => {
            let n = SESSIONS.fetch_add(1, Ordering::Relaxed);
            let result = json!({
                "jsonrpc": "2.0", "id": id,
                "result": {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {"tools": {}},
                    "serverInfo": {"name": "plano-mock", "version": "1"},
                }
            });
            let mut response = json_response(StatusCode::OK, JSON, to_bytes(&result));
            if let Ok(v) = HeaderValue::from_str(&format!("mock-session-{n}")) {
                response.headers_mut().insert("mcp-session-id", v);
            }
            response
        }
        _ if session.is_none_or(|s| !s.starts_with("mock-session-")) => {
            rpc_error(id, -32600, "missing mcp-session-id")
        }
        "notifications/initialized" => {
            let mut response = Response::new(MockBody::full(Bytes::new()));
            *response.status_mut() = StatusCode::ACCEPTED;
            response
        }
        "tools/call" => {
            let name = message.pointer("/params/name").and_then(Value::as_str);
            if name != Some(MCP_TOOL) {
                return rpc_error(id, -32602, "unknown tool");
            }
            let Some(request) = message.pointer("/params/arguments/body") else {
                return rpc_error(id, -32602, "no body argument");
            };
            let text = request.to_string();
            let result = if text.contains("mcp-reject") {
                json!({"isError": true, "content": [{"type": "text", "text": "blocked by mcp policy"}]})
            } else {
                let rewritten: Value =
                    serde_json::from_str(&text.replace("mcp-rewrite", "mcp-rewritten"))
                        .unwrap_or_else(|_| request.clone());
                json!({"content": [], "structuredContent": {"body": rewritten}})
            };
            let reply = json!({"jsonrpc": "2.0", "id": id, "result": result});
            // Streamable HTTP lets the server answer a request as an SSE stream; the gateway
            // must read both forms.
            let sse = format!("event: message\ndata: {reply}\n\n");
            json_response(StatusCode::OK, "text/event-stream", Bytes::from(sse))
        }
        _ => rpc_error(id, -32601, "method not found"),
    }
}

fn rpc_error(id: Value, code: i64, message: &str) -> Response<MockBody> {
    let body = json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}});
    json_response(StatusCode::OK, JSON, to_bytes(&body))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn weather_echoes_city_and_query() {
        let r = dev_api(
            &Method::GET,
            "/dev/weather/San%20Jose",
            Some("units=metric"),
            b"",
        );
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            dev_api(&Method::GET, "/dev/broken", None, b"").status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            dev_api(&Method::POST, "/dev/book", None, b"not json").status(),
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn http_filter_keeps_rewrites_rejects() {
        assert_eq!(http_filter(b"{}").status(), StatusCode::NO_CONTENT);
        assert_eq!(
            http_filter(b"{\"a\":\"filter-reject\"}").status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            http_filter(b"{\"a\":\"filter-rewrite\"}").status(),
            StatusCode::OK
        );
    }

    #[test]
    fn shout_upper_cases_text_only() {
        let r =
            shout_filter(br#"{"type":"text","text":"hi","parts":[{"content":"yo"}],"id":"abc"}"#);
        assert_eq!(r.status(), StatusCode::OK);
        let mut v = json!({"type": "text", "text": "hi", "id": "abc", "delta": {"text": "x"}});
        assert!(shout(&mut v));
        assert_eq!(
            v,
            json!({"type": "text", "text": "HI", "id": "abc", "delta": {"text": "X"}})
        );
        assert_eq!(
            shout_filter(br#"{"text":"OK"}"#).status(),
            StatusCode::NO_CONTENT
        );
    }

    #[test]
    fn mcp_needs_a_session() {
        let call = br#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"check_request","arguments":{"body":{}}}}"#;
        let r = mcp_filter(&HeaderMap::new(), call);
        assert!(r.headers().get("mcp-session-id").is_none());
        let init = mcp_filter(
            &HeaderMap::new(),
            br#"{"jsonrpc":"2.0","id":1,"method":"initialize"}"#,
        );
        assert!(init.headers().get("mcp-session-id").is_some());
    }
}
