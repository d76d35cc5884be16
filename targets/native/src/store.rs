//! The state store the server hands the core: memory (default) or a file.

use std::path::Path;

use plano_core::config::StateTarget;
use plano_core::kv::{Kv, KvCaps, KvError, MemoryKv, Versioned};

use crate::clock::SystemClock;
use crate::file_kv::{FileKv, OpenError};

/// `gateway.state.native`: in-process memory (lost on restart) or a redb file.
#[derive(Debug)]
pub enum Store {
    /// [`MemoryKv`] over the wall clock.
    Memory(MemoryKv<SystemClock>),
    /// [`FileKv`].
    File(FileKv),
}

impl Store {
    /// Opens the configured backend. The loader only accepts `memory` and `file` for the
    /// native host; anything else falls back to memory.
    ///
    /// # Errors
    /// [`OpenError`] when the file cannot be opened.
    pub fn open(target: &StateTarget) -> Result<Store, OpenError> {
        match target {
            StateTarget::File { path } => Ok(Store::File(FileKv::open(Path::new(path))?)),
            _ => Ok(Store::Memory(MemoryKv::new(SystemClock))),
        }
    }

    /// The file store, when that is the backend.
    pub fn file(&self) -> Option<&FileKv> {
        match self {
            Store::File(f) => Some(f),
            Store::Memory(_) => None,
        }
    }
}

impl Kv for Store {
    fn caps(&self) -> KvCaps {
        match self {
            Store::Memory(m) => m.caps(),
            Store::File(f) => f.caps(),
        }
    }

    async fn get(&self, key: &str) -> Result<Option<Versioned>, KvError> {
        match self {
            Store::Memory(m) => m.get(key).await,
            Store::File(f) => f.get(key).await,
        }
    }

    async fn put(&self, key: &str, value: &[u8], ttl_secs: Option<u32>) -> Result<(), KvError> {
        match self {
            Store::Memory(m) => m.put(key, value, ttl_secs).await,
            Store::File(f) => f.put(key, value, ttl_secs).await,
        }
    }

    async fn delete(&self, key: &str) -> Result<(), KvError> {
        match self {
            Store::Memory(m) => m.delete(key).await,
            Store::File(f) => f.delete(key).await,
        }
    }

    async fn increment(
        &self,
        key: &str,
        delta: i64,
        ttl_secs: Option<u32>,
    ) -> Result<i64, KvError> {
        match self {
            Store::Memory(m) => m.increment(key, delta, ttl_secs).await,
            Store::File(f) => f.increment(key, delta, ttl_secs).await,
        }
    }

    async fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &[u8],
        ttl_secs: Option<u32>,
    ) -> Result<bool, KvError> {
        match self {
            Store::Memory(m) => m.compare_and_swap(key, expected, value, ttl_secs).await,
            Store::File(f) => f.compare_and_swap(key, expected, value, ttl_secs).await,
        }
    }
}
