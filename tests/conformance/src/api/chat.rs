//! OpenAI Chat Completions.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{
    Answer, Built, End, PNG_B64, Req, SYSTEM, Streamed, ToolCall, Tools, Usage, parse_args, set,
    str_at, tool_defs, u64_at,
};
use crate::stream::{json_data, parse_sse};

pub(super) fn build(req: &Req) -> Built {
    let content = if req.image {
        json!([
            {"type": "text", "text": req.prompt},
            {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{PNG_B64}")}}
        ])
    } else {
        json!(req.prompt)
    };
    let mut body = json!({
        "model": req.model,
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": content}
        ],
        "max_tokens": req.max_tokens(),
    });
    if req.stream {
        set(&mut body, "stream", json!(true));
        set(&mut body, "stream_options", json!({"include_usage": true}));
    }
    if req.tools != Tools::None {
        let tools: Vec<Value> = tool_defs(req.tools)
            .into_iter()
            .map(|(name, description, parameters)| {
                json!({"type": "function", "function": {"name": name, "description": description, "parameters": parameters}})
            })
            .collect();
        set(&mut body, "tools", json!(tools));
        set(
            &mut body,
            "parallel_tool_calls",
            json!(req.tools == Tools::Parallel),
        );
    }
    if req.thinking {
        set(&mut body, "reasoning_effort", json!("low"));
    }
    Built {
        path: "/v1/chat/completions".to_owned(),
        body,
    }
}

fn usage(u: &Value) -> Option<Usage> {
    Some(Usage {
        input: u64_at(u, "prompt_tokens")?,
        output: u64_at(u, "completion_tokens")?,
        cached: u
            .get("prompt_tokens_details")
            .and_then(|d| u64_at(d, "cached_tokens")),
    })
}

fn reasoning_tokens(u: &Value) -> u64 {
    u.get("completion_tokens_details")
        .and_then(|d| u64_at(d, "reasoning_tokens"))
        .unwrap_or(0)
}

pub(super) fn parse(v: &Value) -> Result<Answer, String> {
    if str_at(v, "object") != Some("chat.completion") {
        return Err(format!(
            "expected object \"chat.completion\", got {:?}",
            v.get("object")
        ));
    }
    let choice = v
        .get("choices")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
        .ok_or("no choices[0]")?;
    let msg = choice.get("message").ok_or("no choices[0].message")?;
    if str_at(msg, "role") != Some("assistant") {
        return Err("choices[0].message.role is not \"assistant\"".to_owned());
    }
    let mut a = Answer {
        id: str_at(v, "id").map(str::to_owned),
        model: str_at(v, "model").map(str::to_owned),
        text: str_at(msg, "content").unwrap_or("").to_owned(),
        finish: str_at(choice, "finish_reason").map(str::to_owned),
        ..Answer::default()
    };
    if let Some(calls) = msg.get("tool_calls").and_then(Value::as_array) {
        for c in calls {
            if str_at(c, "type") != Some("function") || str_at(c, "id").is_none() {
                return Err(format!("a tool call without type function and an id: {c}"));
            }
            let f = c.get("function").ok_or("a tool call without `function`")?;
            let name = str_at(f, "name").unwrap_or("").to_owned();
            let raw = str_at(f, "arguments").ok_or("function.arguments is not a string")?;
            a.tool_calls.push(ToolCall {
                arguments: parse_args(&name, raw)?,
                name,
            });
        }
    }
    if let Some(u) = v.get("usage") {
        a.usage = usage(u);
        a.reasoning = reasoning_tokens(u) > 0;
    }
    if msg
        .get("reasoning_content")
        .and_then(Value::as_str)
        .is_some_and(|r| !r.is_empty())
    {
        a.reasoning = true;
    }
    Ok(a)
}

pub(super) fn parse_stream(body: &[u8]) -> Result<Streamed, String> {
    let events = parse_sse(body)?;
    let mut a = Answer::default();
    let mut end = End::Unterminated;
    // index -> (name, arguments so far)
    let mut calls: BTreeMap<u64, (String, String)> = BTreeMap::new();
    for (i, ev) in events.iter().enumerate() {
        if end != End::Unterminated {
            return Err(format!("event {i} after the stream ended: {:?}", ev.data));
        }
        if ev.data == "[DONE]" {
            end = End::Complete;
            continue;
        }
        let v = json_data(ev)?;
        if let Some(e) = v.get("error") {
            end = End::Error(str_at(e, "message").unwrap_or("").to_owned());
            continue;
        }
        if str_at(&v, "object") != Some("chat.completion.chunk") {
            return Err(format!(
                "event {i} is not a chat.completion.chunk: {}",
                ev.data
            ));
        }
        if a.id.is_none() {
            a.id = str_at(&v, "id").map(str::to_owned);
            a.model = str_at(&v, "model").map(str::to_owned);
        }
        let choices = v
            .get("choices")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("event {i} has no choices array"))?;
        for c in choices {
            let Some(delta) = c.get("delta") else {
                return Err(format!("event {i}: a choice without delta"));
            };
            if let Some(t) = str_at(delta, "content") {
                a.text.push_str(t);
            }
            if str_at(delta, "reasoning_content").is_some_and(|r| !r.is_empty()) {
                a.reasoning = true;
            }
            for tc in delta
                .get("tool_calls")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let index = u64_at(tc, "index").ok_or("a tool call delta without index")?;
                let entry = calls.entry(index).or_default();
                if let Some(f) = tc.get("function") {
                    if let Some(n) = str_at(f, "name") {
                        entry.0.push_str(n);
                    }
                    if let Some(args) = str_at(f, "arguments") {
                        entry.1.push_str(args);
                    }
                }
            }
            if let Some(f) = str_at(c, "finish_reason") {
                a.finish = Some(f.to_owned());
            }
        }
        if let Some(u) = v.get("usage").filter(|u| u.is_object()) {
            a.usage = usage(u);
            a.reasoning |= reasoning_tokens(u) > 0;
        }
    }
    for (name, args) in calls.into_values() {
        a.tool_calls.push(ToolCall {
            arguments: parse_args(&name, &args)?,
            name,
        });
    }
    Ok(Streamed {
        answer: a,
        end,
        events: events.len(),
    })
}
