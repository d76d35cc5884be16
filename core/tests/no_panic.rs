//! Loading never panics, whatever the input: random text, and the example configs cut,
//! spliced and corrupted at random.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fs;
use std::path::Path;

use plano_core::config::{Config, PlaceholderSecrets};

fn examples() -> Vec<String> {
    let mut out = Vec::new();
    for kind in ["valid", "invalid"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/configs")
            .join(kind);
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") {
                out.push(fs::read_to_string(path).unwrap());
            }
        }
    }
    out.sort();
    out
}

fn load(text: &str) {
    match Config::load(text, &PlaceholderSecrets) {
        Ok(c) => assert!(c.warnings.iter().all(|w| !w.is_error())),
        Err(e) => assert!(e.errors().count() > 0, "rejected without an error: {e}"),
    }
}

/// Fragments that exercise YAML structure and the config's own syntax.
const PIECES: &[&str] = &[
    "\n",
    "  ",
    "- ",
    ": ",
    "{",
    "}",
    "[",
    "]",
    ",",
    "&a ",
    "*a",
    "<<: ",
    "!!str ",
    "'",
    "\"",
    "|\n",
    "#",
    "---\n",
    "version",
    "v0.4.0",
    "model_providers",
    "model",
    "openai/",
    "*",
    "$",
    "${",
    "listeners",
    "type",
    "ratelimits",
    "tokens",
    "0",
    "-1",
    "99999999999999999999",
    "1e400",
    ".nan",
    "gateway",
    "state",
    "backend",
    "30s",
    "\t",
    "\u{feff}",
    "é",
];

/// A small deterministic generator (xorshift64*), so failures reproduce without a seed file.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn piece(&mut self) -> &'static str {
        PIECES[self.below(PIECES.len())]
    }
}

#[test]
fn random_text() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for _ in 0..500 {
        let len = rng.below(200);
        let text: String = (0..len)
            .filter_map(|_| char::from_u32(rng.below(0x3000) as u32))
            .collect();
        load(&text);
    }
}

#[test]
fn random_pieces() {
    let mut rng = Rng(0x0ddb_a11c_afe5_eed5);
    for _ in 0..2000 {
        let n = rng.below(80);
        let text: String = (0..n).map(|_| rng.piece()).collect();
        load(&text);
    }
}

#[test]
fn corrupted_examples() {
    let examples = examples();
    let mut rng = Rng(0xfeed_face_cafe_beef);
    for _ in 0..3000 {
        let mut text: Vec<char> = examples[rng.below(examples.len())].chars().collect();
        for _ in 0..1 + rng.below(5) {
            if text.is_empty() {
                break;
            }
            let start = rng.below(text.len());
            let end = (start + rng.below(8)).min(text.len());
            let piece = rng.piece();
            text.splice(start..end, piece.chars());
        }
        load(&text.into_iter().collect::<String>());
    }
}

#[test]
fn deep_nesting_and_long_keys() {
    load(&format!(
        "version: v0.4.0\ngateway: {}{}",
        "{a: ".repeat(200),
        "}".repeat(200)
    ));
    load(&format!("version: v0.4.0\n{}: 1\n", "k".repeat(100_000)));
    let many: String = (0..20_000).map(|i| format!("k{i}: 1\n")).collect();
    load(&many);
}
