//! Bedrock Converse (the stream is AWS eventstream).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{
    Answer, ApiErr, Built, End, PNG_B64, Req, SYSTEM, Streamed, ToolCall, Tools, Usage, parse_args,
    set, str_at, tool_defs, u64_at,
};
use crate::http::{Resp, percent_encode};
use crate::stream::parse_eventstream;

pub(super) fn build(req: &Req) -> Built {
    let mut content = vec![json!({"text": req.prompt})];
    if req.image {
        content.push(json!({"image": {"format": "png", "source": {"bytes": PNG_B64}}}));
    }
    let mut body = json!({
        "system": [{"text": SYSTEM}],
        "messages": [{"role": "user", "content": content}],
        "inferenceConfig": {"maxTokens": req.max_tokens()},
    });
    if req.tools != Tools::None {
        let tools: Vec<Value> = tool_defs(req.tools)
            .into_iter()
            .map(|(name, description, schema)| {
                json!({"toolSpec": {"name": name, "description": description, "inputSchema": {"json": schema}}})
            })
            .collect();
        set(&mut body, "toolConfig", json!({"tools": tools}));
    }
    if req.thinking {
        set(
            &mut body,
            "additionalModelRequestFields",
            json!({"thinking": {"type": "enabled", "budget_tokens": 1024}}),
        );
    }
    let model = percent_encode(&req.model);
    let action = if req.stream {
        "converse-stream"
    } else {
        "converse"
    };
    Built {
        path: format!("/model/{model}/{action}"),
        body,
    }
}

fn usage(u: &Value) -> Option<Usage> {
    Some(Usage {
        input: u64_at(u, "inputTokens")?,
        output: u64_at(u, "outputTokens")?,
        cached: u64_at(u, "cacheReadInputTokens"),
    })
}

pub(super) fn parse(v: &Value) -> Result<Answer, String> {
    let content = v
        .get("output")
        .and_then(|o| o.get("message"))
        .and_then(|m| m.get("content"))
        .and_then(Value::as_array)
        .ok_or("no output.message.content array")?;
    let mut a = Answer {
        finish: str_at(v, "stopReason").map(str::to_owned),
        usage: v.get("usage").and_then(usage),
        ..Answer::default()
    };
    for block in content {
        if let Some(t) = str_at(block, "text") {
            a.text.push_str(t);
        }
        if let Some(t) = block.get("toolUse") {
            let name = str_at(t, "name").unwrap_or("").to_owned();
            let input = t.get("input").cloned().unwrap_or(Value::Null);
            if !input.is_object() || str_at(t, "toolUseId").is_none() {
                return Err(format!(
                    "toolUse `{name}` without toolUseId and an object input"
                ));
            }
            a.tool_calls.push(ToolCall {
                name,
                arguments: input,
            });
        }
        if let Some(r) = block.get("reasoningContent") {
            a.reasoning = true;
            a.reasoning_signature |= r
                .get("reasoningText")
                .and_then(|t| str_at(t, "signature"))
                .is_some()
                || r.get("redactedContent").is_some();
        }
    }
    Ok(a)
}

pub(super) fn parse_stream(body: &[u8]) -> Result<Streamed, String> {
    let messages = parse_eventstream(body)?;
    let mut a = Answer::default();
    let mut end = End::Unterminated;
    let mut stopped = false;
    // contentBlockIndex -> (tool name, input so far)
    let mut tools: BTreeMap<u64, (String, String)> = BTreeMap::new();
    for (i, m) in messages.iter().enumerate() {
        if end != End::Unterminated {
            return Err(format!("message {i} after the stream ended"));
        }
        let payload: Value = serde_json::from_slice(&m.payload).map_err(|e| {
            format!(
                "message {i}'s payload is not JSON ({e}): {}",
                String::from_utf8_lossy(&m.payload)
            )
        })?;
        match m.header(":message-type") {
            Some("event") => {}
            Some("exception") => {
                let kind = m.header(":exception-type").unwrap_or("");
                let msg = str_at(&payload, "message")
                    .or_else(|| str_at(&payload, "Message"))
                    .unwrap_or("");
                end = End::Error(format!("{kind}: {msg}"));
                continue;
            }
            other => return Err(format!("message {i} has :message-type {other:?}")),
        }
        let kind = m
            .header(":event-type")
            .ok_or_else(|| format!("message {i} has no :event-type"))?;
        if i == 0 && kind != "messageStart" {
            return Err(format!("the first event is {kind}, not messageStart"));
        }
        match kind {
            "messageStart" => {}
            "contentBlockStart" => {
                let idx = u64_at(&payload, "contentBlockIndex").unwrap_or(0);
                if let Some(t) = payload.get("start").and_then(|s| s.get("toolUse")) {
                    tools.insert(
                        idx,
                        (str_at(t, "name").unwrap_or("").to_owned(), String::new()),
                    );
                }
            }
            "contentBlockDelta" => {
                let idx = u64_at(&payload, "contentBlockIndex").unwrap_or(0);
                let d = payload
                    .get("delta")
                    .ok_or("contentBlockDelta without delta")?;
                if let Some(t) = str_at(d, "text") {
                    a.text.push_str(t);
                }
                if let Some(t) = d.get("toolUse") {
                    let entry = tools
                        .get_mut(&idx)
                        .ok_or_else(|| format!("a toolUse delta for block {idx} never started"))?;
                    entry.1.push_str(str_at(t, "input").unwrap_or(""));
                }
                if let Some(r) = d.get("reasoningContent") {
                    a.reasoning = true;
                    a.reasoning_signature |=
                        r.get("signature").is_some() || r.get("redactedContent").is_some();
                }
            }
            "contentBlockStop" => {}
            "messageStop" => {
                stopped = true;
                a.finish = str_at(&payload, "stopReason").map(str::to_owned);
            }
            "metadata" => {
                a.usage = payload.get("usage").and_then(usage);
                if stopped {
                    end = End::Complete;
                }
            }
            other => return Err(format!("unknown event type {other}")),
        }
    }
    for (name, input) in tools.into_values() {
        a.tool_calls.push(ToolCall {
            arguments: parse_args(&name, &input)?,
            name,
        });
    }
    Ok(Streamed {
        answer: a,
        end,
        events: messages.len(),
    })
}

/// `{"message": ...}` with header `x-amzn-ErrorType` naming the exception.
pub(super) fn error(v: &Value, resp: &Resp) -> Result<ApiErr, String> {
    let message = str_at(v, "message")
        .or_else(|| str_at(v, "Message"))
        .ok_or("no `message` string")?;
    let kind = resp
        .header("x-amzn-errortype")
        .ok_or("no x-amzn-ErrorType header")?;
    // The header may carry `Name:namespace`.
    let kind = kind.split(':').next().unwrap_or(kind);
    Ok(ApiErr {
        kind: kind.to_owned(),
        message: message.to_owned(),
    })
}
