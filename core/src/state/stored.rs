//! [`StoredResponse`]: one turn as kept in the store, and its encoding.
//!
//! The value at `resp:{id}` is one JSON object (`v` is the format version):
//!
//! ```json
//! {"v":1,"id":"resp_1","model":"m","created_at":1700000000,"expires_at_ms":1702592000000,
//!  "context":[ ...items before this response... ],
//!  "response":{ ...the response object as returned to the client... }}
//! ```
//!
//! `context` is the previous conversation plus this request's input items; the response's
//! own `output` items complete the conversation and are not stored twice. Items and the
//! response are kept as the exact JSON text the client and the gateway exchanged, never
//! re-serialized. A turn whose state was too large leaves a marker instead:
//! `{"v":1,"id":"resp_1","expires_at_ms":...,"discarded":{"size":N,"max":M}}`.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::error::{ExpandError, LoadError, SaveError};

/// Longest response id accepted as a key (Workers KV keys are at most 512 bytes, Spin's 256,
/// and the key adds `resp:`).
pub const MAX_ID_LEN: usize = 200;

const VERSION: u32 = 1;

/// One stored turn: the conversation up to and including a response, and the response
/// object for `GET /v1/responses/{id}`.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    id: String,
    model: String,
    created_at: u64,
    expires_at_ms: Option<u64>,
    context: Box<RawValue>,
    output: Box<RawValue>,
    response: Box<RawValue>,
}

impl PartialEq for StoredResponse {
    /// Equal when every field and the JSON text of the items and response are equal.
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.model == other.model
            && self.created_at == other.created_at
            && self.expires_at_ms == other.expires_at_ms
            && self.context.get() == other.context.get()
            && self.output.get() == other.output.get()
            && self.response.get() == other.response.get()
    }
}

impl StoredResponse {
    /// The turn made of a self-contained request (one that names no
    /// `previous_response_id`: as received, or after
    /// [`expand_request`](super::expand_request)) and the Responses API response object
    /// returned to the client (the non-streaming body, or the `response` of the stream's
    /// final event, see [`ResponseCapture`](super::ResponseCapture)).
    ///
    /// A string `input` becomes one user message item; `model` and `created_at` come from
    /// the response (else the request's model and `now_ms`).
    ///
    /// # Errors
    /// [`SaveError::Request`], [`SaveError::NotSelfContained`], [`SaveError::Response`],
    /// [`SaveError::InvalidId`].
    pub fn new(request: &[u8], response: &[u8], now_ms: u64) -> Result<Self, SaveError> {
        let head = RequestHead::parse(request).map_err(SaveError::Request)?;
        if let Some(prev) = head.previous_response_id().map_err(SaveError::Request)? {
            return Err(SaveError::NotSelfContained(prev));
        }
        let context = join_arrays(&[&input_items(head.input).map_err(SaveError::Request)?]);

        let resp: ResponseHead<'_> = object(response).map_err(SaveError::Response)?;
        let id = resp
            .id
            .ok_or_else(|| SaveError::Response("no `id`".to_owned()))?
            .into_owned();
        if !valid_id(&id) {
            return Err(SaveError::InvalidId(id));
        }
        let output = resp
            .output
            .ok_or_else(|| SaveError::Response("no `output` array".to_owned()))?;
        check_items(output).map_err(|e| SaveError::Response(format!("`output` {e}")))?;
        let model = match resp.model {
            Some(m) => m.into_owned(),
            None => head.model().unwrap_or_default(),
        };
        let created_at = resp
            .created_at
            .filter(|t| t.is_finite() && *t >= 0.0)
            .map_or(now_ms / 1000, |t| t as u64);
        let output = output.to_owned();
        let response: Box<RawValue> =
            serde_json::from_slice(response).map_err(|e| SaveError::Response(e.to_string()))?;
        Ok(StoredResponse {
            id,
            model,
            created_at,
            expires_at_ms: None,
            context: raw_from(context).map_err(SaveError::Response)?,
            output,
            response,
        })
    }

    /// The response id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The model that answered.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Creation time of the response (Unix seconds).
    pub fn created_at(&self) -> u64 {
        self.created_at
    }

    /// When the stored value expires (Unix ms); `None` until loaded from the store.
    pub fn expires_at_ms(&self) -> Option<u64> {
        self.expires_at_ms
    }

    /// The response object as returned to the client (the body of `GET`).
    pub fn response_json(&self) -> &str {
        self.response.get()
    }

    /// The whole conversation: previous items, this turn's input items, this response's
    /// output items, each as its JSON text.
    pub fn items(&self) -> Vec<&RawValue> {
        let mut out: Vec<&RawValue> = serde_json::from_str(self.context.get()).unwrap_or_default();
        let output: Vec<&RawValue> = serde_json::from_str(self.output.get()).unwrap_or_default();
        out.extend(output);
        out
    }

    /// The conversation as the inner text of a JSON array (items joined by commas).
    pub(super) fn items_inner(&self) -> String {
        let mut out = String::with_capacity(self.context.get().len() + self.output.get().len());
        push_inner(&mut out, self.context.get());
        push_inner(&mut out, self.output.get());
        out
    }

    /// The stored value, with its expiry.
    pub(super) fn encode(&self, expires_at_ms: u64) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            self.context.get().len() + self.response.get().len() + self.id.len() + 128,
        );
        out.extend_from_slice(format!("{{\"v\":{VERSION},\"id\":").as_bytes());
        push_json_str(&mut out, &self.id);
        out.extend_from_slice(b",\"model\":");
        push_json_str(&mut out, &self.model);
        out.extend_from_slice(
            format!(
                ",\"created_at\":{},\"expires_at_ms\":{expires_at_ms},\"context\":",
                self.created_at
            )
            .as_bytes(),
        );
        out.extend_from_slice(self.context.get().as_bytes());
        out.extend_from_slice(b",\"response\":");
        out.extend_from_slice(self.response.get().as_bytes());
        out.push(b'}');
        out
    }
}

/// The marker stored instead of a state that was too large.
pub(super) fn encode_discarded(id: &str, size: usize, max: usize, expires_at_ms: u64) -> Vec<u8> {
    let mut out = format!("{{\"v\":{VERSION},\"id\":").into_bytes();
    push_json_str(&mut out, id);
    out.extend_from_slice(
        format!(
            ",\"expires_at_ms\":{expires_at_ms},\"discarded\":{{\"size\":{size},\"max\":{max}}}}}"
        )
        .as_bytes(),
    );
    out
}

/// What a stored value decodes to.
#[derive(Debug)]
pub(super) enum Decoded {
    /// A live turn.
    Live(StoredResponse),
    /// A live marker of a discarded turn.
    Discarded { size: usize, max: usize },
    /// Past its expiry.
    Expired,
}

/// Decodes the value stored for `id`.
///
/// # Errors
/// [`LoadError::Corrupt`] for anything this module did not write.
pub(super) fn decode(id: &str, bytes: &[u8], now_ms: u64) -> Result<Decoded, LoadError> {
    let corrupt = |reason: String| LoadError::Corrupt {
        id: id.to_owned(),
        reason,
    };
    let env: Envelope<'_> = object(bytes).map_err(corrupt)?;
    if env.v != VERSION {
        return Err(corrupt(format!("unknown format version {}", env.v)));
    }
    if env.id != id {
        return Err(corrupt(format!("value belongs to {:?}", env.id)));
    }
    if env.expires_at_ms.is_some_and(|t| t <= now_ms) {
        return Ok(Decoded::Expired);
    }
    if let Some(Discard { size, max }) = env.discarded {
        return Ok(Decoded::Discarded { size, max });
    }
    let context = env
        .context
        .ok_or_else(|| corrupt("no `context`".to_owned()))?;
    check_items(context).map_err(|e| corrupt(format!("`context` {e}")))?;
    let response = env
        .response
        .ok_or_else(|| corrupt("no `response`".to_owned()))?;
    let head: ResponseHead<'_> =
        object(response.get().as_bytes()).map_err(|e| corrupt(format!("`response`: {e}")))?;
    let output = head
        .output
        .ok_or_else(|| corrupt("`response` has no `output`".to_owned()))?;
    check_items(output).map_err(|e| corrupt(format!("`response.output` {e}")))?;
    Ok(Decoded::Live(StoredResponse {
        id: id.to_owned(),
        model: env.model.into_owned(),
        created_at: env.created_at,
        expires_at_ms: env.expires_at_ms,
        context: context.to_owned(),
        output: output.to_owned(),
        response: response.to_owned(),
    }))
}

/// Decodes a JSON object into `T` (serde's derived structs also accept arrays; these never
/// should).
pub(super) fn object<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, String> {
    if bytes.trim_ascii_start().first() != Some(&b'{') {
        return Err("not a JSON object".to_owned());
    }
    serde_json::from_slice(bytes).map_err(|e| e.to_string())
}

/// Whether `id` may name a key: 1 to [`MAX_ID_LEN`] bytes of printable ASCII without
/// spaces. OpenAI ids (`resp_` and hex) and those of every upstream qualify; anything else a
/// client sends is simply not found.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID_LEN && id.bytes().all(|b| b.is_ascii_graphic())
}

#[derive(Deserialize)]
struct Envelope<'a> {
    v: u32,
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow, default)]
    model: Cow<'a, str>,
    #[serde(default)]
    created_at: u64,
    #[serde(default)]
    expires_at_ms: Option<u64>,
    #[serde(borrow, default)]
    context: Option<&'a RawValue>,
    #[serde(borrow, default)]
    response: Option<&'a RawValue>,
    #[serde(default)]
    discarded: Option<Discard>,
}

#[derive(Deserialize)]
struct Discard {
    size: usize,
    max: usize,
}

/// The fields of a response object this module reads; every other field stays in its text.
#[derive(Deserialize)]
pub(super) struct ResponseHead<'a> {
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    model: Option<Cow<'a, str>>,
    #[serde(default)]
    created_at: Option<f64>,
    #[serde(borrow, default)]
    pub(super) status: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    output: Option<&'a RawValue>,
}

/// The top-level fields of a request this module reads.
#[derive(Deserialize)]
pub(super) struct RequestHead<'a> {
    #[serde(borrow, default)]
    pub(super) input: Option<&'a RawValue>,
    #[serde(borrow, default)]
    previous_response_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    store: Option<&'a RawValue>,
    #[serde(borrow, default)]
    model: Option<&'a RawValue>,
    #[serde(borrow, default)]
    conversation: Option<&'a RawValue>,
}

impl<'a> RequestHead<'a> {
    pub(super) fn parse(body: &'a [u8]) -> Result<Self, ExpandError> {
        object(body).map_err(ExpandError::NotAnObject)
    }

    /// `previous_response_id`, which OpenAI refuses alongside `conversation`.
    pub(super) fn previous_response_id(&self) -> Result<Option<String>, ExpandError> {
        match self.previous_response_id {
            None => Ok(None),
            Some(_) if self.conversation.is_some() => Err(ExpandError::ConversationConflict),
            Some(raw) => serde_json::from_str::<String>(raw.get())
                .map(Some)
                .map_err(|_| ExpandError::InvalidPreviousId),
        }
    }

    /// `store`, which defaults to `true` in the Responses API.
    pub(super) fn store(&self) -> Result<bool, ExpandError> {
        match self.store {
            None => Ok(true),
            Some(raw) => serde_json::from_str(raw.get()).map_err(|_| ExpandError::InvalidStore),
        }
    }

    fn model(&self) -> Option<String> {
        self.model
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
    }
}

/// The input items of a request as the inner text of a JSON array: a string becomes one
/// user message (its JSON string text reused as is), an array gives its items verbatim.
pub(super) fn input_items(input: Option<&RawValue>) -> Result<String, ExpandError> {
    let Some(raw) = input else {
        return Ok(String::new());
    };
    let text = raw.get();
    if text.starts_with('"') {
        return Ok(format!(
            "{{\"type\":\"message\",\"role\":\"user\",\"content\":[{{\"type\":\"input_text\",\"text\":{text}}}]}}"
        ));
    }
    check_items(raw).map_err(|_| ExpandError::InvalidInput)?;
    let mut out = String::new();
    push_inner(&mut out, text);
    Ok(out)
}

/// Checks that `raw` is an array of objects.
fn check_items(raw: &RawValue) -> Result<(), String> {
    let items: Vec<&RawValue> =
        serde_json::from_str(raw.get()).map_err(|_| "is not an array".to_owned())?;
    match items.iter().position(|i| !i.get().starts_with('{')) {
        Some(n) => Err(format!("item {n} is not an object")),
        None => Ok(()),
    }
}

/// Appends the items of the JSON array text `array` to `out` (comma-separated inner text).
fn push_inner(out: &mut String, array: &str) {
    let inner = array
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or_default()
        .trim();
    if inner.is_empty() {
        return;
    }
    if !out.is_empty() {
        out.push(',');
    }
    out.push_str(inner);
}

/// A JSON array of the given inner texts.
pub(super) fn join_arrays(inners: &[&str]) -> String {
    let len = inners.iter().map(|s| s.len() + 1).sum::<usize>() + 2;
    let mut out = String::with_capacity(len);
    out.push('[');
    let mut first = true;
    for inner in inners.iter().filter(|s| !s.is_empty()) {
        if !first {
            out.push(',');
        }
        out.push_str(inner);
        first = false;
    }
    out.push(']');
    out
}

fn raw_from(text: String) -> Result<Box<RawValue>, String> {
    RawValue::from_string(text).map_err(|e| e.to_string())
}

pub(super) fn push_json_str(out: &mut Vec<u8>, s: &str) {
    // Writing a string to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(valid_id("resp_0123abc"));
        assert!(!valid_id(""));
        assert!(!valid_id("resp 1"));
        assert!(!valid_id("résp"));
        assert!(!valid_id(&"a".repeat(MAX_ID_LEN + 1)));
    }

    #[test]
    fn input_forms() {
        assert_eq!(input_items(None).unwrap(), "");
        let s: Box<RawValue> = serde_json::from_str(r#""hi \"you\"""#).unwrap();
        assert_eq!(
            input_items(Some(&s)).unwrap(),
            r#"{"type":"message","role":"user","content":[{"type":"input_text","text":"hi \"you\""}]}"#
        );
        let a: Box<RawValue> = serde_json::from_str(r#"[ {"a":1} , {"b":2} ]"#).unwrap();
        assert_eq!(input_items(Some(&a)).unwrap(), r#"{"a":1} , {"b":2}"#);
        let e: Box<RawValue> = serde_json::from_str("[ ]").unwrap();
        assert_eq!(input_items(Some(&e)).unwrap(), "");
        for bad in ["5", "{}", "[1]", "true"] {
            let b: Box<RawValue> = serde_json::from_str(bad).unwrap();
            assert_eq!(
                input_items(Some(&b)),
                Err(ExpandError::InvalidInput),
                "{bad}"
            );
        }
    }

    #[test]
    fn joins() {
        assert_eq!(join_arrays(&["", "1", "", "2,3"]), "[1,2,3]");
        assert_eq!(join_arrays(&[]), "[]");
    }
}
