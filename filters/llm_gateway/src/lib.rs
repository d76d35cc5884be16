//! `llm_gateway`: the plano gateway as an Envoy proxy-wasm filter (wasm32-wasip1).
//!
//! The filter drives `plano-core`'s [`Exchange`](plano_core::exchange::Exchange) phases from
//! proxy-wasm callbacks: the request phase answers locally or builds the upstream request,
//! which the filter sends with `dispatch_http_call` to the provider's cluster; the answer
//! goes through the exchange (translation, retries, fallback, errors in the client's shape)
//! and back to the client as the filter's reply. See the README for what that costs.
//!
//! Modules without proxy-wasm calls build natively and carry the unit tests; the host glue
//! (`filter/`: root, http, host, metrics) is `cfg(target_arch = "wasm32")`.

pub mod envoy_config;
pub mod otlp;
pub mod store;
pub mod upstream;

#[cfg(target_arch = "wasm32")]
mod filter;
