//! # plano-core
//!
//! The gateway as a sans-IO library, shared by every host (native server, Cloudflare
//! Workers, Fermyon Spin, AWS Lambda, Envoy). No sockets, clocks, environment or randomness:
//! hosts pass those in. Builds for native targets, `wasm32-unknown-unknown`,
//! `wasm32-wasip1` and `wasm32-wasip2`.
//!
//! - [`config`]: Plano's `plano_config.yaml`, loaded unchanged and validated into a typed
//!   [`config::Config`] with every problem reported by path and position.
//! - [`kv`]: the key-value seam hosts implement, with declared capabilities, and an
//!   in-memory store.
//! - [`time`]: time as an input ([`time::Clock`]).
//! - [`ratelimit`]: Plano's token rate limits over any [`kv::Kv`] store (reserve, settle,
//!   release; 429 data). [`tokens`]: token counting and request estimates.

#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod config;
pub mod kv;
pub mod ratelimit;
pub mod time;
pub mod tokens;
