//! The upstream HTTP client: the tokio hosts' pooled HTTPS client
//! ([`plano_tokio_host::HttpsClient`]) with the server's pool settings.

use std::time::Duration;

use plano_tokio_host::Pool;
pub use plano_tokio_host::client::{HttpsClient as UpstreamClient, Upstream};

/// The server's pool: many concurrent clients, long-lived upstream connections.
pub const POOL: Pool = Pool {
    idle_timeout: Duration::from_secs(90),
    max_idle_per_host: 256,
};

/// The upstream client; one per process, shared by every exchange.
pub fn upstream_client(connect: Duration) -> UpstreamClient {
    UpstreamClient::new(connect, POOL)
}
