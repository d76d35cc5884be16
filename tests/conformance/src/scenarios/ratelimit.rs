//! Token rate limits: the config limits `openai/gpt-4o-limited` to 100 tokens an hour per
//! value of `x-conformance-user`, so each scenario spends its own budget.

use std::sync::Arc;

use super::{Capability, Scenario, ensure, expect_text, expect_upstream_count, push, send};
use crate::api::{APIS, Api, Req, expect_kind};
use crate::family::Family;
use crate::http::{Ctx, Resp};

const MODEL: &str = "gpt-4o-limited";
const USER: &str = "x-conformance-user";
const LIMIT: &str = "100";
/// More requests than the budget allows: each costs at least the mock's usage.
const MAX_REQUESTS: usize = 30;

pub(super) fn register(out: &mut Vec<Scenario>) {
    push(
        out,
        "ratelimit/headers-on-success",
        "an admitted request to a limited model carries x-ratelimit-limit/remaining/reset-tokens",
        &[Capability::RateLimits],
        headers_on_success,
    );
    for client in APIS {
        let c = client.name();
        push(
            out,
            format!("ratelimit/exhausted/{c}"),
            format!(
                "{c} client: once the budget is spent the gateway answers 429 in the {c} shape with retry-after and x-ratelimit headers, without calling the upstream"
            ),
            &[Capability::RateLimits],
            move |ctx| exhausted(ctx, client),
        );
    }
    push(
        out,
        "ratelimit/other-models-unaffected",
        "a spent budget on the limited model does not refuse another model for the same user",
        &[Capability::RateLimits],
        other_models,
    );
    push(
        out,
        "ratelimit/other-users-unaffected",
        "a spent budget of one x-conformance-user value does not refuse another value",
        &[Capability::RateLimits],
        other_users,
    );
    push(
        out,
        "ratelimit/never-fits",
        "a request whose estimate exceeds the whole budget is a 429 without retry-after",
        &[Capability::RateLimits],
        never_fits,
    );
}

fn header_u64(resp: &Resp, name: &str) -> Result<u64, String> {
    let v = resp
        .header(name)
        .ok_or_else(|| format!("expected header {name}, got none: {:?}", resp.headers))?;
    v.trim()
        .parse()
        .map_err(|_| format!("header {name}: {v:?} is not a whole number"))
}

fn expect_limit_headers(resp: &Resp) -> Result<(), String> {
    let limit = resp.header("x-ratelimit-limit-tokens");
    ensure(limit == Some(LIMIT), || {
        format!("expected x-ratelimit-limit-tokens: {LIMIT}, got {limit:?}")
    })?;
    header_u64(resp, "x-ratelimit-remaining-tokens")?;
    ensure(resp.header("x-ratelimit-reset-tokens").is_some(), || {
        "expected an x-ratelimit-reset-tokens header".to_owned()
    })
}

/// Spends `user`'s budget through the Chat API; returns the number of admitted requests.
async fn spend(ctx: &Ctx, user: &str) -> Result<usize, String> {
    for n in 0..MAX_REQUESTS {
        let tag = ctx.tag();
        let resp = send(
            ctx,
            Api::Chat,
            &Req::text(MODEL, "Hello"),
            &tag,
            &[(USER, user)],
        )
        .await?;
        match resp.status {
            200 => {}
            429 => return Ok(n),
            other => {
                return Err(format!(
                    "while spending the budget: expected 200 or 429, got {other}: {}",
                    crate::http::clip(&resp.body)
                ));
            }
        }
    }
    Err(format!(
        "expected a 429 within {MAX_REQUESTS} requests to a model limited to {LIMIT} tokens, got none"
    ))
}

async fn headers_on_success(ctx: Arc<Ctx>) -> Result<(), String> {
    let tag = ctx.tag();
    let resp = send(
        &ctx,
        Api::Chat,
        &Req::text(MODEL, "Hello"),
        &tag,
        &[(USER, &tag)],
    )
    .await?;
    expect_text(&Api::Chat.parse(&resp)?)?;
    expect_limit_headers(&resp)?;
    let remaining = header_u64(&resp, "x-ratelimit-remaining-tokens")?;
    ensure(remaining < 100, || {
        format!("expected the remaining budget below {LIMIT} after a request, got {remaining}")
    })
}

async fn exhausted(ctx: Arc<Ctx>, client: Api) -> Result<(), String> {
    let user = ctx.tag();
    let admitted = spend(&ctx, &user).await?;
    ensure(admitted >= 1, || {
        "expected at least one request admitted before the 429".to_owned()
    })?;
    let tag = ctx.tag();
    let resp = send(
        &ctx,
        client,
        &Req::text(MODEL, "Hello"),
        &tag,
        &[(USER, &user)],
    )
    .await?;
    let err = client.error(&resp, 429)?;
    expect_kind(client, &err, 429)?;
    let retry = header_u64(&resp, "retry-after")?;
    ensure(retry >= 1, || {
        format!("expected retry-after of at least 1 s, got {retry}")
    })?;
    expect_limit_headers(&resp)?;
    expect_upstream_count(&ctx, &tag, 0).await
}

async fn other_models(ctx: Arc<Ctx>) -> Result<(), String> {
    let user = ctx.tag();
    spend(&ctx, &user).await?;
    let tag = ctx.tag();
    let resp = send(
        &ctx,
        Api::Chat,
        &Req::text(Family::OpenAi.model(), "Hello"),
        &tag,
        &[(USER, &user)],
    )
    .await?;
    expect_text(&Api::Chat.parse(&resp)?)
}

async fn other_users(ctx: Arc<Ctx>) -> Result<(), String> {
    let user = ctx.tag();
    spend(&ctx, &user).await?;
    let other = ctx.tag();
    let tag = ctx.tag();
    let resp = send(
        &ctx,
        Api::Chat,
        &Req::text(MODEL, "Hello"),
        &tag,
        &[(USER, &other)],
    )
    .await?;
    expect_text(&Api::Chat.parse(&resp)?)
}

async fn never_fits(ctx: Arc<Ctx>) -> Result<(), String> {
    let tag = ctx.tag();
    let prompt = "Please count these words carefully. ".repeat(200);
    let resp = send(
        &ctx,
        Api::Chat,
        &Req::text(MODEL, &prompt),
        &tag,
        &[(USER, &tag)],
    )
    .await?;
    let err = Api::Chat.error(&resp, 429)?;
    expect_kind(Api::Chat, &err, 429)?;
    ensure(resp.header("retry-after").is_none(), || {
        format!(
            "expected no retry-after on a request that can never fit, got {:?}",
            resp.header("retry-after")
        )
    })?;
    expect_upstream_count(&ctx, &tag, 0).await
}
