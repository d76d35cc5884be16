//! Where a request goes in Envoy: the provider's cluster, named after the upstream origin,
//! and the pseudo-headers of the rewritten request.
//!
//! The filter and the config generator ([`crate::envoy_config`]) share [`cluster_name`], so
//! the cluster the filter calls is the one the generator declared. One cluster per origin
//! (scheme, host, port): providers on the same host share it.

/// The cluster the filter "sleeps" on before a retry: a call to it is answered after the
/// delay named in `x-envoy-fault-delay-request` (Envoy's fault filter on a listener of its
/// own), since a proxy-wasm HTTP context has no timer.
pub const SLEEP_CLUSTER: &str = "plano_sleep";

/// The request header naming the provider's cluster for Envoy's router (the generated
/// route's `cluster_header`; removed before the upstream sees the request).
pub const CLUSTER_HEADER: &str = "x-plano-cluster";

/// Whether an upstream request whose `accept` header is `accept` asks for a stream (an event
/// stream): only those go through Envoy's router, since only they gain from it (a
/// non-streaming answer is read whole either way, and `dispatch_http_call` keeps every
/// failure of it in the client's shape).
pub fn wants_stream(accept: Option<&str>) -> bool {
    matches!(
        accept,
        Some("text/event-stream" | "application/vnd.amazon.eventstream")
    )
}

/// The Envoy cluster of an origin: `plano_` + scheme + host + port, every byte outside
/// `[A-Za-z0-9.-]` replaced by `_` (IPv6 colons included).
pub fn cluster_name(tls: bool, host: &str, port: u16) -> String {
    let scheme = if tls { "https" } else { "http" };
    let host: String = host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("plano_{scheme}_{host}_{port}")
}

/// An upstream URL split for Envoy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The cluster that reaches the origin.
    pub cluster: String,
    /// `https` or `http`.
    pub scheme: &'static str,
    /// Host name or IP (IPv6 without brackets).
    pub host: String,
    /// Port (the scheme's default when the URL has none).
    pub port: u16,
    /// The `:authority`: the host, with the port when it is not the scheme's default.
    pub authority: String,
    /// The `:path`: path and query (`/` when empty).
    pub path: String,
}

/// Splits an absolute `http(s)://` URL; `None` for any other scheme or an empty host or a
/// bad port.
pub fn target_of(url: &str) -> Option<Target> {
    let (tls, rest) = if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else {
        (false, url.strip_prefix("http://")?)
    };
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let default_port = if tls { 443 } else { 80 };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        match after.strip_prefix(':') {
            Some(p) => (host, p.parse().ok()?),
            None if after.is_empty() => (host, default_port),
            None => return None,
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().ok()?),
            None => (authority, default_port),
        }
    };
    if host.is_empty() {
        return None;
    }
    let shown = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    let authority = if port == default_port {
        shown
    } else {
        format!("{shown}:{port}")
    };
    let path = if path.is_empty() {
        "/".to_owned()
    } else if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_owned()
    };
    Some(Target {
        cluster: cluster_name(tls, host, port),
        scheme: if tls { "https" } else { "http" },
        host: host.to_owned(),
        port,
        authority,
        path,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn urls_split_into_cluster_authority_and_path() {
        let t = target_of("https://api.openai.com/v1/chat/completions").unwrap();
        assert_eq!(t.cluster, "plano_https_api.openai.com_443");
        assert_eq!(t.authority, "api.openai.com");
        assert_eq!(t.path, "/v1/chat/completions");
        let t = target_of("http://127.0.0.1:8080/openai/deployments/x?api-version=1").unwrap();
        assert_eq!(t.cluster, "plano_http_127.0.0.1_8080");
        assert_eq!(t.authority, "127.0.0.1:8080");
        assert_eq!(t.path, "/openai/deployments/x?api-version=1");
        let t = target_of("http://[::1]:9000").unwrap();
        assert_eq!(t.cluster, "plano_http___1_9000");
        assert_eq!(t.authority, "[::1]:9000");
        assert_eq!(t.path, "/");
        assert_eq!(target_of("ftp://x/"), None);
        assert_eq!(target_of("http://:80/"), None);
        assert_eq!(target_of("http://h:99999/"), None);
    }

    #[test]
    fn only_stream_requests_go_through_the_router() {
        assert!(wants_stream(Some("text/event-stream")));
        assert!(wants_stream(Some("application/vnd.amazon.eventstream")));
        assert!(!wants_stream(Some("application/json")));
        assert!(!wants_stream(None));
    }
}
