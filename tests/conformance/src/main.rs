//! `plano-conformance`: runs the conformance suite against a running gateway and mock.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use plano_conformance::{Capability, Target, markdown, run, scenario_ids};

/// Runs the black-box conformance suite against a gateway whose providers point at the mock
/// (config: tests/conformance/plano.yaml with ${MOCK_URL} replaced).
#[derive(Debug, Parser)]
#[command(name = "plano-conformance")]
struct Args {
    /// The gateway's base URL, e.g. http://127.0.0.1:12000.
    #[arg(long, required_unless_present_any = ["list", "print_env", "print_config", "print_prompt_config"])]
    gateway: Option<String>,
    /// The prompt listener of a second gateway started with the prompt config
    /// (`--print-prompt-config`); without it the `prompt/*` scenarios are skipped.
    #[arg(long, value_name = "URL")]
    prompt_gateway: Option<String>,
    /// The mock provider's base URL (as substituted into the config).
    #[arg(long, required_unless_present_any = ["list", "print_env", "print_config", "print_prompt_config"])]
    mock: Option<String>,
    /// The host's column name: native, workers, spin, lambda, envoy.
    #[arg(long, default_value = "native")]
    host: String,
    /// Run only the scenarios whose id contains this.
    #[arg(long)]
    filter: Option<String>,
    /// Capabilities the host declares it lacks (comma-separated: responses-state,
    /// rate-limits, timeouts, body-limit, preference-routing, prompt-listener,
    /// mid-stream-errors); their scenarios are skipped.
    #[arg(long, value_delimiter = ',')]
    lacks: Vec<String>,
    /// Write this host's column of the results table into FILE (docs/conformance.md).
    #[arg(long, value_name = "FILE")]
    markdown: Option<PathBuf>,
    /// Print the scenario ids and exit.
    #[arg(long)]
    list: bool,
    /// Print the environment a host needs for the config (NAME=value lines) and exit.
    #[arg(long)]
    print_env: bool,
    /// Print the config with the mock at MOCK_URL and exit.
    #[arg(long, value_name = "MOCK_URL")]
    print_config: Option<String>,
    /// Print the prompt listener's config with the mock at MOCK_URL and exit.
    #[arg(long, value_name = "MOCK_URL")]
    print_prompt_config: Option<String>,
}

#[allow(clippy::print_stdout, reason = "the command's output")]
#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if args.print_env {
        for (name, value) in plano_conformance::ENV {
            println!("{name}={value}");
        }
        return ExitCode::SUCCESS;
    }
    if let Some(mock) = &args.print_config {
        print!("{}", plano_conformance::config(mock));
        return ExitCode::SUCCESS;
    }
    if let Some(mock) = &args.print_prompt_config {
        print!("{}", plano_conformance::prompt_config(mock));
        return ExitCode::SUCCESS;
    }
    if args.list {
        for id in scenario_ids() {
            println!("{id}");
        }
        return ExitCode::SUCCESS;
    }
    let mut lacks = Vec::new();
    for name in &args.lacks {
        match Capability::parse(name) {
            Some(c) => lacks.push(c),
            None => {
                let known: Vec<&str> = Capability::ALL.iter().map(|c| c.name()).collect();
                println!("unknown capability {name:?}; known: {}", known.join(", "));
                return ExitCode::from(2);
            }
        }
    }
    let (Some(gateway), Some(mock)) = (args.gateway, args.mock) else {
        println!("--gateway and --mock are required");
        return ExitCode::from(2);
    };
    let mut target = Target::new(gateway, mock, args.host);
    target.lacks = lacks;
    target.prompt = args.prompt_gateway;
    let report = run(&target, args.filter.as_deref()).await;
    print!("{}", report.details());
    if let Some(path) = &args.markdown {
        let old = std::fs::read_to_string(path).unwrap_or_default();
        let new = markdown::update(&old, &report, &scenario_ids());
        if let Err(e) = std::fs::write(path, new) {
            println!("cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
        println!("updated the {} column of {}", report.host, path.display());
    }
    if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
