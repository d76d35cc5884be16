//! Unique answer ids: each answer keeps its fixture id's prefix (`msg_`, `resp_`,
//! `chatcmpl-`) and gets a fresh suffix, a per-process counter and a random-looking part.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// Hex digits of the counter, then of the scrambled part.
const COUNTER_DIGITS: usize = 8;
const RANDOM_DIGITS: usize = 16;

/// The suffix spliced after an id's prefix: `COUNTER_DIGITS + RANDOM_DIGITS` lowercase hex
/// digits, unique within the process and, with its per-process seed, across processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IdSuffix([u8; COUNTER_DIGITS + RANDOM_DIGITS]);

impl IdSuffix {
    /// The next suffix of this process.
    pub(crate) fn next() -> IdSuffix {
        static COUNTER: AtomicU64 = AtomicU64::new(1);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let scrambled = mix(seed() ^ n);
        let mut out = [0u8; COUNTER_DIGITS + RANDOM_DIGITS];
        let (counter, random) = out.split_at_mut(COUNTER_DIGITS);
        write_hex(counter, n);
        write_hex(random, scrambled);
        IdSuffix(out)
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The whole id: `prefix` then this suffix.
    pub(crate) fn id(&self, prefix: &str) -> String {
        let mut id = String::with_capacity(prefix.len() + self.0.len());
        id.push_str(prefix);
        id.extend(self.0.iter().map(|&b| char::from(b)));
        id
    }
}

/// The prefix an id keeps: a run of lowercase letters and its `_` or `-` (`msg_`, `resp_`,
/// `chatcmpl-`); none for ids that do not start that way (Gemini's `responseId`).
pub(crate) fn prefix_len(id: &str) -> usize {
    let letters = id.bytes().take_while(u8::is_ascii_lowercase).count();
    match id.as_bytes().get(letters) {
        Some(b'_' | b'-') if letters > 0 => letters + 1,
        _ => 0,
    }
}

/// Per process: `RandomState`'s keys (random per process) hashed with the process id.
fn seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        hasher.finish()
    })
}

/// SplitMix64's finalizer: distinct inputs give distinct, well-spread outputs.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The low `out.len()` hex digits of `value`, most significant first.
fn write_hex(out: &mut [u8], mut value: u64) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for slot in out.iter_mut().rev() {
        *slot = DIGITS.get((value & 0xf) as usize).copied().unwrap_or(b'0');
        value >>= 4;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_are_unique_hex() {
        let a = IdSuffix::next();
        let b = IdSuffix::next();
        assert_ne!(a, b);
        assert!(a.as_bytes().iter().all(u8::is_ascii_hexdigit));
        assert_eq!(a.id("msg_").len(), 4 + 24);
        assert!(a.id("resp_").starts_with("resp_"));
    }

    #[test]
    fn prefixes() {
        assert_eq!(prefix_len("msg_013Zva2CMHLNnXjNJJKqJ2EF"), 4);
        assert_eq!(prefix_len("chatcmpl-B9MBs8"), 9);
        assert_eq!(prefix_len("resp_67cc"), 5);
        assert_eq!(prefix_len("zu0YaPmzEY2Yz7IPqe_X-Ac"), 0);
        assert_eq!(prefix_len("_x"), 0);
    }
}
