//! Stream encoding: internal stream events to Anthropic's server-sent events.
//!
//! Produces a valid Anthropic stream from any source: `message_start` first (synthesized from
//! [`StreamMeta`] when the source has no start event), `content_block_start`/`delta`/`stop`
//! per block (blocks still open when the model stops are closed, a delta for a block never
//! started opens one), one `message_delta` with the stop reason and cumulative usage, then
//! `message_stop`. Stop and usage arrive as separate internal events (OpenAI sends usage last,
//! if at all), so `message_delta` is written when usage follows a stop, or at the end.

use serde::Serialize;

use super::response::{encode_stop, encode_usage};
use super::stream::DeltaUsage;
use super::types::{ContentBlock, Fixed, Json, WireUsage};
use crate::ir::{BlockStart, Delta, StopReason, StreamEvent, Usage};
use crate::json::{write_str, write_u64};
use crate::stream::{StreamEncode, StreamMeta, write_json_event};
use crate::{Family, Losses, Str};

/// Encodes internal stream events as an Anthropic Messages stream.
///
/// State: whether the message started and ended, the open blocks (a handful), the pending
/// stop reason and the last usage. Memory does not grow with the stream.
#[derive(Debug)]
pub struct StreamEncoder<'m> {
    meta: StreamMeta<'m>,
    started: bool,
    ended: bool,
    /// Open blocks: internal index, Anthropic index, kind.
    open: Vec<(u32, u32, Open)>,
    /// Internal indexes of open blocks Anthropic cannot show (their deltas are dropped).
    skipped: Vec<u32>,
    /// The next Anthropic index: indexes stay dense even when a block is skipped, since
    /// clients append each started block and address it by index.
    next_index: u32,
    stop: Option<PendingStop>,
    usage: Option<Usage>,
    delta_sent: bool,
    /// Whether a tool call was streamed.
    called: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Text,
    Tool,
    /// Thinking; `claude` when its signature is valid for Claude.
    Thinking {
        claude: bool,
    },
    Redacted,
}

#[derive(Debug)]
struct PendingStop {
    reason: Option<&'static str>,
    sequence: Option<String>,
}

impl<'m> StreamEncoder<'m> {
    /// A new encoder; `meta` supplies the id and model when the source stream has none.
    pub fn new(meta: StreamMeta<'m>) -> Self {
        StreamEncoder {
            meta,
            started: false,
            ended: false,
            open: Vec::new(),
            skipped: Vec::new(),
            next_index: 0,
            stop: None,
            usage: None,
            delta_sent: false,
            called: false,
        }
    }

    fn start(&mut self, id: &str, model: &str, usage: Option<&Usage>, out: &mut Vec<u8>) {
        self.started = true;
        if let Some(u) = usage {
            self.usage = Some(*u);
        }
        let id = if id.is_empty() { &*self.meta.id } else { id };
        let model = if model.is_empty() {
            &*self.meta.model
        } else {
            model
        };
        let ev = StartEvent {
            kind: "message_start",
            message: StartMessage {
                id,
                kind: "message",
                role: "assistant",
                model,
                content: [],
                stop_reason: None,
                stop_sequence: None,
                usage: usage.map(encode_usage).unwrap_or_default(),
            },
        };
        write_json_event(out, Some("message_start"), &ev);
    }

    fn ensure_started(&mut self, out: &mut Vec<u8>) {
        if !self.started {
            self.start("", "", None, out);
        }
    }

    fn open_block(&mut self, index: u32, block: &BlockStart<'_>, out: &mut Vec<u8>) {
        let (kind, content_block) = match block {
            BlockStart::Text | BlockStart::Refusal => (Open::Text, text_start()),
            // A custom tool's free-form input streams as `input_json_delta` text all the same.
            BlockStart::ToolCall { id, name, kind: _ } => (
                Open::Tool,
                ContentBlock::ToolUse {
                    id: id.reborrow(),
                    name: name.reborrow(),
                    input: Json::Fixed(Fixed::EmptyObject),
                    cache_control: None,
                },
            ),
            BlockStart::Thinking { origin, id: _ } => (
                Open::Thinking {
                    claude: origin.family() == Family::Claude,
                },
                thinking_start(),
            ),
            BlockStart::RedactedThinking { data, origin } => {
                if origin.family() != Family::Claude {
                    self.skipped.push(index);
                    return;
                }
                (
                    Open::Redacted,
                    ContentBlock::RedactedThinking {
                        data: data.reborrow(),
                    },
                )
            }
            // A future block kind: its deltas are dropped.
            #[allow(unreachable_patterns)]
            _ => {
                self.skipped.push(index);
                return;
            }
        };
        self.called |= kind == Open::Tool;
        let out_index = self.next_index;
        self.next_index += 1;
        self.open.push((index, out_index, kind));
        let ev = BlockStartEvent {
            kind: "content_block_start",
            index: out_index,
            content_block,
        };
        write_json_event(out, Some("content_block_start"), &ev);
    }

    fn delta(&mut self, index: u32, delta: &Delta<'_>, out: &mut Vec<u8>) {
        if self.skipped.contains(&index) {
            return;
        }
        let mut found = self.find(index);
        if found.is_none() {
            // Sources that never announce blocks: open one from the first delta.
            let start = match delta {
                Delta::Text(_) => BlockStart::Text,
                Delta::Thinking(_) => BlockStart::Thinking {
                    origin: crate::Api::AnthropicMessages,
                    id: None,
                },
                _ => return,
            };
            self.open_block(index, &start, out);
            found = self.find(index);
        }
        let Some((out_index, kind)) = found else {
            return;
        };
        let (kind, field, text): (&[u8], &[u8], _) = match (kind, delta) {
            (Open::Text, Delta::Text(t)) => (b"text_delta", b"text", t),
            (Open::Tool, Delta::ToolArguments(t)) => (b"input_json_delta", b"partial_json", t),
            (Open::Thinking { .. }, Delta::Thinking(t)) => (b"thinking_delta", b"thinking", t),
            // A signature from another model family would be rejected when sent back.
            (Open::Thinking { claude: true }, Delta::Signature(s)) => {
                (b"signature_delta", b"signature", s)
            }
            _ => return,
        };
        // `{"type":"content_block_delta","index":…,"delta":{"type":…,…}}` as serde_json
        // would write it, without its machinery: deltas are most of a stream.
        out.extend_from_slice(
            b"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":",
        );
        write_u64(out, u64::from(out_index));
        out.extend_from_slice(b",\"delta\":{\"type\":\"");
        out.extend_from_slice(kind);
        out.extend_from_slice(b"\",\"");
        out.extend_from_slice(field);
        out.extend_from_slice(b"\":");
        write_str(out, text);
        out.extend_from_slice(b"}}\n\n");
    }

    fn find(&self, index: u32) -> Option<(u32, Open)> {
        self.open
            .iter()
            .find(|(i, _, _)| *i == index)
            .map(|(_, o, k)| (*o, *k))
    }

    fn close(&mut self, index: u32, out: &mut Vec<u8>) {
        self.skipped.retain(|i| *i != index);
        if let Some(pos) = self.open.iter().position(|(i, _, _)| *i == index) {
            let (_, out_index, _) = self.open.remove(pos);
            let ev = StopEvent {
                kind: "content_block_stop",
                index: out_index,
            };
            write_json_event(out, Some("content_block_stop"), &ev);
        }
    }

    fn close_all(&mut self, out: &mut Vec<u8>) {
        self.skipped.clear();
        while let Some(&(index, _, _)) = self.open.first() {
            self.close(index, out);
        }
    }

    fn message_delta(&mut self, out: &mut Vec<u8>) {
        self.delta_sent = true;
        let usage = match &self.usage {
            Some(u) => {
                let w: WireUsage<'_> = encode_usage(u);
                DeltaUsage {
                    input_tokens: Some(w.input_tokens),
                    cache_creation_input_tokens: w.cache_creation_input_tokens,
                    cache_read_input_tokens: w.cache_read_input_tokens,
                    output_tokens: Some(w.output_tokens),
                }
            }
            None => DeltaUsage {
                output_tokens: Some(0),
                ..DeltaUsage::default()
            },
        };
        let (reason, sequence) = match &self.stop {
            Some(s) => (s.reason, s.sequence.as_deref()),
            None => (None, None),
        };
        let ev = MessageDeltaEvent {
            kind: "message_delta",
            delta: MessageDeltaBody {
                stop_reason: reason,
                stop_sequence: sequence,
            },
            usage,
        };
        write_json_event(out, Some("message_delta"), &ev);
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
                created: _, // Anthropic messages carry no timestamp.
                usage,
            } if !self.started => self.start(id, model, usage.as_ref(), out),
            StreamEvent::Start { .. } => {}
            StreamEvent::BlockStart { index, block } => {
                self.ensure_started(out);
                self.open_block(*index, block, out);
            }
            StreamEvent::Delta { index, delta } => {
                self.ensure_started(out);
                self.delta(*index, delta, out);
            }
            StreamEvent::BlockStop { index } => self.close(*index, out),
            StreamEvent::Stop {
                reason,
                stop_sequence,
            } => {
                self.ensure_started(out);
                self.close_all(out);
                // A stream has no loss channel: approximations of the reason are implicit.
                let mut ignored = Losses::default();
                let reason = match reason {
                    // Clients run tools on `tool_use`; some OpenAI-compatible servers say `stop`.
                    Some(StopReason::EndTurn) if self.called => Some("tool_use"),
                    Some(r) => Some(encode_stop(r, &mut ignored)),
                    None => None,
                };
                self.stop = Some(PendingStop {
                    reason,
                    sequence: stop_sequence.as_ref().map(|s| s.to_string()),
                });
            }
            StreamEvent::Usage(u) => {
                self.usage = Some(*u);
                if self.stop.is_some() {
                    self.message_delta(out);
                }
            }
            StreamEvent::Error(e) => {
                self.ended = true;
                let body = super::error::error_body(e);
                write_json_event(out, Some("error"), &body);
            }
            StreamEvent::Done => {
                self.ensure_started(out);
                self.close_all(out);
                if !self.delta_sent {
                    self.message_delta(out);
                }
                self.ended = true;
                write_json_event(
                    out,
                    Some("message_stop"),
                    &TypeOnly {
                        kind: "message_stop",
                    },
                );
            }
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }
}

fn text_start() -> ContentBlock<'static> {
    ContentBlock::Text {
        text: Str::default(),
        citations: None,
        cache_control: None,
    }
}

fn thinking_start() -> ContentBlock<'static> {
    ContentBlock::Thinking {
        thinking: Str::default(),
        signature: Str::default(),
    }
}

#[derive(Serialize)]
struct StartEvent<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    message: StartMessage<'a>,
}

#[derive(Serialize)]
struct StartMessage<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    role: &'static str,
    model: &'a str,
    content: [(); 0],
    stop_reason: Option<&'static str>,
    stop_sequence: Option<&'static str>,
    usage: WireUsage<'static>,
}

#[derive(Serialize)]
struct BlockStartEvent<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    index: u32,
    content_block: ContentBlock<'a>,
}

#[derive(Serialize)]
struct StopEvent {
    #[serde(rename = "type")]
    kind: &'static str,
    index: u32,
}

#[derive(Serialize)]
struct MessageDeltaEvent<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    delta: MessageDeltaBody<'a>,
    usage: DeltaUsage,
}

#[derive(Serialize)]
struct MessageDeltaBody<'a> {
    stop_reason: Option<&'static str>,
    stop_sequence: Option<&'a str>,
}

#[derive(Serialize)]
struct TypeOnly {
    #[serde(rename = "type")]
    kind: &'static str,
}
