//! Binary-size probe: counts stdin with tiktoken (both tables linked). Compare with
//! `size_without` (the estimator only); see docs/tokens.md.
#![allow(clippy::print_stdout, clippy::disallowed_methods)] // a host-side probe: it may read the clock.

use std::io::Read;

fn main() {
    let mut text = String::new();
    let _ = std::io::stdin().read_to_string(&mut text);
    let start = std::time::Instant::now();
    let counter = plano_tiktoken::counter_for_model("gpt-4o");
    let first = counter.count(&text);
    let first_use = start.elapsed();
    let cl = plano_tiktoken::counter_for_model("gpt-4").count(&text);
    println!(
        "o200k {first} cl100k {cl} first_use_us {}",
        first_use.as_micros()
    );
}
