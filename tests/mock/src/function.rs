//! The mock as a function-calling model (Arch-Function's role in the prompt gateway): an
//! OpenAI Chat request for the model `arch-function` with `tools` is answered by a
//! deterministic reading of the conversation, so gateway tests can drive every branch:
//!
//! - the tool called is the first one whose name appears in any user message;
//! - its arguments are the `name=value` pairs (value up to whitespace or `,`) found in the
//!   user messages for that tool's parameters, later turns winning;
//! - no tool named: a plain text answer with no call (`no-match`); a user message holding
//!   `ask?` gets the question `Which one do you mean?` as text.
//!
//! Any other request shape is a 400, so a gateway sending no tools is caught.

use bytes::Bytes;
use hyper::{Response, StatusCode};
use serde_json::{Map, Value, json};

use crate::body::MockBody;
use crate::errors::{JSON, json_response, misuse};

/// The model id that makes the mock answer as a function-calling model.
pub const FUNCTION_MODEL: &str = "arch-function";

/// Whether a Chat body asks for the function-calling model.
pub(crate) fn is_function_call(body: &Value) -> bool {
    body.get("model").and_then(Value::as_str) == Some(FUNCTION_MODEL)
}

/// The function-calling answer to a Chat body.
pub(crate) fn answer(body: &Value) -> Response<MockBody> {
    let Some(tools) = body.get("tools").and_then(Value::as_array) else {
        return misuse("function calling: the request has no tools");
    };
    let users: Vec<&str> = body
        .get("messages")
        .and_then(Value::as_array)
        .map(|m| {
            m.iter()
                .filter(|m| m.get("role").and_then(Value::as_str) == Some("user"))
                .filter_map(|m| m.get("content").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let name_of = |t: &Value| {
        t.pointer("/function/name")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let chosen = tools
        .iter()
        .find(|t| name_of(t).is_some_and(|n| users.iter().any(|u| u.contains(n.as_str()))));
    let message = match chosen {
        None => {
            let asks = users.last().is_some_and(|u| u.contains("ask?"));
            let text = if asks {
                "Which one do you mean?"
            } else {
                "no-match"
            };
            json!({"role": "assistant", "content": text})
        }
        Some(tool) => {
            let params: Vec<String> = tool
                .pointer("/function/parameters/properties")
                .and_then(Value::as_object)
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            let mut args = Map::new();
            for u in &users {
                for word in u.split(|c: char| c.is_whitespace() || c == ',') {
                    if let Some((k, v)) = word.split_once('=')
                        && params.iter().any(|p| p == k)
                        && !v.is_empty()
                    {
                        args.insert(k.to_owned(), Value::from(v));
                    }
                }
            }
            json!({"role": "assistant", "content": null, "tool_calls": [{
                "id": "call_mockfc",
                "type": "function",
                "function": {"name": name_of(tool), "arguments": Value::Object(args).to_string()},
            }]})
        }
    };
    let reply = json!({
        "id": "chatcmpl-mockfc",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": FUNCTION_MODEL,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110},
    });
    json_response(StatusCode::OK, JSON, Bytes::from(reply.to_string()))
}
