//! The command line: `plano serve` and `plano validate`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use plano_core::config::{Config, ConfigErrors, Diagnostic, PlaceholderSecrets, SecretLookup};

use crate::env::{self, EnvSecrets};
use crate::logging::{self, LogFormat};
use crate::server::{ServeOptions, Server};
use crate::zero_config;

/// The plano AI gateway.
#[derive(Debug, Parser)]
#[command(name = "plano", version, about)]
pub struct Cli {
    /// Log line format (logs go to stderr).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Log filter, RUST_LOG-style (`info`, `warn,plano=debug`); default: $PLANO_LOG, else `info`.
    #[arg(long, global = true)]
    pub log: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// A subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the config's model listener.
    Serve(ServeArgs),
    /// Check config files: every problem with its line and column; exit status 1 on error.
    Validate(ValidateArgs),
    /// Serve a built-in config against the bundled mock provider (started in-process): the
    /// offline quickstart, no keys or network needed.
    #[cfg(feature = "demo")]
    Demo(DemoArgs),
}

/// `plano demo`.
#[cfg(feature = "demo")]
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Listen on this port of 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 12000)]
    pub port: u16,
}

/// `plano serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The Plano config (plano_config.yaml). Without it: pass-through providers for the API
    /// keys in the environment (OPENAI_API_KEY, ANTHROPIC_API_KEY, ...).
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// Listen on ADDR:PORT instead of the model listener's address.
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<String>,
    /// Listen on this port instead (0: any free port).
    #[arg(long)]
    pub port: Option<u16>,
    /// Serve the prompt listener (prompt targets) on this port instead of its configured one
    /// (0: any free port).
    #[arg(long)]
    pub prompt_port: Option<u16>,
    /// Seconds in-flight requests get to finish at shutdown (SIGINT/SIGTERM).
    #[arg(long, default_value_t = 30)]
    pub grace_period: u64,
    /// Worker threads (default: one per CPU).
    #[arg(long)]
    pub workers: Option<usize>,
}

/// `plano validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Config files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Resolve `$VAR` secrets from the environment (unset variables are errors). Default:
    /// check without secrets, as in CI.
    #[arg(long)]
    pub env: bool,
}

/// Runs the command line.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate(args) => validate(&args),
        Command::Serve(args) => {
            let filter = cli
                .log
                .or_else(|| env::var("PLANO_LOG"))
                .unwrap_or_else(|| "info".to_owned());
            logging::init(cli.log_format, &filter);
            serve(&args)
        }
        #[cfg(feature = "demo")]
        Command::Demo(args) => {
            let filter = cli
                .log
                .or_else(|| env::var("PLANO_LOG"))
                .unwrap_or_else(|| "info".to_owned());
            logging::init(cli.log_format, &filter);
            crate::demo::run(&args)
        }
    }
}

pub(crate) fn stdout_line(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

pub(crate) fn stderr_line(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// `plano validate`: prints `file:line:column: severity: path: message` for every
/// diagnostic and a summary per file, on stdout. Exit status 1 when any file has an error
/// or cannot be read.
pub fn validate(args: &ValidateArgs) -> ExitCode {
    let mut failed = false;
    for file in &args.files {
        let name = file.display();
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                stdout_line(&format!("{name}: error: cannot read: {e}"));
                failed = true;
                continue;
            }
        };
        let lookup: &dyn SecretLookup = if args.env {
            &EnvSecrets
        } else {
            &PlaceholderSecrets
        };
        let (diagnostics, ok) = match Config::load(&text, lookup) {
            Ok(config) => (config.warnings, true),
            Err(ConfigErrors { diagnostics, .. }) => (diagnostics, false),
        };
        for d in &diagnostics {
            stdout_line(&format!("{name}:{d}"));
        }
        let errors = diagnostics.iter().filter(|d| d.is_error()).count();
        let warnings = diagnostics.len() - errors;
        if ok {
            stdout_line(&format!(
                "{name}: ok ({warnings} warning{})",
                plural(warnings)
            ));
        } else {
            failed = true;
            stdout_line(&format!(
                "{name}: {errors} error{}, {warnings} warning{}",
                plural(errors),
                plural(warnings)
            ));
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Loads the config for `serve`: the file with secrets from the environment, or the
/// zero-config. On error, the diagnostics (for stderr).
///
/// # Errors
/// Every line to print.
pub fn load(path: Option<&Path>) -> Result<Config, Vec<String>> {
    match path {
        Some(path) => {
            let name = path.display();
            let text = std::fs::read_to_string(path)
                .map_err(|e| vec![format!("{name}: cannot read: {e}")])?;
            let config = Config::load(&text, &EnvSecrets).map_err(|e| {
                let mut lines: Vec<String> = e
                    .diagnostics
                    .iter()
                    .map(|d: &Diagnostic| format!("{name}:{d}"))
                    .collect();
                lines.push(format!("{name}: {e}", e = summary(&e)));
                lines
            })?;
            for w in &config.warnings {
                tracing::warn!(config = %name, "{w}");
            }
            Ok(config)
        }
        None => {
            let z = zero_config::generate(&|name| env::var(name));
            let config = Config::load(&z.yaml, &EnvSecrets).map_err(|e| {
                e.diagnostics
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
            })?;
            if z.enabled.is_empty() {
                tracing::warn!(
                    "no --config and no provider API key in the environment: every model request will fail. \
                     Set OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY, ... (then name models as `openai/gpt-4o`), \
                     or run `plano serve --config plano_config.yaml`"
                );
            } else {
                for (provider, var) in &z.enabled {
                    tracing::info!(provider = %format!("{provider}/*"), key = %format!("${var}"), "zero-config provider");
                }
            }
            Ok(config)
        }
    }
}

fn summary(e: &ConfigErrors) -> String {
    let n = e.errors().count();
    format!("invalid config ({n} error{})", plural(n))
}

/// `plano serve`.
pub fn serve(args: &ServeArgs) -> ExitCode {
    let config = match load(args.config.as_deref()) {
        Ok(c) => c,
        Err(lines) => {
            for l in lines {
                stderr_line(&l);
            }
            return ExitCode::FAILURE;
        }
    };
    let opts = ServeOptions {
        listen: args.listen.clone(),
        port: args.port,
        prompt_port: args.prompt_port,
        grace: Some(Duration::from_secs(args.grace_period)),
        workers: args.workers,
    };
    serve_config(config, &opts, |_| {})
}

/// Serves `config` until SIGINT/SIGTERM; `ready` runs once the listener is bound (after the
/// `listening http://ADDR` line).
pub fn serve_config(
    config: Config,
    opts: &ServeOptions,
    ready: impl FnOnce(std::net::SocketAddr),
) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            stderr_line(&format!("cannot start the runtime: {e}"));
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let server = match Server::bind(config, opts).await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "cannot start");
                stderr_line(&format!("error: {e}"));
                return ExitCode::FAILURE;
            }
        };
        let addr = server.local_addr();
        tracing::info!(%addr, "listening");
        stdout_line(&format!("listening http://{addr}"));
        if let Some(prompt) = server.prompt_addr() {
            tracing::info!(addr = %prompt, "prompt listener");
            stdout_line(&format!("prompt listener http://{prompt}"));
        }
        ready(addr);
        server.run(shutdown_signal()).await;
        ExitCode::SUCCESS
    })
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received"),
        () = term => tracing::info!("SIGTERM received"),
    }
}
