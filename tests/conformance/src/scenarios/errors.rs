//! Errors in the client's own API shape: bad requests the gateway refuses itself, and upstream
//! errors mapped.

use std::sync::Arc;

use serde_json::json;

use super::{Capability, Scenario, ensure, expect_upstream_count, push, send};
use crate::api::{APIS, Api, Req, expect_kind};
use crate::family::{FAMILIES, Family};
use crate::http::{Ctx, Resp, TAG, own_client};

pub(super) fn register(out: &mut Vec<Scenario>) {
    for client in APIS {
        let c = client.name();
        push(
            out,
            format!("error/invalid-json/{c}"),
            format!(
                "{c} client: a body that is not JSON is a 400 in the {c} error shape, and nothing goes upstream"
            ),
            &[],
            move |ctx| invalid_json(ctx, client),
        );
        push(
            out,
            format!("error/wrong-types/{c}"),
            format!(
                "{c} client: a body with wrongly typed fields is a 400 in the {c} error shape, and nothing goes upstream"
            ),
            &[],
            move |ctx| wrong_types(ctx, client),
        );
        push(
            out,
            format!("error/body-too-large/{c}"),
            format!(
                "{c} client: a body over gateway.body_limit (1 MiB) is a 413 in the {c} error shape"
            ),
            &[Capability::BodyLimit],
            move |ctx| too_large(ctx, client),
        );
        push(
            out,
            format!("error/wrong-upstream-key/{c}"),
            format!(
                "{c} client, provider with a key the upstream refuses: an auth error (401) in the {c} shape that does not contain the key"
            ),
            &[],
            move |ctx| wrong_key(ctx, client),
        );
        push(
            out,
            format!("error/connect-refused/{c}"),
            format!(
                "{c} client, provider at a closed port with no fallback: a 502 in the {c} error shape"
            ),
            &[],
            move |ctx| connect_refused(ctx, client),
        );
        for family in FAMILIES {
            let f = family.name();
            push(
                out,
                format!("error/upstream-400/{c}/{f}"),
                format!(
                    "{c} client, {f} upstream answering 400: a 400 in the {c} error shape, not retried"
                ),
                &[],
                move |ctx| upstream_status(ctx, client, family, 400),
            );
            push(
                out,
                format!("error/upstream-500/{c}/{f}"),
                format!(
                    "{c} client, {f} upstream answering 500 every time: retried once, then a 500 in the {c} error shape"
                ),
                &[],
                move |ctx| upstream_status(ctx, client, family, 500),
            );
        }
    }
    push(
        out,
        "error/body-too-large-connection-reuse",
        "after a 413 the connection is either closed with `connection: close` or still serves the next request",
        &[Capability::BodyLimit],
        too_large_reuse,
    );
    push(
        out,
        "error/unknown-route",
        "an unknown path is a 404 in the OpenAI error shape",
        &[],
        unknown_route,
    );
    push(
        out,
        "error/unknown-route-anthropic",
        "an unknown path under /v1/messages is a 404 in the Anthropic error shape",
        &[],
        unknown_route_anthropic,
    );
    push(
        out,
        "error/method-not-allowed",
        "GET /v1/chat/completions is a 405 in the OpenAI error shape with an allow header",
        &[],
        method_not_allowed,
    );
}

async fn raw(ctx: &Ctx, client: Api, tag: &str, body: Vec<u8>) -> Result<Resp, String> {
    ctx.request("POST", &client.path(Family::own(client).model(), false))
        .header("content-type", "application/json")
        .header(TAG, tag)
        .headers(client.client_headers())
        .raw_body(body)
        .send()
        .await
}

async fn invalid_json(ctx: Arc<Ctx>, client: Api) -> Result<(), String> {
    let tag = ctx.tag();
    let resp = raw(
        &ctx,
        client,
        &tag,
        br#"{"model": "gpt-4o-mini", "messages": [{"role": "#.to_vec(),
    )
    .await?;
    let err = client.error(&resp, 400)?;
    expect_kind(client, &err, 400)?;
    expect_upstream_count(&ctx, &tag, 0).await
}

async fn wrong_types(ctx: Arc<Ctx>, client: Api) -> Result<(), String> {
    let tag = ctx.tag();
    let model = Family::own(client).model();
    let body = match client {
        Api::Chat => json!({"model": model, "messages": "hello", "max_tokens": 10}),
        Api::Responses => json!({"model": model, "input": 42}),
        Api::Messages => {
            json!({"model": model, "max_tokens": "many", "messages": [{"role": "user", "content": "hi"}]})
        }
        Api::Gemini => json!({"contents": "hello"}),
        Api::Converse => json!({"messages": "hello"}),
    };
    let resp = raw(
        &ctx,
        client,
        &tag,
        serde_json::to_vec(&body).unwrap_or_default(),
    )
    .await?;
    let err = client.error(&resp, 400)?;
    expect_kind(client, &err, 400)?;
    expect_upstream_count(&ctx, &tag, 0).await
}

async fn too_large(ctx: Arc<Ctx>, client: Api) -> Result<(), String> {
    let tag = ctx.tag();
    let big = "a".repeat(2 << 20);
    let built = client.build(&Req::text(Family::own(client).model(), &big));
    // A connection of its own: a host that closes it after refusing the body must not break
    // other scenarios (`error/body-too-large-connection-reuse` checks that separately).
    let resp = ctx
        .post(&built.path, &built.body, &tag)
        .headers(client.client_headers())
        .via(&own_client(false))
        .send()
        .await?;
    let err = client.error(&resp, 413)?;
    expect_kind(client, &err, 413)?;
    expect_upstream_count(&ctx, &tag, 0).await
}

async fn too_large_reuse(ctx: Arc<Ctx>) -> Result<(), String> {
    use tokio::io::AsyncWriteExt;

    let rest = ctx
        .gateway
        .strip_prefix("http://")
        .ok_or("the gateway URL is not http://")?
        .trim_end_matches('/');
    // A gateway behind a path prefix (a Lambda Function URL under cargo-lambda's
    // `/lambda-url/<function>`) is reached at host:port with the prefix on every path.
    let (addr, prefix) = match rest.split_once('/') {
        Some((a, p)) => (a.to_owned(), format!("/{p}")),
        None => (rest.to_owned(), String::new()),
    };
    let stream = tokio::net::TcpStream::connect(&addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    let (mut reader, mut writer) = stream.into_split();
    let body = serde_json::to_vec(
        &Api::Chat
            .build(&Req::text("gpt-4o-mini", &"a".repeat(2 << 20)))
            .body,
    )
    .unwrap_or_default();
    let head = format!(
        "POST {prefix}/v1/chat/completions HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n\r\n",
        body.len()
    );
    // Written while the response is read: a host may answer before reading the body.
    let write = tokio::spawn(async move {
        let sent = async {
            writer.write_all(head.as_bytes()).await?;
            writer.write_all(&body).await?;
            writer.flush().await
        }
        .await;
        (writer, sent)
    });
    let first = read_response(&mut reader).await?;
    ensure(first.starts_with("HTTP/1.1 413"), || {
        format!(
            "expected a 413, got {:?}",
            first.lines().next().unwrap_or("")
        )
    })?;
    let closes = first.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("connection:") && l.contains("close")
    });
    if closes {
        return Ok(());
    }
    let (mut writer, sent) = write.await.map_err(|e| format!("writer task: {e}"))?;
    let dead = |what: String| {
        format!(
            "the 413 did not say `connection: close`, but the connection is unusable after it \
             ({what}): a keep-alive client's next request on it fails"
        )
    };
    sent.map_err(|e| dead(format!("writing the rest of the body failed: {e}")))?;
    writer
        .write_all(format!("GET {prefix}/healthz HTTP/1.1\r\nhost: {addr}\r\n\r\n").as_bytes())
        .await
        .map_err(|e| dead(format!("writing the next request failed: {e}")))?;
    let second = read_response(&mut reader).await.map_err(dead)?;
    ensure(second.starts_with("HTTP/1.1 200"), || {
        dead(format!(
            "the next request got {:?}",
            second.lines().next().unwrap_or("")
        ))
    })?;
    Ok(())
}

/// Reads one HTTP/1.1 response with a content-length or chunked body (a host behind a
/// streaming front end, such as a Lambda Function URL, answers chunked); returns its head.
async fn read_response(reader: &mut tokio::net::tcp::OwnedReadHalf) -> Result<String, String> {
    use tokio::io::AsyncReadExt;

    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let deadline = std::time::Duration::from_secs(10);
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(buf.get(..end).unwrap_or_default()).into_owned();
            let len: usize = head
                .lines()
                .find_map(|l| {
                    let (n, v) = l.split_once(':')?;
                    n.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0);
            let chunked = head.lines().any(|l| {
                let l = l.to_ascii_lowercase();
                l.starts_with("transfer-encoding:") && l.contains("chunked")
            });
            let body = buf.get(end + 4..).unwrap_or_default();
            let complete = if chunked {
                body.starts_with(b"0\r\n\r\n") || body.windows(7).any(|w| w == b"\r\n0\r\n\r\n")
            } else {
                body.len() >= len
            };
            if complete {
                return Ok(head);
            }
        }
        let n = tokio::time::timeout(deadline, reader.read(&mut chunk))
            .await
            .map_err(|_| "no response within 10 s".to_owned())?
            .map_err(|e| format!("reading the response failed: {e}"))?;
        if n == 0 {
            return Err(format!(
                "the connection was closed after {} bytes of response",
                buf.len()
            ));
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
}

async fn wrong_key(ctx: Arc<Ctx>, client: Api) -> Result<(), String> {
    let tag = ctx.tag();
    let resp = send(&ctx, client, &Req::text("wrong-key", "Hello"), &tag, &[]).await?;
    let err = client.error(&resp, 401)?;
    expect_kind(client, &err, 401)?;
    let secret_tail = crate::WRONG_KEY.get(12..).unwrap_or(crate::WRONG_KEY);
    let body = String::from_utf8_lossy(&resp.body);
    ensure(!body.contains(secret_tail), || {
        format!("the error body leaks the upstream key: {body}")
    })?;
    ensure(
        !resp.headers.iter().any(|(_, v)| v.contains(secret_tail)),
        || {
            format!(
                "a response header leaks the upstream key: {:?}",
                resp.headers
            )
        },
    )?;
    let up = ctx.upstream_one(&tag).await?;
    ensure(
        up.header("authorization") == Some(&format!("Bearer {}", crate::WRONG_KEY)),
        || {
            format!(
                "expected the configured wrong key upstream, got {:?}",
                up.header("authorization")
            )
        },
    )
}

async fn connect_refused(ctx: Arc<Ctx>, client: Api) -> Result<(), String> {
    let tag = ctx.tag();
    let resp = send(&ctx, client, &Req::text("dead-only", "Hello"), &tag, &[]).await?;
    let err = client.error(&resp, 502)?;
    expect_kind(client, &err, 502)
}

async fn upstream_status(
    ctx: Arc<Ctx>,
    client: Api,
    family: Family,
    status: u16,
) -> Result<(), String> {
    let tag = ctx.tag();
    let fault = format!("status={status}");
    let resp = send(
        &ctx,
        client,
        &Req::text(family.model(), "Hello"),
        &tag,
        &[("x-mock-fault", &fault)],
    )
    .await?;
    let err = client.error(&resp, status)?;
    expect_kind(client, &err, status)?;
    // 400 is the request's fault: never retried. 500 is transient: one retry (two attempts).
    let attempts = if status >= 500 { 2 } else { 1 };
    expect_upstream_count(&ctx, &tag, attempts).await
}

async fn unknown_route(ctx: Arc<Ctx>) -> Result<(), String> {
    let resp = ctx.request("GET", "/v1/no-such-endpoint").send().await?;
    let err = Api::Chat.error(&resp, 404)?;
    expect_kind(Api::Chat, &err, 404)
}

async fn unknown_route_anthropic(ctx: Arc<Ctx>) -> Result<(), String> {
    let resp = ctx
        .request("POST", "/v1/messages/no-such-endpoint")
        .header("anthropic-version", "2023-06-01")
        .header("content-type", "application/json")
        .raw_body(b"{}".to_vec())
        .send()
        .await?;
    let err = Api::Messages.error(&resp, 404)?;
    expect_kind(Api::Messages, &err, 404)
}

async fn method_not_allowed(ctx: Arc<Ctx>) -> Result<(), String> {
    let resp = ctx.request("GET", "/v1/chat/completions").send().await?;
    Api::Chat.error(&resp, 405)?;
    let allow = resp.header("allow").unwrap_or("");
    ensure(allow.contains("POST"), || {
        format!("expected an allow header naming POST, got {allow:?}")
    })
}
