//! Internal stream events → Gemini SSE stream (`data: {GenerateContentResponse}` chunks).
//!
//! Each text or thought delta is one chunk with one part. Gemini function calls arrive whole,
//! so the arguments of an open tool-call block are buffered (per block, several at once for
//! interleaved parallel calls) and written as one `functionCall` part when the block stops.
//! A signature-only Gemini thinking block is held and attached to the next part, like in
//! non-streamed responses; signatures of other families are not written. `Done` writes the
//! last chunk with the finish reason (`STOP` when none was given) and the usage; `Error`
//! writes Gemini's error object as an event.

use super::error::error_body;
use super::parts_encode::call_args;
use super::response::{encode_finish_reason, encode_usage};
use super::types::{Candidate, Content, FunctionCall, GenerateContentResponse, Part};
use crate::ir::{BlockStart, Delta, StreamEvent, ToolCallKind, Usage};
use crate::stream::{StreamEncode, StreamMeta, write_json_event};
use crate::wire::Rest;
use crate::{Family, Losses, Str};

/// What an open block needs until it stops.
#[derive(Debug)]
enum Block {
    Text,
    Thinking {
        /// Signatures of other families are not valid for Gemini.
        gemini: bool,
        has_text: bool,
        /// The signature, while no text was written.
        signature: String,
    },
    Tool {
        id: String,
        name: String,
        custom: bool,
        arguments: String,
    },
    Ignored,
}

/// Encodes internal events as a Gemini SSE stream.
#[derive(Debug)]
pub struct StreamEncoder<'m> {
    meta: StreamMeta<'m>,
    id: Option<String>,
    model: Option<String>,
    /// Open blocks by index.
    open: Vec<(u32, Block)>,
    /// A Gemini signature waiting for the next part.
    pending: Option<String>,
    finish_reason: Option<&'static str>,
    other_reason: Option<String>,
    usage: Option<Usage>,
    ended: bool,
}

impl<'m> StreamEncoder<'m> {
    /// A new encoder; `meta` supplies the id and model when the events have none.
    pub fn new(meta: StreamMeta<'m>) -> Self {
        StreamEncoder {
            meta,
            id: None,
            model: None,
            open: Vec::new(),
            pending: None,
            finish_reason: None,
            other_reason: None,
            usage: None,
            ended: false,
        }
    }

    fn chunk<'s>(
        &'s self,
        parts: Vec<Part<'s>>,
        finish_reason: Option<Str<'s>>,
    ) -> GenerateContentResponse<'s> {
        let content = (!parts.is_empty()).then(|| Content {
            role: Some(Str::borrowed("model")),
            parts: parts.into_iter().map(Into::into).collect(),
        });
        GenerateContentResponse {
            candidates: vec![Candidate {
                content,
                finish_reason,
                index: Some(0),
                logprobs_result: None,
            }],
            prompt_feedback: None,
            usage_metadata: None,
            model_version: Str::borrowed(self.model.as_deref().unwrap_or(&self.meta.model)),
            response_id: Str::borrowed(self.id.as_deref().unwrap_or(&self.meta.id)),
            rest: Rest::new(),
        }
    }

    /// Writes one part, with the pending signature attached (or written before it when the
    /// part has its own).
    fn write_part(&mut self, part: Part<'_>, out: &mut Vec<u8>) {
        let pending = self.pending.take();
        // Re-bound so the part may borrow the pending signature (a shorter lifetime).
        let mut part: Part<'_> = part;
        let mut parts = Vec::with_capacity(2);
        if let Some(sig) = pending.as_deref() {
            if part.thought_signature.is_none() && part.thought != Some(true) {
                part.thought_signature = Some(Str::borrowed(sig));
            } else {
                parts.push(signature_part(sig));
            }
        }
        parts.push(part);
        write_json_event(out, None, &self.chunk(parts, None));
    }

    fn flush_pending(&mut self, out: &mut Vec<u8>) {
        if let Some(sig) = self.pending.take() {
            write_json_event(out, None, &self.chunk(vec![signature_part(&sig)], None));
        }
    }

    fn block_mut(&mut self, index: u32) -> Option<&mut Block> {
        self.open
            .iter_mut()
            .find(|b| b.0 == index)
            .map(|b| &mut b.1)
    }

    fn delta(&mut self, index: u32, delta: &Delta<'_>, out: &mut Vec<u8>) {
        let Some(block) = self.block_mut(index) else {
            return;
        };
        match (block, delta) {
            (Block::Text, Delta::Text(t)) => {
                let part = Part {
                    text: Some(t.reborrow()),
                    ..Part::default()
                };
                self.write_part(part, out);
            }
            (Block::Thinking { has_text, .. }, Delta::Thinking(t)) => {
                *has_text = true;
                self.flush_pending(out);
                let part = Part {
                    text: Some(t.reborrow()),
                    thought: Some(true),
                    ..Part::default()
                };
                self.write_part(part, out);
            }
            (
                Block::Thinking {
                    gemini: true,
                    has_text,
                    signature,
                },
                Delta::Signature(s),
            ) => {
                if *has_text {
                    let part = Part {
                        text: Some(Str::default()),
                        thought: Some(true),
                        thought_signature: Some(s.reborrow()),
                        ..Part::default()
                    };
                    self.write_part(part, out);
                } else {
                    signature.push_str(s);
                }
            }
            (Block::Tool { arguments, .. }, Delta::ToolArguments(a)) => arguments.push_str(a),
            _ => {}
        }
    }

    fn stop_block(&mut self, index: u32, out: &mut Vec<u8>) {
        let Some(pos) = self.open.iter().position(|b| b.0 == index) else {
            return;
        };
        let (_, block) = self.open.remove(pos);
        match block {
            Block::Tool {
                id,
                name,
                custom,
                arguments,
            } => {
                let kind = if custom {
                    ToolCallKind::Custom
                } else {
                    ToolCallKind::Function
                };
                // Streams carry no loss report; the non-streamed encoder records these.
                let mut ignored = Losses::default();
                let args = call_args(&arguments, kind, String::new, &mut ignored);
                let part = Part {
                    function_call: Some(FunctionCall {
                        id: (!id.is_empty()).then(|| Str::borrowed(&id)),
                        name: Str::borrowed(&name),
                        args: Some(args),
                    }),
                    ..Part::default()
                };
                self.write_part(part, out);
            }
            Block::Thinking {
                gemini: true,
                has_text: false,
                signature,
            } if !signature.is_empty() => {
                self.flush_pending(out);
                self.pending = Some(signature);
            }
            _ => {}
        }
    }

    fn done(&mut self, out: &mut Vec<u8>) {
        // Blocks still open (a source that never closed them) are closed first.
        while let Some(&(index, _)) = self.open.first() {
            self.stop_block(index, out);
        }
        self.flush_pending(out);
        let reason = match (&self.other_reason, self.finish_reason) {
            (Some(r), _) => Str::borrowed(r.as_str()),
            (None, Some(r)) => Str::borrowed(r),
            (None, None) => Str::borrowed("STOP"),
        };
        let mut chunk = self.chunk(Vec::new(), Some(reason));
        chunk.usage_metadata = self.usage.as_ref().map(encode_usage);
        write_json_event(out, None, &chunk);
    }
}

/// A signature with no part to sit on: an empty text part carrying it (Gemini's own shape
/// for a trailing signature; decoders skip the empty text).
fn signature_part(sig: &str) -> Part<'_> {
    Part {
        text: Some(Str::default()),
        thought_signature: Some(Str::borrowed(sig)),
        ..Part::default()
    }
}

impl StreamEncode for StreamEncoder<'_> {
    fn encode(&mut self, event: &StreamEvent<'_>, out: &mut Vec<u8>) {
        if self.ended {
            return;
        }
        match event {
            StreamEvent::Start {
                id,
                model,
                created: _,
                usage,
            } => {
                self.id = (!id.is_empty()).then(|| id.to_string());
                self.model = (!model.is_empty()).then(|| model.to_string());
                self.usage = *usage;
            }
            StreamEvent::BlockStart { index, block } => {
                let state = match block {
                    BlockStart::Text | BlockStart::Refusal => Block::Text,
                    BlockStart::ToolCall { id, name, kind } => Block::Tool {
                        id: id.to_string(),
                        name: name.to_string(),
                        custom: *kind == ToolCallKind::Custom,
                        arguments: String::new(),
                    },
                    BlockStart::Thinking { origin, id: _ } => Block::Thinking {
                        gemini: origin.family() == Family::Gemini,
                        has_text: false,
                        signature: String::new(),
                    },
                    BlockStart::RedactedThinking { .. } => Block::Ignored,
                };
                self.open.push((*index, state));
            }
            StreamEvent::Delta { index, delta } => self.delta(*index, delta, out),
            StreamEvent::BlockStop { index } => self.stop_block(*index, out),
            StreamEvent::Stop {
                reason,
                stop_sequence: _,
            } => {
                if let Some(r) = reason {
                    let (name, _) = encode_finish_reason(r);
                    match GEMINI_STATIC.iter().find(|s| **s == name) {
                        Some(s) => self.finish_reason = Some(s),
                        None => self.other_reason = Some(name.to_owned()),
                    }
                }
            }
            StreamEvent::Usage(u) => self.usage = Some(*u),
            StreamEvent::Error(e) => {
                self.ended = true;
                write_json_event(out, None, &error_body(e));
            }
            StreamEvent::Done => {
                self.ended = true;
                self.done(out);
            }
        }
    }
}

/// Finish reasons the encoder writes most, kept without allocating.
const GEMINI_STATIC: &[&str] = &["STOP", "MAX_TOKENS", "SAFETY", "OTHER"];
