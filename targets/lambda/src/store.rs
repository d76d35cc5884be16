//! The state store: one DynamoDB table (single-table design), or memory for trials.
//!
//! # Item layout
//!
//! Every key of the gateway's state is one item; the caller's key (prefixed by purpose:
//! `rl:` rate-limit window counters, `resp:` Responses turns, `pin:` session pins) is the
//! partition key, so one table holds them all and no item is read with another:
//!
//! | attribute | type | what |
//! |---|---|---|
//! | `pk` | S | the key (the table's only key attribute, no sort key) |
//! | `val` | B | a value (`put`, `compare_and_swap`) |
//! | `cnt` | N | a counter (`increment`); read back as decimal text |
//! | `ver` | N | version, `ADD 1` on every write (compare-and-swap names it) |
//! | `exp_ms` | N | expiry, Unix milliseconds; absent: never |
//! | `expires_at` | N | the same in Unix seconds: the table's TTL attribute |
//!
//! DynamoDB deletes expired items lazily (typically within days), so every read and every
//! conditional write checks `exp_ms` against the clock: an expired item reads as absent,
//! counts from zero and may be replaced by a create-only write. Reads are strongly
//! consistent (`ConsistentRead`), so a follow-up `previous_response_id` always finds the
//! turn saved before the client saw the end of its response.
//!
//! # Counters
//!
//! `increment` is one atomic `UpdateItem ... ADD cnt :delta` conditioned on the counter
//! being live; a missing or expired counter is (re)created by a conditional `SET` that only
//! one of several racing writers wins (the others add to it). No update is lost and none
//! counted twice, so the core's reserve-then-check rate limiting never over-admits.

use plano_core::kv::{Kv, KvCaps, KvError, MemoryKv, Versioned};
use plano_core::time::Clock;
use serde_json::{Map, Value, json};

use crate::clock::SystemClock;
use crate::dynamo::{Dynamo, DynamoError};

/// The configured store.
#[derive(Debug)]
pub enum Store {
    /// A DynamoDB table (boxed: the client is large next to the memory store).
    Dynamo(Box<DynamoKv>),
    /// This execution environment's memory (`gateway.state.lambda.backend: memory`): each
    /// concurrent environment has its own, and it is lost when Lambda recycles it.
    Memory(MemoryKv<SystemClock>),
}

/// [`Kv`] over one DynamoDB table (see the module docs for the item layout).
#[derive(Debug)]
pub struct DynamoKv {
    db: Dynamo,
    table: String,
}

/// How often an `increment` retries when creating the counter raced with another writer.
const INCREMENT_ATTEMPTS: u32 = 8;

impl DynamoKv {
    /// The store over `table`.
    pub fn new(db: Dynamo, table: String) -> DynamoKv {
        DynamoKv { db, table }
    }

    /// The DynamoDB client.
    pub fn db(&self) -> &Dynamo {
        &self.db
    }

    fn key(key: &str) -> Value {
        json!({ "pk": { "S": key } })
    }

    async fn update(
        &self,
        key: &str,
        expression: &str,
        condition: Option<&str>,
        names: &[(&str, &str)],
        values: Map<String, Value>,
        return_new: bool,
    ) -> Result<Value, DynamoError> {
        let mut body = Map::new();
        body.insert("TableName".into(), Value::from(self.table.as_str()));
        body.insert("Key".into(), Self::key(key));
        body.insert("UpdateExpression".into(), Value::from(expression));
        let names: Map<String, Value> = names
            .iter()
            .map(|(p, n)| ((*p).to_owned(), Value::from(*n)))
            .collect();
        body.insert("ExpressionAttributeNames".into(), Value::Object(names));
        body.insert("ExpressionAttributeValues".into(), Value::Object(values));
        if let Some(c) = condition {
            body.insert("ConditionExpression".into(), Value::from(c));
        }
        if return_new {
            body.insert("ReturnValues".into(), Value::from("UPDATED_NEW"));
        }
        self.db.call("UpdateItem", &Value::Object(body)).await
    }

    /// Writes a value (`val`), optionally only if `condition` holds.
    async fn write_value(
        &self,
        key: &str,
        value: &[u8],
        ttl_secs: Option<u32>,
        condition: Option<(&str, Map<String, Value>)>,
    ) -> Result<(), DynamoError> {
        use base64::Engine as _;
        let now = SystemClock.now_ms();
        let mut values = Map::new();
        values.insert(
            ":v".into(),
            json!({ "B": base64::engine::general_purpose::STANDARD.encode(value) }),
        );
        values.insert(":one".into(), json!({ "N": "1" }));
        let mut names = vec![("#val", "val"), ("#cnt", "cnt"), ("#ver", "ver")];
        names.extend([("#exp", "exp_ms"), ("#ttl", "expires_at")]);
        let expression = match expiry(now, ttl_secs) {
            Some((ms, secs)) => {
                values.insert(":e".into(), num(ms));
                values.insert(":t".into(), num(secs));
                "SET #val = :v, #exp = :e, #ttl = :t REMOVE #cnt ADD #ver :one"
            }
            None => "SET #val = :v REMOVE #cnt, #exp, #ttl ADD #ver :one",
        };
        let (condition, extra) = match condition {
            Some((c, extra)) => (Some(c), extra),
            None => (None, Map::new()),
        };
        values.extend(extra);
        if condition.is_some() {
            names.push(("#pk", "pk"));
        }
        self.update(key, expression, condition, &names, values, false)
            .await
            .map(drop)
    }

    async fn try_add(&self, key: &str, delta: i64, now: u64) -> Result<i64, DynamoError> {
        let mut values = Map::new();
        values.insert(":d".into(), num(delta));
        values.insert(":one".into(), json!({ "N": "1" }));
        values.insert(":now".into(), num(now));
        let out = self
            .update(
                key,
                "ADD #cnt :d, #ver :one",
                Some("attribute_exists(#cnt) AND (attribute_not_exists(#exp) OR #exp > :now)"),
                &[("#cnt", "cnt"), ("#ver", "ver"), ("#exp", "exp_ms")],
                values,
                true,
            )
            .await?;
        out.pointer("/Attributes/cnt/N")
            .and_then(Value::as_str)
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| DynamoError::Service("UpdateItem answered no counter".into()))
    }

    async fn try_create(
        &self,
        key: &str,
        delta: i64,
        ttl_secs: Option<u32>,
        now: u64,
    ) -> Result<(), DynamoError> {
        let mut values = Map::new();
        values.insert(":d".into(), num(delta));
        values.insert(":one".into(), json!({ "N": "1" }));
        values.insert(":now".into(), num(now));
        let expression = match expiry(now, ttl_secs) {
            Some((ms, secs)) => {
                values.insert(":e".into(), num(ms));
                values.insert(":t".into(), num(secs));
                "SET #cnt = :d, #exp = :e, #ttl = :t REMOVE #val ADD #ver :one"
            }
            None => "SET #cnt = :d REMOVE #val, #exp, #ttl ADD #ver :one",
        };
        self.update(
            key,
            expression,
            Some("attribute_not_exists(#pk) OR #exp <= :now"),
            &[
                ("#pk", "pk"),
                ("#cnt", "cnt"),
                ("#val", "val"),
                ("#ver", "ver"),
                ("#exp", "exp_ms"),
                ("#ttl", "expires_at"),
            ],
            values,
            false,
        )
        .await
        .map(drop)
    }

    /// The live item at `key`, if any.
    async fn read(&self, key: &str) -> Result<Option<Map<String, Value>>, DynamoError> {
        let body = json!({
            "TableName": self.table,
            "Key": Self::key(key),
            "ConsistentRead": true,
        });
        let out = self.db.call("GetItem", &body).await?;
        let Some(Value::Object(item)) = out.get("Item").cloned() else {
            return Ok(None);
        };
        let now = SystemClock.now_ms();
        let expired = attr_num::<u64>(&item, "exp_ms").is_some_and(|e| e <= now);
        Ok((!expired).then_some(item))
    }
}

/// `(expires_at_ms, expires_at_secs)` for a TTL written at `now_ms`; the seconds are
/// rounded up so DynamoDB never deletes an item before the gateway considers it expired.
fn expiry(now_ms: u64, ttl_secs: Option<u32>) -> Option<(u64, u64)> {
    let ms = now_ms.saturating_add(u64::from(ttl_secs?).saturating_mul(1000));
    Some((ms, ms.div_ceil(1000)))
}

fn num(n: impl std::fmt::Display) -> Value {
    json!({ "N": n.to_string() })
}

fn attr_num<T: std::str::FromStr>(item: &Map<String, Value>, name: &str) -> Option<T> {
    item.get(name)?.get("N")?.as_str()?.parse().ok()
}

fn unavailable(e: DynamoError) -> KvError {
    KvError::Unavailable(e.to_string())
}

impl Kv for DynamoKv {
    fn caps(&self) -> KvCaps {
        KvCaps {
            atomic_increment: true,
            compare_and_swap: true,
            strong_consistency: true,
            min_ttl_secs: 1,
            // Expiry is enforced by this store on every read and conditional write (see the
            // module docs), so callers see TTL semantics even though DynamoDB deletes late.
            native_ttl: true,
        }
    }

    async fn get(&self, key: &str) -> Result<Option<Versioned>, KvError> {
        use base64::Engine as _;
        let Some(item) = self.read(key).await.map_err(unavailable)? else {
            return Ok(None);
        };
        let version = attr_num::<u64>(&item, "ver").unwrap_or(0);
        let value = if let Some(n) = attr_num::<i64>(&item, "cnt") {
            n.to_string().into_bytes()
        } else {
            let b64 = item
                .get("val")
                .and_then(|v| v.get("B"))
                .and_then(Value::as_str)
                .unwrap_or("");
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|_| KvError::Invalid {
                    key: key.to_owned(),
                    reason: "stored value is not base64".into(),
                })?
        };
        Ok(Some(Versioned { value, version }))
    }

    async fn put(&self, key: &str, value: &[u8], ttl_secs: Option<u32>) -> Result<(), KvError> {
        self.write_value(key, value, ttl_secs, None)
            .await
            .map_err(unavailable)
    }

    async fn delete(&self, key: &str) -> Result<(), KvError> {
        let body = json!({ "TableName": self.table, "Key": Self::key(key) });
        self.db
            .call("DeleteItem", &body)
            .await
            .map(drop)
            .map_err(unavailable)
    }

    async fn increment(
        &self,
        key: &str,
        delta: i64,
        ttl_secs: Option<u32>,
    ) -> Result<i64, KvError> {
        for _ in 0..INCREMENT_ATTEMPTS {
            let now = SystemClock.now_ms();
            match self.try_add(key, delta, now).await {
                Ok(n) => return Ok(n),
                Err(DynamoError::ConditionFailed) => {}
                Err(e) => return Err(unavailable(e)),
            }
            // Missing or expired: create it. Losing that race means another writer created
            // it meanwhile: add to theirs on the next round.
            match self.try_create(key, delta, ttl_secs, now).await {
                Ok(()) => return Ok(delta),
                Err(DynamoError::ConditionFailed) => {}
                Err(e) => return Err(unavailable(e)),
            }
            // Both conditions failed: a live item that is not a counter, or a race.
            if let Some(item) = self.read(key).await.map_err(unavailable)?
                && !item.contains_key("cnt")
            {
                return Err(KvError::Invalid {
                    key: key.to_owned(),
                    reason: "not an integer counter".into(),
                });
            }
        }
        Err(KvError::Unavailable(format!(
            "counter {key} kept changing under {INCREMENT_ATTEMPTS} attempts"
        )))
    }

    async fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &[u8],
        ttl_secs: Option<u32>,
    ) -> Result<bool, KvError> {
        let mut extra = Map::new();
        extra.insert(":now".into(), num(SystemClock.now_ms()));
        let condition = match expected {
            None => "attribute_not_exists(#pk) OR #exp <= :now",
            Some(v) => {
                extra.insert(":expected".into(), num(v));
                "attribute_exists(#pk) AND #ver = :expected \
                 AND (attribute_not_exists(#exp) OR #exp > :now)"
            }
        };
        match self
            .write_value(key, value, ttl_secs, Some((condition, extra)))
            .await
        {
            Ok(()) => Ok(true),
            Err(DynamoError::ConditionFailed) => Ok(false),
            Err(e) => Err(unavailable(e)),
        }
    }
}

impl Kv for Store {
    fn caps(&self) -> KvCaps {
        match self {
            Store::Dynamo(d) => d.caps(),
            Store::Memory(m) => m.caps(),
        }
    }

    async fn get(&self, key: &str) -> Result<Option<Versioned>, KvError> {
        match self {
            Store::Dynamo(d) => d.get(key).await,
            Store::Memory(m) => m.get(key).await,
        }
    }

    async fn put(&self, key: &str, value: &[u8], ttl_secs: Option<u32>) -> Result<(), KvError> {
        match self {
            Store::Dynamo(d) => d.put(key, value, ttl_secs).await,
            Store::Memory(m) => m.put(key, value, ttl_secs).await,
        }
    }

    async fn delete(&self, key: &str) -> Result<(), KvError> {
        match self {
            Store::Dynamo(d) => d.delete(key).await,
            Store::Memory(m) => m.delete(key).await,
        }
    }

    async fn increment(
        &self,
        key: &str,
        delta: i64,
        ttl_secs: Option<u32>,
    ) -> Result<i64, KvError> {
        match self {
            Store::Dynamo(d) => d.increment(key, delta, ttl_secs).await,
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
            Store::Dynamo(d) => d.compare_and_swap(key, expected, value, ttl_secs).await,
            Store::Memory(m) => m.compare_and_swap(key, expected, value, ttl_secs).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_rounds_the_ttl_attribute_up() {
        assert_eq!(expiry(1_500, Some(60)), Some((61_500, 62)));
        assert_eq!(expiry(2_000, Some(1)), Some((3_000, 3)));
        assert_eq!(expiry(2_000, None), None);
    }
}
