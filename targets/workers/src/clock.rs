//! The clock: `Date.now()`. In Workers it advances only across I/O (a Spectre mitigation), which
//! is enough for windows, TTLs and timings measured around upstream calls.

use plano_core::time::Clock;

/// Wall-clock milliseconds from the Workers runtime.
#[derive(Debug, Clone, Copy, Default)]
pub struct WorkerClock;

impl Clock for WorkerClock {
    fn now_ms(&self) -> u64 {
        let now = js_sys::Date::now();
        if now.is_finite() && now > 0.0 {
            // Milliseconds since 1970 fit an u64 exactly (f64 integers up to 2^53).
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let ms = now as u64;
            ms
        } else {
            0
        }
    }
}
