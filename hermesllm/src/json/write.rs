//! JSON strings and integers written straight into the output buffer.

/// Appends `s` as a JSON string escaped exactly as serde_json escapes it: `"` and `\`, and the
/// control characters (`\b \f \n \r \t`, `\u00xx` for the others); everything else, DEL and
/// non-ASCII included, is copied as is.
#[inline]
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    write_str_contents(out, s);
    out.push(b'"');
}

/// Appends `s` escaped as in [`write_str`], without the quotes (escaping pieces one after the
/// other escapes their concatenation).
#[inline]
pub(crate) fn write_str_contents(out: &mut Vec<u8>, s: &str) {
    let mut rest = s.as_bytes();
    while let Some(pos) = find_special(rest) {
        let Some((plain, tail)) = rest.split_at_checked(pos) else {
            break;
        };
        out.extend_from_slice(plain);
        let Some((&b, tail)) = tail.split_first() else {
            break;
        };
        escape(out, b);
        rest = tail;
    }
    out.extend_from_slice(rest);
}

/// Appends `n` in decimal.
#[inline]
pub(crate) fn write_u64(out: &mut Vec<u8>, n: u64) {
    let mut buf = [0u8; 20];
    let mut n = n;
    let mut len = 0;
    for slot in buf.iter_mut().rev() {
        // `n % 10` is a single digit.
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
        len += 1;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(buf.get(buf.len() - len..).unwrap_or_default());
}

/// An object being written into a buffer: the opening brace is out, and a comma is due before
/// every member but the first. Members are written as serde_json writes them.
#[derive(Debug)]
pub(crate) struct Object<'o> {
    /// The buffer, for values written after [`key`](Object::key).
    pub(crate) out: &'o mut Vec<u8>,
    first: bool,
}

impl<'o> Object<'o> {
    /// Opens an object.
    #[inline]
    pub(crate) fn new(out: &'o mut Vec<u8>) -> Self {
        out.push(b'{');
        Object { out, first: true }
    }

    /// A key that needs no escaping (a field name), and its colon; the value comes next.
    #[inline]
    pub(crate) fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    /// A string member.
    #[inline]
    pub(crate) fn str(&mut self, key: &str, v: &str) {
        self.key(key);
        write_str(self.out, v);
    }

    /// A string member, left out when `None`.
    #[inline]
    pub(crate) fn opt_str(&mut self, key: &str, v: Option<&str>) {
        if let Some(v) = v {
            self.str(key, v);
        }
    }

    /// An integer member.
    #[inline]
    pub(crate) fn u64(&mut self, key: &str, v: u64) {
        self.key(key);
        write_u64(self.out, v);
    }

    /// A boolean member.
    #[inline]
    pub(crate) fn bool(&mut self, key: &str, v: bool) {
        self.key(key);
        self.out
            .extend_from_slice(if v { b"true".as_slice() } else { b"false" });
    }

    /// A member with a key from the input (escaped) and a value that is JSON text.
    #[inline]
    pub(crate) fn raw(&mut self, key: &str, v: &str) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        write_str(self.out, key);
        self.out.push(b':');
        self.out.extend_from_slice(v.as_bytes());
    }

    /// Closes the object.
    #[inline]
    pub(crate) fn end(self) {
        self.out.push(b'}');
    }
}

/// Appends `v` as serde_json writes an `f64` (shortest round-trip form; `null` when not
/// finite).
pub(crate) fn write_f64(out: &mut Vec<u8>, v: f64) {
    if serde_json::to_writer(&mut *out, &v).is_err() {
        // Writing into a vector cannot fail.
        out.extend_from_slice(b"null");
    }
}

/// The position of the first byte that a JSON string cannot hold as is (`"`, `\`, a control
/// character), eight bytes at a time: most strings on the hot paths are a few words long, too
/// short for a SIMD search to pay off.
#[inline]
pub(super) fn find_special(bytes: &[u8]) -> Option<usize> {
    let mut skipped = 0;
    let mut rest = bytes;
    while let Some((word, tail)) = rest.split_first_chunk::<8>() {
        let m = special_mask(u64::from_le_bytes(*word));
        if m != 0 {
            return Some(skipped + first_byte(m));
        }
        skipped += 8;
        rest = tail;
    }
    // The last few bytes, padded with a byte that is not special.
    let mut word = [b'a'; 8];
    if let Some(head) = word.get_mut(..rest.len()) {
        head.copy_from_slice(rest);
    }
    let m = special_mask(u64::from_le_bytes(word));
    (m != 0).then(|| skipped + first_byte(m))
}

/// A mask with the high bit of each byte of `x` (little-endian) that is a quote, a backslash
/// or a control character set. A byte above a matching one may be flagged too (a borrow runs
/// upwards), but the lowest flagged byte always matches, and that is the only one read.
#[inline]
fn special_mask(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Bytes below 0x20: subtracting 0x20 sets the high bit, which was clear.
    let control = x.wrapping_sub(ONES * 0x20) & !x;
    let quote = x ^ (ONES * u64::from(b'"'));
    let backslash = x ^ (ONES * u64::from(b'\\'));
    let zero = |y: u64| y.wrapping_sub(ONES) & !y;
    (control | zero(quote) | zero(backslash)) & HIGHS
}

/// The index of the lowest byte flagged in a non-zero mask.
#[inline]
fn first_byte(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}

#[inline]
fn escape(out: &mut Vec<u8>, b: u8) {
    let short = match b {
        b'"' => b'"',
        b'\\' => b'\\',
        0x08 => b'b',
        0x0c => b'f',
        b'\n' => b'n',
        b'\r' => b'r',
        b'\t' => b't',
        _ => {
            out.extend_from_slice(&[b'\\', b'u', b'0', b'0', hex(b >> 4), hex(b & 0xf)]);
            return;
        }
    };
    out.extend_from_slice(&[b'\\', short]);
}

fn hex(n: u8) -> u8 {
    if n < 10 { b'0' + n } else { b'a' + n - 10 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serde(s: &str) -> Vec<u8> {
        serde_json::to_vec(s).unwrap()
    }

    fn ours(s: &str) -> Vec<u8> {
        let mut out = Vec::new();
        write_str(&mut out, s);
        out
    }

    #[test]
    fn escapes_every_char_as_serde_json_does() {
        for c in (0u32..0x800).chain([0x2028, 0x2029, 0xfeff, 0x1f600]) {
            let Some(c) = char::from_u32(c) else { continue };
            for s in [
                c.to_string(),
                format!("abcdefg{c}"),
                format!("{c}abcdefghijklmnop{c}x"),
                format!("0123456789abcdef{c}"),
            ] {
                assert_eq!(ours(&s), serde(&s), "{s:?}");
            }
        }
    }

    #[test]
    fn escapes_at_every_position() {
        let base = "The quick brown fox jumps over the lazy dog, twice over.";
        for i in 0..=base.len() {
            for special in ["\"", "\\", "\n", "\u{1}", "\u{1f}", "é", "\u{7f}"] {
                let mut s = base.to_owned();
                s.insert_str(i, special);
                assert_eq!(ours(&s), serde(&s), "{s:?}");
            }
        }
        assert_eq!(ours(""), b"\"\"");
    }

    #[test]
    fn finds_specials_in_words() {
        for b in 0u8..=0x7f {
            let mut bytes = [b'a'; 19];
            for i in 0..bytes.len() {
                bytes = [b'a'; 19];
                bytes[i] = b;
                let special = b < 0x20 || b == b'"' || b == b'\\';
                assert_eq!(find_special(&bytes), special.then_some(i), "{b:#x} at {i}");
            }
        }
        // High bytes (UTF-8 continuation and lead bytes) are never special.
        assert_eq!(
            find_special(&[0x80, 0xff, 0xa0, 0xe2, 0x80, 0xa8, 0xc3, 0xa9, 0x9f]),
            None
        );
    }

    #[test]
    fn writes_integers() {
        for n in [
            0,
            1,
            9,
            10,
            99,
            100,
            1_749_513_600,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let mut out = Vec::new();
            write_u64(&mut out, n);
            assert_eq!(out, n.to_string().as_bytes());
        }
    }
}
