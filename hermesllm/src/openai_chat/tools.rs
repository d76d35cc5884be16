//! Tool definitions and `tool_choice` (with the legacy `function_call`) → internal model.

use super::types::{NameOnly, StrOr, ToolChoiceObject, ToolDef};
use crate::DecodeError;
use crate::ir;

pub(super) fn decode_tool<'a>(i: usize, t: ToolDef<'a>) -> Result<ir::Tool<'a>, DecodeError> {
    match t.kind.as_str() {
        "function" => {
            let Some(f) = t.function else {
                return Err(DecodeError::invalid(
                    format!("tools[{i}].function"),
                    "is required",
                ));
            };
            if f.name.is_empty() {
                return Err(DecodeError::invalid(
                    format!("tools[{i}].function.name"),
                    "is required",
                ));
            }
            Ok(ir::Tool {
                name: f.name,
                description: f.description,
                kind: ir::ToolKind::Function {
                    parameters: f.parameters.filter(|p| !p.is_null()),
                    strict: f.strict,
                },
                cache: None,
            })
        }
        "custom" => {
            let Some(c) = t.custom else {
                return Err(DecodeError::invalid(
                    format!("tools[{i}].custom"),
                    "is required",
                ));
            };
            Ok(ir::Tool {
                name: c.name,
                description: c.description,
                kind: ir::ToolKind::Custom {
                    format: c.format.filter(|f| !f.is_null()),
                },
                cache: None,
            })
        }
        _ => Err(DecodeError::invalid(
            format!("tools[{i}].type"),
            "must be function or custom",
        )),
    }
}

pub(super) fn decode_tool_choice<'a>(
    tc: StrOr<'a, ToolChoiceObject<'a>>,
) -> Result<ir::ToolChoice<'a>, DecodeError> {
    match tc {
        StrOr::Str(s) => match s.as_str() {
            "auto" => Ok(ir::ToolChoice::Auto),
            "none" => Ok(ir::ToolChoice::None),
            "required" => Ok(ir::ToolChoice::Required),
            _ => Err(DecodeError::invalid(
                "tool_choice",
                "must be auto, none, required or an object",
            )),
        },
        StrOr::Other(o) => match (o.kind.as_str(), o.function, o.custom, o.allowed_tools) {
            ("function", Some(NameOnly { name }), _, _)
            | ("custom", _, Some(NameOnly { name }), _) => Ok(ir::ToolChoice::Tool { name }),
            ("allowed_tools", _, _, Some(a)) => {
                let required = match a.mode.as_str() {
                    "auto" => false,
                    "required" => true,
                    _ => {
                        return Err(DecodeError::invalid(
                            "tool_choice.allowed_tools.mode",
                            "must be auto or required",
                        ));
                    }
                };
                let names = a
                    .tools
                    .into_iter()
                    .filter_map(|t| t.function.or(t.custom).map(|n| n.name))
                    .collect();
                Ok(ir::ToolChoice::Allowed { names, required })
            }
            _ => Err(DecodeError::invalid(
                "tool_choice.type",
                "must be function, custom or allowed_tools with its object",
            )),
        },
    }
}

pub(super) fn decode_function_call_choice<'a>(
    fc: StrOr<'a, NameOnly<'a>>,
) -> Result<ir::ToolChoice<'a>, DecodeError> {
    match fc {
        StrOr::Str(s) if s == "auto" => Ok(ir::ToolChoice::Auto),
        StrOr::Str(s) if s == "none" => Ok(ir::ToolChoice::None),
        StrOr::Str(_) => Err(DecodeError::invalid(
            "function_call",
            "must be auto, none or {\"name\": ...}",
        )),
        StrOr::Other(NameOnly { name }) => Ok(ir::ToolChoice::Tool { name }),
    }
}
