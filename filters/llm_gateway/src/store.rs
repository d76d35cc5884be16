//! [`SharedKv`]: the core's [`Kv`] over proxy-wasm shared data, the key-value map Envoy
//! shares between every VM of one plugin on one Envoy instance (all worker threads).
//!
//! Shared data is per Envoy instance: counters and Responses turns are not shared between
//! Envoys (each instance enforces its own rate limits; a follow-up turn must reach the same
//! instance). It has a compare-and-swap (`cas`) but no delete, no TTL and no atomic add, so:
//!
//! - every value carries its expiry (8 bytes, big-endian Unix ms, 0 for none) before the
//!   bytes; an expired or empty value reads as absent (the store's TTL is lazy);
//! - delete writes an empty value (Envoy keeps the key, a few bytes, until restart);
//! - increment is a compare-and-swap loop, so it is atomic across worker threads;
//! - a swap that expects the key absent names a version Envoy never hands out
//!   ([`ABSENT_CAS`]): Envoy inserts a missing key whatever the `cas`, and refuses the
//!   write when another VM created the key in between.
//!
//! The proxy-wasm calls are behind [`SharedData`] so the logic is tested natively.

use plano_core::kv::{Kv, KvCaps, KvError, Versioned};
use plano_core::time::Clock;

/// The version a swap names when it expects the key absent. Envoy's versions count up from
/// 1 per write across the whole map; they would reach this only after 4 billion writes.
pub const ABSENT_CAS: u32 = u32::MAX;

/// Compare-and-swap attempts of one increment before giving up as unavailable.
const MAX_CAS_TRIES: usize = 64;

/// The host's shared data.
pub trait SharedData {
    /// The value and its version (`None`, `None` when the key was never written).
    ///
    /// # Errors
    /// The host's reason.
    fn get(&self, key: &str) -> Result<(Option<Vec<u8>>, Option<u32>), String>;
    /// Writes `value` if the key's version is `cas` (no check when `None`). `Ok(false)` when
    /// the version did not match.
    ///
    /// # Errors
    /// The host's reason.
    fn set(&self, key: &str, value: &[u8], cas: Option<u32>) -> Result<bool, String>;
}

/// The core's [`Kv`] over shared data.
#[derive(Debug)]
pub struct SharedKv<S, C> {
    data: S,
    clock: C,
}

impl<S: SharedData, C: Clock> SharedKv<S, C> {
    /// A store over `data`, reading expiry against `clock`.
    pub fn new(data: S, clock: C) -> Self {
        SharedKv { data, clock }
    }

    /// The live value and the version to swap against.
    fn read(&self, key: &str) -> Result<(Option<Vec<u8>>, u32), KvError> {
        let (value, cas) = self.data.get(key).map_err(KvError::Unavailable)?;
        // A key never written has no version: a swap must expect it absent.
        let cas = cas.unwrap_or(ABSENT_CAS);
        let live = value.and_then(|v| decode(&v, self.clock.now_ms()));
        Ok((live, cas))
    }

    fn encode(&self, value: &[u8], ttl_secs: Option<u32>) -> Vec<u8> {
        let expiry = ttl_secs.map_or(0, |s| {
            self.clock
                .now_ms()
                .saturating_add(u64::from(s.max(1)) * 1000)
        });
        let mut out = Vec::with_capacity(8 + value.len());
        out.extend_from_slice(&expiry.to_be_bytes());
        out.extend_from_slice(value);
        out
    }
}

/// The bytes of a stored value, `None` when empty (deleted), malformed or expired.
fn decode(stored: &[u8], now_ms: u64) -> Option<Vec<u8>> {
    let (expiry, value) = stored.split_first_chunk::<8>()?;
    let expiry = u64::from_be_bytes(*expiry);
    (expiry == 0 || expiry > now_ms).then(|| value.to_vec())
}

impl<S: SharedData, C: Clock> Kv for SharedKv<S, C> {
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
        let (value, cas) = self.read(key)?;
        Ok(value.map(|value| Versioned {
            value,
            version: u64::from(cas),
        }))
    }

    async fn put(&self, key: &str, value: &[u8], ttl_secs: Option<u32>) -> Result<(), KvError> {
        let stored = self.encode(value, ttl_secs);
        self.data
            .set(key, &stored, None)
            .map_err(KvError::Unavailable)
            .map(|_| ())
    }

    async fn delete(&self, key: &str) -> Result<(), KvError> {
        match self.data.get(key).map_err(KvError::Unavailable)? {
            (None, _) => Ok(()),
            _ => self
                .data
                .set(key, &[], None)
                .map_err(KvError::Unavailable)
                .map(|_| ()),
        }
    }

    async fn increment(
        &self,
        key: &str,
        delta: i64,
        ttl_secs: Option<u32>,
    ) -> Result<i64, KvError> {
        for _ in 0..MAX_CAS_TRIES {
            let (stored, cas) = self.data.get(key).map_err(KvError::Unavailable)?;
            let cas = cas.unwrap_or(ABSENT_CAS);
            let now = self.clock.now_ms();
            // A live counter keeps its expiry; a missing or expired one starts a new window.
            let (current, keep) = match stored.as_deref().and_then(|s| {
                let (e, v) = s.split_first_chunk::<8>()?;
                let e = u64::from_be_bytes(*e);
                (e == 0 || e > now).then_some((e, v))
            }) {
                Some((expiry, v)) => {
                    let text = std::str::from_utf8(v).ok().filter(|t| !t.is_empty());
                    let n = match text {
                        None => 0,
                        Some(t) => t.parse::<i64>().map_err(|_| KvError::Invalid {
                            key: key.to_owned(),
                            reason: "not a counter".to_owned(),
                        })?,
                    };
                    (n, Some(expiry))
                }
                None => (0, None),
            };
            let next = current.saturating_add(delta);
            let mut value = match keep {
                Some(expiry) => expiry.to_be_bytes().to_vec(),
                None => self.encode(&[], ttl_secs),
            };
            value.extend_from_slice(next.to_string().as_bytes());
            if self
                .data
                .set(key, &value, Some(cas))
                .map_err(KvError::Unavailable)?
            {
                return Ok(next);
            }
        }
        Err(KvError::Unavailable(format!(
            "increment of {key}: {MAX_CAS_TRIES} concurrent writes in a row"
        )))
    }

    async fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &[u8],
        ttl_secs: Option<u32>,
    ) -> Result<bool, KvError> {
        let (live, cas) = self.read(key)?;
        match (expected, live) {
            (None, Some(_)) => return Ok(false),
            (Some(v), Some(_)) if v != u64::from(cas) => return Ok(false),
            (Some(_), None) => return Ok(false),
            _ => {}
        }
        let stored = self.encode(value, ttl_secs);
        self.data
            .set(key, &stored, Some(cas))
            .map_err(KvError::Unavailable)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    use plano_core::kv::now_or_never;
    use plano_core::time::ManualClock;

    use super::*;

    /// Envoy's shared data as Envoy implements it: versions count up from 1; a set names a
    /// version (0: none) that must match an existing key; a missing key is always inserted.
    #[derive(Default)]
    struct Fake {
        map: RefCell<BTreeMap<String, (Vec<u8>, u32)>>,
        next: RefCell<u32>,
        /// A write by "another VM" slipped in before the next set of this key.
        race: RefCell<Option<String>>,
    }

    impl SharedData for &Fake {
        fn get(&self, key: &str) -> Result<(Option<Vec<u8>>, Option<u32>), String> {
            Ok(match self.map.borrow().get(key) {
                Some((v, c)) => (Some(v.clone()), Some(*c)),
                None => (None, None),
            })
        }
        fn set(&self, key: &str, value: &[u8], cas: Option<u32>) -> Result<bool, String> {
            if self.race.borrow().as_deref() == Some(key) {
                self.race.borrow_mut().take();
                self.set(key, b"\0\0\0\0\0\0\0\x005", None)?;
            }
            let mut next = self.next.borrow_mut();
            let mut map = self.map.borrow_mut();
            if let (Some(c), Some((_, cur))) = (cas.filter(|c| *c != 0), map.get(key))
                && c != *cur
            {
                return Ok(false);
            }
            *next += 1;
            map.insert(key.to_owned(), (value.to_vec(), *next));
            Ok(true)
        }
    }

    fn run<F: std::future::Future>(f: F) -> F::Output {
        now_or_never(f).expect("shared data is synchronous")
    }

    #[test]
    fn values_expire_and_deletes_read_as_absent() {
        let fake = Fake::default();
        let clock = ManualClock::new(1_000_000);
        let kv = SharedKv::new(&fake, &clock);
        run(kv.put("a", b"x", Some(2))).unwrap();
        run(kv.put("b", b"y", None)).unwrap();
        assert_eq!(run(kv.get("a")).unwrap().unwrap().value, b"x");
        clock.advance(2_000);
        assert_eq!(run(kv.get("a")).unwrap(), None);
        assert_eq!(run(kv.get("b")).unwrap().unwrap().value, b"y");
        run(kv.delete("b")).unwrap();
        assert_eq!(run(kv.get("b")).unwrap(), None);
        run(kv.delete("never")).unwrap();
        assert!(!fake.map.borrow().contains_key("never"));
    }

    #[test]
    fn increments_count_keep_their_window_and_survive_a_race() {
        let fake = Fake::default();
        let clock = ManualClock::new(1_000_000);
        let kv = SharedKv::new(&fake, &clock);
        assert_eq!(run(kv.increment("c", 3, Some(60))).unwrap(), 3);
        assert_eq!(run(kv.increment("c", -1, Some(60))).unwrap(), 2);
        // Another VM writes 5 (no expiry) between our read and our swap: we retry on it.
        *fake.race.borrow_mut() = Some("c".into());
        assert_eq!(run(kv.increment("c", 1, Some(60))).unwrap(), 6);
        run(kv.put("s", b"text", None)).unwrap();
        assert!(matches!(
            run(kv.increment("s", 1, None)),
            Err(KvError::Invalid { .. })
        ));
        // An expired counter starts again.
        run(kv.put("e", b"9", Some(1))).unwrap();
        clock.advance(1_500);
        assert_eq!(run(kv.increment("e", 1, Some(1))).unwrap(), 1);
    }

    #[test]
    fn compare_and_swap_names_versions_and_absence() {
        let fake = Fake::default();
        let clock = ManualClock::new(1_000_000);
        let kv = SharedKv::new(&fake, &clock);
        assert!(run(kv.compare_and_swap("k", None, b"1", None)).unwrap());
        assert!(!run(kv.compare_and_swap("k", None, b"2", None)).unwrap());
        let v = run(kv.get("k")).unwrap().unwrap();
        assert!(run(kv.compare_and_swap("k", Some(v.version), b"2", None)).unwrap());
        assert!(!run(kv.compare_and_swap("k", Some(v.version), b"3", None)).unwrap());
        assert_eq!(run(kv.get("k")).unwrap().unwrap().value, b"2");
        // A key created by another VM between our read and our swap is not overwritten.
        *fake.race.borrow_mut() = Some("new".into());
        assert!(!run(kv.compare_and_swap("new", None, b"mine", None)).unwrap());
        // A deleted key is absent again.
        run(kv.delete("k")).unwrap();
        assert!(run(kv.compare_and_swap("k", None, b"again", None)).unwrap());
    }
}
