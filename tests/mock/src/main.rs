//! `plano-mock [--listen 127.0.0.1:0] [--workers 1]`: prints `listening http://IP:PORT` once
//! ready, then serves until SIGINT or SIGTERM.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;

/// A mock LLM provider for plano's tests and benchmarks.
#[derive(Debug, Parser)]
#[command(name = "plano-mock", version, about)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Runtime worker threads. 1 (the default) runs everything on one thread: per request
    /// the mock does little, so one thread serves well beyond the gateway's rate and leaves
    /// the other cores to the gateway and the load generator.
    #[arg(long, default_value_t = 1)]
    workers: usize,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = if args.workers <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.workers)
            .enable_all()
            .build()
    };
    let result = runtime.and_then(|rt| rt.block_on(run(args.listen)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(io::stderr(), "plano-mock: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(listen: SocketAddr) -> io::Result<()> {
    let server = plano_mock::start(listen).await?;
    {
        let mut out = io::stdout().lock();
        writeln!(out, "listening {}", server.url())?;
        out.flush()?;
    }
    terminated().await?;
    server.shutdown().await;
    Ok(())
}

#[cfg(unix)]
async fn terminated() -> io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r,
        _ = term.recv() => Ok(()),
    }
}

#[cfg(not(unix))]
async fn terminated() -> io::Result<()> {
    tokio::signal::ctrl_c().await
}
