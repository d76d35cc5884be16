//! Chunks → internal stream events.

use super::{ChatChunk, ChunkChoice, fast};
use crate::ir::{self, BlockStart, Delta, StreamEvent, ToolCallKind, Usage};
use crate::json::Slow;
use crate::openai_chat::error::from_error_field;
use crate::openai_chat::response::{UsageWire, finish_to_ir, usage_to_ir};
use crate::openai_chat::types::{FunctionCallWire, ToolCallWire};
use crate::stream::{Frame, StreamDecode};
use crate::wire::from_json_str;
use crate::{Api, DecodeError, Str};

/// Decodes a Chat Completions stream (SSE frames without event names).
///
/// Blocks are opened as content arrives: reasoning (`reasoning_content`), text, refusal and
/// tool calls. A reasoning, text or refusal block closes when another block starts; tool-call
/// blocks stay open until the finish reason (or a text block) so that upstreams interleaving
/// the argument deltas of parallel calls are followed exactly. Only choice 0 is decoded (the
/// internal stream has one choice). Usage that arrives before the finish reason is held and
/// emitted after [`StreamEvent::Stop`]. `data: [DONE]` ends the stream with
/// [`StreamEvent::Done`]; `data: {"error": ...}` with [`StreamEvent::Error`].
///
/// Memory: a few counters and one entry per tool call of the response.
#[derive(Debug, Default)]
pub struct StreamDecoder {
    started: bool,
    /// `Done` or `Error` was emitted: nothing follows.
    ended: bool,
    /// A finish reason was seen (`Stop` emitted).
    stopped: bool,
    next_index: u32,
    /// The open reasoning, text or refusal block: (IR index, kind).
    open: Option<(u32, TextKind)>,
    /// Open tool-call blocks: (OpenAI tool-call index, IR index), in IR order.
    tools: Vec<(u32, u32)>,
    pending_usage: Option<Usage>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextKind {
    Thinking,
    Text,
    Refusal,
}

/// The key of the legacy single `function_call` among tool-call indexes.
const LEGACY_FUNCTION: u32 = u32::MAX;

impl StreamDecoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        StreamDecoder::default()
    }

    /// Decodes the fields of a chunk (not an error).
    fn chunk(
        &mut self,
        id: Str<'_>,
        model: Str<'_>,
        created: Option<u64>,
        choices: &[ChunkChoice<'_>],
        usage: Option<&UsageWire>,
        emit: &mut dyn FnMut(StreamEvent<'_>),
    ) {
        if !self.started {
            self.started = true;
            emit(StreamEvent::Start {
                id,
                model,
                created,
                usage: None,
            });
        }
        for c in choices.iter().filter(|c| c.index == 0) {
            self.choice(c, emit);
        }
        if let Some(u) = usage {
            let u = usage_to_ir(u);
            if self.stopped {
                emit(StreamEvent::Usage(u));
            } else {
                self.pending_usage = Some(u);
            }
        }
    }

    fn choice(&mut self, c: &ChunkChoice<'_>, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        let d = &c.delta;
        if let Some(t) = d
            .reasoning_content
            .as_ref()
            .or(d.reasoning.as_ref())
            .filter(|t| !t.is_empty())
        {
            self.text_like(TextKind::Thinking, t, emit);
        }
        if let Some(t) = d.content.as_ref().filter(|t| !t.is_empty()) {
            self.text_like(TextKind::Text, t, emit);
        }
        if let Some(t) = d.refusal.as_ref().filter(|t| !t.is_empty()) {
            self.text_like(TextKind::Refusal, t, emit);
        }
        for (pos, tc) in d.tool_calls.iter().flatten().enumerate() {
            let key = tc
                .index
                .unwrap_or_else(|| u32::try_from(pos).unwrap_or(LEGACY_FUNCTION - 1));
            self.tool_delta(key, tc, emit);
        }
        if let Some(f) = &d.function_call {
            let tc = ToolCallWire {
                id: f.name.clone(),
                function: Some(FunctionCallWire::clone(f)),
                ..ToolCallWire::default()
            };
            self.tool_delta(LEGACY_FUNCTION, &tc, emit);
        }
        if let Some(reason) = &c.finish_reason {
            self.close_all(emit);
            emit(StreamEvent::Stop {
                reason: Some(finish_to_ir(reason.reborrow())),
                stop_sequence: None,
            });
            self.stopped = true;
            if let Some(u) = self.pending_usage.take() {
                emit(StreamEvent::Usage(u));
            }
        }
    }

    fn text_like(&mut self, kind: TextKind, text: &Str<'_>, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        let index = match self.open {
            Some((index, k)) if k == kind => index,
            _ => {
                self.close_all(emit);
                let index = self.start_block(emit, || match kind {
                    TextKind::Thinking => BlockStart::Thinking {
                        origin: Api::OpenAiChat,
                        id: None,
                    },
                    TextKind::Text => BlockStart::Text,
                    TextKind::Refusal => BlockStart::Refusal,
                });
                self.open = Some((index, kind));
                index
            }
        };
        let text = text.reborrow();
        let delta = match kind {
            TextKind::Thinking => Delta::Thinking(text),
            TextKind::Text | TextKind::Refusal => Delta::Text(text),
        };
        emit(StreamEvent::Delta { index, delta });
    }

    fn tool_delta(
        &mut self,
        key: u32,
        tc: &ToolCallWire<'_>,
        emit: &mut dyn FnMut(StreamEvent<'_>),
    ) {
        let custom = tc.custom.is_some() || tc.kind.as_deref() == Some("custom");
        let index = match self.tools.iter().find(|(k, _)| *k == key) {
            Some((_, index)) => *index,
            None => {
                if let Some((index, _)) = self.open.take() {
                    emit(StreamEvent::BlockStop { index });
                }
                let name = match (&tc.function, &tc.custom) {
                    (Some(f), _) => f.name.as_ref(),
                    (None, Some(c)) => c.name.as_ref(),
                    (None, None) => None,
                };
                let index = self.start_block(emit, || BlockStart::ToolCall {
                    id: tc.id.as_ref().map(Str::reborrow).unwrap_or_default(),
                    name: name.map(Str::reborrow).unwrap_or_default(),
                    kind: if custom {
                        ToolCallKind::Custom
                    } else {
                        ToolCallKind::Function
                    },
                });
                self.tools.push((key, index));
                index
            }
        };
        let args = match (&tc.function, &tc.custom) {
            (Some(f), _) => f.arguments.as_ref(),
            (None, Some(c)) => c.input.as_ref(),
            (None, None) => None,
        };
        if let Some(a) = args.filter(|a| !a.is_empty()) {
            emit(StreamEvent::Delta {
                index,
                delta: Delta::ToolArguments(a.reborrow()),
            });
        }
    }

    fn start_block<'e>(
        &mut self,
        emit: &mut dyn FnMut(StreamEvent<'_>),
        block: impl FnOnce() -> BlockStart<'e>,
    ) -> u32 {
        let index = self.next_index;
        self.next_index = self.next_index.saturating_add(1);
        emit(StreamEvent::BlockStart {
            index,
            block: block(),
        });
        index
    }

    /// Closes every open block, in index order (a text-like block and tool calls are never
    /// open together).
    fn close_all(&mut self, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        if let Some((index, _)) = self.open.take() {
            emit(StreamEvent::BlockStop { index });
        }
        for (_, index) in self.tools.drain(..) {
            emit(StreamEvent::BlockStop { index });
        }
    }

    fn end(&mut self, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        self.close_all(emit);
        if let Some(u) = self.pending_usage.take() {
            emit(StreamEvent::Usage(u));
        }
        self.ended = true;
        emit(StreamEvent::Done);
    }
}

impl StreamDecode for StreamDecoder {
    fn decode(
        &mut self,
        frame: &Frame<'_>,
        emit: &mut dyn FnMut(StreamEvent<'_>),
    ) -> Result<(), DecodeError> {
        let Frame::Sse { data, .. } = frame else {
            return Err(DecodeError::Stream(
                "Chat Completions streams are Server-Sent Events".into(),
            ));
        };
        let data = data.trim();
        if self.ended || data.is_empty() {
            return Ok(());
        }
        if data == "[DONE]" {
            self.end(emit);
            return Ok(());
        }
        match fast::chunk(data) {
            Ok(c) => self.chunk(
                c.id,
                c.model,
                c.created,
                c.choice.as_slice(),
                c.usage.as_ref(),
                emit,
            ),
            Err(Slow) => {
                let chunk: ChatChunk<'_> = from_json_str(data)?;
                if let Some(err) = chunk.error {
                    self.ended = true;
                    emit(StreamEvent::Error(from_error_field(0, *err)));
                    return Ok(());
                }
                self.chunk(
                    chunk.id,
                    chunk.model,
                    chunk.created,
                    &chunk.choices,
                    chunk.usage.as_ref(),
                    emit,
                );
            }
        }
        Ok(())
    }

    /// A stream that saw `[DONE]` is complete; one that saw a finish reason but no `[DONE]`
    /// (some compatible servers omit it) is closed with [`StreamEvent::Done`]; anything else
    /// was cut short and ends with a [`StreamEvent::Error`].
    fn finish(&mut self, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        if self.ended {
            return;
        }
        if self.stopped {
            self.end(emit);
            return;
        }
        self.ended = true;
        emit(StreamEvent::Error(ir::ApiError::new(
            ir::ErrorKind::Server,
            "upstream stream ended before the response was complete",
        )));
    }
}
