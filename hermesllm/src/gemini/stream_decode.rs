//! Gemini SSE stream → internal stream events.
//!
//! Each `data:` event is a whole `GenerateContentResponse` holding part deltas; there are no
//! event names and no `[DONE]`. Gemini has no block boundaries, so the decoder makes them: a
//! change of part kind (text ↔ thought) closes the open block; a function call (always whole)
//! is a block of its own with its arguments as one delta; a `thoughtSignature` on a thought
//! part is a signature delta of the thinking block, and on any other part a signature-only
//! thinking block just before that part (as in non-streamed responses). Empty text parts
//! without a signature are skipped. Only the first candidate is streamed.
//!
//! `usageMetadata` is cumulative (the last one is final); the finish reason and usage are
//! emitted by [`StreamDecode::finish`], which ends with `Done` only when a finish reason (or a
//! blocked prompt) was seen and with an `Error` otherwise (truncated stream).

use super::error::decode_stream_error;
use super::parts_decode::{args_text, synthesized};
use super::response::{decode_finish_reason, decode_usage};
use super::types::{FunctionCall, GenerateContentResponse, Part, PromptFeedback, WirePart};
use crate::ir::{
    ApiError, BlockStart, Delta, ErrorKind, StopReason, StreamEvent, ToolCallKind, Usage,
};
use crate::stream::{Frame, StreamDecode};
use crate::wire::from_json_str;
use crate::{Api, DecodeError, Str};

/// The kind of the open block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Text,
    Thinking,
}

/// Decodes a Gemini `streamGenerateContent?alt=sse` stream.
#[derive(Debug, Default)]
pub struct StreamDecoder {
    started: bool,
    /// The open block and its index.
    open: Option<(Open, u32)>,
    /// The index the next block gets.
    next_index: u32,
    /// Function calls seen (for `call_<n>` ids).
    calls: usize,
    finish_reason: Option<Str<'static>>,
    blocked: bool,
    usage: Option<Usage>,
    /// An error event was emitted, or `finish` ran: nothing more is emitted.
    ended: bool,
}

impl StreamDecoder {
    /// A new decoder.
    pub fn new() -> Self {
        StreamDecoder::default()
    }

    fn close(&mut self, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        if let Some((_, index)) = self.open.take() {
            emit(StreamEvent::BlockStop { index });
        }
    }

    /// Opens a block of `kind` unless one is open; returns its index.
    fn ensure(&mut self, kind: Open, emit: &mut dyn FnMut(StreamEvent<'_>)) -> u32 {
        if let Some((open, index)) = self.open
            && open == kind
        {
            return index;
        }
        self.close(emit);
        let index = self.start_block(
            match kind {
                Open::Text => BlockStart::Text,
                Open::Thinking => BlockStart::Thinking {
                    origin: Api::Gemini,
                    id: None,
                },
            },
            emit,
        );
        self.open = Some((kind, index));
        index
    }

    fn start_block(&mut self, block: BlockStart<'_>, emit: &mut dyn FnMut(StreamEvent<'_>)) -> u32 {
        let index = self.next_index;
        self.next_index = self.next_index.saturating_add(1);
        emit(StreamEvent::BlockStart { index, block });
        index
    }

    fn part(&mut self, part: Part<'_>, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        let Part {
            text,
            thought,
            inline_data: _,
            file_data: _,
            function_call,
            function_response: _,
            thought_signature,
        } = part;
        if thought == Some(true) {
            let index = self.ensure(Open::Thinking, emit);
            if let Some(t) = text.filter(|t| !t.is_empty()) {
                emit(StreamEvent::Delta {
                    index,
                    delta: Delta::Thinking(t),
                });
            }
            if let Some(sig) = thought_signature {
                emit(StreamEvent::Delta {
                    index,
                    delta: Delta::Signature(sig),
                });
            }
            return;
        }
        if let Some(sig) = thought_signature {
            self.close(emit);
            let index = self.start_block(
                BlockStart::Thinking {
                    origin: Api::Gemini,
                    id: None,
                },
                emit,
            );
            emit(StreamEvent::Delta {
                index,
                delta: Delta::Signature(sig),
            });
            emit(StreamEvent::BlockStop { index });
        }
        if let Some(t) = text {
            if !t.is_empty() {
                let index = self.ensure(Open::Text, emit);
                emit(StreamEvent::Delta {
                    index,
                    delta: Delta::Text(t),
                });
            }
        } else if let Some(call) = function_call {
            self.call(call, emit);
        }
        // Media and parts the stream events cannot carry (`executableCode`, ...) are skipped.
    }

    fn call(&mut self, call: FunctionCall<'_>, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        self.close(emit);
        let FunctionCall { id, name, args } = call;
        let id = match id {
            Some(id) if !id.is_empty() => id,
            _ => synthesized(self.calls),
        };
        self.calls = self.calls.saturating_add(1);
        let index = self.start_block(
            BlockStart::ToolCall {
                id,
                name,
                kind: ToolCallKind::Function,
            },
            emit,
        );
        emit(StreamEvent::Delta {
            index,
            delta: Delta::ToolArguments(args_text(args)),
        });
        emit(StreamEvent::BlockStop { index });
    }
}

impl StreamDecode for StreamDecoder {
    fn decode(
        &mut self,
        frame: &Frame<'_>,
        emit: &mut dyn FnMut(StreamEvent<'_>),
    ) -> Result<(), DecodeError> {
        let data = match frame {
            Frame::Sse { data, .. } => *data,
            Frame::EventStream { .. } => {
                return Err(DecodeError::Stream(
                    "Gemini streams are server-sent events".into(),
                ));
            }
        };
        let data = data.trim();
        if self.ended || data.is_empty() || data == "[DONE]" {
            return Ok(());
        }
        let chunk: GenerateContentResponse<'_> = from_json_str(data)?;
        if chunk.rest.iter().any(|(k, _)| k.as_str() == "error") {
            self.ended = true;
            emit(StreamEvent::Error(decode_stream_error(data)));
            return Ok(());
        }
        let GenerateContentResponse {
            candidates,
            prompt_feedback,
            usage_metadata,
            model_version,
            response_id,
            rest: _,
        } = chunk;
        if !self.started {
            self.started = true;
            emit(StreamEvent::Start {
                id: response_id,
                model: model_version,
                created: None,
                usage: None,
            });
        }
        if let Some(u) = usage_metadata {
            self.usage = Some(decode_usage(&u));
        }
        if let Some(pf) = prompt_feedback {
            self.blocked |= serde_json::from_str::<PromptFeedback<'_>>(pf.get())
                .ok()
                .and_then(|f| f.block_reason)
                .is_some();
        }
        let Some(cand) = candidates.into_iter().find(|c| c.index.unwrap_or(0) == 0) else {
            return Ok(());
        };
        if let Some(content) = cand.content {
            for WirePart { part, raw: _ } in content.parts {
                self.part(part, emit);
            }
        }
        if let Some(reason) = cand.finish_reason {
            self.finish_reason = Some(reason.into_owned());
        }
        Ok(())
    }

    fn finish(&mut self, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        if self.ended {
            return;
        }
        self.ended = true;
        let reason = match self.finish_reason.take() {
            Some(r) => decode_finish_reason(r, self.calls > 0),
            None if self.blocked => StopReason::ContentFilter,
            None => {
                emit(StreamEvent::Error(ApiError::new(
                    ErrorKind::Server,
                    "the Gemini stream ended without a finish reason (truncated)",
                )));
                return;
            }
        };
        self.close(emit);
        emit(StreamEvent::Stop {
            reason: Some(reason),
            stop_sequence: None,
        });
        if let Some(u) = self.usage {
            emit(StreamEvent::Usage(u));
        }
        emit(StreamEvent::Done);
    }
}
