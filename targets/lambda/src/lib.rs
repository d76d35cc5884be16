//! The plano gateway as an AWS Lambda function behind a Function URL with response
//! streaming: plano-core's exchange driver over a pooled hyper/rustls client, state in
//! DynamoDB through a slim SigV4-signed JSON client, OTLP/HTTP traces flushed per
//! invocation. See `README.md` for deployment (Terraform) and local runs (cargo-lambda).

pub mod client {
    //! The one HTTP client (upstreams, DynamoDB, the collector), shared with the native
    //! host: [`plano_tokio_host::client`] with the Lambda pool settings.
    pub use plano_tokio_host::client::*;

    use std::time::Duration;

    /// A frozen environment's idle connections may be closed by the peer meanwhile: a
    /// shorter idle time, a smaller pool (one execution environment serves one request at
    /// a time).
    pub const POOL: Pool = Pool {
        idle_timeout: Duration::from_secs(60),
        max_idle_per_host: 64,
    };
}
/// The wall clock (shared with the other tokio host).
pub use plano_tokio_host::clock;
pub mod dynamo;
pub mod engine;
pub use plano_tokio_host::entropy;
pub mod env;
pub mod handler;
pub mod host;
pub mod otel;
pub mod store;
