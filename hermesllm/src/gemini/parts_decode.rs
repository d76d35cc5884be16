//! Gemini parts → internal blocks (requests and responses share this).
//!
//! - `thought: true` parts are [`Block::Thinking`] carrying their own `thoughtSignature`.
//! - A `thoughtSignature` on any other part becomes a `Block::Thinking { text: "", signature,
//!   origin: Gemini }` placed just before that part's block; the encoder attaches such a
//!   pending signature to the next part, so the pair round-trips.
//! - `functionCall` parts without an `id` get `call_<n>`, where `n` counts the function calls
//!   of the document from 0. A `functionResponse` without an `id` answers the first
//!   unanswered call of the same name.
//! - `functionResponse.response` whose only key is `output` (documented) or `result` (what
//!   Google's SDKs send), or `error` (which sets `is_error`), is unwrapped; any other object is
//!   the result text as is.
//! - Video and parts the internal model does not know (`executableCode`,
//!   `codeExecutionResult`, ...) are [`Block::Unknown`] with the part's raw JSON (signature
//!   included). Part modifiers (`videoMetadata`, `mediaResolution`) of known parts are not
//!   kept.

use std::fmt;

use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::types::{Blob, FileData, FunctionCall, FunctionResponse, Json, Part, WirePart};
use crate::ir::{Block, MediaSource, ToolCallKind};
use crate::{Api, DecodeError, Raw, Str};

/// Gives function calls ids and matches function responses to them within one document.
#[derive(Debug, Default)]
pub(crate) struct CallIds<'a> {
    /// (name, id, answered) of every call seen.
    calls: Vec<(Str<'a>, Str<'a>, bool)>,
}

impl<'a> CallIds<'a> {
    /// The id of the next call: its own, or `call_<n>`.
    pub(crate) fn call(&mut self, id: Option<Str<'a>>, name: &Str<'a>) -> Str<'a> {
        let id = match id {
            Some(id) if !id.is_empty() => id,
            _ => synthesized(self.calls.len()),
        };
        self.calls.push((name.clone(), id.clone(), false));
        id
    }

    /// The id a response answers: its own, or that of the first unanswered call of the same
    /// name.
    pub(crate) fn response(&mut self, id: Option<Str<'a>>, name: &str) -> Str<'a> {
        if let Some(id) = id.filter(|id| !id.is_empty()) {
            if let Some(c) = self.calls.iter_mut().find(|c| c.1 == *id) {
                c.2 = true;
            }
            return id;
        }
        match self.calls.iter_mut().find(|c| !c.2 && c.0 == *name) {
            Some(c) => {
                c.2 = true;
                c.1.clone()
            }
            // A response to a call this document does not contain: give it the id the call
            // would have had.
            None => synthesized(self.calls.len()),
        }
    }
}

/// The id of the `n`th call of a document that has none.
pub(crate) fn synthesized<'a>(n: usize) -> Str<'a> {
    Str::from(format!("call_{n}"))
}

/// Where a part sits, for error paths.
pub(crate) type PathFn<'p> = &'p dyn Fn() -> String;

/// Decodes one part, appending its block(s) to `out`.
///
/// # Errors
/// A function call or response without a name.
pub(crate) fn decode_part<'a>(
    wire: WirePart<'a>,
    path: PathFn<'_>,
    ids: &mut CallIds<'a>,
    out: &mut Vec<Block<'a>>,
) -> Result<(), DecodeError> {
    let WirePart { part, raw } = wire;
    let Part {
        text,
        thought,
        inline_data,
        file_data,
        function_call,
        function_response,
        thought_signature,
    } = part;
    if thought == Some(true) {
        out.push(Block::Thinking {
            text: text.unwrap_or_default(),
            signature: thought_signature,
            id: None,
            origin: Api::Gemini,
        });
        return Ok(());
    }
    let block = if let Some(text) = text {
        Block::Text { text }
    } else if let Some(blob) = inline_data {
        match inline_block(blob) {
            Some(b) => b,
            None => return unknown(raw, out),
        }
    } else if let Some(file) = file_data {
        match file_block(file) {
            Some(b) => b,
            None => return unknown(raw, out),
        }
    } else if let Some(call) = function_call {
        tool_call(call, path, ids)?
    } else if let Some(resp) = function_response {
        tool_result(resp, path, ids)?
    } else {
        return unknown(raw, out);
    };
    if let Some(signature) = thought_signature {
        out.push(signature_block(signature));
    }
    out.push(block);
    Ok(())
}

/// The block that carries a signature found on a non-thought part.
pub(crate) fn signature_block(signature: Str<'_>) -> Block<'_> {
    Block::Thinking {
        text: Str::default(),
        signature: Some(signature),
        id: None,
        origin: Api::Gemini,
    }
}

fn unknown<'a>(raw: Option<Raw<'a>>, out: &mut Vec<Block<'a>>) -> Result<(), DecodeError> {
    if let Some(raw) = raw {
        out.push(Block::Unknown {
            origin: Api::Gemini,
            raw,
        });
    }
    Ok(())
}

/// `inlineData` by MIME type; `None` for kinds the internal model lacks (video).
pub(crate) fn inline_block(blob: Blob<'_>) -> Option<Block<'_>> {
    let Blob { mime_type, data } = blob;
    let block = if mime_type.starts_with("image/") {
        Block::Image {
            source: MediaSource::Base64 {
                media_type: mime_type,
                data,
            },
            detail: None,
        }
    } else if mime_type.starts_with("audio/") {
        Block::Audio {
            data,
            format: mime_type,
        }
    } else if mime_type.starts_with("video/") {
        return None;
    } else {
        Block::Document {
            source: MediaSource::Base64 {
                media_type: mime_type,
                data,
            },
            name: None,
            context: None,
            citations: None,
        }
    };
    Some(block)
}

/// `fileData` by MIME type; `None` for audio and video by URI.
pub(crate) fn file_block(file: FileData<'_>) -> Option<Block<'_>> {
    let FileData {
        mime_type,
        file_uri,
    } = file;
    let mime = mime_type.as_deref().unwrap_or("");
    if mime.starts_with("audio/") || mime.starts_with("video/") {
        return None;
    }
    let image = mime.starts_with("image/");
    let source = MediaSource::Url {
        url: file_uri,
        media_type: mime_type,
    };
    Some(if image {
        Block::Image {
            source,
            detail: None,
        }
    } else {
        Block::Document {
            source,
            name: None,
            context: None,
            citations: None,
        }
    })
}

/// A `functionCall` as a tool call; arguments are the raw `args` object text.
pub(crate) fn tool_call<'a>(
    call: FunctionCall<'a>,
    path: PathFn<'_>,
    ids: &mut CallIds<'a>,
) -> Result<Block<'a>, DecodeError> {
    let FunctionCall { id, name, args } = call;
    if name.is_empty() {
        return Err(DecodeError::invalid(
            format!("{}.functionCall.name", path()),
            "a function call needs a name",
        ));
    }
    let id = ids.call(id, &name);
    Ok(Block::ToolCall {
        id,
        name,
        arguments: args_text(args),
        kind: ToolCallKind::Function,
    })
}

/// The arguments text of a call (`{}` when absent).
pub(crate) fn args_text(args: Option<Json<'_>>) -> Str<'_> {
    match args {
        Some(Json::Raw(raw)) if !raw.is_null() => Str::borrowed(raw.get()),
        Some(Json::Owned(b)) => Str::from(b.get().to_owned()),
        _ => Str::borrowed("{}"),
    }
}

fn tool_result<'a>(
    resp: FunctionResponse<'a>,
    path: PathFn<'_>,
    ids: &mut CallIds<'a>,
) -> Result<Block<'a>, DecodeError> {
    let FunctionResponse {
        id,
        name,
        response,
        parts,
    } = resp;
    if name.is_empty() {
        return Err(DecodeError::invalid(
            format!("{}.functionResponse.name", path()),
            "a function response needs a name",
        ));
    }
    let call_id = ids.response(id, &name);
    let mut content = Vec::with_capacity(1 + parts.len());
    let mut is_error = false;
    if let Some(Json::Raw(raw)) = response {
        let (text, error) = result_text(raw);
        is_error = error;
        content.push(Block::Text { text });
    }
    for part in parts {
        let block = if let Some(blob) = part.inline_data {
            inline_block(blob)
        } else if let Some(file) = part.file_data {
            file_block(file)
        } else {
            part.text.map(|text| Block::Text { text })
        };
        content.extend(block);
    }
    Ok(Block::ToolResult {
        call_id,
        name: Some(name),
        content,
        is_error,
    })
}

/// The result text of a `functionResponse.response` object, and whether it is an error.
fn result_text(raw: Raw<'_>) -> (Str<'_>, bool) {
    let Ok(shape) = serde_json::from_str::<Wrapped<'_>>(raw.get()) else {
        return (Str::borrowed(raw.get()), false);
    };
    let (inner, error) = match shape {
        Wrapped::Output(v) => (v, false),
        Wrapped::Error(v) => (v, true),
        Wrapped::Other => return (Str::borrowed(raw.get()), false),
    };
    if inner.get().starts_with('"')
        && let Ok(s) = serde_json::from_str::<Str<'_>>(inner.get())
    {
        return (s, error);
    }
    (Str::borrowed(inner.get()), error)
}

/// The shape of a function result object: a single `output` or `error` key, or anything else.
#[derive(Debug)]
pub(crate) enum Wrapped<'a> {
    /// `{"output": v}` (documented), or `{"result": v}` (what Google's SDKs and examples
    /// send).
    Output(Raw<'a>),
    /// `{"error": v}`.
    Error(Raw<'a>),
    /// Any other object.
    Other,
}

impl<'de: 'a, 'a> Deserialize<'de> for Wrapped<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Wrapped<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<Self::Value, M::Error> {
                let mut count = 0usize;
                let mut found = Wrapped::Other;
                while let Some(key) = m.next_key::<Str<'de>>()? {
                    count += 1;
                    match key.as_str() {
                        "output" | "result" => found = Wrapped::Output(m.next_value()?),
                        "error" => found = Wrapped::Error(m.next_value()?),
                        _ => {
                            m.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(if count == 1 { found } else { Wrapped::Other })
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}
