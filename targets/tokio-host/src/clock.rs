//! The wall clock: the one place the tokio hosts read the system time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use plano_core::time::Clock;

/// Wall-clock time in Unix milliseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl SystemClock {
    /// The current time.
    // The host owns the clock; the libraries take time as an argument (clippy.toml bans
    // `SystemTime::now` workspace-wide for them).
    #[allow(clippy::disallowed_methods)]
    pub fn now() -> SystemTime {
        SystemTime::now()
    }

    /// A Unix-ms timestamp as a `SystemTime`.
    pub fn at_ms(ms: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(ms)
    }
}

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        Self::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}
