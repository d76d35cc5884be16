//! The scenarios, as data, and the checks they share.

mod errors;
mod faults;
mod generate;
mod llm_routing;
mod local;
mod prompt;
mod ratelimit;
mod resilience;
mod routing;
mod state;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::api::{Answer, Api, End, Req, Streamed, Usage};
use crate::http::{Ctx, Resp};
use crate::report::{Outcome, ScenarioResult};

/// Something a host may declare it cannot do ([`crate::Target::lacks`]); scenarios that
/// need it are then skipped, with the reason in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Capability {
    /// OpenAI Responses conversation state (`previous_response_id`, `GET`/`DELETE
    /// /v1/responses/{id}`) for upstreams that keep none.
    ResponsesState,
    /// Token rate limits with exact counters (an eventually consistent store admits on
    /// stale counts).
    RateLimits,
    /// The config's request and idle timeouts enforced by the host.
    Timeouts,
    /// `gateway.body_limit` enforced with a 413.
    BodyLimit,
    /// Preference-based routing: the router call before the request, and session pins.
    PreferenceRouting,
    /// Plano's prompt listener (prompt targets, guards, input filters), served by a second
    /// gateway with `prompt.yaml` ([`crate::Target::prompt`]).
    PromptListener,
    /// A stream broken after its first bytes reached the client (upstream reset, silence
    /// past the idle timeout) ending with the client API's error event. A host relaying the
    /// stream through a proxy that can only reset the client's stream then (Envoy's router)
    /// lacks it: its client sees the break as a cut connection.
    MidStreamErrors,
}

impl Capability {
    /// Every capability.
    pub const ALL: [Capability; 7] = [
        Capability::ResponsesState,
        Capability::RateLimits,
        Capability::Timeouts,
        Capability::BodyLimit,
        Capability::PreferenceRouting,
        Capability::PromptListener,
        Capability::MidStreamErrors,
    ];

    /// Its name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Capability::ResponsesState => "responses-state",
            Capability::RateLimits => "rate-limits",
            Capability::Timeouts => "timeouts",
            Capability::BodyLimit => "body-limit",
            Capability::PreferenceRouting => "preference-routing",
            Capability::PromptListener => "prompt-listener",
            Capability::MidStreamErrors => "mid-stream-errors",
        }
    }

    /// The capability named `name`.
    pub fn parse(name: &str) -> Option<Capability> {
        Capability::ALL.into_iter().find(|c| c.name() == name)
    }
}

type ScenarioFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;
type Runner = Arc<dyn Fn(Arc<Ctx>) -> ScenarioFuture + Send + Sync>;

/// One scenario: an id, what it checks, what it needs from the host, and the function that
/// runs it (`Err` carries the expected and actual values).
#[derive(Clone)]
pub struct Scenario {
    /// Stable id, `area/detail` (`text/chat/anthropic`).
    pub id: String,
    /// What it checks, one sentence.
    pub description: String,
    /// What it needs from the host.
    pub needs: Vec<Capability>,
    pub(crate) run: Runner,
}

impl fmt::Debug for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scenario")
            .field("id", &self.id)
            .field("description", &self.description)
            .field("needs", &self.needs)
            .finish_non_exhaustive()
    }
}

impl Scenario {
    pub(crate) fn result(&self, outcome: Outcome, millis: u64) -> ScenarioResult {
        ScenarioResult {
            id: self.id.clone(),
            description: self.description.clone(),
            outcome,
            millis,
        }
    }
}

/// Every scenario, in the suite's order.
pub(crate) fn all() -> Vec<Scenario> {
    let mut out = Vec::new();
    local::register(&mut out);
    routing::register(&mut out);
    generate::register(&mut out);
    errors::register(&mut out);
    resilience::register(&mut out);
    faults::register(&mut out);
    ratelimit::register(&mut out);
    state::register(&mut out);
    llm_routing::register(&mut out);
    prompt::register(&mut out);
    out
}

/// Adds a scenario.
pub(crate) fn push<F, Fut>(
    out: &mut Vec<Scenario>,
    id: impl Into<String>,
    description: impl Into<String>,
    needs: &[Capability],
    f: F,
) where
    F: Fn(Arc<Ctx>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    out.push(Scenario {
        id: id.into(),
        description: description.into(),
        needs: needs.to_vec(),
        run: Arc::new(move |ctx| Box::pin(f(ctx))),
    });
}

/// Sends `req` in `client`'s API, tagged `tag`, with extra headers.
pub(crate) async fn send(
    ctx: &Ctx,
    client: Api,
    req: &Req,
    tag: &str,
    headers: &[(&str, &str)],
) -> Result<Resp, String> {
    let built = client.build(req);
    ctx.post(&built.path, &built.body, tag)
        .headers(client.client_headers())
        .headers(headers)
        .send()
        .await
}

/// `Err(msg())` unless `cond`.
pub(crate) fn ensure(cond: bool, msg: impl FnOnce() -> String) -> Result<(), String> {
    if cond { Ok(()) } else { Err(msg()) }
}

/// The answer has text.
pub(crate) fn expect_text(a: &Answer) -> Result<(), String> {
    ensure(!a.text.trim().is_empty(), || {
        format!("expected text content, got none: {a:?}")
    })
}

/// The finish reason is `want`.
pub(crate) fn expect_finish(client: Api, a: &Answer, want: &str) -> Result<(), String> {
    ensure(a.finish.as_deref() == Some(want), || {
        format!(
            "expected the {} finish reason {want:?}, got {:?}",
            client.name(),
            a.finish
        )
    })
}

/// The answer reports usage with input and output tokens.
pub(crate) fn expect_usage(a: &Answer) -> Result<Usage, String> {
    let u = a
        .usage
        .ok_or_else(|| "expected usage, got none".to_owned())?;
    ensure(u.input > 0 && u.output > 0, || {
        format!("expected non-zero input and output tokens, got {u:?}")
    })?;
    Ok(u)
}

/// The stream ended with its terminal event.
pub(crate) fn expect_complete(client: Api, s: &Streamed, resp: &Resp) -> Result<(), String> {
    ensure(s.end == End::Complete, || {
        format!(
            "expected the {} stream to end with its terminal event, it ended {:?} after {} events",
            client.name(),
            s.end,
            s.events
        )
    })?;
    resp.expect_complete()
}

/// The stream ended with its error event (well-formed, then a clean end of the body).
pub(crate) fn expect_error_end(client: Api, s: &Streamed, resp: &Resp) -> Result<(), String> {
    match &s.end {
        End::Error(_) => resp
            .expect_complete()
            .map_err(|e| format!("the stream ended with its error event, but then {e}")),
        other => Err(format!(
            "expected the {} stream to end with its error event, it ended {other:?} after {} events",
            client.name(),
            s.events
        )),
    }
}

/// The number of requests the upstream received is `n`.
pub(crate) async fn expect_upstream_count(ctx: &Ctx, tag: &str, n: usize) -> Result<(), String> {
    let got = ctx.upstream(tag).await?;
    ensure(got.len() == n, || {
        format!(
            "expected the upstream to receive {n} request(s), it received {}: {}",
            got.len(),
            crate::http::paths(&got)
        )
    })
}
