//! The plano gateway as an AWS Lambda function behind a Function URL with response
//! streaming: plano-core's exchange driver over a pooled hyper/rustls client, state in
//! DynamoDB through a slim SigV4-signed JSON client, OTLP/HTTP traces flushed per
//! invocation. See `README.md` for deployment (Terraform) and local runs (cargo-lambda).

pub mod client;
pub mod clock;
pub mod dynamo;
pub mod engine;
pub mod entropy;
pub mod env;
pub mod handler;
pub mod host;
pub mod otel;
pub mod store;
