//! The DynamoDB store against a real DynamoDB API: moto's server, which tests/lambda/run
//! starts and names in `PLANO_TEST_DYNAMODB_ENDPOINT` (with the table in
//! `PLANO_TEST_DYNAMODB_TABLE`). Without the variable the tests say so and do nothing (a
//! plain `cargo test` has no emulator); tests/lambda/run always sets it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::time::Duration;

use plano_core::config::Secret;
use plano_core::kv::{Kv, KvError};
use plano_core::upstream::AwsCredentials;
use plano_lambda::client::HttpsClient;
use plano_lambda::dynamo::Dynamo;
use plano_lambda::entropy::{OsEntropy, hex};
use plano_lambda::store::DynamoKv;
use serde_json::json;

fn store() -> Option<&'static DynamoKv> {
    #[allow(clippy::disallowed_methods)]
    let Ok(endpoint) = std::env::var("PLANO_TEST_DYNAMODB_ENDPOINT") else {
        eprintln!("skipped: PLANO_TEST_DYNAMODB_ENDPOINT is not set (tests/lambda/run sets it)");
        return None;
    };
    #[allow(clippy::disallowed_methods)]
    let table = std::env::var("PLANO_TEST_DYNAMODB_TABLE").unwrap_or_else(|_| "plano-state".into());
    let creds = AwsCredentials::new("AKIDMOCKPLANO", Secret::literal("mock-aws-secret"));
    let db = Dynamo::new(
        HttpsClient::new(Duration::from_secs(2), plano_lambda::client::POOL),
        "us-east-1".into(),
        Some(endpoint),
        creds,
        Duration::from_secs(5),
    );
    Some(Box::leak(Box::new(DynamoKv::new(db, table))))
}

/// A key no other test (or run) uses.
fn key(prefix: &str) -> String {
    format!("{prefix}test-{}", hex(&OsEntropy::id::<8>()))
}

#[tokio::test]
async fn values_round_trip_and_every_write_changes_the_version() {
    let Some(kv) = store() else { return };
    let k = key("resp:");
    assert_eq!(kv.get(&k).await.unwrap(), None);
    kv.put(&k, b"\x00binary\xff", Some(600)).await.unwrap();
    let a = kv.get(&k).await.unwrap().unwrap();
    assert_eq!(a.value, b"\x00binary\xff");
    kv.put(&k, b"second", None).await.unwrap();
    let b = kv.get(&k).await.unwrap().unwrap();
    assert_eq!(b.value, b"second");
    assert_ne!(a.version, b.version);
    kv.delete(&k).await.unwrap();
    assert_eq!(kv.get(&k).await.unwrap(), None);
    kv.delete(&k).await.unwrap();
}

#[tokio::test]
async fn expired_items_read_as_absent_while_dynamodb_still_holds_them() {
    let Some(kv) = store() else { return };
    let k = key("resp:");
    kv.put(&k, b"short-lived", Some(1)).await.unwrap();
    assert!(kv.get(&k).await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(kv.get(&k).await.unwrap(), None, "expired: absent");
    // DynamoDB (and moto) delete lazily: the item is still there.
    let raw = kv
        .db()
        .call(
            "GetItem",
            &json!({ "TableName": table(), "Key": { "pk": { "S": k } }, "ConsistentRead": true }),
        )
        .await
        .unwrap();
    assert!(
        raw.get("Item").is_some(),
        "the expired item is still stored: {raw}"
    );
    // Create-only writes and counters treat it as absent too.
    assert!(
        kv.compare_and_swap(&k, None, b"fresh", Some(60))
            .await
            .unwrap()
    );
    assert_eq!(kv.get(&k).await.unwrap().unwrap().value, b"fresh");
}

fn table() -> String {
    #[allow(clippy::disallowed_methods)]
    std::env::var("PLANO_TEST_DYNAMODB_TABLE").unwrap_or_else(|_| "plano-state".into())
}

#[tokio::test]
async fn counters_add_expire_and_refuse_values() {
    let Some(kv) = store() else { return };
    let k = key("rl:");
    assert_eq!(kv.increment(&k, 5, Some(1)).await.unwrap(), 5);
    assert_eq!(kv.increment(&k, -2, Some(600)).await.unwrap(), 3);
    assert_eq!(kv.get(&k).await.unwrap().unwrap().value, b"3");
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    // The first write's TTL (1 s) decides: expired, so the count starts over.
    assert_eq!(kv.increment(&k, 7, Some(600)).await.unwrap(), 7);

    let v = key("resp:");
    kv.put(&v, b"not a counter", None).await.unwrap();
    assert!(matches!(
        kv.increment(&v, 1, None).await,
        Err(KvError::Invalid { .. })
    ));
}

#[tokio::test]
async fn compare_and_swap_names_the_current_version() {
    let Some(kv) = store() else { return };
    let k = key("pin:");
    assert!(kv.compare_and_swap(&k, None, b"a", None).await.unwrap());
    assert!(
        !kv.compare_and_swap(&k, None, b"b", None).await.unwrap(),
        "must be absent"
    );
    let v = kv.get(&k).await.unwrap().unwrap();
    assert!(
        kv.compare_and_swap(&k, Some(v.version), b"b", None)
            .await
            .unwrap()
    );
    assert!(
        !kv.compare_and_swap(&k, Some(v.version), b"c", None)
            .await
            .unwrap(),
        "stale"
    );
    assert_eq!(kv.get(&k).await.unwrap().unwrap().value, b"b");
}

#[tokio::test(flavor = "current_thread")]
async fn concurrent_increments_lose_nothing() {
    let Some(kv) = store() else { return };
    let k: &'static str = Box::leak(key("rl:").into_boxed_str());
    let local = tokio::task::LocalSet::new();
    let mut tasks = Vec::new();
    for _ in 0..64 {
        tasks.push(local.spawn_local(async move { kv.increment(k, 1, Some(600)).await.unwrap() }));
    }
    local.await;
    let mut seen = Vec::new();
    for t in tasks {
        seen.push(t.await.unwrap());
    }
    seen.sort_unstable();
    assert_eq!(
        seen,
        (1..=64).collect::<Vec<i64>>(),
        "each increment saw its own total"
    );
    assert_eq!(kv.get(k).await.unwrap().unwrap().value, b"64");
}
