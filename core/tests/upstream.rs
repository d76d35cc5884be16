//! Upstream requests: URLs per catalog provider and base_url prefix, credentials per auth
//! style (SigV4 against AWS's published vectors), header forwarding, passthrough_auth,
//! traceparent, and that secrets never show in Debug output or errors.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "upstream/common.rs"]
mod common;
#[path = "upstream/credentials.rs"]
mod credentials;
#[path = "upstream/forwarding.rs"]
mod forwarding;
#[path = "upstream/urls.rs"]
mod urls;
