//! `/__mock/*`: the journal of received requests, by tag; forgetting; health.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use serde_json::{Value, json};
use support::*;

async fn journal(server: &plano_mock::MockServer, query: &str) -> Vec<Value> {
    let r = client()
        .get(format!("{}/__mock/requests{query}", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap().as_array().unwrap().clone()
}

#[tokio::test]
async fn requests_are_recorded_and_listed_by_tag() {
    let server = mock().await;
    let first = json!({"model": "a-1", "messages": []});
    openai(&server, "/v1/chat/completions?trace=1", &first)
        .header("x-mock-tag", "alpha")
        .send()
        .await
        .unwrap();
    anthropic(&server, &json!({"model": "b", "messages": []}))
        .header("x-mock-tag", "beta")
        .send()
        .await
        .unwrap();
    client()
        .post(format!("{}/v1/chat/completions", server.url()))
        .header("x-mock-tag", "alpha")
        .body("plain text")
        .send()
        .await
        .unwrap();
    // Untagged, and refused: still recorded.
    client()
        .post(format!("{}/v1/messages", server.url()))
        .json(&json!({}))
        .send()
        .await
        .unwrap();

    let alpha = journal(&server, "?tag=alpha").await;
    assert_eq!(alpha.len(), 2);
    assert_eq!(alpha[0]["method"], "POST");
    assert_eq!(alpha[0]["path"], "/v1/chat/completions?trace=1");
    assert_eq!(alpha[0]["body"], first);
    let headers = alpha[0]["headers"].as_array().unwrap();
    assert!(headers.contains(&json!(["x-mock-tag", "alpha"])));
    assert!(headers.contains(&json!(["authorization", "Bearer sk-mock-plano"])));
    assert_eq!(alpha[1]["body"], "plain text");

    let beta = journal(&server, "?tag=beta").await;
    assert_eq!(beta.len(), 1);
    assert_eq!(beta[0]["path"], "/v1/messages");

    let all = journal(&server, "").await;
    assert_eq!(all.len(), 4);
    assert_eq!(all[3]["path"], "/v1/messages");
    assert!(journal(&server, "?tag=gamma").await.is_empty());

    let r = client()
        .delete(format!("{}/__mock/requests", server.url()))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    assert!(journal(&server, "").await.is_empty());
}

#[tokio::test]
async fn the_journal_keeps_the_last_thousand() {
    let server = mock().await;
    for i in 0..1_005 {
        client()
            .post(format!("{}/nowhere/{i}", server.url()))
            .send()
            .await
            .unwrap();
    }
    let all = journal(&server, "").await;
    assert_eq!(all.len(), 1_000);
    assert_eq!(all[0]["path"], "/nowhere/5");
    assert_eq!(all[999]["path"], "/nowhere/1004");
}

#[tokio::test]
async fn health() {
    let server = mock().await;
    let r = client()
        .get(format!("{}/__mock/health", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        journal(&server, "").await.is_empty(),
        "introspection is not recorded"
    );
}
