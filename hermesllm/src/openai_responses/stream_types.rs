//! Wire types of the Responses stream events (`response.created`, ...,
//! `response.completed`, `error`), used both to decode and to encode.

use serde::{Deserialize, Serialize};

use super::response_types::{Code, ResponseBody};
use super::types::{Item, PartFields};
use crate::{Raw, Str};

/// One stream event, all event types flattened (each uses a subset of the fields).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct EventW<'a> {
    /// Event type, e.g. `response.output_text.delta`.
    #[serde(rename = "type", borrow)]
    pub kind: Str<'a>,
    /// Position of the event in the stream.
    #[serde(default)]
    pub sequence_number: u64,
    /// The response object (lifecycle events).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub response: Option<ResponseBody<'a>>,
    /// Index of the output item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_index: Option<u32>,
    /// Id of the output item.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub item_id: Option<Str<'a>>,
    /// Index of the content part within a message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_index: Option<u32>,
    /// Index of the summary part within a reasoning item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary_index: Option<u32>,
    /// The output item (`output_item.added`/`done`).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub item: Option<Item<'a>>,
    /// The content or summary part (`content_part.*`, `reasoning_summary_part.*`).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub part: Option<PartFields<'a>>,
    /// Increment of text, refusal, arguments or custom tool input.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub delta: Option<Str<'a>>,
    /// Full text (`output_text.done`, `reasoning_summary_text.done`).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Str<'a>>,
    /// Full refusal (`refusal.done`).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Str<'a>>,
    /// Full arguments (`function_call_arguments.done`).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<Str<'a>>,
    /// Full custom tool input (`custom_tool_call_input.done`).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Str<'a>>,
    /// Log probabilities of a text delta, raw.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<Raw<'a>>,
}

impl<'a> EventW<'a> {
    /// An event of `kind` with every other field empty.
    pub fn new(kind: &'static str, sequence_number: u64) -> Self {
        EventW {
            kind: Str::borrowed(kind),
            sequence_number,
            ..EventW::default()
        }
    }
}

/// The `error` stream event: `{type: "error", code, message, param, sequence_number}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct ErrorEventW<'a> {
    /// Always `error`.
    #[serde(rename = "type", borrow)]
    pub kind: Str<'a>,
    /// Error code.
    #[serde(borrow, default)]
    pub code: Option<Code<'a>>,
    /// Message.
    #[serde(borrow, default)]
    pub message: Str<'a>,
    /// Offending parameter.
    #[serde(borrow, default)]
    pub param: Option<Str<'a>>,
    /// Position of the event in the stream.
    #[serde(default)]
    pub sequence_number: u64,
}
