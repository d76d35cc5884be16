//! OpenAI Responses API conversation state kept by the gateway, for Responses clients whose
//! upstream keeps none (any provider reached through translation: Anthropic, Bedrock, Gemini,
//! Chat-only OpenAI-compatible providers).
//!
//! # What OpenAI does, and what the gateway does instead
//!
//! A Responses request may name `previous_response_id`: the model then sees the previous
//! response's whole conversation (its input items, and those of the responses before it,
//! then its output items) followed by the new `input`. `instructions` is *not* carried over:
//! each request's own `instructions` (or none) applies. `store` (default `true`) decides
//! whether the response can be continued or retrieved later; `GET /v1/responses/{id}`
//! returns the response object and `DELETE /v1/responses/{id}` returns
//! `{"id":"resp_…","object":"response","deleted":true}`. An unknown
//! `previous_response_id` gets HTTP 400:
//!
//! ```json
//! {"error":{"message":"Previous response with id 'resp_x' not found.",
//!   "type":"invalid_request_error","param":"previous_response_id",
//!   "code":"previous_response_not_found"}}
//! ```
//!
//! and an unknown id on `GET`/`DELETE` gets 404 `Response with id 'resp_x' not found.`
//! ([`LoadError::api_error`]).
//!
//! The gateway stores each turn in the client's own format ([`StoredResponse`], key
//! `resp:{id}`, with a TTL) and rewrites a continuing request into a self-contained one
//! before translating it, so upstreams never see `previous_response_id`:
//!
//! ```text
//! POST /v1/responses body
//!   inspect(body)                    -> TurnInfo { previous_response_id, store }
//!   load(kv, prev_id, now)           -> StoredResponse        (Err: LoadError::api_error())
//!   expand_request(body, &stored)    -> self-contained body   (input = stored items + new input)
//!   ... translate, call the upstream, translate the response back to Responses ...
//!   non-streaming: save(kv, &expanded, &response_body, &opts, now)   then send the body
//!   streaming:     capture.push(chunk) for every client-bound chunk;
//!                  once capture.captured() is Some: save(kv, &expanded,
//!                  capture.finish()?.response.get().as_bytes(), &opts, now), then forward
//! GET    /v1/responses/{id}          get_response(kv, id, now)
//! DELETE /v1/responses/{id}          delete(kv, id, now)
//! ```
//!
//! Only use this when the upstream is not the OpenAI Responses API itself (same-API
//! passthrough leaves `previous_response_id` to OpenAI). An expanded request sent to OpenAI
//! would still work, but output items carry OpenAI item ids (`rs_…`, `msg_…`) that OpenAI
//! may only accept when it stored them.
//!
//! Ids are capabilities: whoever knows one can read and continue the conversation, as at
//! OpenAI within a project. The ids the gateway issues must therefore be unguessable (at
//! least 128 random bits from the host's generator); this module does not scope keys by
//! tenant.
//!
//! # Size
//!
//! Each stored turn holds the whole conversation so far, so values grow every turn; a long
//! agent loop with tool outputs reaches megabytes. Host limits on one value:
//!
//! | store | limit |
//! |---|---|
//! | Workers KV | 25 MiB ([`WORKERS_KV_MAX_VALUE`]) |
//! | Durable Objects (SQLite) | 2 MB key and value together ([`DURABLE_OBJECT_MAX_VALUE`]) |
//! | DynamoDB | 400 KB per item, key and attribute names included ([`DYNAMODB_MAX_ITEM`]) |
//! | Spin default store, Fermyon/Akamai hosted | 1 MB ([`SPIN_KV_MAX_VALUE`]); Redis, Cosmos DB or DynamoDB backends: their own |
//! | native memory, proxy-wasm shared data | no fixed limit: choose one (memory is the cost) |
//!
//! The host passes its limit in [`SaveOptions::max_value_bytes`]. When a turn's state
//! exceeds it nothing is truncated (dropping early turns would silently change what the
//! model sees): [`save`] returns [`SaveError::TooLarge`] and stores a small marker instead,
//! so a request continuing from that response gets a clear 400 with code
//! `previous_response_not_found` saying the conversation outgrew the store and the client
//! must send the full input (Codex and other clients resend the whole conversation on that
//! code), and `GET` a 404 saying the same.
//!
//! # Consistency (per [`KvCaps`](crate::kv::KvCaps))
//!
//! - `strong_consistency: true` (native memory, Durable Objects, DynamoDB with consistent
//!   reads, proxy-wasm shared data within one Envoy): read-after-write holds, provided the
//!   host saves *before* the client sees the end of the response (before sending the
//!   non-streaming body, before forwarding the chunk holding `response.completed`); a
//!   follow-up naming the id then always finds it.
//! - `strong_consistency: false` (Workers KV; Spin KV on some backends): a write is visible
//!   at once in the location that made it but may take 60 s or more to reach others, and a
//!   read of a missing key may be cached as missing for a while. A follow-up that lands in
//!   another location right away can get `previous_response_not_found` (retryable later;
//!   clients that resend the full conversation on that code recover at once). `DELETE` may
//!   likewise take that long to be seen everywhere. Use the Durable Object backend when
//!   read-after-write matters.
//! - `native_ttl: false` (Spin, DynamoDB's lazy deletion): every value also carries its
//!   expiry and is treated as absent once past it, whatever the store still returns; an
//!   expired value found on read is deleted (best effort).
//!
//! # Testing
//!
//! `core/tests/state.rs` (conversations, TTLs, errors, `GET`/`DELETE`) and
//! `core/tests/state_capture.rs` (stream capture at every split point), over
//! [`MemoryKv`](crate::kv::MemoryKv) and [`ManualClock`](crate::time::ManualClock).

mod capture;
mod error;
mod expand;
mod store;
mod stored;

pub use capture::{Captured, DEFAULT_MAX_EVENT_SIZE, ResponseCapture, Terminal};
pub use error::{CaptureError, ExpandError, Fault, LoadError, Lookup, SaveError};
pub use expand::{TurnInfo, expand_request, inspect};
pub use store::{
    DEFAULT_TTL_SECS, DURABLE_OBJECT_MAX_VALUE, DYNAMODB_MAX_ITEM, KEY_PREFIX, SPIN_KV_MAX_VALUE,
    SaveOptions, Saved, Skip, WORKERS_KV_MAX_VALUE, delete, get_response, key, load, save,
};
pub use stored::{MAX_ID_LEN, StoredResponse, valid_id};
