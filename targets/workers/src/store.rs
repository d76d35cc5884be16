//! The state store: Workers KV for conversation state, a Durable Object per counter key for
//! rate limits, as the config's `gateway.state.workers` chooses.
//!
//! - `workers_kv` (default, binding `PLANO_STATE`): Responses turns and every other key in
//!   Workers KV (eventually consistent, TTL at least 60 s, no atomic operations), rate-limit
//!   counters (`rl:` keys) in the `PLANO_COUNTERS` Durable Object namespace, one object per
//!   key, so increments are serialized and exact. Without a `PLANO_COUNTERS` binding the
//!   counters live in KV too and the store declares no increment: limits are then best effort
//!   (see docs/state.md).
//! - `durable_object` (binding default `PLANO_COUNTERS`): every key in its own Durable Object:
//!   strongly consistent everywhere (a follow-up turn served anywhere sees the previous one),
//!   values up to 2 MB.
//! - `memory`: a per-isolate `MemoryKv` (one isolate's view only; for trials).

use plano_core::kv::{Kv, KvCaps, KvError, MemoryKv, Versioned};
use worker::{Headers, Method, ObjectNamespace, Request, RequestInit};

use crate::clock::WorkerClock;
use crate::frame::{DELTA_HEADER, Op, TTL_HEADER};

/// Workers KV's shortest `expirationTtl`.
pub const KV_MIN_TTL_SECS: u32 = 60;

/// The prefix of rate-limit counter keys (plano-core's `ratelimit`).
const COUNTER_PREFIX: &str = "rl:";

/// The store the driver uses.
#[derive(Debug)]
pub enum Store {
    /// Workers KV, with counters in Durable Objects when the namespace is bound.
    Split {
        /// Conversation state.
        kv: WorkersKv,
        /// Counters.
        counters: Option<DurableStore>,
    },
    /// Everything in Durable Objects.
    Durable(DurableStore),
    /// One isolate's memory.
    Memory(MemoryKv<WorkerClock>),
}

/// A Workers KV namespace.
#[derive(Debug)]
pub struct WorkersKv(pub worker::kv::KvStore);

/// A Durable Object namespace of [`crate::counters::PlanoCounters`]: one object per key.
#[derive(Debug)]
pub struct DurableStore(pub ObjectNamespace);

impl WorkersKv {
    /// What Workers KV promises: no atomic operations, eventually consistent (a write is seen
    /// everywhere within about 60 s), TTLs of 60 s and more, expiring by itself.
    pub const CAPS: KvCaps = KvCaps {
        atomic_increment: false,
        compare_and_swap: false,
        strong_consistency: false,
        min_ttl_secs: KV_MIN_TTL_SECS,
        native_ttl: true,
    };

    async fn get(&self, key: &str) -> Result<Option<Versioned>, KvError> {
        let value = self.0.get(key).bytes().await.map_err(unavailable)?;
        Ok(value.map(|value| Versioned { value, version: 0 }))
    }

    async fn put(&self, key: &str, value: &[u8], ttl: Option<u32>) -> Result<(), KvError> {
        let mut put = self.0.put_bytes(key, value).map_err(unavailable)?;
        if let Some(t) = ttl {
            put = put.expiration_ttl(u64::from(t.max(KV_MIN_TTL_SECS)));
        }
        put.execute().await.map_err(unavailable)
    }

    async fn delete(&self, key: &str) -> Result<(), KvError> {
        self.0.delete(key).await.map_err(unavailable)
    }
}

impl DurableStore {
    /// What a Durable Object per key promises: serialized, strongly consistent operations
    /// with an atomic increment; expiry by the object's alarm and checked on read.
    pub const CAPS: KvCaps = KvCaps {
        atomic_increment: true,
        compare_and_swap: false,
        strong_consistency: true,
        min_ttl_secs: 1,
        native_ttl: true,
    };

    /// Sends one operation to the key's object: its status and body.
    async fn call(
        &self,
        key: &str,
        op: Op,
        body: Option<&[u8]>,
        ttl: Option<u32>,
        delta: Option<i64>,
    ) -> Result<(u16, Vec<u8>), KvError> {
        let stub = self.0.get_by_name(key).map_err(unavailable)?;
        let headers = Headers::new();
        if let Some(t) = ttl {
            headers
                .set(TTL_HEADER, &t.to_string())
                .map_err(unavailable)?;
        }
        if let Some(d) = delta {
            headers
                .set(DELTA_HEADER, &d.to_string())
                .map_err(unavailable)?;
        }
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_headers(headers);
        if let Some(b) = body {
            init.with_body(Some(js_sys::Uint8Array::from(b).into()));
        }
        let url = format!("https://plano-counters{}", op.path());
        let req = Request::new_with_init(&url, &init).map_err(unavailable)?;
        let mut resp = stub.fetch_with_request(req).await.map_err(unavailable)?;
        let status = resp.status_code();
        let bytes = resp.bytes().await.map_err(unavailable)?;
        Ok((status, bytes))
    }

    async fn get(&self, key: &str) -> Result<Option<Versioned>, KvError> {
        match self.call(key, Op::Get, None, None, None).await? {
            (200, value) => Ok(Some(Versioned { value, version: 0 })),
            (404, _) => Ok(None),
            (s, body) => Err(failed(s, &body)),
        }
    }

    async fn put(&self, key: &str, value: &[u8], ttl: Option<u32>) -> Result<(), KvError> {
        match self.call(key, Op::Put, Some(value), ttl, None).await? {
            (200 | 204, _) => Ok(()),
            (s, body) => Err(failed(s, &body)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), KvError> {
        match self.call(key, Op::Delete, None, None, None).await? {
            (200 | 204, _) => Ok(()),
            (s, body) => Err(failed(s, &body)),
        }
    }

    async fn increment(&self, key: &str, delta: i64, ttl: Option<u32>) -> Result<i64, KvError> {
        match self
            .call(key, Op::Increment, None, ttl, Some(delta))
            .await?
        {
            (200, body) => std::str::from_utf8(&body)
                .ok()
                .and_then(|t| t.trim().parse().ok())
                .ok_or_else(|| KvError::Unavailable("counter answered a non-number".into())),
            (409, _) => Err(KvError::Invalid {
                key: key.to_owned(),
                reason: "not a counter".into(),
            }),
            (s, body) => Err(failed(s, &body)),
        }
    }
}

fn unavailable(e: impl std::fmt::Display) -> KvError {
    KvError::Unavailable(e.to_string())
}

fn failed(status: u16, body: &[u8]) -> KvError {
    let text = String::from_utf8_lossy(body.get(..200).unwrap_or(body));
    KvError::Unavailable(format!("durable object answered {status}: {text}"))
}

impl Store {
    fn counters_for(&self, key: &str) -> Option<&DurableStore> {
        match self {
            Store::Split {
                counters: Some(c), ..
            } if key.starts_with(COUNTER_PREFIX) => Some(c),
            _ => None,
        }
    }
}

impl Kv for Store {
    fn caps(&self) -> KvCaps {
        match self {
            // Counters go to the objects (increment), everything else to KV (its consistency
            // and TTL floor): the combination is what each user of the store relies on.
            Store::Split {
                counters: Some(_), ..
            } => KvCaps {
                atomic_increment: true,
                ..WorkersKv::CAPS
            },
            Store::Split { counters: None, .. } => WorkersKv::CAPS,
            Store::Durable(_) => DurableStore::CAPS,
            Store::Memory(m) => m.caps(),
        }
    }

    async fn get(&self, key: &str) -> Result<Option<Versioned>, KvError> {
        if let Some(c) = self.counters_for(key) {
            return c.get(key).await;
        }
        match self {
            Store::Split { kv, .. } => kv.get(key).await,
            Store::Durable(d) => d.get(key).await,
            Store::Memory(m) => m.get(key).await,
        }
    }

    async fn put(&self, key: &str, value: &[u8], ttl_secs: Option<u32>) -> Result<(), KvError> {
        if let Some(c) = self.counters_for(key) {
            return c.put(key, value, ttl_secs).await;
        }
        match self {
            Store::Split { kv, .. } => kv.put(key, value, ttl_secs).await,
            Store::Durable(d) => d.put(key, value, ttl_secs).await,
            Store::Memory(m) => m.put(key, value, ttl_secs).await,
        }
    }

    async fn delete(&self, key: &str) -> Result<(), KvError> {
        if let Some(c) = self.counters_for(key) {
            return c.delete(key).await;
        }
        match self {
            Store::Split { kv, .. } => kv.delete(key).await,
            Store::Durable(d) => d.delete(key).await,
            Store::Memory(m) => m.delete(key).await,
        }
    }

    async fn increment(
        &self,
        key: &str,
        delta: i64,
        ttl_secs: Option<u32>,
    ) -> Result<i64, KvError> {
        if let Some(c) = self.counters_for(key) {
            return c.increment(key, delta, ttl_secs).await;
        }
        match self {
            Store::Split { .. } => Err(KvError::Unsupported("increment")),
            Store::Durable(d) => d.increment(key, delta, ttl_secs).await,
            Store::Memory(m) => m.increment(key, delta, ttl_secs).await,
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
            _ => Err(KvError::Unsupported("compare-and-swap")),
        }
    }
}
