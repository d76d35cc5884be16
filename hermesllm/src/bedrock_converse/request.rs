//! Converse requests ↔ [`ir::Request`].

use serde_json::value::RawValue;

use super::blocks::{self, BlockError, ForeignThinking, decode_cache, encode_cache};
use super::tools::{decode_tools, encode_tools, stand_in_tools};
use super::types::{
    AdditionalRequestFields, ConverseRequest, InferenceConfig, JsonSchemaDefinition, Message,
    OutputConfig, OutputFormat, OutputStructure, SystemBlock, ThinkingConfig, Union,
};
use crate::ir::{self, Block, Effort, Reasoning, ResponseFormat, Role};
use crate::wire::{Rest, from_json, to_json};
use crate::{Api, DecodeError, EncodeError, Losses, Raw, RequestMeta, Str};

const API: Api = Api::BedrockConverse;
/// Prefix of extra-field paths that live inside `additionalModelRequestFields`.
const ADDITIONAL: &str = "additionalModelRequestFields.";

/// Decodes a Converse request body. The model comes from the path (`meta.model`), the
/// streaming flag from the operation (`meta.stream`).
///
/// `additionalModelRequestFields.top_k` and `.thinking` become [`ir::Sampling::top_k`] and
/// [`ir::Reasoning`]; its other members are kept in `extra` as
/// `additionalModelRequestFields.<name>`. `outputConfig` is kept in `extra` too: its schema is
/// a JSON string, which cannot be borrowed as raw JSON.
///
/// # Errors
/// Malformed JSON, a missing model, empty `messages`, unknown roles, invalid blocks.
pub fn decode_request<'a>(
    body: &'a [u8],
    meta: &RequestMeta<'a>,
) -> Result<ir::Request<'a>, DecodeError> {
    let wire: ConverseRequest<'a> = from_json(body)?;
    let ConverseRequest {
        messages,
        system,
        inference_config,
        tool_config,
        additional_model_request_fields,
        rest,
    } = wire;
    let model = match &meta.model {
        Some(m) if !m.is_empty() => m.clone(),
        _ => {
            return Err(DecodeError::invalid(
                "modelId",
                "the model id (from the request path) is required",
            ));
        }
    };
    let prompt_managed = rest.iter().any(|(k, _)| k.as_str() == "promptVariables");
    if messages.is_empty() && !prompt_managed {
        return Err(DecodeError::invalid("messages", "must not be empty"));
    }

    let mut req = ir::Request {
        model,
        stream: meta.stream,
        ..ir::Request::default()
    };
    req.system = system
        .into_iter()
        .map(|b| match b {
            Union::Known(SystemBlock::Text(text)) => Block::Text { text },
            Union::Known(SystemBlock::CachePoint(cp)) => Block::CachePoint(decode_cache(&cp)),
            Union::Unknown(raw) => Block::Unknown { origin: API, raw },
        })
        .collect();
    req.messages = decode_messages(messages)?;

    if let Some(ic) = inference_config {
        let InferenceConfig {
            max_tokens,
            temperature,
            top_p,
            stop_sequences,
        } = ic;
        req.max_output_tokens = max_tokens;
        req.sampling.temperature = temperature;
        req.sampling.top_p = top_p;
        req.stop = stop_sequences;
    }
    if let Some(tc) = tool_config {
        decode_tools(tc, &mut req)?;
    }

    let mut extra = rest;
    if let Some(add) = additional_model_request_fields {
        let AdditionalRequestFields {
            top_k,
            thinking,
            rest: add_rest,
        } = add;
        req.sampling.top_k = top_k;
        req.reasoning = thinking.map(|t| decode_thinking(&t)).transpose()?;
        extra.extend(
            add_rest
                .into_iter()
                .map(|(k, v)| (Str::from(format!("{ADDITIONAL}{k}")), v)),
        );
    }
    if !extra.is_empty() {
        req.extra = ir::Extra {
            api: Some(API),
            fields: extra,
        };
    }
    Ok(req)
}

fn decode_messages<'a>(messages: Vec<Message<'a>>) -> Result<Vec<ir::Message<'a>>, DecodeError> {
    let mut out = Vec::with_capacity(messages.len());
    for (i, m) in messages.into_iter().enumerate() {
        let role = match m.role.as_str() {
            "user" => Role::User,
            "assistant" => Role::Assistant,
            _ => {
                return Err(DecodeError::invalid(
                    format!("messages[{i}].role"),
                    "must be user or assistant",
                ));
            }
        };
        let mut content = Vec::with_capacity(m.content.len());
        for (j, b) in m.content.into_iter().enumerate() {
            let block = blocks::decode_block(b).map_err(|BlockError { at, message }| {
                DecodeError::invalid(format!("messages[{i}].content[{j}].{at}"), message)
            })?;
            content.push(block);
        }
        out.push(ir::Message {
            role,
            content,
            name: None,
        });
    }
    Ok(out)
}

fn decode_thinking<'a>(t: &ThinkingConfig<'a>) -> Result<Reasoning<'a>, DecodeError> {
    let enabled = match t.kind.as_str() {
        "enabled" | "adaptive" => true,
        "disabled" => false,
        _ => {
            return Err(DecodeError::invalid(
                "additionalModelRequestFields.thinking.type",
                "must be enabled, disabled or adaptive",
            ));
        }
    };
    Ok(Reasoning {
        enabled: Some(enabled),
        budget_tokens: t.budget_tokens.filter(|_| enabled),
        ..Reasoning::default()
    })
}

/// Encodes a request as a Converse body (the model goes in the path, not the body).
///
/// Tool results and user turns are merged into alternating user/assistant turns; system
/// messages in the middle of the conversation move to `system`; top-k and reasoning go to
/// `additionalModelRequestFields` (Claude's `top_k` and `thinking`). What Converse cannot
/// carry is recorded in `losses`.
///
/// # Errors
/// Only serialization failures (never for well-formed input).
pub fn encode_request(req: &ir::Request<'_>, losses: &mut Losses) -> Result<Vec<u8>, EncodeError> {
    let ir::Request {
        model: _,
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
        stream: _,
        stream_include_usage: _,
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
    } = sampling;

    let mut out = ConverseRequest::default();
    for (i, b) in system.iter().enumerate() {
        if let Some(b) = encode_system_block(b, losses, &|| format!("system[{i}]")) {
            out.system.push(b);
        }
    }
    encode_messages(messages, &mut out, losses);

    let uses_tools = messages
        .iter()
        .any(|m| m.content.iter().any(blocks::is_tool_block));
    out.tool_config = encode_tools(tools, tool_choice.as_ref(), uses_tools, losses);
    if uses_tools && out.tool_config.is_none() {
        out.tool_config = stand_in_tools(messages, losses);
    }
    if *parallel_tool_calls == Some(false) {
        losses.dropped(
            "parallel_tool_calls",
            "Bedrock Converse cannot disable parallel tool calls",
        );
    }

    let inference = InferenceConfig {
        max_tokens: *max_output_tokens,
        temperature: *temperature,
        top_p: *top_p,
        stop_sequences: stop.iter().map(Str::reborrow).collect(),
    };
    if inference != InferenceConfig::default() {
        out.inference_config = Some(inference);
    }
    for (set, name) in [
        (seed.is_some(), "seed"),
        (frequency_penalty.is_some(), "frequency_penalty"),
        (presence_penalty.is_some(), "presence_penalty"),
        (n.is_some_and(|n| n != 1), "n"),
        (logprobs.is_some(), "logprobs"),
        (top_logprobs.is_some(), "top_logprobs"),
        (user.is_some(), "user"),
        (metadata.is_some(), "metadata"),
        (previous_response_id.is_some(), "previous_response_id"),
        (store.is_some(), "store"),
        (safety_settings.is_some(), "safety_settings"),
    ] {
        if set {
            losses.dropped(name, "not supported by Bedrock Converse");
        }
    }

    let mut additional = AdditionalRequestFields {
        top_k: *top_k,
        thinking: reasoning.as_ref().and_then(|r| encode_thinking(r, losses)),
        rest: Rest::default(),
    };

    // Structured output: the schema travels as a JSON string inside `outputConfig`.
    let output_config = match response_format {
        None | Some(ResponseFormat::Text) => None,
        Some(ResponseFormat::JsonObject) => {
            losses.approximated(
                "response_format",
                "JSON object mode sent as a JSON Schema of type object",
            );
            Some(output_config_json(r#"{"type":"object"}"#, None, None)?)
        }
        Some(ResponseFormat::JsonSchema {
            name,
            description,
            schema,
            strict: _,
        }) => Some(output_config_json(
            schema.get(),
            name.as_deref(),
            description.as_deref(),
        )?),
    };
    if let Some(oc) = &output_config {
        out.rest.push((Str::borrowed("outputConfig"), Raw(oc)));
    }

    match extra.api {
        Some(API) => {
            for (k, v) in &extra.fields {
                if let Some(inner) = k.strip_prefix(ADDITIONAL) {
                    additional.rest.push((Str::borrowed(inner), *v));
                } else if !(output_config.is_some() && k.as_str() == "outputConfig") {
                    out.rest.push((k.reborrow(), *v));
                }
            }
        }
        Some(_) => losses.extra_dropped(extra, API),
        None => {}
    }
    if additional.top_k.is_some() || additional.thinking.is_some() || !additional.rest.is_empty() {
        out.additional_model_request_fields = Some(additional);
    }
    to_json(&out)
}

fn output_config_json(
    schema: &str,
    name: Option<&str>,
    description: Option<&str>,
) -> Result<Box<RawValue>, EncodeError> {
    let oc = OutputConfig {
        text_format: OutputFormat {
            kind: "json_schema",
            structure: OutputStructure {
                json_schema: JsonSchemaDefinition {
                    schema,
                    name,
                    description,
                },
            },
        },
    };
    Ok(serde_json::value::to_raw_value(&oc)?)
}

fn encode_system_block<'b>(
    block: &'b Block<'_>,
    losses: &mut Losses,
    at: &dyn Fn() -> String,
) -> Option<Union<'b, SystemBlock<'b>>> {
    Some(match block {
        // Bedrock rejects blank text; an empty block carries nothing.
        Block::Text { text } if text.is_empty() => return None,
        Block::Text { text } => Union::Known(SystemBlock::Text(text.reborrow())),
        Block::CachePoint(c) => Union::Known(SystemBlock::CachePoint(encode_cache(c))),
        Block::Unknown { origin: API, raw } => Union::Unknown(*raw),
        _ => {
            losses.dropped(
                at(),
                "Bedrock system prompts carry only text and cache points",
            );
            return None;
        }
    })
}

/// Writes the conversation as alternating turns: tool results join the user turn, consecutive
/// turns of one role merge, mid-conversation system messages move to the system prompt.
fn encode_messages<'b>(
    messages: &'b [ir::Message<'_>],
    out: &mut ConverseRequest<'b>,
    losses: &mut Losses,
) {
    for (i, m) in messages.iter().enumerate() {
        if m.name.is_some() {
            losses.dropped(
                format!("messages[{i}].name"),
                "Bedrock messages have no participant name",
            );
        }
        let role = match m.role {
            Role::System => {
                losses.approximated(
                    format!("messages[{i}]"),
                    "Bedrock has no system turns; moved to the system prompt",
                );
                for (j, b) in m.content.iter().enumerate() {
                    let at = || format!("messages[{i}].content[{j}]");
                    if let Some(b) = encode_system_block(b, losses, &at) {
                        out.system.push(b);
                    }
                }
                continue;
            }
            Role::Assistant => "assistant",
            _ => "user",
        };
        let mut content = Vec::with_capacity(m.content.len());
        for (j, b) in m.content.iter().enumerate() {
            // Bedrock rejects blank text blocks; an empty one carries nothing.
            if b.as_text().is_some_and(str::is_empty) {
                continue;
            }
            let at = || format!("messages[{i}].content[{j}]");
            if let Some(b) = blocks::encode_block(b, ForeignThinking::Drop, losses, &at) {
                content.push(b);
            }
        }
        if content.is_empty() {
            continue;
        }
        match out.messages.last_mut() {
            Some(prev) if prev.role.as_str() == role => prev.content.extend(content),
            _ => out.messages.push(Message {
                role: Str::borrowed(role),
                content,
            }),
        }
    }
}

/// Claude's `thinking` for the reasoning configuration: a budget (explicit, or from the effort),
/// or `disabled`.
fn encode_thinking(r: &Reasoning<'_>, losses: &mut Losses) -> Option<ThinkingConfig<'static>> {
    let Reasoning {
        enabled,
        effort,
        budget_tokens,
        summary,
        include_thoughts: _,
    } = r;
    if summary.is_some() {
        losses.dropped("reasoning.summary", "Bedrock has no reasoning summaries");
    }
    if *enabled == Some(false) || *effort == Some(Effort::None) {
        return Some(ThinkingConfig {
            kind: Str::borrowed("disabled"),
            budget_tokens: None,
        });
    }
    let budget = match (budget_tokens, effort) {
        (Some(b), _) => *b,
        (None, Some(e)) => {
            losses.approximated("reasoning.effort", "effort mapped to a thinking budget");
            e.budget_tokens().unwrap_or(1024)
        }
        (None, None) if *enabled == Some(true) => {
            losses.approximated(
                "reasoning",
                "no thinking budget given; medium effort's budget used",
            );
            Effort::Medium.budget_tokens().unwrap_or(8192)
        }
        (None, None) => return None,
    };
    Some(ThinkingConfig {
        kind: Str::borrowed("enabled"),
        budget_tokens: Some(budget),
    })
}
