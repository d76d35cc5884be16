//! What the gateway answers itself: health, model listings, token counting.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{Scenario, ensure, expect_upstream_count, push};
use crate::api::str_at;
use crate::http::Ctx;

/// Names a client may send that the listing must contain (provider names and aliases).
const LISTED: &[&str] = &[
    "openai/gpt-4o-mini",
    "anthropic/claude-sonnet-4-5",
    "gemini/gemini-2.5-flash",
    "amazon_bedrock/us.anthropic.claude-sonnet-4-5-v1:0",
    "gpt-4.1-backup",
    "fast",
    "smart",
    "open-weights",
];

pub(super) fn register(out: &mut Vec<Scenario>) {
    push(out, "health", "GET /healthz is 200", &[], health);
    push(
        out,
        "models/openai",
        "GET /v1/models lists every provider name and alias in OpenAI's list shape, no wildcard",
        &[],
        models_openai,
    );
    push(
        out,
        "models/anthropic",
        "GET /v1/models with anthropic-version lists them in Anthropic's shape",
        &[],
        models_anthropic,
    );
    push(
        out,
        "count-tokens",
        "POST /v1/messages/count_tokens answers {input_tokens} without calling the upstream",
        &[],
        count_tokens,
    );
}

async fn health(ctx: Arc<Ctx>) -> Result<(), String> {
    let resp = ctx.request("GET", "/healthz").send().await?;
    resp.expect_status(200)
}

fn ids(data: &[Value]) -> Vec<&str> {
    data.iter().filter_map(|m| str_at(m, "id")).collect()
}

fn expect_listed(got: &[&str]) -> Result<(), String> {
    let missing: Vec<&&str> = LISTED.iter().filter(|w| !got.contains(w)).collect();
    ensure(missing.is_empty(), || {
        format!("expected the listing to contain {missing:?}, it has {got:?}")
    })?;
    ensure(!got.iter().any(|id| id.contains('*')), || {
        format!("a wildcard provider is listed: {got:?}")
    })
}

async fn models_openai(ctx: Arc<Ctx>) -> Result<(), String> {
    let resp = ctx.request("GET", "/v1/models").send().await?;
    resp.expect_status(200)?;
    let v = resp.json()?;
    ensure(str_at(&v, "object") == Some("list"), || {
        format!("expected object \"list\", got {v}")
    })?;
    let data = v
        .get("data")
        .and_then(Value::as_array)
        .ok_or("no data array")?;
    for m in data {
        ensure(
            str_at(m, "object") == Some("model") && m.get("owned_by").is_some(),
            || format!("a listed model without object \"model\" and owned_by: {m}"),
        )?;
    }
    expect_listed(&ids(data))
}

async fn models_anthropic(ctx: Arc<Ctx>) -> Result<(), String> {
    let resp = ctx
        .request("GET", "/v1/models")
        .header("anthropic-version", "2023-06-01")
        .send()
        .await?;
    resp.expect_status(200)?;
    let v = resp.json()?;
    let data = v
        .get("data")
        .and_then(Value::as_array)
        .ok_or("no data array")?;
    for m in data {
        ensure(
            str_at(m, "type") == Some("model") && m.get("display_name").is_some(),
            || format!("a listed model without type \"model\" and display_name: {m}"),
        )?;
    }
    ensure(v.get("has_more").and_then(Value::as_bool).is_some(), || {
        format!("expected has_more, got {v}")
    })?;
    expect_listed(&ids(data))
}

async fn count_tokens(ctx: Arc<Ctx>) -> Result<(), String> {
    let tag = ctx.tag();
    let body = json!({
        "model": "claude-sonnet-4-5",
        "system": "You are terse.",
        "messages": [{"role": "user", "content": "How many tokens is this sentence?"}]
    });
    let resp = ctx
        .post("/v1/messages/count_tokens", &body, &tag)
        .header("anthropic-version", "2023-06-01")
        .send()
        .await?;
    resp.expect_status(200)?;
    let v = resp.json()?;
    let n = v.get("input_tokens").and_then(Value::as_u64).unwrap_or(0);
    ensure(n > 0, || format!("expected input_tokens > 0, got {v}"))?;
    expect_upstream_count(&ctx, &tag, 0).await
}
