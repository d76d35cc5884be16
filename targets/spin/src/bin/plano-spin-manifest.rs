//! Writes a `spin.toml` for the plano component from a plano config:
//!
//! ```text
//! plano-spin-manifest --config plano.yaml [--source PATH] [--name NAME] [--no-embed] [--build]
//!                     [--listener model|prompt]
//! ```
//!
//! `allowed_outbound_hosts` lists the origins of the configured providers (and the trace
//! collector); each `$VAR` of the config becomes a secret Spin variable. By default the config
//! text is the `plano_config` variable's default (`--no-embed`: a required variable, supplied
//! at deploy time). `--listener prompt` makes the app serve the config's prompt listener (the
//! `plano_listener` variable's default). See targets/spin/README.md.

use std::process::ExitCode;

use plano_spin::manifest::{Options, render};

const USAGE: &str = "usage: plano-spin-manifest --config FILE [--source PATH] [--name NAME] \
                     [--no-embed] [--build] [--listener model|prompt]";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut config, mut source, mut name, mut listener) = (None, None, None, None);
    let (mut embed, mut build) = (true, false);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--config" => config = args.next(),
            "--source" => source = args.next(),
            "--name" => name = args.next(),
            "--no-embed" => embed = false,
            "--build" => build = true,
            "--listener" => listener = args.next(),
            _ => return fail(USAGE),
        }
    }
    let Some(path) = config else {
        return fail(USAGE);
    };
    let yaml = match std::fs::read_to_string(&path) {
        Ok(y) => y,
        Err(e) => return fail(&format!("{path}: {e}")),
    };
    let options = Options {
        name: name.as_deref().unwrap_or("plano"),
        source: source.as_deref().unwrap_or("build/plano_spin.wasm"),
        embed_config: embed,
        // Relative to spin.toml, which lives in targets/spin next to build.sh.
        build: build.then_some(("./build.sh", ".")),
        listener: listener.as_deref().unwrap_or("model"),
    };
    match render(&yaml, &options) {
        Ok(toml) => {
            #[allow(clippy::print_stdout)] // the tool's output
            {
                print!("{toml}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e.to_string()),
    }
}

fn fail(message: &str) -> ExitCode {
    #[allow(clippy::print_stderr)] // the tool's diagnostics
    {
        eprintln!("{message}");
    }
    ExitCode::from(2)
}
