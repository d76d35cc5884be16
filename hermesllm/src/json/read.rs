//! [`Reader`]: a strict pull reader over JSON text for the hot event shapes.

use serde::Deserialize;

use super::write::find_special;
use crate::{Raw, Str};

/// The input is not one the fast reader handles; decode it with serde instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slow;

/// How deep [`Reader::skip_value`] follows nested arrays and objects before giving up.
const MAX_DEPTH: u32 = 32;

/// A cursor over JSON text. Every method either consumes a well-formed piece of JSON (and
/// the whitespace before it) or answers [`Slow`], after which the reader is not used again.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `text`.
    pub(crate) fn new(text: &'a str) -> Self {
        Reader { text, pos: 0 }
    }

    /// The next non-whitespace byte, without consuming it.
    #[inline]
    pub(crate) fn peek(&mut self) -> Option<u8> {
        let bytes = self.text.as_bytes();
        loop {
            let b = *bytes.get(self.pos)?;
            if b > b' ' || !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                return Some(b);
            }
            self.pos += 1;
        }
    }

    /// Consumes `b` (after whitespace).
    #[inline]
    pub(crate) fn eat(&mut self, b: u8) -> Result<(), Slow> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Slow)
        }
    }

    /// Consumes `null` if it comes next.
    #[inline]
    pub(crate) fn null(&mut self) -> bool {
        self.literal("null")
    }

    /// Consumes `bytes` if the text continues with exactly them (no whitespace skipped).
    pub(crate) fn exact(&mut self, bytes: &[u8]) -> bool {
        if self.rest().starts_with(bytes) {
            self.pos += bytes.len();
            true
        } else {
            false
        }
    }

    /// Only whitespace remains.
    #[inline]
    pub(crate) fn end(&mut self) -> Result<(), Slow> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(Slow),
        }
    }

    /// Starts reading an object: consumes `{`.
    #[inline]
    pub(crate) fn object(&mut self) -> Result<Members, Slow> {
        self.eat(b'{')?;
        Ok(Members { first: true })
    }

    /// The key of the next member of an object (consuming it and its colon), or `None` after
    /// consuming the closing `}`.
    ///
    /// The key is the text between its quotes; a key with escapes or control characters is
    /// [`Slow`] (an escaped key may spell a field's name, which only serde sees).
    #[inline]
    pub(crate) fn key(&mut self, members: &mut Members) -> Result<Option<&'a [u8]>, Slow> {
        let mut b = self.peek().ok_or(Slow)?;
        if b == b'}' {
            self.pos += 1;
            return Ok(None);
        }
        if !members.first {
            if b != b',' {
                return Err(Slow);
            }
            self.pos += 1;
            b = self.peek().ok_or(Slow)?;
        }
        members.first = false;
        if b != b'"' {
            return Err(Slow);
        }
        let bytes = self.text.as_bytes();
        let start = self.pos + 1;
        let len = find_special(bytes.get(start..).unwrap_or_default()).ok_or(Slow)?;
        // A key with escapes (or control characters) is left to serde: it may spell a field.
        if bytes.get(start + len) != Some(&b'"') {
            return Err(Slow);
        }
        let key = bytes.get(start..start + len).ok_or(Slow)?;
        self.pos = start + len + 1;
        // The colon, nearly always right after the key.
        if bytes.get(self.pos) == Some(&b':') {
            self.pos += 1;
        } else {
            self.eat(b':')?;
        }
        Ok(Some(key))
    }

    /// Skips the value of a member whose key is not a field of the type being read, after
    /// checking that the key needs no unescaping (an escaped key may spell a field's name).
    pub(crate) fn skip_unknown(&mut self, key: &[u8]) -> Result<(), Slow> {
        if find_special(key).is_some() {
            return Err(Slow);
        }
        self.skip_value().map(|_| ())
    }

    /// The key of a member that is not a field of the type being read, for types that keep
    /// unknown members (with their value, read next): refused when it needs unescaping.
    #[inline]
    pub(crate) fn unknown_key(&self, key: &'a [u8]) -> Result<&'a str, Slow> {
        if find_special(key).is_some() {
            return Err(Slow);
        }
        std::str::from_utf8(key).map_err(|_| Slow)
    }

    /// Any value, kept raw as [`Raw`]: checked here, then handed to serde_json as already
    /// valid ([`Raw::trusted`]).
    #[inline]
    pub(crate) fn raw(&mut self) -> Result<Raw<'a>, Slow> {
        let text = self.skip_value()?;
        match Raw::trusted(text) {
            Some(r) => Ok(r),
            None => Raw::parse(text).map_err(|_| Slow),
        }
    }

    /// A value of a type the reader does not know, read by serde_json in place (so the text is
    /// scanned once); any serde error is [`Slow`], for serde to report on the whole body.
    pub(crate) fn serde<T: Deserialize<'a>>(&mut self) -> Result<T, Slow> {
        let rest = self.text.get(self.pos..).ok_or(Slow)?;
        let mut values = serde_json::Deserializer::from_str(rest).into_iter::<T>();
        match values.next() {
            Some(Ok(v)) => {
                self.pos += values.byte_offset();
                Ok(v)
            }
            _ => Err(Slow),
        }
    }

    /// A raw value or `null` (`None`), as serde reads an `Option<Raw>`.
    #[inline]
    pub(crate) fn opt_raw(&mut self) -> Result<Option<Raw<'a>>, Slow> {
        if self.null() {
            return Ok(None);
        }
        self.raw().map(Some)
    }

    /// `true` or `false`.
    #[inline]
    pub(crate) fn boolean(&mut self) -> Result<bool, Slow> {
        if self.literal("true") {
            Ok(true)
        } else if self.literal("false") {
            Ok(false)
        } else {
            Err(Slow)
        }
    }

    /// A string, borrowed when it has no escapes (as serde borrows it), owned otherwise.
    #[inline]
    pub(crate) fn string(&mut self) -> Result<Str<'a>, Slow> {
        self.eat(b'"')?;
        let start = self.pos;
        let len = find_special(self.rest()).ok_or(Slow)?;
        let end = start + len;
        self.pos = end + 1;
        match self.text.as_bytes().get(end) {
            Some(b'"') => Ok(Str::borrowed(self.text.get(start..end).ok_or(Slow)?)),
            Some(b'\\') => {
                // Room for the rest of a string of ordinary length, which saves regrowing
                // strings with many escapes (JSON text inside a string).
                let tail = self.text.len().saturating_sub(end).min(512);
                let mut s = String::with_capacity(len + tail);
                s.push_str(self.text.get(start..end).ok_or(Slow)?);
                self.unescape(s).map(Str::from)
            }
            _ => Err(Slow),
        }
    }

    /// The rest of a string after its first backslash (consumed), unescaped into `s`, as
    /// serde_json unescapes: the two-character escapes, `\uXXXX` in either case, and
    /// surrogate pairs (a lone surrogate, which serde refuses, is left to it).
    fn unescape(&mut self, mut s: String) -> Result<String, Slow> {
        loop {
            let (&esc, _) = self.rest().split_first().ok_or(Slow)?;
            self.pos += 1;
            let c = match esc {
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                b'u' => self.unicode_escape()?,
                _ => return Err(Slow),
            };
            s.push(c);
            let start = self.pos;
            let len = find_special(self.rest()).ok_or(Slow)?;
            let end = start + len;
            s.push_str(self.text.get(start..end).ok_or(Slow)?);
            self.pos = end + 1;
            match self.text.as_bytes().get(end) {
                Some(b'"') => return Ok(s),
                Some(b'\\') => {}
                _ => return Err(Slow),
            }
        }
    }

    /// After `\u`: the character, reading the low half of a surrogate pair too.
    fn unicode_escape(&mut self) -> Result<char, Slow> {
        let high = self.hex4()?;
        let code = match high {
            0xD800..=0xDBFF => {
                if !self.rest().starts_with(b"\\u") {
                    return Err(Slow);
                }
                self.pos += 2;
                let low = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return Err(Slow);
                }
                0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(low) - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(Slow),
            _ => u32::from(high),
        };
        char::from_u32(code).ok_or(Slow)
    }

    /// Four hex digits.
    fn hex4(&mut self) -> Result<u16, Slow> {
        let digits = self.rest().first_chunk::<4>().ok_or(Slow)?;
        let mut n: u16 = 0;
        for &d in digits {
            let v = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                b'A'..=b'F' => d - b'A' + 10,
                _ => return Err(Slow),
            };
            n = (n << 4) | u16::from(v);
        }
        self.pos += 4;
        Ok(n)
    }

    /// A string or `null`.
    #[inline]
    pub(crate) fn opt_string(&mut self) -> Result<Option<Str<'a>>, Slow> {
        if self.null() {
            return Ok(None);
        }
        self.string().map(Some)
    }

    /// A non-negative integer written in plain digits (no sign, fraction or exponent).
    #[inline]
    pub(crate) fn u64(&mut self) -> Result<u64, Slow> {
        self.peek();
        let rest = self.rest();
        let mut n: u64 = 0;
        let mut digits = 0;
        for &b in rest {
            if !b.is_ascii_digit() {
                break;
            }
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(b - b'0')))
                .ok_or(Slow)?;
            digits += 1;
        }
        let leading_zero = digits > 1 && rest.first() == Some(&b'0');
        if digits == 0
            || leading_zero
            || matches!(rest.get(digits), Some(b'.' | b'e' | b'E' | b'-' | b'+'))
        {
            return Err(Slow);
        }
        self.pos += digits;
        Ok(n)
    }

    /// A `u32` (see [`u64`](Reader::u64)).
    #[inline]
    pub(crate) fn u32(&mut self) -> Result<u32, Slow> {
        u32::try_from(self.u64()?).map_err(|_| Slow)
    }

    /// Skips one value of any type, checking its syntax, and returns its text.
    pub(crate) fn skip_value(&mut self) -> Result<&'a str, Slow> {
        self.peek();
        let start = self.pos;
        self.skip(0)?;
        self.text.get(start..self.pos).ok_or(Slow)
    }

    fn skip(&mut self, depth: u32) -> Result<(), Slow> {
        match self.peek().ok_or(Slow)? {
            b'"' => {
                self.pos += 1;
                self.skip_string()
            }
            b'{' if depth < MAX_DEPTH => {
                let mut members = self.object()?;
                // `key` refuses keys with escapes, which a skipped value may have: serde
                // reads those.
                while self.key(&mut members)?.is_some() {
                    self.skip(depth + 1)?;
                }
                Ok(())
            }
            b'[' if depth < MAX_DEPTH => {
                self.pos += 1;
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    self.skip(depth + 1)?;
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(());
                        }
                        _ => return Err(Slow),
                    }
                }
            }
            b'-' | b'0'..=b'9' => self.number(),
            _ if self.null() || self.literal("true") || self.literal("false") => Ok(()),
            _ => Err(Slow),
        }
    }

    /// Skips a number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn number(&mut self) -> Result<(), Slow> {
        if self.rest().first() == Some(&b'-') {
            self.pos += 1;
        }
        let leading_zero = self.rest().first() == Some(&b'0');
        let n = self.digits();
        if n == 0 || (leading_zero && n > 1) {
            return Err(Slow);
        }
        if self.rest().first() == Some(&b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(Slow);
            }
        }
        if matches!(self.rest().first(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.rest().first(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(Slow);
            }
        }
        Ok(())
    }

    /// After the opening quote: steps over a string, checking its escapes as serde does for
    /// a string it ignores (a valid escape letter, four hex digits after `\u`; surrogates
    /// are not paired up).
    fn skip_string(&mut self) -> Result<(), Slow> {
        loop {
            let len = find_special(self.rest()).ok_or(Slow)?;
            let end = self.pos + len;
            self.pos = end + 1;
            match self.text.as_bytes().get(end) {
                Some(b'"') => return Ok(()),
                Some(b'\\') => {
                    let (&esc, _) = self.rest().split_first().ok_or(Slow)?;
                    self.pos += 1;
                    match esc {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        b'u' => {
                            self.hex4()?;
                        }
                        _ => return Err(Slow),
                    }
                }
                _ => return Err(Slow),
            }
        }
    }

    /// Consumes ASCII digits, returning how many.
    fn digits(&mut self) -> usize {
        let n = self
            .rest()
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        self.pos += n;
        n
    }

    #[inline]
    fn literal(&mut self, word: &str) -> bool {
        if self.peek().is_some() && self.rest().starts_with(word.as_bytes()) {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    #[inline]
    fn rest(&self) -> &'a [u8] {
        self.text.as_bytes().get(self.pos..).unwrap_or_default()
    }
}

/// `text` as one JSON value between optional whitespace, kept raw, as
/// `serde_json::from_str::<&RawValue>` reads it; `None` when the reader leaves it to serde.
pub(crate) fn whole_raw(text: &str) -> Option<Raw<'_>> {
    let mut r = Reader::new(text);
    let value = r.skip_value().ok()?;
    r.end().ok()?;
    Raw::trusted(value)
}

/// The state of an object being read (whether a comma is due).
#[derive(Debug)]
pub(crate) struct Members {
    first: bool,
}

/// The known fields of an object read so far: serde refuses a field given twice, so the fast
/// paths leave such input to it.
#[derive(Debug, Default)]
pub(crate) struct Seen(u32);

impl Seen {
    /// Marks field number `field` (below 32) as read; [`Slow`] if it already was.
    pub(crate) fn once(&mut self, field: u32) -> Result<(), Slow> {
        let bit = 1u32.checked_shl(field).ok_or(Slow)?;
        if self.0 & bit != 0 {
            return Err(Slow);
        }
        self.0 |= bit;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_unescape_as_serde_does() {
        for s in [
            r#""plain""#,
            r#""""#,
            r#""a\nb\tc\rd\be\ff\/g\\h\"i""#,
            r#""\u00e9\u00E9 \u2028 \ud83d\ude00 \uD83D\uDE00 \u0000""#,
            r#""é 😀 \u0041""#,
            r#""\ud800""#,
            r#""\udc00x""#,
            r#""\ud800\u0041""#,
            r#""\x""#,
            r#""\u12""#,
            "\"a\u{1}b\"",
            r#""unterminated"#,
            r#""a\"#,
        ] {
            let ours = Reader::new(s).string();
            let serde = serde_json::from_str::<String>(s);
            match (ours, serde) {
                (Ok(o), Ok(e)) => assert_eq!(o.as_str(), e, "{s}"),
                (Ok(o), Err(e)) => panic!("{s}: read {o:?}, serde refuses: {e}"),
                (Err(Slow), _) => {}
            }
        }
        assert!(matches!(
            Reader::new(r#""plain""#).string().map(|s| s.0),
            Ok(std::borrow::Cow::Borrowed("plain"))
        ));
    }

    #[test]
    fn skipped_values_are_valid_json() {
        for s in [
            "null",
            "true",
            "false",
            "0",
            "-0",
            "12",
            "-1.5e10",
            "1E+2",
            "0.25",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "+1",
            "[]",
            "[1,2]",
            "[1,]",
            "[,1]",
            "{}",
            r#"{"a":1}"#,
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            r#"{"a":[{"b":{}}]}"#,
            r#""s""#,
            r#""s\n""#,
            "nul",
            "tru",
            "[1 2]",
            r#"{"\u0061":1}"#,
            "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
        ] {
            let mut r = Reader::new(s);
            let ours = r.skip_value().and_then(|v| r.end().map(|()| v));
            let serde = serde_json::from_str::<serde::de::IgnoredAny>(s);
            if let Ok(v) = ours {
                assert_eq!(v, s, "{s}");
                assert!(serde.is_ok(), "{s}: skipped, serde refuses");
            }
        }
    }

    #[test]
    fn integers_are_plain_digits() {
        for (s, n) in [
            ("0", Some(0)),
            ("42", Some(42)),
            ("18446744073709551615", Some(u64::MAX)),
        ] {
            assert_eq!(Reader::new(s).u64().ok(), n, "{s}");
        }
        for s in ["18446744073709551616", "01", "-1", "1.0", "1e3", "x", ""] {
            assert_eq!(Reader::new(s).u64(), Err(Slow), "{s}");
        }
    }
}
