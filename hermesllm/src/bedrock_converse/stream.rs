//! ConverseStream: eventstream frames ↔ [`ir::StreamEvent`]s.
//!
//! Bedrock streams `messageStart`, then per block `contentBlockStart` (tool calls only: text
//! and reasoning blocks are opened by their first delta), `contentBlockDelta`*,
//! `contentBlockStop`, then `messageStop` and a final `metadata` with usage. Errors arrive as
//! `exception` frames named by `:exception-type`.

use super::error::{exception_status, from_exception};
use super::events::{
    BlockStartPayload, ContentBlockDeltaEvent, ContentBlockStartEvent, ContentBlockStopEvent,
    DeltaPayload, MessageStartEvent, MessageStopEvent, MetadataEvent, ReasoningDelta, ToolUseDelta,
    ToolUseStart,
};
use super::response::{stop_from_wire, usage_from_wire};
use super::stream_fast;
use super::types::ErrorBody;
use crate::ir::{ApiError, BlockStart, Delta, ErrorKind, StreamEvent, ToolCallKind};
use crate::json::Slow;
use crate::stream::{Frame, StreamDecode};
use crate::wire::from_json;
use crate::{Api, DecodeError, Str};

const API: Api = Api::BedrockConverse;

/// What an open block is, as far as the stream codecs care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Text,
    Tool,
    Thinking,
    Redacted,
    /// A block this codec does not translate (unknown start type, foreign encrypted
    /// reasoning): its events are skipped.
    Skip,
}

/// An open block: its index upstream (`from`) and downstream (`to`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Open {
    pub(super) from: u32,
    pub(super) to: u32,
    pub(super) kind: Kind,
    /// Encoder only: reasoning of another family, whose signature must not be forwarded.
    pub(super) foreign: bool,
}

/// Turns ConverseStream frames into stream events.
///
/// Keeps only the open blocks' index mapping (a few entries), never the content.
#[derive(Debug, Default)]
pub struct StreamDecoder {
    started: bool,
    stopped: bool,
    ended: bool,
    next: u32,
    open: Vec<Open>,
}

impl StreamDecoder {
    /// A new decoder.
    pub fn new() -> Self {
        Self::default()
    }

    fn ensure_start(&mut self, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        if !self.started {
            self.started = true;
            emit(StreamEvent::Start {
                id: Str::default(),
                model: Str::default(),
                created: None,
                usage: None,
            });
        }
    }

    /// The downstream index of upstream block `from`, opening it as `kind` if needed.
    fn open_block<'p>(
        &mut self,
        from: u32,
        kind: Kind,
        start: impl FnOnce() -> BlockStart<'p>,
        emit: &mut dyn FnMut(StreamEvent<'_>),
    ) -> Open {
        if let Some(o) = self.open.iter().find(|o| o.from == from) {
            return *o;
        }
        let o = Open {
            from,
            to: self.next,
            kind,
            foreign: false,
        };
        if kind != Kind::Skip {
            self.next += 1;
            emit(StreamEvent::BlockStart {
                index: o.to,
                block: start(),
            });
        }
        self.open.push(o);
        o
    }

    fn close_all(&mut self, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        for o in self.open.drain(..) {
            if o.kind != Kind::Skip {
                emit(StreamEvent::BlockStop { index: o.to });
            }
        }
    }

    fn delta(&mut self, ev: ContentBlockDeltaEvent<'_>, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        let from = ev.content_block_index;
        let DeltaPayload {
            text,
            tool_use,
            reasoning_content,
        } = ev.delta;
        if let Some(text) = text {
            let o = self.open_block(from, Kind::Text, || BlockStart::Text, emit);
            if o.kind != Kind::Skip {
                emit(StreamEvent::Delta {
                    index: o.to,
                    delta: Delta::Text(text),
                });
            }
        }
        if let Some(ToolUseDelta { input }) = tool_use {
            // Bedrock announces tool blocks; a delta without one still gets a (nameless) block
            // so the arguments are not lost.
            let o = self.open_block(
                from,
                Kind::Tool,
                || BlockStart::ToolCall {
                    id: Str::default(),
                    name: Str::default(),
                    kind: ToolCallKind::Function,
                },
                emit,
            );
            if o.kind != Kind::Skip {
                emit(StreamEvent::Delta {
                    index: o.to,
                    delta: Delta::ToolArguments(input),
                });
            }
        }
        if let Some(ReasoningDelta {
            text,
            signature,
            redacted_content,
        }) = reasoning_content
        {
            if let Some(data) = redacted_content {
                self.open_block(
                    from,
                    Kind::Redacted,
                    || BlockStart::RedactedThinking { data, origin: API },
                    emit,
                );
            }
            let thinking = || BlockStart::Thinking {
                origin: API,
                id: None,
            };
            for delta in [text.map(Delta::Thinking), signature.map(Delta::Signature)]
                .into_iter()
                .flatten()
            {
                let o = self.open_block(from, Kind::Thinking, thinking, emit);
                if o.kind == Kind::Thinking {
                    emit(StreamEvent::Delta { index: o.to, delta });
                }
            }
        }
    }
}

impl StreamDecode for StreamDecoder {
    fn decode(
        &mut self,
        frame: &Frame<'_>,
        emit: &mut dyn FnMut(StreamEvent<'_>),
    ) -> Result<(), DecodeError> {
        let Frame::EventStream {
            message_type,
            event_type,
            payload,
        } = *frame
        else {
            return Err(DecodeError::Stream(
                "Bedrock streams are eventstream frames, not SSE".into(),
            ));
        };
        if self.ended {
            return Ok(());
        }
        if message_type != "event" {
            // `exception` (named by :exception-type) or `error` (named by :error-code).
            let body: ErrorBody<'_> = serde_json::from_slice(payload).unwrap_or_default();
            let message = body.message.unwrap_or_else(|| Str::borrowed(event_type));
            let status = exception_status(event_type).unwrap_or(500);
            let err = from_exception(status, Some(Str::borrowed(event_type)), message);
            self.ended = true;
            emit(StreamEvent::Error(err));
            return Ok(());
        }
        match event_type {
            "messageStart" => {
                let _: MessageStartEvent<'_> = from_json(payload)?;
                self.ensure_start(emit);
            }
            "contentBlockStart" => {
                let ev: ContentBlockStartEvent<'_> = from_json(payload)?;
                self.ensure_start(emit);
                match ev.start {
                    BlockStartPayload {
                        tool_use: Some(ToolUseStart { tool_use_id, name }),
                    } => {
                        self.open_block(
                            ev.content_block_index,
                            Kind::Tool,
                            || BlockStart::ToolCall {
                                id: tool_use_id,
                                name,
                                kind: ToolCallKind::Function,
                            },
                            emit,
                        );
                    }
                    BlockStartPayload { tool_use: None } => {
                        self.open_block(
                            ev.content_block_index,
                            Kind::Skip,
                            || BlockStart::Text,
                            emit,
                        );
                    }
                }
            }
            "contentBlockDelta" => {
                let ev = match stream_fast::content_block_delta(payload) {
                    Ok(ev) => ev,
                    Err(Slow) => from_json(payload)?,
                };
                self.ensure_start(emit);
                self.delta(ev, emit);
            }
            "contentBlockStop" => {
                let ev: ContentBlockStopEvent = from_json(payload)?;
                if let Some(pos) = self
                    .open
                    .iter()
                    .position(|o| o.from == ev.content_block_index)
                {
                    let o = self.open.swap_remove(pos);
                    if o.kind != Kind::Skip {
                        emit(StreamEvent::BlockStop { index: o.to });
                    }
                }
            }
            "messageStop" => {
                let ev: MessageStopEvent<'_> = from_json(payload)?;
                self.ensure_start(emit);
                self.close_all(emit);
                self.stopped = true;
                emit(StreamEvent::Stop {
                    reason: (!ev.stop_reason.is_empty()).then(|| stop_from_wire(ev.stop_reason)),
                    stop_sequence: ev
                        .additional_model_response_fields
                        .and_then(|a| a.stop_sequence),
                });
            }
            "metadata" => {
                let ev: MetadataEvent = from_json(payload)?;
                if let Some(u) = ev.usage {
                    emit(StreamEvent::Usage(usage_from_wire(&u)));
                }
            }
            // Newer event types are skipped rather than failing the stream.
            _ => {}
        }
        Ok(())
    }

    fn finish(&mut self, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        if self.ended {
            return;
        }
        self.ended = true;
        if self.stopped {
            emit(StreamEvent::Done);
        } else {
            emit(StreamEvent::Error(ApiError::new(
                ErrorKind::Server,
                "the Bedrock stream ended before messageStop (truncated)",
            )));
        }
    }
}
