//! Internal model → request body.

use super::message_encode::{content_of, encode_message};
use super::types::{
    AllowedTools, ChatMessage, ChatRequest, CustomDef, FunctionDef, JsonSchemaWire, NameOnly, Part,
    ResponseFormatWire, StrOr, StreamOptions, ToolChoiceObject, ToolDef, ToolRef,
};
use crate::ir::{self, Block};
use crate::wire::to_json;
use crate::{Api, EncodeError, Losses, Str};

pub(super) const NO_CACHE: &str =
    "Chat Completions caches prompt prefixes automatically and has no cache markers";

/// Encodes a request as a Chat Completions body.
///
/// The system prompt becomes a leading `system` message; tool results become `tool`
/// messages (placed before the rest of their turn); thinking is sent back as
/// `reasoning_content` only when it came from this API (other families' signatures mean
/// nothing here). `max_completion_tokens` carries the token limit. A streaming request asks
/// for `stream_options.include_usage` unless the source said otherwise: the gateway needs
/// the final usage whatever the client API.
///
/// # Errors
/// Never in practice (serialization of the wire types cannot fail).
pub fn encode_request(req: &ir::Request<'_>, losses: &mut Losses) -> Result<Vec<u8>, EncodeError> {
    let ir::Request {
        model,
        system,
        messages,
        tools,
        tool_choice,
        parallel_tool_calls,
        sampling,
        max_output_tokens,
        stop,
        n,
        response_format,
        reasoning,
        stream,
        stream_include_usage,
        logprobs,
        top_logprobs,
        user,
        metadata,
        previous_response_id,
        store,
        safety_settings,
        extra,
    } = req;
    let ir::Sampling {
        temperature,
        top_p,
        top_k,
        seed,
        frequency_penalty,
        presence_penalty,
    } = *sampling;

    let mut wire_messages = Vec::with_capacity(messages.len() + 1);
    if !system.is_empty() {
        let mut parts = Vec::with_capacity(system.len());
        for (j, b) in system.iter().enumerate() {
            match b {
                Block::Text { text } => parts.push(Part::text(text.reborrow())),
                Block::CachePoint(_) => losses.dropped(format!("system[{j}]"), NO_CACHE),
                _ => losses.dropped(
                    format!("system[{j}]"),
                    "Chat Completions system messages hold only text",
                ),
            }
        }
        if !parts.is_empty() {
            wire_messages.push(ChatMessage {
                role: Str::borrowed("system"),
                content: Some(content_of(parts)),
                ..ChatMessage::default()
            });
        }
    }
    for (i, m) in messages.iter().enumerate() {
        encode_message(i, m, &mut wire_messages, losses);
    }

    let mut wire_tools = Vec::with_capacity(tools.len());
    for (i, t) in tools.iter().enumerate() {
        if t.cache.is_some() {
            losses.dropped(format!("tools[{i}].cache_control"), NO_CACHE);
        }
        match &t.kind {
            ir::ToolKind::Function { parameters, strict } => wire_tools.push(ToolDef {
                kind: Str::borrowed("function"),
                function: Some(FunctionDef {
                    name: t.name.reborrow(),
                    description: t.description.as_ref().map(Str::reborrow),
                    parameters: *parameters,
                    strict: *strict,
                }),
                custom: None,
            }),
            ir::ToolKind::Custom { format } => wire_tools.push(ToolDef {
                kind: Str::borrowed("custom"),
                function: None,
                custom: Some(CustomDef {
                    name: t.name.reborrow(),
                    description: t.description.as_ref().map(Str::reborrow),
                    format: *format,
                }),
            }),
            ir::ToolKind::Builtin { origin, .. } => losses.dropped(
                format!("tools[{i}]"),
                format!("built-in tool of {origin} has no Chat Completions equivalent"),
            ),
        }
    }

    if top_k.is_some() {
        losses.dropped("top_k", "Chat Completions has no top_k");
    }
    if previous_response_id.is_some() {
        losses.dropped(
            "previous_response_id",
            "Chat Completions is stateless: the conversation must be sent in full",
        );
    }
    if safety_settings.is_some() {
        losses.dropped("safety_settings", "Chat Completions has no safety settings");
    }

    let mut rest = Vec::new();
    if extra.api == Some(Api::OpenAiChat) {
        rest.extend(extra.fields.iter().map(|(k, v)| (k.reborrow(), *v)));
    } else {
        losses.extra_dropped(extra, Api::OpenAiChat);
    }

    let wire = ChatRequest {
        model: model.reborrow(),
        messages: wire_messages,
        tools: Some(wire_tools).filter(|t| !t.is_empty()),
        tool_choice: tool_choice.as_ref().map(|tc| encode_tool_choice(tc, tools)),
        parallel_tool_calls: *parallel_tool_calls,
        functions: None,
        function_call: None,
        temperature,
        top_p,
        frequency_penalty,
        presence_penalty,
        seed,
        n: *n,
        max_completion_tokens: *max_output_tokens,
        max_tokens: None,
        stop: if stop.is_empty() {
            None
        } else {
            Some(StrOr::Other(stop.iter().map(Str::reborrow).collect()))
        },
        response_format: response_format.as_ref().map(encode_response_format),
        reasoning_effort: reasoning
            .as_ref()
            .and_then(|r| encode_reasoning(r, losses))
            .map(|e| Str::borrowed(e.as_str())),
        logprobs: *logprobs,
        top_logprobs: *top_logprobs,
        user: user.as_ref().map(Str::reborrow),
        metadata: *metadata,
        store: *store,
        stream: stream.then_some(true),
        stream_options: stream.then_some(StreamOptions {
            include_usage: Some(stream_include_usage.unwrap_or(true)),
        }),
        rest,
    };
    to_json(&wire)
}

fn is_custom(tools: &[ir::Tool<'_>], name: &str) -> bool {
    tools
        .iter()
        .any(|t| t.name == name && matches!(t.kind, ir::ToolKind::Custom { .. }))
}

fn tool_ref<'x>(
    tools: &[ir::Tool<'_>],
    name: &'x Str<'_>,
) -> (Str<'x>, Option<NameOnly<'x>>, Option<NameOnly<'x>>) {
    let n = Some(NameOnly {
        name: name.reborrow(),
    });
    if is_custom(tools, name) {
        (Str::borrowed("custom"), None, n)
    } else {
        (Str::borrowed("function"), n, None)
    }
}

fn encode_tool_choice<'x>(
    tc: &'x ir::ToolChoice<'_>,
    tools: &[ir::Tool<'_>],
) -> StrOr<'x, ToolChoiceObject<'x>> {
    match tc {
        ir::ToolChoice::Auto => StrOr::Str(Str::borrowed("auto")),
        ir::ToolChoice::None => StrOr::Str(Str::borrowed("none")),
        ir::ToolChoice::Required => StrOr::Str(Str::borrowed("required")),
        ir::ToolChoice::Tool { name } => {
            let (kind, function, custom) = tool_ref(tools, name);
            StrOr::Other(ToolChoiceObject {
                kind,
                function,
                custom,
                allowed_tools: None,
            })
        }
        ir::ToolChoice::Allowed { names, required } => StrOr::Other(ToolChoiceObject {
            kind: Str::borrowed("allowed_tools"),
            function: None,
            custom: None,
            allowed_tools: Some(AllowedTools {
                mode: Str::borrowed(if *required { "required" } else { "auto" }),
                tools: names
                    .iter()
                    .map(|n| {
                        let (kind, function, custom) = tool_ref(tools, n);
                        ToolRef {
                            kind,
                            function,
                            custom,
                        }
                    })
                    .collect(),
            }),
        }),
    }
}

fn encode_response_format<'x>(rf: &'x ir::ResponseFormat<'_>) -> ResponseFormatWire<'x> {
    match rf {
        ir::ResponseFormat::JsonObject => ResponseFormatWire {
            kind: Str::borrowed("json_object"),
            json_schema: None,
        },
        ir::ResponseFormat::JsonSchema {
            name,
            description,
            schema,
            strict,
        } => ResponseFormatWire {
            kind: Str::borrowed("json_schema"),
            json_schema: Some(JsonSchemaWire {
                name: name
                    .as_ref()
                    .map_or(Str::borrowed("response"), Str::reborrow),
                description: description.as_ref().map(Str::reborrow),
                schema: Some(*schema),
                strict: *strict,
            }),
        },
        _ => ResponseFormatWire {
            kind: Str::borrowed("text"),
            json_schema: None,
        },
    }
}

/// `reasoning_effort` from the IR reasoning settings; budgets map to the nearest effort.
fn encode_reasoning(r: &ir::Reasoning<'_>, losses: &mut Losses) -> Option<ir::Effort> {
    let ir::Reasoning {
        enabled,
        effort,
        budget_tokens,
        summary,
        include_thoughts,
    } = r;
    if summary.is_some() {
        losses.dropped(
            "reasoning.summary",
            "Chat Completions returns no reasoning summaries",
        );
    }
    if include_thoughts.is_some() {
        losses.dropped(
            "reasoning.include_thoughts",
            "Chat Completions has no switch for returning thoughts",
        );
    }
    if let Some(e) = effort {
        return Some(*e);
    }
    if let Some(b) = budget_tokens {
        losses.approximated(
            "reasoning.budget_tokens",
            "Chat Completions takes an effort level, not a token budget",
        );
        return Some(ir::Effort::from_budget(*b));
    }
    match enabled {
        // Sending `reasoning_effort` to a model without reasoning is an error, so a bare
        // on/off switch is left to the model's default.
        Some(false) => losses.dropped(
            "reasoning.enabled",
            "Chat Completions cannot switch reasoning off without an effort level",
        ),
        Some(true) => losses.approximated(
            "reasoning.enabled",
            "reasoning left at the model's default effort",
        ),
        None => {}
    }
    None
}
