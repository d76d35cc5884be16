//! Responses SSE events → IR stream events.

use super::error::from_fields;
use super::response::{stop_reason, usage_from_wire};
use super::response_types::{ErrorFields, ResponseBody};
use super::stream_types::{ErrorEventW, EventW};
use super::types::{ItemFields, Parsed, StrOr};
use crate::ir::{self, BlockStart, Delta, StreamEvent, ToolCallKind};
use crate::stream::{Frame, StreamDecode};
use crate::{Api, DecodeError, Str};

/// What an open IR block is, to know how its item closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A content part of a message (text or refusal), keyed by `content_index`.
    Part(u32),
    /// A function or custom tool call.
    Call,
    /// A reasoning item.
    Reasoning,
}

/// An open block: which output item (and part) it is, its IR index, and whether any content
/// arrived as deltas (if not, the `.done` event's full value is emitted instead).
#[derive(Debug, Clone, Copy)]
struct Open {
    output_index: u32,
    kind: Kind,
    index: u32,
    has_content: bool,
    summary_parts: u32,
}

/// Decodes a Responses event stream.
///
/// Each message content part, function/custom tool call and reasoning item is one IR block;
/// reasoning summary parts are joined with blank lines (as in [`decode_response`]) and
/// `encrypted_content` from `output_item.done` is the signature. Built-in tool items
/// (`web_search_call`, ...) have no stream representation in the IR and are skipped.
/// `response.completed`/`response.incomplete` yield [`StreamEvent::Stop`] and
/// [`StreamEvent::Usage`]; `response.failed` and `error` events yield
/// [`StreamEvent::Error`].
///
/// Memory: only the open blocks (a few integers each) are kept.
///
/// [`decode_response`]: super::decode_response
#[derive(Debug, Default)]
pub struct StreamDecoder {
    open: Vec<Open>,
    next_index: u32,
    /// Output indexes of messages whose parts were announced by `content_part.added`.
    announced: Vec<u32>,
    has_calls: bool,
    completed: bool,
    failed: bool,
}

impl StreamDecoder {
    /// A new decoder.
    pub fn new() -> Self {
        StreamDecoder::default()
    }

    fn start(&mut self, output_index: u32, kind: Kind) -> u32 {
        let index = self.next_index;
        self.next_index = self.next_index.saturating_add(1);
        self.open.push(Open {
            output_index,
            kind,
            index,
            has_content: false,
            summary_parts: 0,
        });
        index
    }

    fn find(&mut self, output_index: Option<u32>, kind: Kind) -> Option<&mut Open> {
        let oi = output_index?;
        self.open
            .iter_mut()
            .find(|o| o.output_index == oi && o.kind == kind)
    }

    fn find_item(&mut self, output_index: Option<u32>) -> Option<&mut Open> {
        let oi = output_index?;
        self.open
            .iter_mut()
            .find(|o| o.output_index == oi && !matches!(o.kind, Kind::Part(_)))
    }

    /// Closes every open block of an output item (or all blocks when `None`).
    fn close(&mut self, output_index: Option<u32>, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        self.open.retain(|o| {
            if output_index.is_none_or(|oi| oi == o.output_index) {
                emit(StreamEvent::BlockStop { index: o.index });
                false
            } else {
                true
            }
        });
    }

    fn terminal(&mut self, resp: ResponseBody<'_>, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        self.close(None, emit);
        let ResponseBody {
            status,
            error,
            incomplete_details,
            usage,
            ..
        } = resp;
        if status.as_deref() == Some("failed") {
            let fields = error
                .0
                .and_then(|raw| serde_json::from_str::<ErrorFields<'_>>(raw.get()).ok())
                .unwrap_or_else(|| ErrorFields {
                    message: Str::borrowed("response failed"),
                    ..ErrorFields::default()
                });
            emit(StreamEvent::Error(from_fields(0, fields)));
            self.failed = true;
            return;
        }
        let reason = incomplete_details.0.and_then(|d| d.reason);
        emit(StreamEvent::Stop {
            reason: stop_reason(status.as_deref(), reason, self.has_calls),
            stop_sequence: None,
        });
        if let Some(u) = usage {
            emit(StreamEvent::Usage(usage_from_wire(u)));
        }
        self.completed = true;
    }

    fn item_added(
        &mut self,
        output_index: u32,
        item: ItemFields<'_>,
        emit: &mut dyn FnMut(StreamEvent<'_>),
    ) {
        let kind = item.kind.as_deref().unwrap_or("message");
        let call_kind = match kind {
            "function_call" => ToolCallKind::Function,
            "custom_tool_call" => ToolCallKind::Custom,
            "reasoning" => {
                let index = self.start(output_index, Kind::Reasoning);
                emit(StreamEvent::BlockStart {
                    index,
                    block: BlockStart::Thinking {
                        origin: Api::OpenAiResponses,
                        id: item.id,
                    },
                });
                return;
            }
            // Messages open blocks per content part; built-in tool items are skipped.
            _ => return,
        };
        self.has_calls = true;
        let index = self.start(output_index, Kind::Call);
        emit(StreamEvent::BlockStart {
            index,
            block: BlockStart::ToolCall {
                id: item.call_id.unwrap_or_default(),
                name: item.name.unwrap_or_default(),
                kind: call_kind,
            },
        });
        let initial = item.arguments.or(item.input).filter(|a| !a.is_empty());
        if let Some(args) = initial {
            if let Some(o) = self.find(Some(output_index), Kind::Call) {
                o.has_content = true;
            }
            emit(StreamEvent::Delta {
                index,
                delta: Delta::ToolArguments(args),
            });
        }
    }

    /// `output_item.done`: emits what arrived only in the finished item (arguments never
    /// streamed, reasoning summary and signature), then closes the item's blocks.
    fn item_done(
        &mut self,
        output_index: u32,
        item: ItemFields<'_>,
        emit: &mut dyn FnMut(StreamEvent<'_>),
    ) {
        if let Some(o) = self.find_item(Some(output_index)).copied() {
            match o.kind {
                Kind::Call if !o.has_content => {
                    if let Some(args) = item.arguments.or(item.input).filter(|a| !a.is_empty()) {
                        emit(StreamEvent::Delta {
                            index: o.index,
                            delta: Delta::ToolArguments(args),
                        });
                    }
                }
                Kind::Reasoning => {
                    if !o.has_content {
                        let summary = item.summary.unwrap_or_default();
                        for (k, text) in summary.into_iter().filter_map(|p| p.text).enumerate() {
                            if k > 0 {
                                emit(thinking(o.index, Str::borrowed("\n\n")));
                            }
                            emit(thinking(o.index, text));
                        }
                    }
                    if let Some(sig) = item.encrypted_content {
                        emit(StreamEvent::Delta {
                            index: o.index,
                            delta: Delta::Signature(sig),
                        });
                    }
                }
                _ => {}
            }
        } else if let Some(pos) = self.announced.iter().position(|&oi| oi == output_index) {
            self.announced.swap_remove(pos);
        } else if matches!(item.kind.as_deref(), None | Some("message")) {
            // A message whose parts were never announced: emit its parts whole.
            if let Some(StrOr::Other(parts)) = item.content {
                for (ci, Parsed { value: p, .. }) in parts.into_iter().enumerate() {
                    let ci = u32::try_from(ci).unwrap_or(u32::MAX);
                    if self.find(Some(output_index), Kind::Part(ci)).is_some() {
                        continue;
                    }
                    let (block, text) = match p.kind.as_str() {
                        "refusal" => (BlockStart::Refusal, p.refusal),
                        _ => (BlockStart::Text, p.text),
                    };
                    let index = self.start(output_index, Kind::Part(ci));
                    emit(StreamEvent::BlockStart { index, block });
                    if let Some(text) = text.filter(|t| !t.is_empty()) {
                        emit(StreamEvent::Delta {
                            index,
                            delta: Delta::Text(text),
                        });
                    }
                }
            }
        }
        self.close(Some(output_index), emit);
    }
}

fn thinking(index: u32, text: Str<'_>) -> StreamEvent<'_> {
    StreamEvent::Delta {
        index,
        delta: Delta::Thinking(text),
    }
}

impl StreamDecode for StreamDecoder {
    fn decode(
        &mut self,
        frame: &Frame<'_>,
        emit: &mut dyn FnMut(StreamEvent<'_>),
    ) -> Result<(), DecodeError> {
        let Frame::Sse { event: _, data } = frame else {
            return Err(DecodeError::Stream(
                "Responses streams are Server-Sent Events".into(),
            ));
        };
        let data = data.trim();
        if data.is_empty() || data == "[DONE]" {
            return Ok(());
        }
        let ev: EventW<'_> = serde_json::from_str(data)
            .map_err(|e| DecodeError::Stream(format!("bad Responses event: {e}").into()))?;
        match ev.kind.as_str() {
            "response.created" => {
                let Some(r) = ev.response else {
                    return Err(DecodeError::Stream(
                        "response.created without response".into(),
                    ));
                };
                emit(StreamEvent::Start {
                    id: r.id,
                    model: r.model,
                    created: r.created_at.map(|t| t.0),
                    usage: None,
                });
            }
            "response.output_item.added" => {
                if let (Some(oi), Some(item)) = (ev.output_index, ev.item) {
                    self.item_added(oi, item.value, emit);
                }
            }
            "response.output_item.done" => {
                if let (Some(oi), Some(item)) = (ev.output_index, ev.item) {
                    self.item_done(oi, item.value, emit);
                }
            }
            "response.content_part.added" => {
                let (Some(oi), Some(ci)) = (ev.output_index, ev.content_index) else {
                    return Ok(());
                };
                let block = match ev.part.as_ref().map(|p| p.kind.as_str()) {
                    Some("refusal") => BlockStart::Refusal,
                    _ => BlockStart::Text,
                };
                if !self.announced.contains(&oi) {
                    self.announced.push(oi);
                }
                let index = self.start(oi, Kind::Part(ci));
                emit(StreamEvent::BlockStart { index, block });
            }
            "response.output_text.delta" | "response.refusal.delta" => {
                let kind = Kind::Part(ev.content_index.unwrap_or(0));
                // Some compatible servers skip `content_part.added`: the first delta opens
                // the part, so no text is lost.
                if let (None, Some(oi)) = (self.find(ev.output_index, kind), ev.output_index) {
                    let block = if ev.kind.as_str() == "response.refusal.delta" {
                        BlockStart::Refusal
                    } else {
                        BlockStart::Text
                    };
                    if !self.announced.contains(&oi) {
                        self.announced.push(oi);
                    }
                    let index = self.start(oi, kind);
                    emit(StreamEvent::BlockStart { index, block });
                }
                if let (Some(o), Some(d)) = (self.find(ev.output_index, kind), ev.delta) {
                    o.has_content = true;
                    emit(StreamEvent::Delta {
                        index: o.index,
                        delta: Delta::Text(d),
                    });
                }
            }
            "response.content_part.done" => {
                let kind = Kind::Part(ev.content_index.unwrap_or(0));
                let Some(o) = self.find(ev.output_index, kind).copied() else {
                    return Ok(());
                };
                if !o.has_content {
                    let text = ev.part.and_then(|p| p.text.or(p.refusal));
                    if let Some(text) = text.filter(|t| !t.is_empty()) {
                        emit(StreamEvent::Delta {
                            index: o.index,
                            delta: Delta::Text(text),
                        });
                    }
                }
                emit(StreamEvent::BlockStop { index: o.index });
                self.open
                    .retain(|x| !(x.output_index == o.output_index && x.kind == kind));
            }
            "response.function_call_arguments.delta" | "response.custom_tool_call_input.delta" => {
                if let (Some(o), Some(d)) = (self.find(ev.output_index, Kind::Call), ev.delta) {
                    o.has_content = true;
                    emit(StreamEvent::Delta {
                        index: o.index,
                        delta: Delta::ToolArguments(d),
                    });
                }
            }
            "response.reasoning_summary_part.added" => {
                if let Some(o) = self.find(ev.output_index, Kind::Reasoning) {
                    o.summary_parts = o.summary_parts.saturating_add(1);
                    if o.summary_parts > 1 {
                        // Parts are joined with a blank line, as in non-streaming responses.
                        let index = o.index;
                        emit(thinking(index, Str::borrowed("\n\n")));
                    }
                }
            }
            "response.reasoning_summary_text.delta" | "response.reasoning_text.delta" => {
                if let (Some(o), Some(d)) = (self.find(ev.output_index, Kind::Reasoning), ev.delta)
                {
                    o.has_content = true;
                    emit(thinking(o.index, d));
                }
            }
            "response.completed" | "response.incomplete" | "response.failed" => {
                let Some(r) = ev.response else {
                    return Err(DecodeError::Stream(
                        "terminal event without response".into(),
                    ));
                };
                self.terminal(r, emit);
            }
            "error" => {
                let e: ErrorEventW<'_> = serde_json::from_str(data)
                    .map_err(|e| DecodeError::Stream(format!("bad error event: {e}").into()))?;
                let fields = ErrorFields {
                    message: e.message,
                    kind: None,
                    param: e.param,
                    code: e.code,
                };
                emit(StreamEvent::Error(from_fields(0, fields)));
                self.failed = true;
            }
            // response.in_progress, *.done duplicates of streamed text, built-in tool progress.
            _ => {}
        }
        Ok(())
    }

    fn finish(&mut self, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        if self.completed {
            emit(StreamEvent::Done);
        } else if !self.failed {
            self.close(None, emit);
            emit(StreamEvent::Error(ir::ApiError::new(
                ir::ErrorKind::Server,
                "upstream stream ended before response.completed",
            )));
        }
        // Whatever follows a finished stream is ignored.
        self.completed = false;
        self.failed = true;
    }
}
