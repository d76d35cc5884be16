//! Byte spans of values inside JSON text, so a fixture can be edited at startup (its usage,
//! its text) while every other byte, key order and spacing included, stays as recorded.

use std::ops::Range;

/// One step of a path into a JSON document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step<'a> {
    /// An object member (keys are compared as raw bytes, without unescaping).
    Key(&'a str),
    /// An array element.
    Index(usize),
}

/// The span of the value at `path` in the JSON document `bytes`.
pub(crate) fn span(bytes: &[u8], path: &[Step<'_>]) -> Option<Range<usize>> {
    let mut at = skip_ws(bytes, 0);
    for step in path {
        at = match *step {
            Step::Key(key) => member(bytes, at, key)?,
            Step::Index(index) => element(bytes, at, index)?,
        };
    }
    Some(at..skip_value(bytes, at)?)
}

/// Replaces each span with its bytes; the spans must not overlap.
pub(crate) fn splice(bytes: &[u8], mut edits: Vec<(Range<usize>, Vec<u8>)>) -> Vec<u8> {
    edits.sort_by_key(|(range, _)| range.start);
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    for (range, replacement) in edits {
        out.extend_from_slice(bytes.get(at..range.start).unwrap_or_default());
        out.extend_from_slice(&replacement);
        at = range.end;
    }
    out.extend_from_slice(bytes.get(at..).unwrap_or_default());
    out
}

/// Where the value of member `key` of the object at `at` starts.
fn member(bytes: &[u8], at: usize, key: &str) -> Option<usize> {
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    let mut i = skip_ws(bytes, at + 1);
    loop {
        if bytes.get(i)? == &b'}' {
            return None;
        }
        let key_end = skip_string(bytes, i)?;
        let name = bytes.get(i + 1..key_end - 1)?;
        let colon = skip_ws(bytes, key_end);
        if bytes.get(colon) != Some(&b':') {
            return None;
        }
        let value = skip_ws(bytes, colon + 1);
        if name == key.as_bytes() {
            return Some(value);
        }
        i = next_item(bytes, skip_value(bytes, value)?)?;
    }
}

/// Where element `index` of the array at `at` starts.
fn element(bytes: &[u8], at: usize, index: usize) -> Option<usize> {
    if bytes.get(at) != Some(&b'[') {
        return None;
    }
    let mut i = skip_ws(bytes, at + 1);
    for _ in 0..index {
        if bytes.get(i)? == &b']' {
            return None;
        }
        i = next_item(bytes, skip_value(bytes, i)?)?;
    }
    (bytes.get(i)? != &b']').then_some(i)
}

/// After a member or element ending at `end`: the start of the next one, or the position
/// of the closing bracket.
fn next_item(bytes: &[u8], end: usize) -> Option<usize> {
    let i = skip_ws(bytes, end);
    match bytes.get(i)? {
        b',' => Some(skip_ws(bytes, i + 1)),
        b'}' | b']' => Some(i),
        _ => None,
    }
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// The end of the string literal starting at `at` (after its closing quote).
fn skip_string(bytes: &[u8], at: usize) -> Option<usize> {
    if bytes.get(at) != Some(&b'"') {
        return None;
    }
    let mut i = at + 1;
    loop {
        match bytes.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

/// The end of the value starting at `at`.
fn skip_value(bytes: &[u8], at: usize) -> Option<usize> {
    match bytes.get(at)? {
        b'"' => skip_string(bytes, at),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            loop {
                match bytes.get(i)? {
                    b'"' => {
                        i = skip_string(bytes, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            let mut i = at;
            while bytes
                .get(i)
                .is_some_and(|b| !matches!(b, b',' | b'}' | b']') && !b.is_ascii_whitespace())
            {
                i += 1;
            }
            (i > at).then_some(i)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_values_and_splices_them() {
        let doc =
            br#" {"a": "x}\"", "usage" : {"n": [1, {"k": 2}]}, "c": [ "p", {"text": "t"} ] }"#;
        let text = |path: &[Step<'_>]| span(doc, path).map(|r| &doc[r]);
        assert_eq!(text(&[Step::Key("a")]), Some(&br#""x}\"""#[..]));
        assert_eq!(
            text(&[Step::Key("usage")]),
            Some(&br#"{"n": [1, {"k": 2}]}"#[..])
        );
        assert_eq!(
            text(&[Step::Key("usage"), Step::Key("n"), Step::Index(1)]),
            Some(&br#"{"k": 2}"#[..])
        );
        assert_eq!(
            text(&[Step::Key("c"), Step::Index(1), Step::Key("text")]),
            Some(&br#""t""#[..])
        );
        assert_eq!(text(&[Step::Key("c"), Step::Index(2)]), None);
        assert_eq!(text(&[Step::Key("missing")]), None);
        let usage = span(doc, &[Step::Key("usage")]).unwrap();
        let t = span(doc, &[Step::Key("c"), Step::Index(1), Step::Key("text")]).unwrap();
        let out = splice(doc, vec![(t, b"\"new\"".to_vec()), (usage, b"{}".to_vec())]);
        assert_eq!(
            &out[..],
            &br#" {"a": "x}\"", "usage" : {}, "c": [ "p", {"text": "new"} ] }"#[..]
        );
    }
}
