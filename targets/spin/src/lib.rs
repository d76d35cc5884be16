//! The plano gateway as a Fermyon Spin HTTP component: a spin-sdk `wasi:http` handler on
//! wasm32-wasip2 driving plano-core's exchange driver, the same core as the native server.
//!
//! The host's pieces (everything else is the core's):
//! - `handler`: the incoming request; the response is streamed to the client one transcoded
//!   upstream chunk at a time, then the trace is exported and state swept;
//! - `http`: upstream calls with Spin's outbound HTTP, deadlines raced against
//!   `wasi:clocks` timers (`timer`);
//! - `store`: the Spin key-value store, values framed with their expiry ([`frame`]);
//! - `host`: the config (the `plano_config` Spin variable), secrets (`$VAR` references resolve
//!   to Spin variables), AWS credentials; built per request: a Spin instance serves few
//!   requests and keeps nothing between them;
//! - `sys`: wall clock and randomness from WASI;
//! - [`otlp`]: the exchange's span as OTLP/HTTP JSON;
//! - [`manifest`]: `spin.toml` from a plano config (the `plano-spin-manifest` binary);
//! - [`url`]: an upstream URL split into the parts of a `wasi:http` request.
//!
//! Everything touching Spin is compiled for `wasm32` only; the native build of this crate is
//! [`frame`], [`otlp`], [`manifest`] and [`url`] with their tests.

pub mod frame;
pub mod manifest;
pub mod otlp;
pub mod url;

// spin-sdk's `#[http_component]` expands to the component's export glue (`export_name`,
// `unsafe` ABI functions): generated code, the only unsafe in the crate.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod handler;
#[cfg(target_arch = "wasm32")]
mod host;
#[cfg(target_arch = "wasm32")]
mod http;
#[cfg(target_arch = "wasm32")]
mod store;
#[cfg(target_arch = "wasm32")]
mod sys;
#[cfg(target_arch = "wasm32")]
mod timer;
