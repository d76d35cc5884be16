//! The plano gateway as a native server: `plano serve`, `plano validate` and `plano demo`.
//!
//! [`server::Server`] drives plano-core's exchange driver over hyper: the state store
//! ([`store`]: memory, or a redb file in [`file_kv`]) and the environment ([`env`]) are this
//! crate's; the upstream client ([`client`]), the clock ([`clock`]) and randomness
//! ([`entropy`]) are the tokio hosts' shared `plano-tokio-host`; everything else (routing, translation, credentials, rate limits, state,
//! telemetry data) is the core's. See the README for commands and flags.

pub mod body;
pub mod cli;
pub mod client;
/// The wall clock (shared with the other tokio host).
pub use plano_tokio_host::clock;
#[cfg(feature = "demo")]
pub mod demo;
/// Randomness from the operating system (shared with the Lambda host).
pub use plano_tokio_host::entropy;
pub mod env;
pub mod file_kv;
pub mod logging;
pub mod metrics;
pub mod observe;
pub mod otel;
pub mod server;
pub mod store;
pub mod zero_config;
