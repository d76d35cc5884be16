//! `plano-mock`: a mock LLM provider speaking the provider side of OpenAI Chat Completions,
//! OpenAI Responses, Anthropic Messages, Gemini and Bedrock Converse, streaming and not.
//!
//! It replays recorded-shape transcripts with the request's model echoed, checks each
//! provider's credentials ([`keys`]), injects faults per request (`x-mock-fault`) and records
//! what it received (`GET /__mock/requests`). The contract is the crate's README.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let server = plano_mock::start("127.0.0.1:0".parse().unwrap()).await?;
//! let base_url = server.url(); // http://127.0.0.1:PORT
//! # let _ = base_url;
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

pub mod keys;

mod auth;
mod body;
mod devapi;
mod errors;
mod eventstream;
mod fault;
mod fixtures;
mod function;
mod guard;
mod handler;
mod ids;
mod journal;
mod jsonspan;
mod route;
mod router;
mod server;
mod sigv4;
mod template;

pub use server::{MockServer, start};
