//! The redb `file` state backend: persistence, TTLs, compare-and-swap, exact increments; and
// Helpers outside `#[test]` functions get the same allowances as the tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::disallowed_methods
)]
//! the server keeping Responses state across a restart.

mod common;

use std::time::Duration;

use common::*;
use plano::file_kv::FileKv;
use plano_core::kv::{Kv, KvError};
use plano_core::time::ManualClock;

#[tokio::test(flavor = "multi_thread")]
async fn survives_reopen() {
    let dir = TempDir::new("kv");
    let path = dir.0.join("state.db");
    {
        let kv = FileKv::open(&path).unwrap();
        kv.put("resp:a", b"hello", Some(3600)).await.unwrap();
        kv.put("gone", b"x", None).await.unwrap();
        kv.delete("gone").await.unwrap();
        assert_eq!(kv.increment("rl:k", 5, Some(3600)).await.unwrap(), 5);
    }
    let kv = FileKv::open(&path).unwrap();
    assert_eq!(kv.get("resp:a").await.unwrap().unwrap().value, b"hello");
    assert_eq!(kv.get("gone").await.unwrap(), None);
    assert_eq!(kv.increment("rl:k", 2, Some(3600)).await.unwrap(), 7);
}

#[tokio::test(flavor = "multi_thread")]
async fn ttl_expiry_and_sweep() {
    let dir = TempDir::new("kv");
    let clock: &'static ManualClock = Box::leak(Box::new(ManualClock::new(1_000_000)));
    let kv = FileKv::open_with_clock(&dir.0.join("s.db"), clock).unwrap();
    kv.put("short", b"v", Some(10)).await.unwrap();
    kv.put("long", b"v", None).await.unwrap();
    assert_eq!(kv.increment("c", 1, Some(10)).await.unwrap(), 1);
    clock.advance(9_000);
    assert!(kv.get("short").await.unwrap().is_some());
    clock.advance(1_000);
    assert_eq!(kv.get("short").await.unwrap(), None, "expired at its TTL");
    assert_eq!(
        kv.increment("c", 1, Some(10)).await.unwrap(),
        1,
        "expired counter restarts"
    );
    assert!(kv.get("long").await.unwrap().is_some());
    assert_eq!(kv.sweep().unwrap(), 1, "only `short` is expired and swept");
}

#[tokio::test(flavor = "multi_thread")]
async fn compare_and_swap_conflicts() {
    let dir = TempDir::new("kv");
    let kv = FileKv::open(&dir.0.join("s.db")).unwrap();
    assert!(kv.compare_and_swap("k", None, b"a", None).await.unwrap());
    assert!(
        !kv.compare_and_swap("k", None, b"b", None).await.unwrap(),
        "must be absent"
    );
    let v = kv.get("k").await.unwrap().unwrap();
    assert!(
        kv.compare_and_swap("k", Some(v.version), b"b", None)
            .await
            .unwrap()
    );
    assert!(
        !kv.compare_and_swap("k", Some(v.version), b"c", None)
            .await
            .unwrap(),
        "stale"
    );
    assert_eq!(kv.get("k").await.unwrap().unwrap().value, b"b");
    // A key deleted and written again never reuses a version.
    let v2 = kv.get("k").await.unwrap().unwrap().version;
    kv.delete("k").await.unwrap();
    kv.put("k", b"d", None).await.unwrap();
    assert_ne!(kv.get("k").await.unwrap().unwrap().version, v2);
    kv.put("s", b"text", None).await.unwrap();
    assert!(matches!(
        kv.increment("s", 1, None).await,
        Err(KvError::Invalid { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_increments_are_exact() {
    let dir = TempDir::new("kv");
    let kv = FileKv::open(&dir.0.join("s.db")).unwrap();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let kv = kv.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..50 {
                kv.increment("n", 1, Some(60)).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(kv.get("n").await.unwrap().unwrap().value, b"400");
}

/// A Responses turn answered by Anthropic is stored by the gateway; after a restart on the
/// same state file, `previous_response_id` still expands.
#[tokio::test(flavor = "multi_thread")]
async fn responses_state_survives_a_server_restart() {
    let up = Upstream::start(Duration::ZERO).await;
    let dir = TempDir::new("state");
    let db = dir.0.join("state.db");
    let extra = format!(
        "gateway:\n  state:\n    native:\n      backend: file\n      path: {}\n",
        db.display()
    );
    let yaml = config(&up.url, &extra);
    let turn = |prev: Option<String>| {
        let mut body = serde_json::json!({"model": "claude-sonnet-4-5", "input": "hello"});
        if let Some(p) = prev {
            body["previous_response_id"] = p.into();
        }
        body
    };
    let gw = Gateway::with_config(&yaml, &keys()).await;
    let r = client()
        .post(format!("{}/v1/responses", gw.url))
        .json(&turn(None))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let first: serde_json::Value = r.json().await.unwrap();
    let id = first["id"].as_str().unwrap().to_owned();
    let (status, err) = gw.stop().await;
    assert!(status.success(), "{err}");

    let gw = Gateway::with_config(&yaml, &keys()).await;
    let r = client()
        .post(format!("{}/v1/responses", gw.url))
        .json(&turn(Some(id.clone())))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, 200, "{body}");
    let reqs = up.requests();
    let second = reqs.last().unwrap().json();
    let messages = second["messages"].as_array().unwrap();
    assert!(
        messages.len() >= 3,
        "the earlier turn was expanded from the state file: {second}"
    );
    let r = client()
        .get(format!("{}/v1/responses/{id}", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// A session pinned by preference routing (config-level routes, the mock as the router)
/// keeps its model across a restart on the same state file, without a second router call.
#[tokio::test(flavor = "multi_thread")]
async fn routing_pin_survives_a_server_restart() {
    let mock = plano_mock::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let dir = TempDir::new("pin");
    let db = dir.0.join("state.db");
    let extra = format!(
        "  - name: router\n    model: openai/arch-router\n    access_key: $TEST_OPENAI_KEY\n    base_url: {url}\n\
overrides:\n  llm_routing_model: router\n\
routing_preferences:\n  - name: code_generation\n    description: writing code\n    models: [anthropic/claude-sonnet-4-5]\n  - name: poetry\n    description: poems\n    models: [openai/gpt-4o-mini]\n\
gateway:\n  state:\n    native:\n      backend: file\n      path: {db}\n",
        url = mock.url(),
        db = db.display()
    );
    let yaml = config(&mock.url(), &extra);
    let env = [
        ("TEST_OPENAI_KEY", "sk-mock-pin"),
        ("TEST_ANTHROPIC_KEY", "sk-ant-mock-pin"),
    ];
    let ask = |gw_url: String, text: &'static str| async move {
        let r = client()
            .post(format!("{gw_url}/v1/chat/completions"))
            .header("x-model-affinity", "session-42")
            .json(&serde_json::json!({
                "model": "gpt-4o-mini",
                "messages": [{"role": "user", "content": text}]
            }))
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body = r.text().await.unwrap();
        assert_eq!(status, 200, "{body}");
    };
    let journal = || async {
        let list: Vec<serde_json::Value> = client()
            .get(format!("{}/__mock/requests", mock.url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let router = list
            .iter()
            .filter(|r| r["body"]["model"] == "arch-router")
            .count();
        let last = list
            .iter()
            .rev()
            .find(|r| r["body"]["model"] != "arch-router")
            .map(|r| r["path"].as_str().unwrap().to_owned());
        (router, last)
    };

    let gw = Gateway::with_config(&yaml, &env).await;
    ask(gw.url.clone(), "code_generation: a tokenizer please").await;
    let (router_calls, last) = journal().await;
    assert_eq!(router_calls, 1);
    assert_eq!(last.as_deref(), Some("/v1/messages"), "routed to Anthropic");
    let (status, err) = gw.stop().await;
    assert!(status.success(), "{err}");

    let gw = Gateway::with_config(&yaml, &env).await;
    // This turn alone would route to `poetry` (OpenAI); the pin from before the restart wins.
    ask(gw.url.clone(), "poetry now").await;
    let (router_calls, last) = journal().await;
    assert_eq!(router_calls, 1, "the pinned turn skipped the router");
    assert_eq!(
        last.as_deref(),
        Some("/v1/messages"),
        "still the pinned model"
    );
    // Another session is routed afresh, to the poetry route's model.
    let r = client()
        .post(format!("{}/v1/chat/completions", gw.url))
        .header("x-model-affinity", "session-43")
        .json(&serde_json::json!({
            "model": "claude-sonnet-4-5",
            "messages": [{"role": "user", "content": "poetry now"}]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.bytes().await.unwrap();
    let (router_calls, last) = journal().await;
    assert_eq!(router_calls, 2);
    assert_eq!(last.as_deref(), Some("/v1/chat/completions"));
    // The decisions are in the metrics (records are taken when bodies end: a moment).
    tokio::time::sleep(Duration::from_millis(100)).await;
    let text = client()
        .get(format!("{}/metrics", gw.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for needle in [
        r#"plano_routing_decisions_total{route="code_generation",source="pinned"} 1"#,
        r#"plano_routing_decisions_total{route="poetry",source="router"} 1"#,
        "plano_router_duration_seconds_count 1",
        r#"plano_router_duration_seconds_bucket{le="+Inf"} 1"#,
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
}
