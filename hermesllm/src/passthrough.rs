//! Same-API passthrough: edit only what the gateway owns, keep every other byte's meaning.
//!
//! When client and upstream speak the same API the body is not decoded into the internal
//! model. Only the top level is split into keys and raw values; the gateway's edits (the
//! upstream model name, `stream_options.include_usage`) replace single values, and every
//! other field — including ones this crate has never heard of — is written back verbatim.

use serde_json::value::RawValue;

use crate::wire::{Rest, from_json, from_json_str};
use crate::{DecodeError, EncodeError, Raw, open_object};

open_object! {
    /// A JSON object split at the top level only.
    struct TopLevel<'a> {}
}

/// The edits a gateway makes to a same-API request body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestEdits<'e> {
    /// Replace the body's `model` with this (the provider's model id after alias
    /// resolution). Ignored for APIs that carry the model in the path.
    pub model: Option<&'e str>,
    /// Ensure `stream_options.include_usage: true` when the body asks for a stream (OpenAI
    /// Chat streams report usage only then, and the gateway needs it for rate limits and
    /// telemetry). Non-streaming bodies are left alone: OpenAI rejects `stream_options` there.
    pub include_stream_usage: bool,
    /// Top-level keys to remove (gateway-only fields such as `routing_preferences`).
    pub remove: &'e [&'e str],
}

/// Applies `edits` to a request body.
///
/// # Errors
/// [`DecodeError`] when the body is not a JSON object.
pub fn edit_request(body: &[u8], edits: &RequestEdits<'_>) -> Result<Vec<u8>, DecodeError> {
    let top: TopLevel<'_> = from_json(body)?;
    let mut fields: Rest<'_> = top.rest;
    fields.retain(|(k, _)| !edits.remove.contains(&k.as_str()));

    let model_json;
    if let Some(model) = edits.model {
        model_json = json_string(model);
        set(&mut fields, "model", &model_json);
    }
    let options_json;
    let streaming = fields
        .iter()
        .any(|(k, v)| k.as_str() == "stream" && v.get() == "true");
    if edits.include_stream_usage && streaming {
        let existing = fields
            .iter()
            .find(|(k, _)| k.as_str() == "stream_options")
            .map(|(_, v)| v.0);
        options_json = with_include_usage(existing)?;
        set(&mut fields, "stream_options", &options_json);
    }
    write_object(&fields).map_err(|e| DecodeError::invalid("", e.to_string()))
}

/// Whether a request body asks for a stream (`"stream": true` at the top level).
///
/// # Errors
/// [`DecodeError`] when the body is not a JSON object.
pub fn is_stream(body: &[u8]) -> Result<bool, DecodeError> {
    let top: TopLevel<'_> = from_json(body)?;
    Ok(top
        .rest
        .iter()
        .any(|(k, v)| k.as_str() == "stream" && v.get() == "true"))
}

fn json_string(s: &str) -> Box<RawValue> {
    // A serialized string is always valid JSON.
    let text = serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned());
    RawValue::from_string(text).unwrap_or_else(|_| empty_object())
}

fn empty_object() -> Box<RawValue> {
    RawValue::from_string("{}".to_owned()).unwrap_or_default()
}

fn set<'a>(fields: &mut Rest<'a>, key: &'static str, value: &'a RawValue) {
    match fields.iter_mut().find(|(k, _)| k.as_str() == key) {
        Some(slot) => slot.1 = Raw(value),
        None => fields.push((key.into(), Raw(value))),
    }
}

fn with_include_usage(existing: Option<&RawValue>) -> Result<Box<RawValue>, DecodeError> {
    let mut inner: Rest<'_> = match existing {
        Some(raw) if raw.get() != "null" => {
            from_json_str::<TopLevel<'_>>(raw.get())
                .map_err(|_| DecodeError::invalid("stream_options", "must be an object"))?
                .rest
        }
        _ => Vec::new(),
    };
    let t: &RawValue =
        serde_json::from_str("true").map_err(|e| DecodeError::invalid("", e.to_string()))?;
    set(&mut inner, "include_usage", t);
    let bytes = write_object(&inner).map_err(|e| DecodeError::invalid("", e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|e| DecodeError::invalid("", e.to_string()))?;
    RawValue::from_string(text).map_err(|e| DecodeError::invalid("", e.to_string()))
}

fn write_object(fields: &Rest<'_>) -> Result<Vec<u8>, EncodeError> {
    let cap = fields
        .iter()
        .map(|(k, v)| k.len() + v.get().len() + 4)
        .sum::<usize>()
        + 2;
    let mut out = Vec::with_capacity(cap);
    out.push(b'{');
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        serde_json::to_writer(&mut out, k.as_str())?;
        out.push(b':');
        out.extend_from_slice(v.get().as_bytes());
    }
    out.push(b'}');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_model_and_keeps_unknown_fields() {
        let body = br#"{"model":"gpt-x","messages":[{"role":"user","content":"hi"}],"future_field":{"a":[1,2]},"stream":true}"#;
        let out = edit_request(
            body,
            &RequestEdits {
                model: Some("gpt-4o-mini"),
                include_stream_usage: true,
                remove: &[],
            },
        )
        .unwrap();
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"future_field":{"a":[1,2]},"stream":true,"stream_options":{"include_usage":true}}"#
        );
    }

    #[test]
    fn merges_into_existing_stream_options_and_removes_keys() {
        let body = br#"{"stream_options":{"x":1,"include_usage":false},"routing_preferences":[],"stream":true}"#;
        let out = edit_request(
            body,
            &RequestEdits {
                model: None,
                include_stream_usage: true,
                remove: &["routing_preferences"],
            },
        )
        .unwrap();
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            r#"{"stream_options":{"x":1,"include_usage":true},"stream":true}"#
        );
    }

    #[test]
    fn leaves_non_streaming_bodies_without_stream_options() {
        let body = br#"{"model":"a","stream":false}"#;
        let edits = RequestEdits {
            model: None,
            include_stream_usage: true,
            remove: &[],
        };
        assert_eq!(edit_request(body, &edits).unwrap(), body.to_vec());
    }

    #[test]
    fn rejects_non_objects() {
        assert!(edit_request(b"[1]", &RequestEdits::default()).is_err());
        assert!(edit_request(b"{", &RequestEdits::default()).is_err());
        assert!(is_stream(br#"{"stream":true}"#).unwrap());
        assert!(!is_stream(br#"{"stream":false}"#).unwrap());
    }
}
