//! The exchange: one request's whole lifecycle, as a sans-IO state machine every host
//! drives, plus a small async [`driver`] for the hosts that own an async HTTP client.
//!
//! The pieces ([`crate::route`], [`crate::ratelimit`], [`crate::state`],
//! [`crate::upstream`], [`crate::retry`], [`crate::telemetry`]) are driven here in one
//! order, so the native server, Workers, Spin, Lambda (through [`driver`]) and Envoy's
//! proxy-wasm filter (calling the phases from its callbacks) behave the same.
//!
//! # Call contract
//!
//! ```text
//! Exchange::new(config, options, ids, now)
//! on_request(kv, head, body, now)            -> Respond(reply) | Send(upstream request)
//!   loop:
//!     send the request (Deadlines from deadlines())
//!     failure before a head -> on_upstream_failure(Connect|ConnectTimeout|Timeout, now, jitter)
//!     on_upstream_head(status, headers, now) -> ReadError | ReadBody | Stream{head}
//!       ReadError: read <= MAX_ERROR_BODY -> on_upstream_failure(ErrorBody(body), now, jitter)
//!       ReadBody:  read the body          -> on_upstream_body(kv, body, now, jitter)
//!                  (body over the limit or broken: on_upstream_failure(BodyIncomplete, ...))
//!       Stream:    send the head; per chunk on_upstream_chunk(kv, chunk, now, out);
//!                  at the end on_upstream_end(kv, now, out),
//!                  or on_upstream_broken(idle, now, out);
//!                  after each, output filters: while stream_call() -> Some(request):
//!                    send it -> on_stream_call(kv, status, headers, body, now, out)
//!                  (hosts that do not: ExchangeOptions::stream_calls off, filtered
//!                  streams are refused)
//!     Next::Retry{delay_ms}: wait, then next_request(kv, now) -> Send | Respond
//!     Next::Respond(reply): send it
//! finish(kv, now)                            -> ExchangeRecord (settles the rate limit)
//! ```
//!
//! Every method is total: any input (bytes, statuses, call order) yields a reply or an error
//! reply in the client's API shape, never a panic. A method called out of order answers as
//! an internal error (500) or does nothing, as documented on it.
//!
//! The async methods touch only the [`Kv`](crate::kv::Kv) store (rate limits, Responses
//! state). Over a store whose futures are ready at once (proxy-wasm shared data) a
//! synchronous host completes them with [`now_or_never`](crate::kv::now_or_never).
//!
//! # Choices
//!
//! - **Validation first.** The client body is decoded once in the request phase (bad JSON and
//!   wrong types are 400s in the client's shape before any store or upstream is touched),
//!   which also gives the model, the stream flag and the token estimate.
//! - **Candidates.** The resolved provider first, then every other provider configured with
//!   the same upstream model id (e.g. `openai/gpt-4o` and `azure_openai/gpt-4o`), in config
//!   order ([`candidates`]). Retries and fallbacks happen only before the first byte reaches
//!   the client ([`crate::retry::decide`]).
//! - **Rate limit.** Reserved under the first candidate's limits before the first attempt,
//!   moved to the new provider's limits on a fallback to another provider (a spent budget is
//!   a 429, never a reason to fall back); settled with the reported usage when the response
//!   ends, released when no attempt produced tokens, kept at the estimate when a stream was
//!   cut without usage.
//! - **Responses state.** Used for each attempt whose upstream does not speak Responses when
//!   the client does (decided per attempt, so a fallback from OpenAI to Anthropic expands
//!   `previous_response_id`): the request is expanded before translation and the turn saved
//!   before the client sees the end of the response (before the non-streaming reply is
//!   returned; before the chunk holding the terminal event is handed out). A stored
//!   response that cannot be loaded refuses the request when the first candidate needs it,
//!   and otherwise only skips the candidates that would (the id may be the upstream's).
//! - **Non-streaming bodies are buffered** (they must be complete to translate); streams never
//!   are: each chunk is transcoded as it arrives ([`hermesllm::stream::Transcoder`]). A
//!   non-streaming success whose body does not decode counts as a failed attempt (502, or the
//!   next candidate), since nothing has reached the client yet.
//! - **Timeouts are the host's**: [`Exchange::deadlines`] says how long to wait for the
//!   connection, the response head (the request timeout less what earlier attempts used) and
//!   between stream chunks; no retry starts past the request timeout.
//! - **What the client sees of the state**: a continued Responses turn names its
//!   `previous_response_id` in the reply (non-streaming body and every `response` object of
//!   a stream), as OpenAI does, although the upstream never saw it.
//! - **Stored responses the provider keeps.** `GET`/`DELETE /v1/responses/{id}` for an id
//!   not in the gateway's store (a same-API passthrough turn, which OpenAI stores itself) is
//!   forwarded to the provider serving Responses clients natively (the default provider if
//!   it does, else the first configured one that does) with its credentials, and its answer
//!   passed through (error bodies redacted); without such a provider the answer is the
//!   local 404. No retry.
//! - **Custom span attributes.** The config's `tracing.span_attributes` (static attributes,
//!   and request headers matching `header_prefixes` named as Plano names them, never
//!   credential headers) are in [`ExchangeRecord::custom_attributes`].
//! - **Gemini streams** without `?alt=sse` are sent as one JSON array, as Gemini does.
//! - **Output filters** (a listener's `output_filters`) see the client-shaped answer: a
//!   non-streaming one through side calls before the reply, a stream per complete event
//!   ([`Exchange::stream_call`]); see `output.rs`.
//!
//! # Testing
//!
//! `core/tests/exchange.rs` (each client API to a same-API and a cross-API upstream, model
//! resolution, credentials, local routes, bad input), `exchange_stream.rs`,
//! `exchange_retry.rs` (retries, fallback, rate limits), `exchange_state.rs` (Responses
//! turns against Anthropic) and `exchange_no_panic.rs` (thousands of generated requests and
//! upstream answers; the phases out of order), all over the [`driver`] with a fake HTTP
//! client replaying hermesllm's fixtures and the Bedrock captures. `core/fuzz` has the
//! `exchange_request` target.

mod attempt;
mod client_stream;
pub mod driver;
mod events;
mod filtered;
mod guarded;
mod output;
mod phases;
mod record;
mod reply;
mod request;
mod response;
mod routed;
mod side;
mod stored;
#[cfg(feature = "prompt-targets")]
mod targeted;
mod writeback;

use hermesllm::Api;

use crate::config::{Config, Provider};
use crate::ratelimit;
use crate::retry::RetryPolicy;
use crate::route::Resolved;
use crate::state::SaveOptions;
use crate::upstream::AwsCredentials;

pub use record::{AttemptRecord, ExchangeRecord};
pub use reply::{Action, AttemptFailure, Deadlines, HeadAction, MAX_ERROR_BODY, Next, Reply};
pub use request::RequestHead;

/// Per-exchange settings the host chooses (the config gives the rest).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ExchangeOptions<'a> {
    /// Retries and fallback. Default: [`RetryPolicy::default`]. The model listener's
    /// `max_retries`, when set, replaces `max_attempts` (as `max_retries + 1`).
    pub retry: RetryPolicy,
    /// Rate-limit behaviour. Default: [`ratelimit::Policy::default`] (fail open).
    pub rate_limit: ratelimit::Policy,
    /// Responses state storage (TTL, the store's value limit).
    pub save: SaveOptions,
    /// Largest non-streaming upstream body read, in bytes (default 32 MiB).
    pub max_response_bytes: usize,
    /// AWS credentials for SigV4 providers without an `access_key`.
    pub aws: Option<&'a AwsCredentials>,
    /// The request arrived on the prompt listener: chat requests go through the prompt
    /// targets (function calling) when the config has them. Default `false`.
    pub prompt_listener: bool,
    /// Picks the token counter for a request's model id (as the client sent it), used for
    /// the rate-limit estimate and `count_tokens`. Default `None`:
    /// [`CharEstimator::default`](crate::tokens::CharEstimator) for every model, which needs
    /// no tables; a native host plugs an exact counter in here (the `plano-tiktoken` crate's
    /// `counter_for_model`).
    pub token_counter: Option<TokenCounterFor>,
    /// The host makes a stream's output filter calls ([`Exchange::stream_call`]); the
    /// [`driver`] does (it sets this). Without it, a streamed request on a listener with
    /// output filters is refused (501). Default `false`.
    pub stream_calls: bool,
}

/// Chooses a [`TokenCounter`](crate::tokens::TokenCounter) for a model id. Must not panic;
/// called once per request that is estimated.
pub type TokenCounterFor = fn(&str) -> &'static dyn crate::tokens::TokenCounter;

impl Default for ExchangeOptions<'_> {
    fn default() -> Self {
        ExchangeOptions {
            retry: RetryPolicy::default(),
            rate_limit: ratelimit::Policy::default(),
            save: SaveOptions::default(),
            max_response_bytes: 32 << 20,
            aws: None,
            prompt_listener: false,
            token_counter: None,
            stream_calls: false,
        }
    }
}

impl<'a> ExchangeOptions<'a> {
    /// The defaults with another retry policy.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The defaults with AWS credentials.
    pub fn aws(mut self, aws: Option<&'a AwsCredentials>) -> Self {
        self.aws = aws;
        self
    }

    /// The defaults with another token counter choice (see
    /// [`ExchangeOptions::token_counter`]).
    pub fn token_counter(mut self, token_counter: Option<TokenCounterFor>) -> Self {
        self.token_counter = token_counter;
        self
    }

    /// These options for a request that arrived on the prompt listener.
    pub fn prompt_listener(mut self, on: bool) -> Self {
        self.prompt_listener = on;
        self
    }

    /// The defaults with other state-saving options.
    pub fn save(mut self, save: SaveOptions) -> Self {
        self.save = save;
        self
    }
}

/// The ids an exchange may need, generated by the host (unguessable: at least 128 random
/// bits for response ids, which are capabilities for Responses state).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ids {
    /// A fresh random token: the response id used when the upstream gives none is the client
    /// API's prefix ([`response_id_prefix`]: `resp_…`, `chatcmpl-…`, `msg_…`) and this.
    pub token: String,
    /// Span id of the gateway's upstream call (the parent id in the forwarded `traceparent`).
    pub span_id: [u8; 8],
}

/// The conventional id prefix of a client API's responses.
pub fn response_id_prefix(api: Api) -> &'static str {
    match api {
        Api::OpenAiResponses => "resp_",
        Api::OpenAiChat => "chatcmpl-",
        Api::AnthropicMessages => "msg_",
        Api::BedrockConverse | Api::Gemini => "",
    }
}

/// A provider an exchange may try, with the model id sent to it.
#[derive(Debug, Clone)]
pub struct Candidate<'c> {
    /// The provider.
    pub provider: &'c Provider,
    /// The model id sent upstream.
    pub upstream_model: String,
}

/// The providers an exchange may try, in order: `first`, then every other provider whose
/// configured model equals `first`'s upstream model (wildcard providers excluded), in
/// config order.
pub fn candidates<'c>(config: &'c Config, first: &Resolved<'_>) -> Vec<Candidate<'c>> {
    let mut out = Vec::new();
    if let Some(p) = config.provider(&first.provider.name) {
        out.push(Candidate {
            provider: p,
            upstream_model: first.upstream_model.to_owned(),
        });
    }
    for p in &config.providers {
        if p.name != first.provider.name
            && let Some(m) = p.model.as_deref()
            && m == first.upstream_model
        {
            out.push(Candidate {
                provider: p,
                upstream_model: m.to_owned(),
            });
        }
    }
    out
}

pub use phases::Exchange;

/// Whether a Responses client's request to `provider` needs the gateway's Responses state
/// (the provider does not speak Responses natively, so keeps no state of its own).
pub(crate) fn needs_state(provider: &Provider, client_api: Api) -> bool {
    needs_state_api(upstream_api(provider, client_api), client_api)
}

/// Whether a Responses client talking to an upstream speaking `upstream` relies on the
/// gateway's state (the upstream keeps none): its response ids are then the gateway's own.
pub(crate) fn needs_state_api(upstream: Api, client_api: Api) -> bool {
    client_api == Api::OpenAiResponses && upstream != client_api
}

/// The API a provider is spoken to for a client API.
pub(crate) fn upstream_api(provider: &Provider, client_api: Api) -> Api {
    provider
        .spec
        .endpoint_for_client(client_api)
        .map_or(client_api, |e| e.api)
}
