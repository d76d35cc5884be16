//! Prometheus metrics, recorded from each exchange's record and served as text on
//! `GET /metrics`.
//!
//! A small exposition of our own rather than a metrics crate: one mutex-guarded map of series
//! keyed by (client API, provider, model), looked up with borrowed keys (no allocation once a
//! series exists) and updated with plain integer adds, so recording costs well under a
//! microsecond. Names and buckets come from plano-core's instrument definitions
//! ([`plano_core::telemetry::METRICS`]), with dots turned into underscores and Prometheus
//! suffixes (`_seconds`, `_total`).
//!
//! Series are capped at [`MAX_SERIES`]: past it, new models are counted under
//! `model="_other"` (wildcard providers forward any model name a client sends).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

use plano_core::exchange::ExchangeRecord;
use plano_core::telemetry::MetricSpec;

/// Most (client API, provider, model) series kept.
pub const MAX_SERIES: usize = 5_000;

/// The Prometheus text format's content type.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The labels of one exchange.
#[derive(Debug, Clone, Copy)]
pub struct Labels<'a> {
    /// The client's API (`openai_chat`, `anthropic_messages`, ...).
    pub client_api: &'static str,
    /// The provider prefix (`openai`), `none` when no provider was chosen.
    pub provider: &'a str,
    /// The model sent upstream, else the model the client asked for, else `none`.
    pub model: &'a str,
}

/// The metrics registry.
#[derive(Debug)]
pub struct Metrics {
    inner: Mutex<Inner>,
    duration: &'static [f64],
    ttft: &'static [f64],
    overhead: &'static [f64],
}

type Models = BTreeMap<String, Series>;
type Providers = BTreeMap<String, Models>;

#[derive(Debug, Default)]
struct Inner {
    apis: BTreeMap<&'static str, Providers>,
    series: usize,
    /// Routing decisions by (route, source); routes beyond [`MAX_ROUTES`] count as `_other`
    /// (a request body may bring its own route names).
    routes: BTreeMap<(String, &'static str), u64>,
    /// Router call latency.
    router: Hist,
}

/// Most distinct route labels kept.
const MAX_ROUTES: usize = 200;

#[derive(Debug, Default)]
struct Series {
    requests: Vec<(u16, &'static str, u64)>,
    duration: Hist,
    ttft: Hist,
    overhead: Hist,
    input_tokens: u64,
    output_tokens: u64,
    rate_limited: u64,
    upstream_errors: Vec<(&'static str, u64)>,
}

#[derive(Debug, Default)]
struct Hist {
    /// Per bucket (not cumulative), plus one for `+Inf`.
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Series {
    fn record(&mut self, status: u16, error: &'static str, record: &ExchangeRecord, m: &Metrics) {
        let timing = record.timing;
        match self
            .requests
            .iter_mut()
            .find(|(st, e, _)| *st == status && *e == error)
        {
            Some(slot) => slot.2 += 1,
            None => self.requests.push((status, error, 1)),
        }
        self.duration.observe(m.duration, secs(timing.duration_ms));
        if record.summary.is_some()
            && let Some(t) = timing.time_to_first_token_ms
        {
            self.ttft.observe(m.ttft, secs(t));
        }
        self.overhead.observe(m.overhead, secs(timing.overhead_ms));
        if let Some(u) = &record.usage {
            self.input_tokens = self.input_tokens.saturating_add(u.input_tokens);
            self.output_tokens = self.output_tokens.saturating_add(u.output_tokens);
        }
        if error == "rate_limited" {
            self.rate_limited += 1;
        }
    }
}

impl Hist {
    fn observe(&mut self, buckets: &[f64], v: f64) {
        if self.counts.is_empty() {
            self.counts = vec![0; buckets.len() + 1];
        }
        let i = buckets
            .iter()
            .position(|b| v <= *b)
            .unwrap_or(buckets.len());
        if let Some(c) = self.counts.get_mut(i) {
            *c += 1;
        }
        self.sum += v;
        self.count += 1;
    }
}

fn buckets(name: &str) -> &'static [f64] {
    MetricSpec::named(name).map_or(&[], |m| m.buckets)
}

fn help(name: &str) -> &'static str {
    MetricSpec::named(name).map_or("", |m| m.description)
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

#[allow(clippy::cast_precision_loss)] // ms and token counts far below 2^53
fn secs(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

impl Metrics {
    /// An empty registry.
    pub fn new() -> Self {
        Metrics {
            inner: Mutex::new(Inner::default()),
            duration: buckets("gen_ai.client.operation.duration"),
            ttft: buckets("gen_ai.client.operation.time_to_first_chunk"),
            overhead: buckets("plano.gateway.overhead"),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Every update is a few integer adds: a panic cannot leave a series half-updated in
        // a way that matters for counters.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records one exchange. `attempt_labels` gives the (provider, model) labels of each
    /// failed upstream attempt with its error code.
    pub fn record(
        &self,
        labels: &Labels<'_>,
        record: &ExchangeRecord,
        failed_attempts: &[(&str, &str, &'static str)],
    ) {
        let status = record.status;
        let error = record.error.as_ref().map_or("", |e| e.code());
        let mut inner = self.lock();
        if let Some(d) = &record.routing {
            let route = d.route.as_deref().unwrap_or("");
            let source = d.source.as_str();
            let known = inner.routes.contains_key(&(route.to_owned(), source));
            let route = if known || inner.routes.len() < MAX_ROUTES {
                route
            } else {
                "_other"
            };
            *inner.routes.entry((route.to_owned(), source)).or_default() += 1;
            if let Some(ms) = d.router_ms {
                let buckets = self.duration;
                inner.router.observe(buckets, secs(ms));
            }
        }
        if let Some(s) = inner.series(labels.client_api, labels.provider, labels.model) {
            s.record(status, error, record, self);
        }
        for (provider, model, code) in failed_attempts {
            if let Some(s) = inner.series(labels.client_api, provider, model) {
                match s.upstream_errors.iter_mut().find(|(c, _)| c == code) {
                    Some(slot) => slot.1 += 1,
                    None => s.upstream_errors.push((code, 1)),
                }
            }
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let inner = self.lock();
        let mut out = String::with_capacity(4096);
        let all = || {
            inner.apis.iter().flat_map(|(api, providers)| {
                providers.iter().flat_map(move |(p, models)| {
                    models.iter().map(move |(m, s)| (labels(api, p, m), s))
                })
            })
        };
        header(
            &mut out,
            "plano_requests_total",
            "counter",
            help("plano.requests"),
        );
        for (l, s) in all() {
            for (status, error, n) in &s.requests {
                let _ = writeln!(
                    out,
                    "plano_requests_total{{{l},status=\"{status}\",error_type=\"{error}\"}} {n}"
                );
            }
        }
        type Pick = fn(&Series) -> &Hist;
        let hists: [(&str, &str, &[f64], Pick); 3] = [
            (
                "gen_ai_client_operation_duration_seconds",
                "gen_ai.client.operation.duration",
                self.duration,
                |s| &s.duration,
            ),
            (
                "gen_ai_client_operation_time_to_first_chunk_seconds",
                "gen_ai.client.operation.time_to_first_chunk",
                self.ttft,
                |s| &s.ttft,
            ),
            (
                "plano_gateway_overhead_seconds",
                "plano.gateway.overhead",
                self.overhead,
                |s| &s.overhead,
            ),
        ];
        for (name, spec, buckets, get) in hists {
            header(&mut out, name, "histogram", help(spec));
            for (l, s) in all() {
                histogram(&mut out, name, &l, buckets, get(s));
            }
        }
        header(
            &mut out,
            "plano_tokens_total",
            "counter",
            "Input and output tokens, as the upstream reported them",
        );
        for (l, s) in all() {
            if s.input_tokens > 0 || s.output_tokens > 0 {
                let _ = writeln!(
                    out,
                    "plano_tokens_total{{{l},token_type=\"input\"}} {}",
                    s.input_tokens
                );
                let _ = writeln!(
                    out,
                    "plano_tokens_total{{{l},token_type=\"output\"}} {}",
                    s.output_tokens
                );
            }
        }
        header(
            &mut out,
            "plano_rate_limited_total",
            "counter",
            help("plano.rate_limited"),
        );
        for (l, s) in all() {
            if s.rate_limited > 0 {
                let _ = writeln!(out, "plano_rate_limited_total{{{l}}} {}", s.rate_limited);
            }
        }
        header(
            &mut out,
            "plano_upstream_errors_total",
            "counter",
            help("plano.upstream.errors"),
        );
        for (l, s) in all() {
            for (code, n) in &s.upstream_errors {
                let _ = writeln!(
                    out,
                    "plano_upstream_errors_total{{{l},error_type=\"{code}\"}} {n}"
                );
            }
        }
        header(
            &mut out,
            "plano_routing_decisions_total",
            "counter",
            "Preference-routing decisions by route and how they were reached (router, pinned, no_route, router_failed, not_user_turn)",
        );
        for ((route, source), n) in &inner.routes {
            let _ = writeln!(
                out,
                "plano_routing_decisions_total{{route=\"{}\",source=\"{source}\"}} {n}",
                escape(route)
            );
        }
        if inner.router.count > 0 {
            header(
                &mut out,
                "plano_router_duration_seconds",
                "histogram",
                "Latency of the preference router's call",
            );
            histogram(
                &mut out,
                "plano_router_duration_seconds",
                "",
                self.duration,
                &inner.router,
            );
        }
        out
    }
}

impl Inner {
    /// The series for these labels, created on first use (`None` cannot happen: the entry
    /// is inserted just before).
    fn series(&mut self, api: &'static str, provider: &str, model: &str) -> Option<&mut Series> {
        let full = self.series >= MAX_SERIES;
        let providers = self.apis.entry(api).or_default();
        if !providers.contains_key(provider) {
            providers.insert(provider.to_owned(), Models::new());
        }
        let models = providers.get_mut(provider)?;
        let model = if full && !models.contains_key(model) {
            "_other"
        } else {
            model
        };
        if !models.contains_key(model) {
            models.insert(model.to_owned(), Series::default());
            self.series += 1;
        }
        models.get_mut(model)
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn labels(api: &str, provider: &str, model: &str) -> String {
    format!(
        "client_api=\"{}\",provider=\"{}\",model=\"{}\"",
        escape(api),
        escape(provider),
        escape(model)
    )
}

fn histogram(out: &mut String, name: &str, labels: &str, buckets: &[f64], h: &Hist) {
    if h.count == 0 {
        return;
    }
    // A series without labels has no braces on `_sum` / `_count` and no comma before `le`.
    let (sep, plain) = if labels.is_empty() {
        ("", String::new())
    } else {
        (",", format!("{{{labels}}}"))
    };
    let mut cumulative = 0u64;
    for (i, b) in buckets.iter().enumerate() {
        cumulative += h.counts.get(i).copied().unwrap_or(0);
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {cumulative}");
    }
    let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}", h.count);
    let _ = writeln!(out, "{name}_sum{plain} {}", h.sum);
    let _ = writeln!(out, "{name}_count{plain} {}", h.count);
}

/// Escapes a label value (backslash, quote, newline).
fn escape(v: &str) -> std::borrow::Cow<'_, str> {
    if v.contains(['\\', '"', '\n']) {
        v.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
            .into()
    } else {
        v.into()
    }
}
