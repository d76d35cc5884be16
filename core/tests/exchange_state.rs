//! Exchange scenarios: OpenAI Responses conversation state against an Anthropic upstream
//! (previous_response_id across turns, streamed and not), unknown ids, GET and DELETE,
//! `store: false`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod exchange_support;

use exchange_support::*;
use plano_core::state::Saved;

fn anthropic_text(id: &str, text: &str) -> Vec<u8> {
    format!(
        r#"{{"id":"{id}","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{{"type":"text","text":"{text}"}}],"stop_reason":"end_turn","stop_sequence":null,"usage":{{"input_tokens":10,"output_tokens":5}}}}"#
    )
    .into_bytes()
}

/// OpenAI's answer for a response id it does not hold.
fn openai_not_found(id: &str) -> Canned {
    Canned::status(
        404,
        format!(
            r#"{{"error":{{"message":"Response with id '{id}' not found.","type":"invalid_request_error","param":null,"code":null}}}}"#
        )
        .into_bytes(),
    )
}

fn saved_id(out: &Outcome) -> String {
    match &out.record.state {
        Some(Ok(Saved::Stored { id, .. })) => id.clone(),
        other => panic!("not stored: {other:?}"),
    }
}

#[test]
fn previous_response_id_across_turns_against_anthropic() {
    let gw = Gw::new(config());
    let t1 = r#"{"model":"smart","input":"Hi, I'm Ana.","instructions":"Be brief."}"#;
    let (out, _) = gw.post(
        "/v1/responses",
        t1,
        vec![Canned::ok(anthropic_text("msg_01AAA", "Hello Ana!"))],
    );
    assert_eq!(out.status, 200, "{}", out.text());
    let id1 = out.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(saved_id(&out), id1);

    let t2 =
        format!(r#"{{"model":"smart","input":"What is my name?","previous_response_id":"{id1}"}}"#);
    let (out, sent) = gw.post(
        "/v1/responses",
        &t2,
        vec![Canned::ok(anthropic_text("msg_02BBB", "Ana."))],
    );
    assert_eq!(out.status, 200, "{}", out.text());
    // The upstream sees the whole conversation, without the first turn's instructions.
    let up = sent[0].json();
    let msgs = up["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 3, "{up}");
    assert_eq!(msgs[0]["role"], "user");
    assert_eq!(msgs[1]["role"], "assistant");
    assert_eq!(msgs[2]["role"], "user");
    assert!(up.get("system").is_none(), "{up}");
    assert!(!String::from_utf8_lossy(&sent[0].body).contains("previous_response_id"));
    // The reply names the turn it continued.
    let j = out.json();
    assert_eq!(j["previous_response_id"], id1.as_str());
    let id2 = saved_id(&out);

    // Third turn, streamed.
    let t3 = format!(
        r#"{{"model":"smart","input":"And again?","stream":true,"previous_response_id":"{id2}"}}"#
    );
    let (out, sent) = gw.post(
        "/v1/responses",
        &t3,
        vec![Canned::chunked(
            &fixture("anthropic_messages/streams/text.sse"),
            25,
        )],
    );
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(sent[0].json()["messages"].as_array().unwrap().len(), 5);
    let id3 = saved_id(&out);
    assert!(out.text().contains(&id3));
    // Every response object in the stream names the turn it continued.
    let text = out.text();
    let named = format!(r#""previous_response_id":"{id2}""#);
    assert_eq!(
        text.matches(&named).count(),
        text.matches(r#""response":{"id":"#).count(),
        "{text}"
    );
    assert!(text.matches(&named).count() >= 2);
    let (got, _, _) = gw.run("GET", &format!("/v1/responses/{id3}"), &[], b"", vec![]);
    assert_eq!(got.json()["previous_response_id"], id2.as_str());

    // GET returns what the client got; DELETE removes it.
    let (got, _, _) = gw.run("GET", &format!("/v1/responses/{id2}"), &[], b"", vec![]);
    assert_eq!(got.status, 200);
    assert_eq!(got.json()["id"], id2.as_str());
    assert_eq!(got.json()["output"], j["output"]);
    let (del, _, _) = gw.run("DELETE", &format!("/v1/responses/{id2}"), &[], b"", vec![]);
    assert_eq!(del.status, 200);
    assert_eq!(del.json()["deleted"], true);
    // No longer in the gateway's store: asked of the Responses provider (OpenAI), which
    // does not know it either.
    let (gone, sent, _) = gw.run(
        "GET",
        &format!("/v1/responses/{id2}"),
        &[],
        b"",
        vec![openai_not_found(&id2)],
    );
    assert_eq!(sent.len(), 1);
    assert!(sent[0].url.ends_with(&format!("/v1/responses/{id2}")));
    assert_eq!(gone.status, 404);
    assert_eq!(
        gone.json()["error"]["message"],
        format!("Response with id '{id2}' not found.")
    );
}

#[test]
fn unknown_previous_response_id_is_400_before_any_upstream_call() {
    let gw = Gw::new(config());
    let body = r#"{"model":"smart","input":"Hi","previous_response_id":"resp_nope"}"#;
    let (out, sent) = gw.post("/v1/responses", body, vec![]);
    assert!(sent.is_empty());
    assert_eq!(out.status, 400);
    let j = out.json();
    assert_eq!(j["error"]["code"], "previous_response_not_found");
    assert_eq!(j["error"]["param"], "previous_response_id");
    assert_eq!(
        j["error"]["message"],
        "Previous response with id 'resp_nope' not found."
    );
    let (out, sent, _) = gw.run(
        "DELETE",
        "/v1/responses/resp_nope",
        &[],
        b"",
        vec![openai_not_found("resp_nope")],
    );
    assert_eq!(sent.len(), 1, "forwarded to the Responses provider");
    assert_eq!(out.status, 404);
}

#[test]
fn store_false_is_respected() {
    let gw = Gw::new(config());
    let body = r#"{"model":"smart","input":"Hi","store":false}"#;
    let (out, _) = gw.post(
        "/v1/responses",
        body,
        vec![Canned::ok(anthropic_text("msg_01CCC", "Hi"))],
    );
    assert_eq!(out.status, 200);
    assert!(
        matches!(out.record.state, Some(Ok(Saved::Skipped(_)))),
        "{:?}",
        out.record.state
    );
    let id = out.json()["id"].as_str().unwrap().to_owned();
    let (got, _, _) = gw.run(
        "GET",
        &format!("/v1/responses/{id}"),
        &[],
        b"",
        vec![openai_not_found(&id)],
    );
    assert_eq!(got.status, 404);
    // Wrong type for `store`: 400 in the Responses shape.
    let (out, sent) = gw.post(
        "/v1/responses",
        r#"{"model":"smart","input":"Hi","store":"no"}"#,
        vec![],
    );
    assert!(sent.is_empty());
    assert_eq!(out.status, 400);
    assert_eq!(out.json()["error"]["type"], "invalid_request_error");
}
