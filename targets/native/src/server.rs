//! The HTTP server: hyper 1 (HTTP/1.1 and HTTP/2, auto-detected) on tokio, one
//! [`Driver::handle`] per request, responses streamed with backpressure.
//!
//! # Threads
//!
//! The core's exchange is not `Send` (hermesllm's stream transcoders are boxed trait objects
//! without a `Send` bound, and the driver's futures carry no `Send` bound by design, for
//! Workers). So the server is thread-per-core: one acceptor on the main runtime hands each
//! accepted connection, round robin, to a worker thread running a current-thread runtime
//! with a `LocalSet`; a connection and all its exchanges stay on their worker (no locks on
//! the request path, each worker with its own upstream connection pool). Shared across
//! workers: the config, the state store, the metrics and the trace exporter.
//!
//! # Lifetimes
//!
//! The driver borrows the config, client, store, clock and entropy for `'a`, and so does the
//! body it returns. The server's state ([`App`]) is built once and leaked (`Box::leak`): it
//! lives for the process anyway, and with `'a = 'static` a response body is an ordinary
//! owned value that hyper can poll (no task and channel per request, no copying of chunks).
//!
//! # Bodies
//!
//! - A finished exchange (non-streaming reply, error, local route) comes back with its record
//!   already taken: its one chunk is sent as a `Full` body with `content-length`.
//! - A stream is a [`StreamBody`]: hyper's `poll_frame` pulls [`ClientBody::next_chunk`] only
//!   when the connection can take more, so a slow client slows the upstream read (TCP
//!   backpressure end to end) and memory stays at one chunk. When the body ends, the record
//!   is taken; when hyper drops the body early (client gone), a task calls
//!   [`ClientBody::abort`] so the exchange is still settled, counted and logged.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, HeaderName, HeaderValue};
use http::{Method, Request, Response};
use http_body::Body;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use plano_core::config::{Config, ListenerKind};
use plano_core::exchange::driver::Entropy as _;
use plano_core::exchange::driver::{ClientBody, ClientRequest, Driver};
use plano_core::exchange::{ExchangeOptions, ExchangeRecord, Ids};
use plano_core::kv::now_or_never;
use plano_core::upstream::AwsCredentials;
use tokio::net::TcpListener;

pub use crate::body::{GatewayBody, StreamBody};
use crate::body::{full, stream};
use crate::client::{Upstream, UpstreamClient};
use crate::clock::SystemClock;
use crate::entropy::OsEntropy;
use crate::metrics::{self, Metrics};
use crate::observe;
use crate::otel::{self, Exporter, TraceCtx};
use crate::store::Store;

pub(crate) type Body0 = ClientBody<'static, Upstream, Store, SystemClock>;

/// How to serve.
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// Listen on this address instead of the model listener's.
    pub listen: Option<String>,
    /// Listen on this port instead of the model listener's (`0`: any free port).
    pub port: Option<u16>,
    /// Serve the prompt listener on this port instead of its configured one (`0`: any free
    /// port). The prompt listener is served when the config has one and prompt targets are
    /// active.
    pub prompt_port: Option<u16>,
    /// Longest wait for in-flight exchanges at shutdown (default 30 s).
    pub grace: Option<Duration>,
    /// Worker threads (default: the available parallelism).
    pub workers: Option<usize>,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The state store could not be opened.
    #[error(transparent)]
    Store(#[from] crate::file_kv::OpenError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {reason}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        reason: String,
    },
    /// The config has no model listener (the loader always adds one; defensive).
    #[error("the config has no model listener")]
    NoListener,
}

/// The process-wide state, shared by every worker.
#[derive(Debug)]
pub struct Shared {
    /// The loaded config.
    pub config: &'static Config,
    store: &'static Store,
    aws: Option<AwsCredentials>,
    /// Metrics.
    pub metrics: Metrics,
    exporter: Option<Exporter>,
    body_limit: usize,
}

impl Shared {
    /// The trace exporter, when tracing is configured.
    pub fn exporter(&self) -> Option<&Exporter> {
        self.exporter.as_ref()
    }
}

/// One worker's state: the driver over the worker's own upstream client.
pub(crate) struct App {
    shared: &'static Shared,
    driver: Driver<'static, UpstreamClient, Store, SystemClock, OsEntropy>,
    /// The same, for connections to the prompt listener.
    prompt_driver: Driver<'static, UpstreamClient, Store, SystemClock, OsEntropy>,
    http: auto::Builder<LocalExec>,
    pub(crate) aborts: tokio::sync::mpsc::UnboundedSender<(Rc<tokio::sync::Mutex<Body0>>, Finish)>,
}

/// Runs hyper's connection tasks (HTTP/2 streams) on the worker's `LocalSet`.
#[derive(Debug, Clone, Copy)]
struct LocalExec;

impl<F: Future + 'static> hyper::rt::Executor<F> for LocalExec {
    fn execute(&self, fut: F) {
        tokio::task::spawn_local(fut);
    }
}

/// A bound server, not yet accepting.
#[derive(Debug)]
pub struct Server {
    shared: &'static Shared,
    listener: TcpListener,
    addr: SocketAddr,
    /// The prompt listener, when served.
    prompt: Option<(TcpListener, SocketAddr)>,
    grace: Duration,
    workers: usize,
}

impl Server {
    /// Opens the store, sets up tracing and binds the model listener's address. Must run
    /// inside a tokio runtime (the trace exporter sends from it).
    ///
    /// # Errors
    /// [`StartError`].
    pub async fn bind(config: Config, opts: &ServeOptions) -> Result<Server, StartError> {
        let serve_prompt = config.prompts.is_active();
        for l in &config.listeners {
            if l.kind != ListenerKind::Model && !(l.kind == ListenerKind::Prompt && serve_prompt) {
                tracing::warn!(
                    listener = %l.name,
                    kind = ?l.kind,
                    "only the model listener is served by this gateway; this listener is ignored"
                );
            }
        }
        let listener = config.model_listener().ok_or(StartError::NoListener)?;
        let host = opts
            .listen
            .clone()
            .unwrap_or_else(|| host_port(&listener.address, listener.port));
        let addr = match opts.port {
            Some(port) => with_port(&host, port),
            None => host,
        };
        let tcp = TcpListener::bind(addr.as_str())
            .await
            .map_err(|e| StartError::Bind {
                addr: addr.clone(),
                reason: e.to_string(),
            })?;
        let local = tcp.local_addr().map_err(|e| StartError::Bind {
            addr: addr.clone(),
            reason: e.to_string(),
        })?;
        let prompt = match config
            .listeners
            .iter()
            .find(|l| l.kind == ListenerKind::Prompt)
            .filter(|_| serve_prompt)
        {
            None => None,
            Some(l) => {
                let host = host_port(&l.address, l.port);
                let paddr = match opts.prompt_port {
                    Some(port) => with_port(&host, port),
                    None => host,
                };
                let bind_err = |e: std::io::Error| StartError::Bind {
                    addr: paddr.clone(),
                    reason: e.to_string(),
                };
                let ptcp = TcpListener::bind(paddr.as_str()).await.map_err(bind_err)?;
                let plocal = ptcp.local_addr().map_err(bind_err)?;
                Some((ptcp, plocal))
            }
        };

        let store: &'static Store = Box::leak(Box::new(Store::open(&config.gateway.state.native)?));
        let config: &'static Config = Box::leak(Box::new(config));
        let exporter = match otel::traces_url(&config.tracing) {
            None => None,
            Some((url, moved)) => {
                if moved {
                    tracing::info!(
                        %url,
                        "tracing: this gateway exports OTLP over HTTP; using port 4318 instead of the gRPC port 4317"
                    );
                }
                match Exporter::new(
                    url,
                    config.tracing.sampling_percent.unwrap_or(100),
                    crate::client::upstream_client(Duration::from_secs(5)),
                    tokio::runtime::Handle::current(),
                ) {
                    Ok(e) => Some(e),
                    Err(e) => {
                        tracing::warn!(error = %e, "tracing disabled: cannot build the OTLP exporter");
                        None
                    }
                }
            }
        };
        let shared: &'static Shared = Box::leak(Box::new(Shared {
            config,
            store,
            aws: crate::env::aws_credentials(),
            metrics: Metrics::new(),
            exporter,
            body_limit: usize::try_from(config.gateway.body_limit).unwrap_or(usize::MAX),
        }));
        let workers = opts
            .workers
            .or_else(|| std::thread::available_parallelism().ok().map(usize::from))
            .unwrap_or(2)
            .max(1);
        Ok(Server {
            shared,
            listener: tcp,
            addr: local,
            prompt,
            grace: opts.grace.unwrap_or(Duration::from_secs(30)),
            workers,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The prompt listener's bound address, when it is served.
    pub fn prompt_addr(&self) -> Option<SocketAddr> {
        self.prompt.as_ref().map(|(_, a)| *a)
    }

    /// The shared state (metrics, config).
    pub fn shared(&self) -> &'static Shared {
        self.shared
    }

    /// Serves until `shutdown` completes, then stops accepting, lets in-flight exchanges
    /// finish for up to the grace period, flushes traces and the state file, and returns.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let Server {
            shared,
            listener,
            prompt,
            grace,
            workers,
            ..
        } = self;
        let prompt = prompt.map(|(l, _)| l);
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut queues = Vec::with_capacity(workers);
        let mut finished = Vec::with_capacity(workers);
        for i in 0..workers {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
            let stop = stop_rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("plano-worker-{i}"))
                .spawn(move || {
                    worker(shared, rx, stop, grace);
                    let _ = done_tx.send(());
                });
            match spawned {
                Ok(_) => {
                    queues.push(tx);
                    finished.push(done_rx);
                }
                Err(e) => tracing::error!(error = %e, "cannot start a worker thread"),
            }
        }
        let background = shared
            .store
            .file()
            .map(|f| tokio::spawn(file_maintenance(f.clone())));
        tokio::pin!(shutdown);
        let mut next = 0usize;
        loop {
            // The prompt listener's accept, or never when there is none.
            let prompt_accept = async {
                match &prompt {
                    Some(p) => p.accept().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                accepted = async {
                    tokio::select! {
                        a = listener.accept() => (a, false),
                        a = prompt_accept => (a, true),
                    }
                } => {
                    let (accepted, is_prompt) = accepted;
                    let stream = match accepted {
                        Ok((s, _)) => s,
                        Err(e) => {
                            // Out of file descriptors and the like: back off briefly.
                            tracing::warn!(error = %e, "accept failed");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    let _ = stream.set_nodelay(true);
                    let Ok(stream) = stream.into_std() else { continue };
                    if queues.is_empty() {
                        break;
                    }
                    next = (next + 1) % queues.len();
                    if let Some(q) = queues.get(next) {
                        let _ = q.send((stream, is_prompt));
                    }
                }
                () = &mut shutdown => break,
            }
        }
        drop(listener);
        drop(prompt);
        tracing::info!("shutting down: waiting for in-flight requests");
        let _ = stop_tx.send(true);
        for done in finished {
            // Each worker waits at most the grace period; this is a backstop.
            let _ = tokio::time::timeout(grace + Duration::from_secs(2), done).await;
        }
        if let Some(task) = background {
            task.abort();
        }
        if let Some(exporter) = &shared.exporter {
            let _ = tokio::task::spawn_blocking(move || exporter.shutdown()).await;
        }
        if let Some(f) = shared.store.file() {
            let f = f.clone();
            match tokio::task::spawn_blocking(move || f.flush()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "could not flush the state file"),
                Err(e) => tracing::warn!(error = %e, "could not flush the state file"),
            }
        }
        tracing::info!("stopped");
    }
}

/// A worker thread: serves the connections it is handed until told to stop, then lets its
/// connections finish (up to `grace`).
fn worker(
    shared: &'static Shared,
    mut conns: tokio::sync::mpsc::UnboundedReceiver<(std::net::TcpStream, bool)>,
    mut stop: tokio::sync::watch::Receiver<bool>,
    grace: Duration,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "cannot start a worker runtime");
            return;
        }
    };
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async move {
        let (abort_tx, mut abort_rx) =
            tokio::sync::mpsc::unbounded_channel::<(Rc<tokio::sync::Mutex<Body0>>, Finish)>();
        let client: &'static UpstreamClient = Box::leak(Box::new(crate::client::upstream_client(
            shared.config.gateway.timeouts.connect,
        )));
        let options = ExchangeOptions::default()
            .aws(shared.aws.as_ref())
            .token_counter(Some(plano_tiktoken::counter_for_model));
        let mut http = auto::Builder::new(LocalExec);
        http.http1().timer(hyper_util::rt::TokioTimer::new());
        http.http2().timer(hyper_util::rt::TokioTimer::new());
        let app: &'static App = Box::leak(Box::new(App {
            shared,
            driver: Driver {
                config: shared.config,
                http: client,
                kv: shared.store,
                clock: &SystemClock,
                entropy: &OsEntropy,
                options,
            },
            prompt_driver: Driver {
                config: shared.config,
                http: client,
                kv: shared.store,
                clock: &SystemClock,
                entropy: &OsEntropy,
                options: options.prompt_listener(true),
            },
            http,
            aborts: abort_tx,
        }));
        // Settles streams whose client went away (see `StreamBody`'s `Drop`).
        tokio::task::spawn_local(async move {
            while let Some((body, finish)) = abort_rx.recv().await {
                tokio::task::spawn_local(async move {
                    let record = body.lock().await.abort().await;
                    finish.done(record, true);
                });
            }
        });
        let graceful = GracefulShutdown::new();
        loop {
            tokio::select! {
                conn = conns.recv() => {
                    let Some((std_stream, is_prompt)) = conn else { break };
                    let Ok(stream) = tokio::net::TcpStream::from_std(std_stream) else { continue };
                    let conn = app.http.serve_connection(
                        TokioIo::new(stream),
                        service_fn(move |req| handle(app, req, is_prompt)),
                    );
                    let conn = graceful.watch(conn);
                    tokio::task::spawn_local(async move {
                        if let Err(e) = conn.await {
                            tracing::debug!(error = %e, "connection ended with an error");
                        }
                    });
                }
                changed = stop.changed() => {
                    if changed.is_err() || *stop.borrow() {
                        break;
                    }
                }
            }
        }
        if tokio::time::timeout(grace, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!(
                grace_secs = grace.as_secs(),
                "grace period over; closing remaining connections"
            );
        }
        // Let the settlement of aborted streams run.
        for _ in 0..8 {
            tokio::task::yield_now().await;
        }
    });
}

/// `address:port`, bracketing IPv6 literals.
fn host_port(address: &str, port: u16) -> String {
    if address.contains(':') && !address.starts_with('[') {
        format!("[{address}]:{port}")
    } else {
        format!("{address}:{port}")
    }
}

/// Replaces (or adds) the port of `host[:port]`.
fn with_port(addr: &str, port: u16) -> String {
    let host = match addr.rsplit_once(':') {
        Some((h, p))
            if p.bytes().all(|b| b.is_ascii_digit()) && (!h.contains(':') || h.ends_with(']')) =>
        {
            h
        }
        _ => addr,
    };
    host_port(host, port)
}

/// Flushes the state file every second when it changed, and sweeps expired entries every
/// minute, off the request threads.
async fn file_maintenance(f: crate::file_kv::FileKv) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut n: u64 = 0;
    loop {
        tick.tick().await;
        n += 1;
        let f = f.clone();
        let sweep = n.is_multiple_of(60);
        let done = tokio::task::spawn_blocking(move || {
            if sweep {
                f.sweep()?;
            }
            f.flush()
        })
        .await;
        if let Ok(Err(e)) = done {
            tracing::warn!(error = %e, "state file maintenance failed");
        }
    }
}

/// What observing an exchange needs once its body ends.
pub(crate) struct Finish {
    pub(crate) app: &'static App,
    trace: Option<TraceCtx>,
    /// Health checks are not counted or logged.
    observed: bool,
}

impl Finish {
    pub(crate) fn done(self, record: Option<ExchangeRecord>, aborted: bool) {
        if let Some(record) = record.filter(|_| self.observed) {
            observe::exchange(self.app.shared, &record, self.trace.as_ref(), aborted);
        }
    }
}

async fn handle(
    app: &'static App,
    req: Request<Incoming>,
    prompt: bool,
) -> Result<Response<GatewayBody>, Infallible> {
    if req.uri().path() == "/metrics" && req.method() == Method::GET {
        return Ok(full(
            200,
            metrics::CONTENT_TYPE,
            Bytes::from(app.shared.metrics.render()),
        ));
    }
    if app.shared.config.providers.is_empty()
        && let Some(resp) = no_provider(&req)
    {
        return Ok(resp);
    }
    let start = SystemClock::now();
    let observed = req.uri().path() != "/healthz";
    let (parts, body) = req.into_parts();
    // One byte over the limit tells the core the body is too large (413 in the client's
    // shape); the rest is never read, so the connection cannot carry another request.
    let (body, unread) = read_limited(body, app.shared.body_limit.saturating_add(1)).await;
    let mut headers: Vec<(&str, &str)> = parts
        .headers
        .iter()
        .filter_map(|(n, v)| Some((n.as_str(), std::str::from_utf8(v.as_bytes()).ok()?)))
        .collect();
    let trace = app.shared.exporter.as_ref().and_then(|e| {
        let tp = headers
            .iter()
            .find(|(n, _)| *n == "traceparent")
            .map(|(_, v)| *v);
        e.begin(tp, start)
    });
    if let Some(t) = &trace
        && let Some(tp) = &t.inject
    {
        headers.push(("traceparent", tp.as_str()));
    }
    // The exported span is the parent the upstream sees in `traceparent`: its id is ours.
    let ids = Ids {
        token: OsEntropy.token(),
        span_id: trace
            .as_ref()
            .map_or_else(|| OsEntropy.span_id(), |t| t.span_id),
    };
    let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let request = ClientRequest {
        method: parts.method.as_str(),
        target,
        headers: &headers,
        body: &body,
    };
    let driver = if prompt {
        &app.prompt_driver
    } else {
        &app.driver
    };
    let mut resp = driver.handle_with_ids(&request, ids).await;
    let mut builder = Response::builder().status(resp.status);
    if let Some(h) = builder.headers_mut() {
        for (name, value) in &resp.headers {
            let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) else {
                continue;
            };
            if n == CONTENT_LENGTH || hop_by_hop(&n) {
                continue;
            }
            h.append(n, v);
        }
        if unread {
            // Part of the request body is still on the wire: close the connection after this
            // response rather than read the rest as the next request.
            h.insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
        }
    }
    let finish = Finish {
        app,
        trace,
        observed,
    };
    let body = match resp.body.take_record() {
        // Finished exchanges have their record from the start and a body that is ready.
        Some(record) => match now_or_never(resp.body.next_chunk()) {
            Some(chunk) => {
                finish.done(Some(record), false);
                GatewayBody::Full(chunk.map(Bytes::from))
            }
            None => {
                finish.done(Some(record), false);
                stream(resp.body, None)
            }
        },
        None => stream(resp.body, Some(finish)),
    };
    Ok(builder.body(body).unwrap_or_else(|_| {
        Response::new(GatewayBody::Full(Some(Bytes::from_static(
            b"internal error",
        ))))
    }))
}

/// With no provider configured (zero-config without any key), a model request is answered
/// at once, in the client's API shape, with what to do about it.
fn no_provider(req: &Request<Incoming>) -> Option<Response<GatewayBody>> {
    use hermesllm::ir::{ApiError, ErrorKind};
    use plano_core::route::Route;
    let target = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let route = plano_core::route::classify(req.method().as_str(), target, &[]).ok()?;
    if !matches!(route, Route::Generate(_) | Route::CountTokens) {
        return None;
    }
    let mut error = ApiError::new(
        ErrorKind::Server,
        "no model provider is configured on this gateway: start `plano serve` with a provider API key \
         in the environment (OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY, ...) or with --config",
    );
    error.status = 503;
    let body = hermesllm::translate::encode_error(route.api(), &error);
    Some(full(503, "application/json", Bytes::from(body)))
}

fn hop_by_hop(n: &HeaderName) -> bool {
    matches!(
        n.as_str(),
        "connection"
            | "keep-alive"
            | "transfer-encoding"
            | "upgrade"
            | "proxy-connection"
            | "te"
            | "trailer"
    )
}

/// Reads at most `max` bytes of a request body (a broken body yields what arrived), and
/// whether some of it was left unread.
async fn read_limited(mut body: Incoming, max: usize) -> (Vec<u8>, bool) {
    let hint = usize::try_from(body.size_hint().lower()).unwrap_or(0);
    let mut out = Vec::with_capacity(hint.min(max).min(1 << 20));
    while out.len() < max {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    let room = max - out.len();
                    out.extend_from_slice(data.get(..room).unwrap_or(&data));
                }
            }
            Some(Err(_)) | None => return (out, false),
        }
    }
    (out, !body.is_end_stream())
}
