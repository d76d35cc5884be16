//! Gemini generateContent.

use serde_json::{Value, json};

use super::{
    Answer, ApiErr, Built, End, PNG_B64, Req, SYSTEM, Streamed, ToolCall, Tools, Usage, set,
    str_at, tool_defs, u64_at,
};
use crate::http::percent_encode;
use crate::stream::{json_data, parse_sse};

pub(super) fn build(req: &Req) -> Built {
    let mut parts = vec![json!({"text": req.prompt})];
    if req.image {
        parts.push(json!({"inlineData": {"mimeType": "image/png", "data": PNG_B64}}));
    }
    let mut generation = json!({"maxOutputTokens": req.max_tokens()});
    if req.thinking {
        set(
            &mut generation,
            "thinkingConfig",
            json!({"includeThoughts": true, "thinkingBudget": 1024}),
        );
    }
    let mut body = json!({
        "systemInstruction": {"parts": [{"text": SYSTEM}]},
        "contents": [{"role": "user", "parts": parts}],
        "generationConfig": generation,
    });
    if req.tools != Tools::None {
        let decls: Vec<Value> = tool_defs(req.tools)
            .into_iter()
            .map(|(name, description, schema)| {
                json!({"name": name, "description": description, "parameters": schema})
            })
            .collect();
        set(&mut body, "tools", json!([{"functionDeclarations": decls}]));
    }
    let model = percent_encode(&req.model);
    let path = if req.stream {
        format!("/v1beta/models/{model}:streamGenerateContent?alt=sse")
    } else {
        format!("/v1beta/models/{model}:generateContent")
    };
    Built { path, body }
}

fn usage(u: &Value) -> Option<Usage> {
    Some(Usage {
        input: u64_at(u, "promptTokenCount")?,
        output: u64_at(u, "candidatesTokenCount").unwrap_or(0)
            + u64_at(u, "thoughtsTokenCount").unwrap_or(0),
        cached: u64_at(u, "cachedContentTokenCount"),
    })
}

/// Folds one `GenerateContentResponse` (a whole response or a stream chunk) into `a`.
fn fold(v: &Value, a: &mut Answer) -> Result<(), String> {
    if let Some(m) = str_at(v, "modelVersion") {
        a.model = Some(m.to_owned());
    }
    if let Some(id) = str_at(v, "responseId") {
        a.id = Some(id.to_owned());
    }
    if let Some(u) = v.get("usageMetadata")
        && let Some(u) = usage(u)
    {
        a.usage = Some(u);
    }
    let Some(candidates) = v.get("candidates") else {
        return Ok(());
    };
    let c = candidates
        .as_array()
        .and_then(|c| c.first())
        .ok_or("candidates is not a non-empty array")?;
    for part in c
        .get("content")
        .and_then(|c| c.get("parts"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let thought = part.get("thought").and_then(Value::as_bool) == Some(true);
        if part.get("thoughtSignature").is_some() {
            a.reasoning_signature = true;
        }
        if thought {
            a.reasoning = true;
        } else if let Some(t) = str_at(part, "text") {
            a.text.push_str(t);
        }
        if let Some(fc) = part.get("functionCall") {
            let name = str_at(fc, "name").unwrap_or("").to_owned();
            let args = fc.get("args").cloned().unwrap_or_else(|| json!({}));
            if !args.is_object() {
                return Err(format!("functionCall `{name}` args is not an object"));
            }
            a.tool_calls.push(ToolCall {
                name,
                arguments: args,
            });
        }
    }
    if let Some(f) = str_at(c, "finishReason") {
        a.finish = Some(f.to_owned());
    }
    Ok(())
}

pub(super) fn parse(v: &Value) -> Result<Answer, String> {
    if v.get("candidates").is_none() {
        return Err("no candidates".to_owned());
    }
    let mut a = Answer::default();
    fold(v, &mut a)?;
    Ok(a)
}

fn reduce(chunks: &[Value]) -> Result<(Answer, End), String> {
    let mut a = Answer::default();
    let mut end = End::Unterminated;
    for (i, v) in chunks.iter().enumerate() {
        if end != End::Unterminated {
            return Err(format!("chunk {i} after the stream ended: {v}"));
        }
        if let Some(e) = v.get("error") {
            end = End::Error(str_at(e, "message").unwrap_or("").to_owned());
            continue;
        }
        if v.get("candidates").is_none() && v.get("usageMetadata").is_none() {
            return Err(format!(
                "chunk {i} has neither candidates nor usageMetadata: {v}"
            ));
        }
        fold(v, &mut a).map_err(|e| format!("chunk {i}: {e}"))?;
        // Gemini's last chunk carries the finish reason (usage may follow in the same one).
        if a.finish.is_some() && v.get("usageMetadata").is_some() {
            end = End::Complete;
        }
    }
    if end == End::Unterminated && a.finish.is_some() {
        end = End::Complete;
    }
    Ok((a, end))
}

pub(super) fn parse_stream(body: &[u8]) -> Result<Streamed, String> {
    let events = parse_sse(body)?;
    let chunks = events
        .iter()
        .map(json_data)
        .collect::<Result<Vec<_>, _>>()?;
    let (answer, end) = reduce(&chunks)?;
    Ok(Streamed {
        answer,
        end,
        events: events.len(),
    })
}

/// A stream without `?alt=sse`: one JSON array of responses.
pub(crate) fn parse_array_stream(body: &[u8]) -> Result<Streamed, String> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| format!("the stream is not one JSON array ({e})"))?;
    let chunks = v.as_array().ok_or("the stream is not a JSON array")?;
    let (answer, end) = reduce(chunks)?;
    Ok(Streamed {
        answer,
        end,
        events: chunks.len(),
    })
}

/// `{"error":{"code","message","status"}}`, `code` equal to the HTTP status.
pub(super) fn error(v: &Value, status: u16) -> Result<ApiErr, String> {
    let e = v.get("error").ok_or("no `error` object")?;
    let code = u64_at(e, "code").ok_or("no numeric error.code")?;
    if code != u64::from(status) {
        return Err(format!(
            "error.code {code} differs from the HTTP status {status}"
        ));
    }
    Ok(ApiErr {
        kind: str_at(e, "status").ok_or("no error.status")?.to_owned(),
        message: str_at(e, "message").ok_or("no error.message")?.to_owned(),
    })
}
