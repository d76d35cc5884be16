//! Reading a Responses request's state fields, and rewriting a request that names
//! `previous_response_id` into a self-contained one.

use hermesllm::wire::{Rest, from_json};

use super::error::ExpandError;
use super::stored::{RequestHead, StoredResponse, input_items, join_arrays};

hermesllm::open_object! {
    /// A request body split at the top level only, every value kept as its JSON text.
    struct TopLevel<'a> {}
}

/// What a Responses request asks of conversation state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnInfo {
    /// The response this turn continues, if any: [`load`](super::load) it, then
    /// [`expand_request`].
    pub previous_response_id: Option<String>,
    /// Whether to keep this turn (`store`, default `true`): [`save`](super::save) honours it.
    pub store: bool,
}

/// Reads `previous_response_id` and `store` from a `POST /v1/responses` body.
///
/// # Errors
/// [`ExpandError`] (client fault) when the body is not an object or the fields have the
/// wrong type.
pub fn inspect(body: &[u8]) -> Result<TurnInfo, ExpandError> {
    let head = RequestHead::parse(body)?;
    Ok(TurnInfo {
        previous_response_id: head.previous_response_id()?,
        store: head.store()?,
    })
}

/// Rewrites a request naming `previous_response_id` into a self-contained one: `input`
/// becomes the stored conversation followed by the new input (a string input as one user
/// message), `previous_response_id` is removed, and every other top-level field keeps its
/// place and its exact JSON text. `instructions` is the new request's own: OpenAI does not
/// carry instructions over from the previous response, and they are never stored.
///
/// The result is what the gateway translates for the upstream, and what it passes to
/// [`save`](super::save) once the response is known.
///
/// # Errors
/// [`ExpandError`]: the body is not an object, `input` is not a string or an array of
/// objects, or `stored` is not the response the body names ([`ExpandError::Mismatch`]).
pub fn expand_request(body: &[u8], stored: &StoredResponse) -> Result<Vec<u8>, ExpandError> {
    let head = RequestHead::parse(body)?;
    if let Some(requested) = head.previous_response_id()?
        && requested != stored.id()
    {
        return Err(ExpandError::Mismatch {
            requested,
            stored: stored.id().to_owned(),
        });
    }
    let new_items = input_items(head.input)?;
    let input = join_arrays(&[&stored.items_inner(), &new_items]);

    let top: TopLevel<'_> = from_json(body).map_err(|e| ExpandError::NotAnObject(e.to_string()))?;
    Ok(write(&top.rest, &input))
}

/// Writes the fields in order, `input` replaced (or appended), `previous_response_id` left
/// out. A key repeated in the body keeps only its first `input`.
fn write(fields: &Rest<'_>, input: &str) -> Vec<u8> {
    let size = fields
        .iter()
        .map(|(k, v)| k.len() + v.get().len() + 4)
        .sum::<usize>()
        + input.len()
        + 16;
    let mut out = Vec::with_capacity(size);
    out.push(b'{');
    let mut wrote_input = false;
    let mut first = true;
    let mut field = |out: &mut Vec<u8>, key: &str, value: &str| {
        if !first {
            out.push(b',');
        }
        first = false;
        super::stored::push_json_str(out, key);
        out.push(b':');
        out.extend_from_slice(value.as_bytes());
    };
    for (key, value) in fields {
        match key.as_str() {
            "previous_response_id" => {}
            "input" if wrote_input => {}
            "input" => {
                field(&mut out, "input", input);
                wrote_input = true;
            }
            k => field(&mut out, k, value.get()),
        }
    }
    if !wrote_input {
        field(&mut out, "input", input);
    }
    out.push(b'}');
    out
}
