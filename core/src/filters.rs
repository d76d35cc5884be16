//! Filters (`filters`, a listener's `input_filters` and `output_filters`): services that see
//! each request body before anything else, or each answer (each stream event) before the
//! client, and may rewrite or reject it. Below, "request" reads "answer" for output filters
//! (run by the exchange's `output` module; a failing output filter's error names it a
//! response filter).
//!
//! - **HTTP** (`type: http`): the body is `POST`ed to the filter's URL plus the request's
//!   path (`http://filter:8080` + `/v1/chat/completions`). A 2xx body replaces the request
//!   body (an empty one keeps it); a 4xx rejects the request with the filter's status and
//!   message, in the client's API shape; anything else (5xx, no connection, a body that is
//!   not JSON) fails closed with a 502 (a filter is policy: it is not skipped).
//! - **MCP** (`type: mcp`, streamable HTTP): `initialize`, `notifications/initialized`,
//!   then `tools/call` of the filter's tool with `{"body": <the request JSON>}`. The result's
//!   `structuredContent` (or its first text content, parsed as JSON) replaces the body; a
//!   result with `isError` rejects with a 400 carrying its text; a JSON-RPC error rejects
//!   with a 400 carrying its message. Answers may be JSON or Server-Sent Events.
//!
//! Filters run in the listener's order, each on the previous one's output, before the guard
//! and routing.

use serde_json::{Value, json};

use crate::config::Filter;
use crate::upstream::{Header, UpstreamRequest};

/// What a filter did to the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Use this body from now on.
    Replace(Vec<u8>),
    /// The body stays as it was.
    Keep,
    /// Refuse the request with this status and message.
    Reject {
        /// The status for the client (4xx).
        status: u16,
        /// What the filter said.
        message: String,
    },
    /// The filter failed (the request fails closed, 502).
    Fail(String),
}

/// The MCP protocol version the gateway speaks.
pub const MCP_PROTOCOL_VERSION: &str = "2025-06-18";

fn post(url: String, body: Vec<u8>, session: Option<&str>, mcp: bool) -> UpstreamRequest {
    let mut headers = vec![Header::new("content-type", "application/json", false)];
    if mcp {
        headers.push(Header::new(
            "accept",
            "application/json, text/event-stream",
            false,
        ));
        headers.push(Header::new(
            "mcp-protocol-version",
            MCP_PROTOCOL_VERSION,
            false,
        ));
    } else {
        headers.push(Header::new("accept", "application/json", false));
    }
    if let Some(s) = session {
        headers.push(Header::new("mcp-session-id", s, false));
    }
    UpstreamRequest {
        api: hermesllm::Api::OpenAiChat,
        passthrough: true,
        method: "POST",
        url,
        headers,
        body,
        losses: hermesllm::Losses::default(),
    }
}

/// The HTTP filter call for a request to `path` with `body`.
pub fn http_request(f: &Filter, path: &str, body: &[u8]) -> UpstreamRequest {
    post(format!("{}{path}", f.url), body.to_vec(), None, false)
}

/// What an HTTP filter's answer means.
pub fn read_http(status: u16, body: &[u8]) -> Outcome {
    match status {
        200..=299 if body.iter().all(u8::is_ascii_whitespace) => Outcome::Keep,
        200..=299 => match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(_)) => Outcome::Replace(body.to_vec()),
            _ => Outcome::Fail("the filter's answer is not a JSON object".to_owned()),
        },
        400..=499 => Outcome::Reject {
            status,
            message: message_of(body),
        },
        _ => Outcome::Fail(format!("the filter answered {status}")),
    }
}

/// A filter's message: `error.message`, `message`, `error` (a string) or the text itself.
fn message_of(body: &[u8]) -> String {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let text = v
        .pointer("/error/message")
        .or_else(|| v.get("message"))
        .or_else(|| v.get("error"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| String::from_utf8_lossy(body).trim().to_owned());
    let text: String = text.chars().take(1000).collect();
    if text.is_empty() {
        "the request was rejected by a filter".to_owned()
    } else {
        text
    }
}

/// MCP `initialize`.
pub fn mcp_initialize(f: &Filter) -> UpstreamRequest {
    let body = json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "protocolVersion": MCP_PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "plano", "version": env!("CARGO_PKG_VERSION")},
        }
    });
    post(f.url.clone(), body.to_string().into_bytes(), None, true)
}

/// MCP `notifications/initialized`.
pub fn mcp_initialized(f: &Filter, session: Option<&str>) -> UpstreamRequest {
    let body = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    post(f.url.clone(), body.to_string().into_bytes(), session, true)
}

/// MCP `tools/call` of the filter's tool with the request body.
pub fn mcp_call(f: &Filter, session: Option<&str>, body: &[u8]) -> UpstreamRequest {
    let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let call = json!({
        "jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": f.tool, "arguments": {"body": request}},
    });
    post(f.url.clone(), call.to_string().into_bytes(), session, true)
}

/// The JSON-RPC message in an MCP answer: the body itself, or the last `data:` of an SSE
/// stream that holds a response (`result` or `error`).
pub fn mcp_message(body: &[u8]) -> Option<Value> {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        return Some(v);
    }
    let text = std::str::from_utf8(body).ok()?;
    let mut found = None;
    let mut data = String::new();
    for line in text.lines().chain(std::iter::once("")) {
        if let Some(d) = line.strip_prefix("data:") {
            if !data.is_empty() {
                data.push('\n');
            }
            data.push_str(d.strip_prefix(' ').unwrap_or(d));
        } else if line.is_empty() && !data.is_empty() {
            if let Ok(v) = serde_json::from_str::<Value>(&data)
                && (v.get("result").is_some() || v.get("error").is_some())
            {
                found = Some(v);
            }
            data.clear();
        }
    }
    found
}

/// What an MCP `tools/call` answer means.
pub fn read_mcp_call(status: u16, body: &[u8]) -> Outcome {
    if !(200..300).contains(&status) {
        return if (400..500).contains(&status) {
            Outcome::Reject {
                status,
                message: message_of(body),
            }
        } else {
            Outcome::Fail(format!("the MCP filter answered {status}"))
        };
    }
    let Some(msg) = mcp_message(body) else {
        return Outcome::Fail("the MCP filter's answer is not JSON-RPC".to_owned());
    };
    if let Some(e) = msg.get("error") {
        let message = e
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("the MCP filter refused the request")
            .to_owned();
        return Outcome::Reject {
            status: 400,
            message,
        };
    }
    let Some(result) = msg.get("result") else {
        return Outcome::Fail("the MCP answer has no result".to_owned());
    };
    let text = result
        .get("content")
        .and_then(Value::as_array)
        .and_then(|c| c.iter().find_map(|p| p.get("text").and_then(Value::as_str)))
        .map(str::to_owned);
    if result.get("isError").and_then(Value::as_bool) == Some(true) {
        return Outcome::Reject {
            status: 400,
            message: text.unwrap_or_else(|| "the request was rejected by a filter".to_owned()),
        };
    }
    let replacement = match result.get("structuredContent") {
        Some(v @ Value::Object(_)) => Some(v.get("body").cloned().unwrap_or_else(|| v.clone())),
        _ => text.and_then(|t| serde_json::from_str::<Value>(&t).ok()),
    };
    match replacement {
        Some(v @ Value::Object(_)) => Outcome::Replace(v.to_string().into_bytes()),
        _ => Outcome::Keep,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_answers() {
        assert_eq!(read_http(200, b""), Outcome::Keep);
        assert_eq!(
            read_http(200, br#"{"a":1}"#),
            Outcome::Replace(br#"{"a":1}"#.to_vec())
        );
        assert!(matches!(read_http(200, b"nope"), Outcome::Fail(_)));
        assert_eq!(
            read_http(403, br#"{"error":{"message":"PII found"}}"#),
            Outcome::Reject {
                status: 403,
                message: "PII found".into()
            }
        );
        assert_eq!(
            read_http(400, b"plain words"),
            Outcome::Reject {
                status: 400,
                message: "plain words".into()
            }
        );
        assert!(matches!(read_http(503, b""), Outcome::Fail(_)));
    }

    #[test]
    fn mcp_answers_json_and_sse() {
        let ok = br#"{"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"{\"model\":\"m\"}"}]}}"#;
        assert_eq!(
            read_mcp_call(200, ok),
            Outcome::Replace(br#"{"model":"m"}"#.to_vec())
        );
        let sse = b"event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"structuredContent\":{\"body\":{\"x\":1}}}}\n\n";
        assert_eq!(
            read_mcp_call(200, sse),
            Outcome::Replace(br#"{"x":1}"#.to_vec())
        );
        let err = br#"{"jsonrpc":"2.0","id":2,"result":{"isError":true,"content":[{"type":"text","text":"blocked"}]}}"#;
        assert_eq!(
            read_mcp_call(200, err),
            Outcome::Reject {
                status: 400,
                message: "blocked".into()
            }
        );
        let rpc = br#"{"jsonrpc":"2.0","id":2,"error":{"code":-32602,"message":"bad args"}}"#;
        assert_eq!(
            read_mcp_call(200, rpc),
            Outcome::Reject {
                status: 400,
                message: "bad args".into()
            }
        );
        assert!(matches!(read_mcp_call(500, b""), Outcome::Fail(_)));
    }
}
