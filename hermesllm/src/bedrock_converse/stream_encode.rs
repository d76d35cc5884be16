//! ConverseStream encoding: stream events → eventstream frames.

use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use aws_smithy_types::str_bytes::StrBytes;
use bytes::Bytes;
use serde::Serialize;

use super::error::exception_name;
use super::events::{
    BlockStartPayload, ContentBlockDeltaEvent, ContentBlockStartEvent, ContentBlockStopEvent,
    DeltaPayload, MessageStartEvent, MessageStopEvent, MetadataEvent, ReasoningDelta, ToolUseDelta,
    ToolUseStart,
};
use super::response::{stop_to_wire, usage_to_wire};
use super::stream::{Kind, Open};
use super::types::{AdditionalResponseFields, ErrorBody, Metrics};
use crate::ir::{self, ApiError, BlockStart, Delta, ErrorKind, StreamEvent, Usage};
use crate::stream::{StreamEncode, StreamMeta};
use crate::wire::Rest;
use crate::{Family, Losses, Str};

/// Writes stream events as ConverseStream eventstream frames.
///
/// Works from any source API's events: text and reasoning blocks are opened by their first
/// delta, tool blocks by `contentBlockStart`; usage is held back (a few counters) and written
/// in the final `metadata` event; a missing stop is supplied before it. Reasoning signatures
/// of another model family are not forwarded.
#[derive(Debug)]
pub struct StreamEncoder<'m> {
    _meta: StreamMeta<'m>,
    started: bool,
    stopped: bool,
    ended: bool,
    next: u32,
    open: Vec<Open>,
    usage: Option<Usage>,
}

impl<'m> StreamEncoder<'m> {
    /// A new encoder. Bedrock streams carry no id, model or time, so `meta` is not written.
    pub fn new(meta: StreamMeta<'m>) -> Self {
        StreamEncoder {
            _meta: meta,
            started: false,
            stopped: false,
            ended: false,
            next: 0,
            open: Vec::new(),
            usage: None,
        }
    }

    fn ensure_start(&mut self, out: &mut Vec<u8>) {
        if !self.started {
            self.started = true;
            let ev = MessageStartEvent {
                role: Str::borrowed("assistant"),
            };
            write_event(out, "messageStart", &ev);
        }
    }

    fn open(&mut self, index: u32, kind: Kind, foreign: bool) -> Open {
        if let Some(o) = self.open.iter().find(|o| o.from == index) {
            return *o;
        }
        let o = Open {
            from: index,
            to: self.next,
            kind,
            foreign,
        };
        if kind != Kind::Skip {
            self.next += 1;
        }
        self.open.push(o);
        o
    }

    fn block_start(&mut self, index: u32, block: &BlockStart<'_>, out: &mut Vec<u8>) {
        match block {
            BlockStart::Text | BlockStart::Refusal => {
                self.open(index, Kind::Text, false);
            }
            BlockStart::ToolCall { id, name, kind: _ } => {
                let o = self.open(index, Kind::Tool, false);
                let ev = ContentBlockStartEvent {
                    content_block_index: o.to,
                    start: BlockStartPayload {
                        tool_use: Some(ToolUseStart {
                            tool_use_id: id.reborrow(),
                            name: name.reborrow(),
                        }),
                    },
                };
                write_event(out, "contentBlockStart", &ev);
            }
            BlockStart::Thinking { origin, .. } => {
                self.open(index, Kind::Thinking, origin.family() != Family::Claude);
            }
            BlockStart::RedactedThinking { data, origin } => {
                if origin.family() != Family::Claude {
                    self.open(index, Kind::Skip, true);
                    return;
                }
                let o = self.open(index, Kind::Redacted, false);
                let delta = DeltaPayload {
                    reasoning_content: Some(ReasoningDelta {
                        redacted_content: Some(data.reborrow()),
                        ..ReasoningDelta::default()
                    }),
                    ..DeltaPayload::default()
                };
                write_delta(out, o.to, delta);
            }
        }
    }

    fn delta(&mut self, index: u32, delta: &Delta<'_>, out: &mut Vec<u8>) {
        let inferred = match delta {
            Delta::Text(_) => Kind::Text,
            Delta::ToolArguments(_) => Kind::Tool,
            Delta::Thinking(_) | Delta::Signature(_) => Kind::Thinking,
        };
        let o = self.open(index, inferred, false);
        let payload = match (o.kind, delta) {
            (Kind::Skip, _) => return,
            (_, Delta::Text(t)) => DeltaPayload {
                text: Some(t.reborrow()),
                ..DeltaPayload::default()
            },
            (_, Delta::ToolArguments(t)) => DeltaPayload {
                tool_use: Some(ToolUseDelta {
                    input: t.reborrow(),
                }),
                ..DeltaPayload::default()
            },
            (_, Delta::Thinking(t)) => DeltaPayload {
                reasoning_content: Some(ReasoningDelta {
                    text: Some(t.reborrow()),
                    ..ReasoningDelta::default()
                }),
                ..DeltaPayload::default()
            },
            (_, Delta::Signature(_)) if o.foreign => return,
            (_, Delta::Signature(s)) => DeltaPayload {
                reasoning_content: Some(ReasoningDelta {
                    signature: Some(s.reborrow()),
                    ..ReasoningDelta::default()
                }),
                ..DeltaPayload::default()
            },
        };
        write_delta(out, o.to, payload);
    }

    fn block_stop(&mut self, index: u32, out: &mut Vec<u8>) {
        if let Some(pos) = self.open.iter().position(|o| o.from == index) {
            let o = self.open.swap_remove(pos);
            if o.kind != Kind::Skip {
                let ev = ContentBlockStopEvent {
                    content_block_index: o.to,
                };
                write_event(out, "contentBlockStop", &ev);
            }
        }
    }

    fn stop(
        &mut self,
        reason: Option<&ir::StopReason<'_>>,
        stop_sequence: Option<&Str<'_>>,
        out: &mut Vec<u8>,
    ) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        // Close what the source left open, in opening order.
        self.open.sort_by_key(|o| o.to);
        for o in std::mem::take(&mut self.open) {
            if o.kind != Kind::Skip {
                let ev = ContentBlockStopEvent {
                    content_block_index: o.to,
                };
                write_event(out, "contentBlockStop", &ev);
            }
        }
        // Stream encoders have no loss channel; the mapping is the same as for responses.
        let mut ignored = Losses::default();
        let ev = MessageStopEvent {
            stop_reason: reason
                .map_or(Str::borrowed("end_turn"), |r| stop_to_wire(r, &mut ignored)),
            additional_model_response_fields: stop_sequence.map(|s| AdditionalResponseFields {
                stop_sequence: Some(s.reborrow()),
                rest: Rest::default(),
            }),
        };
        write_event(out, "messageStop", &ev);
    }
}

impl StreamEncode for StreamEncoder<'_> {
    fn encode(&mut self, event: &StreamEvent<'_>, out: &mut Vec<u8>) {
        if self.ended {
            return;
        }
        match event {
            StreamEvent::Start { usage, .. } => {
                self.ensure_start(out);
                if let Some(u) = usage {
                    self.usage.get_or_insert_default().merge_max(u);
                }
            }
            // Content after the stop has no place in a Bedrock stream.
            StreamEvent::BlockStart { .. } | StreamEvent::Delta { .. } if self.stopped => {}
            StreamEvent::BlockStart { index, block } => {
                self.ensure_start(out);
                self.block_start(*index, block, out);
            }
            StreamEvent::Delta { index, delta } => {
                self.ensure_start(out);
                self.delta(*index, delta, out);
            }
            StreamEvent::BlockStop { index } => self.block_stop(*index, out),
            StreamEvent::Stop {
                reason,
                stop_sequence,
            } => {
                self.ensure_start(out);
                self.stop(reason.as_ref(), stop_sequence.as_ref(), out);
            }
            StreamEvent::Usage(u) => self.usage.get_or_insert_default().merge_max(u),
            StreamEvent::Error(e) => {
                self.ended = true;
                write_exception(out, e);
            }
            StreamEvent::Done => {
                self.ensure_start(out);
                self.stop(None, None, out);
                self.ended = true;
                let ev = MetadataEvent {
                    usage: Some(usage_to_wire(&self.usage.unwrap_or_default())),
                    metrics: Some(Metrics::default()),
                };
                write_event(out, "metadata", &ev);
            }
            // A future event kind this encoder does not know has no Bedrock frame.
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }
}

fn write_delta(out: &mut Vec<u8>, index: u32, delta: DeltaPayload<'_>) {
    let ev = ContentBlockDeltaEvent {
        content_block_index: index,
        delta,
    };
    write_event(out, "contentBlockDelta", &ev);
}

/// Appends one `event` frame.
fn write_event<T: Serialize>(out: &mut Vec<u8>, event_type: &'static str, payload: &T) {
    // The payload types hold only strings and numbers: serializing them cannot fail.
    let body = serde_json::to_vec(payload).unwrap_or_default();
    write_frame(
        out,
        "event",
        (":event-type", StrBytes::from(event_type)),
        body,
    );
}

/// The ConverseStream exceptions (the stream union names only these).
const STREAM_EXCEPTIONS: [&str; 5] = [
    "internalServerException",
    "modelStreamErrorException",
    "validationException",
    "throttlingException",
    "serviceUnavailableException",
];

/// Appends one `exception` frame for an error.
fn write_exception(out: &mut Vec<u8>, err: &ApiError<'_>) {
    let name = exception_name(err);
    let stream_name = STREAM_EXCEPTIONS
        .iter()
        .find(|n| n.eq_ignore_ascii_case(name))
        .copied()
        .unwrap_or(match err.kind {
            ErrorKind::RateLimit => "throttlingException",
            ErrorKind::Overloaded => "serviceUnavailableException",
            ErrorKind::Server => "internalServerException",
            ErrorKind::Timeout => "modelStreamErrorException",
            _ => "validationException",
        });
    let body = ErrorBody {
        message: Some(err.message.reborrow()),
        kind: None,
    };
    let body = serde_json::to_vec(&body).unwrap_or_default();
    write_frame(
        out,
        "exception",
        (":exception-type", StrBytes::from(stream_name)),
        body,
    );
}

fn write_frame(
    out: &mut Vec<u8>,
    message_type: &'static str,
    (type_header, type_value): (&'static str, StrBytes),
    payload: Vec<u8>,
) {
    let message = Message::new(Bytes::from(payload))
        .add_header(Header::new(type_header, HeaderValue::String(type_value)))
        .add_header(Header::new(
            ":content-type",
            HeaderValue::String(StrBytes::from("application/json")),
        ))
        .add_header(Header::new(
            ":message-type",
            HeaderValue::String(StrBytes::from(message_type)),
        ));
    // Writing to a Vec cannot run out of space; an oversized frame (over 16 MB) is the
    // only error, and then nothing is appended.
    let _ = write_message_to(&message, out);
}
