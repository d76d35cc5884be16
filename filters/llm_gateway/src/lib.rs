//! `llm_gateway`: the plano gateway as an Envoy proxy-wasm filter (wasm32-wasip1).
//!
//! The filter drives `plano-core`'s [`Exchange`](plano_core::exchange::Exchange) phases from
//! proxy-wasm callbacks: the request phase rewrites the client's request in place (path,
//! headers, credentials, translated body) and names the provider's cluster in
//! [`upstream::CLUSTER_HEADER`], which the route reads; Envoy forwards it (with its own
//! retries on the same cluster); the response phase translates the answer, streams chunk by
//! chunk. See the README for what Envoy does and what the filter does.
//!
//! Modules without proxy-wasm calls build natively and carry the unit tests; the host glue
//! ([`filter`]) is `cfg(target_arch = "wasm32")`.

pub mod envoy_config;
pub mod otlp;
pub mod store;
pub mod upstream;

#[cfg(target_arch = "wasm32")]
mod filter;
