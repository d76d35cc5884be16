//! Stream decoding: Anthropic's server-sent events to internal stream events.
//!
//! Anthropic streams are already shaped like the internal grammar: `message_start` →
//! [`StreamEvent::Start`] (with the input usage), `content_block_start/delta/stop` → block
//! events, `message_delta` → [`StreamEvent::Stop`] then the cumulative [`StreamEvent::Usage`],
//! `message_stop` → [`StreamEvent::Done`], `error` → [`StreamEvent::Error`]. `ping` and event
//! kinds added later are ignored. Blocks the internal model cannot stream (`server_tool_use`,
//! `web_search_tool_result`, ...) are skipped and the remaining ones renumbered densely.

use serde::{Deserialize, Serialize};

use super::response::decode_stop;
use super::types::{ContentBlock, ErrorObject, MessageResponse};
use crate::ir::{self, ApiError, BlockStart, Delta, StreamEvent, ToolCallKind, Usage};
use crate::stream::{Frame, StreamDecode};
use crate::{Api, DecodeError, Str};

pub use super::stream_encode::StreamEncoder;

/// Every stream event's fields, flat: `type` says which apply. One parse per event.
///
/// The members that arrive once per message or block (`message`, `content_block`, `error`)
/// are boxed: an absent one costs a null pointer instead of its full size, which every
/// `content_block_delta` would otherwise initialise and move.
#[derive(Debug, Deserialize)]
pub(super) struct FlatEvent<'a> {
    #[serde(rename = "type", borrow)]
    pub(super) kind: Str<'a>,
    #[serde(default)]
    pub(super) index: Option<u32>,
    #[serde(default, borrow)]
    pub(super) message: Option<Box<MessageResponse<'a>>>,
    #[serde(default, borrow)]
    pub(super) content_block: Option<Box<ContentBlock<'a>>>,
    #[serde(default, borrow)]
    pub(super) delta: Option<FlatDelta<'a>>,
    #[serde(default)]
    pub(super) usage: Option<DeltaUsage>,
    #[serde(default, borrow)]
    pub(super) error: Option<Box<ErrorObject<'a>>>,
}

/// A block delta (`text_delta`, `input_json_delta`, `thinking_delta`, `signature_delta`,
/// `citations_delta`) or a message delta (`stop_reason`, `stop_sequence`), flat.
#[derive(Debug, Default, Deserialize, Serialize)]
pub(super) struct FlatDelta<'a> {
    #[serde(
        rename = "type",
        default,
        borrow,
        skip_serializing_if = "Option::is_none"
    )]
    pub(super) kind: Option<Str<'a>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub(super) text: Option<Str<'a>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub(super) partial_json: Option<Str<'a>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub(super) thinking: Option<Str<'a>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub(super) signature: Option<Str<'a>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub(super) stop_reason: Option<Str<'a>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub(super) stop_sequence: Option<Str<'a>>,
}

/// `message_delta.usage`: cumulative counts; older streams send only `output_tokens`.
#[derive(Debug, Default, Clone, Copy, Deserialize, Serialize)]
pub(super) struct DeltaUsage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) input_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) cache_creation_input_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) cache_read_input_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) output_tokens: Option<u64>,
}

/// Decodes an Anthropic Messages stream, one SSE frame at a time.
///
/// State is a few counters, the running usage and the (at most a few) open blocks: memory
/// does not grow with the length of the stream.
#[derive(Debug, Default)]
pub struct StreamDecoder {
    /// Open blocks: upstream index, internal index (`None`: skipped kind), and whether it is
    /// a tool call that has had no argument text yet.
    open: Vec<(u32, Option<u32>, bool)>,
    next_index: u32,
    /// Anthropic's own counts (input excludes cache reads and writes).
    input: u64,
    cache_read: u64,
    cache_write: u64,
    output: u64,
    ended: bool,
}

impl StreamDecoder {
    /// A new decoder.
    pub fn new() -> Self {
        StreamDecoder::default()
    }

    fn usage(&self) -> Usage {
        Usage {
            input_tokens: self
                .input
                .saturating_add(self.cache_read)
                .saturating_add(self.cache_write),
            output_tokens: self.output,
            cache_read_input_tokens: self.cache_read,
            cache_write_input_tokens: self.cache_write,
            reasoning_tokens: 0,
        }
    }

    fn merge(&mut self, u: &DeltaUsage) {
        // Counts are cumulative: a later report replaces an earlier one.
        if let Some(v) = u.input_tokens {
            self.input = v;
        }
        if let Some(v) = u.cache_creation_input_tokens {
            self.cache_write = v;
        }
        if let Some(v) = u.cache_read_input_tokens {
            self.cache_read = v;
        }
        if let Some(v) = u.output_tokens {
            self.output = v;
        }
    }

    fn open_mut(&mut self, upstream: u32) -> Option<&mut (u32, Option<u32>, bool)> {
        self.open.iter_mut().find(|(u, _, _)| *u == upstream)
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
                "Anthropic streams are server-sent events".into(),
            ));
        };
        // Nothing follows `message_stop` or `error`; a blank keep-alive carries nothing.
        if self.ended || data.trim().is_empty() {
            return Ok(());
        }
        let ev: FlatEvent<'_> = serde_json::from_str(data)
            .map_err(|e| DecodeError::Stream(format!("Anthropic event: {e}").into()))?;
        match ev.kind.as_str() {
            "message_start" => {
                let m = ev
                    .message
                    .ok_or_else(|| missing("message_start", "message"))?;
                if let Some(u) = &m.usage {
                    self.input = u.input_tokens;
                    self.cache_read = u.cache_read_input_tokens.unwrap_or(0);
                    self.cache_write = u.cache_creation_input_tokens.unwrap_or(0);
                    self.output = u.output_tokens;
                }
                emit(StreamEvent::Start {
                    id: m.id,
                    model: m.model,
                    created: None,
                    usage: m.usage.is_some().then(|| self.usage()),
                });
            }
            "content_block_start" => {
                let upstream = ev
                    .index
                    .ok_or_else(|| missing("content_block_start", "index"))?;
                let block = ev
                    .content_block
                    .ok_or_else(|| missing("content_block_start", "content_block"))?;
                let index = self.next_index;
                let (start, first) = match *block {
                    ContentBlock::Text { text, .. } => (BlockStart::Text, Some(Delta::Text(text))),
                    ContentBlock::ToolUse {
                        id, name, input, ..
                    } => {
                        // Anthropic sends `{}` here and the arguments as deltas.
                        let first = match input.text() {
                            "{}" => None,
                            t => Some(Delta::ToolArguments(Str::from(t.to_owned()))),
                        };
                        let start = BlockStart::ToolCall {
                            id,
                            name,
                            kind: ToolCallKind::Function,
                        };
                        (start, first)
                    }
                    ContentBlock::Thinking {
                        thinking,
                        signature,
                    } => {
                        let start = BlockStart::Thinking {
                            origin: Api::AnthropicMessages,
                            id: None,
                        };
                        emit(StreamEvent::BlockStart {
                            index,
                            block: start,
                        });
                        self.open.push((upstream, Some(index), false));
                        self.next_index += 1;
                        if !thinking.is_empty() {
                            emit(StreamEvent::Delta {
                                index,
                                delta: Delta::Thinking(thinking),
                            });
                        }
                        if !signature.is_empty() {
                            emit(StreamEvent::Delta {
                                index,
                                delta: Delta::Signature(signature),
                            });
                        }
                        return Ok(());
                    }
                    ContentBlock::RedactedThinking { data } => (
                        BlockStart::RedactedThinking {
                            data,
                            origin: Api::AnthropicMessages,
                        },
                        None,
                    ),
                    _ => {
                        self.open.push((upstream, None, false));
                        return Ok(());
                    }
                };
                let awaiting_args = matches!(start, BlockStart::ToolCall { .. }) && first.is_none();
                self.open.push((upstream, Some(index), awaiting_args));
                self.next_index += 1;
                emit(StreamEvent::BlockStart {
                    index,
                    block: start,
                });
                match first {
                    Some(Delta::Text(t) | Delta::ToolArguments(t)) if t.is_empty() => {}
                    Some(delta) => emit(StreamEvent::Delta { index, delta }),
                    None => {}
                }
            }
            "content_block_delta" => {
                let upstream = ev
                    .index
                    .ok_or_else(|| missing("content_block_delta", "index"))?;
                let d = ev
                    .delta
                    .ok_or_else(|| missing("content_block_delta", "delta"))?;
                let Some((_, Some(index), awaiting_args)) = self.open_mut(upstream) else {
                    // A skipped block, or a delta for a block never started (ignored rather
                    // than failing the whole stream).
                    return Ok(());
                };
                let index = *index;
                let delta = match d.kind.as_deref() {
                    Some("text_delta") => d.text.map(Delta::Text),
                    Some("input_json_delta") => d.partial_json.map(Delta::ToolArguments),
                    Some("thinking_delta") => d.thinking.map(Delta::Thinking),
                    Some("signature_delta") => d.signature.map(Delta::Signature),
                    _ => None,
                };
                match delta {
                    // Anthropic opens tool input with an empty fragment; it carries nothing.
                    Some(Delta::Text(t) | Delta::ToolArguments(t) | Delta::Thinking(t))
                        if t.is_empty() => {}
                    Some(delta) => {
                        if matches!(delta, Delta::ToolArguments(_)) {
                            *awaiting_args = false;
                        }
                        emit(StreamEvent::Delta { index, delta });
                    }
                    None => {}
                }
            }
            "content_block_stop" => {
                let upstream = ev
                    .index
                    .ok_or_else(|| missing("content_block_stop", "index"))?;
                if let Some(pos) = self.open.iter().position(|(u, _, _)| *u == upstream) {
                    let (_, index, awaiting_args) = self.open.swap_remove(pos);
                    if let Some(index) = index {
                        if awaiting_args {
                            // A call without arguments: `{}`, as the non-streaming `input`.
                            emit(StreamEvent::Delta {
                                index,
                                delta: Delta::ToolArguments(Str::borrowed("{}")),
                            });
                        }
                        emit(StreamEvent::BlockStop { index });
                    }
                }
            }
            "message_delta" => {
                if let Some(u) = &ev.usage {
                    self.merge(u);
                }
                let d = ev.delta.unwrap_or_default();
                if d.stop_reason.is_some() || d.stop_sequence.is_some() {
                    emit(StreamEvent::Stop {
                        reason: d.stop_reason.map(decode_stop),
                        stop_sequence: d.stop_sequence,
                    });
                }
                emit(StreamEvent::Usage(self.usage()));
            }
            "message_stop" => {
                self.ended = true;
                emit(StreamEvent::Done);
            }
            "error" => {
                self.ended = true;
                let e = ev.error.map(|e| *e).unwrap_or_default();
                let kind = super::error::error_kind(&e.kind, 500);
                emit(StreamEvent::Error(ApiError {
                    status: super::error::status(kind),
                    kind,
                    message: e.message,
                    code: (!e.kind.is_empty()).then_some(e.kind),
                    param: None,
                    origin: Some(Api::AnthropicMessages),
                }));
            }
            // `ping` and event kinds added after this was written.
            _ => {}
        }
        Ok(())
    }

    fn finish(&mut self, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        if !self.ended {
            self.ended = true;
            emit(StreamEvent::Error(truncated()));
        }
    }
}

fn missing(event: &'static str, field: &'static str) -> DecodeError {
    DecodeError::Stream(format!("{event} without `{field}`").into())
}

/// The error for a stream that ended without `message_stop`.
fn truncated() -> ApiError<'static> {
    let mut e = ApiError::new(
        ir::ErrorKind::Server,
        "the upstream stream ended before message_stop",
    );
    e.origin = Some(Api::AnthropicMessages);
    e
}
