//! Randomness from the operating system (`getrandom`): response-id tokens, span and trace ids,
//! retry jitter, sampling.

use plano_core::exchange::driver::Entropy;

/// The OS random source.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsEntropy;

impl OsEntropy {
    /// Fills `buf` with random bytes. `getrandom` fails only on platforms without an entropy
    /// source; then the buffer keeps a time-derived fallback rather than zeros.
    pub fn fill(buf: &mut [u8]) {
        if getrandom::fill(buf).is_err() {
            let mut x =
                plano_core::time::Clock::now_ms(&crate::clock::SystemClock) | 0x9e37_79b9_7f4a_7c15;
            for b in buf.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = x.to_le_bytes().first().copied().unwrap_or(0);
            }
        }
    }

    /// A random nonzero 8-byte id.
    pub fn id8() -> [u8; 8] {
        let mut b = [0u8; 8];
        Self::fill(&mut b);
        if b == [0; 8] {
            b = [0, 0, 0, 0, 0, 0, 0, 1];
        }
        b
    }

    /// A random nonzero 16-byte id.
    pub fn id16() -> [u8; 16] {
        let mut b = [0u8; 16];
        Self::fill(&mut b);
        if b == [0; 16]
            && let Some(last) = b.last_mut()
        {
            *last = 1;
        }
        b
    }

    /// A uniform number in `[0, 1)`.
    pub fn unit() -> f64 {
        let mut b = [0u8; 8];
        Self::fill(&mut b);
        // 53 random bits, the precision of an f64 mantissa.
        #[allow(clippy::cast_precision_loss)]
        let v = (u64::from_le_bytes(b) >> 11) as f64;
        v / (1u64 << 53) as f64
    }
}

impl Entropy for OsEntropy {
    fn token(&self) -> String {
        hex(&Self::id16())
    }

    fn span_id(&self) -> [u8; 8] {
        Self::id8()
    }

    fn jitter(&self) -> f64 {
        Self::unit()
    }
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            s.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_hex_and_distinct() {
        let a = OsEntropy.token();
        let b = OsEntropy.token();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        let j = OsEntropy.jitter();
        assert!((0.0..1.0).contains(&j));
    }
}
