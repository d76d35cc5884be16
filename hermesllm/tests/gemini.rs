//! Gemini codec: fixtures, round trips, targeted mappings, bad input, errors, streams.

// Integration-test helpers panic on broken fixtures by design.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "gemini/common.rs"]
mod common;
#[path = "gemini/errors.rs"]
mod errors;
#[path = "gemini/request_options.rs"]
mod request_options;
#[path = "gemini/requests.rs"]
mod requests;
#[path = "gemini/responses.rs"]
mod responses;
#[path = "gemini/streams.rs"]
mod streams;
