//! The mock as a guard model (Arch-Guard's role): an OpenAI Chat request for the model
//! `arch-guard` whose last message is the user's input is classified `jailbreak` when that
//! input holds `ignore all previous instructions`, else `safe`. A request with no user
//! message, or with a system message that asks for no verdict, is a 400, so a gateway sending
//! the guard something else is caught.

use bytes::Bytes;
use hyper::{Response, StatusCode};
use serde_json::{Value, json};

use crate::body::MockBody;
use crate::errors::{JSON, json_response, misuse};

/// The model id that makes the mock answer as a guard.
pub const GUARD_MODEL: &str = "arch-guard";

/// The phrase the mock classifies as a jailbreak.
pub const JAILBREAK: &str = "ignore all previous instructions";

/// Whether a Chat body asks for the guard model.
pub(crate) fn is_guard_call(body: &Value) -> bool {
    body.get("model").and_then(Value::as_str) == Some(GUARD_MODEL)
}

/// The guard's answer to a Chat body.
pub(crate) fn answer(body: &Value) -> Response<MockBody> {
    let messages = body
        .get("messages")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let text_of = |m: &Value| m.get("content").and_then(Value::as_str).map(str::to_owned);
    let asks_verdict = messages.iter().any(|m| {
        m.get("role").and_then(Value::as_str) == Some("system")
            && text_of(m).is_some_and(|t| t.contains("jailbreak") && t.contains("safe"))
    });
    if !asks_verdict {
        return misuse("guard: no system instruction asking for `jailbreak` or `safe`");
    }
    let Some(input) = messages
        .last()
        .filter(|m| m.get("role").and_then(Value::as_str) == Some("user"))
        .and_then(text_of)
    else {
        return misuse("guard: the last message must be the user's input");
    };
    let verdict = if input.to_lowercase().contains(JAILBREAK) {
        "jailbreak"
    } else {
        "safe"
    };
    let reply = json!({
        "id": "chatcmpl-mockguard",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": GUARD_MODEL,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": verdict}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 60, "completion_tokens": 1, "total_tokens": 61},
    });
    json_response(StatusCode::OK, JSON, Bytes::from(reply.to_string()))
}
