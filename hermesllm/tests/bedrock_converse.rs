//! Bedrock Converse codec: fixtures, round trips, mappings, bad input, errors, streams.

// Test helpers outside #[test] functions panic on purpose: a broken fixture must fail loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "bedrock_converse/common.rs"]
mod common;
#[path = "bedrock_converse/errors.rs"]
mod errors;
#[path = "bedrock_converse/foreign_requests.rs"]
mod foreign_requests;
#[path = "bedrock_converse/requests.rs"]
mod requests;
#[path = "bedrock_converse/responses.rs"]
mod responses;
#[path = "bedrock_converse/streams.rs"]
mod streams;
