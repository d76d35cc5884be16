//! In-process handler tests: Function URL events (JSON fixtures in `tests/fixtures`, in the
//! shape Lambda delivers them) through lambda_http's event decoding, the handler and the
//! engine, against the mock provider, with the in-memory store. What the deployed function
//! does per invocation, minus the runtime API and DynamoDB (tests/lambda/run covers those).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::OnceLock;

use http_body_util::BodyExt;
use lambda_http::request::LambdaRequest;
use plano_lambda::engine::Engine;
use plano_lambda::handler::{self, ChannelBody};
use plano_lambda::host;

/// One engine for the test binary, over a mock started on its own runtime thread (the
/// engine's connections must outlive each test's runtime).
fn engine() -> (Engine, usize) {
    static ENGINE: OnceLock<(Engine, usize)> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let rt = tokio::runtime::Runtime::new().unwrap();
                rt.block_on(async move {
                    let mock = plano_mock::start("127.0.0.1:0".parse().unwrap())
                        .await
                        .unwrap();
                    tx.send(mock.url()).unwrap();
                    std::future::pending::<()>().await;
                });
            });
            let mock_url = rx.recv().unwrap();
            let config = plano_conformance::config(&mock_url);
            let lookup = move |name: &str| {
                if name == host::CONFIG_VAR {
                    return Some(config.clone());
                }
                plano_conformance::ENV
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            };
            let app: &'static host::App = Box::leak(Box::new(host::build(&lookup, true).unwrap()));
            (Engine::start(app).unwrap(), app.body_limit)
        })
        .clone()
}

fn event(name: &str) -> lambda_http::Request {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let event: LambdaRequest = serde_json::from_str(&text).unwrap();
    lambda_http::Request::from(event)
}

async fn invoke(name: &str) -> (http::response::Parts, Vec<Vec<u8>>) {
    let (engine, limit) = engine();
    let resp = handler::handle(Ok(engine), limit, event(name))
        .await
        .unwrap();
    let (parts, mut body): (_, ChannelBody) = resp.into_parts();
    let mut chunks = Vec::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.unwrap().into_data() {
            chunks.push(data.to_vec());
        }
    }
    (parts, chunks)
}

fn json(chunks: &[Vec<u8>]) -> serde_json::Value {
    serde_json::from_slice(&chunks.concat()).unwrap()
}

#[tokio::test]
async fn a_chat_event_is_answered_by_the_provider() {
    let (parts, chunks) = invoke("chat.json").await;
    assert_eq!(
        parts.status,
        200,
        "{:?}",
        String::from_utf8_lossy(&chunks.concat())
    );
    let body = json(&chunks);
    assert_eq!(body["object"], "chat.completion");
    assert!(body["choices"][0]["message"]["content"].is_string());
    assert!(
        parts.headers.get("content-length").is_none(),
        "the runtime frames the stream"
    );
}

#[tokio::test]
async fn a_base64_streaming_event_is_relayed_as_server_sent_events() {
    let (parts, chunks) = invoke("messages_stream_base64.json").await;
    assert_eq!(
        parts.status,
        200,
        "{:?}",
        String::from_utf8_lossy(&chunks.concat())
    );
    assert!(
        parts.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let text = String::from_utf8(chunks.concat()).unwrap();
    assert!(text.contains("event: message_start"), "{text}");
    assert!(text.contains("event: message_stop"), "{text}");
    // Relayed as the upstream produced it, not one buffered body.
    assert!(
        chunks.len() > 1,
        "expected several chunks, got {}",
        chunks.len()
    );
}

#[tokio::test]
async fn a_get_event_with_a_query_lists_models() {
    let (parts, chunks) = invoke("models_get.json").await;
    assert_eq!(parts.status, 200);
    let body = json(&chunks);
    assert_eq!(body["object"], "list");
    assert!(body["data"].as_array().is_some_and(|d| !d.is_empty()));
}

#[tokio::test]
async fn a_malformed_body_is_a_400_in_the_clients_shape() {
    let (parts, chunks) = invoke("chat_bad_json.json").await;
    assert_eq!(parts.status, 400);
    let body = json(&chunks);
    assert!(body["error"]["message"].is_string(), "{body}");
    assert!(body["error"]["type"].is_string(), "{body}");
}

#[tokio::test]
async fn a_config_that_does_not_load_answers_500_with_its_diagnostics() {
    let lookup = |name: &str| (name == host::CONFIG_VAR).then(|| "version: [".to_owned());
    let err = host::build(&lookup, true).unwrap_err();
    assert!(err.starts_with("config rejected"), "{err}");
    let resp = handler::handle(Err(err.as_str().into()), 0, event("chat.json"))
        .await
        .unwrap();
    assert_eq!(resp.status(), 500);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&body).contains("config rejected"));
}
