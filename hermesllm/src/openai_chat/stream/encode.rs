//! Internal stream events → chunks.

use super::{ChatChunk, ChunkDelta};
use crate::ir::{BlockStart, Delta, StreamEvent, ToolCallKind, Usage};
use crate::json::{write_str, write_u64};
use crate::openai_chat::error::error_out;
use crate::openai_chat::response::{finish_from_ir, usage_from_ir};
use crate::openai_chat::types::{CustomCallWire, FunctionCallWire, ToolCallWire};
use crate::stream::{StreamEncode, StreamMeta, write_event, write_json_event};
use crate::{Losses, Str};

/// Encodes internal stream events as a Chat Completions stream.
///
/// Every chunk carries the id, model and creation time of the [`StreamEvent::Start`] (or of
/// the [`StreamMeta`] where the upstream gave none). The first chunk carries the assistant
/// role; a tool call's first chunk carries its id and name; a [`StreamEvent::Stop`] becomes
/// the chunk with `finish_reason`. Usage events are merged and written as the final
/// `choices: []` chunk only when [`StreamMeta::include_usage`] is set (and the upstream
/// reported usage), then `data: [DONE]`.
/// Reasoning text of any origin is written as `reasoning_content`; signatures and redacted
/// reasoning have no place in this stream and are left out.
///
/// Memory: the id and model, and one entry per open block.
#[derive(Debug)]
pub struct StreamEncoder<'m> {
    meta: StreamMeta<'m>,
    id: String,
    model: String,
    created: u64,
    /// `data: {"id":…,"object":"chat.completion.chunk","created":…,"model":…,"choices":[{"index":0,"delta":`,
    /// the part every content chunk shares, rendered once per id/model/time.
    prefix: Vec<u8>,
    /// Open blocks: (IR index, what it maps to).
    blocks: Vec<(u32, Mapped)>,
    next_tool: u32,
    usage: Option<Usage>,
    stopped: bool,
    ended: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mapped {
    Text,
    Refusal,
    Reasoning,
    Tool { index: u32, custom: bool },
    Nothing,
}

impl<'m> StreamEncoder<'m> {
    /// An encoder for one client stream.
    pub fn new(meta: StreamMeta<'m>) -> Self {
        let mut e = StreamEncoder {
            id: meta.id.to_string(),
            model: meta.model.to_string(),
            created: meta.created,
            prefix: Vec::new(),
            meta,
            blocks: Vec::new(),
            next_tool: 0,
            usage: None,
            stopped: false,
            ended: false,
        };
        e.render_prefix();
        e
    }

    /// Renders [`prefix`](StreamEncoder::prefix) as serde_json would write the start of a
    /// [`ChatChunk`] with one choice.
    fn render_prefix(&mut self) {
        let p = &mut self.prefix;
        p.clear();
        p.extend_from_slice(b"data: {\"id\":");
        write_str(p, &self.id);
        p.extend_from_slice(b",\"object\":\"chat.completion.chunk\",\"created\":");
        write_u64(p, self.created);
        p.extend_from_slice(b",\"model\":");
        write_str(p, &self.model);
        p.extend_from_slice(b",\"choices\":[{\"index\":0,\"delta\":");
    }

    /// Writes a chunk with one choice: `delta`, then `finish`.
    fn write(&self, out: &mut Vec<u8>, delta: ChunkDelta<'_>, finish: Option<&'static str>) {
        out.extend_from_slice(&self.prefix);
        // Serializing the wire types into a Vec cannot fail: they hold only strings, numbers
        // and already-valid raw JSON.
        let _ = serde_json::to_writer(&mut *out, &delta);
        close_choice(out, finish);
    }

    /// Writes a chunk whose delta is the one text field `field`.
    fn write_text(&self, out: &mut Vec<u8>, field: &[u8], text: &str) {
        out.extend_from_slice(&self.prefix);
        out.extend_from_slice(field);
        write_str(out, text);
        out.push(b'}');
        close_choice(out, None);
    }

    fn merge_usage(&mut self, u: &Usage) {
        match &mut self.usage {
            Some(total) => total.merge_max(u),
            None => self.usage = Some(*u),
        }
    }

    fn done(&mut self, out: &mut Vec<u8>) {
        if !self.stopped {
            // Clients expect a finish reason before the end of the stream.
            self.write(out, ChunkDelta::default(), Some("stop"));
        }
        // Only usage the upstream reported is written: zeros would be invented numbers.
        if self.meta.include_usage
            && let Some(u) = &self.usage
        {
            let mut losses = Losses::default();
            let usage = usage_from_ir(u, &mut losses);
            let chunk = ChatChunk {
                id: Str::borrowed(&self.id),
                object: Str::borrowed("chat.completion.chunk"),
                created: Some(self.created),
                model: Str::borrowed(&self.model),
                usage: Some(usage),
                ..ChatChunk::default()
            };
            write_json_event(out, None, &chunk);
        }
        write_event(out, None, b"[DONE]");
        self.ended = true;
    }

    fn block_start(&mut self, index: u32, block: &BlockStart<'_>, out: &mut Vec<u8>) {
        let mapped = match block {
            BlockStart::Text => Mapped::Text,
            BlockStart::Refusal => Mapped::Refusal,
            BlockStart::Thinking { .. } => Mapped::Reasoning,
            BlockStart::ToolCall { id, name, kind } => {
                let custom = *kind == ToolCallKind::Custom;
                let tool = self.next_tool;
                self.next_tool = self.next_tool.saturating_add(1);
                let empty = Str::borrowed("");
                let call = tool_delta(tool, Some(id), Some(name), Some(&empty), custom);
                self.write(
                    out,
                    ChunkDelta {
                        tool_calls: Some(vec![call]),
                        ..ChunkDelta::default()
                    },
                    None,
                );
                Mapped::Tool {
                    index: tool,
                    custom,
                }
            }
            _ => Mapped::Nothing,
        };
        self.blocks.push((index, mapped));
    }

    fn delta(&mut self, index: u32, delta: &Delta<'_>, out: &mut Vec<u8>) {
        let Some(&(_, mapped)) = self.blocks.iter().find(|(i, _)| *i == index) else {
            return;
        };
        let (field, text): (&[u8], _) = match (mapped, delta) {
            (Mapped::Text, Delta::Text(t)) if !t.is_empty() => (b"{\"content\":", t),
            (Mapped::Refusal, Delta::Text(t)) => (b"{\"refusal\":", t),
            (Mapped::Reasoning, Delta::Thinking(t)) if !t.is_empty() => {
                (b"{\"reasoning_content\":", t)
            }
            (Mapped::Tool { index, custom }, Delta::ToolArguments(a)) => {
                let d = ChunkDelta {
                    tool_calls: Some(vec![tool_delta(index, None, None, Some(a), custom)]),
                    ..ChunkDelta::default()
                };
                self.write(out, d, None);
                return;
            }
            // Signatures, empty text, and deltas that do not fit their block, have nowhere
            // to go.
            _ => return,
        };
        self.write_text(out, field, text);
    }
}

/// Ends a chunk after its delta: the finish reason, then the choice, `choices` and the chunk.
fn close_choice(out: &mut Vec<u8>, finish: Option<&str>) {
    match finish {
        None => out.extend_from_slice(b",\"finish_reason\":null}]}\n\n"),
        Some(f) => {
            out.extend_from_slice(b",\"finish_reason\":");
            write_str(out, f);
            out.extend_from_slice(b"}]}\n\n");
        }
    }
}

fn tool_delta<'x>(
    index: u32,
    id: Option<&'x Str<'_>>,
    name: Option<&'x Str<'_>>,
    arguments: Option<&'x Str<'_>>,
    custom: bool,
) -> ToolCallWire<'x> {
    let first = id.is_some();
    ToolCallWire {
        index: Some(index),
        id: id.map(Str::reborrow),
        kind: first.then(|| Str::borrowed(if custom { "custom" } else { "function" })),
        function: (!custom).then(|| FunctionCallWire {
            name: name.map(Str::reborrow),
            arguments: arguments.map(Str::reborrow),
        }),
        custom: custom.then(|| CustomCallWire {
            name: name.map(Str::reborrow),
            input: arguments.map(Str::reborrow),
        }),
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
                created,
                usage,
            } => {
                if !id.is_empty() {
                    self.id = id.to_string();
                }
                if !model.is_empty() {
                    self.model = model.to_string();
                }
                if let Some(c) = created {
                    self.created = *c;
                }
                self.render_prefix();
                if let Some(u) = usage {
                    self.merge_usage(u);
                }
                let d = ChunkDelta {
                    role: Some(Str::borrowed("assistant")),
                    content: Some(Str::borrowed("")),
                    ..ChunkDelta::default()
                };
                self.write(out, d, None);
            }
            StreamEvent::BlockStart { index, block } => self.block_start(*index, block, out),
            StreamEvent::Delta { index, delta } => self.delta(*index, delta, out),
            StreamEvent::BlockStop { index } => self.blocks.retain(|(i, _)| i != index),
            StreamEvent::Stop { reason, .. } => {
                let mut losses = Losses::default();
                let finish = reason
                    .as_ref()
                    .map_or("stop", |r| finish_from_ir(r, String::new, &mut losses));
                self.stopped = true;
                self.write(out, ChunkDelta::default(), Some(finish));
            }
            StreamEvent::Usage(u) => self.merge_usage(u),
            StreamEvent::Error(e) => {
                write_json_event(out, None, &error_out(e));
                self.ended = true;
            }
            StreamEvent::Done => self.done(out),
        }
    }
}
