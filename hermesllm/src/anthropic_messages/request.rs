//! Requests: `POST /v1/messages` bodies to and from the internal model.

use super::content::{
    Loc, Side, attach_cache, compact, decode_block, decode_content, encode_blocks,
};
use super::options::{
    MIN_BUDGET, decode_format, decode_reasoning, decode_tool_choice, decode_tools, encode_format,
    encode_thinking, encode_tool_choice, encode_tools, is_on, last_tool_turn_lacks_thinking,
    one_of_temperature_top_p,
};
use super::types::{
    Content, ContentBlock, Message, MessagesRequest, Metadata, OutputConfig, ThinkingConfig,
};
use super::write::write_request;
use crate::ir::{self, Block, Role};
use crate::wire::from_json;
use crate::{Api, DecodeError, EncodeError, Losses, RequestMeta, Str};

/// What Anthropic requires when the source gives no `max_tokens`.
pub const DEFAULT_MAX_TOKENS: u32 = 4096;

/// Decodes a Messages request.
///
/// # Errors
/// Malformed JSON, a missing `model`/`max_tokens`, empty `messages`, unknown roles or enum
/// values, and non-text `system` blocks.
pub fn decode_request<'a>(
    body: &'a [u8],
    meta: &RequestMeta<'a>,
) -> Result<ir::Request<'a>, DecodeError> {
    let MessagesRequest {
        model,
        max_tokens,
        system,
        messages,
        tools,
        tool_choice,
        stop_sequences,
        temperature,
        top_p,
        top_k,
        metadata,
        thinking,
        output_config,
        output_format,
        stream,
        rest,
    } = from_json(body)?;

    let model = match (model.is_empty(), &meta.model) {
        (false, _) => model,
        (true, Some(m)) => m.clone(),
        (true, None) => return Err(DecodeError::invalid("model", "is required")),
    };
    let Some(max_tokens) = max_tokens else {
        return Err(DecodeError::invalid("max_tokens", "is required"));
    };
    if messages.is_empty() {
        return Err(DecodeError::invalid("messages", "must not be empty"));
    }
    check_unit("temperature", temperature)?;
    check_unit("top_p", top_p)?;

    let mut sys = Vec::new();
    match system {
        None => {}
        Some(Content::Text(text)) => sys.push(Block::Text { text }),
        Some(Content::Blocks(blocks)) => {
            for (j, b) in blocks.into_iter().enumerate() {
                if !matches!(b, ContentBlock::Text { .. }) {
                    return Err(DecodeError::invalid(
                        format!("system[{j}]"),
                        "system blocks must be text",
                    ));
                }
                decode_block(b, &mut sys)
                    .map_err(|m| DecodeError::invalid(format!("system[{j}]"), m))?;
            }
        }
    }

    let mut out_messages = Vec::with_capacity(messages.len());
    for (i, m) in messages.into_iter().enumerate() {
        let role = match m.role.as_str() {
            "user" => Role::User,
            "assistant" => Role::Assistant,
            _ => {
                return Err(DecodeError::invalid(
                    format!("messages[{i}].role"),
                    "must be `user` or `assistant`",
                ));
            }
        };
        let mut content = Vec::new();
        decode_content(m.content, &mut content)
            .map_err(|(j, msg)| DecodeError::invalid(format!("messages[{i}].content[{j}]"), msg))?;
        out_messages.push(ir::Message {
            role,
            content,
            name: None,
        });
    }

    let tools = decode_tools(tools);
    let (tool_choice, parallel_tool_calls) = decode_tool_choice(tool_choice)?;
    let reasoning = decode_reasoning(thinking, output_config.as_ref())?;
    let format = decode_format(output_config.and_then(|c| c.format).or(output_format))?;

    Ok(ir::Request {
        model,
        system: sys,
        messages: out_messages,
        tools,
        tool_choice,
        parallel_tool_calls,
        sampling: ir::Sampling {
            temperature,
            top_p,
            top_k,
            ..ir::Sampling::default()
        },
        max_output_tokens: Some(max_tokens),
        stop: stop_sequences,
        n: None,
        response_format: format,
        reasoning,
        stream: stream.unwrap_or(false) || meta.stream,
        stream_include_usage: None,
        logprobs: None,
        top_logprobs: None,
        user: metadata.and_then(|m| m.user_id),
        metadata: None,
        previous_response_id: None,
        store: None,
        safety_settings: None,
        extra: ir::Extra {
            api: (!rest.is_empty()).then_some(Api::AnthropicMessages),
            fields: rest,
        },
    })
}

fn check_unit(path: &'static str, v: Option<f64>) -> Result<(), DecodeError> {
    match v {
        Some(x) if !(0.0..=1.0).contains(&x) => {
            Err(DecodeError::invalid(path, "must be between 0 and 1"))
        }
        _ => Ok(()),
    }
}

/// Encodes a Messages request.
///
/// Applies Anthropic's rules: `max_tokens` defaults to [`DEFAULT_MAX_TOKENS`] (raised above
/// the thinking budget), consecutive same-role turns merge, tool results go in user turns,
/// mid-conversation system messages move to `system`, thinking from another model family is
/// dropped, and settings Anthropic rejects together with thinking (temperature, top_k,
/// forced tool use, a tool loop whose last assistant turn has no thinking) give way.
///
/// # Errors
/// Never at present; the signature leaves room for requests Anthropic cannot take at all.
pub fn encode_request(req: &ir::Request<'_>, losses: &mut Losses) -> Result<Vec<u8>, EncodeError> {
    let ir::Request {
        model,
        system,
        messages,
        tools,
        tool_choice,
        parallel_tool_calls,
        sampling,
        max_output_tokens: _, // With reasoning and sampling: see `encode_generation`.
        stop,
        n,
        response_format,
        reasoning: _,
        stream,
        stream_include_usage: _, // Anthropic streams always report usage.
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
        temperature: _,
        top_p: _,
        top_k: _,
        seed,
        frequency_penalty,
        presence_penalty,
    } = *sampling;

    let unsupported = [
        (seed.is_some(), "seed", "Anthropic has no seed"),
        (
            frequency_penalty.is_some(),
            "frequency_penalty",
            "Anthropic has no frequency penalty",
        ),
        (
            presence_penalty.is_some(),
            "presence_penalty",
            "Anthropic has no presence penalty",
        ),
        (
            n.is_some_and(|n| n != 1),
            "n",
            "Anthropic returns one choice",
        ),
        (
            logprobs.is_some(),
            "logprobs",
            "Anthropic has no log probabilities",
        ),
        (
            top_logprobs.is_some(),
            "top_logprobs",
            "Anthropic has no log probabilities",
        ),
        (
            metadata.is_some(),
            "metadata",
            "Anthropic metadata only holds user_id",
        ),
        (
            previous_response_id.is_some(),
            "previous_response_id",
            "Anthropic is stateless",
        ),
        (
            store.is_some(),
            "store",
            "Anthropic does not store responses",
        ),
        (
            safety_settings.is_some(),
            "safety_settings",
            "Anthropic has no safety settings",
        ),
    ];
    for (present, path, reason) in unsupported {
        if present {
            losses.dropped(path, reason);
        }
    }

    let (sys, out_messages) = encode_conversation(system, messages, losses);
    let out_tools = encode_tools(tools, losses);

    let Generation {
        thinking,
        effort,
        max_tokens,
        temperature,
        top_p,
        top_k,
    } = encode_generation(req, losses);

    let tool_choice = encode_tool_choice(
        tool_choice.as_ref(),
        *parallel_tool_calls,
        !out_tools.is_empty(),
        losses,
    );

    let format = encode_format(response_format.as_ref(), losses);
    let output_config = (format.is_some() || effort.is_some()).then(|| OutputConfig {
        effort: effort.map(Str::borrowed),
        format,
    });

    let rest = match extra.api {
        Some(Api::AnthropicMessages) => extra
            .fields
            .iter()
            .map(|(k, v)| (k.reborrow(), *v))
            .collect(),
        _ => {
            losses.extra_dropped(extra, Api::AnthropicMessages);
            Vec::new()
        }
    };

    let wire = MessagesRequest {
        model: model.reborrow(),
        max_tokens: Some(max_tokens),
        system: compact(sys),
        messages: out_messages,
        tools: out_tools,
        tool_choice,
        stop_sequences: stop.iter().map(Str::reborrow).collect(),
        temperature,
        top_p,
        top_k,
        metadata: user.as_ref().map(|u| Metadata {
            user_id: Some(u.reborrow()),
        }),
        thinking,
        output_config,
        output_format: None,
        stream: stream.then_some(true),
        rest,
    };
    let mut out = Vec::with_capacity(4096);
    write_request(&wire, &mut out);
    Ok(out)
}

/// Thinking, `max_tokens` and sampling, settled together: Anthropic requires the thinking
/// budget below `max_tokens` and rejects temperature, top_k, low top_p and forced tool use
/// with thinking, and temperature with top_p on recent models.
struct Generation {
    thinking: Option<ThinkingConfig<'static>>,
    effort: Option<&'static str>,
    max_tokens: u32,
    temperature: Option<f64>,
    top_p: Option<f64>,
    top_k: Option<u32>,
}

fn encode_generation(req: &ir::Request<'_>, losses: &mut Losses) -> Generation {
    let ir::Sampling {
        temperature,
        top_p,
        top_k,
        ..
    } = req.sampling;
    let tool_choice = &req.tool_choice;
    let max_output_tokens = &req.max_output_tokens;
    let model = &req.model;
    let mut thinking = encode_thinking(req.reasoning.as_ref(), model, losses);
    let mut effort = thinking.as_ref().and_then(|t| t.1);
    let forced = matches!(
        tool_choice,
        Some(ir::ToolChoice::Required | ir::ToolChoice::Tool { .. })
    ) || matches!(
        tool_choice,
        Some(ir::ToolChoice::Allowed { required: true, .. })
    );
    if is_on(&thinking) && forced {
        losses.dropped(
            "reasoning",
            "Anthropic does not allow thinking with forced tool use",
        );
        thinking = None;
        effort = None;
    }
    if is_on(&thinking) && last_tool_turn_lacks_thinking(&req.messages) {
        losses.dropped(
            "reasoning",
            "the last assistant tool call has no Claude thinking block, which Anthropic requires when thinking is on",
        );
        thinking = None;
        effort = None;
    }
    let mut max_tokens = match max_output_tokens {
        Some(m) => *m,
        None => {
            losses.approximated("max_tokens", "Anthropic requires max_tokens; 4096 used");
            DEFAULT_MAX_TOKENS
        }
    };
    if let Some((t, _)) = thinking.as_mut()
        && let Some(b) = t.budget_tokens
        && b >= max_tokens
    {
        if max_output_tokens.is_none() {
            max_tokens = b.saturating_add(DEFAULT_MAX_TOKENS);
        } else if max_tokens > MIN_BUDGET {
            losses.approximated(
                "reasoning.budget_tokens",
                "lowered below max_tokens as Anthropic requires",
            );
            t.budget_tokens = Some(max_tokens - 1);
        } else {
            losses.dropped(
                "reasoning",
                "max_tokens leaves no room for the minimum thinking budget",
            );
            thinking = None;
            effort = None;
        }
    }
    let on = is_on(&thinking);
    let mut temperature = temperature;
    let mut top_k = top_k;
    let mut top_p = top_p;
    if on {
        if temperature.is_some_and(|t| t != 1.0) {
            losses.dropped(
                "temperature",
                "Anthropic does not allow temperature with thinking",
            );
            temperature = None;
        }
        if top_k.take().is_some() {
            losses.dropped("top_k", "Anthropic does not allow top_k with thinking");
        }
        if top_p.is_some_and(|p| p < 0.95) {
            losses.dropped("top_p", "Anthropic allows only top_p >= 0.95 with thinking");
            top_p = None;
        }
    }
    if temperature.is_some() && top_p.is_some() && one_of_temperature_top_p(model) {
        losses.dropped(
            "top_p",
            "this model takes temperature or top_p, not both; temperature kept",
        );
        top_p = None;
    }
    if let Some(t) = temperature
        && t > 1.0
    {
        losses.approximated("temperature", "Anthropic temperature is at most 1");
        temperature = Some(1.0);
    }

    Generation {
        thinking: thinking.map(|t| t.0),
        effort,
        max_tokens,
        temperature,
        top_p,
        top_k,
    }
}

/// The system prompt and the turns: consecutive same-role messages merge, tool messages
/// join user turns, mid-conversation system messages move to the system prompt.
fn encode_conversation<'r>(
    system: &'r [Block<'_>],
    messages: &'r [ir::Message<'_>],
    losses: &mut Losses,
) -> (Vec<ContentBlock<'r>>, Vec<Message<'r>>) {
    let mut sys: Vec<ContentBlock<'_>> = Vec::new();
    encode_system(system, Loc::System, losses, &mut sys);
    let mut turns: Vec<(&'static str, Vec<ContentBlock<'_>>)> = Vec::with_capacity(messages.len());
    for (i, m) in messages.iter().enumerate() {
        let ir::Message {
            role,
            content,
            name,
        } = m;
        if name.is_some() {
            losses.dropped(
                format!("messages[{i}].name"),
                "Anthropic messages have no name",
            );
        }
        let role = match role {
            Role::Assistant => "assistant",
            Role::System => {
                losses.approximated(
                    format!("messages[{i}]"),
                    "system message moved to the system prompt",
                );
                encode_system(content, |j| Loc::Message(i, j), losses, &mut sys);
                continue;
            }
            _ => "user",
        };
        let loc = |j| Loc::Message(i, j);
        match turns.last_mut() {
            Some((r, blocks)) if *r == role => {
                // A cache marker opening this message closes the previous one's last block.
                encode_blocks(content, loc, Side::Request, losses, blocks);
            }
            _ => {
                let mut blocks = Vec::with_capacity(content.len());
                let mut rest = content.as_slice();
                // A cache marker opening a turn closes the previous turn's content.
                while let [Block::CachePoint(c), tail @ ..] = rest {
                    let attached = turns
                        .last_mut()
                        .is_some_and(|(_, prev)| attach_cache(prev, *c));
                    if !attached {
                        let j = content.len() - rest.len();
                        losses.dropped(
                            Loc::Message(i, j).path(),
                            "cache marker with no block before it",
                        );
                    }
                    rest = tail;
                }
                let skip = content.len() - rest.len();
                encode_blocks(
                    rest,
                    |j| Loc::Message(i, j + skip),
                    Side::Request,
                    losses,
                    &mut blocks,
                );
                if !blocks.is_empty() {
                    turns.push((role, blocks));
                }
            }
        }
    }
    let out_messages: Vec<Message<'_>> = turns
        .into_iter()
        .filter_map(|(role, blocks)| {
            compact(blocks).map(|content| Message {
                role: Str::borrowed(role),
                content,
            })
        })
        .collect();

    (sys, out_messages)
}

/// System text (and its cache markers); anything else is dropped.
fn encode_system<'r>(
    blocks: &'r [Block<'_>],
    loc: impl Fn(usize) -> Loc,
    losses: &mut Losses,
    out: &mut Vec<ContentBlock<'r>>,
) {
    for (j, b) in blocks.iter().enumerate() {
        match b {
            Block::Text { text } if text.is_empty() => {}
            Block::Text { text } => out.push(ContentBlock::Text {
                text: text.reborrow(),
                citations: None,
                cache_control: None,
            }),
            Block::CachePoint(c) => {
                if !attach_cache(out, *c) {
                    losses.dropped(loc(j).path(), "cache marker with no system text before it");
                }
            }
            _ => losses.dropped(loc(j).path(), "Anthropic system prompts hold only text"),
        }
    }
}
