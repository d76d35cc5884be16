//! The decoder's fast path for `contentBlockDelta`, nearly every frame of a stream, read
//! without serde's machinery.
//!
//! A payload the [`Reader`] leaves to serde (escaped keys, a field given twice, ...) is
//! decoded by serde instead; for every payload read here, the event is what serde would have
//! produced. Tool-use and reasoning deltas, nested, are handed to serde as sub-values.

use super::events::{ContentBlockDeltaEvent, DeltaPayload};
use crate::json::{Reader, Seen, Slow};

/// Reads a `contentBlockDelta` payload, or answers [`Slow`] when serde must.
pub(super) fn content_block_delta(payload: &[u8]) -> Result<ContentBlockDeltaEvent<'_>, Slow> {
    let text = std::str::from_utf8(payload).map_err(|_| Slow)?;
    text_delta(text).or_else(|Slow| any_delta(text))
}

/// The text delta exactly as Bedrock writes it (members in this order, no whitespace):
/// `{"contentBlockIndex":0,"delta":{"text":"…"},"p":"…"}`.
fn text_delta(text: &str) -> Result<ContentBlockDeltaEvent<'_>, Slow> {
    let mut r = Reader::new(text);
    if !r.exact(br#"{"contentBlockIndex":"#) {
        return Err(Slow);
    }
    let content_block_index = r.u32()?;
    if !r.exact(br#","delta":{"text":"#) {
        return Err(Slow);
    }
    let t = r.string()?;
    if !r.exact(br#"},"p":"#) {
        return Err(Slow);
    }
    r.skip_value()?;
    r.eat(b'}')?;
    r.end()?;
    Ok(ContentBlockDeltaEvent {
        content_block_index,
        delta: DeltaPayload {
            text: Some(t),
            ..DeltaPayload::default()
        },
    })
}

/// Any `contentBlockDelta` the reader handles.
fn any_delta(text: &str) -> Result<ContentBlockDeltaEvent<'_>, Slow> {
    let mut r = Reader::new(text);
    let mut members = r.object()?;
    let mut seen = Seen::default();
    let mut index = None;
    let mut delta = None;
    while let Some(key) = r.key(&mut members)? {
        match key {
            b"contentBlockIndex" => {
                seen.once(0)?;
                index = Some(r.u32()?);
            }
            b"delta" => {
                seen.once(1)?;
                delta = Some(delta_payload(&mut r)?);
            }
            _ => r.skip_unknown(key)?,
        }
    }
    r.end()?;
    match (index, delta) {
        (Some(content_block_index), Some(delta)) => Ok(ContentBlockDeltaEvent {
            content_block_index,
            delta,
        }),
        // Required members missing: serde names the error.
        _ => Err(Slow),
    }
}

fn delta_payload<'a>(r: &mut Reader<'a>) -> Result<DeltaPayload<'a>, Slow> {
    let mut members = r.object()?;
    let mut seen = Seen::default();
    let mut d = DeltaPayload::default();
    while let Some(key) = r.key(&mut members)? {
        match key {
            b"text" => {
                seen.once(0)?;
                d.text = r.opt_string()?;
            }
            b"toolUse" => {
                seen.once(1)?;
                d.tool_use = if r.null() {
                    None
                } else {
                    Some(serde_json::from_str(r.skip_value()?).map_err(|_| Slow)?)
                };
            }
            b"reasoningContent" => {
                seen.once(2)?;
                d.reasoning_content = if r.null() {
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
    use crate::wire::from_json;

    const SEEDS: &[&str] = &[
        r#"{"contentBlockIndex":0,"delta":{"text":" Binary Search"},"p":"abcdefghijklm"}"#,
        r#"{"contentBlockIndex":12,"delta":{"text":"\n\n## Steps \"1\" \u00e9\ud83d\ude00"},"p":"abc"}"#,
        r#"{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"city\":"}},"p":"ab"}"#,
        r#"{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"hmm","signature":"sig"}}}"#,
        r#"{"p":"x","delta":{"text":"a","future":[1,{"b":null}]},"contentBlockIndex":3}"#,
        " {\"contentBlockIndex\" : 0 , \"delta\" : { \"text\" : \"x\" } } ",
    ];

    fn assert_agrees(text: &str) -> bool {
        let Ok(fast) = content_block_delta(text.as_bytes()) else {
            return false;
        };
        let serde: ContentBlockDeltaEvent<'_> = from_json(text.as_bytes())
            .unwrap_or_else(|e| panic!("fast path accepted what serde refuses ({e}): {text}"));
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
    fn mutated_payloads_agree_with_serde_or_fall_back() {
        let inserts = ["\"", "\\", "{", "}", ",", ":", " ", "0", "n", "\u{1}"];
        let mut fast = 0;
        for seed in SEEDS {
            for text in crate::json::mutants(seed, &inserts) {
                fast += usize::from(assert_agrees(&text));
            }
        }
        assert!(fast > 300, "only {fast} mutants took the fast path");
    }
}
