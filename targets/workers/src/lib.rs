//! The plano gateway as a Cloudflare Worker: a workers-rs fetch handler driving plano-core's
//! exchange driver on wasm32-unknown-unknown.
//!
//! The host's pieces (everything else is the core's):
//! - `http`: upstream calls with the Workers fetch API, deadlines raced against timers, the
//!   upstream body pulled as a stream chunk by chunk;
//! - `store`: Workers KV for conversation state, a Durable Object per counter key for exact
//!   rate limits ([`frame`] is the object's value format), or everything in Durable Objects;
//! - `host`: the config (the `PLANO_CONFIG` variable or secret, loaded once per isolate),
//!   secrets (`$VAR` references resolve to Worker secrets and variables), AWS credentials;
//! - `clock`, `entropy`: `Date.now()` and `crypto.getRandomValues`;
//! - [`otlp`]: the exchange's span as OTLP/HTTP JSON, posted in `ctx.wait_until`;
//! - `handler`: the fetch event; a streamed response is a `ReadableStream` fed one
//!   transcoded upstream chunk at a time.
//!
//! Everything touching the Workers runtime is compiled for `wasm32` only; the native build
//! of this crate is [`frame`] and [`otlp`] with their tests (what `cargo test --workspace`
//! runs).

pub mod frame;
pub mod otlp;

#[cfg(target_arch = "wasm32")]
mod clock;
#[cfg(target_arch = "wasm32")]
mod counters;
#[cfg(target_arch = "wasm32")]
mod entropy;
#[cfg(target_arch = "wasm32")]
mod handler;
#[cfg(target_arch = "wasm32")]
mod host;
#[cfg(target_arch = "wasm32")]
mod http;
#[cfg(target_arch = "wasm32")]
mod store;
