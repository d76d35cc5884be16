//! Raw listeners (list form and the legacy object form), agents and filters.

use serde_json::Value as Json;

use crate::config::decode::{Decode, DurationText, obj, raw_struct, wrong_type};
use crate::config::diag::{Sink, Spanned};
use crate::config::enums::{FilterKind, FilterTransport, ListenerKind, MessageFormat, RouterKind};
use crate::config::yaml::{Node, Value};

/// `listeners`: a list (v0.2 and later) or the legacy object.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RawListeners {
    /// The list form.
    List(Vec<Spanned<RawListener>>),
    /// The legacy `ingress_traffic` / `egress_traffic` object.
    Legacy(Box<RawLegacyListeners>),
}

impl Decode for RawListeners {
    fn decode(node: &Node, path: &str, sink: &mut Sink) -> Option<Self> {
        match node.value {
            Value::Seq(_) => Vec::decode(node, path, sink).map(RawListeners::List),
            Value::Map(_) => RawLegacyListeners::decode(node, path, sink)
                .map(|l| RawListeners::Legacy(Box::new(l))),
            _ => {
                wrong_type(node, path, sink, "a list of listeners");
                None
            }
        }
    }

    fn schema() -> Json {
        obj([(
            "oneOf",
            Json::Array(vec![
                Vec::<RawListener>::schema(),
                RawLegacyListeners::schema(),
            ]),
        )])
    }
}

raw_struct! {
    /// A listener.
    pub(crate) struct RawListener {
        /// Unique listener name.
        name: String = required,
        /// What the listener serves: model, prompt or agent.
        kind as "type": ListenerKind = required,
        /// TCP port (native host).
        port: u16,
        /// Bind address (native host).
        address: String,
        /// Request timeout, e.g. `30s`.
        timeout: DurationText,
        /// Agent router.
        router: RouterKind,
        /// Retries on upstream failure.
        max_retries: u32,
        /// Agents an agent listener routes to.
        agents: Vec<RawListenerAgent>,
        /// Filter ids applied to requests.
        input_filters: Vec<Spanned<String>>,
        /// Filter ids applied to responses.
        output_filters: Vec<Spanned<String>>,
    }
}

raw_struct! {
    /// An agent reference in an agent listener.
    pub(crate) struct RawListenerAgent {
        /// An id from `agents`.
        id: String = required,
        /// What the agent does (the orchestrator reads it).
        description: String,
        /// The agent used when none matches.
        default: bool,
        /// Filter ids applied before the agent.
        input_filters: Vec<Spanned<String>>,
        /// Deprecated (v0.4 until March 2026) name of `input_filters`.
        filter_chain: Vec<Spanned<String>>,
    }
}

raw_struct! {
    /// Deprecated listener object form.
    pub(crate) struct RawLegacyListeners {
        /// The prompt gateway listener.
        ingress_traffic: RawLegacyListener,
        /// The LLM gateway listener.
        egress_traffic: RawLegacyListener,
    }
}

raw_struct! {
    /// A legacy listener.
    pub(crate) struct RawLegacyListener {
        /// Bind address.
        address: String,
        /// TCP port.
        port: u16,
        /// Request format (only `openai`).
        message_format: MessageFormat,
        /// Request timeout, e.g. `30s`.
        timeout: DurationText,
    }
}

raw_struct! {
    /// The listener of configs from before v0.1 (`listener:`), a prompt listener.
    pub(crate) struct RawOldListener {
        /// Bind address.
        address: String,
        /// TCP port.
        port: u16,
        /// Request format (free-form then, like `huggingface`).
        message_format: String,
        /// Connect timeout.
        connect_timeout: DurationText,
        /// Request timeout.
        timeout: DurationText,
    }
}

raw_struct! {
    /// An HTTP agent.
    pub(crate) struct RawAgent {
        /// Unique id (shared with `filters`).
        id: String = required,
        /// Agent URL.
        url: String = required,
    }
}

raw_struct! {
    /// A filter applied to requests or responses.
    pub(crate) struct RawFilter {
        /// Unique id (shared with `agents`).
        id: String = required,
        /// Filter URL.
        url: String = required,
        /// mcp (default) or http.
        kind as "type": FilterKind,
        /// MCP transport (streamable-http).
        transport: FilterTransport,
        /// MCP tool name (default: the id).
        tool: String,
    }
}
