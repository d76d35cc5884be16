//! The proxy-wasm glue (wasm32 only): the root context ([`root`]), one HTTP context per
//! request ([`http`]), the host's shared data, clock and randomness ([`host`]) and Envoy
//! stats ([`metrics`]).

mod host;
mod http;
mod metrics;
mod root;
mod routed;

use proxy_wasm::traits::RootContext;
use proxy_wasm::types::LogLevel;

use crate::Listener;

/// Starts the filter for `listener` (call it from `proxy_wasm::main!`): the log level and the
/// root context, whose exchanges serve that listener.
pub fn start(listener: Listener) {
    proxy_wasm::set_log_level(LogLevel::Info);
    // proxy-wasm takes a plain function: one per listener.
    let new: fn(u32) -> Box<dyn RootContext> = match listener {
        Listener::Model => |_| Box::new(root::Root::new(Listener::Model)),
        Listener::Prompt => |_| Box::new(root::Root::new(Listener::Prompt)),
    };
    proxy_wasm::set_root_context(new);
}

#[cfg(feature = "entry")]
proxy_wasm::main! {{
    start(Listener::Model);
}}
