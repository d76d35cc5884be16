//! The non-streaming and the streaming answer of one scenario agree, as a real provider's do
//! for one generation: the same usage (every field, in the API's own shape) and, for `text`,
//! the same text. Every answer has an id of its own, repeated wherever its stream repeats it.
//!
//! The usage is read back the way a client reads it: Chat's usage chunk, Responses'
//! terminal `response`, Anthropic's `message_start` usage updated by `message_delta`,
//! Gemini's last chunk, Bedrock's `metadata` frame.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::collections::HashSet;

use plano_mock::MockServer;
use serde_json::{Map, Value, json};
use support::*;

/// Every scenario with both a non-streaming and a streaming answer (`error` only streams).
const SCENARIOS: [&str; 10] = [
    "text",
    "tools",
    "parallel_tools",
    "thinking",
    "cache_usage",
    "max_tokens",
    "refusal",
    "stop_sequence",
    "capture_text",
    "capture_tools",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    Chat,
    Responses,
    Messages,
    Gemini,
    Converse,
}

const APIS: [Api; 5] = [
    Api::Chat,
    Api::Responses,
    Api::Messages,
    Api::Gemini,
    Api::Converse,
];

/// What one answer says.
#[derive(Debug, Default)]
struct Said {
    usage: Option<Value>,
    text: String,
    /// Every answer id the answer carries (a stream repeats its id).
    ids: Vec<String>,
}

async fn ask(server: &MockServer, api: Api, scenario: &str, stream: bool) -> Vec<u8> {
    let request = match api {
        Api::Chat => openai(
            server,
            "/v1/chat/completions",
            &json!({"model": "m", "messages": [], "stream": stream}),
        ),
        Api::Responses => openai(
            server,
            "/v1/responses",
            &json!({"model": "m", "input": "Hi", "stream": stream}),
        ),
        Api::Messages => anthropic(
            server,
            &json!({"model": "m", "max_tokens": 9, "messages": [], "stream": stream}),
        ),
        Api::Gemini if stream => gemini(server, "g", "streamGenerateContent?alt=sse"),
        Api::Gemini => gemini(server, "g", "generateContent"),
        Api::Converse if stream => bedrock(server, "b", "converse-stream"),
        Api::Converse => bedrock(server, "b", "converse"),
    };
    let r = request
        .header("x-mock-scenario", scenario)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{api:?} {scenario}");
    r.bytes().await.unwrap().to_vec()
}

/// A non-streaming body: its usage, its text (when it has exactly one) and its id.
fn parse_body(api: Api, body: &[u8]) -> Said {
    let v: Value = serde_json::from_slice(body).unwrap();
    let key = if api == Api::Gemini {
        "usageMetadata"
    } else {
        "usage"
    };
    let texts: Vec<&str> = match api {
        Api::Chat => v["choices"][0]["message"]["content"]
            .as_str()
            .into_iter()
            .collect(),
        Api::Responses => v["output"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|i| i["type"] == "message")
            .flat_map(|i| i["content"].as_array().into_iter().flatten())
            .filter(|c| c["type"] == "output_text")
            .filter_map(|c| c["text"].as_str())
            .collect(),
        Api::Messages => v["content"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|b| b["type"] == "text")
            .filter_map(|b| b["text"].as_str())
            .collect(),
        Api::Gemini => v["candidates"][0]["content"]["parts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["thought"] != true)
            .filter_map(|p| p["text"].as_str())
            .collect(),
        Api::Converse => v["output"]["message"]["content"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|b| b["text"].as_str())
            .collect(),
    };
    Said {
        usage: v.get(key).cloned(),
        text: if texts.len() == 1 {
            texts[0].to_owned()
        } else {
            String::new()
        },
        ids: answer_id(&v).map(str::to_owned).into_iter().collect(),
    }
}

/// A stream, read as a client reads it.
fn parse_stream(api: Api, body: &[u8]) -> Said {
    let events: Vec<Value> = if api == Api::Converse {
        eventstream_frames(body)
            .iter()
            .map(|f| serde_json::from_slice(&f.payload).unwrap())
            .collect()
    } else {
        sse_events(body)
            .iter()
            .filter(|e| e.data != "[DONE]")
            .map(|e| serde_json::from_str(&e.data).unwrap())
            .collect()
    };
    let mut said = Said::default();
    for e in &events {
        if let Some(id) = answer_id(e) {
            said.ids.push(id.to_owned());
        }
        match api {
            Api::Chat => {
                if e["usage"].is_object() {
                    said.usage = Some(e["usage"].clone());
                }
                if let Some(t) = e["choices"][0]["delta"]["content"].as_str() {
                    said.text.push_str(t);
                }
            }
            Api::Responses => {
                if e["response"]["usage"].is_object() {
                    said.usage = Some(e["response"]["usage"].clone());
                }
                if e["type"] == "response.output_text.delta" {
                    said.text.push_str(e["delta"].as_str().unwrap());
                }
            }
            Api::Messages => {
                let usage = match e["type"].as_str() {
                    Some("message_start") => &e["message"]["usage"],
                    Some("message_delta") => &e["usage"],
                    _ => &Value::Null,
                };
                if let Value::Object(fields) = usage {
                    let so_far = said.usage.get_or_insert_with(|| Value::Object(Map::new()));
                    let so_far = so_far.as_object_mut().unwrap();
                    so_far.extend(fields.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
                if e["delta"]["type"] == "text_delta" {
                    said.text.push_str(e["delta"]["text"].as_str().unwrap());
                }
            }
            Api::Gemini => {
                if e["usageMetadata"].is_object() {
                    said.usage = Some(e["usageMetadata"].clone());
                }
                for part in e["candidates"][0]["content"]["parts"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    if part["thought"] != true
                        && let Some(t) = part["text"].as_str()
                    {
                        said.text.push_str(t);
                    }
                }
            }
            Api::Converse => {
                if e["usage"].is_object() {
                    said.usage = Some(e["usage"].clone());
                }
                if let Some(t) = e["delta"]["text"].as_str() {
                    said.text.push_str(t);
                }
            }
        }
    }
    said
}

#[tokio::test]
async fn streamed_and_non_streamed_usage_agree_for_every_api_and_scenario() {
    let server = mock().await;
    for api in APIS {
        for scenario in SCENARIOS {
            let body = parse_body(api, &ask(&server, api, scenario, false).await);
            let stream = parse_stream(api, &ask(&server, api, scenario, true).await);
            let usage = body.usage.as_ref();
            assert!(usage.is_some(), "{api:?} {scenario}: no usage in the body");
            assert_eq!(usage, stream.usage.as_ref(), "{api:?} {scenario}: usage");
            if scenario == "text" {
                assert!(!body.text.is_empty(), "{api:?}: no text");
                assert_eq!(body.text, stream.text, "{api:?}: text");
            }
        }
    }
}

#[tokio::test]
async fn every_answer_has_an_id_of_its_own() {
    let server = mock().await;
    let mut seen = HashSet::new();
    for api in [Api::Chat, Api::Responses, Api::Messages, Api::Gemini] {
        let want_prefix = match api {
            Api::Chat => "chatcmpl-",
            Api::Responses => "resp_",
            Api::Messages => "msg_",
            _ => "",
        };
        for scenario in ["text", "tools"] {
            for stream in [false, true] {
                for _ in 0..2 {
                    let bytes = ask(&server, api, scenario, stream).await;
                    let said = if stream {
                        parse_stream(api, &bytes)
                    } else {
                        parse_body(api, &bytes)
                    };
                    let id = said
                        .ids
                        .first()
                        .unwrap_or_else(|| panic!("{api:?} {scenario}: no id"));
                    assert!(
                        said.ids.iter().all(|i| i == id),
                        "{api:?} {scenario}: a stream with several ids {:?}",
                        said.ids
                    );
                    assert!(id.starts_with(want_prefix), "{api:?}: {id}");
                    assert!(id.len() > want_prefix.len() + 16, "{api:?}: {id}");
                    assert!(seen.insert(id.clone()), "{api:?} {scenario}: {id} again");
                }
            }
        }
    }
}

#[tokio::test]
async fn every_responses_answer_can_be_fetched_by_its_id() {
    let server = mock().await;
    let mut ids = Vec::new();
    for stream in [false, true, false, true] {
        let bytes = ask(&server, Api::Responses, "text", stream).await;
        let said = if stream {
            parse_stream(Api::Responses, &bytes)
        } else {
            parse_body(Api::Responses, &bytes)
        };
        ids.push(said.ids[0].clone());
    }
    for id in &ids {
        let r = client()
            .get(format!("{}/v1/responses/{id}", server.url()))
            .bearer_auth(plano_mock::keys::OPENAI_KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{id}");
        let fetched: Value = r.json().await.unwrap();
        assert_eq!(fetched["id"], id.as_str());
    }
}
