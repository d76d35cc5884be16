//! Integration tests of the OpenAI Responses codec.

// Test helpers outside `#[test]` functions are not covered by clippy's in-test allowances.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "openai_responses/common.rs"]
mod common;
#[path = "openai_responses/errors.rs"]
mod errors;
#[path = "openai_responses/fixtures.rs"]
mod fixtures;
#[path = "openai_responses/request_options.rs"]
mod request_options;
#[path = "openai_responses/requests.rs"]
mod requests;
#[path = "openai_responses/responses.rs"]
mod responses;
#[path = "openai_responses/stream_encoder.rs"]
mod stream_encoder;
#[path = "openai_responses/streams.rs"]
mod streams;
