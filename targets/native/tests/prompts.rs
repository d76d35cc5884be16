//! The prompt listener end to end: `plano serve` with prompt targets, the mock provider as
//! the function-calling model and the LLM, and a developer API on 127.0.0.1: the weather flow
//! (ask → clarify the missing city → call the API → the LLM answers with its data), direct
//! API answers, a failing API, and the model listener unaffected.
// Helpers outside `#[test]` functions get the same allowances as the tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::disallowed_methods
)]

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A developer API: answers `GET /weather/{city}` with JSON naming the city, `/broken` with
/// a 500, and records every request line.
struct DevApi {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl DevApi {
    async fn start() -> DevApi {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let log = Arc::clone(&log);
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 8192];
                    let n = s.read(&mut buf).await.unwrap_or(0);
                    let head = String::from_utf8_lossy(&buf[..n]).to_string();
                    let line = head.lines().next().unwrap_or("").to_owned();
                    log.lock().unwrap().push(head.clone());
                    let (status, body) = if line.contains("/broken") {
                        (
                            "500 Internal Server Error",
                            "{\"error\":\"down\"}".to_owned(),
                        )
                    } else {
                        let path = line.split(' ').nth(1).unwrap_or("");
                        (
                            "200 OK",
                            json!({"path": path, "temp_c": 12, "sky": "rain"}).to_string(),
                        )
                    };
                    let resp = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = s.write_all(resp.as_bytes()).await;
                });
            }
        });
        DevApi { url, seen }
    }
}

fn config(mock: &str, api: &str) -> String {
    let api = api.trim_start_matches("http://");
    format!(
        "version: v0.4.0
listeners:
  - type: model
    name: llm
    port: 12000
  - type: prompt
    name: prompts
    port: 10000
model_providers:
  - model: openai/gpt-4o-mini
    access_key: $TEST_OPENAI_KEY
    base_url: {mock}
    default: true
  - name: fc
    model: openai/arch-function
    access_key: $TEST_OPENAI_KEY
    base_url: {mock}
overrides:
  function_calling_model: fc
system_prompt: You are a weather assistant.
endpoints:
  weather_api:
    endpoint: {api}
prompt_targets:
  - name: get_weather
    description: Current weather for a city
    parameters:
      - name: city
        description: the city
        type: str
        required: true
    endpoint:
      name: weather_api
      path: /weather/{{city}}
      http_headers:
        x-api-key: $WEATHER_KEY
  - name: raw_weather
    description: Raw weather data
    auto_llm_dispatch_on_response: false
    parameters:
      - name: city
        description: the city
        type: str
        required: true
    endpoint:
      name: weather_api
      path: /weather/{{city}}
  - name: broken_api
    description: Always fails
    endpoint:
      name: weather_api
      path: /broken
"
    )
}

async fn chat(url: &str, messages: Value) -> (u16, Value) {
    let r = client()
        .post(format!("{url}/v1/chat/completions"))
        .json(&json!({"model": "gpt-4o-mini", "messages": messages}))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

async fn mock_requests(mock: &str) -> Vec<Value> {
    client()
        .get(format!("{mock}/__mock/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_weather_flow_through_the_prompt_listener() {
    let mock = plano_mock::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let api = DevApi::start().await;
    let dir = TempDir::new("prompts");
    let path = dir.file("plano.yaml", &config(&mock.url(), &api.url));
    let env = [
        ("TEST_OPENAI_KEY", "sk-mock-prompts"),
        ("WEATHER_KEY", "wk-123"),
    ];
    let gw = Gateway::spawn(
        &[
            "serve",
            "--config",
            path.to_str().unwrap(),
            "--port",
            "0",
            "--prompt-port",
            "0",
        ],
        &env,
        dir,
    )
    .await;
    let prompt = gw
        .prompt_url
        .clone()
        .expect("the prompt listener is served");

    // Turn 1: the target is named, the city is not: a clarifying question, no API call.
    let first = json!([{"role": "user", "content": "get_weather please"}]);
    let (status, body) = chat(&prompt, first).await;
    assert_eq!(status, 200, "{body}");
    let question = body["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(question, "Could you tell me the city?");
    assert!(api.seen.lock().unwrap().is_empty());

    // Turn 2: the city: the API is called and the LLM answers with its data.
    let second = json!([
        {"role": "user", "content": "get_weather please"},
        {"role": "assistant", "content": question},
        {"role": "user", "content": "city=Seattle"},
    ]);
    let (status, body) = chat(&prompt, second).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["choices"][0]["message"]["content"].is_string());
    let seen = api.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert!(
        seen[0].starts_with("GET /weather/Seattle HTTP/1.1"),
        "{}",
        seen[0]
    );
    assert!(seen[0].to_ascii_lowercase().contains("x-api-key: wk-123"));
    let reqs = mock_requests(&mock.url()).await;
    let llm = reqs
        .iter()
        .rev()
        .find(|r| r["body"]["model"] == "gpt-4o-mini")
        .unwrap();
    let msgs = llm["body"]["messages"].as_array().unwrap();
    assert_eq!(msgs[0]["content"], "You are a weather assistant.");
    assert_eq!(msgs[msgs.len() - 1]["role"], "tool");
    assert!(
        msgs[msgs.len() - 1]["content"]
            .to_string()
            .contains("temp_c")
    );

    // Direct API answers, and a failing API as a 502 in the client's shape.
    let (status, body) = chat(
        &prompt,
        json!([{"role": "user", "content": "raw_weather city=Oslo"}]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let text = body["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(text.contains("/weather/Oslo"), "{text}");
    let (status, body) = chat(
        &prompt,
        json!([{"role": "user", "content": "broken_api now"}]),
    )
    .await;
    assert_eq!(status, 502, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("broken_api")
    );

    // The model listener is an ordinary LLM proxy: no function calling there.
    let before = mock_requests(&mock.url()).await.len();
    let (status, _) = chat(
        &gw.url,
        json!([{"role": "user", "content": "get_weather please"}]),
    )
    .await;
    assert_eq!(status, 200);
    let after = mock_requests(&mock.url()).await;
    assert_eq!(after.len(), before + 1);
    assert_eq!(after.last().unwrap()["body"]["model"], "gpt-4o-mini");
}
