//! Tools, tool choice, structured output and thinking settings of a request.

use super::content::{decode_cache, encode_cache};
use super::types::{
    CustomTool, Fixed, Json, OutputConfig, OutputFormat, ThinkingConfig, ToolChoice, ToolDef,
};
use crate::ir::{self, Block, Effort, Role};
use crate::{Api, DecodeError, Family, Losses, Str};

/// The smallest thinking budget Anthropic accepts.
pub(super) const MIN_BUDGET: u32 = 1024;

/// Tool definitions: client tools become functions, versioned built-in tools stay raw.
pub(super) fn decode_tools(tools: Vec<ToolDef<'_>>) -> Vec<ir::Tool<'_>> {
    tools
        .into_iter()
        .map(|t| match t {
            ToolDef::Custom(c) => ir::Tool {
                name: c.name,
                description: c.description,
                kind: ir::ToolKind::Function {
                    parameters: c.input_schema.and_then(|s| match s {
                        Json::Raw(r) => Some(r),
                        _ => None,
                    }),
                    strict: c.strict,
                },
                cache: c.cache_control.as_ref().map(decode_cache),
            },
            ToolDef::Builtin { name, raw } => ir::Tool {
                name,
                description: None,
                kind: ir::ToolKind::Builtin {
                    origin: Api::AnthropicMessages,
                    raw,
                },
                cache: None,
            },
        })
        .collect()
}

/// `tool_choice` and its `disable_parallel_tool_use` (the inverse of parallel tool calls).
///
/// # Errors
/// An unknown type, or `tool` without a name.
pub(super) fn decode_tool_choice(
    tc: Option<ToolChoice<'_>>,
) -> Result<(Option<ir::ToolChoice<'_>>, Option<bool>), DecodeError> {
    let Some(tc) = tc else {
        return Ok((None, None));
    };
    let choice = match tc.kind.as_str() {
        "auto" => ir::ToolChoice::Auto,
        "any" => ir::ToolChoice::Required,
        "none" => ir::ToolChoice::None,
        "tool" => ir::ToolChoice::Tool {
            name: tc
                .name
                .ok_or_else(|| DecodeError::invalid("tool_choice.name", "is required"))?,
        },
        _ => {
            return Err(DecodeError::invalid(
                "tool_choice.type",
                "must be `auto`, `any`, `tool` or `none`",
            ));
        }
    };
    Ok((Some(choice), tc.disable_parallel_tool_use.map(|d| !d)))
}

/// `output_config.format` (or the beta `output_format`) as a JSON Schema response format.
///
/// # Errors
/// A type other than `json_schema`, or no schema.
pub(super) fn decode_format(
    f: Option<OutputFormat<'_>>,
) -> Result<Option<ir::ResponseFormat<'_>>, DecodeError> {
    let Some(f) = f else {
        return Ok(None);
    };
    if f.kind != "json_schema" {
        return Err(DecodeError::invalid(
            "output_config.format.type",
            "must be `json_schema`",
        ));
    }
    let schema = f
        .schema
        .ok_or_else(|| DecodeError::invalid("output_config.format.schema", "is required"))?;
    Ok(Some(ir::ResponseFormat::JsonSchema {
        name: None,
        description: None,
        schema,
        strict: None,
    }))
}

/// `thinking` and `output_config.effort` to the internal reasoning configuration.
///
/// `adaptive` is `enabled: Some(true)` without a budget (the model decides); Anthropic's
/// `max` effort, above OpenAI's scale, maps to [`Effort::XHigh`].
pub(super) fn decode_reasoning<'a>(
    thinking: Option<ThinkingConfig<'a>>,
    config: Option<&OutputConfig<'a>>,
) -> Result<Option<ir::Reasoning<'a>>, DecodeError> {
    let effort = match config.and_then(|c| c.effort.as_deref()) {
        None => None,
        Some("low") => Some(Effort::Low),
        Some("medium") => Some(Effort::Medium),
        Some("high") => Some(Effort::High),
        Some("xhigh" | "max") => Some(Effort::XHigh),
        Some(_) => {
            return Err(DecodeError::invalid(
                "output_config.effort",
                "must be `low`, `medium`, `high`, `xhigh` or `max`",
            ));
        }
    };
    let (enabled, budget_tokens) = match thinking {
        None => (None, None),
        Some(t) => match t.kind.as_str() {
            "enabled" => {
                let b = t
                    .budget_tokens
                    .ok_or_else(|| DecodeError::invalid("thinking.budget_tokens", "is required"))?;
                (Some(true), Some(b))
            }
            "adaptive" => (Some(true), None),
            "disabled" => (Some(false), None),
            _ => {
                return Err(DecodeError::invalid(
                    "thinking.type",
                    "must be `enabled`, `adaptive` or `disabled`",
                ));
            }
        },
    };
    if enabled.is_none() && effort.is_none() {
        return Ok(None);
    }
    Ok(Some(ir::Reasoning {
        enabled,
        effort,
        budget_tokens,
        summary: None,
        include_thoughts: None,
    }))
}

pub(super) fn encode_tools<'r>(tools: &'r [ir::Tool<'_>], losses: &mut Losses) -> Vec<ToolDef<'r>> {
    let mut out = Vec::with_capacity(tools.len());
    for (i, t) in tools.iter().enumerate() {
        let ir::Tool {
            name,
            description,
            kind,
            cache,
        } = t;
        let (input_schema, strict) = match kind {
            ir::ToolKind::Function { parameters, strict } => (
                parameters.map_or(Json::Fixed(Fixed::EmptySchema), Json::Raw),
                *strict,
            ),
            ir::ToolKind::Custom { format } => {
                losses.approximated(
                    format!("tools[{i}]"),
                    "free-form custom tool declared as a function taking {\"input\": string}",
                );
                if format.is_some() {
                    losses.dropped(
                        format!("tools[{i}].format"),
                        "Anthropic has no tool grammars",
                    );
                }
                (Json::Fixed(Fixed::InputStringSchema), None)
            }
            ir::ToolKind::Builtin { origin, raw } => {
                if *origin == Api::AnthropicMessages {
                    out.push(ToolDef::Builtin {
                        name: name.reborrow(),
                        raw: *raw,
                    });
                } else {
                    losses.dropped(format!("tools[{i}]"), format!("{origin} built-in tool"));
                }
                continue;
            }
            #[allow(unreachable_patterns)]
            _ => {
                losses.dropped(
                    format!("tools[{i}]"),
                    "tool kind not supported by Anthropic",
                );
                continue;
            }
        };
        out.push(ToolDef::Custom(CustomTool {
            kind: None,
            name: name.reborrow(),
            description: description.as_ref().map(Str::reborrow),
            input_schema: Some(input_schema),
            strict,
            cache_control: cache.map(encode_cache),
        }));
    }
    out
}

pub(super) fn encode_tool_choice<'r>(
    choice: Option<&'r ir::ToolChoice<'_>>,
    parallel: Option<bool>,
    has_tools: bool,
    losses: &mut Losses,
) -> Option<ToolChoice<'r>> {
    let disable = parallel.map(|p| !p);
    if !has_tools {
        if matches!(choice, Some(c) if !matches!(c, ir::ToolChoice::Auto | ir::ToolChoice::None)) {
            losses.dropped("tool_choice", "no tools Anthropic can call");
        }
        return None;
    }
    let (kind, name) = match choice {
        None if disable.is_none() => return None,
        None | Some(ir::ToolChoice::Auto) => ("auto", None),
        Some(ir::ToolChoice::None) => {
            // `none` takes no parallelism flag.
            return Some(ToolChoice {
                kind: Str::borrowed("none"),
                name: None,
                disable_parallel_tool_use: None,
            });
        }
        Some(ir::ToolChoice::Required) => ("any", None),
        Some(ir::ToolChoice::Tool { name }) => ("tool", Some(name.reborrow())),
        Some(ir::ToolChoice::Allowed { names, required }) => match (names.as_slice(), required) {
            ([only], true) => ("tool", Some(only.reborrow())),
            _ => {
                losses.approximated(
                    "tool_choice",
                    "Anthropic cannot restrict the choice to a subset of tools",
                );
                (if *required { "any" } else { "auto" }, None)
            }
        },
        #[allow(unreachable_patterns)]
        Some(_) => {
            losses.approximated("tool_choice", "unsupported tool choice; auto used");
            ("auto", None)
        }
    };
    Some(ToolChoice {
        kind: Str::borrowed(kind),
        name,
        disable_parallel_tool_use: disable,
    })
}

pub(super) fn encode_format<'r>(
    format: Option<&'r ir::ResponseFormat<'_>>,
    losses: &mut Losses,
) -> Option<OutputFormat<'r>> {
    match format? {
        ir::ResponseFormat::JsonSchema {
            name,
            description,
            schema,
            strict: _, // Anthropic structured outputs are always strict.
        } => {
            if name.is_some() {
                losses.dropped(
                    "response_format.name",
                    "Anthropic output formats have no name",
                );
            }
            if description.is_some() {
                losses.dropped(
                    "response_format.description",
                    "Anthropic output formats have no description",
                );
            }
            Some(OutputFormat {
                kind: Str::borrowed("json_schema"),
                schema: Some(*schema),
            })
        }
        ir::ResponseFormat::JsonObject => {
            losses.dropped(
                "response_format",
                "Anthropic needs a schema for JSON output",
            );
            None
        }
        _ => None,
    }
}

/// The wire `thinking` and the `output_config.effort` it goes with.
pub(super) type Thinking = Option<(ThinkingConfig<'static>, Option<&'static str>)>;

pub(super) fn is_on(t: &Thinking) -> bool {
    t.as_ref().is_some_and(|(c, _)| c.kind != "disabled")
}

/// How a model takes its thinking configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ThinkingStyle {
    /// Only `enabled` with a budget (Claude 4.5 and earlier, unknown model names).
    Budget,
    /// Both; `adaptive` preferred (Claude 4.6, where budgets are deprecated).
    Both,
    /// Only `adaptive` with `output_config.effort` (Claude 4.7 and later reject budgets).
    Adaptive,
}

/// The Claude version in a model id: `claude-opus-4-6`, `anthropic.claude-sonnet-4-6-v1:0`,
/// `claude-opus-4-7@20260115` (4.x naming) or `claude-3-7-sonnet-20250219` (3.x naming).
/// `None` for ids that name no version (aliases, other models).
pub(super) fn claude_version(model: &str) -> Option<(u32, u32)> {
    let rest = model.get(model.find("claude-")? + "claude-".len()..)?;
    let rest = ["opus-", "sonnet-", "haiku-"]
        .iter()
        .find_map(|family| rest.strip_prefix(family))
        .unwrap_or(rest);
    let mut parts = rest.split(|c: char| !c.is_ascii_digit());
    let major: u32 = parts.next()?.parse().ok()?;
    // A date (`-20250929`) is not a minor version.
    let minor: u32 = parts
        .next()
        .filter(|m| (1..=2).contains(&m.len()))
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    (major < 100).then_some((major, minor))
}

/// The thinking style of a model, from [`claude_version`]. Ids without a version get
/// [`ThinkingStyle::Budget`], which every thinking model before 4.7 accepts.
pub(super) fn thinking_style(model: &str) -> ThinkingStyle {
    match claude_version(model) {
        Some(v) if v >= (4, 7) => ThinkingStyle::Adaptive,
        Some(v) if v >= (4, 6) => ThinkingStyle::Both,
        _ => ThinkingStyle::Budget,
    }
}

/// Whether the model rejects `temperature` and `top_p` together (Claude 4.1 and later; ids
/// without a version are assumed recent).
pub(super) fn one_of_temperature_top_p(model: &str) -> bool {
    claude_version(model).is_none_or(|v| v >= (4, 1))
}

/// Reasoning settings to `thinking` and `output_config.effort`:
/// - disabled (or effort `none`) → `disabled`;
/// - a budget → `enabled` with it (at least 1024), or on adaptive-only models `adaptive` with
///   the effort nearest the budget ([`Effort::from_budget`]);
/// - an effort → `adaptive` with that effort where the model has adaptive thinking, else
///   `enabled` with [`Effort::budget_tokens`];
/// - enabled without either (Anthropic `adaptive`, Gemini dynamic) → `adaptive`, or on
///   budget-only models `enabled` with the medium budget.
pub(super) fn encode_thinking(
    r: Option<&ir::Reasoning<'_>>,
    model: &str,
    losses: &mut Losses,
) -> Thinking {
    let ir::Reasoning {
        enabled,
        effort,
        budget_tokens,
        summary,
        include_thoughts,
    } = r?;
    if summary.is_some() {
        losses.dropped(
            "reasoning.summary",
            "Anthropic has no reasoning summary setting",
        );
    }
    if *include_thoughts == Some(false) {
        losses.dropped(
            "reasoning.include_thoughts",
            "Anthropic always returns thinking",
        );
    }
    let config = |kind: &'static str, budget: Option<u32>| ThinkingConfig {
        kind: Str::borrowed(kind),
        budget_tokens: budget,
        display: None,
    };
    if *enabled == Some(false) || *effort == Some(Effort::None) {
        return Some((config("disabled", None), None));
    }
    let style = thinking_style(model);
    if let Some(b) = budget_tokens {
        if style == ThinkingStyle::Adaptive {
            losses.approximated(
                "reasoning.budget_tokens",
                "this model takes an effort, not a budget: the nearest effort is used",
            );
            let e = Effort::from_budget(*b);
            return Some((config("adaptive", None), Some(anthropic_effort(e))));
        }
        if *b < MIN_BUDGET {
            losses.approximated(
                "reasoning.budget_tokens",
                "raised to Anthropic's minimum of 1024",
            );
        }
        return Some((config("enabled", Some((*b).max(MIN_BUDGET))), None));
    }
    match (effort, style) {
        (Some(e), ThinkingStyle::Budget) => {
            losses.approximated(
                "reasoning.effort",
                "mapped to a thinking budget (Effort::budget_tokens)",
            );
            let budget = e.budget_tokens().unwrap_or(MIN_BUDGET);
            Some((config("enabled", Some(budget)), None))
        }
        (Some(e), _) => {
            if *e == Effort::Minimal {
                losses.approximated("reasoning.effort", "Anthropic's lowest effort is low");
            }
            Some((config("adaptive", None), Some(anthropic_effort(*e))))
        }
        (None, ThinkingStyle::Budget) if *enabled == Some(true) => {
            losses.approximated(
                "reasoning",
                "model-decided thinking given the medium budget on a model without adaptive thinking",
            );
            Some((config("enabled", Effort::Medium.budget_tokens()), None))
        }
        (None, _) if *enabled == Some(true) => Some((config("adaptive", None), None)),
        _ => None,
    }
}

/// Anthropic's spelling of an effort (`minimal` has no equivalent and becomes `low`).
fn anthropic_effort(e: Effort) -> &'static str {
    match e {
        Effort::None | Effort::Minimal | Effort::Low => "low",
        Effort::Medium => "medium",
        Effort::High => "high",
        _ => "xhigh",
    }
}

/// Whether the last assistant turn calls tools without a Claude thinking block, which
/// Anthropic rejects while thinking is on (the tool loop must keep its thinking).
pub(super) fn last_tool_turn_lacks_thinking(messages: &[ir::Message<'_>]) -> bool {
    let Some(last) = messages.iter().rev().find(|m| m.role == Role::Assistant) else {
        return false;
    };
    let calls = last
        .content
        .iter()
        .any(|b| matches!(b, Block::ToolCall { .. }));
    let thinks = last.content.iter().any(|b| match b {
        Block::Thinking {
            signature: Some(_),
            origin,
            ..
        }
        | Block::RedactedThinking { origin, .. } => origin.family() == Family::Claude,
        _ => false,
    });
    calls && !thinks
}

#[cfg(test)]
mod tests {
    use super::{ThinkingStyle, claude_version, thinking_style};

    #[test]
    fn thinking_style_from_model_ids() {
        let cases = [
            ("claude-opus-4-7", ThinkingStyle::Adaptive),
            ("claude-opus-4-8-20261001", ThinkingStyle::Adaptive),
            ("claude-sonnet-5", ThinkingStyle::Adaptive),
            ("claude-opus-4-6", ThinkingStyle::Both),
            ("anthropic.claude-sonnet-4-6-v1:0", ThinkingStyle::Both),
            (
                "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
                ThinkingStyle::Budget,
            ),
            ("claude-opus-4-20250514", ThinkingStyle::Budget),
            ("claude-3-7-sonnet-20250219", ThinkingStyle::Budget),
            ("claude-haiku-4-5", ThinkingStyle::Budget),
            ("my-alias", ThinkingStyle::Budget),
            ("", ThinkingStyle::Budget),
        ];
        for (model, want) in cases {
            assert_eq!(thinking_style(model), want, "{model}");
        }
        assert_eq!(claude_version("claude-3-7-sonnet-20250219"), Some((3, 7)));
        assert_eq!(claude_version("claude-3-opus-20240229"), Some((3, 0)));
        assert_eq!(claude_version("claude-opus-4-1-20250805"), Some((4, 1)));
        assert_eq!(claude_version("claude-sonnet-5"), Some((5, 0)));
        assert_eq!(claude_version("gpt-4o"), None);
    }
}
