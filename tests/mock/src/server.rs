//! The listener, connections and graceful shutdown.

use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::fixtures;
use crate::handler::{self, State};

/// A running mock. Dropping it stops it too, without waiting.
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl MockServer {
    /// The address it listens on (the real port when started on port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ip:port`, no trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets requests in flight finish (stalled bodies end at once), closes
    /// idle keep-alive connections, and returns when every connection is gone.
    pub async fn shutdown(self) {
        // An error means every receiver is gone: nothing left to stop.
        let _ = self.shutdown.send(true);
        // The task never panics; an error would mean the runtime is going away.
        let _ = self.task.await;
    }
}

/// Binds `addr` and serves on the current tokio runtime until [`MockServer::shutdown`].
///
/// # Errors
///
/// Binding fails, or (a bug) a compiled-in fixture cannot be prepared.
pub async fn start(addr: SocketAddr) -> io::Result<MockServer> {
    let catalog = fixtures::catalog().map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (shutdown, signal) = watch::channel(false);
    let state = Arc::new(State::new(catalog, signal.clone()));
    let task = tokio::spawn(accept_loop(listener, state, signal));
    Ok(MockServer {
        addr,
        shutdown,
        task,
    })
}

async fn accept_loop(listener: TcpListener, state: Arc<State>, mut signal: watch::Receiver<bool>) {
    // Each connection holds a sender; `recv` answers `None` once they are all gone.
    let (alive, mut all_closed) = mpsc::channel::<()>(1);
    loop {
        tokio::select! {
            biased;
            // Also when the `MockServer` was dropped, which stops the server too.
            () = stopped(&mut signal) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    let connection = connection(stream, state.clone(), signal.clone(), alive.clone());
                    tokio::spawn(connection);
                }
                // Out of file descriptors and the like: wait a little instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
        }
    }
    drop(listener);
    drop(alive);
    let _ = all_closed.recv().await;
}

async fn connection(
    stream: TcpStream,
    state: Arc<State>,
    mut signal: watch::Receiver<bool>,
    _alive: mpsc::Sender<()>,
) {
    // Small answers go out at once rather than waiting for Nagle's ACK.
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |request| handler::handle(state.clone(), request));
    let mut connection = pin!(
        http1::Builder::new()
            .keep_alive(true)
            // Idle keep-alive connections stay open as long as the client keeps them.
            .header_read_timeout(None)
            .serve_connection(TokioIo::new(stream), service)
    );
    // Connection errors (client gone, aborted bodies) end the connection; nothing to report.
    tokio::select! {
        _ = connection.as_mut() => {}
        () = stopped(&mut signal) => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

/// Resolves once shutdown is signalled, or the [`MockServer`] is dropped.
pub(crate) async fn stopped(signal: &mut watch::Receiver<bool>) {
    // `Err`: the sender is gone, which means stop as well.
    let _ = signal.wait_for(|down| *down).await;
}
