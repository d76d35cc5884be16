//! The exchange thread: where the core runs.
//!
//! lambda_http wants `Send` handler futures and `Send` response bodies (it may move them
//! between threads), while plano-core's exchange is deliberately not `Send` (the Workers
//! host's futures are not). So the function runs two sides:
//!
//! - the Lambda runtime loop on the main thread, whose handler only converts the event and
//!   forwards bytes (`Send` all the way);
//! - one engine thread with a current-thread tokio runtime and a `LocalSet`, where every
//!   exchange runs ([`Driver::handle`]) with the process's client and store, which hands the
//!   response head back over a oneshot channel and the body chunk by chunk over a channel of
//!   [`BODY_QUEUE`] chunks: the runtime's streaming body pulls from it as the client reads,
//!   so a long LLM stream is relayed, never buffered, and a slow client slows the upstream
//!   read.
//!
//! Lambda runs one invocation at a time per environment; the engine is not limited to one
//! (Lambda Managed Instances and the in-process tests run several at once).
//!
//! Before the body channel closes (which ends the invocation's response) the exchange is
//! finalized (rate limit settled, Responses state saved: both by the driver before its last
//! chunk) and its span exported ([`crate::otel`]): nothing is left for a frozen environment.

use bytes::Bytes;
use plano_core::exchange::driver::{ClientRequest, Driver, Entropy as _};
use plano_core::exchange::{ExchangeRecord, Ids};
use tokio::sync::{mpsc, oneshot};

use crate::clock::SystemClock;
use crate::entropy::OsEntropy;
use crate::host::App;
use crate::otel::TraceCtx;

/// Chunks queued between the engine and the response body.
pub const BODY_QUEUE: usize = 4;

/// A client request, owned (it crosses threads).
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Method.
    pub method: String,
    /// Path and query.
    pub target: String,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body (at most the body limit plus one byte).
    pub body: Vec<u8>,
}

/// The response head.
#[derive(Debug, Clone)]
pub struct Head {
    /// HTTP status.
    pub status: u16,
    /// Headers.
    pub headers: Vec<(String, String)>,
}

struct Job {
    request: Request,
    head: oneshot::Sender<Head>,
    body: mpsc::Sender<Bytes>,
}

/// The handle the Lambda handler submits requests through (cheap to clone).
#[derive(Debug, Clone)]
pub struct Engine {
    jobs: mpsc::UnboundedSender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").finish_non_exhaustive()
    }
}

impl Engine {
    /// Starts the engine thread serving `app`.
    ///
    /// # Errors
    /// The thread or its runtime could not be created.
    pub fn start(app: &'static App) -> std::io::Result<Engine> {
        let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("plano-engine".into())
            .spawn(move || {
                let local = tokio::task::LocalSet::new();
                local.block_on(&runtime, async move {
                    while let Some(job) = rx.recv().await {
                        tokio::task::spawn_local(run(app, job));
                    }
                });
            })?;
        Ok(Engine { jobs: tx })
    }

    /// Runs `request`: its response head, and the receiving end of its body (closed at the
    /// body's end). `None` when the engine is gone (it never stops while the process runs).
    pub async fn submit(&self, request: Request) -> Option<(Head, mpsc::Receiver<Bytes>)> {
        let (head_tx, head_rx) = oneshot::channel();
        let (body_tx, body_rx) = mpsc::channel(BODY_QUEUE);
        self.jobs
            .send(Job {
                request,
                head: head_tx,
                body: body_tx,
            })
            .ok()?;
        let head = head_rx.await.ok()?;
        Some((head, body_rx))
    }
}

static CLOCK: SystemClock = SystemClock;
static ENTROPY: OsEntropy = OsEntropy;

async fn run(app: &'static App, job: Job) {
    let Job {
        request,
        head,
        body: chunks,
    } = job;
    let mut headers: Vec<(&str, &str)> = request
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let trace: Option<TraceCtx> = app.exporter.as_ref().and_then(|e| {
        let tp = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("traceparent"))
            .map(|(_, v)| *v);
        e.begin(tp)
    });
    if let Some(tp) = trace.as_ref().and_then(|t| t.inject.as_deref()) {
        headers.push(("traceparent", tp));
    }
    let ids = Ids {
        token: ENTROPY.token(),
        span_id: trace
            .as_ref()
            .map_or_else(|| ENTROPY.span_id(), |t| t.span_id),
    };
    let driver = Driver {
        config: &app.config,
        http: &app.client,
        kv: &app.store,
        clock: &CLOCK,
        entropy: &ENTROPY,
        options: app.options(),
    };
    let client_request = ClientRequest {
        method: &request.method,
        target: &request.target,
        headers: &headers,
        body: &request.body,
    };
    let resp = driver.handle_with_ids(&client_request, ids).await;
    let mut body = resp.body;
    let sent_head = head
        .send(Head {
            status: resp.status,
            headers: resp.headers,
        })
        .is_ok();
    let record = if sent_head {
        loop {
            match body.next_chunk().await {
                Some(chunk) => {
                    if chunks.send(Bytes::from(chunk)).await.is_err() {
                        // The client went away: settle what was used so far.
                        break body.abort().await;
                    }
                }
                None => break body.take_record(),
            }
        }
    } else {
        body.abort().await
    };
    if let Some(record) = record {
        finish(app, trace.as_ref(), &record).await;
    }
    // Dropping `chunks` here ends the response, after the span is exported.
    drop(chunks);
}

async fn finish(app: &App, trace: Option<&TraceCtx>, record: &ExchangeRecord) {
    tracing::info!(
        status = record.status,
        api = record.client_api.as_str(),
        duration_ms = record.timing.duration_ms,
        "exchange"
    );
    if let (Some(exporter), Some(ctx)) = (app.exporter.as_ref(), trace) {
        exporter.export(ctx, record, SystemClock::now()).await;
    }
}
