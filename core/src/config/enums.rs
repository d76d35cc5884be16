//! The closed sets of names the config accepts (`type: model`, `unit: minute`, ...).

use serde_json::Value as Json;

use super::decode::{Decode, closest, string_enum, wrong_type};
use super::diag::{Code, Sink};
use super::yaml::{Node, Value};

/// Defines a public enum spelled in YAML as fixed strings, with its decoder (an unknown name
/// is an error with a suggestion) and its schema.
macro_rules! yaml_enum {
    (
        $(#[doc = $doc:literal])*
        $name:ident, $what:literal {
            $( $(#[doc = $vdoc:literal])* $variant:ident = $text:literal $(| $old:literal)*, )*
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[doc = $vdoc])* $variant, )*
        }

        impl $name {
            /// The YAML spellings, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($text),*];

            /// The YAML spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )*
                }
            }

            /// Parses the YAML spelling (exact match), including deprecated spellings.
            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $( $text $(| $old)* => Some($name::$variant), )*
                    _ => None,
                }
            }

            /// Deprecated spellings and the current one.
            const OLD: &'static [(&'static str, &'static str)] = &[$($(($old, $text),)*)*];
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Decode for $name {
            fn decode(node: &Node, path: &str, sink: &mut Sink) -> Option<Self> {
                if let Value::Str(s) = &node.value
                    && let Some((old, new)) = Self::OLD.iter().find(|(old, _)| old == s)
                {
                    sink.warn(
                        Code::Deprecated,
                        path,
                        node.pos,
                        format!("`{old}` is deprecated; use `{new}`"),
                    );
                    return $name::parse(s);
                }
                decode_name(node, path, sink, $what, Self::NAMES).and_then(|s| $name::parse(&s))
            }

            fn schema() -> Json {
                string_enum(Self::NAMES)
            }
        }
    };
}

/// Reads a string that must be one of `names`; reports an unknown one with a suggestion.
pub(crate) fn decode_name(
    node: &Node,
    path: &str,
    sink: &mut Sink,
    what: &str,
    names: &[&str],
) -> Option<String> {
    let Value::Str(s) = &node.value else {
        wrong_type(node, path, sink, "a string");
        return None;
    };
    if names.contains(&s.as_str()) {
        return Some(s.clone());
    }
    let hint = match closest(s, names) {
        Some(c) => format!("did you mean `{c}`?"),
        None => format!("expected one of: {}", names.join(", ")),
    };
    sink.error(
        Code::InvalidValue,
        path,
        node.pos,
        format!("unknown {what} `{s}`; {hint}"),
    );
    None
}

yaml_enum! {
    /// What a listener serves.
    ListenerKind, "listener type" {
        /// LLM traffic: clients call models through the gateway.
        Model = "model",
        /// Prompt targets (function calling); not acted on yet.
        Prompt = "prompt",
        /// Agent orchestration; not acted on yet.
        Agent = "agent",
    }
}

yaml_enum! {
    /// The window a token rate limit counts over.
    TimeUnit, "rate-limit unit" {
        /// One second.
        Second = "second",
        /// One minute.
        Minute = "minute",
        /// One hour.
        Hour = "hour",
        /// One day.
        Day = "day",
    }
}

impl TimeUnit {
    /// The window length in seconds.
    pub fn seconds(self) -> u64 {
        match self {
            TimeUnit::Second => 1,
            TimeUnit::Minute => 60,
            TimeUnit::Hour => 3_600,
            TimeUnit::Day => 86_400,
        }
    }
}

yaml_enum! {
    /// A URL scheme for an endpoint.
    Protocol, "protocol" {
        /// Plain HTTP.
        Http = "http",
        /// HTTP over TLS.
        Https = "https",
    }
}

yaml_enum! {
    /// An HTTP method for a prompt target endpoint.
    HttpMethod, "HTTP method" {
        /// GET.
        Get = "GET",
        /// POST.
        Post = "POST",
    }
}

yaml_enum! {
    /// Plano's `state_storage.type`.
    StateStorageKind, "state storage type" {
        /// In-process memory.
        Memory = "memory",
        /// PostgreSQL (not supported by this gateway; use `gateway.state`).
        Postgres = "postgres",
    }
}

yaml_enum! {
    /// Plano's legacy gateway `mode`.
    Mode, "mode" {
        /// LLM gateway.
        Llm = "llm",
        /// Prompt gateway.
        Prompt = "prompt",
    }
}

yaml_enum! {
    /// Legacy listener `message_format`.
    MessageFormat, "message format" {
        /// OpenAI Chat Completions.
        Openai = "openai",
    }
}

yaml_enum! {
    /// `routing_preferences[].selection_policy.prefer`.
    Prefer, "selection preference" {
        /// Cheapest first (needs a cost metrics source).
        Cheapest = "cheapest",
        /// Fastest first (needs a latency metrics source).
        Fastest = "fastest",
        /// Declaration order.
        None = "none",
    }
}

yaml_enum! {
    /// `routing.session_cache.type`.
    SessionCacheKind, "session cache type" {
        /// In-process.
        Memory = "memory",
        /// Redis.
        Redis = "redis",
    }
}

yaml_enum! {
    /// `filters[].type`.
    FilterKind, "filter type" {
        /// An MCP tool.
        Mcp = "mcp",
        /// A plain HTTP service (formerly `rest`).
        Http = "http" | "rest",
    }
}

yaml_enum! {
    /// `filters[].transport`.
    FilterTransport, "filter transport" {
        /// MCP streamable HTTP.
        StreamableHttp = "streamable-http",
    }
}

yaml_enum! {
    /// `listeners[].router`.
    RouterKind, "router" {
        /// Plano's orchestrator model (formerly `arch_agent_router`).
        PlanoOrchestratorV1 = "plano_orchestrator_v1" | "arch_agent_router",
    }
}

yaml_enum! {
    /// `model_metrics_sources[]` cost catalogs.
    CostProvider, "cost provider" {
        /// DigitalOcean GenAI catalog.
        Digitalocean = "digitalocean",
        /// models.dev.
        ModelsDev = "models.dev",
        /// Prices listed in the config (`prices`).
        Static = "static",
    }
}

yaml_enum! {
    /// `model_metrics_sources[].auth.type`.
    AuthKind, "auth type" {
        /// `Authorization: Bearer <token>`.
        Bearer = "bearer",
    }
}

yaml_enum! {
    /// `model_metrics_sources[]` latency sources.
    LatencyProvider, "latency provider" {
        /// Prometheus.
        Prometheus = "prometheus",
        /// Latencies listed in the config (`latencies`).
        Static = "static",
    }
}

yaml_enum! {
    /// Where a host keeps rate-limit counters and conversation state (`gateway.state`).
    StateBackend, "state backend" {
        /// In-process memory (native; lost on restart).
        Memory = "memory",
        /// An embedded file (native).
        File = "file",
        /// Cloudflare Workers KV (eventually consistent).
        WorkersKv = "workers_kv",
        /// Cloudflare Durable Objects (strongly consistent counters).
        DurableObject = "durable_object",
        /// The Spin key-value store.
        SpinKv = "spin_kv",
        /// Amazon DynamoDB (Lambda).
        Dynamodb = "dynamodb",
        /// proxy-wasm shared data (Envoy).
        SharedData = "shared_data",
    }
}
