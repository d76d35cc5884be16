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
        // The tool is declared (Anthropic and Bedrock require it next to tool results) but
        // not to be called again: the LLM answers with the result.
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
    let mut losses = hermesllm::Losses::default();
    hermesllm::translate::encode_request(api, &req, &mut losses).map_err(|e| e.to_string())
}
