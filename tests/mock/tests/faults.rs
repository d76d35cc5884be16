//! `x-mock-fault`: each mode, on streaming and non-streaming answers.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
// Measuring the injected delay needs the clock.
#![allow(clippy::disallowed_methods)]

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::*;

fn chat(stream: bool) -> Value {
    json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}], "stream": stream})
}

#[tokio::test]
async fn delay_holds_the_head() {
    let server = mock().await;
    let started = Instant::now();
    let r = openai(&server, "/v1/chat/completions", &chat(false))
        .header("x-mock-fault", "delay=300")
        .send()
        .await
        .unwrap();
    let waited = started.elapsed();
    assert_eq!(r.status(), 200);
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
}

#[tokio::test]
async fn status_answers_the_providers_own_error() {
    let server = mock().await;
    let fault = "status=429;retry-after=7";

    let r = openai(&server, "/v1/chat/completions", &chat(true))
        .header("x-mock-fault", fault)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "7");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body, fixture_json("openai_chat/errors/rate_limit.429.json"));

    let r = anthropic(&server, &json!({"model": "c", "messages": []}))
        .header("x-mock-fault", fault)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body,
        fixture_json("anthropic_messages/errors/rate_limit.429.json")
    );

    let r = gemini(&server, "g", "generateContent")
        .header("x-mock-fault", "status=503")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert!(!r.headers().contains_key("retry-after"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["status"], "UNAVAILABLE");

    let r = bedrock(&server, "m", "converse-stream")
        .header("x-mock-fault", fault)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "7");
    assert!(
        r.headers()["x-amzn-errortype"]
            .to_str()
            .unwrap()
            .starts_with("ThrottlingException:")
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body,
        fixture_json("bedrock_converse/errors/throttling.429.json")
    );

    // A status without a recorded body gets one in the API's shape.
    let r = anthropic(&server, &json!({"model": "c", "messages": []}))
        .header("x-mock-fault", "status=502")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "api_error");
}

#[tokio::test]
async fn reset_after_aborts_the_body() {
    let server = mock().await;
    let r = openai(&server, "/v1/chat/completions", &chat(true))
        .header("x-mock-fault", "reset-after=2")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (received, error) = read_body(r).await;
    assert!(error.is_some(), "the body must end in an error");
    assert_eq!(sse_events(&received).len(), 2);

    // Non-streaming: half the body under a content-length for all of it.
    let whole = openai(&server, "/v1/chat/completions", &chat(false))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let r = openai(&server, "/v1/chat/completions", &chat(false))
        .header("x-mock-fault", "reset-after=0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.content_length(), Some(whole.len() as u64));
    let (received, error) = read_body(r).await;
    assert!(error.is_some());
    // Each answer has its own id, of the same length.
    assert_eq!(without_id(&received), without_id(&whole[..whole.len() / 2]));

    // Bedrock: whole frames, then the abort.
    let r = bedrock(&server, "m", "converse-stream")
        .header("x-mock-fault", "reset-after=3")
        .send()
        .await
        .unwrap();
    let (received, error) = read_body(r).await;
    assert!(error.is_some());
    assert_eq!(eventstream_frames(&received).len(), 3);
}

#[tokio::test]
async fn stall_after_holds_the_connection_open() {
    let server = mock().await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let r = client
        .post(format!("{}/v1/messages", server.url()))
        .header("x-api-key", plano_mock::keys::ANTHROPIC_KEY)
        .header("anthropic-version", "2023-06-01")
        .header("x-mock-fault", "stall-after=1")
        .json(&json!({"model": "c", "messages": [], "stream": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (received, error) = read_body(r).await;
    let error = error.expect("the body must not end");
    assert!(error.is_timeout(), "{error:?}");
    let events = sse_events(&received);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event.as_deref(), Some("message_start"));

    // A stalled body does not hold up shutdown.
    let stalled = openai(&server, "/v1/chat/completions", &chat(true))
        .header("x-mock-fault", "stall-after=0")
        .send()
        .await
        .unwrap();
    let reader = tokio::spawn(read_body(stalled));
    tokio::time::timeout(Duration::from_secs(5), server.shutdown())
        .await
        .expect("shutdown waited for the stalled body");
    let (_, error) = reader.await.unwrap();
    assert!(error.is_some());
}

#[tokio::test]
async fn malformed_is_not_the_apis_json() {
    let server = mock().await;
    let r = openai(&server, "/v1/chat/completions", &chat(false))
        .header("x-mock-fault", "malformed")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body = r.bytes().await.unwrap();
    assert!(!body.is_empty());
    assert!(serde_json::from_slice::<Value>(&body).is_err());

    let r = openai(&server, "/v1/chat/completions", &chat(true))
        .header("x-mock-fault", "malformed")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let events = sse_events(&r.bytes().await.unwrap());
    assert!(serde_json::from_str::<Value>(&events[0].data).is_ok());
    let last = events.last().unwrap();
    assert!(serde_json::from_str::<Value>(&last.data).is_err());

    let r = bedrock(&server, "m", "converse-stream")
        .header("x-mock-fault", "malformed")
        .send()
        .await
        .unwrap();
    let frames = eventstream_frames(&r.bytes().await.unwrap());
    assert_eq!(frames.len(), 2);
    assert!(serde_json::from_slice::<Value>(&frames[1].payload).is_err());
}

#[tokio::test]
async fn truncate_after_ends_cleanly_without_the_terminal_event() {
    let server = mock().await;
    let r = openai(&server, "/v1/chat/completions", &chat(true))
        .header("x-mock-fault", "truncate-after=3")
        .send()
        .await
        .unwrap();
    let (received, error) = read_body(r).await;
    assert!(error.is_none(), "{error:?}");
    let events = sse_events(&received);
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|e| e.data != "[DONE]"));

    // More than there are: everything but the terminal event.
    let r = anthropic(
        &server,
        &json!({"model": "c", "messages": [], "stream": true}),
    )
    .header("x-mock-fault", "truncate-after=100")
    .send()
    .await
    .unwrap();
    let (received, error) = read_body(r).await;
    assert!(error.is_none());
    let events = sse_events(&received);
    let all = sse_events(&fixture("anthropic_messages/streams/text.sse"));
    assert_eq!(events.len(), all.len() - 1);
    assert!(
        events
            .iter()
            .all(|e| e.event.as_deref() != Some("message_stop"))
    );
}

#[tokio::test]
async fn times_limits_the_fault_per_tag() {
    let server = mock().await;
    let send = |tag: &'static str| {
        openai(&server, "/v1/chat/completions", &chat(false))
            .header("x-mock-fault", "status=503;times=1")
            .header("x-mock-tag", tag)
            .send()
    };
    assert_eq!(send("retry-a").await.unwrap().status(), 503);
    assert_eq!(send("retry-a").await.unwrap().status(), 200);
    assert_eq!(send("retry-a").await.unwrap().status(), 200);
    assert_eq!(send("retry-b").await.unwrap().status(), 503);
    assert_eq!(send("retry-b").await.unwrap().status(), 200);
}

#[tokio::test]
async fn an_unknown_fault_is_the_callers_mistake() {
    let server = mock().await;
    let r = openai(&server, "/v1/chat/completions", &chat(false))
        .header("x-mock-fault", "explode=1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["type"], "mock_error");
}

/// `bytes` with the answer id after `"chatcmpl-` blanked.
fn without_id(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let at = out
        .windows(10)
        .position(|w| w == b"\"chatcmpl-")
        .expect("an id");
    for b in out.iter_mut().skip(at + 10).take_while(|b| **b != b'"') {
        *b = b'x';
    }
    out
}
