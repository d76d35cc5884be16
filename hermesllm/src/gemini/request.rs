//! Decoding a `GenerateContentRequest` into the internal model.
//!
//! The model and the streaming flag come from the URL ([`RequestMeta`]). Unknown top-level
//! fields (`cachedContent`, `labels`, ...) go to `extra` under their key; unknown keys of
//! `generationConfig` and `toolConfig` go to `extra` under a dotted path
//! (`generationConfig.responseModalities`), which the Gemini encoder writes back in place.

use super::parts_decode::{CallIds, decode_part};
use super::types::{
    FunctionCallingConfig, FunctionDeclaration, GenerateContentRequest, GenerationConfig,
    ThinkingConfig, ToolConfig, ToolObject, WireTool,
};
use crate::ir::{
    self, Block, Effort, Extra, Message, Reasoning, ResponseFormat, Role, Sampling, ToolChoice,
    ToolKind,
};
use crate::wire::{Rest, from_json};
use crate::{Api, DecodeError, Raw, RequestMeta, Str};

/// Decodes a request body.
///
/// # Errors
/// Malformed JSON, empty `contents`, an unknown role, a non-text system instruction part,
/// nameless function calls or declarations, an unknown `functionCallingConfig.mode` or
/// `thinkingLevel`.
pub fn decode_request<'a>(
    body: &'a [u8],
    meta: &RequestMeta<'a>,
) -> Result<ir::Request<'a>, DecodeError> {
    let wire: GenerateContentRequest<'a> = from_json(body)?;
    let GenerateContentRequest {
        contents,
        system_instruction,
        tools,
        tool_config,
        generation_config,
        safety_settings,
        rest,
    } = wire;
    if contents.is_empty() {
        return Err(DecodeError::invalid("contents", "must not be empty"));
    }
    let mut extra = Extra {
        api: None,
        fields: rest,
    };
    let mut ids = CallIds::default();

    let mut system = Vec::new();
    if let Some(si) = system_instruction {
        for (j, wp) in si.parts.into_iter().enumerate() {
            match wp.part.text {
                Some(text) if wp.part.thought != Some(true) => system.push(Block::Text { text }),
                _ => {
                    return Err(DecodeError::invalid(
                        format!("systemInstruction.parts[{j}]"),
                        "only text parts are allowed in the system instruction",
                    ));
                }
            }
        }
    }

    let mut messages = Vec::with_capacity(contents.len());
    for (i, content) in contents.into_iter().enumerate() {
        let role = match content.role.as_deref() {
            None | Some("user") => Role::User,
            Some("model") => Role::Assistant,
            Some("function") => Role::Tool,
            Some(_) => {
                return Err(DecodeError::invalid(
                    format!("contents[{i}].role"),
                    "must be \"user\" or \"model\"",
                ));
            }
        };
        let mut blocks = Vec::with_capacity(content.parts.len());
        for (j, wp) in content.parts.into_iter().enumerate() {
            let path = || format!("contents[{i}].parts[{j}]");
            decode_part(wp, &path, &mut ids, &mut blocks)?;
        }
        messages.push(Message {
            role,
            content: blocks,
            name: None,
        });
    }

    let decoded_tools = decode_tools(tools)?;
    let tool_choice = match tool_config {
        Some(tc) => decode_tool_config(tc, &mut extra)?,
        None => None,
    };

    let mut req = ir::Request {
        model: meta.model.clone().unwrap_or_default(),
        system,
        messages,
        tools: decoded_tools,
        tool_choice,
        stream: meta.stream,
        safety_settings,
        ..ir::Request::default()
    };
    if let Some(gc) = generation_config {
        apply_generation_config(gc, &mut req, &mut extra)?;
    }
    if !extra.fields.is_empty() {
        extra.api = Some(Api::Gemini);
    }
    req.extra = extra;
    Ok(req)
}

fn decode_tools(tools: Vec<WireTool<'_>>) -> Result<Vec<ir::Tool<'_>>, DecodeError> {
    let mut out = Vec::with_capacity(tools.len());
    for (t, wt) in tools.into_iter().enumerate() {
        let WireTool { tool, raw } = wt;
        let ToolObject {
            function_declarations,
            rest,
        } = tool;
        for (k, decl) in function_declarations.into_iter().enumerate() {
            let FunctionDeclaration {
                name,
                description,
                parameters,
                parameters_json_schema,
            } = decl;
            if name.is_empty() {
                return Err(DecodeError::invalid(
                    format!("tools[{t}].functionDeclarations[{k}].name"),
                    "a function declaration needs a name",
                ));
            }
            out.push(ir::Tool {
                name,
                description,
                // `parametersJsonSchema` is JSON Schema; `parameters` is Gemini's OpenAPI
                // subset, passed on as is.
                kind: ToolKind::Function {
                    parameters: parameters_json_schema.or(parameters),
                    strict: None,
                },
                cache: None,
            });
        }
        // Built-in tools (`googleSearch`, `codeExecution`, `urlContext`, ...) travel raw.
        if let (false, Some(raw)) = (rest.is_empty(), raw) {
            out.push(ir::Tool {
                name: Str::default(),
                description: None,
                kind: ToolKind::Builtin {
                    origin: Api::Gemini,
                    raw,
                },
                cache: None,
            });
        }
    }
    Ok(out)
}

fn decode_tool_config<'a>(
    tc: ToolConfig<'a>,
    extra: &mut Extra<'a>,
) -> Result<Option<ToolChoice<'a>>, DecodeError> {
    let ToolConfig {
        function_calling_config,
        rest,
    } = tc;
    push_nested(extra, "toolConfig", rest);
    let Some(FunctionCallingConfig {
        mode,
        mut allowed_function_names,
    }) = function_calling_config
    else {
        return Ok(None);
    };
    let choice = match mode.as_deref().unwrap_or("AUTO") {
        "AUTO" | "MODE_UNSPECIFIED" | "VALIDATED" if allowed_function_names.is_empty() => {
            ToolChoice::Auto
        }
        "AUTO" | "MODE_UNSPECIFIED" | "VALIDATED" => ToolChoice::Allowed {
            names: allowed_function_names,
            required: false,
        },
        "NONE" => ToolChoice::None,
        "ANY" if allowed_function_names.is_empty() => ToolChoice::Required,
        "ANY" if allowed_function_names.len() == 1 => match allowed_function_names.pop() {
            Some(name) => ToolChoice::Tool { name },
            None => ToolChoice::Required,
        },
        "ANY" => ToolChoice::Allowed {
            names: allowed_function_names,
            required: true,
        },
        _ => {
            return Err(DecodeError::invalid(
                "toolConfig.functionCallingConfig.mode",
                "must be AUTO, ANY, NONE or VALIDATED",
            ));
        }
    };
    Ok(Some(choice))
}

fn apply_generation_config<'a>(
    gc: GenerationConfig<'a>,
    req: &mut ir::Request<'a>,
    extra: &mut Extra<'a>,
) -> Result<(), DecodeError> {
    let GenerationConfig {
        stop_sequences,
        response_mime_type,
        response_schema,
        response_json_schema,
        candidate_count,
        max_output_tokens,
        temperature,
        top_p,
        top_k,
        seed,
        presence_penalty,
        frequency_penalty,
        response_logprobs,
        logprobs,
        thinking_config,
        rest,
    } = gc;
    req.stop = stop_sequences;
    req.n = candidate_count;
    req.max_output_tokens = max_output_tokens;
    req.sampling = Sampling {
        temperature,
        top_p,
        top_k,
        seed,
        frequency_penalty,
        presence_penalty,
    };
    req.logprobs = response_logprobs;
    req.top_logprobs = logprobs;
    req.response_format = response_format(
        response_mime_type,
        response_schema,
        response_json_schema,
        extra,
    );
    if let Some(tc) = thinking_config {
        req.reasoning = Some(reasoning(tc)?);
    }
    push_nested(extra, "generationConfig", rest);
    Ok(())
}

/// `responseMimeType` + schema → response format. MIME types other than JSON and plain text
/// (`text/x.enum`) are kept in `extra` with their schema.
fn response_format<'a>(
    mime: Option<Raw<'a>>,
    schema: Option<Raw<'a>>,
    json_schema: Option<Raw<'a>>,
    extra: &mut Extra<'a>,
) -> Option<ResponseFormat<'a>> {
    let mime_str = mime.and_then(|m| serde_json::from_str::<Str<'_>>(m.get()).ok());
    match mime_str.as_deref() {
        Some("application/json") => {
            return Some(match json_schema.or(schema) {
                Some(schema) => ResponseFormat::JsonSchema {
                    name: None,
                    description: None,
                    schema,
                    strict: None,
                },
                None => ResponseFormat::JsonObject,
            });
        }
        Some("text/plain") if schema.is_none() && json_schema.is_none() => {
            return Some(ResponseFormat::Text);
        }
        _ => {}
    }
    for (key, value) in [
        ("generationConfig.responseMimeType", mime),
        ("generationConfig.responseSchema", schema),
        ("generationConfig.responseJsonSchema", json_schema),
    ] {
        if let Some(v) = value {
            extra.fields.push((Str::borrowed(key), v));
        }
    }
    None
}

/// `thinkingConfig` → reasoning: budget `0` disables, `-1` is dynamic (enabled, no budget),
/// `thinkingLevel` is an effort.
fn reasoning(tc: ThinkingConfig<'_>) -> Result<Reasoning<'_>, DecodeError> {
    let ThinkingConfig {
        include_thoughts,
        thinking_budget,
        thinking_level,
    } = tc;
    let mut r = Reasoning {
        include_thoughts,
        ..Reasoning::default()
    };
    match thinking_budget {
        Some(0) => r.enabled = Some(false),
        Some(b) if b < 0 => r.enabled = Some(true),
        Some(b) => {
            r.enabled = Some(true);
            r.budget_tokens = Some(u32::try_from(b).unwrap_or(u32::MAX));
        }
        None => {}
    }
    if let Some(level) = thinking_level {
        let effort = [
            ("minimal", Effort::Minimal),
            ("low", Effort::Low),
            ("medium", Effort::Medium),
            ("high", Effort::High),
        ]
        .into_iter()
        .find(|(name, _)| level.eq_ignore_ascii_case(name))
        .map(|(_, e)| e);
        match effort {
            Some(e) => {
                r.effort = Some(e);
                r.enabled.get_or_insert(true);
            }
            None if level.eq_ignore_ascii_case("THINKING_LEVEL_UNSPECIFIED") => {}
            None => {
                return Err(DecodeError::invalid(
                    "generationConfig.thinkingConfig.thinkingLevel",
                    "must be minimal, low, medium or high",
                ));
            }
        }
    }
    Ok(r)
}

/// Keeps the unknown keys of a nested object in `extra` as `object.key`.
fn push_nested<'a>(extra: &mut Extra<'a>, object: &str, rest: Rest<'a>) {
    for (key, value) in rest {
        extra
            .fields
            .push((Str::from(format!("{object}.{key}")), value));
    }
}
