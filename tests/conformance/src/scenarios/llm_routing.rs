//! Preference-based routing: the mock answers as the router model (`arch-router`, see the
//! mock's README), so each scenario brings its own routes in the body
//! (`routing_preferences`) and asks for one by naming it in the user text. Checked: the
//! exact Arch-Router prompt the gateway sends, where the request lands, that the routes and
//! the client's headers never reach a provider, router failures falling back to the
//! requested model, the decision API, and session pins.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{Capability, ensure, expect_complete, expect_text, expect_upstream_count, push};
use crate::api::{Api, Req};
use crate::family::Family;
use crate::http::{Ctx, MockRequest, Resp};

const NEEDS: &[Capability] = &[Capability::PreferenceRouting];

/// The Arch-Router prompt template around the routes and the conversation (the model's
/// published input format; the gateway must send exactly this).
const HEAD: &str = "\nYou are a helpful assistant designed to find the best suited route.\nYou are provided with route description within <routes></routes> XML tags:\n<routes>\n";
const MIDDLE: &str = "\n</routes>\n\n<conversation>\n";
const TAIL: &str = "\n</conversation>\n\nYour task is to decide which route is best suit with user intent on the conversation in <conversation></conversation> XML tags.  Follow the instruction:\n1. If the latest intent from user is irrelevant or user intent is full filled, response with other route {\"route\": \"other\"}.\n2. You must analyze the route descriptions and find the best match route for user latest intent.\n3. You only response the name of the route that best matches the user's request, use the exact name in the <routes></routes>.\n\nBased on your analysis, provide your response in the following JSON formats if you decide to match any route:\n{\"route\": \"route_name\"}\n";

/// The routes every scenario brings.
fn routes() -> Value {
    json!([
        {"name": "code_generation", "description": "writing or fixing code",
         "models": ["anthropic/claude-sonnet-4-5", "gpt-4o-mini"]},
        {"name": "poetry", "description": "poems and lyrics",
         "models": ["gemini/gemini-2.5-flash"]},
    ])
}

pub(super) fn register(out: &mut Vec<Scenario>) {
    push(
        out,
        "llm-routing/chat-routed-exact-prompt",
        "the router model gets the exact Arch-Router prompt and the request lands on the route's first model, translated",
        NEEDS,
        chat_routed,
    );
    push(
        out,
        "llm-routing/messages-routed-stream",
        "an Anthropic client's stream is routed to another family and streams end to end",
        NEEDS,
        messages_stream,
    );
    push(
        out,
        "llm-routing/no-route-keeps-model",
        "when the router names no route the requested model serves the request",
        NEEDS,
        |ctx| keeps_model(ctx, "nothing in particular"),
    );
    push(
        out,
        "llm-routing/router-error-keeps-model",
        "a router answering 500 never fails the request: the requested model serves it",
        NEEDS,
        |ctx| keeps_model(ctx, "router-fault=500 code_generation"),
    );
    push(
        out,
        "llm-routing/router-prose-keeps-model",
        "a router answer with no route in it leaves the requested model",
        NEEDS,
        |ctx| keeps_model(ctx, "router-fault=prose"),
    );
    push(
        out,
        "llm-routing/decision-api",
        "POST /routing/v1/chat/completions answers the route and ranked models without calling any model",
        NEEDS,
        decision_api,
    );
    push(
        out,
        "llm-routing/session-pin",
        "x-model-affinity pins the decision: the next turn skips the router and keeps the model",
        NEEDS,
        session_pin,
    );
}

use super::Scenario;

/// Posts `prompt` in `client`'s API with the routes in the body.
async fn routed(
    ctx: &Ctx,
    client: Api,
    req: &Req,
    tag: &str,
    headers: &[(&str, &str)],
) -> Result<Resp, String> {
    let mut built = client.build(req);
    if let Some(o) = built.body.as_object_mut() {
        o.insert("routing_preferences".into(), routes());
    }
    ctx.post(&built.path, &built.body, tag)
        .headers(client.client_headers())
        .headers(headers)
        .send()
        .await
}

/// The router calls whose prompt mentions `marker`.
async fn router_calls(ctx: &Ctx, marker: &str) -> Result<Vec<MockRequest>, String> {
    Ok(ctx
        .upstream("")
        .await?
        .into_iter()
        .filter(|r| r.body.get("model").and_then(Value::as_str) == Some("arch-router"))
        .filter(|r| prompt_of(r).is_some_and(|p| p.contains(marker)))
        .collect())
}

fn prompt_of(r: &MockRequest) -> Option<&str> {
    r.body
        .pointer("/messages/0/content")
        .and_then(Value::as_str)
}

fn no_routes_forwarded(up: &MockRequest) -> Result<(), String> {
    ensure(up.body.get("routing_preferences").is_none(), || {
        "the body's routing_preferences reached the provider".to_owned()
    })
}

async fn chat_routed(ctx: Arc<Ctx>) -> Result<(), String> {
    let tag = ctx.tag();
    let text = format!("code_generation: a JSON parser please ({tag})");
    let resp = routed(&ctx, Api::Chat, &Req::text("gpt-4o-mini", &text), &tag, &[]).await?;
    let a = Api::Chat.parse(&resp)?;
    expect_text(&a)?;
    let up = ctx.upstream_one(&tag).await?;
    Family::Anthropic.check(Api::Chat, &up, false)?;
    no_routes_forwarded(&up)?;
    let calls = router_calls(&ctx, &tag).await?;
    let [call] = calls.as_slice() else {
        return Err(format!("expected 1 router call, got {}", calls.len()));
    };
    let routes = r#"[{"name":"code_generation","description":"writing or fixing code"},{"name":"poetry","description":"poems and lyrics"}]"#;
    // Keys in the gateway's order (role, then content), so not built with `json!`.
    let conversation = format!(
        r#"[{{"role":"user","content":{}}}]"#,
        serde_json::to_string(&text).unwrap_or_default()
    );
    let want = format!("{HEAD}{routes}{MIDDLE}{conversation}{TAIL}");
    let got = prompt_of(call).unwrap_or("");
    ensure(got == want, || {
        format!("router prompt differs:\n--- want\n{want}\n--- got\n{got}")
    })?;
    ensure(call.decoded_path() == "/v1/chat/completions", || {
        format!("router call path {}", call.decoded_path())
    })?;
    ensure(
        call.header("authorization") == Some("Bearer sk-mock-openai"),
        || "the router call must carry the router provider's key".to_owned(),
    )?;
    ensure(call.header("x-mock-tag").is_none(), || {
        "the client's headers reached the router".to_owned()
    })
}

async fn messages_stream(ctx: Arc<Ctx>) -> Result<(), String> {
    let tag = ctx.tag();
    let text = format!("poetry about rivers ({tag})");
    let req = Req::text("claude-sonnet-4-5", &text).stream(true);
    let resp = routed(&ctx, Api::Messages, &req, &tag, &[]).await?;
    let s = Api::Messages.parse_stream(&resp)?;
    expect_complete(Api::Messages, &s, &resp)?;
    expect_text(&s.answer)?;
    let up = ctx.upstream_one(&tag).await?;
    Family::Gemini.check(Api::Messages, &up, true)?;
    no_routes_forwarded(&up)
}

async fn keeps_model(ctx: Arc<Ctx>, words: &'static str) -> Result<(), String> {
    let tag = ctx.tag();
    let text = format!("{words} ({tag})");
    let resp = routed(&ctx, Api::Chat, &Req::text("gpt-4o-mini", &text), &tag, &[]).await?;
    ensure(resp.status == 200, || {
        format!(
            "status {}: {}",
            resp.status,
            String::from_utf8_lossy(&resp.body)
        )
    })?;
    expect_text(&Api::Chat.parse(&resp)?)?;
    let up = ctx.upstream_one(&tag).await?;
    Family::OpenAi.check(Api::Chat, &up, false)?;
    no_routes_forwarded(&up)?;
    let calls = router_calls(&ctx, &tag).await?;
    ensure(calls.len() == 1, || {
        format!("expected 1 router call, got {}", calls.len())
    })
}

async fn decision_api(ctx: Arc<Ctx>) -> Result<(), String> {
    let tag = ctx.tag();
    let mut built = Api::Chat.build(&Req::text(
        "gpt-4o-mini",
        &format!("code_generation ({tag})"),
    ));
    if let Some(o) = built.body.as_object_mut() {
        o.insert("routing_preferences".into(), routes());
    }
    let resp = ctx
        .post("/routing/v1/chat/completions", &built.body, &tag)
        .send()
        .await?;
    ensure(resp.status == 200, || {
        format!(
            "status {}: {}",
            resp.status,
            String::from_utf8_lossy(&resp.body)
        )
    })?;
    let j: Value = serde_json::from_slice(&resp.body)
        .map_err(|e| format!("{e}: {}", String::from_utf8_lossy(&resp.body)))?;
    ensure(j.get("route") == Some(&json!("code_generation")), || {
        format!("route: {j}")
    })?;
    ensure(
        j.get("models") == Some(&json!(["anthropic/claude-sonnet-4-5", "gpt-4o-mini"])),
        || format!("models: {j}"),
    )?;
    expect_upstream_count(&ctx, &tag, 0).await?;
    let calls = router_calls(&ctx, &tag).await?;
    ensure(calls.len() == 1, || {
        format!("expected 1 router call, got {}", calls.len())
    })
}

async fn session_pin(ctx: Arc<Ctx>) -> Result<(), String> {
    let tag = ctx.tag();
    let session = format!("session-{tag}");
    let pin = [("x-model-affinity", session.as_str())];
    let first = format!("code_generation please ({tag})");
    let resp = routed(
        &ctx,
        Api::Chat,
        &Req::text("gpt-4o-mini", &first),
        &tag,
        &pin,
    )
    .await?;
    expect_text(&Api::Chat.parse(&resp)?)?;
    // The second turn asks for poetry, but the session is pinned to the first decision.
    let tag2 = ctx.tag();
    let second = format!("poetry now ({tag2})");
    let resp = routed(
        &ctx,
        Api::Chat,
        &Req::text("gpt-4o-mini", &second),
        &tag2,
        &pin,
    )
    .await?;
    expect_text(&Api::Chat.parse(&resp)?)?;
    let up = ctx.upstream_one(&tag2).await?;
    Family::Anthropic.check(Api::Chat, &up, false)?;
    let calls = router_calls(&ctx, &tag2).await?;
    ensure(calls.is_empty(), || {
        "the pinned turn called the router".to_owned()
    })
}
