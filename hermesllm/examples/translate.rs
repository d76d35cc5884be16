//! Translates one request, response or error body between two APIs.
//!
//! ```text
//! cargo run -p hermesllm --example translate -- request openai_chat anthropic_messages claude-sonnet-4-5 < body.json
//! cargo run -p hermesllm --example translate -- response anthropic_messages openai_chat < body.json
//! cargo run -p hermesllm --example translate -- error anthropic_messages openai_chat 429 < body.json
//! ```
//!
//! APIs: openai_chat, openai_responses, anthropic_messages, bedrock_converse, gemini.
//! The translated body goes to stdout, the losses to stderr.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{Read, Write};
use std::process::ExitCode;

use hermesllm::translate::{translate_error, translate_request, translate_response};
use hermesllm::{Api, RequestMeta, ResponseMeta};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: translate request|response|error FROM TO [MODEL|STATUS] < body";
    let (Some(kind), Some(from), Some(to)) = (args.first(), args.get(1), args.get(2)) else {
        eprintln!("{usage}");
        return ExitCode::from(2);
    };
    let (Some(from), Some(to)) = (Api::parse(from), Api::parse(to)) else {
        eprintln!(
            "unknown API; one of: openai_chat openai_responses anthropic_messages bedrock_converse gemini"
        );
        return ExitCode::from(2);
    };
    let extra = args.get(3).map(String::as_str);
    let mut body = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut body) {
        eprintln!("reading stdin: {e}");
        return ExitCode::from(1);
    }
    let meta = RequestMeta {
        model: extra.map(Into::into),
        stream: false,
    };
    let rmeta = ResponseMeta {
        id: "gen-example".into(),
        created: 0,
        model: "unknown".into(),
    };
    let result = match kind.as_str() {
        "request" => translate_request(from, to, &body, &meta, extra),
        "response" => translate_response(from, to, &body, &rmeta),
        "error" => {
            let status = extra.and_then(|s| s.parse().ok()).unwrap_or(500);
            let out = translate_error(from, to, status, &body);
            let _ = std::io::stdout().write_all(&out);
            println!();
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{usage}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(t) => {
            let _ = std::io::stdout().write_all(&t.body);
            println!();
            for loss in t.losses.iter() {
                eprintln!("loss: {loss}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            let err = e.to_api_error();
            eprintln!("error {}: {}", err.status, err.message);
            ExitCode::from(1)
        }
    }
}
