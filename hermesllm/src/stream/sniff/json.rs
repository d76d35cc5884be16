//! Byte-level JSON scanning: find a key's value, measure a string, skip a value. Enough to pick
//! a few fields out of a stream event without parsing it.
//!
//! A quoted key pattern such as `"usage"` cannot match inside a JSON string (a quote inside a
//! string is escaped, so it would be preceded by a backslash); requiring a `:` after it rules
//! out string values equal to the key. A key nested at another depth can still match, so
//! callers search inside the value of a parent key when the name is ambiguous.

use memchr::memchr2;
use memchr::memmem::Finder;

/// Whitespace JSON allows between tokens.
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// The index of the first non-whitespace byte at or after `pos`.
fn skip_ws(data: &[u8], mut pos: usize) -> usize {
    while data.get(pos).is_some_and(|&b| is_ws(b)) {
        pos += 1;
    }
    pos
}

/// Iterates the value positions of every occurrence of the key `key` (a finder for the quoted
/// key, e.g. `"usage"`) in `data`.
pub(crate) fn values<'d>(
    data: &'d [u8],
    key: &'d Finder<'static>,
) -> impl Iterator<Item = usize> + 'd {
    let len = key.needle().len();
    key.find_iter(data).filter_map(move |at| {
        let colon = skip_ws(data, at + len);
        (data.get(colon) == Some(&b':')).then(|| skip_ws(data, colon + 1))
    })
}

/// The value position of the first occurrence of `key`.
pub(crate) fn value(data: &[u8], key: &Finder<'static>) -> Option<usize> {
    values(data, key).next()
}

/// A string value at `pos`: its raw (escaped) contents and the length of its decoded UTF-8
/// text. `None` when the value is not a string or is unterminated.
pub(crate) fn string_at(data: &[u8], pos: usize) -> Option<(&[u8], usize)> {
    if data.get(pos) != Some(&b'"') {
        return None;
    }
    let body = data.get(pos + 1..)?;
    let mut i = 0;
    let mut decoded = 0usize;
    loop {
        let rest = body.get(i..)?;
        let j = memchr2(b'"', b'\\', rest)?;
        decoded += j;
        i += j;
        if body.get(i) == Some(&b'"') {
            return Some((body.get(..i)?, decoded));
        }
        // An escape.
        match body.get(i + 1)? {
            b'u' => {
                let cp = hex4(body.get(i + 2..i + 6)?)?;
                i += 6;
                if (0xD800..0xDC00).contains(&cp)
                    && body.get(i) == Some(&b'\\')
                    && body.get(i + 1) == Some(&b'u')
                    && body
                        .get(i + 2..i + 6)
                        .and_then(hex4)
                        .is_some_and(|lo| (0xDC00..0xE000).contains(&lo))
                {
                    i += 6;
                    decoded += 4;
                } else {
                    decoded += match cp {
                        0..=0x7F => 1,
                        0x80..=0x7FF => 2,
                        _ => 3,
                    };
                }
            }
            _ => {
                i += 2;
                decoded += 1;
            }
        }
    }
}

fn hex4(h: &[u8]) -> Option<u32> {
    let s = std::str::from_utf8(h).ok()?;
    u32::from_str_radix(s, 16).ok()
}

/// The end (exclusive) of the JSON value starting at `pos`: a string, an object or array
/// (nesting counted outside strings), or a literal/number (up to the next delimiter).
pub(crate) fn skip_value(data: &[u8], pos: usize) -> Option<usize> {
    match data.get(pos)? {
        b'"' => {
            let (raw, _) = string_at(data, pos)?;
            Some(pos + raw.len() + 2)
        }
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = pos;
            loop {
                match data.get(i)? {
                    b'"' => {
                        let (raw, _) = string_at(data, i)?;
                        i += raw.len() + 2;
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
            let mut i = pos;
            while data
                .get(i)
                .is_some_and(|&b| !matches!(b, b',' | b'}' | b']') && !is_ws(b))
            {
                i += 1;
            }
            Some(i)
        }
    }
}

/// The bytes of the value starting at `pos`.
pub(crate) fn value_slice(data: &[u8], pos: usize) -> Option<&[u8]> {
    data.get(pos..skip_value(data, pos)?)
}

/// The value of `key` inside the value of `parent` (e.g. the `type` of a `content_block`).
pub(crate) fn nested<'d>(
    data: &'d [u8],
    parent: &Finder<'static>,
    key: &Finder<'static>,
) -> Option<(&'d [u8], usize)> {
    let obj = value_slice(data, value(data, parent)?)?;
    Some((obj, value(obj, key)?))
}

/// Whether the value at `pos` is `null` (or absent).
pub(crate) fn is_null(data: &[u8], pos: usize) -> bool {
    data.get(pos..pos + 4).is_none_or(|v| v == b"null")
}

/// Whether the value at `pos` is `true`.
pub(crate) fn is_true(data: &[u8], pos: usize) -> bool {
    data.get(pos..pos + 4) == Some(b"true")
}

/// Whether the value at `pos` is an empty array.
pub(crate) fn is_empty_array(data: &[u8], pos: usize) -> bool {
    data.get(pos) == Some(&b'[') && data.get(skip_ws(data, pos + 1)) == Some(&b']')
}

/// Deserializes the value starting at `pos` (the rest of `data` is not looked at).
pub(crate) fn parse_at<'d, T: serde::Deserialize<'d>>(data: &'d [u8], pos: usize) -> Option<T> {
    let mut de = serde_json::Deserializer::from_slice(data.get(pos..)?);
    T::deserialize(&mut de).ok()
}

/// A string value at `pos` as `&str` when it has no escapes (enum-like values: finish
/// reasons, types).
pub(crate) fn plain_str(data: &[u8], pos: usize) -> Option<&str> {
    let (raw, _) = string_at(data, pos)?;
    std::str::from_utf8(raw).ok()
}

/// Whether `data`, after leading whitespace, is an object whose first key is `key` (quoted).
pub(crate) fn starts_with_key(data: &[u8], key: &[u8]) -> bool {
    let i = skip_ws(data, 0);
    data.get(i) == Some(&b'{')
        && data
            .get(skip_ws(data, i + 1)..)
            .is_some_and(|rest| rest.starts_with(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_values() {
        let f = Finder::new(b"\"k\"").into_owned();
        let d = br#"{"a":"k","k" : "h\u00e9\ud83d\ude00\n\"x","n":{"k":[1,{"z":"]"}]},"k":null}"#;
        let vals: Vec<usize> = values(d, &f).collect();
        assert_eq!(vals.len(), 3);
        let (raw, len) = string_at(d, vals[0]).unwrap();
        assert_eq!(raw, br#"h\u00e9\ud83d\ude00\n\"x"#);
        assert_eq!(len, "h\u{e9}\u{1F600}\n\"x".len());
        assert_eq!(value_slice(d, vals[1]).unwrap(), br#"[1,{"z":"]"}]"#);
        assert!(is_null(d, vals[2]));
        assert!(is_empty_array(b"[ ]", 0));
        assert!(starts_with_key(b" { \"error\": 1}", b"\"error\""));
        assert_eq!(skip_value(b"123,", 0), Some(3));
        assert_eq!(string_at(b"\"abc", 0), None);
    }

    #[test]
    fn decoded_length_matches_serde() {
        // Random strings of ASCII, controls, quotes, backslashes and multi-byte characters,
        // escaped by serde_json (and with `\u` escapes for every non-ASCII char by hand).
        let alphabet = [
            'a',
            ' ',
            '"',
            '\\',
            '\n',
            '\u{1}',
            '\u{7f}',
            '\u{e9}',
            '\u{4e16}',
            '\u{1F600}',
        ];
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..500 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let n = (x % 20) as usize;
            let text: String = (0..n)
                .map(|i| alphabet[((x >> (i * 3)) % alphabet.len() as u64) as usize])
                .collect();
            let json = serde_json::to_vec(&text).unwrap();
            assert_eq!(string_at(&json, 0).unwrap().1, text.len(), "{text:?}");
            let mut ascii = String::from("\"");
            for c in text.chars() {
                match c {
                    '"' => ascii.push_str("\\\""),
                    '\\' => ascii.push_str("\\\\"),
                    c if c.is_ascii() && !c.is_ascii_control() => ascii.push(c),
                    c => {
                        let mut buf = [0u16; 2];
                        for unit in c.encode_utf16(&mut buf) {
                            ascii.push_str(&format!("\\u{unit:04x}"));
                        }
                    }
                }
            }
            ascii.push('"');
            assert_eq!(
                string_at(ascii.as_bytes(), 0).unwrap().1,
                text.len(),
                "{ascii}"
            );
        }
    }
}
