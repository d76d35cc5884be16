//! Every mock fault mode: delays, resets, stalls, malformed bodies, truncated streams.

use std::sync::Arc;

use super::{
    Capability, Scenario, ensure, expect_error_end, expect_text, expect_upstream_count, push, send,
};
use crate::api::{APIS, Api, Req, expect_kind};
use crate::family::{FAMILIES, Family};
use crate::http::{Ctx, Stopwatch};

pub(super) fn register(out: &mut Vec<Scenario>) {
    push(
        out,
        "fault/delay-within-timeout",
        "an upstream that waits 1 s before answering (within the 10 s request timeout) is answered normally",
        &[],
        delay_ok,
    );
    push(
        out,
        "fault/delay-past-request-timeout",
        "an upstream silent past the request timeout (10 s) is a 504 in the client's shape, not retried",
        &[Capability::Timeouts],
        delay_timeout,
    );
    for client in APIS {
        let c = client.name();
        for family in FAMILIES {
            let f = family.name();
            push(
                out,
                format!("fault/reset-stream/{c}/{f}"),
                format!(
                    "{c} client, {f} upstream resetting the stream after 2 events: the client stream ends with a well-formed {c} error event"
                ),
                &[Capability::MidStreamErrors],
                move |ctx| stream_fault(ctx, client, family, "reset-after=2"),
            );
            push(
                out,
                format!("fault/truncate-stream/{c}/{f}"),
                format!(
                    "{c} client, {f} upstream ending the stream cleanly without its terminal event: the client stream ends with its error event"
                ),
                &[],
                move |ctx| stream_fault(ctx, client, family, "truncate-after=2"),
            );
            push(
                out,
                format!("fault/malformed-body/{c}/{f}"),
                format!(
                    "{c} client, {f} upstream answering 200 with a body that is not its JSON: a 502 in the {c} error shape"
                ),
                &[],
                move |ctx| body_fault(ctx, client, family, "malformed", Some(502)),
            );
        }
        let own = Family::own(client);
        // The client's own family (a same-API passthrough stream) and a translated one.
        let other = if own == Family::OpenAi {
            Family::Anthropic
        } else {
            Family::OpenAi
        };
        for family in [own, other] {
            let f = family.name();
            push(
                out,
                format!("fault/malformed-stream/{c}/{f}"),
                format!(
                    "{c} client, {f} upstream streaming an event that is not JSON: the client stream ends with its error event"
                ),
                &[],
                move |ctx| stream_fault(ctx, client, family, "malformed"),
            );
        }
        let f = own.name();
        push(
            out,
            format!("fault/stall-stream/{c}/{f}"),
            format!(
                "{c} client, {f} upstream going silent mid-stream: after the idle timeout (2 s) the client stream ends with its error event"
            ),
            &[Capability::Timeouts, Capability::MidStreamErrors],
            move |ctx| stall_stream(ctx, client, own),
        );
        push(
            out,
            format!("fault/reset-body/{c}/{f}"),
            format!(
                "{c} client, {f} upstream resetting the connection mid-body (not streaming): a 5xx in the {c} error shape"
            ),
            &[],
            move |ctx| body_fault(ctx, client, own, "reset-after=1", None),
        );
        push(
            out,
            format!("fault/stall-body/{c}/{f}"),
            format!(
                "{c} client, {f} upstream going silent mid-body (not streaming): a 5xx in the {c} error shape after the idle timeout"
            ),
            &[Capability::Timeouts],
            move |ctx| body_fault(ctx, client, own, "stall-after=1", None),
        );
    }
}

async fn delay_ok(ctx: Arc<Ctx>) -> Result<(), String> {
    let tag = ctx.tag();
    let watch = Stopwatch::start();
    let resp = send(
        &ctx,
        Api::Chat,
        &Req::text(Family::OpenAi.model(), "Hello"),
        &tag,
        &[("x-mock-fault", "delay=1000")],
    )
    .await?;
    let took = watch.elapsed_ms();
    expect_text(&Api::Chat.parse(&resp)?)?;
    ensure(took >= 1000, || {
        format!("expected the mock's 1000 ms delay to show, the request took {took} ms")
    })?;
    expect_upstream_count(&ctx, &tag, 1).await
}

async fn delay_timeout(ctx: Arc<Ctx>) -> Result<(), String> {
    let tag = ctx.tag();
    let watch = Stopwatch::start();
    let resp = send(
        &ctx,
        Api::Messages,
        &Req::text(Family::Anthropic.model(), "Hello"),
        &tag,
        &[("x-mock-fault", "delay=15000")],
    )
    .await?;
    let took = watch.elapsed_ms();
    let err = Api::Messages.error(&resp, 504)?;
    expect_kind(Api::Messages, &err, 504)?;
    ensure((9_000..14_000).contains(&took), || {
        format!("expected the 504 at the 10 s request timeout, it came after {took} ms")
    })?;
    expect_upstream_count(&ctx, &tag, 1).await
}

async fn stream_fault(
    ctx: Arc<Ctx>,
    client: Api,
    family: Family,
    fault: &str,
) -> Result<(), String> {
    let tag = ctx.tag();
    let req = Req::text(family.model(), "Hello").stream(true);
    let resp = send(&ctx, client, &req, &tag, &[("x-mock-fault", fault)]).await?;
    let s = client.parse_stream(&resp)?;
    expect_error_end(client, &s, &resp)?;
    expect_upstream_count(&ctx, &tag, 1).await
}

async fn stall_stream(ctx: Arc<Ctx>, client: Api, family: Family) -> Result<(), String> {
    let tag = ctx.tag();
    let watch = Stopwatch::start();
    let req = Req::text(family.model(), "Hello").stream(true);
    let resp = send(
        &ctx,
        client,
        &req,
        &tag,
        &[("x-mock-fault", "stall-after=2")],
    )
    .await?;
    let took = watch.elapsed_ms();
    let s = client.parse_stream(&resp)?;
    expect_error_end(client, &s, &resp)?;
    ensure((1_800..8_000).contains(&took), || {
        format!("expected the stream to end at the 2 s idle timeout, it took {took} ms")
    })?;
    expect_upstream_count(&ctx, &tag, 1).await
}

/// A non-streaming fault: an error in the client's shape, with `status` when given (else any
/// 5xx).
async fn body_fault(
    ctx: Arc<Ctx>,
    client: Api,
    family: Family,
    fault: &str,
    status: Option<u16>,
) -> Result<(), String> {
    let tag = ctx.tag();
    let resp = send(
        &ctx,
        client,
        &Req::text(family.model(), "Hello"),
        &tag,
        &[("x-mock-fault", fault)],
    )
    .await?;
    let err = match status {
        Some(s) => client.error(&resp, s)?,
        None => {
            ensure((500..600).contains(&resp.status), || {
                format!(
                    "expected a 5xx, got {}: {}",
                    resp.status,
                    crate::http::clip(&resp.body)
                )
            })?;
            client.error_any(&resp)?
        }
    };
    expect_kind(client, &err, resp.status)?;
    let seen = ctx.upstream(&tag).await?;
    // An undecodable or broken body is the provider's failure: it may be handed to another
    // provider, never retried against the same one (plano-core retry rules).
    ensure(seen.len() == 1, || {
        format!(
            "expected 1 upstream request (no retry of the same provider), got {}",
            seen.len()
        )
    })
}
