//! Tool definitions and tool choice: `toolConfig` ↔ [`ir::Tool`]s and [`ir::ToolChoice`].

use super::blocks::{decode_cache, encode_cache};
use super::types::{
    Empty, InputSchema, ToolChoice, ToolConfig, ToolEntry, ToolName, ToolSpec, Union,
};
use crate::ir::{self, Block, Tool, ToolKind};
use crate::{Api, DecodeError, Losses, Raw, Str};

const API: Api = Api::BedrockConverse;

pub(super) fn decode_tools<'a>(
    tc: ToolConfig<'a>,
    req: &mut ir::Request<'a>,
) -> Result<(), DecodeError> {
    let ToolConfig { tools, tool_choice } = tc;
    for (i, entry) in tools.into_iter().enumerate() {
        match entry {
            Union::Known(ToolEntry::ToolSpec(ToolSpec {
                name,
                description,
                input_schema,
            })) => req.tools.push(Tool {
                name,
                description,
                kind: ToolKind::Function {
                    parameters: Some(input_schema.json),
                    strict: None,
                },
                cache: None,
            }),
            Union::Known(ToolEntry::CachePoint(cp)) => {
                let Some(last) = req.tools.last_mut() else {
                    return Err(DecodeError::invalid(
                        format!("toolConfig.tools[{i}]"),
                        "a cachePoint must follow a tool",
                    ));
                };
                last.cache = Some(decode_cache(&cp));
            }
            Union::Unknown(raw) => req.tools.push(Tool {
                name: Str::default(),
                description: None,
                kind: ToolKind::Builtin { origin: API, raw },
                cache: None,
            }),
        }
    }
    req.tool_choice = tool_choice.map(|c| match c {
        ToolChoice::Auto(_) => ir::ToolChoice::Auto,
        ToolChoice::Any(_) => ir::ToolChoice::Required,
        ToolChoice::Tool(ToolName { name }) => ir::ToolChoice::Tool { name },
    });
    Ok(())
}

pub(super) fn encode_tools<'b>(
    tools: &'b [Tool<'_>],
    choice: Option<&'b ir::ToolChoice<'_>>,
    uses_tools: bool,
    losses: &mut Losses,
) -> Option<ToolConfig<'b>> {
    let mut allowed: Option<&[Str<'_>]> = None;
    let tool_choice = match choice {
        None => None,
        Some(ir::ToolChoice::Auto) => Some(ToolChoice::Auto(Empty {})),
        Some(ir::ToolChoice::Required) => Some(ToolChoice::Any(Empty {})),
        Some(ir::ToolChoice::Tool { name }) => Some(ToolChoice::Tool(ToolName {
            name: name.reborrow(),
        })),
        Some(ir::ToolChoice::None) => {
            if !uses_tools {
                if !tools.is_empty() {
                    losses.approximated(
                        "tool_choice",
                        "Bedrock has no tool_choice none; tools left out instead",
                    );
                }
                return None;
            }
            losses.dropped(
                "tool_choice",
                "Bedrock has no tool_choice none (tools are needed for the tool calls in the conversation)",
            );
            None
        }
        Some(ir::ToolChoice::Allowed { names, required }) => {
            losses.approximated(
                "tool_choice",
                "allowed tools sent as the only tools defined",
            );
            allowed = Some(names);
            Some(if *required {
                ToolChoice::Any(Empty {})
            } else {
                ToolChoice::Auto(Empty {})
            })
        }
    };
    let mut out = Vec::with_capacity(tools.len());
    for (i, t) in tools.iter().enumerate() {
        if allowed.is_some_and(|names| !names.iter().any(|n| n.as_str() == t.name.as_str())) {
            continue;
        }
        let Tool {
            name,
            description,
            kind,
            cache,
        } = t;
        match kind {
            ToolKind::Function { parameters, strict } => {
                if *strict == Some(true) {
                    losses.dropped(
                        format!("tools[{i}].strict"),
                        "Bedrock tool specs have no strict mode",
                    );
                }
                let Some(json) = parameters.or_else(|| Raw::parse(EMPTY_SCHEMA).ok()) else {
                    continue;
                };
                out.push(Union::Known(ToolEntry::ToolSpec(ToolSpec {
                    name: name.reborrow(),
                    description: description.as_ref().map(Str::reborrow),
                    input_schema: InputSchema { json },
                })));
            }
            ToolKind::Builtin { origin: API, raw } => out.push(Union::Unknown(*raw)),
            _ => {
                losses.dropped(format!("tools[{i}]"), "no Bedrock equivalent of this tool");
                continue;
            }
        }
        if let Some(c) = cache {
            out.push(Union::Known(ToolEntry::CachePoint(encode_cache(c))));
        }
    }
    if out.is_empty() {
        return None;
    }
    Some(ToolConfig {
        tools: out,
        tool_choice,
    })
}

/// Bedrock rejects a conversation holding tool calls or results without `toolConfig` (other
/// APIs allow it once tools are no longer offered): declare the called tools with an open
/// schema so the history stays valid.
pub(super) fn stand_in_tools<'b>(
    messages: &'b [ir::Message<'_>],
    losses: &mut Losses,
) -> Option<ToolConfig<'b>> {
    let schema = Raw::parse(r#"{"type":"object"}"#).ok()?;
    let mut tools: Vec<Union<'b, ToolEntry<'b>>> = Vec::new();
    let calls = messages.iter().flat_map(|m| &m.content);
    for name in calls.filter_map(|b| match b {
        Block::ToolCall { name, .. } => Some(name),
        _ => None,
    }) {
        let seen = tools.iter().any(|t| {
            matches!(t, Union::Known(ToolEntry::ToolSpec(s)) if s.name.as_str() == name.as_str())
        });
        if !seen {
            tools.push(Union::Known(ToolEntry::ToolSpec(ToolSpec {
                name: name.reborrow(),
                description: None,
                input_schema: InputSchema { json: schema },
            })));
        }
    }
    if tools.is_empty() {
        return None;
    }
    losses.approximated(
        "tools",
        "Bedrock needs tool definitions for the tool calls in the conversation; stand-ins with an open schema were declared",
    );
    Some(ToolConfig {
        tools,
        tool_choice: None,
    })
}

/// The schema of a function without parameters.
const EMPTY_SCHEMA: &str = r#"{"type":"object","properties":{}}"#;
