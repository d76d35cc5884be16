//! Binary-size probe: counts stdin with plano-core's table-free estimator only. Compare
//! with `size_with`; see docs/tokens.md.
#![allow(clippy::print_stdout)]

use std::io::Read;

use plano_core::tokens::{CharEstimator, TokenCounter};

fn main() {
    let mut text = String::new();
    let _ = std::io::stdin().read_to_string(&mut text);
    let n = std::hint::black_box(CharEstimator::PROSE).count(&text);
    println!("estimate {n}");
}
