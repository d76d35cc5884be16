//! What the tokio hosts of the gateway (the native server, the AWS Lambda function) share:
//! the pooled HTTPS client the async driver sends every upstream and side call with
//! ([`client::HttpsClient`]), and randomness from the operating system
//! ([`entropy::OsEntropy`]), and the wall clock ([`clock::SystemClock`]). Each host keeps its
//! own server, store and trace export.

pub mod client;
pub mod clock;
pub mod entropy;

pub use client::{HttpsClient, Pool};
pub use entropy::{OsEntropy, hex};
