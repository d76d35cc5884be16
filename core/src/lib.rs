//! # plano-core
//!
//! The gateway as a sans-IO library, shared by every host (native server, Cloudflare
//! Workers, Fermyon Spin, AWS Lambda, Envoy). No sockets, clocks, environment or randomness:
//! hosts pass those in. Builds for native targets, `wasm32-unknown-unknown`,
//! `wasm32-wasip1` and `wasm32-wasip2`.
//!
//! - [`config`]: Plano's `plano_config.yaml`, loaded unchanged and validated into a typed
//!   [`config::Config`] with every problem reported by path and position.
//! - [`error`]: the one error type of an exchange ([`error::ExchangeError`]): who is at
//!   fault, whether to retry, and its HTTP response in the client's API shape.
//! - [`exchange`]: one request's lifecycle as a sans-IO state machine (request phase,
//!   upstream attempts with retries and fallback, response translation, settlement, record),
//!   and an async driver over a host HTTP client.
//! - [`kv`]: the key-value seam hosts implement, with declared capabilities, and an
//!   in-memory store.
//! - [`state`]: OpenAI Responses conversation state (`previous_response_id`, `GET`/`DELETE`
//!   `/v1/responses/{id}`) for upstreams that keep none.
//! - [`retry`]: pure retry and fallback decisions (backoff with caller-supplied jitter,
//!   `retry-after`).
//! - [`telemetry`]: OpenTelemetry GenAI span attributes, timings and metric definitions as
//!   data (hosts export).
//! - [`time`]: time as an input ([`time::Clock`]).
//! - [`route`]: the client side: which API and endpoint a request is, which provider serves
//!   its model, the `/v1/models` listings.
//! - [`upstream`]: the upstream request for a resolved provider: URL, credentials (SigV4
//!   included), headers and translated body.
//! - [`ratelimit`]: Plano's token rate limits over any [`kv::Kv`] store (reserve, settle,
//!   release; 429 data). [`tokens`]: token counting and request estimates.

#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod config;
pub mod error;
pub mod exchange;
pub mod filters;
pub mod guard;
pub mod kv;
#[cfg(feature = "prompt-targets")]
pub mod prompts;
pub mod ratelimit;
pub mod retry;
pub mod route;
pub mod routing;
pub mod state;
pub mod telemetry;
pub mod time;
pub mod tokens;
pub mod upstream;
