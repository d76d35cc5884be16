//! The metric instruments hosts export, as data.

/// The kind of instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Instrument {
    /// A monotonic counter.
    Counter,
    /// A histogram with explicit bucket boundaries.
    Histogram,
}

/// One metric: name, instrument, unit (UCUM), description, label keys and, for histograms,
/// the suggested explicit bucket boundaries (in the metric's unit).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricSpec {
    /// Metric name.
    pub name: &'static str,
    /// Instrument kind.
    pub instrument: Instrument,
    /// Unit (UCUM: `s`, `{token}`, `{request}`).
    pub unit: &'static str,
    /// One-line description.
    pub description: &'static str,
    /// Label keys, taken from the span attributes (see [`MetricSpec::labels`]) plus the
    /// metric's own (`gen_ai.token.type`, `http.response.status_code`).
    pub labels: &'static [&'static str],
    /// Bucket boundaries (empty for counters).
    pub buckets: &'static [f64],
}

impl MetricSpec {
    /// This metric's labels picked from span attributes, in the order of
    /// [`MetricSpec::labels`]. Labels the attributes lack are left out.
    pub fn labels(&self, attributes: &[super::Attribute]) -> Vec<super::Attribute> {
        self.labels
            .iter()
            .filter_map(|k| attributes.iter().find(|(a, _)| a == k).cloned())
            .collect()
    }

    /// Looks a metric up by name.
    pub fn named(name: &str) -> Option<&'static MetricSpec> {
        METRICS.iter().find(|m| m.name == name)
    }
}

const COMMON: &[&str] = &[
    "gen_ai.operation.name",
    "gen_ai.provider.name",
    "gen_ai.request.model",
    "gen_ai.response.model",
    "server.address",
    "server.port",
    "error.type",
];

/// Seconds, as the conventions suggest for `gen_ai.client.operation.duration`.
const DURATION_BUCKETS: &[f64] = &[
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

/// Seconds, as the conventions suggest for time to first token.
const TTFT_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// Tokens, as the conventions suggest for `gen_ai.client.token.usage`.
const TOKEN_BUCKETS: &[f64] = &[
    1.0,
    4.0,
    16.0,
    64.0,
    256.0,
    1024.0,
    4096.0,
    16384.0,
    65536.0,
    262_144.0,
    1_048_576.0,
    4_194_304.0,
    16_777_216.0,
    67_108_864.0,
];

/// Seconds, fine-grained below a millisecond: the gateway's budget is well under 1 ms.
const OVERHEAD_BUCKETS: &[f64] = &[
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
];

/// Every instrument the hosts export.
///
/// - `gen_ai.client.token.usage` is recorded once per token type: `gen_ai.token.type` is
///   `input` or `output` (the conventions' values); hosts may add `cache_read` and
///   `cache_creation` points from the usage attributes.
/// - `gen_ai.client.operation.time_to_first_chunk` is recorded for streaming exchanges only,
///   as the conventions ask ([`Timing::time_to_first_token_ms`](super::Timing)).
/// - `plano.gateway.overhead` is [`Timing::overhead_ms`](super::Timing) in seconds.
/// - `plano.requests` counts every exchange, `http.response.status_code` being the status
///   sent to the client.
pub static METRICS: &[MetricSpec] = &[
    MetricSpec {
        name: "gen_ai.client.operation.duration",
        instrument: Instrument::Histogram,
        unit: "s",
        description: "Duration of the exchange, request head to last response byte",
        labels: COMMON,
        buckets: DURATION_BUCKETS,
    },
    MetricSpec {
        name: "gen_ai.client.token.usage",
        instrument: Instrument::Histogram,
        unit: "{token}",
        description: "Input and output tokens used, as the upstream reported them",
        labels: &[
            "gen_ai.operation.name",
            "gen_ai.provider.name",
            "gen_ai.request.model",
            "gen_ai.response.model",
            "server.address",
            "server.port",
            "gen_ai.token.type",
        ],
        buckets: TOKEN_BUCKETS,
    },
    MetricSpec {
        name: "gen_ai.client.operation.time_to_first_chunk",
        instrument: Instrument::Histogram,
        unit: "s",
        description: "Time from the request head to the first generated token (streams only)",
        labels: COMMON,
        buckets: TTFT_BUCKETS,
    },
    MetricSpec {
        name: "plano.requests",
        instrument: Instrument::Counter,
        unit: "{request}",
        description: "Exchanges handled",
        labels: &[
            "gen_ai.operation.name",
            "gen_ai.provider.name",
            "gen_ai.request.model",
            "error.type",
            "http.response.status_code",
        ],
        buckets: &[],
    },
    MetricSpec {
        name: "plano.rate_limited",
        instrument: Instrument::Counter,
        unit: "{request}",
        description: "Requests refused by a gateway rate limit",
        labels: &["gen_ai.operation.name", "gen_ai.request.model"],
        buckets: &[],
    },
    MetricSpec {
        name: "plano.upstream.errors",
        instrument: Instrument::Counter,
        unit: "{error}",
        description: "Failed upstream attempts, retried or not",
        labels: &[
            "gen_ai.provider.name",
            "gen_ai.request.model",
            "server.address",
            "error.type",
        ],
        buckets: &[],
    },
    MetricSpec {
        name: "plano.gateway.overhead",
        instrument: Instrument::Histogram,
        unit: "s",
        description: "Time the gateway added: duration minus time waiting on upstreams",
        labels: &["gen_ai.operation.name", "gen_ai.provider.name"],
        buckets: OVERHEAD_BUCKETS,
    },
];
