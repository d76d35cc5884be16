//! Errors of conversation state, split by phase: reading the request ([`ExpandError`]),
//! loading a stored response ([`LoadError`]), saving one ([`SaveError`]) and capturing one
//! from a stream ([`CaptureError`]). Each says who is at fault ([`Fault`]) and whether a retry
//! may succeed; those a client sees render as the OpenAI error body it would get from OpenAI.

use hermesllm::Str;
use hermesllm::ir::{ApiError, ErrorKind};

use crate::kv::KvError;

pub use crate::error::Fault;

/// Which request looked a response up: the message and status differ as they do at OpenAI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// `previous_response_id` of `POST /v1/responses` (OpenAI answers 400).
    Previous,
    /// `GET` or `DELETE /v1/responses/{id}` (OpenAI answers 404).
    ById,
}

/// The request body could not be read as a Responses request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExpandError {
    /// Not a JSON object.
    #[error("request body is not a JSON object: {0}")]
    NotAnObject(String),
    /// `input` is neither a string, an array of item objects, nor null.
    #[error("`input` must be a string or an array of input items")]
    InvalidInput,
    /// `previous_response_id` is not a string.
    #[error("`previous_response_id` must be a string")]
    InvalidPreviousId,
    /// Both `previous_response_id` and `conversation` are given.
    #[error(
        "Mutually exclusive parameters. Ensure you are only providing one of: \
         'previous_response_id' or 'conversation'."
    )]
    ConversationConflict,
    /// `store` is not a boolean.
    #[error("`store` must be a boolean")]
    InvalidStore,
    /// The host expanded the request with the state of another response (a gateway bug).
    #[error("request names previous response {requested:?} but was expanded with {stored:?}")]
    Mismatch {
        /// The id the request names.
        requested: String,
        /// The id of the state passed in.
        stored: String,
    },
}

impl ExpandError {
    /// Who caused it.
    pub fn fault(&self) -> Fault {
        match self {
            ExpandError::Mismatch { .. } => Fault::Gateway,
            _ => Fault::Client,
        }
    }

    /// Never retryable: the same body fails the same way.
    pub fn is_retryable(&self) -> bool {
        false
    }

    /// The error to answer the client with: 400 `invalid_request_error` naming the
    /// offending parameter, as OpenAI does (a [`Mismatch`](ExpandError::Mismatch) is the
    /// gateway's own bug: 500 `server_error`).
    pub fn api_error(&self) -> ApiError<'static> {
        let (param, code) = match self {
            ExpandError::Mismatch { .. } => {
                return ApiError::new(
                    ErrorKind::Server,
                    "The gateway failed to restore the conversation state.",
                );
            }
            ExpandError::NotAnObject(_) => (None, None),
            ExpandError::InvalidInput => (Some("input"), None),
            ExpandError::InvalidPreviousId => (Some("previous_response_id"), None),
            ExpandError::ConversationConflict => (None, Some("mutually_exclusive_parameters")),
            ExpandError::InvalidStore => (Some("store"), None),
        };
        let mut err = ApiError::new(ErrorKind::InvalidRequest, Str::from(self.to_string()));
        err.param = param.map(Str::borrowed);
        err.code = code.map(Str::borrowed);
        err
    }
}

/// A stored response could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// Never stored (or with `store: false`), expired, deleted, an id that cannot be a key, or
    /// (on eventually consistent stores) not yet visible here.
    #[error("response {id:?} not found")]
    NotFound {
        /// The id asked for.
        id: String,
        /// Who asked.
        lookup: Lookup,
    },
    /// The turn completed but its conversation outgrew the store's value limit, so only a
    /// marker was kept (see [`SaveError::TooLarge`]).
    #[error(
        "response {id:?} not kept: its conversation state ({size} bytes) exceeds the state \
         store's limit of {max} bytes"
    )]
    Discarded {
        /// The id asked for.
        id: String,
        /// Size of the state that was not kept.
        size: usize,
        /// The limit it exceeded.
        max: usize,
        /// Who asked.
        lookup: Lookup,
    },
    /// The store failed.
    #[error("state store: {0}")]
    Store(KvError),
    /// The stored value is not one this module wrote (another writer, a format change, a
    /// corrupted store).
    #[error("stored state of response {id:?} is malformed: {reason}")]
    Corrupt {
        /// The id asked for.
        id: String,
        /// What is wrong.
        reason: String,
    },
}

impl LoadError {
    /// Who caused it.
    pub fn fault(&self) -> Fault {
        match self {
            LoadError::NotFound { .. } => Fault::Client,
            LoadError::Discarded { .. } | LoadError::Store(_) => Fault::Gateway,
            LoadError::Corrupt { .. } => Fault::Gateway,
        }
    }

    /// Whether the same request may succeed later: a store outage, or a miss on a store
    /// without read-after-write consistency (the write may not have propagated yet).
    pub fn is_retryable(&self) -> bool {
        matches!(self, LoadError::Store(KvError::Unavailable(_)))
    }

    /// The error to answer the client with, as OpenAI words it.
    ///
    /// - Unknown `previous_response_id`: 400 `invalid_request_error`, param
    ///   `previous_response_id`, code `previous_response_not_found` (clients such as Codex
    ///   react to that code by resending the whole conversation, so a discarded state uses
    ///   it too, with a message saying why).
    /// - Unknown id on `GET`/`DELETE`: 404 `invalid_request_error`, no param or code.
    /// - Store failures: 503 `server_error`; corrupt values: 500 `server_error`. Store
    ///   details stay in the `Display` text for logs, out of the client's message.
    pub fn api_error(&self) -> ApiError<'static> {
        match self {
            LoadError::NotFound { id, lookup } => not_found(id, *lookup, String::new()),
            LoadError::Discarded {
                id,
                size,
                max,
                lookup,
            } => not_found(
                id,
                *lookup,
                format!(
                    " Its conversation ({size} bytes) exceeded the gateway's state store limit \
                     ({max} bytes); send the full conversation in `input` instead."
                ),
            ),
            LoadError::Store(_) => {
                let mut err = ApiError::new(
                    ErrorKind::Server,
                    "The gateway's conversation state store is unavailable. Retry the request.",
                );
                err.status = 503;
                err
            }
            LoadError::Corrupt { .. } => ApiError::new(
                ErrorKind::Server,
                "The gateway could not read the stored conversation state.",
            ),
        }
    }
}

fn not_found(id: &str, lookup: Lookup, why: String) -> ApiError<'static> {
    match lookup {
        Lookup::Previous => {
            let mut err = ApiError::new(
                ErrorKind::InvalidRequest,
                Str::from(format!("Previous response with id '{id}' not found.{why}")),
            );
            err.param = Some(Str::borrowed("previous_response_id"));
            err.code = Some(Str::borrowed("previous_response_not_found"));
            err
        }
        Lookup::ById => {
            let mut err = ApiError::new(
                ErrorKind::InvalidRequest,
                Str::from(format!("Response with id '{id}' not found.{why}")),
            );
            err.status = 404;
            err
        }
    }
}

/// A turn could not be saved. The client already has its response; the host logs this, and
/// the next request naming the id gets [`LoadError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SaveError {
    /// The request body is not a Responses request (it was accepted earlier, so the host
    /// passed the wrong bytes).
    #[error("request body: {0}")]
    Request(ExpandError),
    /// The request still names `previous_response_id`: save the expanded request.
    #[error("request still names previous_response_id {0:?}; save the expanded request")]
    NotSelfContained(String),
    /// The response is not a Responses API response object.
    #[error("response is not a Responses API response object: {0}")]
    Response(String),
    /// The response id cannot be used as a key (empty, too long, or not printable ASCII).
    #[error("response id {0:?} cannot be used as a state key")]
    InvalidId(String),
    /// The conversation state is larger than the store accepts. Nothing is truncated: a
    /// small marker is stored instead so the next turn gets a clear error
    /// ([`LoadError::Discarded`]).
    #[error(
        "conversation state of response {id:?} is {size} bytes, over the state store's limit \
         of {max} bytes; not saved"
    )]
    TooLarge {
        /// The response id.
        id: String,
        /// Size of the encoded state.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The store failed.
    #[error("state store: {0}")]
    Store(KvError),
}

impl SaveError {
    /// Who caused it.
    pub fn fault(&self) -> Fault {
        match self {
            SaveError::Request(_) | SaveError::NotSelfContained(_) => Fault::Gateway,
            SaveError::Response(_) | SaveError::InvalidId(_) => Fault::Upstream,
            SaveError::TooLarge { .. } | SaveError::Store(_) => Fault::Gateway,
        }
    }

    /// Whether saving again may succeed (a store outage).
    pub fn is_retryable(&self) -> bool {
        matches!(self, SaveError::Store(KvError::Unavailable(_)))
    }
}

/// No storable response could be taken from a client-bound Responses stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// The stream ended with `response.failed` or an `error` event: nothing to store.
    #[error("stream ended with a `{0}` event")]
    Failed(String),
    /// The stream ended without a terminal event (cut short).
    #[error("stream ended without response.completed or response.incomplete")]
    Truncated,
    /// An event was larger than the capture's limit.
    #[error("stream event larger than {max} bytes")]
    EventTooLarge {
        /// The limit.
        max: usize,
    },
    /// The terminal event's data is not `{"response": {...}}`.
    #[error("malformed terminal event: {0}")]
    Malformed(String),
}

impl CaptureError {
    /// Who caused it.
    pub fn fault(&self) -> Fault {
        match self {
            CaptureError::EventTooLarge { .. } => Fault::Gateway,
            _ => Fault::Upstream,
        }
    }
}
