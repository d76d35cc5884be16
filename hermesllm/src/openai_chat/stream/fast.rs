//! The decoder's fast path: a chunk with at most one choice, read without serde's machinery.
//!
//! Chunks with an `error`, several choices or anything else the [`Reader`] leaves to serde
//! are decoded by serde instead ([`ChatChunk`](super::ChatChunk)); for every chunk read here,
//! the fields are what serde would have produced. Tool calls and usage, rarer and nested, are
//! handed to serde as sub-values.

use super::{ChunkChoice, ChunkDelta};
use crate::json::{Reader, Seen, Slow};
use crate::openai_chat::response::UsageWire;
use crate::{Raw, Str};

/// The fields of a chunk the decoder reads.
#[derive(Debug, Default)]
pub(super) struct FastChunk<'a> {
    pub(super) id: Str<'a>,
    pub(super) model: Str<'a>,
    pub(super) created: Option<u64>,
    pub(super) choice: Option<ChunkChoice<'a>>,
    pub(super) usage: Option<UsageWire>,
}

/// Reads a chunk, or answers [`Slow`] when serde must.
pub(super) fn chunk(text: &str) -> Result<FastChunk<'_>, Slow> {
    let mut r = Reader::new(text);
    let mut members = r.object()?;
    let mut seen = Seen::default();
    let mut c = FastChunk::default();
    while let Some(key) = r.key(&mut members)? {
        match key {
            b"id" => {
                seen.once(0)?;
                c.id = r.string()?;
            }
            b"object" => {
                seen.once(1)?;
                r.string()?;
            }
            b"created" => {
                seen.once(2)?;
                c.created = if r.null() { None } else { Some(r.u64()?) };
            }
            b"model" => {
                seen.once(3)?;
                c.model = r.string()?;
            }
            b"system_fingerprint" => {
                seen.once(4)?;
                r.opt_string()?;
            }
            b"choices" => {
                seen.once(5)?;
                c.choice = choices(&mut r)?;
            }
            b"usage" => {
                seen.once(6)?;
                c.usage = if r.null() {
                    None
                } else {
                    Some(serde_json::from_str(r.skip_value()?).map_err(|_| Slow)?)
                };
            }
            b"error" => return Err(Slow),
            _ => r.skip_unknown(key)?,
        }
    }
    r.end()?;
    Ok(c)
}

/// `choices`: `null`, or an array of at most one choice.
fn choices<'a>(r: &mut Reader<'a>) -> Result<Option<ChunkChoice<'a>>, Slow> {
    if r.null() {
        return Ok(None);
    }
    r.eat(b'[')?;
    if r.peek() == Some(b']') {
        r.eat(b']')?;
        return Ok(None);
    }
    let c = choice(r)?;
    r.eat(b']')?;
    Ok(Some(c))
}

fn choice<'a>(r: &mut Reader<'a>) -> Result<ChunkChoice<'a>, Slow> {
    let mut members = r.object()?;
    let mut seen = Seen::default();
    let mut c = ChunkChoice::default();
    while let Some(key) = r.key(&mut members)? {
        match key {
            b"index" => {
                seen.once(0)?;
                c.index = r.u32()?;
            }
            b"delta" => {
                seen.once(1)?;
                c.delta = delta(r)?;
            }
            b"finish_reason" => {
                seen.once(2)?;
                c.finish_reason = r.opt_string()?;
            }
            b"logprobs" => {
                seen.once(3)?;
                c.logprobs = if r.null() {
                    None
                } else {
                    Some(Raw::parse(r.skip_value()?).map_err(|_| Slow)?)
                };
            }
            _ => r.skip_unknown(key)?,
        }
    }
    Ok(c)
}

fn delta<'a>(r: &mut Reader<'a>) -> Result<ChunkDelta<'a>, Slow> {
    let mut members = r.object()?;
    let mut seen = Seen::default();
    let mut d = ChunkDelta::default();
    while let Some(key) = r.key(&mut members)? {
        match key {
            b"role" => {
                seen.once(0)?;
                d.role = r.opt_string()?;
            }
            b"content" => {
                seen.once(1)?;
                d.content = r.opt_string()?;
            }
            b"reasoning_content" => {
                seen.once(2)?;
                d.reasoning_content = r.opt_string()?;
            }
            b"reasoning" => {
                seen.once(3)?;
                d.reasoning = r.opt_string()?;
            }
            b"refusal" => {
                seen.once(4)?;
                d.refusal = r.opt_string()?;
            }
            b"tool_calls" => {
                seen.once(5)?;
                d.tool_calls = if r.null() {
                    None
                } else {
                    Some(serde_json::from_str(r.skip_value()?).map_err(|_| Slow)?)
                };
            }
            b"function_call" => {
                seen.once(6)?;
                d.function_call = if r.null() {
                    None
                } else {
                    Some(serde_json::from_str(r.skip_value()?).map_err(|_| Slow)?)
                };
            }
            _ => r.skip_unknown(key)?,
        }
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openai_chat::stream::ChatChunk;

    /// Chunks as OpenAI and compatible servers send them, and some odder ones.
    const SEEDS: &[&str] = &[
        r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1749513600,"model":"gpt-4o-mini","system_fingerprint":"fp_1","service_tier":"default","choices":[{"index":0,"delta":{"content":" quick"},"logprobs":null,"finish_reason":null}],"usage":null}"#,
        r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]}"#,
        r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"a\n\"b\" \\ \/ \u00e9 \ud83d\ude00 \t\r\b\f"},"finish_reason":null}],"obfuscation":"xYz"}"#,
        r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"reasoning_content":"hmm"},"finish_reason":null}]}"#,
        r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\":"}}]},"finish_reason":null}]}"#,
        r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls","logprobs":{"content":[{"token":"x","logprob":-0.5e-3,"bytes":[120]}]}}]}"#,
        r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":20,"total_tokens":30,"prompt_tokens_details":{"cached_tokens":3}}}"#,
        r#"{"id":"c","object":"chat.completion.chunk","created":null,"model":"m","choices":null,"system_fingerprint":null}"#,
        " { \"id\" : \"c\" ,\n\"choices\" : [ { \"index\" : 0 , \"delta\" : { \"content\" : \"x\" } } ] , \"x\" : [ 1 , -2.5E+3 , true , false , null , { } , [ ] ] } ",
        r#"{"id":"c","choices":[{"index":0,"delta":{"function_call":{"name":"f","arguments":"{}"}},"content_filter_results":{"hate":{"filtered":false,"severity":"safe"}}}]}"#,
        r#"{"choices":[{"index":1,"delta":{"refusal":"no"}}]}"#,
    ];

    /// Every chunk the fast path accepts decodes to the same fields with serde.
    fn assert_agrees(text: &str) -> bool {
        let Ok(fast) = chunk(text) else {
            return false;
        };
        let serde: ChatChunk<'_> = serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("fast path accepted what serde refuses ({e}): {text}"));
        assert!(serde.error.is_none(), "{text}");
        assert_eq!(fast.id, serde.id, "{text}");
        assert_eq!(fast.model, serde.model, "{text}");
        assert_eq!(fast.created, serde.created, "{text}");
        assert_eq!(fast.usage, serde.usage, "{text}");
        assert_eq!(
            format!("{:?}", fast.choice.as_slice()),
            format!("{:?}", &*serde.choices),
            "{text}"
        );
        true
    }

    #[test]
    fn seeds_take_the_fast_path_and_agree_with_serde() {
        for seed in SEEDS {
            assert!(assert_agrees(seed), "not on the fast path: {seed}");
        }
    }

    #[test]
    fn mutated_chunks_agree_with_serde_or_fall_back() {
        let inserts = [
            "\"", "\\", "{", "}", "[", "]", ",", ":", " ", "0", "-", "e", "\u{1}",
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
    fn duplicate_and_escaped_keys_fall_back() {
        for text in [
            r#"{"id":"a","id":"b","choices":[]}"#,
            r#"{"\u0069d":"a","choices":[]}"#,
            r#"{"choices":[{"index":0,"delta":{"content":"a","content":"b"}}]}"#,
            r#"{"choices":[{"index":0},{"index":1}]}"#,
            r#"{"error":{"message":"boom"}}"#,
            r#"{"created":1.0}"#,
            r#"{"created":01}"#,
            r#"{"choices":[{"index":0,"delta":{"content":"\ud800"}}]}"#,
        ] {
            assert!(chunk(text).is_err(), "{text}");
        }
    }
}
