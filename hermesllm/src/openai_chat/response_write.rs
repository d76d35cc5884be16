//! The `chat.completion` body written straight into bytes, exactly as serde_json writes the
//! [`ChatResponse`] wire type (same members, order and omissions), without its serializer.
//!
//! Content given as parts, which no encoder of the internal model produces, is left to serde.

use super::response::{ChatResponse, ResponseChoice, UsageWire};
use super::types::{ChatMessage, CustomCallWire, FunctionCallWire, StrOr, ToolCallWire};
use crate::json::{Object, write_str};

/// The body, or `None` when a value needs serde.
pub(super) fn write_response(w: &ChatResponse<'_>) -> Option<Vec<u8>> {
    let ChatResponse {
        id,
        object,
        created,
        model,
        choices,
        usage,
        system_fingerprint,
        service_tier,
        rest,
    } = w;
    let mut out = Vec::with_capacity(1024);
    let mut o = Object::new(&mut out);
    if !id.is_empty() {
        o.str("id", id);
    }
    if !object.is_empty() {
        o.str("object", object);
    }
    if let Some(c) = created {
        o.u64("created", *c);
    }
    if !model.is_empty() {
        o.str("model", model);
    }
    if !choices.is_empty() {
        o.key("choices");
        o.out.push(b'[');
        for (k, c) in choices.iter().enumerate() {
            if k > 0 {
                o.out.push(b',');
            }
            choice(o.out, c)?;
        }
        o.out.push(b']');
    }
    if let Some(u) = usage {
        o.key("usage");
        write_usage(o.out, u);
    }
    o.opt_str("system_fingerprint", system_fingerprint.as_deref());
    o.opt_str("service_tier", service_tier.as_deref());
    for (k, v) in rest {
        o.raw(k, v.get());
    }
    o.end();
    Some(out)
}

fn choice(out: &mut Vec<u8>, c: &ResponseChoice<'_>) -> Option<()> {
    let ResponseChoice {
        index,
        message: m,
        finish_reason,
        logprobs,
    } = c;
    let mut o = Object::new(out);
    o.u64("index", u64::from(*index));
    o.key("message");
    message(o.out, m)?;
    o.key("finish_reason");
    match finish_reason {
        Some(s) => write_str(o.out, s),
        None => o.out.extend_from_slice(b"null"),
    }
    o.key("logprobs");
    match logprobs {
        Some(r) => o.out.extend_from_slice(r.get().as_bytes()),
        None => o.out.extend_from_slice(b"null"),
    }
    o.end();
    Some(())
}

fn message(out: &mut Vec<u8>, m: &ChatMessage<'_>) -> Option<()> {
    let ChatMessage {
        role,
        content,
        name,
        refusal,
        reasoning_content,
        reasoning: _, // Read only, never written.
        tool_calls,
        tool_call_id,
        function_call,
    } = m;
    let mut o = Object::new(out);
    o.str("role", role);
    o.key("content");
    match content {
        None => o.out.extend_from_slice(b"null"),
        Some(StrOr::Str(s)) => write_str(o.out, s),
        Some(StrOr::Other(_)) => return None,
    }
    o.opt_str("name", name.as_deref());
    o.opt_str("refusal", refusal.as_deref());
    o.opt_str("reasoning_content", reasoning_content.as_deref());
    if let Some(calls) = tool_calls {
        o.key("tool_calls");
        o.out.push(b'[');
        for (k, c) in calls.iter().enumerate() {
            if k > 0 {
                o.out.push(b',');
            }
            tool_call(o.out, c);
        }
        o.out.push(b']');
    }
    o.opt_str("tool_call_id", tool_call_id.as_deref());
    if let Some(f) = function_call {
        o.key("function_call");
        function(o.out, f);
    }
    o.end();
    Some(())
}

fn tool_call(out: &mut Vec<u8>, c: &ToolCallWire<'_>) {
    let ToolCallWire {
        index,
        id,
        kind,
        function: f,
        custom,
    } = c;
    let mut o = Object::new(out);
    if let Some(i) = index {
        o.u64("index", u64::from(*i));
    }
    o.opt_str("id", id.as_deref());
    o.opt_str("type", kind.as_deref());
    if let Some(f) = f {
        o.key("function");
        function(o.out, f);
    }
    if let Some(CustomCallWire { name, input }) = custom {
        o.key("custom");
        let mut inner = Object::new(o.out);
        inner.opt_str("name", name.as_deref());
        inner.opt_str("input", input.as_deref());
        inner.end();
    }
    o.end();
}

fn function(out: &mut Vec<u8>, f: &FunctionCallWire<'_>) {
    let FunctionCallWire { name, arguments } = f;
    let mut o = Object::new(out);
    o.opt_str("name", name.as_deref());
    o.opt_str("arguments", arguments.as_deref());
    o.end();
}

fn write_usage(out: &mut Vec<u8>, u: &UsageWire) {
    let UsageWire {
        prompt_tokens,
        completion_tokens,
        total_tokens,
        prompt_tokens_details,
        completion_tokens_details,
    } = u;
    let mut o = Object::new(out);
    o.u64("prompt_tokens", *prompt_tokens);
    o.u64("completion_tokens", *completion_tokens);
    o.u64("total_tokens", *total_tokens);
    if let Some(d) = prompt_tokens_details {
        o.key("prompt_tokens_details");
        let mut inner = Object::new(o.out);
        if let Some(n) = d.cached_tokens {
            inner.u64("cached_tokens", n);
        }
        inner.end();
    }
    if let Some(d) = completion_tokens_details {
        o.key("completion_tokens_details");
        let mut inner = Object::new(o.out);
        if let Some(n) = d.reasoning_tokens {
            inner.u64("reasoning_tokens", n);
        }
        inner.end();
    }
    o.end();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{from_json, to_json};

    /// Responses covering every member the writer handles, written by serde and by hand.
    #[test]
    fn writes_what_serde_writes() {
        for body in [
            r#"{"id":"c\"1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"a\nb","refusal":"no","reasoning_content":"r","tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}},{"index":2,"id":"u","type":"custom","custom":{"name":"g","input":"x"}},{"function":{}}],"tool_call_id":"tc","name":"n","function_call":{"name":"f"}},"finish_reason":"tool_calls","logprobs":{"content":[]}}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{}},"system_fingerprint":"fp","service_tier":"default","x\u0001":[1, 2],"y":null}"#,
            r#"{"choices":[{"index":0,"message":{"content":null}}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"prompt_tokens_details":{}}}"#,
            r#"{"id":"","model":"","choices":[]}"#,
        ] {
            let w: ChatResponse<'_> = from_json(body.as_bytes()).unwrap();
            let ours = write_response(&w).unwrap();
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                String::from_utf8(to_json(&w).unwrap()).unwrap()
            );
        }
        let parts = r#"{"choices":[{"index":0,"message":{"role":"assistant","content":[{"type":"text","text":"a"}]}}]}"#;
        let w: ChatResponse<'_> = from_json(parts.as_bytes()).unwrap();
        assert_eq!(write_response(&w), None);
    }
}
