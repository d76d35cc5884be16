//! The `file` state backend: [`Kv`] over an embedded redb database in one file, so rate-limit
//! counters and conversation state survive a restart.
//!
//! - **Layout.** One table from key to `version (u64 LE) | expiry Unix ms (u64 LE, 0: none) |
//!   value`. Versions come from one counter in a second table, so a key deleted and written
//!   again never reuses a version a compare-and-swap could still name.
//! - **TTLs** are stored with the value and checked on every read; [`FileKv::sweep`] deletes
//!   expired entries (the server runs it every minute).
//! - **Atomicity.** `increment` and `compare_and_swap` read and write inside one write
//!   transaction; redb serializes write transactions, so concurrent increments are exact.
//! - **Blocking.** Every operation runs on tokio's blocking pool (`spawn_blocking`): a write
//!   transaction waits for the previous one, and a durable commit waits for the disk, neither
//!   of which may stall the request threads. The memory backend stays the fast default.
//! - **Durability.** Operations commit without fsync ([`Durability::None`]); [`FileKv::flush`]
//!   makes everything committed so far durable. The server flushes every second when
//!   something changed and at shutdown, so a graceful restart loses nothing and a crash at
//!   most the last second.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use plano_core::kv::{Kv, KvCaps, KvError, Versioned};
use plano_core::time::Clock;
use redb::{
    Database, Durability, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition,
};

use crate::clock::SystemClock;

const ENTRIES: TableDefinition<&str, &[u8]> = TableDefinition::new("plano_kv");
const META: TableDefinition<&str, u64> = TableDefinition::new("plano_kv_meta");
const VERSION_KEY: &str = "version";
const HEADER: usize = 16;

/// A redb-backed store; cheap to clone (shares the database).
#[derive(Debug, Clone)]
pub struct FileKv<C = SystemClock> {
    db: Arc<Database>,
    dirty: Arc<AtomicBool>,
    clock: C,
}

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("cannot open state file {path}: {reason}")]
pub struct OpenError {
    /// The path.
    pub path: String,
    /// What failed.
    pub reason: String,
}

impl FileKv<SystemClock> {
    /// Opens (or creates) the database at `path` with the wall clock.
    ///
    /// # Errors
    /// [`OpenError`] when the file cannot be created, is not a redb database, or is open in
    /// another process.
    pub fn open(path: &Path) -> Result<Self, OpenError> {
        Self::open_with_clock(path, SystemClock)
    }
}

impl<C: Clock> FileKv<C> {
    /// Opens (or creates) the database at `path`, reading time from `clock`.
    ///
    /// # Errors
    /// As [`FileKv::open`].
    pub fn open_with_clock(path: &Path, clock: C) -> Result<Self, OpenError> {
        let err = |reason: String| OpenError {
            path: path.display().to_string(),
            reason,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
        }
        let db = Database::create(path).map_err(|e| err(e.to_string()))?;
        // Create both tables so reads never see "table does not exist".
        let init = || -> Result<(), redb::Error> {
            let tx = db.begin_write()?;
            tx.open_table(ENTRIES)?;
            tx.open_table(META)?;
            tx.commit()?;
            Ok(())
        };
        init().map_err(|e| err(e.to_string()))?;
        Ok(FileKv {
            db: Arc::new(db),
            dirty: Arc::new(AtomicBool::new(false)),
            clock,
        })
    }

    /// Makes every committed write durable (one fsync), if anything changed since the last
    /// flush. Blocking: call it from a blocking context.
    ///
    /// # Errors
    /// [`KvError::Unavailable`] when the commit fails.
    pub fn flush(&self) -> Result<(), KvError> {
        if !self.dirty.swap(false, Ordering::AcqRel) {
            return Ok(());
        }
        let run = || -> Result<(), redb::Error> {
            let mut tx = self.db.begin_write()?;
            tx.set_durability(Durability::Immediate)?;
            tx.commit()?;
            Ok(())
        };
        run().map_err(|e| {
            self.dirty.store(true, Ordering::Release);
            unavailable(&e)
        })
    }

    /// Deletes expired entries; returns how many. Blocking.
    ///
    /// # Errors
    /// [`KvError::Unavailable`].
    pub fn sweep(&self) -> Result<usize, KvError> {
        let now = self.clock.now_ms();
        let run = || -> Result<usize, redb::Error> {
            let tx = write_tx(&self.db)?;
            let removed = {
                let mut table = tx.open_table(ENTRIES)?;
                let before = table.len()?;
                table.retain(|_, v| !decode(v).is_some_and(|(_, exp, _)| expired(exp, now)))?;
                before.saturating_sub(table.len()?)
            };
            tx.commit()?;
            Ok(usize::try_from(removed).unwrap_or(usize::MAX))
        };
        let n = run().map_err(|e| unavailable(&e))?;
        if n > 0 {
            self.dirty.store(true, Ordering::Release);
        }
        Ok(n)
    }

    /// Runs `op` on the blocking pool (inline when there is no runtime: tests, shutdown).
    async fn run<T: Send + 'static>(
        &self,
        op: impl FnOnce(&Database, &AtomicBool) -> Result<T, redb::Error> + Send + 'static,
    ) -> Result<T, KvError> {
        let db = Arc::clone(&self.db);
        let dirty = Arc::clone(&self.dirty);
        let job = move || op(&db, &dirty).map_err(|e| unavailable(&e));
        match tokio::runtime::Handle::try_current() {
            Ok(h) => h
                .spawn_blocking(job)
                .await
                .unwrap_or_else(|e| Err(KvError::Unavailable(format!("state store task: {e}")))),
            Err(_) => job(),
        }
    }
}

/// A write transaction that commits without fsync (see the module docs).
fn write_tx(db: &Database) -> Result<redb::WriteTransaction, redb::Error> {
    let mut tx = db.begin_write()?;
    tx.set_durability(Durability::None)?;
    Ok(tx)
}

fn unavailable(e: &dyn std::fmt::Display) -> KvError {
    KvError::Unavailable(format!("state file: {e}"))
}

fn expired(expires_at_ms: u64, now: u64) -> bool {
    expires_at_ms != 0 && expires_at_ms <= now
}

fn expiry(now: u64, ttl_secs: Option<u32>) -> u64 {
    ttl_secs.map_or(0, |s| now.saturating_add(u64::from(s) * 1000).max(1))
}

fn decode(raw: &[u8]) -> Option<(u64, u64, &[u8])> {
    let version = u64::from_le_bytes(raw.get(..8)?.try_into().ok()?);
    let exp = u64::from_le_bytes(raw.get(8..HEADER)?.try_into().ok()?);
    Some((version, exp, raw.get(HEADER..)?))
}

fn encode(version: u64, expires_at_ms: u64, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + value.len());
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&expires_at_ms.to_le_bytes());
    out.extend_from_slice(value);
    out
}

/// The live entry at `key` as (version, expiry, value).
fn live(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &str,
    now: u64,
) -> Result<Option<(u64, u64, Vec<u8>)>, redb::Error> {
    Ok(table.get(key)?.and_then(|g| {
        let (v, exp, value) = decode(g.value())?;
        (!expired(exp, now)).then(|| (v, exp, value.to_vec()))
    }))
}

fn next_version(tx: &redb::WriteTransaction) -> Result<u64, redb::Error> {
    let mut meta = tx.open_table(META)?;
    let v = meta
        .get(VERSION_KEY)?
        .map_or(0, |g| g.value())
        .wrapping_add(1);
    meta.insert(VERSION_KEY, v)?;
    Ok(v)
}

/// Commits a write transaction and marks the store dirty.
fn commit(tx: redb::WriteTransaction, dirty: &AtomicBool) -> Result<(), redb::Error> {
    tx.commit()?;
    dirty.store(true, Ordering::Release);
    Ok(())
}

impl<C: Clock> Kv for FileKv<C> {
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
        let key = key.to_owned();
        self.run(move |db, _| {
            let tx = db.begin_read()?;
            let table = tx.open_table(ENTRIES)?;
            Ok(live(&table, &key, now)?.map(|(version, _, value)| Versioned { value, version }))
        })
        .await
    }

    async fn put(&self, key: &str, value: &[u8], ttl_secs: Option<u32>) -> Result<(), KvError> {
        let now = self.clock.now_ms();
        let key = key.to_owned();
        let value = value.to_vec();
        self.run(move |db, dirty| {
            let tx = write_tx(db)?;
            let version = next_version(&tx)?;
            tx.open_table(ENTRIES)?.insert(
                key.as_str(),
                encode(version, expiry(now, ttl_secs), &value).as_slice(),
            )?;
            commit(tx, dirty)
        })
        .await
    }

    async fn delete(&self, key: &str) -> Result<(), KvError> {
        let key = key.to_owned();
        self.run(move |db, dirty| {
            let tx = write_tx(db)?;
            tx.open_table(ENTRIES)?.remove(key.as_str())?;
            commit(tx, dirty)
        })
        .await
    }

    async fn increment(
        &self,
        key: &str,
        delta: i64,
        ttl_secs: Option<u32>,
    ) -> Result<i64, KvError> {
        let now = self.clock.now_ms();
        let key = key.to_owned();
        let result = self
            .run(move |db, dirty| {
                let tx = write_tx(db)?;
                let version = next_version(&tx)?;
                let outcome = {
                    let mut table = tx.open_table(ENTRIES)?;
                    let (current, exp) = match live(&table, &key, now)? {
                        Some((_, exp, value)) => {
                            match std::str::from_utf8(&value)
                                .ok()
                                .and_then(|t| t.parse().ok())
                            {
                                Some(n) => (n, exp),
                                None => return Ok(Err(key)),
                            }
                        }
                        None => (0i64, expiry(now, ttl_secs)),
                    };
                    let next = current.saturating_add(delta);
                    table.insert(
                        key.as_str(),
                        encode(version, exp, next.to_string().as_bytes()).as_slice(),
                    )?;
                    next
                };
                commit(tx, dirty)?;
                Ok(Ok(outcome))
            })
            .await?;
        result.map_err(|key| KvError::Invalid {
            key,
            reason: "not an integer counter".to_owned(),
        })
    }

    async fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &[u8],
        ttl_secs: Option<u32>,
    ) -> Result<bool, KvError> {
        let now = self.clock.now_ms();
        let key = key.to_owned();
        let value = value.to_vec();
        self.run(move |db, dirty| {
            let tx = write_tx(db)?;
            let current = live(&tx.open_table(ENTRIES)?, &key, now)?.map(|(v, _, _)| v);
            if current != expected {
                // Dropping the transaction aborts it.
                return Ok(false);
            }
            let version = next_version(&tx)?;
            tx.open_table(ENTRIES)?.insert(
                key.as_str(),
                encode(version, expiry(now, ttl_secs), &value).as_slice(),
            )?;
            commit(tx, dirty)?;
            Ok(true)
        })
        .await
    }
}

impl<C> Drop for FileKv<C> {
    fn drop(&mut self) {
        // The last handle makes what it wrote durable (tests reopen the file afterwards; the
        // server flushes explicitly at shutdown too).
        if Arc::strong_count(&self.db) == 1 && self.dirty.swap(false, Ordering::AcqRel) {
            let run = || -> Result<(), redb::Error> {
                let mut tx = self.db.begin_write()?;
                tx.set_durability(Durability::Immediate)?;
                tx.commit()?;
                Ok(())
            };
            if let Err(e) = run() {
                tracing::warn!(error = %e, "could not flush the state file");
            }
        }
    }
}
