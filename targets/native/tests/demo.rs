//! `plano demo`: the README's first command serves real translated traffic from the bundled
//! mock, with nothing in the environment.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::disallowed_methods
)]

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn demo_serves_every_family_offline() {
    let gw = Gateway::spawn(&["demo", "--port", "0"], &[], TempDir::new("demo")).await;
    let http = client();
    // OpenAI Chat client, Anthropic upstream (through the `smart` alias).
    let resp = http
        .post(format!("{}/v1/chat/completions", gw.url))
        .json(
            &serde_json::json!({"model": "smart", "messages": [{"role": "user", "content": "Hi"}]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["object"], "chat.completion");
    assert!(
        v["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .len()
            > 1
    );
    assert_eq!(v["model"], "claude-sonnet-4-5");
    // Anthropic client to the Gemini and Bedrock upstreams.
    for model in ["gemini-2.5-flash", "amazon.nova-pro-v1:0"] {
        let resp = http
            .post(format!("{}/v1/messages", gw.url))
            .header("anthropic-version", "2023-06-01")
            .json(&serde_json::json!({"model": model, "max_tokens": 64, "messages": [{"role": "user", "content": "Hi"}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{model}");
        let v: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(v["type"], "message", "{model}: {v}");
        assert_eq!(v["content"][0]["type"], "text", "{model}: {v}");
    }
    let (status, _) = gw.stop().await;
    assert!(status.success());
}
