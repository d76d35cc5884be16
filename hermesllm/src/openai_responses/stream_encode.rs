//! IR stream events → Responses SSE events.

use super::error::to_fields;
use super::response::{DEFAULT_FIELDS, encode_status, usage_to_wire};
use super::response_types::{IncompleteDetails, List, Nullable, ResponseBody, Timestamp};
use super::stream_types::{ErrorEventW, EventW};
use super::types::{Item, ItemFields, Parsed, PartFields, StrOr};
use crate::ir::{BlockStart, Delta, StreamEvent, ToolCallKind, Usage};
use crate::stream::{StreamEncode, StreamMeta, write_json_event};
use crate::{Api, Losses, Raw, Str};

/// What an IR block becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Refusal,
    Call(ToolCallKind),
    /// Reasoning; `keep_signature` is false for signatures of another model family.
    Reasoning {
        keep_signature: bool,
    },
    /// Nothing (encrypted reasoning of another family).
    Skip,
}

/// One output item being streamed, or finished and kept for the final response.
#[derive(Debug, Clone)]
struct ItemState {
    index: u32,
    output_index: u32,
    kind: Kind,
    item_id: String,
    call_id: String,
    name: String,
    /// Text, refusal, arguments or reasoning summary so far.
    text: String,
    signature: String,
    summary_open: bool,
    closed: bool,
}

impl ItemState {
    /// The fields `block_stop` branches on, without the accumulated text.
    fn clone_shallow(&self) -> Shallow {
        Shallow {
            kind: self.kind,
            summary_open: self.summary_open,
        }
    }
}

/// See [`ItemState::clone_shallow`].
#[derive(Debug, Clone, Copy)]
struct Shallow {
    kind: Kind,
    summary_open: bool,
}

/// Encodes IR stream events as a Responses event stream.
///
/// Emits the full lifecycle: `response.created`, `response.in_progress`, per block
/// `output_item.added` (+ `content_part.added` for text), deltas, the `.done` events and
/// `output_item.done`, then `response.completed` (or `response.incomplete`/
/// `response.failed` by stop reason) carrying the final response object. Every text block
/// is its own message item; item ids are derived from the response id and output index as
/// in [`encode_response`](super::encode_response).
///
/// Memory: the final `response.completed` object must list every output item with its full
/// text (the API documents no way to omit it), so the encoder accumulates the output text,
/// arguments and summaries. This is the one place memory grows with the output, bounded by
/// the request's output token limit. Everything else is a few counters.
#[derive(Debug)]
pub struct StreamEncoder<'m> {
    meta: StreamMeta<'m>,
    seq: u64,
    started: bool,
    finished: bool,
    id: String,
    model: String,
    created: u64,
    next_output: u32,
    items: Vec<ItemState>,
    stop: (&'static str, Option<&'static str>),
    usage: Option<Usage>,
    empty_list: Option<Raw<'static>>,
}

impl<'m> StreamEncoder<'m> {
    /// A new encoder.
    pub fn new(meta: StreamMeta<'m>) -> Self {
        StreamEncoder {
            meta,
            seq: 0,
            started: false,
            finished: false,
            id: String::new(),
            model: String::new(),
            created: 0,
            next_output: 0,
            items: Vec::new(),
            stop: ("completed", None),
            usage: None,
            empty_list: Raw::parse("[]").ok(),
        }
    }

    fn next_seq(&mut self) -> u64 {
        let s = self.seq;
        self.seq = self.seq.saturating_add(1);
        s
    }

    fn start(&mut self, id: &str, model: &str, created: Option<u64>, out: &mut Vec<u8>) {
        self.started = true;
        self.id = if id.is_empty() { &self.meta.id } else { id }.to_owned();
        self.model = if model.is_empty() {
            &self.meta.model
        } else {
            model
        }
        .to_owned();
        self.created = created.unwrap_or(self.meta.created);
        for kind in ["response.created", "response.in_progress"] {
            let seq = self.next_seq();
            let ev = EventW {
                response: Some(self.response("in_progress", None, false)),
                ..EventW::new(kind, seq)
            };
            write_json_event(out, Some(kind), &ev);
        }
    }

    fn ensure_started(&mut self, out: &mut Vec<u8>) {
        if !self.started {
            self.start("", "", None, out);
        }
    }

    /// The response object; `with_output` lists the finished items.
    fn response(
        &self,
        status: &'static str,
        reason: Option<&'static str>,
        with_output: bool,
    ) -> ResponseBody<'_> {
        let rest = DEFAULT_FIELDS
            .iter()
            .filter_map(|(k, v)| Some((Str::borrowed(k), Raw::parse(v).ok()?)))
            .collect();
        ResponseBody {
            id: Str::borrowed(&self.id),
            object: Str::borrowed("response"),
            created_at: Some(Timestamp(self.created)),
            status: Some(Str::borrowed(status)),
            error: Nullable(None),
            incomplete_details: Nullable(reason.map(|r| IncompleteDetails {
                reason: Some(Str::borrowed(r)),
            })),
            model: Str::borrowed(&self.model),
            output: List(if with_output {
                self.items
                    .iter()
                    .filter(|i| i.kind != Kind::Skip)
                    .map(|i| self.item(i, true))
                    .collect()
            } else {
                Vec::new()
            }),
            previous_response_id: None,
            service_tier: None,
            usage: if with_output {
                self.usage.as_ref().map(usage_to_wire)
            } else {
                None
            },
            rest,
        }
    }

    fn part<'s>(&'s self, st: &'s ItemState, done: bool) -> PartFields<'s> {
        let text = Str::borrowed(if done { st.text.as_str() } else { "" });
        match st.kind {
            Kind::Refusal => PartFields {
                kind: Str::borrowed("refusal"),
                refusal: Some(text),
                ..PartFields::default()
            },
            Kind::Reasoning { .. } => PartFields::text("summary_text", text),
            _ => PartFields {
                annotations: self.empty_list,
                ..PartFields::text("output_text", text)
            },
        }
    }

    fn item<'s>(&'s self, st: &'s ItemState, done: bool) -> Item<'s> {
        let status = Some(Str::borrowed(if done {
            "completed"
        } else {
            "in_progress"
        }));
        let id = Some(Str::borrowed(&st.item_id));
        let fields = match st.kind {
            Kind::Text | Kind::Refusal | Kind::Skip => ItemFields {
                kind: Some(Str::borrowed("message")),
                id,
                status,
                role: Some(Str::borrowed("assistant")),
                content: Some(StrOr::Other(if done {
                    vec![Parsed::new(self.part(st, true))]
                } else {
                    Vec::new()
                })),
                ..ItemFields::default()
            },
            Kind::Call(kind) => {
                let custom = kind == ToolCallKind::Custom;
                let text = Str::borrowed(if done { st.text.as_str() } else { "" });
                ItemFields {
                    kind: Some(Str::borrowed(if custom {
                        "custom_tool_call"
                    } else {
                        "function_call"
                    })),
                    id,
                    status,
                    call_id: Some(Str::borrowed(&st.call_id)),
                    name: Some(Str::borrowed(&st.name)),
                    arguments: (!custom).then(|| text.clone()),
                    input: custom.then_some(text),
                    ..ItemFields::default()
                }
            }
            Kind::Reasoning { .. } => ItemFields {
                kind: Some(Str::borrowed("reasoning")),
                id,
                summary: Some(if done && !st.text.is_empty() {
                    vec![self.part(st, true)]
                } else {
                    Vec::new()
                }),
                encrypted_content: (done && !st.signature.is_empty())
                    .then(|| Str::borrowed(&st.signature)),
                ..ItemFields::default()
            },
        };
        Parsed::new(fields)
    }

    fn block_start(&mut self, index: u32, block: &BlockStart<'_>, out: &mut Vec<u8>) {
        let (kind, call_id, name) = match block {
            BlockStart::Text => (Kind::Text, "", ""),
            BlockStart::Refusal => (Kind::Refusal, "", ""),
            BlockStart::ToolCall { id, name, kind } => {
                (Kind::Call(*kind), id.as_str(), name.as_str())
            }
            BlockStart::Thinking { origin, .. } => (
                Kind::Reasoning {
                    keep_signature: origin.family() == Api::OpenAiResponses.family(),
                },
                "",
                "",
            ),
            BlockStart::RedactedThinking { .. } => (Kind::Skip, "", ""),
        };
        let output_index = self.next_output;
        if kind != Kind::Skip {
            self.next_output = self.next_output.saturating_add(1);
        }
        let base = self.id.strip_prefix("resp_").unwrap_or(&self.id);
        let item_id = match (kind, block) {
            (_, BlockStart::Thinking { id: Some(id), .. }) => id.to_string(),
            (Kind::Call(_), _) => format!("fc_{base}_{output_index}"),
            (Kind::Reasoning { .. }, _) => format!("rs_{base}_{output_index}"),
            _ => format!("msg_{base}_{output_index}"),
        };
        self.items.push(ItemState {
            index,
            output_index,
            kind,
            item_id,
            call_id: call_id.to_owned(),
            name: name.to_owned(),
            text: String::new(),
            signature: String::new(),
            summary_open: false,
            closed: false,
        });
        if kind == Kind::Skip {
            return;
        }
        let pos = self.items.len().saturating_sub(1);
        self.emit_item(out, pos, "response.output_item.added", false);
        if matches!(kind, Kind::Text | Kind::Refusal) {
            self.emit_part(out, pos, "response.content_part.added", false);
        }
    }

    fn emit_item(&mut self, out: &mut Vec<u8>, pos: usize, kind: &'static str, done: bool) {
        let seq = self.next_seq();
        let Some(st) = self.items.get(pos) else {
            return;
        };
        let ev = EventW {
            output_index: Some(st.output_index),
            item: Some(self.item(st, done)),
            ..EventW::new(kind, seq)
        };
        write_json_event(out, Some(kind), &ev);
    }

    fn emit_part(&mut self, out: &mut Vec<u8>, pos: usize, kind: &'static str, done: bool) {
        let seq = self.next_seq();
        let Some(st) = self.items.get(pos) else {
            return;
        };
        let reasoning = matches!(st.kind, Kind::Reasoning { .. });
        let ev = EventW {
            output_index: Some(st.output_index),
            item_id: Some(Str::borrowed(&st.item_id)),
            content_index: (!reasoning).then_some(0),
            summary_index: reasoning.then_some(0),
            part: Some(self.part(st, done)),
            ..EventW::new(kind, seq)
        };
        write_json_event(out, Some(kind), &ev);
    }

    /// Writes a delta or a `.done` event with one string field.
    fn emit_text(
        &mut self,
        out: &mut Vec<u8>,
        pos: usize,
        kind: &'static str,
        delta: Option<&str>,
    ) {
        let seq = self.next_seq();
        let Some(st) = self.items.get(pos) else {
            return;
        };
        let mut ev = EventW {
            output_index: Some(st.output_index),
            item_id: Some(Str::borrowed(&st.item_id)),
            ..EventW::new(kind, seq)
        };
        match st.kind {
            Kind::Text | Kind::Refusal => {
                ev.content_index = Some(0);
                if st.kind == Kind::Text {
                    ev.logprobs = self.empty_list;
                }
            }
            Kind::Reasoning { .. } => ev.summary_index = Some(0),
            _ => {}
        }
        let full = Str::borrowed(st.text.as_str());
        match (delta, st.kind) {
            (Some(d), _) => ev.delta = Some(Str::borrowed(d)),
            (None, Kind::Refusal) => ev.refusal = Some(full),
            (None, Kind::Call(ToolCallKind::Custom)) => ev.input = Some(full),
            (None, Kind::Call(_)) => ev.arguments = Some(full),
            (None, _) => ev.text = Some(full),
        }
        write_json_event(out, Some(kind), &ev);
    }

    fn delta(&mut self, index: u32, delta: &Delta<'_>, out: &mut Vec<u8>) {
        let Some(pos) = self.open_pos(index) else {
            return;
        };
        let Some(kind) = self.items.get(pos).map(|s| s.kind) else {
            return;
        };
        let (text, event) = match (delta, kind) {
            (Delta::Text(t), Kind::Text) => (t, "response.output_text.delta"),
            (Delta::Text(t), Kind::Refusal) => (t, "response.refusal.delta"),
            (Delta::ToolArguments(t), Kind::Call(ToolCallKind::Custom)) => {
                (t, "response.custom_tool_call_input.delta")
            }
            (Delta::ToolArguments(t), Kind::Call(_)) => {
                (t, "response.function_call_arguments.delta")
            }
            (Delta::Thinking(t), Kind::Reasoning { .. }) => {
                let opened = self.items.get(pos).is_some_and(|s| s.summary_open);
                if !opened {
                    if let Some(st) = self.items.get_mut(pos) {
                        st.summary_open = true;
                    }
                    self.emit_part(out, pos, "response.reasoning_summary_part.added", false);
                }
                (t, "response.reasoning_summary_text.delta")
            }
            (
                Delta::Signature(s),
                Kind::Reasoning {
                    keep_signature: true,
                },
            ) => {
                if let Some(st) = self.items.get_mut(pos) {
                    st.signature.push_str(s);
                }
                return;
            }
            _ => return,
        };
        if let Some(st) = self.items.get_mut(pos) {
            st.text.push_str(text);
        }
        self.emit_text(out, pos, event, Some(text));
    }

    /// The position of the open (not yet stopped) item for IR block `index`.
    fn open_pos(&self, index: u32) -> Option<usize> {
        // Finished items stay in the list for the final response.
        self.items
            .iter()
            .position(|s| s.index == index && !s.closed)
    }

    fn block_stop(&mut self, index: u32, out: &mut Vec<u8>) {
        let Some(pos) = self.open_pos(index) else {
            return;
        };
        let Some(st) = self.items.get_mut(pos) else {
            return;
        };
        st.closed = true;
        let st = st.clone_shallow();
        match st.kind {
            Kind::Skip => return,
            Kind::Text => {
                self.emit_text(out, pos, "response.output_text.done", None);
                self.emit_part(out, pos, "response.content_part.done", true);
            }
            Kind::Refusal => {
                self.emit_text(out, pos, "response.refusal.done", None);
                self.emit_part(out, pos, "response.content_part.done", true);
            }
            Kind::Call(ToolCallKind::Custom) => {
                self.emit_text(out, pos, "response.custom_tool_call_input.done", None);
            }
            Kind::Call(_) => {
                self.emit_text(out, pos, "response.function_call_arguments.done", None);
            }
            Kind::Reasoning { .. } => {
                if st.summary_open {
                    self.emit_text(out, pos, "response.reasoning_summary_text.done", None);
                    self.emit_part(out, pos, "response.reasoning_summary_part.done", true);
                }
            }
        }
        self.emit_item(out, pos, "response.output_item.done", true);
    }

    fn done(&mut self, out: &mut Vec<u8>) {
        // Blocks the source never closed are closed so every item is complete.
        let open: Vec<u32> = self
            .items
            .iter()
            .filter(|s| !s.closed)
            .map(|s| s.index)
            .collect();
        for index in open {
            self.block_stop(index, out);
        }
        let (status, reason) = self.stop;
        let kind = match status {
            "incomplete" => "response.incomplete",
            "failed" => "response.failed",
            _ => "response.completed",
        };
        let seq = self.next_seq();
        let ev = EventW {
            response: Some(self.response(status, reason, true)),
            ..EventW::new(kind, seq)
        };
        write_json_event(out, Some(kind), &ev);
    }
}

impl StreamEncode for StreamEncoder<'_> {
    fn encode(&mut self, event: &StreamEvent<'_>, out: &mut Vec<u8>) {
        if self.finished {
            return;
        }
        match event {
            StreamEvent::Start {
                id,
                model,
                created,
                usage,
            } => {
                if let Some(u) = usage {
                    self.usage.get_or_insert_default().merge_max(u);
                }
                if !self.started {
                    self.start(id, model, *created, out);
                }
            }
            StreamEvent::BlockStart { index, block } => {
                self.ensure_started(out);
                self.block_start(*index, block, out);
            }
            StreamEvent::Delta { index, delta } => self.delta(*index, delta, out),
            StreamEvent::BlockStop { index } => self.block_stop(*index, out),
            StreamEvent::Stop { reason, .. } => {
                // Approximations are reported by the non-streaming encoder; a stream has no
                // place for them.
                self.stop = encode_status(reason.as_ref(), &mut Losses::default());
            }
            StreamEvent::Usage(u) => self.usage.get_or_insert_default().merge_max(u),
            StreamEvent::Error(err) => {
                self.ensure_started(out);
                let f = to_fields(err);
                let seq = self.next_seq();
                let ev = ErrorEventW {
                    kind: Str::borrowed("error"),
                    code: f.code,
                    message: f.message,
                    param: f.param,
                    sequence_number: seq,
                };
                write_json_event(out, Some("error"), &ev);
                self.finished = true;
            }
            StreamEvent::Done => {
                self.ensure_started(out);
                self.done(out);
                self.finished = true;
            }
        }
    }

    fn resume(&mut self, events_sent: u64) {
        self.started = true;
        self.seq = events_sent;
    }
}
