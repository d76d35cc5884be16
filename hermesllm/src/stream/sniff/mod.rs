//! Same-API passthrough: what the [`StreamSummary`] needs, found by scanning each event's bytes
//! rather than decoding it, and the one edit the gateway makes to a stream it forwards.
//!
//! Most events are content deltas; for those a few substring searches give the text length
//! and whether a token arrived. Only the rare events that carry usage or the stop reason are
//! deserialized (and for those, only the fields needed).

mod anthropic;
mod bedrock;
mod gemini;
mod json;
mod openai_chat;
mod openai_responses;

use std::sync::LazyLock;

use memchr::memmem::Finder;

use super::StreamSummary;
use super::eventstream::EventStreamMessage;
use crate::Api;
use crate::ir::ApiError;

/// What to do with a forwarded event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Forward its bytes unchanged.
    Forward,
    /// Leave it out of the client stream.
    Drop,
    /// Not an event of the API (its data is not a JSON object): end the stream with an
    /// error instead of handing the client something its parser would choke on.
    Malformed,
}

/// Whether `data` has the shape of a JSON object: `{` first and `}` last (surrounding
/// whitespace aside). A cheap check, not a parse: it catches cut and garbled events (a
/// truncated object has no closing brace), while full validation would cost the
/// passthrough its speed.
fn object_shaped(data: &[u8]) -> bool {
    let d = data.trim_ascii();
    d.first() == Some(&b'{') && d.last() == Some(&b'}')
}

/// Scans the events of one same-API stream.
#[derive(Debug)]
pub(crate) struct Sniffer {
    api: Api,
    /// OpenAI Chat: the client asked for the usage chunk (else the gateway added the option
    /// and the chunk is dropped).
    include_usage: bool,
    /// OpenAI Chat and Gemini: the first chunk (which names the model and response id) has
    /// been read for them.
    started: bool,
}

impl Sniffer {
    pub(crate) fn new(api: Api, include_usage: bool) -> Self {
        Sniffer {
            api,
            include_usage,
            started: false,
        }
    }

    /// Scans one dispatched SSE event.
    pub(crate) fn sse(
        &mut self,
        event: &str,
        data: &str,
        now_ms: u64,
        summary: &mut StreamSummary,
    ) -> Verdict {
        let d = data.as_bytes();
        let done = self.api == Api::OpenAiChat && d == b"[DONE]";
        if !done && !object_shaped(d) {
            return Verdict::Malformed;
        }
        // Every Chat and Gemini chunk repeats the id and model: parse the first one only.
        if !self.started && matches!(self.api, Api::OpenAiChat | Api::Gemini) && d != b"[DONE]" {
            self.started = true;
            if let Some(h) = json::parse_at::<Head>(d, 0) {
                h.record(summary);
            }
        }
        match self.api {
            Api::OpenAiChat => openai_chat::sniff(d, self.include_usage, now_ms, summary),
            Api::OpenAiResponses => openai_responses::sniff(event, d, now_ms, summary),
            Api::AnthropicMessages => anthropic::sniff(event, d, now_ms, summary),
            Api::Gemini => gemini::sniff(d, now_ms, summary),
            Api::BedrockConverse => Verdict::Forward,
        }
    }

    /// Scans one eventstream message.
    pub(crate) fn eventstream(
        &mut self,
        message: &EventStreamMessage<'_>,
        now_ms: u64,
        summary: &mut StreamSummary,
    ) -> Verdict {
        if !message.payload.is_empty() && !object_shaped(message.payload) {
            return Verdict::Malformed;
        }
        bedrock::sniff(message, now_ms, summary);
        Verdict::Forward
    }
}

/// The id and model of a stream's start: a Chat chunk, a Gemini chunk (`responseId`,
/// `modelVersion`), a Responses `response` or an Anthropic `message`.
#[derive(serde::Deserialize)]
pub(super) struct Head {
    #[serde(default, alias = "responseId")]
    id: Option<String>,
    #[serde(default, alias = "modelVersion")]
    model: Option<String>,
}

impl Head {
    pub(super) fn record(&self, summary: &mut StreamSummary) {
        summary.start(
            self.id.as_deref().unwrap_or_default(),
            self.model.as_deref().unwrap_or_default(),
        );
    }
}

/// The quoted keys the sniffers search for, built once.
struct Keys {
    choices: Finder<'static>,
    content: Finder<'static>,
    content_block: Finder<'static>,
    delta: Finder<'static>,
    finish_reason: Finder<'static>,
    finish_reason_camel: Finder<'static>,
    function_call_camel: Finder<'static>,
    id: Finder<'static>,
    item: Finder<'static>,
    parts: Finder<'static>,
    reasoning: Finder<'static>,
    reasoning_content: Finder<'static>,
    reasoning_content_camel: Finder<'static>,
    refusal: Finder<'static>,
    stop_reason_camel: Finder<'static>,
    text: Finder<'static>,
    thought: Finder<'static>,
    tool_calls: Finder<'static>,
    tool_use_camel: Finder<'static>,
    type_: Finder<'static>,
    usage: Finder<'static>,
    usage_metadata: Finder<'static>,
}

static KEYS: LazyLock<Keys> = LazyLock::new(|| Keys {
    choices: Finder::new(b"\"choices\""),
    content: Finder::new(b"\"content\""),
    content_block: Finder::new(b"\"content_block\""),
    delta: Finder::new(b"\"delta\""),
    finish_reason: Finder::new(b"\"finish_reason\""),
    finish_reason_camel: Finder::new(b"\"finishReason\""),
    function_call_camel: Finder::new(b"\"functionCall\""),
    id: Finder::new(b"\"id\""),
    item: Finder::new(b"\"item\""),
    parts: Finder::new(b"\"parts\""),
    reasoning: Finder::new(b"\"reasoning\""),
    reasoning_content: Finder::new(b"\"reasoning_content\""),
    reasoning_content_camel: Finder::new(b"\"reasoningContent\""),
    refusal: Finder::new(b"\"refusal\""),
    stop_reason_camel: Finder::new(b"\"stopReason\""),
    text: Finder::new(b"\"text\""),
    thought: Finder::new(b"\"thought\""),
    tool_calls: Finder::new(b"\"tool_calls\""),
    tool_use_camel: Finder::new(b"\"toolUse\""),
    type_: Finder::new(b"\"type\""),
    usage: Finder::new(b"\"usage\""),
    usage_metadata: Finder::new(b"\"usageMetadata\""),
});

/// Records an upstream error event decoded by the API's own error decoder.
fn upstream_error(api: Api, status: u16, body: &[u8], summary: &mut StreamSummary) {
    let e: ApiError<'_> = crate::translate::decode_error(api, status, body);
    summary.record_error(&e);
}

/// Text of every string value of `key` in `d`: adds its decoded length.
fn count_text(d: &[u8], key: &Finder<'static>, now_ms: u64, summary: &mut StreamSummary) {
    for pos in json::values(d, key) {
        if let Some((_, n)) = json::string_at(d, pos) {
            summary.text(n, now_ms);
        }
    }
}

/// Whether the value of `key` is a non-empty string.
fn has_string(d: &[u8], key: &Finder<'static>) -> bool {
    json::values(d, key).any(|pos| json::string_at(d, pos).is_some_and(|(raw, _)| !raw.is_empty()))
}
