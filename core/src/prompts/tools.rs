//! Prompt targets as tools, the function-calling request, and its answer.

use hermesllm::Api;
use hermesllm::ir::Block;
use serde_json::{Map, Value, json};

use crate::config::{PromptTarget, TargetParameter};

/// What the function-calling model decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Match {
    /// Call this target (index into the config's targets) with these arguments.
    Call {
        /// The target's index.
        target: usize,
        /// Arguments, defaults filled in.
        arguments: Map<String, Value>,
        /// The tool call id (the model's, or one the gateway made).
        call_id: String,
    },
    /// Ask the user this before anything is called.
    Clarify(String),
    /// No target fits.
    None,
}

/// JSON Schema type of a parameter's declared type.
fn schema_type(kind: &str) -> &'static str {
    match kind.to_ascii_lowercase().as_str() {
        "int" | "integer" => "integer",
        "float" | "number" | "double" => "number",
        "bool" | "boolean" => "boolean",
        "list" | "array" => "array",
        "dict" | "object" => "object",
        _ => "string",
    }
}

/// The OpenAI tool definition of a target.
pub fn tool(t: &PromptTarget) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for p in &t.parameters {
        let mut prop = Map::new();
        prop.insert("type".into(), Value::from(schema_type(&p.kind)));
        prop.insert("description".into(), Value::from(p.description.clone()));
        if !p.values.is_empty() {
            prop.insert("enum".into(), Value::Array(p.values.clone()));
        }
        if let Some(d) = &p.default {
            prop.insert("default".into(), d.clone());
        }
        if let Some(f) = &p.format {
            prop.insert("format".into(), Value::from(f.clone()));
        }
        properties.insert(p.name.clone(), Value::Object(prop));
        if p.required {
            required.push(Value::from(p.name.clone()));
        }
    }
    json!({
        "type": "function",
        "function": {
            "name": t.name,
            "description": t.description,
            "parameters": {"type": "object", "properties": properties, "required": required},
        }
    })
}

/// The function-calling request (OpenAI Chat): the client's conversation (as OpenAI Chat
/// messages, `messages`), the targets as tools, the global system prompt first.
pub fn function_request(
    model: &str,
    targets: &[PromptTarget],
    system_prompt: Option<&str>,
    messages: Vec<Value>,
) -> Vec<u8> {
    let mut all = Vec::with_capacity(messages.len() + 1);
    if let Some(s) = system_prompt {
        all.push(json!({"role": "system", "content": s}));
    }
    all.extend(
        messages
            .into_iter()
            .filter(|m| m.get("role").and_then(Value::as_str) != Some("system")),
    );
    let tools: Vec<Value> = targets.iter().map(tool).collect();
    serde_json::to_vec(&json!({
        "model": model,
        "messages": all,
        "tools": tools,
        "tool_choice": "auto",
        "temperature": 0.01,
        "stream": false,
    }))
    .unwrap_or_default()
}

/// Reads the function-calling model's response body (`upstream` is the API its provider
/// speaks). `Err` when the body is not a response at all.
pub fn read_answer(upstream: Api, body: &[u8], targets: &[PromptTarget]) -> Result<Match, String> {
    let response = hermesllm::translate::decode_response(upstream, body)
        .map_err(|e| format!("unreadable function-calling answer: {e}"))?;
    let Some(choice) = response.choices.first() else {
        return Ok(Match::None);
    };
    let mut text = String::new();
    let mut call = None;
    for b in &choice.content {
        match b {
            Block::Text { text: t } => text.push_str(t.as_str()),
            Block::ToolCall {
                id,
                name,
                arguments,
                ..
            } if call.is_none() => {
                call = Some((
                    id.as_str().to_owned(),
                    name.as_str().to_owned(),
                    arguments.as_str().to_owned(),
                ));
            }
            _ => {}
        }
    }
    let text = text.trim();
    let Some((id, name, arguments)) = call else {
        return Ok(if text.ends_with('?') {
            Match::Clarify(text.to_owned())
        } else {
            Match::None
        });
    };
    let Some((index, target)) = targets.iter().enumerate().find(|(_, t)| t.name == name) else {
        return Ok(Match::None);
    };
    let mut args = parse_arguments(&arguments);
    let mut missing: Vec<&TargetParameter> = Vec::new();
    for p in &target.parameters {
        let present = args.get(&p.name).is_some_and(|v| !is_empty(v));
        if !present {
            match &p.default {
                Some(d) => {
                    args.insert(p.name.clone(), d.clone());
                }
                None if p.required => missing.push(p),
                None => {}
            }
        } else if !p.values.is_empty()
            && let Some(v) = args.get(&p.name)
            && !p.values.contains(v)
        {
            missing.push(p);
        }
    }
    if !missing.is_empty() {
        let question = if text.is_empty() {
            let wanted: Vec<String> = missing
                .iter()
                .map(|p| match p.values.as_slice() {
                    [] => p.description.clone(),
                    values => format!(
                        "{} (one of: {})",
                        p.description,
                        values
                            .iter()
                            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                })
                .collect();
            format!("Could you tell me {}?", wanted.join(" and "))
        } else {
            text.to_owned()
        };
        return Ok(Match::Clarify(question));
    }
    Ok(Match::Call {
        target: index,
        arguments: args,
        call_id: if id.is_empty() {
            format!("call_{name}")
        } else {
            id
        },
    })
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// Tool-call arguments, read leniently: JSON text, perhaps fenced, perhaps a JSON string
/// holding JSON; anything else is no arguments.
fn parse_arguments(raw: &str) -> Map<String, Value> {
    let t = raw.trim();
    let t = t
        .strip_prefix("```json")
        .or_else(|| t.strip_prefix("```"))
        .map_or(t, |s| s.trim_end().trim_end_matches("```"))
        .trim();
    match serde_json::from_str::<Value>(t) {
        Ok(Value::Object(m)) => m,
        Ok(Value::String(inner)) => match serde_json::from_str::<Value>(&inner) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        },
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weather() -> PromptTarget {
        let cfg = crate::config::Config::load(
            "version: v0.4.0\nlisteners:\n  - type: prompt\n    name: p\n    port: 10000\n  - type: model\n    name: m\n    port: 12000\nmodel_providers:\n  - model: openai/gpt-4o\n    access_key: k\n    default: true\nendpoints:\n  api:\n    endpoint: 127.0.0.1:9\nprompt_targets:\n  - name: get_weather\n    description: current weather\n    parameters:\n      - name: city\n        description: the city\n        type: str\n        required: true\n      - name: units\n        description: the units\n        type: str\n        enum: [metric, imperial]\n        default: metric\n    endpoint:\n      name: api\n      path: /weather/{city}\n",
            &std::collections::BTreeMap::<String, String>::new(),
        )
        .unwrap();
        cfg.prompts.targets[0].clone()
    }

    fn answer(content: Option<&str>, args: Option<&str>) -> Vec<u8> {
        let mut message = json!({"role": "assistant", "content": content});
        if let Some(a) = args {
            message["tool_calls"] = json!([{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": a}}]);
        }
        serde_json::to_vec(
            &json!({"id": "x", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}]}),
        )
        .unwrap()
    }

    #[test]
    fn reads_calls_clarifications_and_misses() {
        let t = [weather()];
        let read = |b: Vec<u8>| read_answer(Api::OpenAiChat, &b, &t).unwrap();
        match read(answer(None, Some(r#"{"city":"Seattle"}"#))) {
            Match::Call {
                target,
                arguments,
                call_id,
            } => {
                assert_eq!(target, 0);
                assert_eq!(arguments["city"], "Seattle");
                assert_eq!(arguments["units"], "metric", "default filled in");
                assert_eq!(call_id, "call_1");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            read(answer(None, Some("{}"))),
            Match::Clarify("Could you tell me the city?".into())
        );
        assert_eq!(
            read(answer(Some("Which city?"), Some(r#"{"city":""}"#))),
            Match::Clarify("Which city?".into())
        );
        assert_eq!(
            read(answer(None, Some(r#"{"city":"Oslo","units":"kelvin"}"#))),
            Match::Clarify("Could you tell me the units (one of: metric, imperial)?".into())
        );
        assert_eq!(
            read(answer(Some("Which city do you mean?"), None)),
            Match::Clarify("Which city do you mean?".into())
        );
        assert_eq!(read(answer(Some("Hello there."), None)), Match::None);
        assert!(matches!(
            read(answer(None, Some("```json\n{\"city\":\"Rome\"}\n```"))),
            Match::Call { .. }
        ));
        assert!(read_answer(Api::OpenAiChat, b"<html>", &t).is_err());
    }

    #[test]
    fn targets_become_tools() {
        let tool = tool(&weather());
        assert_eq!(tool["function"]["name"], "get_weather");
        assert_eq!(tool["function"]["parameters"]["required"], json!(["city"]));
        assert_eq!(
            tool["function"]["parameters"]["properties"]["units"]["enum"],
            json!(["metric", "imperial"])
        );
    }
}
