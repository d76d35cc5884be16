//! Raw `gateway` section: this gateway's own settings, which Plano does not have.

use serde_json::Value as Json;

use crate::config::decode::{Decode, DurationText, obj, raw_struct, wrong_type};
use crate::config::diag::Sink;
use crate::config::enums::StateBackend;
use crate::config::yaml::{Node, Value};

raw_struct! {
    /// Settings of this gateway that Plano's format has no place for. Every key is optional.
    pub(crate) struct RawGateway {
        /// Largest request or response body buffered, as bytes (`1048576`) or with a unit
        /// (`10MiB`, `512KB`). Default 10MiB.
        body_limit: RawSize,
        /// Timeouts.
        timeouts: RawTimeouts,
        /// Which state backend each host uses for rate-limit counters and conversation state.
        state: RawHostStates,
    }
}

raw_struct! {
    /// Timeouts, as durations (`500ms`, `30s`, `5m`).
    pub(crate) struct RawTimeouts {
        /// Connecting to an upstream. Default 5s.
        connect: DurationText,
        /// A whole exchange, first request byte to last response byte. Default 300s; a
        /// listener's `timeout` overrides it.
        request: DurationText,
        /// Longest silence on a streaming response. Default 60s.
        idle: DurationText,
    }
}

raw_struct! {
    /// State backend per host.
    pub(crate) struct RawHostStates {
        /// Native server: memory (default) or file.
        native: RawStateTarget,
        /// Cloudflare Workers: workers_kv or durable_object.
        workers: RawStateTarget,
        /// Fermyon Spin: spin_kv.
        spin: RawStateTarget,
        /// AWS Lambda: dynamodb.
        lambda: RawStateTarget,
        /// Envoy proxy-wasm: shared_data.
        envoy: RawStateTarget,
    }
}

raw_struct! {
    /// One host's state backend.
    pub(crate) struct RawStateTarget {
        /// The backend.
        backend: StateBackend = required,
        /// File path (file).
        path: String,
        /// Binding name (workers_kv, durable_object).
        binding: String,
        /// Store label (spin_kv; default `default`).
        store: String,
        /// Table name (dynamodb).
        table: String,
    }
}

/// A size: an integer number of bytes or a string with a unit.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RawSize {
    /// Bytes.
    Bytes(u64),
    /// `10MiB`, parsed during validation.
    Text(String),
}

impl Decode for RawSize {
    fn decode(node: &Node, path: &str, sink: &mut Sink) -> Option<Self> {
        match &node.value {
            Value::Int(_) => u64::decode(node, path, sink).map(RawSize::Bytes),
            Value::Str(s) => Some(RawSize::Text(s.clone())),
            _ => {
                wrong_type(node, path, sink, "a size (`10MiB` or a number of bytes)");
                None
            }
        }
    }

    fn schema() -> Json {
        obj([(
            "oneOf",
            Json::Array(vec![
                u64::schema(),
                obj([
                    ("type", "string".into()),
                    ("pattern", "^[0-9]+ ?([kKmMgG]i?[bB]|[bB])?$".into()),
                ]),
            ]),
        )])
    }
}
