//! The mock as a preference router (Arch-Router's role): an OpenAI Chat request for the
//! model `arch-router` whose one user message is the Arch-Router prompt gets
//! `{"route": "<name>"}` back, naming the first route whose name appears in the latest user
//! turn of the conversation (`other` when none does). A request that is not exactly that
//! prompt shape gets a 400, so a gateway sending a malformed prompt is caught.
//!
//! Router faults, for the gateway's fallback paths, are asked for in the latest user turn
//! (the router call carries none of the client's headers): `router-fault=500` answers a
//! 500, `router-fault=prose` answers text with no route in it.

use bytes::Bytes;
use hyper::{Response, StatusCode};
use serde_json::{Value, json};

use crate::body::MockBody;
use crate::errors::{JSON, json_response, misuse, to_bytes};

/// The model id that makes the mock answer as a router.
pub const ROUTER_MODEL: &str = "arch-router";

const HEAD: &str = "\nYou are a helpful assistant designed to find the best suited route.\nYou are provided with route description within <routes></routes> XML tags:\n<routes>\n";
const MIDDLE: &str = "\n</routes>\n\n<conversation>\n";
const TAIL: &str = "\n</conversation>\n\nYour task is to decide which route is best suit with user intent on the conversation in <conversation></conversation> XML tags.  Follow the instruction:\n1. If the latest intent from user is irrelevant or user intent is full filled, response with other route {\"route\": \"other\"}.\n2. You must analyze the route descriptions and find the best match route for user latest intent.\n3. You only response the name of the route that best matches the user's request, use the exact name in the <routes></routes>.\n\nBased on your analysis, provide your response in the following JSON formats if you decide to match any route:\n{\"route\": \"route_name\"}\n";

/// Whether a Chat body asks for the router model.
pub(crate) fn is_router_call(body: &Value) -> bool {
    body.get("model").and_then(Value::as_str) == Some(ROUTER_MODEL)
}

/// The router's answer to a Chat body.
pub(crate) fn answer(body: &Value) -> Response<MockBody> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let route = match choose(body) {
        Ok(r) => r,
        Err(why) => return misuse(&format!("router prompt: {why}")),
    };
    let content = match route {
        Choice::Route(name) => json!({ "route": name }).to_string(),
        Choice::Fault500 => {
            let body = json!({"error": {"message": "router overloaded", "type": "server_error", "param": null, "code": null}});
            return json_response(StatusCode::INTERNAL_SERVER_ERROR, JSON, to_bytes(&body));
        }
        Choice::Prose => "I would rather not say.".to_owned(),
    };
    let reply = json!({
        "id": format!("chatcmpl-router{id}"),
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": ROUTER_MODEL,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 8, "total_tokens": 108},
    });
    json_response(StatusCode::OK, JSON, Bytes::from(reply.to_string()))
}

enum Choice {
    Route(String),
    Fault500,
    Prose,
}

fn choose(body: &Value) -> Result<Choice, String> {
    let messages = body
        .get("messages")
        .and_then(Value::as_array)
        .ok_or("no messages")?;
    let [message] = messages.as_slice() else {
        return Err(format!("expected one message, got {}", messages.len()));
    };
    if message.get("role").and_then(Value::as_str) != Some("user") {
        return Err("the message must be the user's".into());
    }
    let prompt = message
        .get("content")
        .and_then(Value::as_str)
        .ok_or("the content must be a string")?;
    let rest = prompt
        .strip_prefix(HEAD)
        .ok_or("the prompt does not start with the template")?;
    let rest = rest
        .strip_suffix(TAIL)
        .ok_or("the prompt does not end with the template")?;
    let (routes, conversation) = rest
        .split_once(MIDDLE)
        .ok_or("no </routes> / <conversation> between")?;
    let routes: Vec<Value> =
        serde_json::from_str(routes).map_err(|e| format!("routes are not a JSON array: {e}"))?;
    let turns: Vec<Value> = serde_json::from_str(conversation)
        .map_err(|e| format!("the conversation is not a JSON array: {e}"))?;
    for r in &routes {
        let keys: Vec<&String> = r
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        if keys != ["description", "name"] && keys != ["name", "description"] {
            return Err(format!(
                "a route must be exactly {{name, description}}: {r}"
            ));
        }
    }
    let last_user = turns
        .iter()
        .rev()
        .find(|t| t.get("role").and_then(Value::as_str) == Some("user"))
        .and_then(|t| t.get("content"))
        .and_then(Value::as_str)
        .ok_or("the conversation has no user turn")?;
    if last_user.contains("router-fault=500") {
        return Ok(Choice::Fault500);
    }
    if last_user.contains("router-fault=prose") {
        return Ok(Choice::Prose);
    }
    let hit = routes
        .iter()
        .filter_map(|r| r.get("name").and_then(Value::as_str))
        .find(|name| last_user.contains(name));
    Ok(Choice::Route(hit.unwrap_or("other").to_owned()))
}
