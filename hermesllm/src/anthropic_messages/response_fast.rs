//! The response decoder's fast path: a `Message` whose blocks are text, tool use and thinking,
//! read straight into the internal model, without serde's machinery, the wire types or the
//! raw-then-typed double parse of each block.
//!
//! Anything else the [`Reader`] leaves to serde (other block kinds, `cache_control`, fields of
//! other block kinds, duplicate or escaped keys, odd numbers, a wrong `type`) is decoded by
//! serde instead ([`MessageResponse`](super::types::MessageResponse)); for every body read
//! here the result is what that path gives.

use super::response::{decode_stop, decode_usage};
use super::types::WireUsage;
use crate::ir::{self, Block, ToolCallKind};
use crate::json::{Reader, Seen, Slow};
use crate::{Api, Str};

/// Reads a `Message` response, or answers [`Slow`] when serde must.
pub(super) fn response(text: &str) -> Result<ir::Response<'_>, Slow> {
    let mut r = Reader::new(text);
    let mut members = r.object()?;
    let mut seen = Seen::default();
    let mut id = Str::default();
    let mut kind = Str::default();
    let mut model = Str::default();
    let mut content = Vec::new();
    let mut stop_reason = None;
    let mut stop_sequence = None;
    let mut usage = None;
    let mut rest = Vec::new();
    while let Some(key) = r.key(&mut members)? {
        match key {
            b"id" => {
                seen.once(0)?;
                id = r.string()?;
            }
            b"type" => {
                seen.once(1)?;
                kind = r.string()?;
            }
            b"role" => {
                seen.once(2)?;
                r.string()?;
            }
            b"model" => {
                seen.once(3)?;
                model = r.string()?;
            }
            b"content" => {
                seen.once(4)?;
                content = blocks(&mut r)?;
            }
            b"stop_reason" => {
                seen.once(5)?;
                stop_reason = r.opt_string()?;
            }
            b"stop_sequence" => {
                seen.once(6)?;
                stop_sequence = r.opt_string()?;
            }
            b"usage" => {
                seen.once(7)?;
                usage = if r.null() {
                    None
                } else {
                    Some(self::usage(&mut r)?)
                };
            }
            _ => {
                let key = r.unknown_key(key)?;
                let value = r.raw()?;
                rest.push((Str::borrowed(key), value));
            }
        }
    }
    r.end()?;
    if !kind.is_empty() && kind != "message" {
        return Err(Slow);
    }
    Ok(ir::Response {
        id,
        model,
        created: None,
        choices: vec![ir::Choice {
            content,
            stop_reason: stop_reason.map(decode_stop),
            stop_sequence,
            logprobs: None,
        }],
        usage: usage.as_ref().map(decode_usage),
        system_fingerprint: None,
        service_tier: None,
        previous_response_id: None,
        extra: ir::Extra {
            api: (!rest.is_empty()).then_some(Api::AnthropicMessages),
            fields: rest,
        },
    })
}

fn blocks<'a>(r: &mut Reader<'a>) -> Result<Vec<Block<'a>>, Slow> {
    r.eat(b'[')?;
    let mut out = Vec::with_capacity(2);
    if r.peek() == Some(b']') {
        r.eat(b']')?;
        return Ok(out);
    }
    loop {
        out.push(block(r)?);
        match r.peek() {
            Some(b',') => r.eat(b',')?,
            Some(b']') => {
                r.eat(b']')?;
                return Ok(out);
            }
            _ => return Err(Slow),
        }
    }
}

/// One block, as `ContentBlock::from_raw` reads it through its flat shape.
fn block<'a>(r: &mut Reader<'a>) -> Result<Block<'a>, Slow> {
    let mut members = r.object()?;
    let mut seen = Seen::default();
    let mut kind = None;
    let mut text = None;
    let mut id = None;
    let mut name = None;
    let mut input = None;
    let mut thinking = None;
    let mut signature = None;
    let mut data = None;
    while let Some(key) = r.key(&mut members)? {
        match key {
            b"type" => {
                seen.once(0)?;
                kind = Some(r.string()?);
            }
            b"text" => {
                seen.once(1)?;
                text = r.opt_string()?;
            }
            b"id" => {
                seen.once(2)?;
                id = r.opt_string()?;
            }
            b"name" => {
                seen.once(3)?;
                name = r.opt_string()?;
            }
            b"input" => {
                seen.once(4)?;
                input = r.opt_raw()?;
            }
            b"citations" => {
                seen.once(5)?;
                // Checked, but not kept: the internal model has no citations.
                r.opt_raw()?;
            }
            b"thinking" => {
                seen.once(6)?;
                thinking = r.opt_string()?;
            }
            b"signature" => {
                seen.once(7)?;
                signature = r.opt_string()?;
            }
            b"data" => {
                seen.once(8)?;
                data = r.opt_string()?;
            }
            // The other fields of the flat shape belong to kinds left to serde.
            b"source" | b"tool_use_id" | b"content" | b"is_error" | b"cache_control" | b"title"
            | b"context" => return Err(Slow),
            _ => r.skip_unknown(key)?,
        }
    }
    // As `ContentBlock::from_raw` and then `decode_block` make them.
    let kind = kind.ok_or(Slow)?;
    Ok(match kind.as_str() {
        "text" => Block::Text {
            text: text.ok_or(Slow)?,
        },
        "tool_use" => Block::ToolCall {
            id: id.ok_or(Slow)?,
            name: name.ok_or(Slow)?,
            arguments: Str::borrowed(input.ok_or(Slow)?.get()),
            kind: ToolCallKind::Function,
        },
        "thinking" => {
            let signature = signature.unwrap_or_default();
            Block::Thinking {
                text: thinking.ok_or(Slow)?,
                signature: (!signature.is_empty()).then_some(signature),
                id: None,
                origin: Api::AnthropicMessages,
            }
        }
        "redacted_thinking" => Block::RedactedThinking {
            data: data.ok_or(Slow)?,
            origin: Api::AnthropicMessages,
        },
        _ => return Err(Slow),
    })
}

fn usage<'a>(r: &mut Reader<'a>) -> Result<WireUsage<'a>, Slow> {
    let mut members = r.object()?;
    let mut seen = Seen::default();
    let mut u = WireUsage::default();
    let opt_u64 = |r: &mut Reader<'a>| -> Result<Option<u64>, Slow> {
        if r.null() {
            Ok(None)
        } else {
            r.u64().map(Some)
        }
    };
    while let Some(key) = r.key(&mut members)? {
        match key {
            b"input_tokens" => {
                seen.once(0)?;
                u.input_tokens = r.u64()?;
            }
            b"cache_creation_input_tokens" => {
                seen.once(1)?;
                u.cache_creation_input_tokens = opt_u64(r)?;
            }
            b"cache_read_input_tokens" => {
                seen.once(2)?;
                u.cache_read_input_tokens = opt_u64(r)?;
            }
            b"output_tokens" => {
                seen.once(3)?;
                u.output_tokens = r.u64()?;
            }
            b"cache_creation" => {
                seen.once(4)?;
                u.cache_creation = r.opt_raw()?;
            }
            b"server_tool_use" => {
                seen.once(5)?;
                u.server_tool_use = r.opt_raw()?;
            }
            b"service_tier" => {
                seen.once(6)?;
                u.service_tier = r.opt_string()?;
            }
            _ => r.skip_unknown(key)?,
        }
    }
    Ok(u)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anthropic_messages::response::decode_wire;
    use crate::anthropic_messages::types::MessageResponse;

    /// Responses as Anthropic sends them, and some odder ones.
    const SEEDS: &[&str] = &[
        r#"{"id":"msg_01XyZAnchorResponse0001","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"The 09:04 TGV 6606 from Lyon Part-Dieu arrives at Paris Gare de Lyon at 11:00 (direct, EUR 65). Let me check the weather in Paris for that day."},{"type":"tool_use","id":"toolu_01AnchorWeather0001","name":"get_weather","input":{"city":"Paris","unit":"celsius"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":1021,"cache_creation_input_tokens":0,"cache_read_input_tokens":512,"output_tokens":87,"service_tier":"standard"}}"#,
        r#"{"id":"m","type":"message","role":"assistant","model":"c","content":[{"type":"thinking","thinking":"a\n\"b\" \u00e9 \ud83d\ude00","signature":"sig"},{"type":"redacted_thinking","data":"xyz"},{"type":"text","text":"hi","citations":[{"type":"char_location","cited_text":"x","start_char_index":0}]}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":2,"cache_creation":{"ephemeral_5m_input_tokens":0},"server_tool_use":{"web_search_requests":1},"service_tier":null}}"#,
        r#"{"id":"m","type":"message","content":[],"stop_reason":null,"usage":null,"container":{"id":"c1"},"extra":[1,-2.5E+3,true,false,null,{},[]]}"#,
        " { \"id\" : \"m\" ,\n\"content\" : [ { \"type\" : \"text\" , \"text\" : \"x\" , \"citations\" : null , \"other\" : 1 } , { \"type\" : \"tool_use\" , \"id\" : \"t\" , \"name\" : \"f\" , \"input\" : { } } ] , \"stop_sequence\" : \"END\" , \"usage\" : { \"input_tokens\" : 0 , \"output_tokens\" : 0 , \"cache_read_input_tokens\" : null , \"x\" : 1 } } ",
        r#"{"content":[{"type":"thinking","thinking":"","signature":null},{"text":"t","type":"text","id":"i","name":null,"input":null}]}"#,
    ];

    /// Every body the fast path accepts decodes to the same response through serde.
    fn assert_agrees(text: &str) -> bool {
        let Ok(fast) = response(text) else {
            return false;
        };
        let wire: MessageResponse<'_> = serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("fast path accepted what serde refuses ({e}): {text}"));
        let serde = decode_wire(wire).unwrap_or_else(|e| {
            panic!("fast path accepted what the decoder refuses ({e}): {text}")
        });
        assert_eq!(fast, serde, "{text}");
        true
    }

    #[test]
    fn seeds_take_the_fast_path_and_agree_with_serde() {
        for seed in SEEDS {
            assert!(assert_agrees(seed), "not on the fast path: {seed}");
        }
    }

    #[test]
    fn mutated_responses_agree_with_serde_or_fall_back() {
        let inserts = [
            "\"", "\\", "{", "}", "[", "]", ",", ":", " ", "0", "-", "e", "n", "\u{1}",
        ];
        let mut fast = 0;
        for seed in SEEDS {
            for text in crate::json::mutants(seed, &inserts) {
                fast += usize::from(assert_agrees(&text));
            }
        }
        assert!(fast > 1000, "only {fast} mutants took the fast path");
    }

    #[test]
    fn unusual_bodies_fall_back() {
        for text in [
            r#"{"id":"a","id":"b","content":[]}"#,
            r#"{"\u0069d":"a","content":[]}"#,
            r#"{"content":[{"type":"text","text":"a","text":"b"}]}"#,
            r#"{"content":[{"type":"text","text":"a","cache_control":{"type":"ephemeral"}}]}"#,
            r#"{"content":[{"type":"server_tool_use","id":"s","name":"web_search","input":{}}]}"#,
            r#"{"content":[{"type":"text"}]}"#,
            r#"{"content":[{"type":"tool_use","id":"t","name":"f","input":null}]}"#,
            r#"{"content":null}"#,
            r#"{"usage":{"input_tokens":1.0}}"#,
            r#"{"usage":{"input_tokens":null}}"#,
            r#"{"content":[{"type":"text","text":"\ud800"}]}"#,
            r#"{"type":"msg","content":[]}"#,
        ] {
            assert!(response(text).is_err(), "{text}");
        }
    }
}
