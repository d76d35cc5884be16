//! Prompt targets on the prompt listener: the weather flow (ask → clarify the missing city
//! → call the API → answer with its data), the function-calling request's shape, direct API
//! answers, no match, the default target, and failures in the client's shape.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod exchange_support;

use exchange_support::*;
use plano_core::exchange::ExchangeOptions;
use plano_core::exchange::driver::SendError;

const PROMPTS: &str = r#"overrides:
  function_calling_model: gpt-4o-mini
system_prompt: You are a helpful weather assistant.
endpoints:
  weather_api:
    endpoint: 127.0.0.1:8080
prompt_targets:
  - name: get_weather
    description: Get the current weather for a city
    parameters:
      - name: city
        description: the city
        type: str
        required: true
        in_path: true
      - name: units
        description: the units
        type: str
        enum: [metric, imperial]
        default: metric
    endpoint:
      name: weather_api
      path: /weather/{city}
      http_headers:
        x-api-key: $OPENAI_API_KEY
    system_prompt: Answer with the weather data you were given.
  - name: raw_time
    description: The current time in a timezone
    auto_llm_dispatch_on_response: false
    parameters:
      - name: tz
        description: the timezone
        type: str
        required: true
    endpoint:
      name: weather_api
      path: /time
      http_method: POST
"#;

fn prompt_options() -> ExchangeOptions<'static> {
    ExchangeOptions::default().prompt_listener(true)
}

/// A function-calling answer: optional text, optional call of `name` with `args`.
fn fc(text: Option<&str>, call: Option<(&str, &str)>) -> Canned {
    let mut message = serde_json::json!({"role": "assistant", "content": text});
    if let Some((name, args)) = call {
        message["tool_calls"] = serde_json::json!([{"id": "call_7", "type": "function",
            "function": {"name": name, "arguments": args}}]);
    }
    let body = serde_json::json!({"id": "chatcmpl-fc", "object": "chat.completion", "created": 1,
        "model": "gpt-4o-mini", "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]});
    Canned::ok(serde_json::to_vec(&body).unwrap())
}

fn run(gw: &Gw, body: &str, canned: Vec<Canned>) -> (Outcome, Vec<Sent>) {
    run_at(gw, "/v1/chat/completions", body, canned)
}

fn run_at(gw: &Gw, target: &str, body: &str, canned: Vec<Canned>) -> (Outcome, Vec<Sent>) {
    let (o, s, _) = gw.run_with(
        prompt_options(),
        "POST",
        target,
        &[],
        body.as_bytes(),
        canned,
    );
    (o, s)
}

#[test]
fn the_weather_flow_clarifies_then_calls_the_api_then_answers_with_its_data() {
    let gw = Gw::new(config_with(PROMPTS));
    // Turn 1: no city.
    let turn1 =
        r#"{"model":"gpt-4o","messages":[{"role":"user","content":"What's the weather like?"}]}"#;
    let (out, sent) = run(&gw, turn1, vec![fc(None, Some(("get_weather", "{}")))]);
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(sent.len(), 1, "only the function-calling model");
    let question = out.json()["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(question, "Could you tell me the city?");
    // The function-calling request: the global system prompt, the conversation, the tools.
    let f = sent[0].json();
    assert_eq!(f["model"], "gpt-4o-mini");
    assert_eq!(
        f["messages"][0]["content"],
        "You are a helpful weather assistant."
    );
    assert_eq!(f["messages"][1]["content"], "What's the weather like?");
    assert_eq!(f["tools"][0]["function"]["name"], "get_weather");
    assert_eq!(
        f["tools"][0]["function"]["parameters"]["required"],
        serde_json::json!(["city"])
    );

    // Turn 2: the client sends the conversation with the question and the answer.
    let turn2 = serde_json::json!({"model": "gpt-4o", "messages": [
        {"role": "user", "content": "What's the weather like?"},
        {"role": "assistant", "content": question},
        {"role": "user", "content": "Seattle"},
    ]});
    let (out, sent) = run(
        &gw,
        &turn2.to_string(),
        vec![
            fc(None, Some(("get_weather", r#"{"city":"Seattle"}"#))),
            Canned::ok(br#"{"city":"Seattle","temp_c":12,"sky":"rain"}"#.to_vec()),
            Canned::ok(fixture("openai_chat/responses/text.json")),
        ],
    );
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(sent.len(), 3);
    // The API call: the city in the path, the default units in the query, the header.
    assert_eq!(
        sent[1].url,
        "http://127.0.0.1:8080/weather/Seattle?units=metric"
    );
    assert_eq!(sent[1].header("x-api-key"), Some("sk-openai-SECRET1"));
    // The LLM got the target's system prompt, the call and the API's data.
    let llm = sent[2].json();
    assert!(sent[2].url.contains("api.openai.com"));
    assert_eq!(llm["model"], "gpt-4o");
    assert_eq!(
        llm["messages"][0]["content"],
        "Answer with the weather data you were given."
    );
    let n = llm["messages"].as_array().unwrap().len();
    assert_eq!(
        llm["messages"][n - 2]["tool_calls"][0]["function"]["name"],
        "get_weather"
    );
    assert_eq!(llm["messages"][n - 1]["role"], "tool");
    assert!(
        llm["messages"][n - 1]["content"]
            .to_string()
            .contains("temp_c")
    );
    assert_eq!(llm["tools"][0]["function"]["name"], "get_weather");
    assert_eq!(
        llm["tool_choice"], "none",
        "the LLM answers, it does not call again"
    );
    assert_eq!(out.record.attempts.len(), 1);
}

#[test]
fn an_anthropic_client_gets_the_flow_in_its_own_shape() {
    let gw = Gw::new(config_with(PROMPTS));
    let body = r#"{"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":"Weather in Oslo?"}]}"#;
    let (out, sent) = run_at(
        &gw,
        "/v1/messages",
        body,
        vec![
            fc(None, Some(("get_weather", r#"{"city":"Oslo"}"#))),
            Canned::ok(br#"{"temp_c":-3}"#.to_vec()),
            Canned::ok(fixture("anthropic_messages/responses/text.json")),
        ],
    );
    assert_eq!(out.status, 200, "{}", out.text());
    assert_eq!(out.json()["type"], "message", "{}", out.text());
    let llm = sent[2].json();
    assert!(sent[2].url.contains("anthropic.com"));
    let msgs = llm["messages"].as_array().unwrap();
    assert_eq!(msgs[msgs.len() - 2]["content"][0]["type"], "tool_use");
    assert_eq!(msgs[msgs.len() - 1]["content"][0]["type"], "tool_result");
    assert_eq!(llm["tools"][0]["name"], "get_weather");
}

#[test]
fn without_llm_dispatch_the_api_answer_is_the_reply() {
    let gw = Gw::new(config_with(PROMPTS));
    let body = r#"{"model":"gpt-4o","messages":[{"role":"user","content":"time in Paris"}]}"#;
    let (out, sent) = run(
        &gw,
        body,
        vec![
            fc(None, Some(("raw_time", r#"{"tz":"Europe/Paris"}"#))),
            Canned::ok(br#"{"time":"12:00"}"#.to_vec()),
        ],
    );
    assert_eq!(out.status, 200);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].url, "http://127.0.0.1:8080/time");
    assert_eq!(sent[1].json(), serde_json::json!({"tz": "Europe/Paris"}));
    assert_eq!(
        out.json()["choices"][0]["message"]["content"],
        r#"{"time":"12:00"}"#
    );
}

#[test]
fn no_match_goes_to_the_llm_with_the_global_system_prompt() {
    let gw = Gw::new(config_with(PROMPTS));
    let body = r#"{"model":"gpt-4o","messages":[{"role":"system","content":"client system"},{"role":"user","content":"tell me a joke"}]}"#;
    let (out, sent) = run(
        &gw,
        body,
        vec![
            fc(Some("Sure."), None),
            Canned::ok(fixture("openai_chat/responses/text.json")),
        ],
    );
    assert_eq!(out.status, 200);
    assert_eq!(sent.len(), 2);
    let llm = sent[1].json();
    assert_eq!(
        llm["messages"][0]["content"],
        "You are a helpful weather assistant."
    );
    assert!(llm.get("tools").is_none());
}

#[test]
fn failures_are_errors_in_the_clients_shape() {
    let gw = Gw::new(config_with(PROMPTS));
    let body = r#"{"model":"gpt-4o","messages":[{"role":"user","content":"weather in Rome"}]}"#;
    // The endpoint answers 500.
    let (out, sent) = run(
        &gw,
        body,
        vec![
            fc(None, Some(("get_weather", r#"{"city":"Rome"}"#))),
            Canned::status(500, b"boom".to_vec()),
        ],
    );
    assert_eq!(out.status, 502, "{}", out.text());
    assert_eq!(sent.len(), 2);
    let msg = out.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(msg.contains("get_weather") && msg.contains("500"), "{msg}");
    assert!(!msg.contains("127.0.0.1"));
    // The endpoint cannot be reached.
    let (out, _) = run(
        &gw,
        body,
        vec![
            fc(None, Some(("get_weather", r#"{"city":"Rome"}"#))),
            Canned::Fail(SendError::Connect("refused".into())),
        ],
    );
    assert_eq!(out.status, 502);
    // The function-calling model fails.
    let (out, sent) = run(&gw, body, vec![Canned::Fail(SendError::Timeout)]);
    assert_eq!((out.status, sent.len()), (502, 1));
    assert!(
        out.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("function-calling")
    );
    // Not on the prompt listener: an ordinary LLM request.
    let (out, sent) = gw.post(
        "/v1/chat/completions",
        body,
        vec![Canned::ok(fixture("openai_chat/responses/text.json"))],
    );
    assert_eq!((out.status, sent.len()), (200, 1));
}

#[test]
fn a_clarifying_question_streams_when_the_client_streams() {
    let gw = Gw::new(config_with(PROMPTS));
    let body =
        r#"{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"weather?"}]}"#;
    let (out, _) = run(&gw, body, vec![fc(Some("Which city?"), None)]);
    assert_eq!(out.header("content-type"), Some("text/event-stream"));
    assert!(out.text().contains("Which city?"));
}
