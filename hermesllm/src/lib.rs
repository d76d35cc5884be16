//! # hermesllm
//!
//! Wire formats of five LLM APIs and translation between them through one internal model:
//! OpenAI Chat Completions, OpenAI Responses, Anthropic Messages, Amazon Bedrock Converse and
//! Google Gemini. Requests, responses, errors and streams.
//!
//! Pure and sans-IO: no sockets, no clock, no randomness. Builds for native targets,
//! `wasm32-unknown-unknown`, `wasm32-wasip1` and `wasm32-wasip2`.
//!
//! - [`ir`]: the internal model every API converts to and from.
//! - One module per API with the same shape (see [`codec`]).
//! - [`translate`]: dispatch by [`Api`], and the same-API passthrough.
//! - [`provider`]: the provider catalog, as data.
//! - [`stream`]: incremental stream framing and transcoding.
//!
//! What a translation cannot carry is returned as data ([`Losses`]), never logged.

#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod api;
pub mod codec;
mod error;
pub mod ir;
mod json;
mod loss;
pub mod passthrough;
pub mod provider;
mod raw;
mod str;
pub mod stream;
pub mod translate;
pub mod wire;

pub mod anthropic_messages;
pub mod bedrock_converse;
pub mod gemini;
pub mod openai_chat;
pub mod openai_responses;

pub use api::{Api, Family};
pub use codec::{RequestMeta, ResponseMeta};
pub use error::{DecodeError, EncodeError};
pub use loss::{Loss, LossKind, Losses};
pub use raw::Raw;
pub use str::Str;
