//! Anthropic Messages.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{
    Answer, ApiErr, Built, End, PNG_B64, Req, SYSTEM, Streamed, ToolCall, Tools, Usage, parse_args,
    set, str_at, tool_defs, u64_at,
};
use crate::stream::{json_data, parse_sse};

pub(super) fn build(req: &Req) -> Built {
    let mut content = vec![json!({"type": "text", "text": req.prompt})];
    if req.image {
        content.push(json!({
            "type": "image",
            "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64}
        }));
    }
    let mut body = json!({
        "model": req.model,
        "max_tokens": req.max_tokens(),
        "system": SYSTEM,
        "messages": [{"role": "user", "content": content}],
    });
    if req.stream {
        set(&mut body, "stream", json!(true));
    }
    if req.tools != Tools::None {
        let tools: Vec<Value> = tool_defs(req.tools)
            .into_iter()
            .map(|(name, description, schema)| {
                json!({"name": name, "description": description, "input_schema": schema})
            })
            .collect();
        set(&mut body, "tools", json!(tools));
        if req.tools == Tools::One {
            set(
                &mut body,
                "tool_choice",
                json!({"type": "auto", "disable_parallel_tool_use": true}),
            );
        }
    }
    if req.thinking {
        set(
            &mut body,
            "thinking",
            json!({"type": "enabled", "budget_tokens": 1024}),
        );
    }
    Built {
        path: "/v1/messages".to_owned(),
        body,
    }
}

fn usage(u: &Value) -> Option<Usage> {
    Some(Usage {
        input: u64_at(u, "input_tokens")?,
        output: u64_at(u, "output_tokens")?,
        cached: u64_at(u, "cache_read_input_tokens"),
    })
}

pub(super) fn parse(v: &Value) -> Result<Answer, String> {
    if str_at(v, "type") != Some("message") || str_at(v, "role") != Some("assistant") {
        return Err("expected type \"message\" and role \"assistant\"".to_owned());
    }
    let content = v
        .get("content")
        .and_then(Value::as_array)
        .ok_or("no content array")?;
    let mut a = Answer {
        id: str_at(v, "id").map(str::to_owned),
        model: str_at(v, "model").map(str::to_owned),
        finish: str_at(v, "stop_reason").map(str::to_owned),
        usage: v.get("usage").and_then(usage),
        ..Answer::default()
    };
    for block in content {
        match str_at(block, "type") {
            Some("text") => a.text.push_str(str_at(block, "text").unwrap_or("")),
            Some("tool_use") => {
                let name = str_at(block, "name").unwrap_or("").to_owned();
                let input = block.get("input").cloned().unwrap_or(Value::Null);
                if !input.is_object() || str_at(block, "id").is_none() {
                    return Err(format!(
                        "tool_use `{name}` without an id and an object input"
                    ));
                }
                a.tool_calls.push(ToolCall {
                    name,
                    arguments: input,
                });
            }
            Some("thinking") => {
                a.reasoning = true;
                a.reasoning_signature |= str_at(block, "signature").is_some_and(|s| !s.is_empty());
            }
            Some("redacted_thinking") => {
                a.reasoning = true;
                a.reasoning_signature = true;
            }
            _ => {}
        }
    }
    Ok(a)
}

#[derive(Default)]
struct Block {
    kind: String,
    name: String,
    json: String,
}

pub(super) fn parse_stream(body: &[u8]) -> Result<Streamed, String> {
    let events = parse_sse(body)?;
    let mut a = Answer::default();
    let mut end = End::Unterminated;
    let mut open: BTreeMap<u64, Block> = BTreeMap::new();
    let mut closed: Vec<Block> = Vec::new();
    let mut input_tokens = None;
    let mut cached = None;
    let mut output_tokens = None;
    let mut started = false;
    for (i, ev) in events.iter().enumerate() {
        if end != End::Unterminated {
            return Err(format!("event {i} after the stream ended: {:?}", ev.data));
        }
        let v = json_data(ev)?;
        let kind = str_at(&v, "type").ok_or_else(|| format!("event {i} has no type"))?;
        if let Some(name) = &ev.event
            && name != kind
        {
            return Err(format!("event {i}: `event: {name}` but data type {kind:?}"));
        }
        if !started && !matches!(kind, "message_start" | "error" | "ping") {
            return Err(format!("event {i} ({kind}) before message_start"));
        }
        match kind {
            "message_start" => {
                started = true;
                let m = v.get("message").ok_or("message_start without message")?;
                a.id = str_at(m, "id").map(str::to_owned);
                a.model = str_at(m, "model").map(str::to_owned);
                if let Some(u) = m.get("usage") {
                    input_tokens = u64_at(u, "input_tokens");
                    cached = u64_at(u, "cache_read_input_tokens");
                    output_tokens = u64_at(u, "output_tokens");
                }
            }
            "content_block_start" => {
                let idx = u64_at(&v, "index").ok_or("content_block_start without index")?;
                let b = v
                    .get("content_block")
                    .ok_or("content_block_start without block")?;
                let block = Block {
                    kind: str_at(b, "type").unwrap_or("").to_owned(),
                    name: str_at(b, "name").unwrap_or("").to_owned(),
                    json: String::new(),
                };
                if let Some(t) = str_at(b, "text") {
                    a.text.push_str(t);
                }
                if block.kind == "redacted_thinking" {
                    a.reasoning = true;
                    a.reasoning_signature = true;
                }
                if open.insert(idx, block).is_some() {
                    return Err(format!("content block {idx} started twice"));
                }
            }
            "content_block_delta" => {
                let idx = u64_at(&v, "index").ok_or("content_block_delta without index")?;
                let block = open
                    .get_mut(&idx)
                    .ok_or_else(|| format!("a delta for block {idx}, which is not open"))?;
                let d = v.get("delta").ok_or("content_block_delta without delta")?;
                match str_at(d, "type") {
                    Some("text_delta") => a.text.push_str(str_at(d, "text").unwrap_or("")),
                    Some("input_json_delta") => {
                        block.json.push_str(str_at(d, "partial_json").unwrap_or(""));
                    }
                    Some("thinking_delta") => a.reasoning = true,
                    Some("signature_delta") => {
                        a.reasoning_signature |=
                            str_at(d, "signature").is_some_and(|s| !s.is_empty());
                    }
                    _ => {}
                }
            }
            "content_block_stop" => {
                let idx = u64_at(&v, "index").ok_or("content_block_stop without index")?;
                let block = open
                    .remove(&idx)
                    .ok_or_else(|| format!("block {idx} stopped but not open"))?;
                closed.push(block);
            }
            "message_delta" => {
                if let Some(r) = v.get("delta").and_then(|d| str_at(d, "stop_reason")) {
                    a.finish = Some(r.to_owned());
                }
                if let Some(u) = v.get("usage") {
                    output_tokens = u64_at(u, "output_tokens").or(output_tokens);
                    input_tokens = u64_at(u, "input_tokens").or(input_tokens);
                    cached = u64_at(u, "cache_read_input_tokens").or(cached);
                }
            }
            "message_stop" => {
                if !open.is_empty() {
                    return Err(format!(
                        "message_stop with blocks still open: {:?}",
                        open.keys()
                    ));
                }
                end = End::Complete;
            }
            "error" => {
                let msg = v
                    .get("error")
                    .and_then(|e| str_at(e, "message"))
                    .unwrap_or("");
                end = End::Error(msg.to_owned());
            }
            _ => {}
        }
    }
    for b in closed {
        if b.kind == "thinking" {
            a.reasoning = true;
        }
        if b.kind == "tool_use" {
            a.tool_calls.push(ToolCall {
                arguments: parse_args(&b.name, &b.json)?,
                name: b.name,
            });
        }
    }
    if let (Some(input), Some(output)) = (input_tokens, output_tokens) {
        a.usage = Some(Usage {
            input,
            output,
            cached,
        });
    }
    Ok(Streamed {
        answer: a,
        end,
        events: events.len(),
    })
}

/// `{"type":"error","error":{"type","message"}}`.
pub(super) fn error(v: &Value) -> Result<ApiErr, String> {
    if str_at(v, "type") != Some("error") {
        return Err("top-level type is not \"error\"".to_owned());
    }
    let e = v.get("error").ok_or("no `error` object")?;
    Ok(ApiErr {
        kind: str_at(e, "type").ok_or("no error.type")?.to_owned(),
        message: str_at(e, "message").ok_or("no error.message")?.to_owned(),
    })
}
