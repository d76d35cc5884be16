//! Each provider's credentials: accepted, and the provider's own error when wrong or
//! missing. SigV4 is verified for real, against requests signed by plano-core.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use plano_core::config::Secret;
use plano_core::upstream::{AwsCredentials, SignInput, sign_request};
use plano_mock::{MockServer, keys};
use serde_json::{Value, json};
use support::*;

async fn status_and_json(r: reqwest::RequestBuilder) -> (u16, reqwest::header::HeaderMap, Value) {
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.json().await.unwrap())
}

#[tokio::test]
async fn openai_wants_a_mock_bearer_key() {
    let server = mock().await;
    let url = format!("{}/v1/chat/completions", server.url());
    let body = json!({"model": "gpt-4o", "messages": []});
    let (status, _, _) = status_and_json(
        client()
            .post(&url)
            .bearer_auth("sk-mock-anything")
            .json(&body),
    )
    .await;
    assert_eq!(status, 200);
    for request in [
        client().post(&url).json(&body),
        client().post(&url).bearer_auth("sk-live-123").json(&body),
        client()
            .post(&url)
            .header("api-key", keys::OPENAI_KEY)
            .json(&body),
    ] {
        let (status, _, err) = status_and_json(request).await;
        assert_eq!(status, 401);
        assert_eq!(err["error"]["code"], "invalid_api_key");
    }
    // Responses routes answer the Responses API's own 401 body.
    let (status, _, err) = status_and_json(
        client()
            .post(format!("{}/v1/responses", server.url()))
            .json(&json!({"model": "m", "input": "x"})),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(
        err,
        fixture_json("openai_responses/errors/invalid_api_key.401.json")
    );
}

#[tokio::test]
async fn azure_wants_its_api_key_header() {
    let server = mock().await;
    let url = format!(
        "{}/openai/deployments/d1/chat/completions?api-version=2024-10-21",
        server.url()
    );
    let body = json!({"messages": []});
    let (status, _, _) = status_and_json(
        client()
            .post(&url)
            .header("api-key", keys::AZURE_KEY)
            .json(&body),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, err) = status_and_json(
        client()
            .post(&url)
            .bearer_auth(keys::OPENAI_KEY)
            .json(&body),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(err["error"]["code"], "401");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("subscription key")
    );
}

#[tokio::test]
async fn anthropic_wants_a_key_and_a_version() {
    let server = mock().await;
    let url = format!("{}/v1/messages", server.url());
    let body = json!({"model": "claude", "messages": []});
    let (status, _, err) = status_and_json(
        client()
            .post(&url)
            .header("x-api-key", "sk-ant-real")
            .header("anthropic-version", keys::ANTHROPIC_VERSION)
            .json(&body),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(err["error"]["type"], "authentication_error");
    let (status, _, err) = status_and_json(
        client()
            .post(&url)
            .header("anthropic-version", keys::ANTHROPIC_VERSION)
            .json(&body),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(err["error"]["type"], "authentication_error");
    let (status, _, err) = status_and_json(
        client()
            .post(&url)
            .header("x-api-key", keys::ANTHROPIC_KEY)
            .json(&body),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(err["error"]["type"], "invalid_request_error");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("anthropic-version")
    );
}

#[tokio::test]
async fn gemini_wants_its_key_in_a_header_or_the_query() {
    let server = mock().await;
    let url = format!(
        "{}/v1beta/models/gemini-2.5-flash:generateContent",
        server.url()
    );
    let body = json!({"contents": []});
    let (status, _, _) = status_and_json(
        client()
            .post(format!("{url}?key={}", keys::GEMINI_KEY))
            .json(&body),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, err) = status_and_json(
        client()
            .post(&url)
            .header("x-goog-api-key", "AIza-wrong")
            .json(&body),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(err["error"]["details"][0]["reason"], "API_KEY_INVALID");
    let (status, _, err) = status_and_json(client().post(&url).json(&body)).await;
    assert_eq!(status, 403);
    assert_eq!(err["error"]["status"], "PERMISSION_DENIED");
}

/// `/v1beta/openai/...`: Gemini's key as a bearer token, OpenAI-shaped answers, and Google's
/// errors wrapped in a JSON array.
#[tokio::test]
async fn gemini_openai_compatible_endpoint_wants_the_gemini_key_as_bearer() {
    let server = mock().await;
    let url = format!("{}/v1beta/openai/chat/completions", server.url());
    let body = json!({"model": "gemini-2.5-flash", "messages": []});
    let (status, _, answer) = status_and_json(
        client()
            .post(&url)
            .bearer_auth(keys::GEMINI_KEY)
            .json(&body),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(answer["object"], "chat.completion");
    assert_eq!(answer["model"], "gemini-2.5-flash");

    // An OpenAI key is a wrong Gemini key.
    let (status, _, err) = status_and_json(
        client()
            .post(&url)
            .bearer_auth(keys::OPENAI_KEY)
            .json(&body),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(err[0]["error"]["details"][0]["reason"], "API_KEY_INVALID");
    assert_eq!(err[0]["error"]["status"], "INVALID_ARGUMENT");
    // The native endpoint's header is not how this one takes the key.
    let (status, _, err) = status_and_json(
        client()
            .post(&url)
            .header("x-goog-api-key", keys::GEMINI_KEY)
            .json(&body),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(err[0]["error"]["status"], "UNAUTHENTICATED");

    // Injected errors are Google's, in the array too.
    let (status, headers, err) = status_and_json(
        client()
            .post(&url)
            .bearer_auth(keys::GEMINI_KEY)
            .header("x-mock-fault", "status=429")
            .json(&body),
    )
    .await;
    assert_eq!(status, 429);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(err[0]["error"]["status"], "RESOURCE_EXHAUSTED");
}

#[tokio::test]
async fn bedrock_api_key() {
    let server = mock().await;
    let url = format!("{}/model/m/converse", server.url());
    let body = json!({"messages": []});
    let (status, _, _) = status_and_json(
        client()
            .post(&url)
            .bearer_auth(keys::BEDROCK_API_KEY)
            .json(&body),
    )
    .await;
    assert_eq!(status, 200);
    for request in [
        client().post(&url).bearer_auth("other-key").json(&body),
        client().post(&url).json(&body),
    ] {
        let (status, headers, err) = status_and_json(request).await;
        assert_eq!(status, 403);
        assert!(
            headers["x-amzn-errortype"]
                .to_str()
                .unwrap()
                .starts_with("UnrecognizedClientException:")
        );
        assert!(err["message"].as_str().unwrap().contains("security token"));
    }
}

/// A Bedrock request signed by plano-core with `access_key`/`secret`, sent as signed (or with
/// `tamper` applied to the body after signing).
async fn signed(
    server: &MockServer,
    access_key: &str,
    secret: &str,
    tamper: bool,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let url = format!(
        "{}/model/us.anthropic.claude-v2%3A1/converse-stream",
        server.url()
    );
    let body = br#"{"messages":[{"role":"user","content":[{"text":"Hi"}]}]}"#;
    let creds = AwsCredentials::new(access_key, Secret::literal(secret));
    let input = SignInput {
        method: "POST",
        url: &url,
        headers: &[("content-type", "application/json")],
        body,
        region: "eu-west-3",
        service: "bedrock",
        now_ms: 1_700_000_000_000,
    };
    let mut request = client()
        .post(&url)
        .header("content-type", "application/json");
    for header in sign_request(&creds, &input).unwrap() {
        request = request.header(header.name.as_str(), header.value());
    }
    let sent: &[u8] = if tamper {
        br#"{"messages":[{"role":"user","content":[{"text":"Ho"}]}]}"#
    } else {
        body
    };
    let r = request.body(sent.to_vec()).send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let bytes = r.bytes().await.unwrap();
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, headers, value)
}

#[tokio::test]
async fn bedrock_sigv4_is_verified() {
    let server = mock().await;
    let (status, headers, _) = signed(
        &server,
        keys::AWS_ACCESS_KEY_ID,
        keys::AWS_SECRET_ACCESS_KEY,
        false,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        headers["content-type"],
        "application/vnd.amazon.eventstream"
    );

    let (status, headers, err) =
        signed(&server, keys::AWS_ACCESS_KEY_ID, "wrong-secret", false).await;
    assert_eq!(status, 403);
    assert!(
        headers["x-amzn-errortype"]
            .to_str()
            .unwrap()
            .starts_with("InvalidSignatureException:")
    );
    assert!(err["message"].as_str().unwrap().contains("signature"));

    let (status, headers, _) = signed(
        &server,
        keys::AWS_ACCESS_KEY_ID,
        keys::AWS_SECRET_ACCESS_KEY,
        true,
    )
    .await;
    assert_eq!(status, 403, "a body changed after signing");
    assert!(
        headers["x-amzn-errortype"]
            .to_str()
            .unwrap()
            .starts_with("InvalidSignatureException:")
    );

    let (status, headers, _) = signed(
        &server,
        "AKIDSOMEONEELSE",
        keys::AWS_SECRET_ACCESS_KEY,
        false,
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        headers["x-amzn-errortype"]
            .to_str()
            .unwrap()
            .starts_with("UnrecognizedClientException:")
    );
}
