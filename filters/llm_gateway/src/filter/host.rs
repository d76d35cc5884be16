//! The host's pieces: shared data for the core's store, the clock, randomness, logging and
//! header maps, each call checked (a failing host call is an error value, never a panic of
//! ours).

use std::time::UNIX_EPOCH;

use plano_core::time::Clock;
use proxy_wasm::hostcalls;
use proxy_wasm::types::{LogLevel, MapType, Status};

use crate::store::{SharedData, SharedKv};

/// Envoy's shared data.
#[derive(Debug, Clone, Copy)]
pub struct HostShared;

impl SharedData for HostShared {
    fn get(&self, key: &str) -> Result<(Option<Vec<u8>>, Option<u32>), String> {
        hostcalls::get_shared_data(key).map_err(|s| format!("shared data get: {s:?}"))
    }

    fn set(&self, key: &str, value: &[u8], cas: Option<u32>) -> Result<bool, String> {
        match hostcalls::set_shared_data(key, Some(value), cas) {
            Ok(()) => Ok(true),
            Err(Status::CasMismatch) => Ok(false),
            Err(s) => Err(format!("shared data set: {s:?}")),
        }
    }
}

/// The host clock (proxy-wasm `get_current_time`).
#[derive(Debug, Clone, Copy)]
pub struct HostClock;

impl Clock for HostClock {
    fn now_ms(&self) -> u64 {
        hostcalls::get_current_time()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

/// The state store of this Envoy instance.
pub type Store = SharedKv<HostShared, HostClock>;

/// The store (zero-sized: every call goes to the host).
pub fn store() -> Store {
    SharedKv::new(HostShared, HostClock)
}

/// Now, in Unix ms.
pub fn now_ms() -> u64 {
    HostClock.now_ms()
}

/// Random bytes from WASI `random_get`; the clock mixed in if the host refuses (never
/// expected from Envoy).
pub fn random<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    if getrandom::fill(&mut out).is_err() {
        let t = now_ms().to_le_bytes();
        for (i, b) in out.iter_mut().enumerate() {
            *b = t.get(i % 8).copied().unwrap_or(0) ^ (i as u8).wrapping_mul(151);
        }
    }
    out
}

/// A uniform number in `[0, 1)`.
pub fn unit() -> f64 {
    let n = u64::from_le_bytes(random::<8>()) >> 11;
    n as f64 / (1u64 << 53) as f64
}

/// Logs at `level` (a failing log call is dropped).
pub fn log(level: LogLevel, message: &str) {
    let _ = hostcalls::log(level, message);
}

/// A header map, values decoded lossily (a non-UTF-8 header never fails the request).
pub fn read_map(map: MapType) -> Vec<(String, String)> {
    hostcalls::get_map_bytes(map)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
        .collect()
}

/// The bytes of a buffer (`None` and errors read as empty).
pub fn read_buffer(buffer: proxy_wasm::types::BufferType, size: usize) -> Vec<u8> {
    hostcalls::get_buffer(buffer, 0, size)
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// This VM's linear memory, in bytes.
pub fn memory_bytes() -> u64 {
    (core::arch::wasm32::memory_size(0) as u64).saturating_mul(65_536)
}
