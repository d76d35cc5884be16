//! Handing the API's answer to the LLM: the client's request, in its own API, with the
//! target's (or the global) system prompt, the target as a declared tool, and the call and
//! its result appended as the assistant's tool call and the tool's answer.

use hermesllm::Api;
use hermesllm::ir::{Block, Message, Role, Tool, ToolCallKind, ToolChoice, ToolKind};
use serde_json::{Map, Value};

use crate::config::PromptTarget;

/// The client body (`api`, decoded with `meta`) with the call to `target` and its
/// `result` appended, and `system` as the system prompt when given. `Err`: the body could
/// not be decoded or re-encoded.
pub fn with_api_result(
    api: Api,
    body: &[u8],
    meta: &hermesllm::RequestMeta<'_>,
    system: Option<&str>,
    call: Option<(&PromptTarget, &str, &Map<String, Value>)>,
    result: Option<&str>,
) -> Result<Vec<u8>, String> {
    let mut req =
        hermesllm::translate::decode_request(api, body, meta).map_err(|e| e.to_string())?;
    if let Some(s) = system {
        req.system = vec![Block::Text {
            text: s.to_owned().into(),
        }];
    }
    let schema = call.map(|(t, _, _)| {
        let tool = super::tools::tool(t);
        tool.pointer("/function/parameters")
            .map(Value::to_string)
            .unwrap_or_else(|| "{}".to_owned())
    });
    let raw = match &schema {
        Some(s) => {
            Some(serde_json::value::RawValue::from_string(s.clone()).map_err(|e| e.to_string())?)
        }
        None => None,
    };
    if let (Some((target, call_id, arguments)), Some(result)) = (call, result) {
        // The LLM must answer with the result, not call the tool again. Bedrock Converse has
        // no `tool_choice: none`, and a conversation holding tool calls must declare its
        // tools there, so for a Converse client the call and its result go in as text turns
        // (the tools are then left out, which is Converse's way of saying none).
        if api == Api::BedrockConverse {
            req.tool_choice = Some(ToolChoice::None);
            push_as_text(&mut req, target, arguments, result);
        } else {
            // The tool is declared (Anthropic requires it next to tool results) but not to
            // be called again.
            req.tool_choice = Some(ToolChoice::None);
            if !req.tools.iter().any(|t| t.name.as_str() == target.name) {
                req.tools.push(Tool {
                    name: target.name.clone().into(),
                    description: Some(target.description.clone().into()),
                    kind: ToolKind::Function {
                        parameters: raw.as_deref().map(hermesllm::Raw),
                        strict: None,
                    },
                    cache: None,
                });
            }
            push_as_tool_call(&mut req, target, call_id, arguments, result);
        }
    }
    let mut losses = hermesllm::Losses::default();
    hermesllm::translate::encode_request(api, &req, &mut losses).map_err(|e| e.to_string())
}

/// Appends the call and the API's answer as the assistant's tool call and the tool's result.
fn push_as_tool_call(
    req: &mut hermesllm::ir::Request<'_>,
    target: &PromptTarget,
    call_id: &str,
    arguments: &Map<String, Value>,
    result: &str,
) {
    req.messages.push(Message {
        role: Role::Assistant,
        content: vec![Block::ToolCall {
            id: call_id.to_owned().into(),
            name: target.name.clone().into(),
            arguments: Value::Object(arguments.clone()).to_string().into(),
            kind: ToolCallKind::Function,
        }],
        name: None,
    });
    req.messages.push(Message {
        role: Role::Tool,
        content: vec![Block::ToolResult {
            call_id: call_id.to_owned().into(),
            name: Some(target.name.clone().into()),
            content: vec![Block::Text {
                text: result.to_owned().into(),
            }],
            is_error: false,
        }],
        name: None,
    });
}

/// Appends the call and the API's answer as text: the assistant saying what it called, the
/// user turn carrying the data (turns keep alternating, as Converse requires).
fn push_as_text(
    req: &mut hermesllm::ir::Request<'_>,
    target: &PromptTarget,
    arguments: &Map<String, Value>,
    result: &str,
) {
    let args = Value::Object(arguments.clone()).to_string();
    req.messages.push(Message {
        role: Role::Assistant,
        content: vec![Block::Text {
            text: format!("I called {} with {args}.", target.name).into(),
        }],
        name: None,
    });
    req.messages.push(Message {
        role: Role::User,
        content: vec![Block::Text {
            text: format!("{} answered:\n{result}", target.name).into(),
        }],
        name: None,
    });
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn target() -> PromptTarget {
        let yaml = "version: v0.4.0\nlisteners:\n  - type: model\n    name: m\n    port: 12000\nmodel_providers:\n  - model: openai/gpt-4o\n    access_key: k\n    default: true\nendpoints:\n  api:\n    endpoint: 127.0.0.1:8080\nprompt_targets:\n  - name: get_weather\n    description: d\n    parameters:\n      - name: city\n        description: c\n        type: str\n    endpoint:\n      name: api\n      path: /w\n";
        let cfg =
            crate::config::Config::load(yaml, &std::collections::BTreeMap::<String, String>::new())
                .unwrap();
        cfg.prompts.targets[0].clone()
    }

    fn with_result(api: Api, body: &str, model: Option<&str>) -> Value {
        let t = target();
        let mut args = Map::new();
        args.insert("city".into(), Value::from("Oslo"));
        let meta = hermesllm::RequestMeta {
            model: model.map(|m| m.to_owned().into()),
            stream: false,
        };
        let out = with_api_result(
            api,
            body.as_bytes(),
            &meta,
            Some("use the data"),
            Some((&t, "call_1", &args)),
            Some("{\"temp\":3}"),
        )
        .unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn chat_gets_the_call_and_result_with_tool_choice_none() {
        let v = with_result(
            Api::OpenAiChat,
            r#"{"model":"m","messages":[{"role":"system","content":"client"},{"role":"user","content":"hi"}]}"#,
            None,
        );
        assert_eq!(v["tool_choice"], "none");
        assert_eq!(v["tools"][0]["function"]["name"], "get_weather");
        let last = v["messages"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["role"], "tool");
        assert!(v.to_string().contains("use the data"));
        assert!(!v.to_string().contains("client"));
    }

    #[test]
    fn converse_gets_text_turns_and_no_tools() {
        // Converse has no tool_choice none, and tool blocks would need the tools declared.
        let v = with_result(
            Api::BedrockConverse,
            r#"{"messages":[{"role":"user","content":[{"text":"hi"}]}]}"#,
            Some("m"),
        );
        assert!(v.get("toolConfig").is_none(), "{v}");
        let messages = v["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 3);
        assert_eq!(messages[1]["role"], "assistant");
        assert_eq!(messages[2]["role"], "user");
        assert!(messages[2].to_string().contains("temp"));
    }
}
