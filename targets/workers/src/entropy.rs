//! Randomness from the Workers runtime's `crypto.getRandomValues` (response-id tokens, span
//! ids, retry jitter).

use plano_core::exchange::driver::Entropy;
use wasm_bindgen::JsCast;

/// The runtime's cryptographic random source.
#[derive(Debug, Clone, Copy, Default)]
pub struct WorkerEntropy;

impl WorkerEntropy {
    /// Fills `buf` from `crypto.getRandomValues`; should the global be missing (it never is
    /// in workerd), from `Math.random`, which is still unpredictable enough for jitter but
    /// not meant for ids.
    pub fn fill(buf: &mut [u8]) {
        let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into())
            .ok()
            .and_then(|c| c.dyn_into::<web_sys::Crypto>().ok());
        if let Some(c) = crypto
            && c.get_random_values_with_u8_array(buf).is_ok()
        {
            return;
        }
        for b in buf.iter_mut() {
            // Math.random() is in [0, 1): the product is in [0, 256).
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let v = (js_sys::Math::random() * 256.0) as u8;
            *b = v;
        }
    }
}

impl WorkerEntropy {
    /// Fresh ids and a sampling draw for a trace.
    pub fn fresh_trace() -> crate::otlp::Fresh {
        let mut trace_id = [0u8; 16];
        Self::fill(&mut trace_id);
        if trace_id == [0; 16] {
            trace_id[15] = 1;
        }
        crate::otlp::Fresh {
            trace_id,
            span_id: WorkerEntropy.span_id(),
            unit: WorkerEntropy.jitter(),
        }
    }
}

impl Entropy for WorkerEntropy {
    fn token(&self) -> String {
        let mut b = [0u8; 16];
        Self::fill(&mut b);
        let mut s = String::with_capacity(32);
        for byte in b {
            for nibble in [byte >> 4, byte & 0x0f] {
                s.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
            }
        }
        s
    }

    fn span_id(&self) -> [u8; 8] {
        let mut b = [0u8; 8];
        Self::fill(&mut b);
        if b == [0; 8] {
            b = [0, 0, 0, 0, 0, 0, 0, 1];
        }
        b
    }

    fn jitter(&self) -> f64 {
        let mut b = [0u8; 8];
        Self::fill(&mut b);
        // 53 random bits, the precision of an f64 mantissa.
        #[allow(clippy::cast_precision_loss)]
        let v = (u64::from_le_bytes(b) >> 11) as f64;
        v / (1u64 << 53) as f64
    }
}
