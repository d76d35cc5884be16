//! Every API, non-streaming and streaming: the fixture is answered with the request's model
//! echoed; scenario choice; the Responses extras; unknown routes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use serde_json::{Value, json};
use support::*;

const MODEL: &str = "my-model-\u{e9}\"x";

/// A non-streaming answer equals the fixture with every model replaced by `model`, and has
/// at least one. Its id, usage and text are its own (`tests/consistency.rs` checks them).
fn assert_echoed(body: &[u8], fixture_path: &str, model: &str) {
    let got: Value = serde_json::from_slice(body).unwrap();
    let mut want = fixture_json(fixture_path);
    let replaced = set_models(&mut want, model);
    assert_eq!(
        without_generated(&got),
        without_generated(&want),
        "{fixture_path}"
    );
    assert!(replaced > 0, "{fixture_path} has no model to echo");
    assert!(models(&got).iter().all(|m| m == model));
}

/// An SSE answer has the fixture's events, in order, with every model replaced by `model`.
fn assert_sse_echoed(body: &[u8], fixture_path: &str, model: &str) {
    let got = sse_events(body);
    let want = sse_events(&fixture(fixture_path));
    assert_eq!(got.len(), want.len(), "{fixture_path}");
    let mut echoed = 0;
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g.event, w.event);
        if w.data == "[DONE]" {
            assert_eq!(g.data, "[DONE]");
            continue;
        }
        let g: Value = serde_json::from_str(&g.data).unwrap();
        let mut w: Value = serde_json::from_str(&w.data).unwrap();
        echoed += set_models(&mut w, model);
        assert_eq!(
            without_generated(&g),
            without_generated(&w),
            "{fixture_path}"
        );
    }
    assert!(echoed > 0, "{fixture_path} has no model to echo");
}

#[tokio::test]
async fn openai_chat_answers_the_fixture_with_the_model_echoed() {
    let server = mock().await;
    let request = json!({"model": MODEL, "messages": [{"role": "user", "content": "Hi"}]});
    let r = openai(&server, "/v1/chat/completions", &request)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert!(r.headers().contains_key("x-request-id"));
    assert_echoed(
        &r.bytes().await.unwrap(),
        "openai_chat/responses/text.json",
        MODEL,
    );

    let mut streaming = request.clone();
    streaming["stream"] = json!(true);
    let r = openai(&server, "/v1/chat/completions", &streaming)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let body = r.bytes().await.unwrap();
    assert_sse_echoed(&body, "openai_chat/streams/text.sse", MODEL);
    assert!(body.ends_with(b"data: [DONE]\n\n"));
}

#[tokio::test]
async fn chat_completions_under_a_path_prefix_and_azure() {
    let server = mock().await;
    let request = json!({"model": "llama-3", "messages": []});
    let r = openai(&server, "/openai/v1/chat/completions", &request)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_echoed(
        &r.bytes().await.unwrap(),
        "openai_chat/responses/text.json",
        "llama-3",
    );

    let r = client()
        .post(format!(
            "{}/openai/deployments/prod-4o/chat/completions?api-version=2024-10-21",
            server.url()
        ))
        .header("api-key", plano_mock::keys::AZURE_KEY)
        .json(&json!({"model": "gpt-4o", "messages": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_echoed(
        &r.bytes().await.unwrap(),
        "openai_chat/responses/text.json",
        "gpt-4o",
    );
}

#[tokio::test]
async fn openai_responses_answers_the_fixture_with_the_model_echoed() {
    let server = mock().await;
    let request = json!({"model": MODEL, "input": "Hi"});
    let r = openai(&server, "/v1/responses", &request)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_echoed(
        &r.bytes().await.unwrap(),
        "openai_responses/responses/text.json",
        MODEL,
    );

    let streaming = json!({"model": MODEL, "input": "Hi", "stream": true});
    let r = openai(&server, "/v1/responses", &streaming)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body = r.bytes().await.unwrap();
    assert_sse_echoed(&body, "openai_responses/streams/text.sse", MODEL);
    let last = sse_events(&body).pop().unwrap();
    assert_eq!(last.event.as_deref(), Some("response.completed"));
}

#[tokio::test]
async fn anthropic_messages_answers_the_fixture_with_the_model_echoed() {
    let server = mock().await;
    let request =
        json!({"model": MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": "Hi"}]});
    let r = anthropic(&server, &request).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("request-id"));
    assert_echoed(
        &r.bytes().await.unwrap(),
        "anthropic_messages/responses/text.json",
        MODEL,
    );

    let mut streaming = request.clone();
    streaming["stream"] = json!(true);
    let r = anthropic(&server, &streaming).send().await.unwrap();
    let body = r.bytes().await.unwrap();
    assert_sse_echoed(&body, "anthropic_messages/streams/text.sse", MODEL);
    let last = sse_events(&body).pop().unwrap();
    assert_eq!(last.event.as_deref(), Some("message_stop"));
}

#[tokio::test]
async fn gemini_answers_the_fixture_with_the_path_model_echoed() {
    let server = mock().await;
    let r = gemini(&server, "gemini-test", "generateContent")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert_echoed(
        &r.bytes().await.unwrap(),
        "gemini/responses/text.json",
        "gemini-test",
    );

    // `alt=sse`: SSE events.
    let r = gemini(&server, "gemini-test", "streamGenerateContent?alt=sse")
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let body = r.bytes().await.unwrap();
    assert_sse_echoed(&body, "gemini/streams/text.sse", "gemini-test");

    // No `alt`: one JSON array of the same chunks.
    let r = gemini(&server, "gemini-test", "streamGenerateContent")
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let got: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    let want: Vec<Value> = sse_events(&fixture("gemini/streams/text.sse"))
        .iter()
        .map(|e| {
            let mut v: Value = serde_json::from_str(&e.data).unwrap();
            set_models(&mut v, "gemini-test");
            without_generated(&v)
        })
        .collect();
    let got: Vec<Value> = got
        .as_array()
        .unwrap()
        .iter()
        .map(without_generated)
        .collect();
    assert_eq!(got, want);
}

#[tokio::test]
async fn bedrock_converse_answers_the_fixture() {
    let server = mock().await;
    let r = bedrock(&server, "us.amazon.nova-pro-v1%3A0", "converse")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("x-amzn-requestid"));
    let got: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(got, fixture_json("bedrock_converse/responses/text.json"));
}

#[tokio::test]
async fn bedrock_streams_are_eventstream_frames() {
    let server = mock().await;
    // `text` is the JSON-lines transcript, ending with `end_turn`.
    let r = bedrock(&server, "anthropic.claude-3-haiku", "converse-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.amazon.eventstream"
    );
    let frames = eventstream_frames(&r.bytes().await.unwrap());
    assert_eq!(frames.len(), 7);
    let stop: Value = serde_json::from_slice(&frames[5].payload).unwrap();
    assert_eq!(stop["stopReason"], "end_turn");

    // `capture_text` (and `max_tokens`) is the real capture, served frame for frame; it was
    // cut by `max_tokens`.
    let r = bedrock(&server, "anthropic.claude-3-haiku", "converse-stream")
        .header("x-mock-scenario", "capture_text")
        .send()
        .await
        .unwrap();
    let body = r.bytes().await.unwrap();
    assert_eq!(&body[..], &capture("converse-stream-text.bin")[..]);
    let frames = eventstream_frames(&body);
    assert_eq!(frames.len(), 88);
    assert_eq!(frames[0].event_type, "messageStart");
    assert_eq!(frames[86].event_type, "messageStop");
    assert_eq!(frames[87].event_type, "metadata");
    assert!(
        frames[1..85]
            .iter()
            .all(|f| f.event_type == "contentBlockDelta")
    );
    assert!(
        frames
            .iter()
            .all(|f| f.message_type == "event" && f.content_type == "application/json")
    );

    // A JSON-lines transcript, encoded by the mock.
    let r = bedrock(&server, "m", "converse-stream")
        .header("x-mock-scenario", "parallel_tools")
        .send()
        .await
        .unwrap();
    let frames = eventstream_frames(&r.bytes().await.unwrap());
    let want: Vec<Value> =
        String::from_utf8(fixture("bedrock_converse/streams/parallel_tools.jsonl"))
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
    assert_eq!(frames.len(), want.len());
    for (frame, want) in frames.iter().zip(&want) {
        assert_eq!(frame.event_type, want["event_type"].as_str().unwrap());
        let payload: Value = serde_json::from_slice(&frame.payload).unwrap();
        assert_eq!(payload, want["payload"]);
    }

    // The mid-stream exception frame.
    let r = bedrock(&server, "m", "converse-stream")
        .header("x-mock-scenario", "error")
        .send()
        .await
        .unwrap();
    let frames = eventstream_frames(&r.bytes().await.unwrap());
    let last = frames.last().unwrap();
    assert_eq!(last.message_type, "exception");
    assert_eq!(last.event_type, "throttlingException");
}

#[tokio::test]
async fn tools_in_the_request_choose_the_tools_transcript() {
    let server = mock().await;
    let tool = json!({"type": "function", "function": {"name": "get_weather", "parameters": {}}});
    let request = json!({"model": "gpt-4o", "messages": [], "tools": [tool]});
    let r = openai(&server, "/v1/chat/completions", &request)
        .send()
        .await
        .unwrap();
    assert_echoed(
        &r.bytes().await.unwrap(),
        "openai_chat/responses/tool_call.json",
        "gpt-4o",
    );

    // An empty tool list is no tools.
    let request = json!({"model": "gpt-4o", "messages": [], "tools": []});
    let r = openai(&server, "/v1/chat/completions", &request)
        .send()
        .await
        .unwrap();
    assert_echoed(
        &r.bytes().await.unwrap(),
        "openai_chat/responses/text.json",
        "gpt-4o",
    );

    // Bedrock declares tools in `toolConfig`; `tools` is the real capture with a toolUse.
    let r = client()
        .post(format!("{}/model/m/converse-stream", server.url()))
        .bearer_auth(plano_mock::keys::BEDROCK_API_KEY)
        .json(&json!({"messages": [], "toolConfig": {"tools": [{"toolSpec": {"name": "t"}}]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        &r.bytes().await.unwrap()[..],
        &capture("converse-stream-tools.bin")[..]
    );
}

#[tokio::test]
async fn scenario_header_picks_the_transcript_and_falls_back_to_text() {
    let server = mock().await;
    let cases = [
        ("thinking", "anthropic_messages/responses/thinking.json"),
        (
            "stop_sequence",
            "anthropic_messages/responses/stop_sequence.json",
        ),
        (
            "parallel_tools",
            "anthropic_messages/responses/parallel_tool_use.json",
        ),
    ];
    for (scenario, path) in cases {
        let r = anthropic(&server, &json!({"model": "claude-x", "messages": []}))
            .header("x-mock-scenario", scenario)
            .send()
            .await
            .unwrap();
        assert_echoed(&r.bytes().await.unwrap(), path, "claude-x");
    }
    // OpenAI chat has no stop_sequence transcript: its text.
    let r = openai(&server, "/v1/chat/completions", &json!({"model": "gpt-4o"}))
        .header("x-mock-scenario", "stop_sequence")
        .send()
        .await
        .unwrap();
    assert_echoed(
        &r.bytes().await.unwrap(),
        "openai_chat/responses/text.json",
        "gpt-4o",
    );
    // An unknown name is the caller's mistake.
    let r = openai(&server, "/v1/chat/completions", &json!({"model": "gpt-4o"}))
        .header("x-mock-scenario", "nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["type"], "mock_error");
}

#[tokio::test]
async fn responses_can_be_fetched_and_deleted_by_id() {
    let server = mock().await;
    let r = openai(
        &server,
        "/v1/responses",
        &json!({"model": "gpt-5-mock", "input": "Hi"}),
    )
    .send()
    .await
    .unwrap();
    let created: Value = r.json().await.unwrap();
    let id = created["id"].as_str().unwrap();
    let url = format!("{}/v1/responses/{id}", server.url());

    let r = client()
        .get(&url)
        .bearer_auth(plano_mock::keys::OPENAI_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let fetched: Value = r.json().await.unwrap();
    assert_eq!(fetched, created);

    let r = client().get(&url).send().await.unwrap();
    assert_eq!(r.status(), 401);

    let r = client()
        .delete(&url)
        .bearer_auth(plano_mock::keys::OPENAI_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let deleted: Value = r.json().await.unwrap();
    assert_eq!(
        deleted,
        json!({"id": id, "object": "response", "deleted": true})
    );

    let r = client()
        .get(&url)
        .bearer_auth(plano_mock::keys::OPENAI_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");

    // A streamed response is stored as its final `response` object.
    let r = openai(
        &server,
        "/v1/responses",
        &json!({"model": "gpt-s", "input": "Hi", "stream": true}),
    )
    .send()
    .await
    .unwrap();
    let events = sse_events(&r.bytes().await.unwrap());
    let completed: Value = serde_json::from_str(&events.last().unwrap().data).unwrap();
    let id = completed["response"]["id"].as_str().unwrap();
    let r = client()
        .get(format!("{}/v1/responses/{id}", server.url()))
        .bearer_auth(plano_mock::keys::OPENAI_KEY)
        .send()
        .await
        .unwrap();
    let fetched: Value = r.json().await.unwrap();
    assert_eq!(fetched, completed["response"]);
    assert_eq!(fetched["model"], "gpt-s");
}

#[tokio::test]
async fn models_list_and_unknown_routes() {
    let server = mock().await;
    let r = client()
        .get(format!("{}/v1/models", server.url()))
        .bearer_auth(plano_mock::keys::OPENAI_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let list: Value = r.json().await.unwrap();
    assert_eq!(list["object"], "list");
    assert!(
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["object"] == "model")
    );

    let r = client()
        .post(format!("{}/v2/nothing", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["message"], "Invalid URL (POST /v2/nothing)");

    let r = client()
        .get(format!("{}/v1/chat/completions", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_body_that_is_not_json_gets_the_providers_400() {
    let server = mock().await;
    let r = client()
        .post(format!("{}/v1/messages", server.url()))
        .header("x-api-key", plano_mock::keys::ANTHROPIC_KEY)
        .header("anthropic-version", "2023-06-01")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");
}

#[tokio::test]
async fn shutdown_ends_idle_keep_alive_connections() {
    let server = mock().await;
    let c = client();
    let r = c
        .get(format!("{}/__mock/health", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The client keeps the connection open; shutdown must still finish.
    tokio::time::timeout(std::time::Duration::from_secs(5), server.shutdown())
        .await
        .unwrap();
}
