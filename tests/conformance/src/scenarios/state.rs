//! OpenAI Responses conversation state kept by the gateway for upstreams that keep none.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{
    Capability, Scenario, ensure, expect_complete, expect_text, expect_upstream_count, push,
};
use crate::api::{Answer, Api, Req, expect_kind, set, str_at};
use crate::family::Family;
use crate::http::{Ctx, TAG};

pub(super) fn register(out: &mut Vec<Scenario>) {
    let needs = &[Capability::ResponsesState];
    for family in [Family::Anthropic, Family::Gemini, Family::BedrockSigV4] {
        let f = family.name();
        push(
            out,
            format!("responses-state/history/{f}"),
            format!(
                "Responses client, {f} upstream: turn 2 with previous_response_id sends turn 1 (user and assistant) and turn 2 upstream"
            ),
            needs,
            move |ctx| history(ctx, family, false),
        );
    }
    push(
        out,
        "responses-state/history-after-stream/anthropic",
        "Responses client, anthropic upstream: a streamed turn 1 is stored and continued by turn 2",
        needs,
        move |ctx| history(ctx, Family::Anthropic, true),
    );
    push(
        out,
        "responses-state/ids-unique",
        "two stored turns get different response ids (the ids key the gateway's state)",
        needs,
        ids_unique,
    );
    push(
        out,
        "responses-state/get",
        "GET /v1/responses/{id} returns a stored turn (anthropic upstream)",
        needs,
        get_stored,
    );
    push(
        out,
        "responses-state/delete",
        "DELETE /v1/responses/{id} deletes a stored turn; a later GET is a 404 in the Responses shape",
        needs,
        delete_stored,
    );
    push(
        out,
        "responses-state/get-unknown-forwarded",
        "GET /v1/responses/{id} for an id the gateway does not hold is forwarded to the Responses provider with its key, and its answer passed through",
        &[],
        get_unknown_forwarded,
    );
    push(
        out,
        "responses-state/unknown-previous-id",
        "an unknown previous_response_id for a stateless upstream is a 4xx in the Responses shape, nothing sent upstream",
        needs,
        unknown_previous,
    );
    push(
        out,
        "responses-state/passthrough-keeps-previous-id",
        "a Responses request to an OpenAI (Responses) upstream keeps previous_response_id for the provider",
        &[],
        passthrough_previous,
    );
}

async fn turn(ctx: &Ctx, body: &Value, tag: &str, stream: bool) -> Result<Answer, String> {
    let resp = ctx.post("/v1/responses", body, tag).send().await?;
    if stream {
        let s = Api::Responses.parse_stream(&resp)?;
        expect_complete(Api::Responses, &s, &resp)?;
        Ok(s.answer)
    } else {
        Api::Responses.parse(&resp)
    }
}

fn first_turn(family: Family, prompt: &str, stream: bool) -> Value {
    let mut body = Api::Responses
        .build(&Req::text(family.model(), prompt).stream(stream))
        .body;
    set(&mut body, "store", json!(true));
    body
}

/// The conversation an upstream body of `family`'s API carries: (role, text) per message.
fn conversation(family: Family, body: &Value) -> Vec<(String, String)> {
    let list = |k: &str| {
        body.get(k)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let text_of = |v: &Value| -> String {
        let mut s = String::new();
        collect_text(v, &mut s);
        s
    };
    match family {
        Family::Gemini => list("contents")
            .iter()
            .map(|m| (str_at(m, "role").unwrap_or("").to_owned(), text_of(m)))
            .collect(),
        _ => list("messages")
            .iter()
            .map(|m| (str_at(m, "role").unwrap_or("").to_owned(), text_of(m)))
            .collect(),
    }
}

fn collect_text(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => {
            out.push_str(s);
            out.push(' ');
        }
        Value::Array(a) => a.iter().for_each(|x| collect_text(x, out)),
        Value::Object(o) => o.values().for_each(|x| collect_text(x, out)),
        _ => {}
    }
}

async fn history(ctx: Arc<Ctx>, family: Family, stream: bool) -> Result<(), String> {
    let tag1 = ctx.tag();
    let p1 = format!("My name is Ada ({tag1})");
    let a1 = turn(&ctx, &first_turn(family, &p1, stream), &tag1, stream).await?;
    expect_text(&a1)?;
    let id1 = a1.id.clone().ok_or("turn 1 has no id")?;
    let tag2 = ctx.tag();
    let p2 = format!("What is my name? ({tag2})");
    let body2 = json!({"model": family.model(), "previous_response_id": id1, "input": p2});
    let resp2 = ctx.post("/v1/responses", &body2, &tag2).send().await?;
    let a2 = Api::Responses.parse(&resp2)?;
    expect_text(&a2)?;
    let prev = resp2.json()?.get("previous_response_id").cloned();
    ensure(prev == Some(json!(id1)), || {
        format!("expected turn 2 to name previous_response_id {id1:?}, got {prev:?}")
    })?;
    let up = ctx.upstream_one(&tag2).await?;
    family.check(Api::Responses, &up, false)?;
    let conv = conversation(family, &up.body);
    let assistant = if family == Family::Gemini {
        "model"
    } else {
        "assistant"
    };
    let snippet: String = a1.text.chars().take(20).collect();
    let ok = conv.len() == 3
        && conv
            .first()
            .is_some_and(|(r, t)| r == "user" && t.contains(&p1))
        && conv
            .get(1)
            .is_some_and(|(r, t)| r == assistant && t.contains(snippet.trim()))
        && conv
            .get(2)
            .is_some_and(|(r, t)| r == "user" && t.contains(&p2));
    ensure(ok, || {
        format!(
            "expected the upstream conversation [user {p1:?}, {assistant} {snippet:?}…, user {p2:?}], got {conv:?}"
        )
    })
}

async fn stored_turn(ctx: &Ctx) -> Result<(String, Answer), String> {
    let tag = ctx.tag();
    let a = turn(
        ctx,
        &first_turn(Family::Anthropic, &format!("Remember me ({tag})"), false),
        &tag,
        false,
    )
    .await?;
    let id = a.id.clone().ok_or("the turn has no id")?;
    Ok((id, a))
}

async fn get_stored(ctx: Arc<Ctx>) -> Result<(), String> {
    let (id, a) = stored_turn(&ctx).await?;
    let tag = ctx.tag();
    let resp = ctx
        .request("GET", &format!("/v1/responses/{id}"))
        .header(TAG, &tag)
        .send()
        .await?;
    let got = Api::Responses.parse(&resp)?;
    ensure(got.id.as_deref() == Some(id.as_str()), || {
        format!("expected the stored response {id:?}, got id {:?}", got.id)
    })?;
    ensure(got.text == a.text, || {
        format!("expected the stored text {:?}, got {:?}", a.text, got.text)
    })?;
    expect_upstream_count(&ctx, &tag, 0).await
}

async fn delete_stored(ctx: Arc<Ctx>) -> Result<(), String> {
    let (id, _) = stored_turn(&ctx).await?;
    let tag = ctx.tag();
    let path = format!("/v1/responses/{id}");
    let resp = ctx
        .request("DELETE", &path)
        .header(TAG, &tag)
        .send()
        .await?;
    resp.expect_status(200)?;
    let v = resp.json()?;
    ensure(
        str_at(&v, "id") == Some(id.as_str()) && v.get("deleted") == Some(&json!(true)),
        || format!("expected {{\"id\": {id:?}, \"deleted\": true}}, got {v}"),
    )?;
    let again = ctx.request("GET", &path).header(TAG, &tag).send().await?;
    let err = Api::Responses.error(&again, 404)?;
    expect_kind(Api::Responses, &err, 404)?;
    expect_upstream_count(&ctx, &tag, 0).await
}

async fn unknown_previous(ctx: Arc<Ctx>) -> Result<(), String> {
    let tag = ctx.tag();
    let body = json!({
        "model": Family::Anthropic.model(),
        "previous_response_id": "resp_0000000000000000000000000000000000000000conformance",
        "input": "Hello"
    });
    let resp = ctx.post("/v1/responses", &body, &tag).send().await?;
    ensure((400..500).contains(&resp.status), || {
        format!(
            "expected a 4xx for an unknown previous_response_id, got {}: {}",
            resp.status,
            crate::http::clip(&resp.body)
        )
    })?;
    let err = Api::Responses.error_any(&resp)?;
    expect_kind(Api::Responses, &err, resp.status)?;
    expect_upstream_count(&ctx, &tag, 0).await
}

async fn passthrough_previous(ctx: Arc<Ctx>) -> Result<(), String> {
    let tag = ctx.tag();
    let body = json!({
        "model": Family::OpenAi.model(),
        "previous_response_id": "resp_kept_by_the_provider",
        "input": "Hello"
    });
    let resp = ctx.post("/v1/responses", &body, &tag).send().await?;
    expect_text(&Api::Responses.parse(&resp)?)?;
    let up = ctx.upstream_one(&tag).await?;
    Family::OpenAi.check(Api::Responses, &up, false)?;
    let prev = str_at(&up.body, "previous_response_id");
    ensure(prev == Some("resp_kept_by_the_provider"), || {
        format!("expected previous_response_id passed upstream, got {prev:?}")
    })
}

async fn ids_unique(ctx: Arc<Ctx>) -> Result<(), String> {
    let (a, _) = stored_turn(&ctx).await?;
    let (b, _) = stored_turn(&ctx).await?;
    ensure(a != b, || {
        format!(
            "expected two turns to get different response ids, both are {a:?}: one \
             conversation's state would answer for the other's previous_response_id"
        )
    })
}

async fn get_unknown_forwarded(ctx: Arc<Ctx>) -> Result<(), String> {
    let tag = ctx.tag();
    let id = format!("resp_{}", tag.replace('-', "_"));
    let path = format!("/v1/responses/{id}");
    let resp = ctx.request("GET", &path).header(TAG, &tag).send().await?;
    // The mock keeps no responses: its own 404, in the Responses shape, passed through.
    let err = Api::Responses.error(&resp, 404)?;
    expect_kind(Api::Responses, &err, 404)?;
    // The forward need not carry the client's x- headers: find it by its path.
    let all = ctx.upstream("").await?;
    let seen: Vec<_> = all.iter().filter(|r| r.path == path).collect();
    ensure(seen.len() == 1, || {
        format!(
            "expected the upstream to receive GET {path} once, it received it {} times",
            seen.len()
        )
    })?;
    let auth = seen.first().and_then(|r| r.header("authorization"));
    ensure(
        seen.first().is_some_and(|r| r.method == "GET") && auth == Some("Bearer sk-mock-openai"),
        || format!("expected a GET with the OpenAI provider's key, got {auth:?}"),
    )
}
