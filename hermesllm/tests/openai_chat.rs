//! OpenAI Chat Completions codec: fixtures, round trips, targeted mappings, bad input, errors
//! and streams.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "openai_chat/common.rs"]
mod common;
#[path = "openai_chat/errors.rs"]
mod errors;
#[path = "openai_chat/request_options.rs"]
mod request_options;
#[path = "openai_chat/requests.rs"]
mod requests;
#[path = "openai_chat/responses.rs"]
mod responses;
#[path = "openai_chat/streams.rs"]
mod streams;
