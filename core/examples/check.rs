//! Checks config files and prints every diagnostic; secrets are not needed.
//!
//! `cargo run -p plano-core --example check -- plano_config.yaml [more.yaml ...]`
//!
//! Exits with status 1 when any file has an error.

use std::io::Write as _;
use std::process::ExitCode;

use plano_core::config::Config;

fn main() -> ExitCode {
    let mut out = std::io::stdout().lock();
    let mut failed = false;
    for path in std::env::args().skip(1) {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                let _ = writeln!(out, "{path}: {e}");
                failed = true;
                continue;
            }
        };
        let diagnostics = match Config::check(&text) {
            Ok(config) => config.warnings,
            Err(errors) => {
                failed = true;
                errors.diagnostics
            }
        };
        for d in diagnostics {
            let _ = writeln!(out, "{path}:{d}");
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
