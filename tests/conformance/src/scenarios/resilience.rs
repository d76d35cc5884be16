//! Retries and fallback: transient upstream failures are retried, a provider sharing the
//! model id takes over, and nothing is retried once the client has bytes.

use std::sync::Arc;

use super::{
    Capability, Scenario, ensure, expect_complete, expect_error_end, expect_text,
    expect_upstream_count, push, send,
};
use crate::api::{APIS, Api, Req, expect_kind};
use crate::family::{FAMILIES, Family};
use crate::http::{Ctx, Stopwatch, paths};

pub(super) fn register(out: &mut Vec<Scenario>) {
    for family in FAMILIES {
        let f = family.name();
        let client = match family {
            Family::OpenAi => Api::Chat,
            _ => Api::Messages,
        };
        push(
            out,
            format!("retry/503-once/{f}"),
            format!(
                "{f} upstream answering 503 once: retried, the client gets the answer, the upstream saw 2 requests"
            ),
            &[],
            move |ctx| retry_once(ctx, client, family, false),
        );
        push(
            out,
            format!("retry/503-once-stream/{f}"),
            format!(
                "{f} upstream answering 503 once to a stream request: retried before any byte reached the client"
            ),
            &[],
            move |ctx| retry_once(ctx, client, family, true),
        );
    }
    push(
        out,
        "retry/429-retry-after",
        "an upstream 429 with retry-after: 1 is retried after about a second",
        &[],
        retry_after_short,
    );
    push(
        out,
        "retry/429-long-retry-after",
        "an upstream 429 asking for 30 s is not waited for: the client gets the 429 with retry-after at once",
        &[],
        retry_after_long,
    );
    push(
        out,
        "fallback/shared-model-id",
        "a provider failing twice falls back to the provider sharing its model id (openai/gpt-4.1 to azure_openai/gpt-4.1)",
        &[],
        fallback_shared,
    );
    push(
        out,
        "fallback/shared-model-id-stream",
        "the same fallback for a stream request, before the first byte",
        &[],
        fallback_shared_stream,
    );
    push(
        out,
        "fallback/connect-refused",
        "a provider at a closed port falls back to the provider sharing its model id",
        &[],
        fallback_connect,
    );
    for client in APIS {
        let c = client.name();
        push(
            out,
            format!("retry/none-after-first-byte/{c}"),
            format!(
                "{c} client: a stream reset after its first events is not retried; the client stream ends with its error event"
            ),
            &[Capability::MidStreamErrors],
            move |ctx| no_retry_after_first_byte(ctx, client),
        );
    }
}

async fn retry_once(
    ctx: Arc<Ctx>,
    client: Api,
    family: Family,
    stream: bool,
) -> Result<(), String> {
    let tag = ctx.tag();
    let req = Req::text(family.model(), "Hello").stream(stream);
    let resp = send(
        &ctx,
        client,
        &req,
        &tag,
        &[("x-mock-fault", "status=503;times=1")],
    )
    .await?;
    if stream {
        let s = client.parse_stream(&resp)?;
        expect_complete(client, &s, &resp)?;
        expect_text(&s.answer)?;
    } else {
        expect_text(&client.parse(&resp)?)?;
    }
    let seen = ctx.upstream(&tag).await?;
    ensure(seen.len() == 2, || {
        format!(
            "expected 2 upstream requests (a 503, then the retry), got {}: {}",
            seen.len(),
            paths(&seen)
        )
    })?;
    for r in &seen {
        family.check(client, r, stream)?;
    }
    Ok(())
}

async fn retry_after_short(ctx: Arc<Ctx>) -> Result<(), String> {
    let tag = ctx.tag();
    let watch = Stopwatch::start();
    let resp = send(
        &ctx,
        Api::Chat,
        &Req::text(Family::OpenAi.model(), "Hello"),
        &tag,
        &[("x-mock-fault", "status=429;retry-after=1;times=1")],
    )
    .await?;
    let took = watch.elapsed_ms();
    expect_text(&Api::Chat.parse(&resp)?)?;
    expect_upstream_count(&ctx, &tag, 2).await?;
    ensure(took >= 900, || {
        format!(
            "expected the retry to wait for retry-after: 1 (about 1000 ms), the request took {took} ms"
        )
    })
}

async fn retry_after_long(ctx: Arc<Ctx>) -> Result<(), String> {
    let tag = ctx.tag();
    let watch = Stopwatch::start();
    let resp = send(
        &ctx,
        Api::Messages,
        &Req::text(Family::Anthropic.model(), "Hello"),
        &tag,
        &[("x-mock-fault", "status=429;retry-after=30")],
    )
    .await?;
    let took = watch.elapsed_ms();
    let err = Api::Messages.error(&resp, 429)?;
    expect_kind(Api::Messages, &err, 429)?;
    let ra = resp.header("retry-after");
    ensure(ra == Some("30"), || {
        format!("expected retry-after: 30 passed to the client, got {ra:?}")
    })?;
    ensure(took < 5_000, || {
        format!("expected no wait for a 30 s retry-after, the request took {took} ms")
    })?;
    expect_upstream_count(&ctx, &tag, 1).await
}

async fn fallback_check(ctx: &Ctx, tag: &str, stream: bool) -> Result<(), String> {
    let seen = ctx.upstream(tag).await?;
    let got: Vec<String> = seen.iter().map(|r| r.decoded_path()).collect();
    let primary = "/v1/chat/completions";
    let backup = "/openai/deployments/gpt-4.1/chat/completions?api-version=2024-10-21";
    ensure(
        got.len() == 3
            && got.first().map(String::as_str) == Some(primary)
            && got.get(1).map(String::as_str) == Some(primary)
            && got.get(2).map(String::as_str) == Some(backup),
        || format!("expected two attempts at {primary} then one at {backup}, got {got:?}"),
    )?;
    if let Some(last) = seen.get(2) {
        ensure(last.header("api-key") == Some("mock-azure-key"), || {
            format!(
                "expected the backup's api-key: mock-azure-key, got {:?}",
                last.header("api-key")
            )
        })?;
        let stream_flag = last
            .body
            .get("stream")
            .and_then(|s| s.as_bool())
            .unwrap_or(false);
        ensure(stream_flag == stream, || {
            format!("expected the backup request's stream flag {stream}, got {stream_flag}")
        })?;
    }
    Ok(())
}

async fn fallback_shared(ctx: Arc<Ctx>) -> Result<(), String> {
    let tag = ctx.tag();
    let resp = send(
        &ctx,
        Api::Chat,
        &Req::text("gpt-4.1", "Hello"),
        &tag,
        &[("x-mock-fault", "status=503;times=2")],
    )
    .await?;
    expect_text(&Api::Chat.parse(&resp)?)?;
    fallback_check(&ctx, &tag, false).await
}

async fn fallback_shared_stream(ctx: Arc<Ctx>) -> Result<(), String> {
    let tag = ctx.tag();
    let resp = send(
        &ctx,
        Api::Messages,
        &Req::text("gpt-4.1", "Hello").stream(true),
        &tag,
        &[("x-mock-fault", "status=503;times=2")],
    )
    .await?;
    let s = Api::Messages.parse_stream(&resp)?;
    expect_complete(Api::Messages, &s, &resp)?;
    expect_text(&s.answer)?;
    fallback_check(&ctx, &tag, true).await
}

async fn fallback_connect(ctx: Arc<Ctx>) -> Result<(), String> {
    let tag = ctx.tag();
    let resp = send(
        &ctx,
        Api::Chat,
        &Req::text("dead-primary", "Hello"),
        &tag,
        &[],
    )
    .await?;
    expect_text(&Api::Chat.parse(&resp)?)?;
    let up = ctx.upstream_one(&tag).await?;
    let path = up.decoded_path();
    let want = "/openai/deployments/o3-mini/chat/completions?api-version=2024-10-21";
    ensure(path == want, || {
        format!("expected the fallback at {want}, got {path}")
    })
}

async fn no_retry_after_first_byte(ctx: Arc<Ctx>, client: Api) -> Result<(), String> {
    let tag = ctx.tag();
    let family = Family::own(client);
    let req = Req::text(family.model(), "Hello").stream(true);
    let resp = send(
        &ctx,
        client,
        &req,
        &tag,
        &[("x-mock-fault", "reset-after=2")],
    )
    .await?;
    let s = client.parse_stream(&resp)?;
    expect_error_end(client, &s, &resp)?;
    expect_upstream_count(&ctx, &tag, 1).await
}
