//! An attempt through Envoy's router: the held client request rewritten into the upstream
//! request, and the upstream response head replaced by the client's.
//!
//! The plugin runs with `allow_on_headers_stop_iteration` (Envoy >= 1.35): pausing
//! `on_http_request_headers` holds the head while the body callbacks still run, and the head
//! stays writable until the filter lets it go. Envoy clears the route cache when a filter
//! changes request headers, so the route matching [`CLUSTER_HEADER`] (written by the
//! generator, `cluster_header` routing) is selected again with the provider's cluster; the
//! route removes that header before the upstream sees it.
//!
//! Headers are changed one by one (`set`/`remove`): replacing the whole map at once
//! (`proxy_set_header_map_pairs`) leaves Envoy's route match failing in Envoy 1.40.

use plano_core::upstream::UpstreamRequest;
use proxy_wasm::hostcalls;

use proxy_wasm::types::{BufferType, MapType};

use super::host::read_map;
use crate::upstream::{CLUSTER_HEADER, Target};

/// Rewrites the held request head and body (`body_size` bytes buffered by Envoy) into `req`
/// for `target`'s cluster: the client's headers the upstream request does not carry are
/// removed (its credentials among them), every header of `req` is set, and the body replaced.
pub fn rewrite_request(
    req: &UpstreamRequest,
    target: &Target,
    body_size: usize,
) -> Result<(), String> {
    let map = MapType::HttpRequestHeaders;
    let keep = |name: &str| {
        req.headers.iter().any(|h| h.name == name)
            || matches!(name, "content-length" | "transfer-encoding")
    };
    for (name, _) in read_map(map) {
        if !name.starts_with(':') && !keep(&name) && !envoys(&name) {
            set(map, &name, None)?;
        }
    }
    // `:method` and `:scheme` stay the client's: rewriting either makes Envoy 1.40's route
    // match fail (no route at all), the router derives the upstream scheme from the
    // cluster's transport, and a request whose method differs goes with
    // dispatch_http_call instead (never for LLM calls: both are POST).
    if read_map(map)
        .iter()
        .any(|(n, v)| n == ":method" && v != req.method)
    {
        return Err(format!(
            "the upstream method {} differs from the client's",
            req.method
        ));
    }
    set(map, ":authority", Some(&target.authority))?;
    set(map, ":path", Some(&target.path))?;
    let mut seen: Vec<&str> = Vec::new();
    for h in &req.headers {
        let name = h.name.as_str();
        if matches!(name, "host" | "content-length" | "transfer-encoding") {
            continue;
        }
        if seen.contains(&name) {
            hostcalls::add_map_value(map, name, h.value())
                .map_err(|s| format!("add {name}: {s:?}"))?;
        } else {
            set(map, name, Some(h.value()))?;
            seen.push(name);
        }
    }
    set(map, "transfer-encoding", None)?;
    set(map, "content-length", Some(&req.body.len().to_string()))?;
    set(map, CLUSTER_HEADER, Some(&target.cluster))?;
    hostcalls::set_buffer(BufferType::HttpRequestBody, 0, body_size, &req.body)
        .map_err(|s| format!("request body: {s:?}"))
}

/// Headers Envoy's connection manager added to the request itself (not the client's):
/// removing `x-forwarded-proto` makes Envoy 1.40 match no route at all.
fn envoys(name: &str) -> bool {
    matches!(name, "x-forwarded-proto" | "x-request-id")
}

/// Replaces the response head Envoy holds with `status` and `headers` (every upstream header
/// removed first: the client sees the exchange's headers only).
pub fn replace_response_head(status: u16, headers: &[(String, String)]) -> Result<(), String> {
    let map = MapType::HttpResponseHeaders;
    for (name, _) in read_map(map) {
        if !name.starts_with(':') {
            set(map, &name, None)?;
        }
    }
    set(map, ":status", Some(&status.to_string()))?;
    for (name, value) in headers {
        hostcalls::add_map_value(map, name, value).map_err(|s| format!("add {name}: {s:?}"))?;
    }
    Ok(())
}

/// Replaces the buffered response body (`size` bytes) with `body`, fixing `content-length`.
pub fn replace_response_body(size: usize, body: &[u8]) -> Result<(), String> {
    set(
        MapType::HttpResponseHeaders,
        "content-length",
        Some(&body.len().to_string()),
    )?;
    hostcalls::set_buffer(BufferType::HttpResponseBody, 0, size, body)
        .map_err(|s| format!("response body: {s:?}"))
}

/// Why Envoy answered the request itself (`None`: the upstream answered): the stream's
/// `response.code_details` (`via_upstream` for an upstream answer; `response_timeout`,
/// `stream_idle_timeout`, `upstream_reset_before_response_started{...}`,
/// `cluster_not_found`... for Envoy's own).
pub fn envoy_reply_reason() -> Option<String> {
    let details = hostcalls::get_property(vec!["response", "code_details"])
        .ok()
        .flatten()?;
    let details = String::from_utf8_lossy(&details).into_owned();
    (details != "via_upstream").then_some(details)
}

fn set(map: MapType, name: &str, value: Option<&str>) -> Result<(), String> {
    hostcalls::set_map_value(map, name, value).map_err(|s| format!("set {name}: {s:?}"))
}
