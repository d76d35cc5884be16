//! Transcodes one stream capture N times, in 16 KiB pushes as the `stream` bench does: a fixed
//! workload for instruction-count profiling, where wall-clock benchmarks are too noisy.
//!
//! ```text
//! cargo build --release -p hermesllm --example stream_profile
//! valgrind --tool=callgrind target/release/examples/stream_profile openai_chat anthropic_messages \
//!     ../shared/bench/openai-chat-stream-1000.sse 20
//! ```
//!
//! With `-` as the count, the output of one run goes to stdout instead (to compare outputs
//! before and after a change).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;
use std::process::ExitCode;

use hermesllm::Api;
use hermesllm::stream::{StreamMeta, Transcoder};

const CHUNK: usize = 16 * 1024;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(from), Some(to), Some(path), Some(count)) =
        (args.first(), args.get(1), args.get(2), args.get(3))
    else {
        eprintln!("usage: stream_profile FROM TO INPUT COUNT|-");
        return ExitCode::from(2);
    };
    let (Some(from), Some(to)) = (Api::parse(from), Api::parse(to)) else {
        eprintln!("unknown API");
        return ExitCode::from(2);
    };
    let input = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(1);
        }
    };
    let mut out = Vec::with_capacity(input.len() * 2);
    if count == "-" {
        run(from, to, &input, &mut out);
        return match std::io::stdout().write_all(&out) {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => ExitCode::from(1),
        };
    }
    let Ok(n) = count.parse::<u32>() else {
        eprintln!("COUNT must be a number or -");
        return ExitCode::from(2);
    };
    let mut total = 0usize;
    for _ in 0..n {
        total += run(from, to, std::hint::black_box(&input), &mut out);
    }
    println!("{total} bytes out");
    ExitCode::SUCCESS
}

/// The bench's `run`: same meta, same chunking.
fn run(from: Api, to: Api, input: &[u8], out: &mut Vec<u8>) -> usize {
    let meta = StreamMeta {
        id: "chatcmpl-bench".into(),
        created: 1_749_513_600,
        model: "bench-model".into(),
        include_usage: true,
    };
    let mut t = Transcoder::new(from, to, meta);
    out.clear();
    for chunk in input.chunks(CHUNK) {
        t.push(chunk, 0, out);
    }
    t.finish(0, out);
    out.len()
}
