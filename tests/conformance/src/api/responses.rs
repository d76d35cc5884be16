//! OpenAI Responses.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{
    Answer, Built, End, PNG_B64, Req, SYSTEM, Streamed, ToolCall, Tools, Usage, parse_args, set,
    str_at, tool_defs, u64_at,
};
use crate::stream::{json_data, parse_sse};

pub(super) fn build(req: &Req) -> Built {
    let mut content = vec![json!({"type": "input_text", "text": req.prompt})];
    if req.image {
        content.push(json!({
            "type": "input_image",
            "image_url": format!("data:image/png;base64,{PNG_B64}")
        }));
    }
    let mut body = json!({
        "model": req.model,
        "instructions": SYSTEM,
        "input": [{"role": "user", "content": content}],
        "max_output_tokens": req.max_tokens(),
    });
    if req.stream {
        set(&mut body, "stream", json!(true));
    }
    if req.tools != Tools::None {
        let tools: Vec<Value> = tool_defs(req.tools)
            .into_iter()
            .map(|(name, description, parameters)| {
                json!({"type": "function", "name": name, "description": description, "parameters": parameters})
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
        set(
            &mut body,
            "reasoning",
            json!({"effort": "low", "summary": "auto"}),
        );
    }
    Built {
        path: "/v1/responses".to_owned(),
        body,
    }
}

fn usage(u: &Value) -> Option<Usage> {
    Some(Usage {
        input: u64_at(u, "input_tokens")?,
        output: u64_at(u, "output_tokens")?,
        cached: u
            .get("input_tokens_details")
            .and_then(|d| u64_at(d, "cached_tokens")),
    })
}

/// Reduces a `response` object (a non-streaming body, or the one in a terminal event).
pub(super) fn parse(v: &Value) -> Result<Answer, String> {
    if str_at(v, "object") != Some("response") {
        return Err(format!(
            "expected object \"response\", got {:?}",
            v.get("object")
        ));
    }
    let id = str_at(v, "id").ok_or("no id")?;
    let output = v
        .get("output")
        .and_then(Value::as_array)
        .ok_or("no output array")?;
    let mut a = Answer {
        id: Some(id.to_owned()),
        model: str_at(v, "model").map(str::to_owned),
        finish: str_at(v, "status").map(str::to_owned),
        usage: v.get("usage").and_then(usage),
        ..Answer::default()
    };
    for item in output {
        match str_at(item, "type") {
            Some("message") => {
                for part in item
                    .get("content")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if str_at(part, "type") == Some("output_text") {
                        a.text.push_str(str_at(part, "text").unwrap_or(""));
                    }
                }
            }
            Some("function_call") => {
                let name = str_at(item, "name").unwrap_or("").to_owned();
                if str_at(item, "call_id").is_none() {
                    return Err(format!("function_call `{name}` without call_id"));
                }
                let raw =
                    str_at(item, "arguments").ok_or("function_call.arguments is not a string")?;
                a.tool_calls.push(ToolCall {
                    arguments: parse_args(&name, raw)?,
                    name,
                });
            }
            Some("reasoning") => {
                a.reasoning = true;
                a.reasoning_signature |= str_at(item, "encrypted_content").is_some();
            }
            _ => {}
        }
    }
    if let Some(u) = v.get("usage") {
        let r = u
            .get("output_tokens_details")
            .and_then(|d| u64_at(d, "reasoning_tokens"))
            .unwrap_or(0);
        a.reasoning |= r > 0;
    }
    Ok(a)
}

pub(super) fn parse_stream(body: &[u8]) -> Result<Streamed, String> {
    let events = parse_sse(body)?;
    let mut end = End::Unterminated;
    let mut last_seq: Option<u64> = None;
    let mut text = String::new();
    let mut final_response: Option<Value> = None;
    // output_index -> (name from output_item.done, arguments from deltas)
    let mut arg_deltas: BTreeMap<u64, String> = BTreeMap::new();
    let mut done_calls: BTreeMap<u64, (String, String)> = BTreeMap::new();
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
        if i == 0 && kind != "response.created" && kind != "error" {
            return Err(format!("the first event is {kind:?}, not response.created"));
        }
        if i > 0 && kind == "response.created" {
            let id = v
                .get("response")
                .and_then(|r| str_at(r, "id"))
                .unwrap_or("");
            return Err(format!(
                "event {i} is a second response.created (id {id:?}): the stream restarted"
            ));
        }
        if let Some(seq) = u64_at(&v, "sequence_number") {
            if last_seq.is_some_and(|l| seq <= l) {
                return Err(format!(
                    "event {i}: sequence_number {seq} does not increase (after {last_seq:?})"
                ));
            }
            last_seq = Some(seq);
        }
        match kind {
            "response.output_text.delta" => text.push_str(str_at(&v, "delta").unwrap_or("")),
            "response.function_call_arguments.delta" => {
                let idx = u64_at(&v, "output_index").unwrap_or(0);
                arg_deltas
                    .entry(idx)
                    .or_default()
                    .push_str(str_at(&v, "delta").unwrap_or(""));
            }
            "response.output_item.done" => {
                let idx = u64_at(&v, "output_index").unwrap_or(0);
                if let Some(item) = v.get("item")
                    && str_at(item, "type") == Some("function_call")
                {
                    done_calls.insert(
                        idx,
                        (
                            str_at(item, "name").unwrap_or("").to_owned(),
                            str_at(item, "arguments").unwrap_or("").to_owned(),
                        ),
                    );
                }
            }
            "response.completed" | "response.incomplete" | "response.failed" => {
                final_response = v.get("response").cloned();
                end = if kind == "response.failed" {
                    End::Error(
                        v.get("response")
                            .and_then(|r| r.get("error"))
                            .and_then(|e| str_at(e, "message"))
                            .unwrap_or("response.failed")
                            .to_owned(),
                    )
                } else {
                    End::Complete
                };
            }
            "error" => {
                end = End::Error(str_at(&v, "message").unwrap_or("").to_owned());
            }
            _ => {}
        }
    }
    let mut a = match &final_response {
        Some(r) => parse(r).map_err(|e| format!("the terminal event's response: {e}"))?,
        None => Answer::default(),
    };
    if final_response.is_some() && a.text != text {
        return Err(format!(
            "the text deltas {text:?} differ from the final response's text {:?}",
            a.text
        ));
    }
    a.text = text;
    // The streamed calls: names and arguments from output_item.done, checked against the
    // argument deltas.
    let mut streamed = Vec::new();
    for (idx, (name, args)) in done_calls {
        if let Some(deltas) = arg_deltas.get(&idx)
            && *deltas != args
        {
            return Err(format!(
                "tool call `{name}`: argument deltas {deltas:?} differ from the done item's {args:?}"
            ));
        }
        streamed.push(ToolCall {
            arguments: parse_args(&name, &args)?,
            name,
        });
    }
    if final_response.is_some() && streamed != a.tool_calls {
        return Err(format!(
            "streamed tool calls {streamed:?} differ from the final response's {:?}",
            a.tool_calls
        ));
    }
    a.tool_calls = streamed;
    Ok(Streamed {
        answer: a,
        end,
        events: events.len(),
    })
}
