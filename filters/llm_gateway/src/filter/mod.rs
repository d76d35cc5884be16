//! The proxy-wasm glue (wasm32 only): the root context ([`root`]), one HTTP context per
//! request ([`http`]), the host's shared data, clock and randomness ([`host`]) and Envoy
//! stats ([`metrics`]).

mod host;
mod http;
mod metrics;
mod root;
mod routed;

use proxy_wasm::types::LogLevel;

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn proxy_wasm::traits::RootContext> {
        Box::new(root::Root::new())
    });
}}
