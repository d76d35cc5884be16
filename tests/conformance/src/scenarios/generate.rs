//! Every client API against every upstream family: text, streams, usage, tools, parallel
//! tools, images, thinking, cache usage.

use std::sync::Arc;

use super::{
    Scenario, ensure, expect_complete, expect_finish, expect_text, expect_usage, push, send,
};
use crate::api::{APIS, Answer, Api, Req, SYSTEM, Tools};
use crate::family::{FAMILIES, Family, asks_thinking, check_image, contains_text, declared_tools};
use crate::http::Ctx;

pub(super) fn register(out: &mut Vec<Scenario>) {
    for client in APIS {
        for family in FAMILIES {
            let (c, f) = (client.name(), family.name());
            push(
                out,
                format!("text/{c}/{f}"),
                format!(
                    "{c} client, {f} upstream: text, finish reason, usage; the upstream got the translated request with its credentials"
                ),
                &[],
                move |ctx| text(ctx, client, family),
            );
            push(
                out,
                format!("stream/{c}/{f}"),
                format!(
                    "{c} client, {f} upstream, streaming: a well-formed {c} stream with text, finish reason and usage, ending with its terminal event"
                ),
                &[],
                move |ctx| stream(ctx, client, family),
            );
            push(
                out,
                format!("usage-match/{c}/{f}"),
                format!(
                    "{c} client, {f} upstream: the streamed usage equals the non-streamed usage"
                ),
                &[],
                move |ctx| usage_match(ctx, client, family),
            );
            for (kind, tools) in [("tools", Tools::One), ("parallel-tools", Tools::Parallel)] {
                push(
                    out,
                    format!("{kind}/{c}/{f}"),
                    format!(
                        "{c} client, {f} upstream: {kind} declared upstream; tool calls with names and complete JSON arguments"
                    ),
                    &[],
                    move |ctx| tool_calls(ctx, client, family, tools, false),
                );
                push(
                    out,
                    format!("{kind}-stream/{c}/{f}"),
                    format!(
                        "{c} client, {f} upstream, streaming: {kind}; argument deltas add up to complete JSON"
                    ),
                    &[],
                    move |ctx| tool_calls(ctx, client, family, tools, true),
                );
            }
            push(
                out,
                format!("image/{c}/{f}"),
                format!(
                    "{c} client, {f} upstream: an image in the request reaches the upstream in its image shape"
                ),
                &[],
                move |ctx| image(ctx, client, family),
            );
            push(
                out,
                format!("cache-usage/{c}/{f}"),
                format!(
                    "{c} client, {f} upstream: cached input tokens reported in the client's usage"
                ),
                &[],
                move |ctx| cache_usage(ctx, client, family, false),
            );
        }
        let c = client.name();
        let own = Family::own(client);
        push(
            out,
            format!("cache-usage-stream/{c}/{}", own.name()),
            format!(
                "{c} client, its own family, streaming: cached input tokens in the stream's usage"
            ),
            &[],
            move |ctx| cache_usage(ctx, client, own, true),
        );
        for stream in [false, true] {
            let kind = if stream {
                "thinking-stream"
            } else {
                "thinking"
            };
            push(
                out,
                format!("{kind}/{c}/{}", own.name()),
                format!(
                    "{c} client, its own family: reasoning requested upstream and returned (with its signature where the API has one)"
                ),
                &[],
                move |ctx| thinking(ctx, client, own, stream),
            );
        }
    }
    for stream in [false, true] {
        let kind = if stream {
            "thinking-stream"
        } else {
            "thinking"
        };
        push(
            out,
            format!("{kind}/messages/bedrock-sigv4"),
            "messages client, Claude on Bedrock: thinking requested upstream, returned with its signature",
            &[],
            move |ctx| thinking(ctx, Api::Messages, Family::BedrockSigV4, stream),
        );
    }
    push(
        out,
        "stream/gemini-json-array",
        "gemini client without ?alt=sse: the stream is one JSON array of responses",
        &[],
        gemini_array,
    );
}

/// A prompt unique to the request, so the upstream body can be searched for it.
fn prompt(tag: &str) -> String {
    format!("Say hello to the conformance suite ({tag})")
}

async fn text(ctx: Arc<Ctx>, client: Api, family: Family) -> Result<(), String> {
    let tag = ctx.tag();
    let p = prompt(&tag);
    let resp = send(&ctx, client, &Req::text(family.model(), &p), &tag, &[]).await?;
    let a = client.parse(&resp)?;
    expect_text(&a)?;
    expect_finish(client, &a, client.finish_text())?;
    expect_usage(&a)?;
    let up = ctx.upstream_one(&tag).await?;
    family.check(client, &up, false)?;
    ensure(contains_text(&up.body, &p), || {
        format!(
            "the upstream body does not contain the prompt {p:?}: {}",
            up.body
        )
    })?;
    ensure(contains_text(&up.body, SYSTEM), || {
        format!(
            "the upstream body does not contain the system prompt: {}",
            up.body
        )
    })
}

async fn stream(ctx: Arc<Ctx>, client: Api, family: Family) -> Result<(), String> {
    let tag = ctx.tag();
    let p = prompt(&tag);
    let req = Req::text(family.model(), &p).stream(true);
    let resp = send(&ctx, client, &req, &tag, &[]).await?;
    let s = client.parse_stream(&resp)?;
    expect_complete(client, &s, &resp)?;
    expect_text(&s.answer)?;
    expect_finish(client, &s.answer, client.finish_text())?;
    expect_usage(&s.answer)?;
    let up = ctx.upstream_one(&tag).await?;
    family.check(client, &up, true)?;
    ensure(contains_text(&up.body, &p), || {
        format!("the upstream body does not contain the prompt {p:?}")
    })
}

async fn usage_match(ctx: Arc<Ctx>, client: Api, family: Family) -> Result<(), String> {
    let tag = ctx.tag();
    let req = Req::text(family.model(), &prompt(&tag));
    let plain = client.parse(&send(&ctx, client, &req, &tag, &[]).await?)?;
    let tag = ctx.tag();
    let resp = send(&ctx, client, &req.clone().stream(true), &tag, &[]).await?;
    let streamed = client.parse_stream(&resp)?;
    let a = expect_usage(&plain)?;
    let b = expect_usage(&streamed.answer).map_err(|e| format!("streamed usage: {e}"))?;
    ensure((a.input, a.output) == (b.input, b.output), || {
        format!("expected the streamed usage to equal the non-streamed usage {a:?}, got {b:?}")
    })
}

fn check_calls(client: Api, a: &Answer, tools: Tools) -> Result<(), String> {
    let min = if tools == Tools::Parallel { 2 } else { 1 };
    ensure(a.tool_calls.len() >= min, || {
        format!(
            "expected at least {min} tool call(s), got {}: {:?} (text {:?})",
            a.tool_calls.len(),
            a.tool_calls,
            a.text
        )
    })?;
    for call in &a.tool_calls {
        ensure(!call.name.is_empty(), || {
            format!("a tool call without a name: {call:?}")
        })?;
        ensure(call.arguments.is_object(), || {
            format!(
                "tool call `{}`: arguments are not a JSON object: {}",
                call.name, call.arguments
            )
        })?;
    }
    expect_finish(client, a, client.finish_tools())
}

async fn tool_calls(
    ctx: Arc<Ctx>,
    client: Api,
    family: Family,
    tools: Tools,
    stream: bool,
) -> Result<(), String> {
    let tag = ctx.tag();
    let req = Req::text(
        family.model(),
        "What is the weather in Paris, and the time there?",
    )
    .tools(tools)
    .stream(stream);
    let headers: &[(&str, &str)] = if tools == Tools::Parallel {
        &[("x-mock-scenario", "parallel_tools")]
    } else {
        &[]
    };
    let resp = send(&ctx, client, &req, &tag, headers).await?;
    let a = if stream {
        let s = client.parse_stream(&resp)?;
        expect_complete(client, &s, &resp)?;
        s.answer
    } else {
        client.parse(&resp)?
    };
    check_calls(client, &a, tools)?;
    let up = ctx.upstream_one(&tag).await?;
    family.check(client, &up, stream)?;
    let declared = declared_tools(family.upstream_api(client), &up.body);
    let want: Vec<&str> = crate::api::tool_defs(tools).iter().map(|t| t.0).collect();
    ensure(want.iter().all(|w| declared.iter().any(|d| d == w)), || {
        format!("expected the upstream to declare tools {want:?}, it declares {declared:?}")
    })
}

async fn image(ctx: Arc<Ctx>, client: Api, family: Family) -> Result<(), String> {
    let tag = ctx.tag();
    let req = Req::text(family.model(), "What is in this image?").image();
    let resp = send(&ctx, client, &req, &tag, &[]).await?;
    let a = client.parse(&resp)?;
    expect_text(&a)?;
    let up = ctx.upstream_one(&tag).await?;
    family.check(client, &up, false)?;
    check_image(family.upstream_api(client), &up.body)
}

async fn cache_usage(
    ctx: Arc<Ctx>,
    client: Api,
    family: Family,
    stream: bool,
) -> Result<(), String> {
    let tag = ctx.tag();
    let req = Req::text(family.model(), &prompt(&tag)).stream(stream);
    let resp = send(
        &ctx,
        client,
        &req,
        &tag,
        &[("x-mock-scenario", "cache_usage")],
    )
    .await?;
    let a = if stream {
        let s = client.parse_stream(&resp)?;
        expect_complete(client, &s, &resp)?;
        s.answer
    } else {
        client.parse(&resp)?
    };
    let u = a
        .usage
        .ok_or_else(|| "expected usage, got none".to_owned())?;
    ensure(u.cached.is_some_and(|c| c > 0), || {
        format!(
            "expected cached input tokens in the {} usage, got {u:?}",
            client.name()
        )
    })?;
    if matches!(client, Api::Chat | Api::Responses) {
        // OpenAI counts cached tokens inside the input tokens.
        ensure(u.cached.unwrap_or(0) <= u.input, || {
            format!("OpenAI usage with more cached tokens than input tokens: {u:?}")
        })?;
    }
    Ok(())
}

async fn thinking(ctx: Arc<Ctx>, client: Api, family: Family, stream: bool) -> Result<(), String> {
    let tag = ctx.tag();
    let req = Req::text(family.model(), "Think, then answer: what is 17 * 23?")
        .thinking()
        .stream(stream);
    let resp = send(&ctx, client, &req, &tag, &[("x-mock-scenario", "thinking")]).await?;
    let a = if stream {
        let s = client.parse_stream(&resp)?;
        expect_complete(client, &s, &resp)?;
        s.answer
    } else {
        client.parse(&resp)?
    };
    ensure(a.reasoning, || {
        format!(
            "expected reasoning in the {} answer, got none: {a:?}",
            client.name()
        )
    })?;
    if matches!(client, Api::Messages | Api::Converse) {
        ensure(a.reasoning_signature, || {
            format!(
                "expected the {} reasoning to carry its signature",
                client.name()
            )
        })?;
    }
    let up = ctx.upstream_one(&tag).await?;
    family.check(client, &up, stream)?;
    let api = family.upstream_api(client);
    ensure(asks_thinking(api, &up.body), || {
        format!(
            "the upstream {} body does not ask for reasoning: {}",
            api.name(),
            up.body
        )
    })
}

async fn gemini_array(ctx: Arc<Ctx>) -> Result<(), String> {
    let tag = ctx.tag();
    let req = Req::text(Family::Gemini.model(), &prompt(&tag));
    let built = Api::Gemini.build(&req);
    let path = built
        .path
        .replace(":generateContent", ":streamGenerateContent");
    let resp = ctx.post(&path, &built.body, &tag).send().await?;
    resp.expect_status(200)?;
    let ct = resp.header("content-type").unwrap_or("");
    ensure(ct.starts_with("application/json"), || {
        format!("expected content-type application/json, got {ct:?}")
    })?;
    let s = crate::api::parse_gemini_array(&resp.body)?;
    expect_complete(Api::Gemini, &s, &resp)?;
    expect_text(&s.answer)?;
    expect_usage(&s.answer)?;
    let up = ctx.upstream_one(&tag).await?;
    Family::Gemini.check(Api::Gemini, &up, true)
}
