//! Window counters over a [`Kv`], with the algorithm its [`KvCaps`] allow.
//!
//! - **Atomic increment**: add the amount, look at the new total, and take it back when it
//!   is over the limit. The store never admits more than the limit; two requests racing for
//!   the last tokens may both be refused (each sees the other's increment before the
//!   rollback), which errs on the safe side for an instant.
//! - **Compare-and-swap only**: read, check, write if unchanged; retry up to
//!   [`Policy::cas_retries`](super::Policy::cas_retries) times on conflict, then report
//!   contention (treated like an unavailable store). As exact as increments.
//! - **Neither**: read, check, write. Concurrent requests can all read the same count and
//!   all be admitted, and their writes overwrite each other so some usage is lost: the
//!   limit is best effort, over-admitting by up to the tokens of the requests in flight at
//!   once. Fine for a single-threaded host (one proxy-wasm worker); documented for others.
//!
//! Increment counters hold the store's own integer. The other two write the count, followed
//! by `@<expires_at_ms>` when the store has no native TTL ([`KvCaps::native_ttl`]); an expired
//! value reads as zero. Keys carry their window, so a stale counter is never mistaken for the
//! current one either way; the expiry lets the store's lazy deletion or a sweeper drop them.

use crate::kv::{Kv, KvCaps, KvError};

/// The algorithm, chosen from the store's capabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Increment,
    CompareAndSwap,
    BestEffort,
}

impl Method {
    pub(crate) fn for_caps(caps: KvCaps) -> Method {
        if caps.atomic_increment {
            Method::Increment
        } else if caps.compare_and_swap {
            Method::CompareAndSwap
        } else {
            Method::BestEffort
        }
    }
}

/// Why a counter operation failed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StoreFail {
    Kv(KvError),
    Contention { attempts: u32 },
}

impl From<KvError> for StoreFail {
    fn from(e: KvError) -> Self {
        StoreFail::Kv(e)
    }
}

/// One counter write: where, how long to keep it, how to reach the store.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Counter<'a> {
    pub key: &'a str,
    pub method: Method,
    pub native_ttl: bool,
    pub ttl_secs: u32,
    pub expires_at_ms: u64,
    pub now_ms: u64,
    pub retries: u32,
}

/// Result of [`try_add`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Added {
    /// Added; the window's count after it.
    Yes { count_after: u64 },
    /// Not added: the count plus `carried` plus the amount is over the limit.
    Full { count: u64 },
}

/// Reads a window's count (0 when absent or expired).
pub(crate) async fn read(kv: &impl Kv, key: &str, now_ms: u64) -> Result<u64, KvError> {
    Ok(match kv.get(key).await? {
        Some(v) => parse(key, &v.value, now_ms)?,
        None => 0,
    })
}

/// Adds `amount` to the counter unless `count + carried + max(amount, 1) > limit`.
pub(crate) async fn try_add(
    kv: &impl Kv,
    c: Counter<'_>,
    amount: u64,
    carried: u64,
    limit: u64,
) -> Result<Added, StoreFail> {
    let fits = |count: u64| count.saturating_add(carried).saturating_add(amount.max(1)) <= limit;
    match c.method {
        Method::Increment => {
            let delta = signed(amount);
            let after = clamp(kv.increment(c.key, delta, Some(c.ttl_secs)).await?);
            let before = after.saturating_sub(amount);
            if fits(before) {
                return Ok(Added::Yes { count_after: after });
            }
            // Take it back. A failure leaves the amount counted until the window ends: the
            // request is refused either way, and over-counting is the safe direction.
            let _ = kv.increment(c.key, -delta, Some(c.ttl_secs)).await;
            Ok(Added::Full { count: before })
        }
        Method::CompareAndSwap => {
            for _ in 0..=c.retries {
                let current = kv.get(c.key).await?;
                let (count, version) = match &current {
                    Some(v) => (parse(c.key, &v.value, c.now_ms)?, Some(v.version)),
                    None => (0, None),
                };
                if !fits(count) {
                    return Ok(Added::Full { count });
                }
                let after = count.saturating_add(amount);
                let value = encode(after, &c);
                if kv
                    .compare_and_swap(c.key, version, value.as_bytes(), Some(c.ttl_secs))
                    .await?
                {
                    return Ok(Added::Yes { count_after: after });
                }
            }
            Err(StoreFail::Contention {
                attempts: c.retries.saturating_add(1),
            })
        }
        Method::BestEffort => {
            let count = read(kv, c.key, c.now_ms).await?;
            if !fits(count) {
                return Ok(Added::Full { count });
            }
            let after = count.saturating_add(amount);
            kv.put(c.key, encode(after, &c).as_bytes(), Some(c.ttl_secs))
                .await?;
            Ok(Added::Yes { count_after: after })
        }
    }
}

/// Adds `delta` (may be negative) to an existing counter; the count never goes below zero
/// (increment counters may, and read as zero). A counter that is gone is left alone.
pub(crate) async fn adjust(kv: &impl Kv, c: Counter<'_>, delta: i64) -> Result<(), StoreFail> {
    if delta == 0 {
        return Ok(());
    }
    match c.method {
        Method::Increment => {
            kv.increment(c.key, delta, Some(c.ttl_secs)).await?;
            Ok(())
        }
        Method::CompareAndSwap => {
            for _ in 0..=c.retries {
                let Some(current) = kv.get(c.key).await? else {
                    return Ok(());
                };
                let count = parse(c.key, &current.value, c.now_ms)?;
                let value = encode(apply(count, delta), &c);
                if kv
                    .compare_and_swap(
                        c.key,
                        Some(current.version),
                        value.as_bytes(),
                        Some(c.ttl_secs),
                    )
                    .await?
                {
                    return Ok(());
                }
            }
            Err(StoreFail::Contention {
                attempts: c.retries.saturating_add(1),
            })
        }
        Method::BestEffort => {
            let Some(current) = kv.get(c.key).await? else {
                return Ok(());
            };
            let count = parse(c.key, &current.value, c.now_ms)?;
            kv.put(
                c.key,
                encode(apply(count, delta), &c).as_bytes(),
                Some(c.ttl_secs),
            )
            .await?;
            Ok(())
        }
    }
}

fn apply(count: u64, delta: i64) -> u64 {
    if delta >= 0 {
        count.saturating_add(delta.unsigned_abs())
    } else {
        count.saturating_sub(delta.unsigned_abs())
    }
}

fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn clamp(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn encode(count: u64, c: &Counter<'_>) -> String {
    if c.native_ttl {
        count.to_string()
    } else {
        format!("{count}@{}", c.expires_at_ms)
    }
}

/// Parses `<count>` or `<count>@<expires_at_ms>`; negative counts read as zero.
fn parse(key: &str, value: &[u8], now_ms: u64) -> Result<u64, KvError> {
    let invalid = || KvError::Invalid {
        key: key.to_owned(),
        reason: "not a rate-limit counter".to_owned(),
    };
    let text = std::str::from_utf8(value).map_err(|_| invalid())?;
    let (count, expiry) = match text.split_once('@') {
        Some((c, e)) => (c, Some(e.parse::<u64>().map_err(|_| invalid())?)),
        None => (text, None),
    };
    if expiry.is_some_and(|e| e <= now_ms) {
        return Ok(0);
    }
    count
        .trim()
        .parse::<i64>()
        .map(clamp)
        .map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_forms() {
        assert_eq!(parse("k", b"12", 0), Ok(12));
        assert_eq!(parse("k", b"-3", 0), Ok(0));
        assert_eq!(parse("k", b"12@100", 99), Ok(12));
        assert_eq!(parse("k", b"12@100", 100), Ok(0), "expired");
        assert!(parse("k", b"x", 0).is_err());
        assert!(parse("k", b"1@x", 0).is_err());
        assert!(parse("k", &[0xff], 0).is_err());
        assert_eq!(apply(5, -10), 0);
        assert_eq!(apply(u64::MAX, 1), u64::MAX);
        assert_eq!(signed(u64::MAX), i64::MAX);
    }
}
