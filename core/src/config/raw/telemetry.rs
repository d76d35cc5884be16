//! Raw tracing and state storage sections.

use serde_json::Value as Json;

use super::routing::tag;
use crate::config::decode::{Decode, Entries, obj, raw_struct};
use crate::config::diag::{Sink, Spanned};
use crate::config::enums::StateStorageKind;
use crate::config::yaml::Node;

raw_struct! {
    /// OpenTelemetry tracing.
    pub(crate) struct RawTracing {
        /// Percentage of requests traced (0 to 100).
        random_sampling: u32,
        /// Legacy: fraction of requests traced (0 to 1).
        sampling_rate: f64,
        /// Include the gateway's internal spans.
        trace_arch_internal: bool,
        /// OTLP/gRPC collector, `http://host:port` without a path.
        opentracing_grpc_endpoint: String,
        /// Extra span attributes.
        span_attributes: RawSpanAttributes,
        /// Extra export destinations.
        exporters: Vec<RawExporter>,
    }
}

raw_struct! {
    /// Extra span attributes.
    pub(crate) struct RawSpanAttributes {
        /// Request headers with these prefixes become attributes.
        header_prefixes: Vec<Spanned<String>>,
        /// Fixed attributes on every span.
        fixed as "static": Entries<String>,
    }
}

/// A tracing exporter, tagged by `type`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RawExporter {
    /// `type: posthog`.
    Posthog(RawPosthogExporter),
}

impl Decode for RawExporter {
    fn decode(node: &Node, path: &str, sink: &mut Sink) -> Option<Self> {
        tag(node, path, sink, &["posthog"])?;
        RawPosthogExporter::decode(node, path, sink).map(RawExporter::Posthog)
    }

    fn schema() -> Json {
        obj([("oneOf", Json::Array(vec![RawPosthogExporter::schema()]))])
    }
}

raw_struct! {
    /// PostHog AI observability.
    pub(crate) struct RawPosthogExporter {
        /// `posthog`.
        kind as "type": String = required,
        /// PostHog host.
        url: String = required,
        /// Project API key; may use `$VAR` references.
        api_key: String = required,
        /// Header used as the distinct id.
        distinct_id_header: String,
        /// Include the user message preview.
        capture_messages: bool,
    }
}

raw_struct! {
    /// Plano's conversation state storage.
    pub(crate) struct RawStateStorage {
        /// memory or postgres.
        kind as "type": StateStorageKind = required,
        /// Postgres connection string; may use `$VAR` references.
        connection_string: String,
    }
}
