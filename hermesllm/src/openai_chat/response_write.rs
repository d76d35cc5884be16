//! The `chat.completion` body written straight from the internal model into bytes: exactly
//! what serde_json writes for the [`ChatResponse`](super::response::ChatResponse) wire type
//! the encoder used to build (same members, order and omissions), with the same losses in the
//! same order, without the wire values or serde's serializer.

use super::response::{UsageWire, finish_from_ir, usage_from_ir};
use crate::ir::{self, Block, ToolCallKind};
use crate::json::{Object, write_str, write_str_contents};
use crate::{Api, Losses, ResponseMeta};

/// The body of [`encode_response`](super::encode_response).
pub(super) fn write_response(
    resp: &ir::Response<'_>,
    meta: &ResponseMeta<'_>,
    losses: &mut Losses,
) -> Vec<u8> {
    let ir::Response {
        id,
        model,
        created,
        choices,
        usage,
        system_fingerprint,
        service_tier,
        previous_response_id,
        extra,
    } = resp;
    if previous_response_id.is_some() {
        losses.dropped(
            "previous_response_id",
            "Chat Completions responses have none",
        );
    }
    let mut out = Vec::with_capacity(1024);
    let mut o = Object::new(&mut out);
    let id = if id.is_empty() { &meta.id } else { id };
    if !id.is_empty() {
        o.str("id", id);
    }
    o.str("object", "chat.completion");
    o.u64("created", created.unwrap_or(meta.created));
    let model = if model.is_empty() { &meta.model } else { model };
    if !model.is_empty() {
        o.str("model", model);
    }
    o.key("choices");
    o.out.push(b'[');
    for (k, c) in choices.iter().enumerate() {
        if k > 0 {
            o.out.push(b',');
        }
        choice(o.out, k, c, losses);
    }
    if choices.is_empty() {
        // The API always has at least one choice.
        o.out.extend_from_slice(
            br#"{"index":0,"message":{"role":"assistant","content":null},"finish_reason":null,"logprobs":null}"#,
        );
    }
    o.out.push(b']');
    // Extra fields are settled before usage, whose loss comes after theirs.
    let keep_extra = extra.api == Some(Api::OpenAiChat);
    if !keep_extra {
        losses.extra_dropped(extra, Api::OpenAiChat);
    }
    if let Some(u) = usage {
        let u = usage_from_ir(u, losses);
        o.key("usage");
        write_usage(o.out, &u);
    }
    o.opt_str("system_fingerprint", system_fingerprint.as_deref());
    o.opt_str("service_tier", service_tier.as_deref());
    if keep_extra {
        for (k, v) in &extra.fields {
            o.raw(k, v.get());
        }
    }
    o.end();
    out
}

fn choice(out: &mut Vec<u8>, k: usize, c: &ir::Choice<'_>, losses: &mut Losses) {
    let ir::Choice {
        content,
        stop_reason,
        stop_sequence,
        logprobs,
    } = c;
    if stop_sequence.is_some() {
        losses.dropped(
            format!("choices[{k}].stop_sequence"),
            "Chat Completions does not say which stop sequence matched",
        );
    }
    let mut o = Object::new(out);
    o.u64("index", u64::from(u32::try_from(k).unwrap_or(u32::MAX)));
    o.key("message");
    message(o.out, k, content, losses);
    o.key("finish_reason");
    match stop_reason {
        Some(r) => {
            let s = finish_from_ir(r, || format!("choices[{k}].stop_reason"), losses);
            write_str(o.out, s);
        }
        None => o.out.extend_from_slice(b"null"),
    }
    o.key("logprobs");
    match logprobs {
        Some(r) => o.out.extend_from_slice(r.get().as_bytes()),
        None => o.out.extend_from_slice(b"null"),
    }
    o.end();
}

/// The assistant message: the text blocks concatenated into `content` (`null` without any),
/// refusals into `refusal`, thinking text into `reasoning_content`, then the tool calls.
fn message(out: &mut Vec<u8>, k: usize, content: &[Block<'_>], losses: &mut Losses) {
    let (mut text, mut refusal, mut reasoning, mut calls) = (false, false, false, false);
    for (j, b) in content.iter().enumerate() {
        match b {
            Block::Text { .. } => text = true,
            Block::Refusal { .. } => refusal = true,
            Block::Thinking {
                text: t, signature, ..
            } => {
                if signature.is_some() {
                    losses.dropped(
                        format!("choices[{k}].content[{j}].signature"),
                        "Chat Completions carries no reasoning signatures",
                    );
                }
                reasoning |= !t.is_empty();
            }
            Block::ToolCall { .. } => calls = true,
            _ => losses.dropped(
                format!("choices[{k}].content[{j}]"),
                "not representable in a Chat Completions message",
            ),
        }
    }
    let mut o = Object::new(out);
    o.str("role", "assistant");
    o.key("content");
    if text {
        joined(o.out, content, |b| match b {
            Block::Text { text } => Some(text),
            _ => None,
        });
    } else {
        o.out.extend_from_slice(b"null");
    }
    if refusal {
        o.key("refusal");
        joined(o.out, content, |b| match b {
            Block::Refusal { text } => Some(text),
            _ => None,
        });
    }
    if reasoning {
        o.key("reasoning_content");
        joined(o.out, content, |b| match b {
            Block::Thinking { text, .. } if !text.is_empty() => Some(text),
            _ => None,
        });
    }
    if calls {
        o.key("tool_calls");
        o.out.push(b'[');
        let mut first = true;
        for b in content {
            let Block::ToolCall {
                id,
                name,
                arguments,
                kind,
            } = b
            else {
                continue;
            };
            if !first {
                o.out.push(b',');
            }
            first = false;
            let mut call = Object::new(o.out);
            call.str("id", id);
            let (kind, inner, args) = match kind {
                ToolCallKind::Custom => ("custom", "custom", "input"),
                _ => ("function", "function", "arguments"),
            };
            call.str("type", kind);
            call.key(inner);
            let mut f = Object::new(call.out);
            f.str("name", name);
            f.str(args, arguments);
            f.end();
            call.end();
        }
        o.out.push(b']');
    }
    o.end();
}

/// One JSON string holding the texts `pick` selects, in order (escaping each piece escapes
/// their concatenation).
fn joined<'b>(
    out: &mut Vec<u8>,
    content: &'b [Block<'_>],
    pick: impl Fn(&'b Block<'_>) -> Option<&'b str>,
) {
    out.push(b'"');
    for t in content.iter().filter_map(pick) {
        write_str_contents(out, t);
    }
    out.push(b'"');
}

fn write_usage(out: &mut Vec<u8>, u: &UsageWire) {
    let UsageWire {
        prompt_tokens,
        completion_tokens,
        total_tokens,
        prompt_tokens_details,
        completion_tokens_details,
    } = u;
    let mut o = Object::new(out);
    o.u64("prompt_tokens", *prompt_tokens);
    o.u64("completion_tokens", *completion_tokens);
    o.u64("total_tokens", *total_tokens);
    if let Some(d) = prompt_tokens_details {
        o.key("prompt_tokens_details");
        let mut inner = Object::new(o.out);
        if let Some(n) = d.cached_tokens {
            inner.u64("cached_tokens", n);
        }
        inner.end();
    }
    if let Some(d) = completion_tokens_details {
        o.key("completion_tokens_details");
        let mut inner = Object::new(o.out);
        if let Some(n) = d.reasoning_tokens {
            inner.u64("reasoning_tokens", n);
        }
        inner.end();
    }
    o.end();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Str;
    use crate::ir::{Choice, Extra, Response, StopReason, Usage};
    use crate::openai_chat::response::encode_response_wire;

    fn assert_same(resp: &Response<'_>) {
        let meta = ResponseMeta {
            id: "gen-1".into(),
            created: 7,
            model: "meta-model".into(),
        };
        let (mut ours_losses, mut serde_losses) = (Losses::default(), Losses::default());
        let ours = write_response(resp, &meta, &mut ours_losses);
        let serde = encode_response_wire(resp, &meta, &mut serde_losses).unwrap();
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            String::from_utf8(serde).unwrap()
        );
        assert_eq!(ours_losses, serde_losses);
    }

    /// Every response fixture of every API, and responses with every kind of block.
    #[test]
    fn writes_what_serde_writes() {
        let mut n = 0;
        for api in [
            Api::OpenAiChat,
            Api::OpenAiResponses,
            Api::AnthropicMessages,
            Api::BedrockConverse,
            Api::Gemini,
        ] {
            let dir = format!(
                "{}/tests/fixtures/{api}/responses",
                env!("CARGO_MANIFEST_DIR")
            );
            for entry in std::fs::read_dir(dir).unwrap() {
                let body = std::fs::read(entry.unwrap().path()).unwrap();
                if let Ok(resp) = crate::translate::decode_response(api, &body) {
                    assert_same(&resp);
                    n += 1;
                }
            }
        }
        assert!(n > 20, "{n} fixtures");

        let raw = crate::Raw::parse(r#"{"content":[]}"#).unwrap();
        let blocks = vec![
            Block::Thinking {
                text: Str::from("why \"so\""),
                signature: Some("sig".into()),
                id: None,
                origin: Api::AnthropicMessages,
            },
            Block::Text { text: "a\n".into() },
            Block::ToolCall {
                id: "c1".into(),
                name: "f".into(),
                arguments: "{\"a\":1}".into(),
                kind: ToolCallKind::Function,
            },
            Block::Refusal { text: "no".into() },
            Block::Text { text: "".into() },
            Block::Unknown {
                origin: Api::Gemini,
                raw,
            },
            Block::Text {
                text: "b\u{1}".into(),
            },
            Block::Thinking {
                text: Str::default(),
                signature: None,
                id: None,
                origin: Api::Gemini,
            },
            Block::ToolCall {
                id: "c2".into(),
                name: "g".into(),
                arguments: "free text".into(),
                kind: ToolCallKind::Custom,
            },
            Block::Refusal { text: "!".into() },
        ];
        let mut resp = Response {
            id: Str::default(),
            model: Str::default(),
            created: Some(3),
            choices: vec![
                Choice {
                    content: blocks,
                    stop_reason: Some(StopReason::Refusal),
                    stop_sequence: Some("END".into()),
                    logprobs: Some(raw),
                },
                Choice {
                    content: vec![Block::Text { text: "".into() }],
                    stop_reason: Some(StopReason::Other("odd".into())),
                    ..Choice::default()
                },
            ],
            usage: Some(Usage {
                input_tokens: 10,
                output_tokens: 5,
                cache_read_input_tokens: 2,
                cache_write_input_tokens: 1,
                reasoning_tokens: 3,
            }),
            system_fingerprint: Some("fp".into()),
            service_tier: Some("default".into()),
            previous_response_id: Some("resp_1".into()),
            extra: Extra {
                api: Some(Api::OpenAiChat),
                fields: vec![("x\"y".into(), raw)],
            },
        };
        assert_same(&resp);
        resp.extra.api = Some(Api::Gemini);
        resp.choices.clear();
        resp.usage = None;
        assert_same(&resp);
    }
}
