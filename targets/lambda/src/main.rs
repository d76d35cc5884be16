//! The function's entry point (the `bootstrap` of the deployment package).

use std::sync::Arc;
use std::time::Instant;

use lambda_http::{run_with_streaming_response, service_fn};
use plano_lambda::{engine::Engine, env, handler, host};

fn main() -> Result<(), lambda_http::Error> {
    // The host owns the clock (clippy.toml bans it for the libraries).
    #[allow(clippy::disallowed_methods)]
    let started = Instant::now();
    init_logging();
    let setup: Result<(Engine, usize), Arc<str>> = host::build(&env::var, false)
        .and_then(|app| {
            let app: &'static host::App = Box::leak(Box::new(app));
            let engine = Engine::start(app).map_err(|e| format!("engine: {e}"))?;
            Ok((engine, app.body_limit))
        })
        .map_err(|e| {
            tracing::error!(error = %e, "the gateway cannot serve; every request answers 500");
            Arc::from(e)
        });
    let body_limit = setup.as_ref().map_or(0, |(_, limit)| *limit);
    let setup: handler::Setup = setup.map(|(engine, _)| engine);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    tracing::info!(
        init_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "plano-lambda initialized"
    );
    runtime.block_on(run_with_streaming_response(service_fn(move |event| {
        handler::handle(setup.clone(), body_limit, event)
    })))
}

/// JSON log lines to stdout (CloudWatch), level from `PLANO_LOG` (`info` by default; a
/// `target=level` list is accepted).
fn init_logging() {
    use tracing_subscriber::filter::Targets;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let filter: Targets = env::var("PLANO_LOG")
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| Targets::new().with_default(tracing::Level::INFO));
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .json()
                .with_current_span(false)
                .with_target(false)
                .without_time(),
        )
        .with(filter)
        .try_init();
}
