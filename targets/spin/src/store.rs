//! The state store: a Spin key-value store (`key_value_stores` in spin.toml, the label from
//! `gateway.state.spin.store`, `default` by default), its backend chosen by the Spin runtime
//! config (SQLite file locally, Redis, Azure Cosmos DB, AWS DynamoDB, or the platform's own
//! store on Fermyon Cloud / Akamai).
//!
//! What the guest API (`fermyon:spin/key-value@2.0.0`) offers decides the algorithms:
//! - no TTL: every value is framed with its expiry ([`crate::frame`]), an expired value reads
//!   as absent and is deleted when read; windows that are never read again are dropped by a
//!   sweep ([`SpinKv::sweep`]) that runs after about one response in
//!   [`SWEEP_EVERY`];
//! - no atomic increment, no compare-and-swap: the core counts rate limits by read, check,
//!   write (see docs/state.md). Concurrent requests can both be admitted and one update can
//!   overwrite another, so a limit can be exceeded by the tokens of the requests in flight at
//!   once; sequential requests are counted exactly;
//! - consistency is the backend's: the local SQLite store and Redis are read-your-writes from
//!   every instance; replicated cloud stores may lag. The store declares no strong
//!   consistency, as the weakest backend it may run on.

use plano_core::kv::{Kv, KvCaps, KvError, Versioned};
use plano_core::time::Clock;
use spin_sdk::key_value::Store;

use crate::frame::{self, Read};
use crate::sys::SpinClock;

/// About one response in this many is followed by a sweep of expired keys.
pub const SWEEP_EVERY: u16 = 256;

/// A Spin key-value store, opened for one request.
pub struct SpinKv {
    store: Store,
}

impl std::fmt::Debug for SpinKv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpinKv").finish_non_exhaustive()
    }
}

impl SpinKv {
    /// What a Spin store promises through the guest API.
    pub const CAPS: KvCaps = KvCaps {
        atomic_increment: false,
        compare_and_swap: false,
        strong_consistency: false,
        min_ttl_secs: 1,
        // Expiry handled here (framed values, checked on read, swept), as the core expects
        // from a store with TTLs.
        native_ttl: true,
    };

    /// Opens the store with this label.
    ///
    /// # Errors
    /// The label is not in the component's `key_value_stores`, or the store is unavailable.
    pub fn open(label: &str) -> Result<SpinKv, String> {
        Store::open(label)
            .map(|store| SpinKv { store })
            .map_err(|e| format!("key-value store `{label}`: {e}"))
    }

    /// Deletes every expired value (values this store did not frame are left alone). Runs
    /// after the response: it reads every key.
    pub fn sweep(&self) {
        let now = SpinClock.now_ms();
        let Ok(keys) = self.store.get_keys() else {
            return;
        };
        for key in keys {
            if let Ok(Some(v)) = self.store.get(&key)
                && frame::decode(&v, now) == Read::Expired
            {
                let _ = self.store.delete(&key);
            }
        }
    }
}

fn unavailable(e: impl std::fmt::Display) -> KvError {
    KvError::Unavailable(e.to_string())
}

impl Kv for SpinKv {
    fn caps(&self) -> KvCaps {
        Self::CAPS
    }

    async fn get(&self, key: &str) -> Result<Option<Versioned>, KvError> {
        let Some(stored) = self.store.get(key).map_err(unavailable)? else {
            return Ok(None);
        };
        match frame::decode(&stored, SpinClock.now_ms()) {
            Read::Live(v) => Ok(Some(Versioned {
                value: v.to_vec(),
                version: 0,
            })),
            Read::Expired => {
                let _ = self.store.delete(key);
                Ok(None)
            }
            Read::Malformed => Ok(None),
        }
    }

    async fn put(&self, key: &str, value: &[u8], ttl_secs: Option<u32>) -> Result<(), KvError> {
        let framed = frame::encode(value, frame::expiry(SpinClock.now_ms(), ttl_secs));
        self.store.set(key, &framed).map_err(unavailable)
    }

    async fn delete(&self, key: &str) -> Result<(), KvError> {
        self.store.delete(key).map_err(unavailable)
    }

    async fn increment(
        &self,
        _key: &str,
        _delta: i64,
        _ttl_secs: Option<u32>,
    ) -> Result<i64, KvError> {
        Err(KvError::Unsupported("increment"))
    }

    async fn compare_and_swap(
        &self,
        _key: &str,
        _expected: Option<u64>,
        _value: &[u8],
        _ttl_secs: Option<u32>,
    ) -> Result<bool, KvError> {
        Err(KvError::Unsupported("compare-and-swap"))
    }
}
