//! The plano gateway as a native server: `plano serve`, `plano validate` and `plano demo`.
//!
//! [`server::Server`] drives plano-core's exchange driver over hyper: the upstream client
//! ([`client`]), the state store ([`store`]: memory, or a redb file in [`file_kv`]), the
//! clock ([`clock`]), randomness ([`entropy`]) and the environment ([`env`]) are this
//! crate's; everything else (routing, translation, credentials, rate limits, state,
//! telemetry data) is the core's. See the README for commands and flags.

pub mod body;
pub mod cli;
pub mod client;
pub mod clock;
#[cfg(feature = "demo")]
pub mod demo;
pub mod entropy;
pub mod env;
pub mod file_kv;
pub mod logging;
pub mod metrics;
pub mod observe;
pub mod otel;
pub mod server;
pub mod store;
pub mod zero_config;
