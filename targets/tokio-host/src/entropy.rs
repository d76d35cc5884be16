//! Randomness from the operating system (`getrandom`): response-id tokens, trace and span
//! ids, retry jitter, sampling.

use plano_core::exchange::driver::Entropy;

/// The OS random source.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsEntropy;

impl OsEntropy {
    /// Random bytes. `getrandom` reads the kernel's source; should
    /// it fail, the ids come from a time-seeded xorshift rather than zeros.
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

    /// A random nonzero id of `N` bytes (trace and span ids must not be all zeros).
    pub fn id<const N: usize>() -> [u8; N] {
        let mut b = [0u8; N];
        Self::fill(&mut b);
        if b.iter().all(|x| *x == 0)
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
        hex(&Self::id::<16>())
    }

    fn span_id(&self) -> [u8; 8] {
        Self::id()
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
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, OsEntropy.token());
        assert!((0.0..1.0).contains(&OsEntropy.jitter()));
    }
}
