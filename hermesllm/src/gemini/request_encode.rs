//! Encoding the internal model as a `GenerateContentRequest`.
//!
//! Gemini rules applied here: the model and streaming flag go in the URL (not the body);
//! tool results travel in `user` turns, merged with adjacent tool/user messages into one
//! content; system messages in the middle of the conversation move to `systemInstruction`;
//! schemas go as `parametersJsonSchema` / `responseJsonSchema` (JSON Schema, untouched);
//! thinking effort becomes `thinkingLevel` (Gemini 3 and later) or `thinkingBudget`
//! (Gemini 1.x/2.x models).

use super::parts_encode::{PartEncoder, Where};
use super::types::{
    Content, FunctionCallingConfig, FunctionDeclaration, GenerateContentRequest, GenerationConfig,
    ThinkingConfig, ToolConfig, ToolObject, WirePart, WireTool,
};
use crate::ir::{self, Effort, Reasoning, ResponseFormat, Role, Sampling, ToolChoice, ToolKind};
use crate::wire::{Rest, from_json_str, to_json};
use crate::{Api, EncodeError, Losses, Raw, Str};

const MIME_JSON: &str = "\"application/json\"";
const MIME_TEXT: &str = "\"text/plain\"";
const CUSTOM_TOOL_SCHEMA: &str =
    r#"{"type":"object","properties":{"input":{"type":"string"}},"required":["input"]}"#;

/// Encodes a request body.
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
        stream: _,               // in the URL (`:streamGenerateContent`)
        stream_include_usage: _, // Gemini streams always carry usage
        logprobs,
        top_logprobs,
        user,
        metadata,
        previous_response_id,
        store,
        safety_settings,
        extra,
    } = req;

    let mut parts_enc = PartEncoder::new(true);
    let mut system_parts: Vec<WirePart<'_>> = Vec::new();
    parts_enc.blocks(system, Where::System, losses, &mut system_parts);
    parts_enc.flush(&mut system_parts);

    let contents = encode_messages(messages, &mut parts_enc, &mut system_parts, losses);

    let mut wire = GenerateContentRequest {
        contents,
        system_instruction: (!system_parts.is_empty()).then_some(Content {
            role: None,
            parts: system_parts,
        }),
        tools: encode_tools(tools, losses),
        tool_config: tool_choice.as_ref().map(encode_tool_choice),
        generation_config: None,
        safety_settings: *safety_settings,
        rest: Rest::new(),
    };
    if *parallel_tool_calls == Some(false) {
        losses.dropped("parallel_tool_calls", "Gemini cannot forbid parallel calls");
    }
    for (present, field) in [
        (user.is_some(), "user"),
        (metadata.is_some(), "metadata"),
        (previous_response_id.is_some(), "previous_response_id"),
        (store.is_some(), "store"),
    ] {
        if present {
            losses.dropped(field, "not part of the Gemini API");
        }
    }

    let mut gc = GenerationConfig {
        stop_sequences: stop.iter().map(Str::reborrow).collect(),
        candidate_count: *n,
        max_output_tokens: *max_output_tokens,
        response_logprobs: *logprobs,
        logprobs: *top_logprobs,
        ..GenerationConfig::default()
    };
    let Sampling {
        temperature,
        top_p,
        top_k,
        seed,
        frequency_penalty,
        presence_penalty,
    } = *sampling;
    gc.temperature = temperature;
    gc.top_p = top_p;
    gc.top_k = top_k;
    gc.seed = seed;
    gc.frequency_penalty = frequency_penalty;
    gc.presence_penalty = presence_penalty;
    if let Some(rf) = response_format {
        encode_response_format(rf, &mut gc, losses);
    }
    if let Some(r) = reasoning {
        gc.thinking_config = thinking_config(r, model, losses);
    }

    match extra.api {
        Some(Api::Gemini) => {
            for (key, value) in &extra.fields {
                if let Some(k) = key.strip_prefix("generationConfig.") {
                    gc.rest.push((Str::borrowed(k), *value));
                } else if let Some(k) = key.strip_prefix("toolConfig.") {
                    wire.tool_config
                        .get_or_insert_with(ToolConfig::default)
                        .rest
                        .push((Str::borrowed(k), *value));
                } else {
                    wire.rest.push((key.reborrow(), *value));
                }
            }
        }
        Some(_) => losses.extra_dropped(extra, Api::Gemini),
        None => {}
    }
    if gc != GenerationConfig::default() {
        wire.generation_config = Some(gc);
    }
    to_json(&wire)
}

/// Messages → contents. Tool messages and the user messages next to them share one `user`
/// content (Gemini wants all results of a turn's calls together).
fn encode_messages<'r>(
    messages: &'r [ir::Message<'_>],
    enc: &mut PartEncoder<'r>,
    system_parts: &mut Vec<WirePart<'r>>,
    losses: &mut Losses,
) -> Vec<Content<'r>> {
    let mut contents: Vec<Content<'r>> = Vec::with_capacity(messages.len());
    let mut prev_role: Option<Role> = None;
    for (i, msg) in messages.iter().enumerate() {
        let ir::Message {
            role,
            content,
            name,
        } = msg;
        if name.is_some() {
            losses.dropped(
                format!("messages[{i}].name"),
                "Gemini has no participant names",
            );
        }
        let gemini_role = match role {
            Role::User | Role::Tool => "user",
            Role::Assistant => "model",
            Role::System => {
                losses.approximated(
                    format!("messages[{i}]"),
                    "Gemini has no system turns; moved to systemInstruction",
                );
                enc.blocks(content, Where::Message(i), losses, system_parts);
                enc.flush(system_parts);
                continue;
            }
        };
        let merge = gemini_role == "user"
            && (*role == Role::Tool || prev_role == Some(Role::Tool))
            && contents
                .last()
                .is_some_and(|c| c.role.as_deref() == Some("user"));
        prev_role = Some(*role);
        if merge && let Some(last) = contents.last_mut() {
            enc.blocks(content, Where::Message(i), losses, &mut last.parts);
            enc.flush(&mut last.parts);
            continue;
        }
        let mut parts = Vec::with_capacity(content.len());
        enc.blocks(content, Where::Message(i), losses, &mut parts);
        enc.flush(&mut parts);
        if parts.is_empty() {
            continue;
        }
        contents.push(Content {
            role: Some(Str::borrowed(gemini_role)),
            parts,
        });
    }
    contents
}

/// Tools → Tool objects, in order: consecutive functions share one `functionDeclarations`
/// object; built-in tools keep their own object.
fn encode_tools<'r>(tools: &'r [ir::Tool<'_>], losses: &mut Losses) -> Vec<WireTool<'r>> {
    let mut out: Vec<WireTool<'r>> = Vec::new();
    let mut decls: Vec<FunctionDeclaration<'r>> = Vec::new();
    for (k, tool) in tools.iter().enumerate() {
        let ir::Tool {
            name,
            description,
            kind,
            cache,
        } = tool;
        if cache.is_some() {
            losses.dropped(format!("tools[{k}].cache"), "Gemini has no cache markers");
        }
        let parameters = match kind {
            ToolKind::Function { parameters, strict } => {
                if *strict == Some(true) {
                    losses.dropped(
                        format!("tools[{k}].strict"),
                        "Gemini has no strict function schemas",
                    );
                }
                *parameters
            }
            ToolKind::Custom { format } => {
                losses.approximated(
                    format!("tools[{k}]"),
                    "Gemini has no custom tools; declared as a function taking {\"input\": string}",
                );
                if format.is_some() {
                    losses.dropped(format!("tools[{k}].format"), "Gemini has no grammars");
                }
                Raw::parse(CUSTOM_TOOL_SCHEMA).ok()
            }
            ToolKind::Builtin { origin, raw } => {
                if *origin == Api::Gemini {
                    flush_decls(&mut decls, &mut out);
                    out.push(builtin_tool(*raw));
                } else {
                    losses.dropped(
                        format!("tools[{k}]"),
                        format!("a {origin} built-in tool Gemini does not have"),
                    );
                }
                continue;
            }
        };
        decls.push(FunctionDeclaration {
            name: name.reborrow(),
            description: description.as_ref().map(Str::reborrow),
            parameters: None,
            parameters_json_schema: parameters,
        });
    }
    flush_decls(&mut decls, &mut out);
    out
}

fn flush_decls<'r>(decls: &mut Vec<FunctionDeclaration<'r>>, out: &mut Vec<WireTool<'r>>) {
    if decls.is_empty() {
        return;
    }
    out.push(WireTool {
        tool: ToolObject {
            function_declarations: std::mem::take(decls),
            rest: Rest::new(),
        },
        raw: None,
    });
}

/// A Gemini built-in tool, without any function declarations its object also held (those
/// were decoded as function tools and are written with them).
fn builtin_tool(raw: Raw<'_>) -> WireTool<'_> {
    match from_json_str::<ToolObject<'_>>(raw.get()) {
        Ok(obj) if !obj.function_declarations.is_empty() => WireTool {
            tool: ToolObject {
                function_declarations: Vec::new(),
                rest: obj.rest,
            },
            raw: None,
        },
        _ => WireTool {
            tool: ToolObject::default(),
            raw: Some(raw),
        },
    }
}

fn encode_tool_choice<'r>(choice: &'r ToolChoice<'_>) -> ToolConfig<'r> {
    let (mode, names) = match choice {
        ToolChoice::Auto => ("AUTO", Vec::new()),
        ToolChoice::None => ("NONE", Vec::new()),
        ToolChoice::Required => ("ANY", Vec::new()),
        ToolChoice::Tool { name } => ("ANY", vec![name.reborrow()]),
        ToolChoice::Allowed { names, required } => (
            // VALIDATED: the model calls one of these functions or answers in text.
            if *required { "ANY" } else { "VALIDATED" },
            names.iter().map(Str::reborrow).collect(),
        ),
    };
    ToolConfig {
        function_calling_config: Some(FunctionCallingConfig {
            mode: Some(Str::borrowed(mode)),
            allowed_function_names: names,
        }),
        rest: Rest::new(),
    }
}

fn encode_response_format<'r>(
    rf: &'r ResponseFormat<'_>,
    gc: &mut GenerationConfig<'r>,
    losses: &mut Losses,
) {
    match rf {
        ResponseFormat::Text => gc.response_mime_type = Raw::parse(MIME_TEXT).ok(),
        ResponseFormat::JsonObject => gc.response_mime_type = Raw::parse(MIME_JSON).ok(),
        ResponseFormat::JsonSchema {
            name,
            description,
            schema,
            strict,
        } => {
            gc.response_mime_type = Raw::parse(MIME_JSON).ok();
            gc.response_json_schema = Some(*schema);
            if name.is_some() {
                losses.dropped("response_format.name", "Gemini schemas have no name");
            }
            if description.is_some() {
                losses.dropped(
                    "response_format.description",
                    "Gemini schemas have no description beside the schema",
                );
            }
            if *strict == Some(false) {
                losses.approximated(
                    "response_format.strict",
                    "Gemini always constrains the output to the schema",
                );
            }
        }
    }
}

/// Reasoning → `thinkingConfig` (`None` when nothing is set).
fn thinking_config<'r>(
    r: &'r Reasoning<'_>,
    model: &str,
    losses: &mut Losses,
) -> Option<ThinkingConfig<'r>> {
    let Reasoning {
        enabled,
        effort,
        budget_tokens,
        summary,
        include_thoughts,
    } = r;
    let mut tc = ThinkingConfig {
        include_thoughts: *include_thoughts,
        ..ThinkingConfig::default()
    };
    if summary.is_some() {
        losses.approximated(
            "reasoning.summary",
            "Gemini thought summaries have no level of detail; includeThoughts set",
        );
        tc.include_thoughts.get_or_insert(true);
    }
    if *enabled == Some(false) {
        tc.thinking_budget = Some(0);
    } else if let Some(b) = budget_tokens {
        tc.thinking_budget = Some(i64::from(*b));
    } else if let Some(e) = effort {
        let legacy = model.contains("gemini-1") || model.contains("gemini-2");
        match e {
            Effort::None => tc.thinking_budget = Some(0),
            e if legacy => tc.thinking_budget = e.budget_tokens().map(i64::from),
            Effort::Minimal => tc.thinking_level = Some(Str::borrowed("minimal")),
            Effort::Low => tc.thinking_level = Some(Str::borrowed("low")),
            Effort::Medium => tc.thinking_level = Some(Str::borrowed("medium")),
            Effort::High => tc.thinking_level = Some(Str::borrowed("high")),
            Effort::XHigh => {
                losses.approximated(
                    "reasoning.effort",
                    "Gemini's highest thinking level is high",
                );
                tc.thinking_level = Some(Str::borrowed("high"));
            }
        }
    } else if *enabled == Some(true) {
        // Dynamic thinking: the model picks its budget.
        tc.thinking_budget = Some(-1);
    }
    (tc != ThinkingConfig::default()).then_some(tc)
}
