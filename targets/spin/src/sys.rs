//! Wall clock and randomness from WASI (`wasi:clocks/wall-clock`, `wasi:random/random`).

use plano_core::exchange::driver::Entropy;
use plano_core::time::Clock;
use wasi::clocks::wall_clock;
use wasi::random::random;

/// Wall-clock milliseconds from the host.
#[derive(Debug, Clone, Copy, Default)]
pub struct SpinClock;

impl Clock for SpinClock {
    fn now_ms(&self) -> u64 {
        let now = wall_clock::now();
        now.seconds
            .saturating_mul(1000)
            .saturating_add(u64::from(now.nanoseconds / 1_000_000))
    }
}

/// The host's cryptographic random source.
#[derive(Debug, Clone, Copy, Default)]
pub struct SpinEntropy;

impl SpinEntropy {
    /// `N` random bytes.
    pub fn bytes<const N: usize>() -> [u8; N] {
        let mut out = [0u8; N];
        let got = random::get_random_bytes(N as u64);
        for (slot, b) in out.iter_mut().zip(got) {
            *slot = b;
        }
        out
    }

    /// Fresh ids and a sampling draw for a trace.
    pub fn fresh_trace() -> crate::otlp::Fresh {
        let mut trace_id = Self::bytes::<16>();
        if trace_id == [0; 16] {
            trace_id[15] = 1;
        }
        crate::otlp::Fresh {
            trace_id,
            span_id: SpinEntropy.span_id(),
            unit: SpinEntropy.jitter(),
        }
    }
}

impl Entropy for SpinEntropy {
    fn token(&self) -> String {
        crate::otlp::hex(&Self::bytes::<16>())
    }

    fn span_id(&self) -> [u8; 8] {
        let b = Self::bytes::<8>();
        if b == [0; 8] {
            [0, 0, 0, 0, 0, 0, 0, 1]
        } else {
            b
        }
    }

    fn jitter(&self) -> f64 {
        // 53 random bits: the precision of an f64 mantissa.
        #[allow(clippy::cast_precision_loss)]
        let v = (u64::from_le_bytes(Self::bytes::<8>()) >> 11) as f64;
        v / (1u64 << 53) as f64
    }
}
