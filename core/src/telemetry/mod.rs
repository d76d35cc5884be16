//! OpenTelemetry data computed from an exchange, without an OpenTelemetry dependency.
//!
//! The core computes *what* to record; hosts own the SDK and the exporter (the OpenTelemetry
//! crates do not build for `wasm32-unknown-unknown`).
//!
//! - [`span_attributes`]: the GenAI semantic-convention attributes of an exchange's span,
//!   as an ordered list of (key, typed value).
//! - [`custom_attributes`]: the config's static attributes and the request headers its
//!   `header_prefixes` select, as string attributes with owned keys.
//! - [`Timing`]: time to first token, duration and gateway overhead from timestamps.
//! - [`METRICS`]: the instruments hosts export (names, units, labels, buckets) as data, and
//!   [`MetricSpec::labels`] to pick a metric's labels from the span attributes.
//!
//! Names follow the OpenTelemetry GenAI semantic conventions (development status; the
//! `gen_ai.provider.name` generation, with cache usage as `gen_ai.usage.cache_read.input_tokens`
//! and `gen_ai.usage.cache_creation.input_tokens`). The gateway's own instruments are under
//! `plano.`.

mod attributes;
mod custom;
mod metrics;
pub mod otlp_json;
mod timing;
pub mod trace;

pub use attributes::{
    Operation, Outcome, SpanInput, finish_reason, provider_name, span_attributes,
};
pub use custom::custom_attributes;
pub use metrics::{Instrument, METRICS, MetricSpec};
pub use timing::{Timestamps, Timing};

/// A typed attribute value (the OpenTelemetry primitive types the conventions use).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A double.
    Double(f64),
    /// A boolean.
    Bool(bool),
    /// An array of strings.
    StrArray(Vec<String>),
}

/// One span attribute: a semantic-convention key and its value.
pub type Attribute = (&'static str, Value);
