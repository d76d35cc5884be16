//! `plano demo`: the offline quickstart. Starts the bundled mock provider (crate
//! `plano-mock`) on a free port of 127.0.0.1 in this process, and serves the built-in
//! [`examples/demo.yaml`](../../../examples/demo.yaml) pointed at it, with the mock's own keys
//! as the secrets. Real gateway, real HTTP, real translation; only the provider is a replay.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use plano_core::config::Config;
use plano_mock::keys;

use crate::cli::{DemoArgs, serve_config, stderr_line, stdout_line};
use crate::server::ServeOptions;

/// The demo's config; `${MOCK_URL}` is replaced by the mock's address.
const CONFIG: &str = include_str!("../../../examples/demo.yaml");

/// Runs `plano demo` until SIGINT/SIGTERM.
pub fn run(args: &DemoArgs) -> ExitCode {
    let mock = match start_mock() {
        Ok(url) => url,
        Err(e) => {
            stderr_line(&format!("error: cannot start the mock provider: {e}"));
            return ExitCode::FAILURE;
        }
    };
    let yaml = CONFIG.replace("${MOCK_URL}", &mock);
    let config = match Config::load(&yaml, &mock_secret) {
        Ok(c) => c,
        Err(e) => {
            for d in &e.diagnostics {
                stderr_line(&format!("examples/demo.yaml:{d}"));
            }
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(mock = %mock, "mock provider started");
    let opts = ServeOptions {
        listen: Some(format!("127.0.0.1:{}", args.port)),
        grace: Some(Duration::from_secs(5)),
        ..ServeOptions::default()
    };
    serve_config(config, &opts, print_examples)
}

/// The mock's keys for the demo config's `$VARS`.
fn mock_secret(name: &str) -> Option<String> {
    let key = match name {
        "OPENAI_API_KEY" => keys::OPENAI_KEY,
        "ANTHROPIC_API_KEY" => keys::ANTHROPIC_KEY,
        "GEMINI_API_KEY" => keys::GEMINI_KEY,
        "BEDROCK_API_KEY" => keys::BEDROCK_API_KEY,
        _ => return None,
    };
    Some(key.to_owned())
}

/// Starts the mock on its own thread and runtime (the server's workers have theirs), and
/// returns its base URL once it listens.
fn start_mock() -> Result<String, String> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("plano-mock".to_owned())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    let _ = tx.send(Err(e.to_string()));
                    return;
                }
            };
            runtime.block_on(async move {
                let addr = SocketAddr::from(([127, 0, 0, 1], 0));
                match plano_mock::start(addr).await {
                    Ok(server) => {
                        let _ = tx.send(Ok(server.url()));
                        // Serves until the process exits.
                        std::future::pending::<()>().await;
                        drop(server);
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e.to_string()));
                    }
                }
            });
        })
        .map_err(|e| e.to_string())?;
    rx.recv().map_err(|e| e.to_string())?
}

fn print_examples(addr: SocketAddr) {
    let base = format!("http://{addr}");
    stdout_line(&format!(
        "\ntry it (the mock answers; any key works for the client side):\n\
         \n  # OpenAI Chat client -> Anthropic upstream, translated both ways\n  \
         curl -s {base}/v1/chat/completions -H 'content-type: application/json' \\\n    \
         -d '{{\"model\":\"smart\",\"messages\":[{{\"role\":\"user\",\"content\":\"Hi\"}}]}}'\n\
         \n  # Anthropic Messages client -> OpenAI upstream, streamed\n  \
         curl -sN {base}/v1/messages -H 'content-type: application/json' -H 'anthropic-version: 2023-06-01' \\\n    \
         -d '{{\"model\":\"gpt-4o-mini\",\"max_tokens\":64,\"stream\":true,\"messages\":[{{\"role\":\"user\",\"content\":\"Hi\"}}]}}'\n\
         \n  # the models, and the gateway's metrics\n  \
         curl -s {base}/v1/models\n  curl -s {base}/metrics\n"
    ));
}
