//! Loading, saving, retrieving and deleting stored turns through the [`Kv`] seam.

use crate::kv::Kv;

use super::error::{LoadError, Lookup, SaveError};
use super::stored::{Decoded, RequestHead, ResponseHead, StoredResponse, decode, valid_id};

/// Prefix of the keys this module writes: `resp:{id}`.
pub const KEY_PREFIX: &str = "resp:";

/// 30 days, how long OpenAI keeps stored responses.
pub const DEFAULT_TTL_SECS: u32 = 30 * 24 * 3600;

/// Largest value Workers KV accepts (25 MiB).
pub const WORKERS_KV_MAX_VALUE: usize = 25 * 1024 * 1024;
/// Largest value a SQLite-backed Durable Object accepts (key and value together, 2 MB).
pub const DURABLE_OBJECT_MAX_VALUE: usize = 2_000_000;
/// Largest DynamoDB item (400 KB, attribute names and the key included: subtract them).
pub const DYNAMODB_MAX_ITEM: usize = 400 * 1024;
/// Largest value of Spin's default key-value store and of Fermyon/Akamai's hosted one
/// (1 MB); other Spin backends (Redis, Azure Cosmos DB, AWS DynamoDB) have their own.
pub const SPIN_KV_MAX_VALUE: usize = 1024 * 1024;

/// How [`save`] stores a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaveOptions {
    /// Time to live in seconds; raised to the store's [`KvCaps::min_ttl_secs`](crate::kv::KvCaps).
    pub ttl_secs: u32,
    /// Largest value the store accepts, in bytes (see the `*_MAX_*` constants, minus any
    /// per-item overhead of the host's encoding).
    pub max_value_bytes: usize,
}

impl Default for SaveOptions {
    /// [`DEFAULT_TTL_SECS`] and the smallest limit of the hosted stores
    /// ([`DYNAMODB_MAX_ITEM`] less 4 KiB for the key and attribute names).
    fn default() -> Self {
        SaveOptions {
            ttl_secs: DEFAULT_TTL_SECS,
            max_value_bytes: DYNAMODB_MAX_ITEM - 4096,
        }
    }
}

/// What [`save`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Saved {
    /// Stored under `resp:{id}`.
    Stored {
        /// The response id.
        id: String,
        /// Size of the stored value.
        bytes: usize,
        /// When it expires (Unix ms).
        expires_at_ms: u64,
    },
    /// Nothing stored, by design.
    Skipped(Skip),
}

/// Why [`save`] stored nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Skip {
    /// The request said `store: false`.
    StoreFalse,
    /// The response's status is not one a conversation continues from (`failed`,
    /// `cancelled`, `queued`, `in_progress`).
    Status(String),
}

/// The key of a response id.
pub fn key(id: &str) -> String {
    format!("{KEY_PREFIX}{id}")
}

/// Loads the turn a request's `previous_response_id` names.
///
/// # Errors
/// [`LoadError::NotFound`] (unknown, expired, deleted, `store: false`, or an id that cannot
/// be a key), [`LoadError::Discarded`], [`LoadError::Store`], [`LoadError::Corrupt`]. Render
/// with [`LoadError::api_error`].
pub async fn load(kv: &impl Kv, id: &str, now_ms: u64) -> Result<StoredResponse, LoadError> {
    match read(kv, id, now_ms, Lookup::Previous).await? {
        Decoded::Live(stored) => Ok(stored),
        Decoded::Discarded { size, max } => Err(LoadError::Discarded {
            id: id.to_owned(),
            size,
            max,
            lookup: Lookup::Previous,
        }),
        Decoded::Expired => Err(not_found(id, Lookup::Previous)),
    }
}

/// Saves a turn after its response was produced.
///
/// `request` is the self-contained request the gateway translated (the body as received, or
/// the output of [`expand_request`](super::expand_request)); `response` is the Responses API
/// response object returned to the client (the non-streaming body, or
/// [`Captured::response`](super::Captured) of a stream). Nothing is stored when the request
/// says `store: false` or the response did not complete ([`Skip`]).
///
/// Call it before the client sees the end of the response (before sending a non-streaming
/// body, before forwarding the chunk that ended a stream) so that a follow-up naming this id
/// finds it on a store with read-after-write consistency.
///
/// # Errors
/// [`SaveError`]. On [`SaveError::TooLarge`] a small marker is stored instead, so the next
/// turn is told why the state is missing rather than silently losing history.
pub async fn save(
    kv: &impl Kv,
    request: &[u8],
    response: &[u8],
    opts: &SaveOptions,
    now_ms: u64,
) -> Result<Saved, SaveError> {
    let head = RequestHead::parse(request).map_err(SaveError::Request)?;
    if !head.store().map_err(SaveError::Request)? {
        return Ok(Saved::Skipped(Skip::StoreFalse));
    }
    let status: ResponseHead<'_> = super::stored::object(response).map_err(SaveError::Response)?;
    if let Some(s) = status.status.as_deref()
        && !matches!(s, "completed" | "incomplete")
    {
        return Ok(Saved::Skipped(Skip::Status(s.to_owned())));
    }
    let stored = StoredResponse::new(request, response, now_ms)?;
    put(kv, &stored, opts, now_ms).await
}

/// Stores a built turn, or a marker when it is too large.
async fn put(
    kv: &impl Kv,
    stored: &StoredResponse,
    opts: &SaveOptions,
    now_ms: u64,
) -> Result<Saved, SaveError> {
    let caps = kv.caps();
    let ttl = opts.ttl_secs.max(caps.min_ttl_secs).max(1);
    let expires_at_ms = now_ms.saturating_add(u64::from(ttl) * 1000);
    let value = stored.encode(expires_at_ms);
    let key = key(stored.id());
    // The expiry is in the value whatever the store: stores without native TTL (Spin, the
    // lazily deleting DynamoDB) are checked on read. The TTL is passed anyway so stores that
    // can reclaim space do.
    if value.len() > opts.max_value_bytes {
        let marker = super::stored::encode_discarded(
            stored.id(),
            value.len(),
            opts.max_value_bytes,
            expires_at_ms,
        );
        // Best effort: if even the marker cannot be written the next turn sees "not found".
        let _ = kv.put(&key, &marker, Some(ttl)).await;
        return Err(SaveError::TooLarge {
            id: stored.id().to_owned(),
            size: value.len(),
            max: opts.max_value_bytes,
        });
    }
    kv.put(&key, &value, Some(ttl))
        .await
        .map_err(SaveError::Store)?;
    Ok(Saved::Stored {
        id: stored.id().to_owned(),
        bytes: value.len(),
        expires_at_ms,
    })
}

/// The body of `GET /v1/responses/{id}`: the response object as returned to the client.
/// Query parameters (`include`, `stream`, `starting_after`) are not supported.
///
/// # Errors
/// As [`load`], rendered as 404 (`Lookup::ById`).
pub async fn get_response(kv: &impl Kv, id: &str, now_ms: u64) -> Result<String, LoadError> {
    match read(kv, id, now_ms, Lookup::ById).await? {
        Decoded::Live(stored) => Ok(stored.response_json().to_owned()),
        Decoded::Discarded { size, max } => Err(LoadError::Discarded {
            id: id.to_owned(),
            size,
            max,
            lookup: Lookup::ById,
        }),
        Decoded::Expired => Err(not_found(id, Lookup::ById)),
    }
}

/// `DELETE /v1/responses/{id}`: deletes the stored turn (or its marker) and returns the
/// body OpenAI returns, `{"id":"...","object":"response","deleted":true}`.
///
/// # Errors
/// [`LoadError::NotFound`] (404) when nothing live is stored; [`LoadError::Store`]. A
/// malformed value is deleted too.
pub async fn delete(kv: &impl Kv, id: &str, now_ms: u64) -> Result<Vec<u8>, LoadError> {
    match read(kv, id, now_ms, Lookup::ById).await {
        Ok(Decoded::Expired) => return Err(not_found(id, Lookup::ById)),
        Ok(_) | Err(LoadError::Corrupt { .. }) | Err(LoadError::Discarded { .. }) => {}
        Err(e) => return Err(e),
    }
    kv.delete(&key(id)).await.map_err(LoadError::Store)?;
    let mut out = b"{\"id\":".to_vec();
    super::stored::push_json_str(&mut out, id);
    out.extend_from_slice(b",\"object\":\"response\",\"deleted\":true}");
    Ok(out)
}

async fn read(kv: &impl Kv, id: &str, now_ms: u64, lookup: Lookup) -> Result<Decoded, LoadError> {
    if !valid_id(id) {
        return Err(not_found(id, lookup));
    }
    let key = key(id);
    let Some(found) = kv.get(&key).await.map_err(LoadError::Store)? else {
        return Err(not_found(id, lookup));
    };
    let decoded = decode(id, &found.value, now_ms)?;
    if let Decoded::Expired = decoded
        && !kv.caps().native_ttl
    {
        // The store keeps expired values until someone deletes them; reclaim this one now.
        // Best effort: a failure only leaves the value for a later read.
        let _ = kv.delete(&key).await;
    }
    Ok(decoded)
}

fn not_found(id: &str, lookup: Lookup) -> LoadError {
    // An id longer than a key can be is cut in the message so errors stay small.
    let shown: String = id.chars().take(super::stored::MAX_ID_LEN).collect();
    LoadError::NotFound { id: shown, lookup }
}
