//! `plano-envoy-config`: writes the Envoy configuration for a plano config (see
//! `llm_gateway::envoy_config`).
//!
//! ```text
//! plano-envoy-config --config plano.yaml --wasm /path/llm_gateway.wasm \
//!     [--listen 127.0.0.1:12000] [--admin-port 9901] [--aws-region us-east-1] \
//!     [--sleep-port 12001] [--ca-file /etc/ssl/certs/ca-certificates.crt] \
//!     [--prompt-wasm /path/prompt_gateway.wasm [--prompt-listen 127.0.0.1:10000]] > envoy.yaml
//! ```
//!
//! The config is checked without its secrets (they are resolved inside Envoy, from the
//! environment variables it references, which the output lists for Envoy to pass on).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use llm_gateway::envoy_config::{Options, PromptListener, generate, referenced_env};
use plano_core::config::Config;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("plano-envoy-config: {e}");
            ExitCode::from(2)
        }
    }
}

#[allow(clippy::disallowed_methods)] // a CLI: its environment is its input
fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let mut config_path = None;
    let mut opts = Options {
        plano_yaml: String::new(),
        wasm_path: String::new(),
        listen: None,
        admin_port: 9901,
        aws_region: std::env::var("AWS_REGION").ok(),
        ca_file: "/etc/ssl/certs/ca-certificates.crt".to_owned(),
        sleep_port: 0,
        env_keys: Vec::new(),
        prompt: None,
    };
    let mut prompt_listen = None;
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--config" => config_path = Some(value()?),
            "--wasm" => opts.wasm_path = value()?,
            "--listen" => {
                let v = value()?;
                let (host, port) = v.rsplit_once(':').ok_or("--listen takes HOST:PORT")?;
                let port = port.parse().map_err(|_| "--listen: bad port")?;
                opts.listen = Some((host.to_owned(), port));
            }
            "--admin-port" => {
                opts.admin_port = value()?.parse().map_err(|_| "--admin-port: bad port")?;
            }
            "--aws-region" => opts.aws_region = Some(value()?),
            "--sleep-port" => {
                opts.sleep_port = value()?.parse().map_err(|_| "--sleep-port: bad port")?;
            }
            "--ca-file" => opts.ca_file = value()?,
            "--prompt-wasm" => {
                opts.prompt = Some(PromptListener {
                    wasm_path: value()?,
                    listen: None,
                });
            }
            "--prompt-listen" => {
                let v = value()?;
                let (host, port) = v
                    .rsplit_once(':')
                    .ok_or("--prompt-listen takes HOST:PORT")?;
                let port = port.parse().map_err(|_| "--prompt-listen: bad port")?;
                prompt_listen = Some((host.to_owned(), port));
            }
            "-h" | "--help" => {
                println!(
                    "usage: plano-envoy-config --config plano.yaml --wasm PATH [--listen HOST:PORT] [--admin-port N] [--aws-region R] [--sleep-port N] [--ca-file PATH] [--prompt-wasm PATH] [--prompt-listen HOST:PORT]"
                );
                return Ok(());
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let path = config_path.ok_or("--config is required")?;
    match (&mut opts.prompt, prompt_listen) {
        (Some(p), listen) => p.listen = listen,
        (None, Some(_)) => return Err("--prompt-listen needs --prompt-wasm".into()),
        (None, None) => {}
    }
    if opts.wasm_path.is_empty() {
        return Err("--wasm is required".into());
    }
    let yaml = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let config = Config::check(&yaml).map_err(|e| {
        let lines: Vec<String> = e.errors().map(|d| format!("{path}:{d}")).collect();
        lines.join("\n")
    })?;
    opts.env_keys = referenced_env(&yaml);
    opts.plano_yaml = yaml;
    if opts.sleep_port == 0 {
        // Default: the port after the listener's.
        let port = opts.listen.as_ref().map(|l| l.1).or_else(|| {
            config
                .listeners
                .iter()
                .find(|l| l.kind == plano_core::config::ListenerKind::Model)
                .map(|l| l.port)
        });
        opts.sleep_port = port.unwrap_or(12000).saturating_add(1);
    }
    let (out, warnings) = generate(&config, &opts);
    for w in warnings {
        eprintln!("warning: {w}");
    }
    print!("{out}");
    Ok(())
}
