//! Durations of an exchange from timestamps.

/// Timestamps of one exchange, in Unix ms from the host's clock (the same clock for all).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timestamps<'a> {
    /// The request head arrived.
    pub start_ms: u64,
    /// The first generated token reached the gateway (a stream's
    /// [`StreamSummary::first_token_ms`](hermesllm::stream::StreamSummary::first_token_ms);
    /// for a non-streaming response, when its body was complete).
    pub first_token_ms: Option<u64>,
    /// The last response byte was handed to the host.
    pub end_ms: u64,
    /// Each upstream attempt as (request sent, last response byte received or failure).
    pub upstream: &'a [(u64, u64)],
}

/// Durations computed from [`Timestamps`], in ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Start to end.
    pub duration_ms: u64,
    /// Start to first token.
    pub time_to_first_token_ms: Option<u64>,
    /// Time spent waiting on upstreams: the union of the attempts' intervals, so overlapping
    /// attempts are not counted twice.
    pub upstream_ms: u64,
    /// Duration minus upstream time: what the gateway added (parsing, translation, state
    /// store calls, and retry backoff).
    pub overhead_ms: u64,
}

impl Timing {
    /// Computes the durations. Timestamps out of order give zero durations rather than
    /// wrapping, and upstream intervals are clipped to the exchange.
    pub fn of(t: &Timestamps<'_>) -> Timing {
        let duration_ms = t.end_ms.saturating_sub(t.start_ms);
        let mut spans: Vec<(u64, u64)> = t
            .upstream
            .iter()
            .map(|&(a, b)| (a.max(t.start_ms), b.min(t.end_ms)))
            .filter(|(a, b)| a < b)
            .collect();
        spans.sort_unstable();
        let mut upstream_ms = 0u64;
        let mut covered_to = 0u64;
        for (a, b) in spans {
            let a = a.max(covered_to);
            if b > a {
                upstream_ms = upstream_ms.saturating_add(b - a);
                covered_to = b;
            }
        }
        Timing {
            duration_ms,
            time_to_first_token_ms: t.first_token_ms.map(|f| f.saturating_sub(t.start_ms)),
            upstream_ms,
            overhead_ms: duration_ms.saturating_sub(upstream_ms),
        }
    }
}
