//! The key-value seam: what every host's state store provides, and what it promises.
//!
//! Hosts implement [`Kv`] over their store (in-process memory or an embedded file natively,
//! Workers KV and Durable Objects, the Spin key-value store, DynamoDB, proxy-wasm shared data).
//! Each declares its [`KvCaps`]; rate limiting and conversation state pick their algorithm from
//! them, so a store without atomic increments still works, with documented consistency.
//!
//! The trait's futures have no `Send` bound: Workers futures are not `Send`. Stores whose
//! operations complete synchronously (proxy-wasm shared data) return ready futures.

#![allow(async_fn_in_trait)] // deliberate: no Send bound (see module docs)

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::time::Clock;

/// What a store can do and promise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KvCaps {
    /// [`Kv::increment`] is atomic.
    pub atomic_increment: bool,
    /// [`Kv::compare_and_swap`] is supported.
    pub compare_and_swap: bool,
    /// A read sees every write that completed before it, from any instance (Workers KV and
    /// Spin KV over some backends are eventually consistent: `false`).
    pub strong_consistency: bool,
    /// Shortest TTL the store accepts, in seconds (Workers KV: 60). Shorter TTLs are rounded
    /// up by callers.
    pub min_ttl_secs: u32,
    /// Whether the store expires entries by itself. When `false`, callers store the expiry in
    /// the value and check it on read (Spin KV has no TTL; DynamoDB deletes lazily).
    pub native_ttl: bool,
}

/// A value with the version a compare-and-swap must name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned {
    /// The bytes.
    pub value: Vec<u8>,
    /// Opaque version, changed by every write.
    pub version: u64,
}

/// Why a store operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KvError {
    /// The store does not support this operation (see [`KvCaps`]).
    #[error("the state store does not support {0}")]
    Unsupported(&'static str),
    /// The store could not be reached or failed; the caller decides whether to fail open.
    #[error("state store unavailable: {0}")]
    Unavailable(String),
    /// The value at the key is not what the operation expects (e.g. not a counter).
    #[error("state store value at {key} is invalid: {reason}")]
    Invalid {
        /// The key.
        key: String,
        /// What is wrong.
        reason: String,
    },
}

/// A key-value store as the gateway uses it. Keys are UTF-8 strings chosen by the caller
/// (prefixed by purpose: `rl:`, `resp:`, `pin:`); values are bytes.
pub trait Kv {
    /// What this store can do.
    fn caps(&self) -> KvCaps;

    /// Reads a key. Expired entries read as `None`.
    ///
    /// # Errors
    /// [`KvError::Unavailable`].
    async fn get(&self, key: &str) -> Result<Option<Versioned>, KvError>;

    /// Writes a key, with an optional time to live.
    ///
    /// # Errors
    /// [`KvError::Unavailable`].
    async fn put(&self, key: &str, value: &[u8], ttl_secs: Option<u32>) -> Result<(), KvError>;

    /// Deletes a key (no error if absent).
    ///
    /// # Errors
    /// [`KvError::Unavailable`].
    async fn delete(&self, key: &str) -> Result<(), KvError>;

    /// Adds `delta` to the integer counter at `key` (a missing or expired key counts as 0 and
    /// gets `ttl_secs`), returning the new value. Atomic when [`KvCaps::atomic_increment`].
    ///
    /// # Errors
    /// [`KvError::Unsupported`] when the store has no increment; [`KvError::Invalid`] when
    /// the value is not a counter.
    async fn increment(&self, key: &str, delta: i64, ttl_secs: Option<u32>)
    -> Result<i64, KvError>;

    /// Writes `value` only if the key's current version is `expected` (`None`: the key must
    /// be absent). Returns `false` when another write came first.
    ///
    /// # Errors
    /// [`KvError::Unsupported`] when [`KvCaps::compare_and_swap`] is false.
    async fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &[u8],
        ttl_secs: Option<u32>,
    ) -> Result<bool, KvError>;
}

/// An in-process store: strongly consistent, atomic, with TTLs read from an injected clock.
/// The native default and the store of every scenario test.
#[derive(Debug)]
pub struct MemoryKv<C> {
    clock: C,
    entries: Mutex<BTreeMap<String, Entry>>,
}

#[derive(Debug, Clone)]
struct Entry {
    value: Vec<u8>,
    version: u64,
    expires_at_ms: Option<u64>,
}

impl<C: Clock> MemoryKv<C> {
    /// An empty store reading time from `clock`.
    pub fn new(clock: C) -> Self {
        MemoryKv {
            clock,
            entries: Mutex::new(BTreeMap::new()),
        }
    }

    /// Number of live (unexpired) entries.
    pub fn len(&self) -> usize {
        let now = self.clock.now_ms();
        self.lock()
            .values()
            .filter(|e| e.expires_at_ms.is_none_or(|t| t > now))
            .count()
    }

    /// True when no live entry exists.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Entry>> {
        // A panic while holding the lock cannot leave an entry half-written (every update is
        // a single insert), so a poisoned map is still consistent.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn live<'m>(map: &'m BTreeMap<String, Entry>, key: &str, now: u64) -> Option<&'m Entry> {
        map.get(key)
            .filter(|e| e.expires_at_ms.is_none_or(|t| t > now))
    }

    fn expiry(&self, now: u64, ttl_secs: Option<u32>) -> Option<u64> {
        ttl_secs.map(|s| now.saturating_add(u64::from(s) * 1000))
    }
}

impl<C: Clock> Kv for MemoryKv<C> {
    fn caps(&self) -> KvCaps {
        KvCaps {
            atomic_increment: true,
            compare_and_swap: true,
            strong_consistency: true,
            min_ttl_secs: 1,
            native_ttl: true,
        }
    }

    async fn get(&self, key: &str) -> Result<Option<Versioned>, KvError> {
        let now = self.clock.now_ms();
        Ok(Self::live(&self.lock(), key, now).map(|e| Versioned {
            value: e.value.clone(),
            version: e.version,
        }))
    }

    async fn put(&self, key: &str, value: &[u8], ttl_secs: Option<u32>) -> Result<(), KvError> {
        let now = self.clock.now_ms();
        let mut map = self.lock();
        let version = map.get(key).map_or(1, |e| e.version.wrapping_add(1));
        map.insert(
            key.to_owned(),
            Entry {
                value: value.to_vec(),
                version,
                expires_at_ms: self.expiry(now, ttl_secs),
            },
        );
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), KvError> {
        self.lock().remove(key);
        Ok(())
    }

    async fn increment(
        &self,
        key: &str,
        delta: i64,
        ttl_secs: Option<u32>,
    ) -> Result<i64, KvError> {
        let now = self.clock.now_ms();
        let mut map = self.lock();
        let (current, version, expires_at_ms) = match Self::live(&map, key, now) {
            Some(e) => {
                let text = std::str::from_utf8(&e.value).unwrap_or("");
                let n = text.parse::<i64>().map_err(|_| KvError::Invalid {
                    key: key.to_owned(),
                    reason: "not an integer counter".to_owned(),
                })?;
                (n, e.version.wrapping_add(1), e.expires_at_ms)
            }
            None => (
                0,
                map.get(key).map_or(1, |e| e.version.wrapping_add(1)),
                self.expiry(now, ttl_secs),
            ),
        };
        let next = current.saturating_add(delta);
        map.insert(
            key.to_owned(),
            Entry {
                value: next.to_string().into_bytes(),
                version,
                expires_at_ms,
            },
        );
        Ok(next)
    }

    async fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &[u8],
        ttl_secs: Option<u32>,
    ) -> Result<bool, KvError> {
        let now = self.clock.now_ms();
        let mut map = self.lock();
        let current = Self::live(&map, key, now).map(|e| e.version);
        if current != expected {
            return Ok(false);
        }
        let version = map.get(key).map_or(1, |e| e.version.wrapping_add(1));
        map.insert(
            key.to_owned(),
            Entry {
                value: value.to_vec(),
                version,
                expires_at_ms: self.expiry(now, ttl_secs),
            },
        );
        Ok(true)
    }
}

/// Runs a future whose operations complete without waiting (the in-memory store, proxy-wasm
/// shared data) to completion on the current thread.
///
/// # Errors
/// `None` when the future is not ready after one poll: such a store must be driven by a real
/// executor instead.
pub fn now_or_never<F: std::future::Future>(fut: F) -> Option<F::Output> {
    use std::task::{Context, Poll, Waker};
    let mut fut = std::pin::pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        Poll::Ready(v) => Some(v),
        Poll::Pending => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::ManualClock;

    fn ready<F: std::future::Future>(f: F) -> F::Output {
        now_or_never(f).unwrap()
    }

    #[test]
    fn ttl_increment_and_cas() {
        let clock = ManualClock::new(1_000);
        let kv = MemoryKv::new(&clock);
        assert_eq!(ready(kv.increment("c", 5, Some(60))).unwrap(), 5);
        assert_eq!(ready(kv.increment("c", -2, Some(60))).unwrap(), 3);
        clock.advance(60_000);
        assert_eq!(ready(kv.get("c")).unwrap(), None, "expired");
        assert_eq!(
            ready(kv.increment("c", 1, Some(60))).unwrap(),
            1,
            "restarts at 0"
        );

        assert!(ready(kv.compare_and_swap("k", None, b"a", None)).unwrap());
        assert!(
            !ready(kv.compare_and_swap("k", None, b"b", None)).unwrap(),
            "must be absent"
        );
        let v = ready(kv.get("k")).unwrap().unwrap();
        assert!(ready(kv.compare_and_swap("k", Some(v.version), b"b", None)).unwrap());
        assert!(
            !ready(kv.compare_and_swap("k", Some(v.version), b"c", None)).unwrap(),
            "stale"
        );
        assert_eq!(ready(kv.get("k")).unwrap().unwrap().value, b"b");

        ready(kv.put("s", b"x", None)).unwrap();
        assert!(matches!(
            ready(kv.increment("s", 1, None)),
            Err(KvError::Invalid { .. })
        ));
        ready(kv.delete("s")).unwrap();
        assert_eq!(ready(kv.get("s")).unwrap(), None);
    }
}
