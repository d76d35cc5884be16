//! Runs one of the `translate` bench's operations N times: a fixed workload for
//! instruction-count profiling, where wall-clock benchmarks are too noisy on a busy machine.
//!
//! ```text
//! cargo build --release -p hermesllm --example translate_profile
//! valgrind --tool=callgrind target/release/examples/translate_profile request anthropic_messages 1000
//! valgrind --tool=callgrind target/release/examples/translate_profile response anthropic_messages 1000
//! ```
//!
//! `request TO N` translates the 2.3 KB OpenAI Chat request to `TO` (with the bench's model);
//! `response FROM N` translates the bench's Anthropic response, rendered in `FROM` as the bench
//! does, to OpenAI Chat (or to Anthropic when `FROM` is OpenAI Chat). `dump` prints every
//! translation of every fixture (requests and responses, to every API and back) with its
//! losses, to compare outputs byte for byte before and after a change.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use hermesllm::translate::{self, translate_request, translate_response};
use hermesllm::{Api, Losses, RequestMeta, ResponseMeta};

const APIS: [Api; 5] = [
    Api::OpenAiChat,
    Api::OpenAiResponses,
    Api::AnthropicMessages,
    Api::BedrockConverse,
    Api::Gemini,
];

fn shared(name: &str) -> Result<Vec<u8>, String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/bench")
        .join(name);
    std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))
}

fn rmeta() -> ResponseMeta<'static> {
    ResponseMeta {
        id: "chatcmpl-bench".into(),
        created: 1_749_513_600,
        model: "claude-sonnet-4-5".into(),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("dump") => dump(),
        Some(kind @ ("request" | "response")) => match (args.get(1), args.get(2)) {
            (Some(api), Some(n)) => run(kind, api, n),
            _ => Err("usage: translate_profile request|response API N | dump".into()),
        },
        _ => Err("usage: translate_profile request|response API N | dump".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

fn run(kind: &str, api: &str, n: &str) -> Result<(), String> {
    let api = Api::parse(api).ok_or("unknown API")?;
    let n: u32 = n.parse().map_err(|_| "N must be a number")?;
    let mut total = 0usize;
    if kind == "request" {
        let body = shared("openai-chat-request-2kb.json")?;
        let model = match api {
            Api::AnthropicMessages => "claude-sonnet-4-5",
            Api::BedrockConverse => "anthropic.claude-sonnet-4-5-v1:0",
            Api::Gemini => "gemini-2.5-flash",
            _ => "gpt-4o-mini",
        };
        let meta = RequestMeta::default();
        for _ in 0..n {
            let t = translate_request(
                Api::OpenAiChat,
                api,
                std::hint::black_box(&body),
                &meta,
                Some(model),
            )
            .map_err(|e| e.to_string())?;
            total += t.body.len();
        }
    } else {
        let anthropic = shared("anthropic-messages-response.json")?;
        let meta = rmeta();
        let ir = translate::decode_response(Api::AnthropicMessages, &anthropic)
            .map_err(|e| e.to_string())?;
        let mut losses = Losses::default();
        let body = if api == Api::AnthropicMessages {
            anthropic.clone()
        } else {
            translate::encode_response(api, &ir, &meta, &mut losses).map_err(|e| e.to_string())?
        };
        let to = if api == Api::OpenAiChat {
            Api::AnthropicMessages
        } else {
            Api::OpenAiChat
        };
        for _ in 0..n {
            let t = translate_response(api, to, std::hint::black_box(&body), &meta)
                .map_err(|e| e.to_string())?;
            total += t.body.len();
        }
    }
    println!("{total} bytes out");
    Ok(())
}

/// Every fixture translated to every API and back, with the losses.
fn dump() -> Result<(), String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = String::new();
    let meta = RequestMeta {
        model: Some("fixture-model".into()),
        stream: false,
    };
    let rm = rmeta();
    for from in APIS {
        for kind in ["requests", "responses"] {
            let dir = root.join(from.to_string()).join(kind);
            for path in files(&dir)? {
                let body = std::fs::read(&path).map_err(|e| e.to_string())?;
                for to in APIS {
                    let _ = writeln!(out, "== {} {from} -> {to}", path.display());
                    let first = if kind == "requests" {
                        translate_request(from, to, &body, &meta, Some("target-model"))
                    } else {
                        translate_response(from, to, &body, &rm)
                    };
                    let t = match first {
                        Ok(t) => t,
                        Err(e) => {
                            let _ = writeln!(out, "error: {e}");
                            continue;
                        }
                    };
                    record(&mut out, &t.body, &t.losses);
                    let back = if kind == "requests" {
                        translate_request(to, from, &t.body, &meta, Some("back-model"))
                    } else {
                        translate_response(to, from, &t.body, &rm)
                    };
                    let _ = writeln!(out, "-- back");
                    match back {
                        Ok(b) => record(&mut out, &b.body, &b.losses),
                        Err(e) => {
                            let _ = writeln!(out, "error: {e}");
                        }
                    }
                }
            }
        }
    }
    std::io::stdout()
        .write_all(out.as_bytes())
        .map_err(|e| e.to_string())
}

fn record(out: &mut String, body: &[u8], losses: &Losses) {
    out.push_str(&String::from_utf8_lossy(body));
    out.push('\n');
    for l in losses.iter() {
        let _ = writeln!(out, "  {l}");
    }
}

fn files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    v.sort();
    Ok(v)
}
