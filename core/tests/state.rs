//! Conversation state over the in-memory store and a manual clock: multi-turn expansion,
//! instructions, verbatim fields, TTLs with and without native expiry, `store: false`,
//! OpenAI error shapes, GET and DELETE, size limits, malformed stored values.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use hermesllm::ir::Role;
use hermesllm::{Api, RequestMeta, openai_responses, translate};
use plano_core::kv::{Kv, KvCaps, KvError, MemoryKv, Versioned, now_or_never};
use plano_core::state::{
    self, ExpandError, Fault, LoadError, Lookup, SaveError, SaveOptions, Saved, Skip, TurnInfo,
};
use plano_core::time::ManualClock;

const T0: u64 = 1_700_000_000_000;
const DAY: u64 = 86_400_000;

fn ready<F: std::future::Future>(f: F) -> F::Output {
    now_or_never(f).expect("store futures complete at once")
}

fn opts() -> SaveOptions {
    SaveOptions {
        ttl_secs: 3600,
        max_value_bytes: 1 << 20,
    }
}

fn response(id: &str, output: &str) -> String {
    format!(
        r#"{{"id":"{id}","object":"response","created_at":1700000000,"status":"completed","model":"claude-sonnet-4-5","output":{output},"usage":{{"input_tokens":10,"output_tokens":5,"total_tokens":15}},"instructions":null}}"#
    )
}

fn text(s: &[u8]) -> &str {
    std::str::from_utf8(s).unwrap()
}

const MSG1: &str = r#"{"type":"message","id":"msg_1","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Hello Ana!","annotations":[]}]}"#;
const USER2: &str =
    r#"{"role":"user","content":[{"type":"input_text","text":"Weather in Paris?"}]}"#;
const FC: &str = r#"{"type":"function_call","id":"fc_1","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}","status":"completed"}"#;
const FCO: &str =
    r#"{"type":"function_call_output","call_id":"call_1","output":"{\"temp_c\":18}"}"#;
const MSG3: &str = r#"{"type":"message","id":"msg_3","status":"completed","role":"assistant","content":[{"type":"output_text","text":"18 °C in Paris.","annotations":[]}]}"#;
const USER1: &str =
    r#"{"type":"message","role":"user","content":[{"type":"input_text","text":"Hi, I'm Ana."}]}"#;
const TOOLS: &str = r#"[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}]"#;

/// One turn as a host runs it: inspect, load and expand when continuing, then save.
fn turn(kv: &impl Kv, body: &str, resp: &str, now: u64) -> Vec<u8> {
    let info = state::inspect(body.as_bytes()).unwrap();
    let sent = match info.previous_response_id {
        Some(prev) => {
            let stored = ready(state::load(kv, &prev, now)).unwrap();
            state::expand_request(body.as_bytes(), &stored).unwrap()
        }
        None => body.as_bytes().to_vec(),
    };
    let saved = ready(state::save(kv, &sent, resp.as_bytes(), &opts(), now)).unwrap();
    assert!(matches!(saved, Saved::Stored { .. }), "{saved:?}");
    sent
}

#[test]
fn three_turns_string_items_and_tool_calls() {
    let clock = ManualClock::new(T0);
    let kv = MemoryKv::new(&clock);

    let body1 = format!(
        r#"{{"model":"claude","instructions":"Be brief.","input":"Hi, I'm Ana.","tools":{TOOLS}}}"#
    );
    let sent1 = turn(&kv, &body1, &response("resp_1", &format!("[{MSG1}]")), T0);
    assert_eq!(text(&sent1), body1, "a first turn is sent as received");

    let body2 = format!(
        r#"{{"model":"claude","previous_response_id":"resp_1","input":[{USER2}],"tools":{TOOLS}}}"#
    );
    let sent2 = turn(
        &kv,
        &body2,
        &response("resp_2", &format!("[{FC}]")),
        T0 + 1000,
    );
    assert_eq!(
        text(&sent2),
        format!(r#"{{"model":"claude","input":[{USER1},{MSG1},{USER2}],"tools":{TOOLS}}}"#)
    );

    let body3 = format!(
        r#"{{"model":"claude","input":[{FCO}],"previous_response_id":"resp_2","tools":{TOOLS}}}"#
    );
    let sent3 = turn(
        &kv,
        &body3,
        &response("resp_3", &format!("[{MSG3}]")),
        T0 + 2000,
    );
    assert_eq!(
        text(&sent3),
        format!(
            r#"{{"model":"claude","input":[{USER1},{MSG1},{USER2},{FC},{FCO}],"tools":{TOOLS}}}"#
        )
    );

    let stored = ready(state::load(&kv, "resp_3", T0 + 3000)).unwrap();
    let items: Vec<&str> = stored.items().iter().map(|i| i.get()).collect();
    assert_eq!(items, [USER1, MSG1, USER2, FC, FCO, MSG3]);
    assert_eq!(stored.model(), "claude-sonnet-4-5");
    assert_eq!(stored.created_at(), 1_700_000_000);
    assert_eq!(stored.expires_at_ms(), Some(T0 + 2000 + 3_600_000));
    assert_eq!(kv.len(), 3, "each turn has its own key");

    // The self-contained request translates like any other: the conversation reaches a
    // stateless upstream whole, tool call and result included.
    let ir =
        translate::decode_request(Api::OpenAiResponses, &sent3, &RequestMeta::default()).unwrap();
    assert_eq!(ir.previous_response_id, None);
    let roles: Vec<Role> = ir.messages.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [
            Role::User,
            Role::Assistant,
            Role::User,
            Role::Assistant,
            Role::Tool
        ]
    );
    let mut losses = hermesllm::Losses::default();
    let anthropic = translate::encode_request(Api::AnthropicMessages, &ir, &mut losses).unwrap();
    let anthropic = text(&anthropic);
    assert!(
        anthropic.contains(r#""type":"tool_use","id":"call_1","name":"get_weather""#),
        "{anthropic}"
    );
    assert!(
        anthropic.contains(r#""type":"tool_result","tool_use_id":"call_1""#),
        "{anthropic}"
    );
}

#[test]
fn instructions_are_replaced_not_carried() {
    let clock = ManualClock::new(T0);
    let kv = MemoryKv::new(&clock);
    let body1 = r#"{"model":"m","instructions":"Answer in French.","input":"Hello"}"#;
    turn(&kv, body1, &response("resp_a", &format!("[{MSG1}]")), T0);
    let stored = ready(state::load(&kv, "resp_a", T0)).unwrap();

    let with_new = r#"{"model":"m","instructions":"Answer in German.","previous_response_id":"resp_a","input":"Again"}"#;
    let out = state::expand_request(with_new.as_bytes(), &stored).unwrap();
    let out = text(&out);
    assert!(
        out.starts_with(r#"{"model":"m","instructions":"Answer in German.","input":["#),
        "{out}"
    );
    assert!(!out.contains("French"), "{out}");

    let without = r#"{"model":"m","previous_response_id":"resp_a","input":"Again"}"#;
    let out = state::expand_request(without.as_bytes(), &stored).unwrap();
    let out = text(&out);
    assert!(
        !out.contains("instructions") && !out.contains("French"),
        "{out}"
    );
    assert!(
        out.ends_with(
            r#"{"type":"message","role":"user","content":[{"type":"input_text","text":"Again"}]}]}"#
        ),
        "{out}"
    );
}

#[test]
fn unknown_fields_keep_their_text_and_place() {
    let clock = ManualClock::new(T0);
    let kv = MemoryKv::new(&clock);
    turn(
        &kv,
        r#"{"model":"m","input":"a"}"#,
        &response("resp_u", "[]"),
        T0,
    );
    let stored = ready(state::load(&kv, "resp_u", T0)).unwrap();
    let body = r#"{ "x_future" : {"b" : [1,  2.50, "\u00e9"]},"model":"m","previous_response_id":"resp_u","metadata":{"k":"v"},"temperature":0.70,"input":[ {"role":"user","content":"b"} ],"stream":true}"#;
    let out = state::expand_request(body.as_bytes(), &stored).unwrap();
    assert_eq!(
        text(&out),
        r#"{"x_future":{"b" : [1,  2.50, "\u00e9"]},"model":"m","metadata":{"k":"v"},"temperature":0.70,"input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"a"}]},{"role":"user","content":"b"}],"stream":true}"#
    );

    // No `input` at all: the stored conversation is appended as `input`.
    let out = state::expand_request(br#"{"previous_response_id":"resp_u","model":"m"}"#, &stored)
        .unwrap();
    assert_eq!(
        text(&out),
        r#"{"model":"m","input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"a"}]}]}"#
    );
}

#[test]
fn expand_rejects_bad_requests() {
    let clock = ManualClock::new(T0);
    let kv = MemoryKv::new(&clock);
    turn(
        &kv,
        r#"{"model":"m","input":"a"}"#,
        &response("resp_e", "[]"),
        T0,
    );
    let stored = ready(state::load(&kv, "resp_e", T0)).unwrap();

    let err = state::expand_request(br#"{"previous_response_id":"resp_e","input":5}"#, &stored)
        .unwrap_err();
    assert_eq!(err, ExpandError::InvalidInput);
    assert_eq!(err.fault(), Fault::Client);
    let api = err.api_error();
    assert_eq!((api.status, api.param.as_deref()), (400, Some("input")));
    assert_eq!(
        state::expand_request(br#"{"input":[1]}"#, &stored),
        Err(ExpandError::InvalidInput)
    );
    assert!(matches!(
        state::expand_request(b"[1]", &stored),
        Err(ExpandError::NotAnObject(_))
    ));
    let err =
        state::expand_request(br#"{"previous_response_id":"resp_other"}"#, &stored).unwrap_err();
    assert_eq!(err.fault(), Fault::Gateway);

    assert_eq!(
        state::inspect(br#"{"previous_response_id":"r","store":false}"#).unwrap(),
        TurnInfo {
            previous_response_id: Some("r".to_owned()),
            store: false
        }
    );
    assert!(
        state::inspect(br#"{"input":"x"}"#).unwrap().store,
        "store defaults to true"
    );
    assert_eq!(
        state::inspect(br#"{"previous_response_id":7}"#),
        Err(ExpandError::InvalidPreviousId)
    );
    assert_eq!(
        state::inspect(br#"{"store":"no"}"#),
        Err(ExpandError::InvalidStore)
    );
}

#[test]
fn ttl_with_native_expiry() {
    let clock = ManualClock::new(T0);
    let kv = MemoryKv::new(&clock);
    let o = SaveOptions {
        ttl_secs: 60,
        ..opts()
    };
    ready(state::save(
        &kv,
        br#"{"input":"a"}"#,
        response("resp_t", "[]").as_bytes(),
        &o,
        T0,
    ))
    .unwrap();
    clock.advance(59_999);
    assert!(ready(state::load(&kv, "resp_t", clock_now(&clock))).is_ok());
    clock.advance(1);
    let err = ready(state::load(&kv, "resp_t", clock_now(&clock))).unwrap_err();
    assert!(matches!(err, LoadError::NotFound { .. }), "{err:?}");
    assert!(kv.is_empty());
}

fn clock_now(c: &ManualClock) -> u64 {
    use plano_core::time::Clock;
    c.now_ms()
}

/// A store that keeps values forever (Spin KV) and says so: `native_ttl: false`.
struct NoTtl<'c>(MemoryKv<&'c ManualClock>);

impl Kv for NoTtl<'_> {
    fn caps(&self) -> KvCaps {
        KvCaps {
            native_ttl: false,
            min_ttl_secs: 60,
            strong_consistency: false,
            ..self.0.caps()
        }
    }
    async fn get(&self, key: &str) -> Result<Option<Versioned>, KvError> {
        self.0.get(key).await
    }
    async fn put(&self, key: &str, value: &[u8], _ttl: Option<u32>) -> Result<(), KvError> {
        self.0.put(key, value, None).await
    }
    async fn delete(&self, key: &str) -> Result<(), KvError> {
        self.0.delete(key).await
    }
    async fn increment(&self, key: &str, d: i64, _ttl: Option<u32>) -> Result<i64, KvError> {
        self.0.increment(key, d, None).await
    }
    async fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &[u8],
        _ttl: Option<u32>,
    ) -> Result<bool, KvError> {
        self.0.compare_and_swap(key, expected, value, None).await
    }
}

#[test]
fn ttl_without_native_expiry_is_read_from_the_value() {
    let clock = ManualClock::new(T0);
    let kv = NoTtl(MemoryKv::new(&clock));
    let o = SaveOptions {
        ttl_secs: 10, // raised to the store's minimum of 60 s
        ..opts()
    };
    let saved = ready(state::save(
        &kv,
        br#"{"input":"a"}"#,
        response("resp_n", "[]").as_bytes(),
        &o,
        T0,
    ))
    .unwrap();
    let Saved::Stored { expires_at_ms, .. } = saved else {
        panic!("{saved:?}")
    };
    assert_eq!(expires_at_ms, T0 + 60_000);

    assert!(ready(state::load(&kv, "resp_n", T0 + 59_999)).is_ok());
    assert_eq!(kv.0.len(), 1);
    let err = ready(state::load(&kv, "resp_n", T0 + 60_000)).unwrap_err();
    assert_eq!(
        err,
        LoadError::NotFound {
            id: "resp_n".to_owned(),
            lookup: Lookup::Previous
        }
    );
    assert_eq!(kv.0.len(), 0, "the expired value was reclaimed on read");

    ready(state::save(
        &kv,
        br#"{"input":"a"}"#,
        response("resp_g", "[]").as_bytes(),
        &o,
        T0,
    ))
    .unwrap();
    let err = ready(state::get_response(&kv, "resp_g", T0 + DAY)).unwrap_err();
    assert_eq!(err.api_error().status, 404);
}

#[test]
fn store_false_saves_nothing() {
    let clock = ManualClock::new(T0);
    let kv = MemoryKv::new(&clock);
    let saved = ready(state::save(
        &kv,
        br#"{"model":"m","store":false,"input":"a"}"#,
        response("resp_s", "[]").as_bytes(),
        &opts(),
        T0,
    ))
    .unwrap();
    assert_eq!(saved, Saved::Skipped(Skip::StoreFalse));
    assert!(kv.is_empty());
    assert!(matches!(
        ready(state::load(&kv, "resp_s", T0)),
        Err(LoadError::NotFound { .. })
    ));

    // A failed response is not a turn to continue from.
    let failed = r#"{"id":"resp_f","object":"response","status":"failed","output":[],"error":{"code":"server_error","message":"x"}}"#;
    let saved = ready(state::save(
        &kv,
        br#"{"input":"a"}"#,
        failed.as_bytes(),
        &opts(),
        T0,
    ))
    .unwrap();
    assert_eq!(saved, Saved::Skipped(Skip::Status("failed".to_owned())));
    assert!(kv.is_empty());
}

#[test]
fn unknown_ids_render_as_openai_does() {
    let clock = ManualClock::new(T0);
    let kv = MemoryKv::new(&clock);
    let err = ready(state::load(&kv, "resp_nope", T0)).unwrap_err();
    assert_eq!(err.fault(), Fault::Client);
    assert!(!err.is_retryable());
    let api = err.api_error();
    assert_eq!(api.status, 400);
    assert_eq!(
        text(&openai_responses::encode_error(&api)),
        r#"{"error":{"message":"Previous response with id 'resp_nope' not found.","type":"invalid_request_error","param":"previous_response_id","code":"previous_response_not_found"}}"#
    );

    let err = ready(state::get_response(&kv, "resp_nope", T0)).unwrap_err();
    let api = err.api_error();
    assert_eq!(api.status, 404);
    assert_eq!(
        text(&openai_responses::encode_error(&api)),
        r#"{"error":{"message":"Response with id 'resp_nope' not found.","type":"invalid_request_error","param":null,"code":null}}"#
    );

    // Ids that cannot be keys are simply not found, without touching the store.
    for id in ["", "resp 1", "resp\n1", &"x".repeat(300)] {
        let err = ready(state::load(&kv, id, T0)).unwrap_err();
        assert!(matches!(err, LoadError::NotFound { .. }), "{id:?}");
    }
}

#[test]
fn get_and_delete() {
    let clock = ManualClock::new(T0);
    let kv = MemoryKv::new(&clock);
    let resp = response("resp_gd", &format!("[{MSG1}]"));
    ready(state::save(
        &kv,
        br#"{"input":"hi"}"#,
        resp.as_bytes(),
        &opts(),
        T0,
    ))
    .unwrap();

    assert_eq!(
        ready(state::get_response(&kv, "resp_gd", T0)).unwrap(),
        resp
    );
    assert_eq!(
        text(&ready(state::delete(&kv, "resp_gd", T0)).unwrap()),
        r#"{"id":"resp_gd","object":"response","deleted":true}"#
    );
    assert!(kv.is_empty());
    let err = ready(state::get_response(&kv, "resp_gd", T0)).unwrap_err();
    assert_eq!(
        err,
        LoadError::NotFound {
            id: "resp_gd".to_owned(),
            lookup: Lookup::ById
        }
    );
    let err = ready(state::delete(&kv, "resp_gd", T0)).unwrap_err();
    assert_eq!(err.api_error().status, 404);
    let err = ready(state::load(&kv, "resp_gd", T0)).unwrap_err();
    assert_eq!(
        err.api_error().status,
        400,
        "a deleted response cannot be continued"
    );
}

#[test]
fn oversized_state_leaves_a_clear_marker() {
    let clock = ManualClock::new(T0);
    let kv = MemoryKv::new(&clock);
    let small = SaveOptions {
        ttl_secs: 3600,
        max_value_bytes: 300,
    };
    let big_input = format!(r#"{{"input":"{}"}}"#, "x".repeat(400));
    let err = ready(state::save(
        &kv,
        big_input.as_bytes(),
        response("resp_big", "[]").as_bytes(),
        &small,
        T0,
    ))
    .unwrap_err();
    let SaveError::TooLarge { size, max, .. } = err.clone() else {
        panic!("{err:?}")
    };
    assert!(size > 400 && max == 300, "{size} {max}");
    assert_eq!(err.fault(), Fault::Gateway);
    assert!(!err.is_retryable());

    let err = ready(state::load(&kv, "resp_big", T0)).unwrap_err();
    assert_eq!(
        err,
        LoadError::Discarded {
            id: "resp_big".to_owned(),
            size,
            max: 300,
            lookup: Lookup::Previous
        }
    );
    let api = err.api_error();
    assert_eq!(api.status, 400);
    assert_eq!(api.code.as_deref(), Some("previous_response_not_found"));
    assert_eq!(
        api.message.as_str(),
        format!(
            "Previous response with id 'resp_big' not found. Its conversation ({size} bytes) exceeded the gateway's state store limit (300 bytes); send the full conversation in `input` instead."
        )
    );
    assert_eq!(
        ready(state::get_response(&kv, "resp_big", T0))
            .unwrap_err()
            .api_error()
            .status,
        404
    );
    // The marker expires like a turn, and can be deleted.
    ready(state::delete(&kv, "resp_big", T0)).unwrap();
    assert!(kv.is_empty());
}

#[test]
fn malformed_stored_values_are_clear_errors() {
    let clock = ManualClock::new(T0);
    let kv = MemoryKv::new(&clock);
    let cases: [(&str, &str); 9] = [
        ("not json", "not a JSON object"),
        ("[1,\"resp_m\"]", "not a JSON object"),
        ("{\"v\":1,", "EOF"),
        (r#"{"v":2,"id":"resp_m"}"#, "unknown format version 2"),
        (
            r#"{"v":1,"id":"resp_other","context":[],"response":{"output":[]}}"#,
            "belongs to",
        ),
        (
            r#"{"v":1,"id":"resp_m","response":{"output":[]}}"#,
            "no `context`",
        ),
        (
            r#"{"v":1,"id":"resp_m","context":{},"response":{"output":[]}}"#,
            "`context` is not an array",
        ),
        (
            r#"{"v":1,"id":"resp_m","context":[],"response":{"id":"resp_m"}}"#,
            "has no `output`",
        ),
        (
            r#"{"v":1,"id":"resp_m","context":[1],"response":{"output":[]}}"#,
            "item 0 is not an object",
        ),
    ];
    for (value, why) in cases {
        ready(kv.put("resp:resp_m", value.as_bytes(), None)).unwrap();
        let err = ready(state::load(&kv, "resp_m", T0)).unwrap_err();
        let LoadError::Corrupt { id, reason } = &err else {
            panic!("{value}: {err:?}")
        };
        assert_eq!(id, "resp_m");
        assert!(reason.contains(why), "{value}: {reason}");
        assert_eq!(err.fault(), Fault::Gateway);
        let api = err.api_error();
        assert_eq!(api.status, 500);
        assert!(
            !api.message.contains("resp_other"),
            "no internals in the client message"
        );
    }
    // DELETE clears a corrupt value.
    ready(state::delete(&kv, "resp_m", T0)).unwrap();
    assert!(kv.is_empty());
}

#[test]
fn save_rejects_what_it_cannot_store() {
    let clock = ManualClock::new(T0);
    let kv = MemoryKv::new(&clock);
    let save = |req: &str, resp: &str| {
        ready(state::save(
            &kv,
            req.as_bytes(),
            resp.as_bytes(),
            &opts(),
            T0,
        ))
    };
    assert_eq!(
        save(
            r#"{"previous_response_id":"resp_0","input":"a"}"#,
            &response("resp_1", "[]")
        ),
        Err(SaveError::NotSelfContained("resp_0".to_owned()))
    );
    assert!(matches!(
        save(r#"{"input":"a"}"#, r#"{"output":[]}"#),
        Err(SaveError::Response(_))
    ));
    assert!(matches!(
        save(r#"{"input":"a"}"#, r#"{"id":"r"}"#),
        Err(SaveError::Response(_))
    ));
    assert!(matches!(
        save(r#"{"input":"a"}"#, "[]"),
        Err(SaveError::Response(_))
    ));
    let err = save(r#"{"input":"a"}"#, &response("bad id", "[]")).unwrap_err();
    assert_eq!(err, SaveError::InvalidId("bad id".to_owned()));
    assert_eq!(err.fault(), Fault::Upstream);
    assert!(matches!(
        save("nope", &response("r", "[]")),
        Err(SaveError::Request(_))
    ));
    assert!(kv.is_empty());
}

/// A store that is down.
struct Down;

impl Kv for Down {
    fn caps(&self) -> KvCaps {
        KvCaps {
            atomic_increment: false,
            compare_and_swap: false,
            strong_consistency: true,
            min_ttl_secs: 1,
            native_ttl: true,
        }
    }
    async fn get(&self, _: &str) -> Result<Option<Versioned>, KvError> {
        Err(KvError::Unavailable(
            "connection refused to 10.0.0.7".to_owned(),
        ))
    }
    async fn put(&self, _: &str, _: &[u8], _: Option<u32>) -> Result<(), KvError> {
        Err(KvError::Unavailable("connection refused".to_owned()))
    }
    async fn delete(&self, _: &str) -> Result<(), KvError> {
        Err(KvError::Unavailable("connection refused".to_owned()))
    }
    async fn increment(&self, _: &str, _: i64, _: Option<u32>) -> Result<i64, KvError> {
        Err(KvError::Unsupported("increment"))
    }
    async fn compare_and_swap(
        &self,
        _: &str,
        _: Option<u64>,
        _: &[u8],
        _: Option<u32>,
    ) -> Result<bool, KvError> {
        Err(KvError::Unsupported("compare_and_swap"))
    }
}

#[test]
fn store_outages_are_retryable_and_do_not_leak_details() {
    let err = ready(state::load(&Down, "resp_1", T0)).unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(err.fault(), Fault::Gateway);
    let api = err.api_error();
    assert_eq!(api.status, 503);
    assert!(!api.message.contains("10.0.0.7"));
    let err = ready(state::save(
        &Down,
        br#"{"input":"a"}"#,
        response("resp_1", "[]").as_bytes(),
        &opts(),
        T0,
    ))
    .unwrap_err();
    assert!(err.is_retryable());
}

/// Deterministic pseudo-random bytes (no dependency, same sequence on every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn corrupt(&mut self, base: &[u8]) -> Vec<u8> {
        let mut v = base.to_vec();
        match self.next() % 3 {
            0 => v.truncate((self.next() as usize) % (base.len() + 1)),
            _ => {
                for _ in 0..1 + self.next() % 4 {
                    let i = (self.next() as usize) % v.len().max(1);
                    if let Some(b) = v.get_mut(i) {
                        const POOL: &[u8] = b"{}[]\",:0a\\ \x00\xff";
                        *b = POOL[(self.next() as usize) % POOL.len()];
                    }
                }
            }
        }
        v
    }
}

#[test]
fn corrupted_inputs_never_panic() {
    let clock = ManualClock::new(T0);
    let kv = MemoryKv::new(&clock);
    let body1 = format!(r#"{{"model":"m","input":[{USER2}],"tools":{TOOLS}}}"#);
    let resp = response("resp_p", &format!("[{MSG1},{FC}]"));
    ready(state::save(
        &kv,
        body1.as_bytes(),
        resp.as_bytes(),
        &opts(),
        T0,
    ))
    .unwrap();
    let stored = ready(state::load(&kv, "resp_p", T0)).unwrap();
    let value = ready(kv.get("resp:resp_p")).unwrap().unwrap().value;
    let body2 = format!(
        r#"{{"model":"m","previous_response_id":"resp_p","input":[{FCO}],"x":[1,{{"y":null}}]}}"#
    );

    let mut rng = Lcg(7);
    let (mut expanded, mut loaded) = (0, 0);
    for _ in 0..3000 {
        let b = rng.corrupt(body2.as_bytes());
        let _ = state::inspect(&b);
        if let Ok(out) = state::expand_request(&b, &stored) {
            expanded += 1;
            // Whatever was accepted comes out as JSON.
            serde_json::from_slice::<serde_json::Value>(&out).unwrap();
        }
        let r = rng.corrupt(resp.as_bytes());
        let _ = ready(state::save(
            &kv,
            &rng.corrupt(body1.as_bytes()),
            &r,
            &opts(),
            T0,
        ));

        let v = rng.corrupt(&value);
        ready(kv.put("resp:resp_p", &v, None)).unwrap();
        if ready(state::load(&kv, "resp_p", T0)).is_ok() {
            loaded += 1;
        }
        let _ = ready(state::get_response(&kv, "resp_p", T0));
    }
    assert!(expanded > 0 && loaded > 0, "{expanded} {loaded}");
}
