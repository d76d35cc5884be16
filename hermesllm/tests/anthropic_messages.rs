//! Anthropic Messages codec: fixtures from the API reference, round trips, targeted mappings,
//! bad input, errors and streams.

// Test helpers outside #[test] functions panic on broken fixtures, which is what a test wants.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "anthropic_messages/common.rs"]
mod common;
#[path = "anthropic_messages/errors.rs"]
mod errors;
#[path = "anthropic_messages/foreign_requests.rs"]
mod foreign_requests;
#[path = "anthropic_messages/requests.rs"]
mod requests;
#[path = "anthropic_messages/responses.rs"]
mod responses;
#[path = "anthropic_messages/streams.rs"]
mod streams;
