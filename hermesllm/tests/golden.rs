#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

//! Golden snapshots and cross-API invariants over every fixture × every API.
//!
//! For each fixture of each API (requests, responses, error bodies) this renders the decoded
//! internal model into all five APIs, then decodes that rendering and renders it back into the
//! source API, and snapshots both directions with the losses each reported
//! (`tests/golden/*.snap`). Beside the snapshots it checks invariants that must hold for every
//! pair: the conversation text, tool calls and tool results survive a round trip through any
//! API, the response text, tool calls, stop reason and token usage survive too, and the
//! same-API round trip is exact. A pair excused from an invariant is listed in `SKIPS` with its
//! reason.

use std::fs;
use std::path::{Path, PathBuf};

use hermesllm::ir::{Block, Request, Response, Role, StopReason, ToolKind, Usage};
use hermesllm::translate;
use hermesllm::{Api, Losses, RequestMeta, ResponseMeta};

/// Pairs excused from the round-trip invariants: (source api, fixture file stem, target apis
/// (`"*"`: every other API), why). Each is an approximation the encoders record as a loss.
const SKIPS: &[(&str, &str, &[&str], &str)] = &[
    // Requests.
    (
        "openai_chat",
        "system",
        &["anthropic_messages", "bedrock_converse", "gemini"],
        "a mid-conversation system message moves into the system prompt",
    ),
    (
        "openai_responses",
        "system",
        &["anthropic_messages", "bedrock_converse", "gemini"],
        "a mid-conversation system message moves into the system prompt",
    ),
    (
        "openai_chat",
        "custom_tool_call",
        &["anthropic_messages", "bedrock_converse", "gemini"],
        "custom (free-text) tool calls become function calls with {\"input\": text}",
    ),
    (
        "openai_responses",
        "tool_results",
        &["anthropic_messages", "bedrock_converse", "gemini"],
        "custom (free-text) tool calls become function calls with {\"input\": text}",
    ),
    (
        "openai_chat",
        "tools",
        &["bedrock_converse"],
        "Bedrock has no custom tools; the custom tool is dropped",
    ),
    (
        "openai_responses",
        "tools",
        &["bedrock_converse"],
        "Bedrock has no custom tools; the custom tool is dropped",
    ),
    (
        "openai_responses",
        "allowed_tools",
        &["bedrock_converse"],
        "Bedrock has no allowed-tools choice; the tool list is filtered to the allowed tools",
    ),
    (
        "gemini",
        "tools",
        &["bedrock_converse"],
        "Bedrock has no allowed-tools choice; the tool list is filtered to the allowed tools",
    ),
    (
        "anthropic_messages",
        "documents",
        &["openai_chat", "openai_responses", "gemini"],
        "a plain-text document becomes a text part",
    ),
    (
        "bedrock_converse",
        "documents",
        &["openai_chat", "openai_responses", "gemini"],
        "a plain-text document becomes a text part",
    ),
    (
        "bedrock_converse",
        "tool_results",
        &["gemini"],
        "Gemini's functionResponse is one object: a result of several blocks becomes one text",
    ),
    // Responses.
    (
        "openai_responses",
        "parallel_tool_calls",
        &["anthropic_messages", "bedrock_converse", "gemini"],
        "custom (free-text) tool calls become function calls with {\"input\": text}",
    ),
    (
        "openai_responses",
        "content_filter",
        &["anthropic_messages"],
        "content_filter → Anthropic refusal → Responses has no refusal stop reason (completed)",
    ),
    (
        "anthropic_messages",
        "refusal",
        &["openai_responses"],
        "Responses has no refusal stop reason (completed)",
    ),
    (
        "anthropic_messages",
        "pause_turn",
        &["*"],
        "only Anthropic has pause_turn",
    ),
    (
        "anthropic_messages",
        "context_window_exceeded",
        &["openai_chat", "openai_responses", "gemini"],
        "only Anthropic and Bedrock distinguish a full context window from max tokens",
    ),
    (
        "bedrock_converse",
        "context_window_exceeded",
        &["openai_chat", "openai_responses", "gemini"],
        "only Anthropic and Bedrock distinguish a full context window from max tokens",
    ),
    (
        "bedrock_converse",
        "content_filtered",
        &["openai_chat"],
        "OpenAI cannot carry an empty text block beside content_filter",
    ),
    (
        "gemini",
        "malformed_function_call",
        &["*"],
        "only Gemini has MALFORMED_FUNCTION_CALL",
    ),
    // Errors.
    (
        "anthropic_messages",
        "request_too_large.413",
        &["bedrock_converse", "gemini"],
        "Bedrock and Gemini have no request-too-large error type (ValidationException / INVALID_ARGUMENT)",
    ),
    (
        "bedrock_converse",
        "model_error.424",
        &["openai_chat", "openai_responses"],
        "OpenAI has no error type for 424; the status is kept",
    ),
    (
        "gemini",
        "api_key_invalid.400",
        &["openai_chat", "openai_responses", "gemini"],
        "Gemini reports a bad key as 400 INVALID_ARGUMENT; only its reason detail says API_KEY_INVALID",
    ),
];

fn fixtures(api: Api, kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(api.as_str())
        .join(kind);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn stem(p: &Path) -> String {
    p.file_name()
        .and_then(|n| n.to_str())
        .map(|n| n.trim_end_matches(".json").to_owned())
        .unwrap_or_default()
}

fn skipped(src: Api, fixture: &str, dst: Api) -> bool {
    SKIPS.iter().any(|(s, f, dsts, _)| {
        *s == src.as_str() && *f == fixture && dsts.iter().any(|d| *d == "*" || *d == dst.as_str())
    })
}

fn meta() -> RequestMeta<'static> {
    RequestMeta {
        model: Some("test-model".into()),
        stream: false,
    }
}

fn response_meta() -> ResponseMeta<'static> {
    ResponseMeta {
        id: "gen-fixture-0001".into(),
        created: 1_700_000_000,
        model: "fixture-model".into(),
    }
}

fn pretty(body: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_default(),
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    }
}

fn losses_text(l: &Losses) -> String {
    if l.is_empty() {
        return "losses: none\n".to_owned();
    }
    let mut s = String::from("losses:\n");
    for loss in l.iter() {
        s.push_str(&format!("  - {loss}\n"));
    }
    s
}

/// Normalises JSON text so `{"a": 1}` and `{"a":1}` compare equal.
fn norm_json(s: &str) -> String {
    serde_json::from_str::<serde_json::Value>(s)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| s.to_owned())
}

/// What must survive any round trip of a conversation: text per role, tool calls, tool results.
fn request_essence(r: &Request<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for b in &r.system {
        if let Block::Text { text } = b {
            out.push(format!("system: {text}"));
        }
    }
    for m in &r.messages {
        let role = match m.role {
            Role::User | Role::Tool => "user",
            Role::Assistant => "assistant",
            Role::System => "system",
            _ => "other",
        };
        for b in &m.content {
            blocks_essence(role, b, &mut out);
        }
    }
    for t in &r.tools {
        // Built-in tools are provider-specific: other APIs report them as lost.
        if !matches!(t.kind, ToolKind::Builtin { .. }) {
            out.push(format!("tool: {}", t.name));
        }
    }
    out
}

fn blocks_essence(role: &str, b: &Block<'_>, out: &mut Vec<String>) {
    match b {
        // A refusal is text in APIs without a refusal block; empty text carries nothing.
        Block::Text { text } | Block::Refusal { text } if !text.is_empty() => {
            out.push(format!("{role}: {text}"))
        }
        Block::ToolCall {
            name, arguments, ..
        } => out.push(format!("call {name} {}", norm_json(arguments))),
        Block::ToolResult { content, .. } => {
            let mut texts = Vec::new();
            for c in content {
                if let Block::Text { text } = c {
                    texts.push(norm_json(text));
                }
            }
            out.push(format!("result {}", texts.join("")));
        }
        _ => {}
    }
}

/// Content, stop reason, and (input, output, cache read) tokens.
type ResponseEssence = (Vec<String>, Option<String>, Option<(u64, u64, u64)>);

fn response_essence(r: &Response<'_>) -> ResponseEssence {
    let mut out = Vec::new();
    let mut stop = None;
    if let Some(c) = r.choices.first() {
        for b in &c.content {
            blocks_essence("assistant", b, &mut out);
        }
        stop = c.stop_reason.as_ref().map(|s| match s {
            // OpenAI has no separate stop-sequence reason.
            StopReason::StopSequence => "EndTurn".to_owned(),
            other => format!("{other:?}"),
        });
    }
    let usage = r
        .usage
        .map(|u: Usage| (u.input_tokens, u.output_tokens, u.cache_read_input_tokens));
    (out, stop, usage)
}

#[test]
fn requests_render_to_every_api_and_back() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for src in Api::ALL {
        for path in fixtures(src, "requests") {
            let name = stem(&path);
            let body = fs::read(&path).unwrap();
            let req = translate::decode_request(src, &body, &meta())
                .unwrap_or_else(|e| panic!("{src}/{name}: {e}"));
            let mut snap = String::new();
            for dst in Api::ALL {
                let mut fwd = Losses::default();
                let out = translate::encode_request(dst, &req, &mut fwd);
                snap.push_str(&format!("== {src} -> {dst}\n"));
                let out = match out {
                    Ok(out) => out,
                    Err(e) => {
                        snap.push_str(&format!("unsupported: {e}\n\n"));
                        continue;
                    }
                };
                snap.push_str(&losses_text(&fwd));
                snap.push_str(&pretty(&out));
                snap.push('\n');
                let back_req = translate::decode_request(dst, &out, &meta()).unwrap_or_else(|e| {
                    panic!("{src}/{name} -> {dst}: output does not decode: {e}")
                });
                let mut bwd = Losses::default();
                let back = translate::encode_request(src, &back_req, &mut bwd)
                    .unwrap_or_else(|e| panic!("{src}/{name} -> {dst} -> {src}: {e}"));
                snap.push_str(&format!("== back to {src}\n"));
                snap.push_str(&losses_text(&bwd));
                snap.push_str(&pretty(&back));
                snap.push_str("\n\n");

                let again = translate::decode_request(src, &back, &meta()).unwrap();
                if dst == src {
                    if again != req {
                        failures.push(format!("{src}/{name}: same-API round trip is not exact"));
                    }
                } else if !skipped(src, &name, dst) {
                    let (a, b) = (request_essence(&req), request_essence(&again));
                    if a != b {
                        failures.push(format!(
                            "{src}/{name} -> {dst} -> {src}: conversation changed\n    before: {a:?}\n    after:  {b:?}"
                        ));
                    }
                }
                checked += 1;
            }
            insta::with_settings!({snapshot_path => "golden", prepend_module_to_snapshot => false}, {
                insta::assert_snapshot!(format!("request__{src}__{name}"), snap);
            });
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        checked >= 5 * 12 * 5,
        "too few request fixtures: {checked} pairs"
    );
}

#[test]
fn responses_render_to_every_api_and_back() {
    let rmeta = response_meta();
    let mut checked = 0;
    let mut failures = Vec::new();
    for src in Api::ALL {
        for path in fixtures(src, "responses") {
            let name = stem(&path);
            let body = fs::read(&path).unwrap();
            let resp = translate::decode_response(src, &body)
                .unwrap_or_else(|e| panic!("{src}/{name}: {e}"));
            let mut snap = String::new();
            for dst in Api::ALL {
                let mut fwd = Losses::default();
                snap.push_str(&format!("== {src} -> {dst}\n"));
                let out = match translate::encode_response(dst, &resp, &rmeta, &mut fwd) {
                    Ok(out) => out,
                    Err(e) => {
                        snap.push_str(&format!("unsupported: {e}\n\n"));
                        continue;
                    }
                };
                snap.push_str(&losses_text(&fwd));
                snap.push_str(&pretty(&out));
                snap.push('\n');
                let back_resp = translate::decode_response(dst, &out).unwrap_or_else(|e| {
                    panic!("{src}/{name} -> {dst}: output does not decode: {e}")
                });
                let mut bwd = Losses::default();
                let back = translate::encode_response(src, &back_resp, &rmeta, &mut bwd).unwrap();
                snap.push_str(&format!("== back to {src}\n"));
                snap.push_str(&losses_text(&bwd));
                snap.push_str(&pretty(&back));
                snap.push_str("\n\n");

                let again = translate::decode_response(src, &back).unwrap();
                if dst == src {
                    if again != resp {
                        failures.push(format!("{src}/{name}: same-API round trip is not exact"));
                    }
                } else if !skipped(src, &name, dst) {
                    let (a, b) = (response_essence(&resp), response_essence(&again));
                    if a != b {
                        failures.push(format!(
                            "{src}/{name} -> {dst} -> {src}: response changed\n    before: {a:?}\n    after:  {b:?}"
                        ));
                    }
                    // Usage must also be exact in the target's own terms.
                    let fwd_usage = response_essence(&back_resp).2;
                    if fwd_usage != a.2 {
                        failures.push(format!(
                            "{src}/{name} -> {dst}: usage changed: {:?} -> {fwd_usage:?}",
                            a.2
                        ));
                    }
                }
                checked += 1;
            }
            insta::with_settings!({snapshot_path => "golden", prepend_module_to_snapshot => false}, {
                insta::assert_snapshot!(format!("response__{src}__{name}"), snap);
            });
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        checked >= 5 * 8 * 5,
        "too few response fixtures: {checked} pairs"
    );
}

#[test]
fn errors_render_in_every_api_shape() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for src in Api::ALL {
        for path in fixtures(src, "errors") {
            let name = stem(&path);
            let status: u16 = name
                .rsplit('.')
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| {
                    panic!("{src}/{name}: error fixtures are named <case>.<status>.json")
                });
            let body = fs::read(&path).unwrap();
            let err = translate::decode_error(src, status, &body);
            assert_eq!(err.status, status, "{src}/{name}: status not kept");
            let mut snap = format!("kind: {:?}\nmessage: {}\n", err.kind, err.message);
            for dst in Api::ALL {
                let out = translate::encode_error(dst, &err);
                let back = translate::decode_error(dst, status, &out);
                if !skipped(src, &name, dst)
                    && (back.kind, &back.message) != (err.kind, &err.message)
                {
                    failures.push(format!(
                        "{src}/{name} -> {dst}: {:?} {:?} became {:?} {:?}",
                        err.kind, err.message, back.kind, back.message
                    ));
                }
                snap.push_str(&format!("== {dst}\n{}\n", pretty(&out)));
                checked += 1;
            }
            insta::with_settings!({snapshot_path => "golden", prepend_module_to_snapshot => false}, {
                insta::assert_snapshot!(format!("error__{src}__{name}"), snap);
            });
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        checked >= 5 * 4 * 5,
        "too few error fixtures: {checked} pairs"
    );
}
