//! Store keys and windows (format documented in the [parent module](super)).
//!
//! Why the key names the budget and not the lookup: Plano keys its limiters by the `model`
//! string but looks them up by provider name, so limits silently never apply. Here matching
//! is by resolved provider ([`super::applicable`]) and the key only identifies the budget.
//! Hashing: two hashed values colliding would share a budget; for non-adversarial values
//! that takes about four billion distinct values, and a client able to choose colliding
//! values could as well send the other value itself.

use std::fmt::Write as _;

use crate::config::{SelectorValue, TimeUnit};

use super::select::Applicable;

/// Headers whose values are credentials: hashed in keys, redacted in denials.
const SENSITIVE: [&str; 7] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "x-api-key",
    "api-key",
    "x-goog-api-key",
    "x-amz-security-token",
];

/// Longest header value kept readable in a key.
const MAX_PLAIN_VALUE: usize = 64;

/// Whether values of this header are credentials.
pub(crate) fn is_sensitive(header: &str) -> bool {
    SENSITIVE.iter().any(|s| s.eq_ignore_ascii_case(header))
}

/// One window of a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    /// `now_ms / len_ms`.
    pub index: u64,
    /// Start, Unix ms.
    pub start_ms: u64,
    /// Length in ms.
    pub len_ms: u64,
}

impl Window {
    pub(crate) fn at(now_ms: u64, unit: TimeUnit) -> Window {
        let len_ms = unit.seconds().saturating_mul(1000).max(1);
        let index = now_ms / len_ms;
        Window {
            index,
            start_ms: index.saturating_mul(len_ms),
            len_ms,
        }
    }

    pub(crate) fn end_ms(&self) -> u64 {
        self.start_ms.saturating_add(self.len_ms)
    }

    /// When the counter of this window can be forgotten: at the end of the next window,
    /// where it stops weighing on the sliding estimate.
    pub(crate) fn expires_at_ms(&self) -> u64 {
        self.end_ms().saturating_add(self.len_ms)
    }
}

/// The key prefix of a limit's budget (everything but the window).
pub(crate) fn budget_prefix(a: &Applicable<'_>) -> String {
    let l = a.limit;
    let mut key = format!("rl:{}:", a.index);
    encode(&mut key, &l.model);
    key.push(':');
    encode(&mut key, &l.header);
    key.push(':');
    if matches!(l.value, SelectorValue::Each) {
        key.push('*');
    }
    key.push('=');
    if is_sensitive(&l.header) || a.value.len() > MAX_PLAIN_VALUE {
        let _ = write!(key, "#{:016x}", fnv1a(a.value.as_bytes()));
    } else {
        encode(&mut key, &a.value);
    }
    key.push(':');
    key.push(unit_letter(l.unit));
    key.push(':');
    key
}

/// The counter key of one window.
pub(crate) fn window_key(prefix: &str, window_index: u64) -> String {
    format!("{prefix}{window_index}")
}

fn unit_letter(unit: TimeUnit) -> char {
    match unit {
        TimeUnit::Second => 's',
        TimeUnit::Minute => 'm',
        TimeUnit::Hour => 'h',
        TimeUnit::Day => 'd',
    }
}

fn encode(out: &mut String, part: &str) {
    for b in part.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/' | b'-') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

/// 64-bit FNV-1a: tiny, deterministic on every target, no dependency.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_known_values() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn encoding_and_windows() {
        let mut s = String::new();
        encode(&mut s, "a:b c/é");
        assert_eq!(s, "a%3Ab%20c/%C3%A9");
        let w = Window::at(125_000, TimeUnit::Minute);
        assert_eq!((w.index, w.start_ms, w.end_ms()), (2, 120_000, 180_000));
        assert_eq!(w.expires_at_ms(), 240_000);
        assert!(is_sensitive("Authorization"));
        assert!(!is_sensitive("x-user-id"));
    }
}
