//! The transcripts, compiled in and pre-processed once: hermesllm's recorded-shape fixtures
//! (`hermesllm/tests/fixtures/<api>/{responses,streams,errors}`) and the real Bedrock
//! captures (`tests/mock/fixtures/bedrock`).

use std::collections::BTreeSet;
use std::sync::OnceLock;

use bytes::{Bytes, BytesMut};
use serde_json::Value;

use crate::eventstream;
use crate::ids;
use crate::jsonspan::{self, Step};
use crate::route::Api;
use crate::template::{Fill, Template};

/// A fixture that could not be prepared (a bug in the compiled-in data).
#[derive(Debug, Clone, thiserror::Error)]
#[error("fixture {name}: {reason}")]
pub(crate) struct FixtureError {
    name: String,
    reason: String,
}

impl FixtureError {
    pub(crate) fn new(name: &str, reason: impl Into<String>) -> FixtureError {
        FixtureError {
            name: name.to_owned(),
            reason: reason.into(),
        }
    }
}

/// A transcript name, from `x-mock-scenario`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scenario {
    Text,
    Tools,
    ParallelTools,
    Thinking,
    CacheUsage,
    MaxTokens,
    Refusal,
    StopSequence,
    /// Not in the contract's list: Bedrock's real `ConverseStream` captures as recorded (the
    /// text one was cut by `max_tokens`, the tools one ends with `tool_use`).
    CaptureText,
    CaptureTools,
    /// Not in the contract's list: a stream that fails mid-way with the API's error event.
    Error,
}

impl Scenario {
    /// Every scenario, in the order of their names below.
    #[cfg(test)]
    pub(crate) const ALL: [Scenario; 11] = [
        Scenario::Text,
        Scenario::Tools,
        Scenario::ParallelTools,
        Scenario::Thinking,
        Scenario::CacheUsage,
        Scenario::MaxTokens,
        Scenario::Refusal,
        Scenario::StopSequence,
        Scenario::CaptureText,
        Scenario::CaptureTools,
        Scenario::Error,
    ];

    pub(crate) fn parse(name: &str) -> Option<Scenario> {
        Some(match name {
            "text" => Scenario::Text,
            "tools" => Scenario::Tools,
            "parallel_tools" => Scenario::ParallelTools,
            "thinking" => Scenario::Thinking,
            "cache_usage" => Scenario::CacheUsage,
            "max_tokens" => Scenario::MaxTokens,
            "refusal" => Scenario::Refusal,
            "stop_sequence" => Scenario::StopSequence,
            "capture_text" => Scenario::CaptureText,
            "capture_tools" => Scenario::CaptureTools,
            "error" => Scenario::Error,
            _ => return None,
        })
    }
}

/// How a stream's events are put on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// Each event is already framed (SSE blocks, eventstream frames).
    Verbatim,
    /// Each event is a JSON object sent as `data: <json>\r\n\r\n` (Gemini `?alt=sse`).
    SseData,
    /// The events are elements of one JSON array (Gemini without `alt=sse`).
    JsonArray,
}

/// A non-streaming answer.
#[derive(Debug)]
pub(crate) struct Body {
    pub(crate) template: Template,
    /// Responses API: the prefix of the answer's id (`resp_`); the answer is stored under
    /// its id for `GET /v1/responses/{id}`.
    pub(crate) stored_prefix: Option<String>,
}

/// What `GET /v1/responses/{id}` answers for a streamed response.
#[derive(Debug)]
pub(crate) struct Stored {
    /// The prefix of the response id (`resp_`).
    pub(crate) prefix: String,
    pub(crate) body: Template,
}

/// A streaming answer: its events, the last one terminal (`[DONE]`, `message_stop`,
/// `response.completed`, the final Gemini chunk, Bedrock's `metadata`).
#[derive(Debug)]
pub(crate) struct Stream {
    events: Vec<Template>,
    pub(crate) stored: Option<Stored>,
}

impl Stream {
    /// The events rendered with `fill`, one `Bytes` per event, sharing one allocation.
    pub(crate) fn render(&self, framing: Framing, fill: Fill<'_>) -> Vec<Bytes> {
        let splice = self.events.iter().any(|e| e.changed_by(fill));
        if framing == Framing::Verbatim && !splice {
            return self.events.iter().map(|e| e.whole().clone()).collect();
        }
        let count = self.events.len();
        let capacity: usize = self.events.iter().map(|e| e.rendered_len(fill) + 8).sum();
        let mut buf = BytesMut::with_capacity(capacity + 2);
        let mut ends = Vec::with_capacity(count);
        for (i, event) in self.events.iter().enumerate() {
            match framing {
                Framing::Verbatim => event.render_into(fill, &mut buf),
                Framing::SseData => {
                    buf.extend_from_slice(b"data: ");
                    event.render_into(fill, &mut buf);
                    buf.extend_from_slice(b"\r\n\r\n");
                }
                Framing::JsonArray => {
                    buf.extend_from_slice(if i == 0 { b"[" } else { b",\r\n" });
                    event.render_into(fill, &mut buf);
                    if i + 1 == count {
                        buf.extend_from_slice(b"]");
                    }
                }
            }
            ends.push(buf.len());
        }
        let mut all = buf.freeze();
        let mut at = 0;
        ends.into_iter()
            .map(|end| {
                let event = all.split_to(end - at);
                at = end;
                event
            })
            .collect()
    }
}

/// One API's transcripts.
#[derive(Debug)]
pub(crate) struct ApiFixtures {
    text_body: Body,
    bodies: Vec<(Scenario, Body)>,
    text_stream: Stream,
    streams: Vec<(Scenario, Stream)>,
    /// An event whose data is not JSON: framed for [`Framing::Verbatim`], else the bare
    /// fragment.
    malformed_event: Bytes,
    /// Status → error body.
    errors: Vec<(u16, Bytes)>,
}

impl ApiFixtures {
    /// The non-streaming answer; an API without one for `scenario` answers its `text`.
    pub(crate) fn body(&self, scenario: Scenario) -> &Body {
        self.bodies
            .iter()
            .find(|(s, _)| *s == scenario)
            .map_or(&self.text_body, |(_, b)| b)
    }

    /// The streaming answer; an API without one for `scenario` answers its `text`.
    pub(crate) fn stream(&self, scenario: Scenario) -> &Stream {
        self.streams
            .iter()
            .find(|(s, _)| *s == scenario)
            .map_or(&self.text_stream, |(_, s)| s)
    }

    /// The malformed event framed for `framing`.
    pub(crate) fn malformed_event(&self, framing: Framing) -> Bytes {
        match framing {
            Framing::Verbatim => self.malformed_event.clone(),
            Framing::SseData => {
                let mut b = BytesMut::from(&b"data: "[..]);
                b.extend_from_slice(&self.malformed_event);
                b.extend_from_slice(b"\r\n\r\n");
                b.freeze()
            }
            Framing::JsonArray => {
                let mut b = BytesMut::from(&b",\r\n"[..]);
                b.extend_from_slice(&self.malformed_event);
                b.freeze()
            }
        }
    }

    /// The recorded error body for `status`, if there is one.
    pub(crate) fn error(&self, status: u16) -> Option<&Bytes> {
        self.errors
            .iter()
            .find(|(s, _)| *s == status)
            .map(|(_, b)| b)
    }
}

/// Every API's transcripts.
#[derive(Debug)]
pub(crate) struct Catalog {
    chat: ApiFixtures,
    responses: ApiFixtures,
    messages: ApiFixtures,
    gemini: ApiFixtures,
    converse: ApiFixtures,
}

impl Catalog {
    pub(crate) fn api(&self, api: Api) -> &ApiFixtures {
        match api {
            Api::Chat => &self.chat,
            Api::Responses => &self.responses,
            Api::Messages => &self.messages,
            Api::Gemini => &self.gemini,
            Api::Converse => &self.converse,
        }
    }
}

/// The catalog, built on first use and shared by every server in the process.
pub(crate) fn catalog() -> Result<&'static Catalog, FixtureError> {
    static CATALOG: OnceLock<Result<Catalog, FixtureError>> = OnceLock::new();
    CATALOG.get_or_init(build).as_ref().map_err(Clone::clone)
}

macro_rules! fixture {
    ($path:literal) => {
        (
            $path,
            include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../hermesllm/tests/fixtures/",
                $path
            ))
            .as_slice(),
        )
    };
}

/// A named fixture's bytes.
type Src = (&'static str, &'static [u8]);

/// Where a stream's events come from.
enum StreamSrc {
    /// SSE blocks, served verbatim.
    Sse(Src),
    /// SSE blocks whose data is kept and re-framed (Gemini: SSE or a JSON array).
    SseData(Src),
    /// JSON lines of `{"message_type"?, "event_type", "payload"}`, encoded as eventstream.
    Jsonl(Src),
    /// Recorded eventstream bytes.
    Frames(Src),
}

fn build() -> Result<Catalog, FixtureError> {
    Ok(Catalog {
        chat: chat()?,
        responses: responses()?,
        messages: messages()?,
        gemini: gemini()?,
        converse: converse()?,
    })
}

fn chat() -> Result<ApiFixtures, FixtureError> {
    use Scenario::*;
    use StreamSrc::Sse;
    assemble(
        Api::Chat,
        &[
            (Text, fixture!("openai_chat/responses/text.json")),
            (Tools, fixture!("openai_chat/responses/tool_call.json")),
            (ParallelTools, fixture!("openai_chat/responses/parallel_tool_calls.json")),
            (Thinking, fixture!("openai_chat/responses/reasoning.json")),
            (CacheUsage, fixture!("openai_chat/responses/cached_usage.json")),
            (MaxTokens, fixture!("openai_chat/responses/length.json")),
            (Refusal, fixture!("openai_chat/responses/refusal.json")),
        ],
        vec![
            (Text, Sse(fixture!("openai_chat/streams/text.sse"))),
            (Tools, Sse(fixture!("openai_chat/streams/tools.sse"))),
            (ParallelTools, Sse(fixture!("openai_chat/streams/parallel_tools.sse"))),
            (Thinking, Sse(fixture!("openai_chat/streams/reasoning.sse"))),
            (CacheUsage, Sse(fixture!("openai_chat/streams/usage_cached.sse"))),
            (MaxTokens, Sse(fixture!("openai_chat/streams/length.sse"))),
            (Refusal, Sse(fixture!("openai_chat/streams/refusal.sse"))),
            (Error, Sse(fixture!("openai_chat/streams/error.sse"))),
        ],
        Bytes::from_static(
            b"data: {\"id\":\"chatcmpl-mock\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"delta\":{\"content\":\"\n\n",
        ),
        &[
            (400, fixture!("openai_chat/errors/invalid_request.400.json")),
            (401, fixture!("openai_chat/errors/invalid_api_key.401.json")),
            (404, fixture!("openai_chat/errors/model_not_found.404.json")),
            (429, fixture!("openai_chat/errors/rate_limit.429.json")),
            (500, fixture!("openai_chat/errors/server_error.500.json")),
            (503, fixture!("openai_chat/errors/overloaded.503.json")),
        ],
    )
}

fn responses() -> Result<ApiFixtures, FixtureError> {
    use Scenario::*;
    use StreamSrc::Sse;
    assemble(
        Api::Responses,
        &[
            (Text, fixture!("openai_responses/responses/text.json")),
            (Tools, fixture!("openai_responses/responses/tool_call.json")),
            (ParallelTools, fixture!("openai_responses/responses/parallel_tool_calls.json")),
            (Thinking, fixture!("openai_responses/responses/reasoning.json")),
            (CacheUsage, fixture!("openai_responses/responses/cached_usage.json")),
            (MaxTokens, fixture!("openai_responses/responses/max_tokens.json")),
            (Refusal, fixture!("openai_responses/responses/refusal.json")),
        ],
        vec![
            (Text, Sse(fixture!("openai_responses/streams/text.sse"))),
            (Tools, Sse(fixture!("openai_responses/streams/tools.sse"))),
            (ParallelTools, Sse(fixture!("openai_responses/streams/parallel_tools.sse"))),
            (Thinking, Sse(fixture!("openai_responses/streams/thinking.sse"))),
            (CacheUsage, Sse(fixture!("openai_responses/streams/usage_cached_incomplete.sse"))),
            (MaxTokens, Sse(fixture!("openai_responses/streams/usage_cached_incomplete.sse"))),
            (Error, Sse(fixture!("openai_responses/streams/error.sse"))),
        ],
        Bytes::from_static(
            b"event: response.output_text.delta\ndata: {\"type\": \"response.output_text.delta\", \"sequence_nu\n\n",
        ),
        &[
            (400, fixture!("openai_responses/errors/invalid_request.400.json")),
            (401, fixture!("openai_responses/errors/invalid_api_key.401.json")),
            (404, fixture!("openai_responses/errors/not_found.404.json")),
            (429, fixture!("openai_responses/errors/rate_limit.429.json")),
            (500, fixture!("openai_responses/errors/server_error.500.json")),
            (503, fixture!("openai_responses/errors/overloaded.503.json")),
        ],
    )
}

fn messages() -> Result<ApiFixtures, FixtureError> {
    use Scenario::*;
    use StreamSrc::Sse;
    assemble(
        Api::Messages,
        &[
            (Text, fixture!("anthropic_messages/responses/text.json")),
            (Tools, fixture!("anthropic_messages/responses/tool_use.json")),
            (ParallelTools, fixture!("anthropic_messages/responses/parallel_tool_use.json")),
            (Thinking, fixture!("anthropic_messages/responses/thinking.json")),
            (CacheUsage, fixture!("anthropic_messages/responses/cache_usage.json")),
            (MaxTokens, fixture!("anthropic_messages/responses/max_tokens.json")),
            (Refusal, fixture!("anthropic_messages/responses/refusal.json")),
            (StopSequence, fixture!("anthropic_messages/responses/stop_sequence.json")),
        ],
        vec![
            (Text, Sse(fixture!("anthropic_messages/streams/text.sse"))),
            (Tools, Sse(fixture!("anthropic_messages/streams/tools.sse"))),
            (ParallelTools, Sse(fixture!("anthropic_messages/streams/parallel_tools.sse"))),
            (Thinking, Sse(fixture!("anthropic_messages/streams/thinking.sse"))),
            (CacheUsage, Sse(fixture!("anthropic_messages/streams/cache_usage.sse"))),
            (Error, Sse(fixture!("anthropic_messages/streams/error.sse"))),
        ],
        Bytes::from_static(
            b"event: content_block_delta\ndata: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": \"text_de\n\n",
        ),
        &[
            (400, fixture!("anthropic_messages/errors/invalid_request.400.json")),
            (401, fixture!("anthropic_messages/errors/authentication.401.json")),
            (404, fixture!("anthropic_messages/errors/not_found.404.json")),
            (413, fixture!("anthropic_messages/errors/request_too_large.413.json")),
            (429, fixture!("anthropic_messages/errors/rate_limit.429.json")),
            (500, fixture!("anthropic_messages/errors/api_error.500.json")),
            (529, fixture!("anthropic_messages/errors/overloaded.529.json")),
        ],
    )
}

fn gemini() -> Result<ApiFixtures, FixtureError> {
    use Scenario::*;
    use StreamSrc::SseData;
    assemble(
        Api::Gemini,
        &[
            (Text, fixture!("gemini/responses/text.json")),
            (Tools, fixture!("gemini/responses/tool_call.json")),
            (
                ParallelTools,
                fixture!("gemini/responses/parallel_tool_calls.json"),
            ),
            (Thinking, fixture!("gemini/responses/thinking.json")),
            (CacheUsage, fixture!("gemini/responses/usage_cache.json")),
            (MaxTokens, fixture!("gemini/responses/max_tokens.json")),
            (Refusal, fixture!("gemini/responses/safety.json")),
        ],
        vec![
            (Text, SseData(fixture!("gemini/streams/text.sse"))),
            (Tools, SseData(fixture!("gemini/streams/tools.sse"))),
            (
                ParallelTools,
                SseData(fixture!("gemini/streams/parallel_tools.sse")),
            ),
            (Thinking, SseData(fixture!("gemini/streams/thinking.sse"))),
            (
                CacheUsage,
                SseData(fixture!("gemini/streams/usage_cache.sse")),
            ),
            (
                MaxTokens,
                SseData(fixture!("gemini/streams/max_tokens.sse")),
            ),
            (Refusal, SseData(fixture!("gemini/streams/safety.sse"))),
            (Error, SseData(fixture!("gemini/streams/error.sse"))),
        ],
        Bytes::from_static(b"{\"candidates\": [{\"content\": {\"parts\": [{\"te"),
        &[
            (400, fixture!("gemini/errors/invalid_argument.400.json")),
            (401, fixture!("gemini/errors/unauthenticated.401.json")),
            (403, fixture!("gemini/errors/permission_denied.403.json")),
            (404, fixture!("gemini/errors/not_found.404.json")),
            (429, fixture!("gemini/errors/resource_exhausted.429.json")),
            (500, fixture!("gemini/errors/internal.500.json")),
            (503, fixture!("gemini/errors/unavailable.503.json")),
            (504, fixture!("gemini/errors/deadline_exceeded.504.json")),
        ],
    )
}

fn converse() -> Result<ApiFixtures, FixtureError> {
    use Scenario::*;
    use StreamSrc::{Frames, Jsonl};
    let capture_text = || {
        Frames((
            "bedrock/converse-stream-text.bin",
            include_bytes!("../fixtures/bedrock/converse-stream-text.bin"),
        ))
    };
    let capture_tools = || {
        Frames((
            "bedrock/converse-stream-tools.bin",
            include_bytes!("../fixtures/bedrock/converse-stream-tools.bin"),
        ))
    };
    assemble(
        Api::Converse,
        &[
            (Text, fixture!("bedrock_converse/responses/text.json")),
            (Tools, fixture!("bedrock_converse/responses/tool_use.json")),
            (
                ParallelTools,
                fixture!("bedrock_converse/responses/parallel_tool_use.json"),
            ),
            (
                Thinking,
                fixture!("bedrock_converse/responses/thinking.json"),
            ),
            (
                CacheUsage,
                fixture!("bedrock_converse/responses/cache_usage.json"),
            ),
            (
                MaxTokens,
                fixture!("bedrock_converse/responses/max_tokens.json"),
            ),
            (
                Refusal,
                fixture!("bedrock_converse/responses/content_filtered.json"),
            ),
            (
                StopSequence,
                fixture!("bedrock_converse/responses/stop_sequence.json"),
            ),
            (
                CaptureText,
                fixture!("bedrock_converse/responses/max_tokens.json"),
            ),
            (
                CaptureTools,
                fixture!("bedrock_converse/responses/tool_use.json"),
            ),
        ],
        vec![
            (Text, Jsonl(fixture!("bedrock_converse/streams/text.jsonl"))),
            // The real captures serve the scenarios whose stop reason they end with.
            (Tools, capture_tools()),
            (MaxTokens, capture_text()),
            (CaptureText, capture_text()),
            (CaptureTools, capture_tools()),
            (
                ParallelTools,
                Jsonl(fixture!("bedrock_converse/streams/parallel_tools.jsonl")),
            ),
            (
                Thinking,
                Jsonl(fixture!("bedrock_converse/streams/thinking.jsonl")),
            ),
            (
                CacheUsage,
                Jsonl(fixture!("bedrock_converse/streams/cache_usage.jsonl")),
            ),
            (
                StopSequence,
                Jsonl(fixture!("bedrock_converse/streams/stop_sequence.jsonl")),
            ),
            (
                Error,
                Jsonl(fixture!("bedrock_converse/streams/error.jsonl")),
            ),
        ],
        eventstream::encode(
            "event",
            "contentBlockDelta",
            Bytes::from_static(b"{\"contentBlockIndex\": 0, \"delta\": {\"te"),
        )?,
        &[
            (400, fixture!("bedrock_converse/errors/validation.400.json")),
            (
                401,
                fixture!("bedrock_converse/errors/unrecognized_client.401.json"),
            ),
            (
                403,
                fixture!("bedrock_converse/errors/access_denied.403.json"),
            ),
            (404, fixture!("bedrock_converse/errors/not_found.404.json")),
            (
                408,
                fixture!("bedrock_converse/errors/model_timeout.408.json"),
            ),
            (
                424,
                fixture!("bedrock_converse/errors/model_error.424.json"),
            ),
            (429, fixture!("bedrock_converse/errors/throttling.429.json")),
            (500, fixture!("bedrock_converse/errors/internal.500.json")),
            (
                503,
                fixture!("bedrock_converse/errors/service_unavailable.503.json"),
            ),
        ],
    )
}

/// Builds one API's fixtures; `text` must be among both the bodies and the streams.
///
/// Each non-streaming body is made to agree with the stream served for the same scenario
/// (its own, or `text`'s when the API has none): the body's usage becomes the stream's final
/// usage, and when both hold exactly one text (and the stream is the scenario's own) the
/// body's text becomes the stream's. A Chat stream without a usage chunk gets one, carrying
/// its body's usage.
fn assemble(
    api: Api,
    bodies: &[(Scenario, Src)],
    streams: Vec<(Scenario, StreamSrc)>,
    malformed_event: Bytes,
    errors: &[(u16, Src)],
) -> Result<ApiFixtures, FixtureError> {
    let mut loaded = Vec::with_capacity(streams.len());
    for (scenario, src) in streams {
        let (stream, summary) = load_stream(api, src)?;
        loaded.push((scenario, stream, summary));
    }
    let missing = |what: &str| FixtureError::new(api.name(), format!("no text {what}"));
    let text_index = loaded
        .iter()
        .position(|(s, _, _)| *s == Scenario::Text)
        .ok_or_else(|| missing("stream"))?;
    let mut text_body = None;
    let mut others = Vec::new();
    for &(scenario, (name, bytes)) in bodies {
        let own = loaded.iter().position(|(s, _, _)| *s == scenario);
        let index = own.unwrap_or(text_index);
        let (_, stream, summary) = loaded
            .get_mut(index)
            .ok_or_else(|| FixtureError::new(name, "no stream"))?;
        if summary.usage.is_none() && api == Api::Chat && own.is_some() {
            summary.usage = Some(add_chat_usage_chunk(name, bytes, stream, summary)?);
        }
        let body = load_body(api, name, bytes, summary, own.is_some())?;
        if scenario == Scenario::Text {
            text_body = Some(body);
        } else {
            others.push((scenario, body));
        }
    }
    let mut text_stream = None;
    let mut other_streams = Vec::new();
    for (scenario, stream, _) in loaded {
        if scenario == Scenario::Text {
            text_stream = Some(stream);
        } else {
            other_streams.push((scenario, stream));
        }
    }
    Ok(ApiFixtures {
        text_body: text_body.ok_or_else(|| missing("response"))?,
        bodies: others,
        text_stream: text_stream.ok_or_else(|| missing("stream"))?,
        streams: other_streams,
        malformed_event,
        errors: errors
            .iter()
            .map(|&(status, (_, bytes))| (status, Bytes::from_static(bytes)))
            .collect(),
    })
}

/// What a stream says in the end, as its non-streaming body must too.
#[derive(Debug, Default)]
struct Summary {
    /// The final usage, in the API's shape.
    usage: Option<Value>,
    /// The answer's text, concatenated.
    text: String,
    /// The distinct text blocks the text came in.
    text_blocks: BTreeSet<(u64, u64)>,
    /// The first event with an answer id (Chat: the chunk a usage chunk is modelled on).
    head: Option<Value>,
}

/// The answer id in a body or a stream event: Chat's `id`, Responses' `response.id` (`id`
/// in the body), Anthropic's `message.id` (`id`), Gemini's `responseId`. Bedrock has none.
fn answer_id(api: Api, value: &Value) -> Option<&str> {
    let id = match api {
        Api::Chat => value.get("id"),
        Api::Responses => value.pointer("/response/id").or_else(|| value.get("id")),
        Api::Messages => value.pointer("/message/id").or_else(|| value.get("id")),
        Api::Gemini => value.get("responseId"),
        Api::Converse => None,
    };
    id.and_then(Value::as_str)
}

/// The id and its prefix length, as [`Template::new`] takes them.
fn id_hole(id: Option<&str>) -> Option<(&str, usize)> {
    id.map(|id| (id, ids::prefix_len(id)))
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn u64_at(v: &Value, pointer: &str) -> Option<u64> {
    v.pointer(pointer).and_then(Value::as_u64)
}

fn summarize(api: Api, values: &[Value]) -> Summary {
    let mut summary = Summary {
        head: values.iter().find(|v| answer_id(api, v).is_some()).cloned(),
        ..Summary::default()
    };
    for v in values {
        let mut text = |t: &str, block: (u64, u64)| {
            summary.text.push_str(t);
            summary.text_blocks.insert(block);
        };
        match api {
            Api::Chat => {
                for choice in v
                    .get("choices")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let (Some(0), Some(t)) =
                        (u64_at(choice, "/index"), str_at(choice, "/delta/content"))
                        && !t.is_empty()
                    {
                        text(t, (0, 0));
                    }
                }
            }
            Api::Responses => {
                if str_at(v, "/type") == Some("response.output_text.delta")
                    && let Some(t) = str_at(v, "/delta")
                {
                    let block = (
                        u64_at(v, "/output_index").unwrap_or(0),
                        u64_at(v, "/content_index").unwrap_or(0),
                    );
                    text(t, block);
                }
            }
            Api::Messages => {
                if str_at(v, "/type") == Some("content_block_delta")
                    && str_at(v, "/delta/type") == Some("text_delta")
                    && let Some(t) = str_at(v, "/delta/text")
                {
                    text(t, (u64_at(v, "/index").unwrap_or(0), 0));
                }
            }
            Api::Gemini => {
                let parts = v.pointer("/candidates/0/content/parts");
                for part in parts.and_then(Value::as_array).into_iter().flatten() {
                    let thought = part.get("thought").and_then(Value::as_bool) == Some(true);
                    if let Some(t) = str_at(part, "/text")
                        && !thought
                    {
                        text(t, (0, 0));
                    }
                }
            }
            Api::Converse => {
                if let Some(t) = str_at(v, "/delta/text") {
                    text(t, (u64_at(v, "/contentBlockIndex").unwrap_or(0), 0));
                }
            }
        }
        let usage = match api {
            Api::Chat | Api::Converse => v.get("usage"),
            Api::Responses => v.pointer("/response/usage"),
            Api::Messages => v.pointer("/message/usage").or_else(|| v.get("usage")),
            Api::Gemini => v.get("usageMetadata"),
        };
        let Some(Value::Object(usage)) = usage else {
            continue;
        };
        match (&mut summary.usage, api) {
            // Anthropic: `message_start`'s usage, updated by each `message_delta`'s.
            (Some(Value::Object(so_far)), Api::Messages) => {
                so_far.extend(usage.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            (slot, _) => *slot = Some(Value::Object(usage.clone())),
        }
    }
    summary
}

/// Inserts a usage chunk before a Chat stream's `[DONE]`, carrying the body's usage; returns
/// that usage.
fn add_chat_usage_chunk(
    name: &str,
    body: &[u8],
    stream: &mut Stream,
    summary: &Summary,
) -> Result<Value, FixtureError> {
    let value = parse_json(name, body)?;
    let usage = value
        .get("usage")
        .filter(|u| u.is_object())
        .ok_or_else(|| FixtureError::new(name, "no usage in the body or the stream"))?;
    let head = summary
        .head
        .as_ref()
        .ok_or_else(|| FixtureError::new(name, "a stream without an id"))?;
    let mut chunk = serde_json::Map::new();
    for key in ["id", "object", "created", "model", "system_fingerprint"] {
        if let Some(v) = head.get(key) {
            chunk.insert(key.to_owned(), v.clone());
        }
    }
    chunk.insert("choices".to_owned(), Value::Array(Vec::new()));
    chunk.insert("usage".to_owned(), usage.clone());
    let json = serde_json::to_string(&chunk).map_err(|e| FixtureError::new(name, e.to_string()))?;
    let event = Template::new(
        Bytes::from(format!("data: {json}\n\n")),
        id_hole(answer_id(Api::Chat, head)),
    );
    let at = stream.events.len().saturating_sub(1);
    stream.events.insert(at, event);
    Ok(usage.clone())
}

fn load_body(
    api: Api,
    name: &str,
    bytes: &'static [u8],
    summary: &Summary,
    own_stream: bool,
) -> Result<Body, FixtureError> {
    let value = parse_json(name, bytes)?;
    let mut edits = Vec::new();
    let usage_key = if api == Api::Gemini {
        "usageMetadata"
    } else {
        "usage"
    };
    let usage = summary
        .usage
        .as_ref()
        .ok_or_else(|| FixtureError::new(name, "its stream has no usage"))?;
    let span = jsonspan::span(bytes, &[Step::Key(usage_key)])
        .ok_or_else(|| FixtureError::new(name, format!("no `{usage_key}`")))?;
    let usage = serde_json::to_vec(usage).map_err(|e| FixtureError::new(name, e.to_string()))?;
    edits.push((span, usage));
    if own_stream
        && summary.text_blocks.len() == 1
        && let Some(path) = single_text(api, &value)
        && let Some(span) = jsonspan::span(bytes, &path)
    {
        let text = serde_json::to_vec(&summary.text)
            .map_err(|e| FixtureError::new(name, e.to_string()))?;
        edits.push((span, text));
    }
    let id = answer_id(api, &value);
    Ok(Body {
        template: Template::new(Bytes::from(jsonspan::splice(bytes, edits)), id_hole(id)),
        stored_prefix: match (api, id) {
            (Api::Responses, Some(id)) => id.get(..ids::prefix_len(id)).map(str::to_owned),
            _ => None,
        },
    })
}

/// The path of the body's only text, when it has exactly one.
fn single_text(api: Api, value: &Value) -> Option<Vec<Step<'static>>> {
    use Step::{Index, Key};
    let items = |v: Option<&Value>| v.and_then(Value::as_array).cloned().unwrap_or_default();
    let is = |v: &Value, key: &str, want: &str| v.get(key).and_then(Value::as_str) == Some(want);
    let has_text = |v: &Value| v.get("text").is_some_and(Value::is_string);
    let mut found = Vec::new();
    match api {
        Api::Chat => {
            let choices = items(value.get("choices"));
            if choices.len() == 1 && value.pointer("/choices/0/message/content")?.is_string() {
                found.push(vec![
                    Key("choices"),
                    Index(0),
                    Key("message"),
                    Key("content"),
                ]);
            }
        }
        Api::Responses => {
            for (i, item) in items(value.get("output")).iter().enumerate() {
                for (j, part) in items(item.get("content")).iter().enumerate() {
                    if is(item, "type", "message") && is(part, "type", "output_text") {
                        let path = [Key("output"), Index(i), Key("content"), Index(j)];
                        found.push([&path[..], &[Key("text")]].concat());
                    }
                }
            }
        }
        Api::Messages => {
            for (i, block) in items(value.get("content")).iter().enumerate() {
                if is(block, "type", "text") && has_text(block) {
                    found.push(vec![Key("content"), Index(i), Key("text")]);
                }
            }
        }
        Api::Gemini => {
            if items(value.get("candidates")).len() == 1 {
                let parts = items(value.pointer("/candidates/0/content/parts"));
                for (j, part) in parts.iter().enumerate() {
                    let thought = part.get("thought").and_then(Value::as_bool) == Some(true);
                    if has_text(part) && !thought {
                        let path = [Key("candidates"), Index(0), Key("content")];
                        found.push([&path[..], &[Key("parts"), Index(j), Key("text")]].concat());
                    }
                }
            }
        }
        Api::Converse => {
            let content = items(value.pointer("/output/message/content"));
            for (i, block) in content.iter().enumerate() {
                if has_text(block) {
                    let path = [Key("output"), Key("message"), Key("content"), Index(i)];
                    found.push([&path[..], &[Key("text")]].concat());
                }
            }
        }
    }
    if found.len() == 1 { found.pop() } else { None }
}

/// A stream's events and what they say (their JSON: the SSE data, Bedrock's payloads).
fn load_stream(api: Api, src: StreamSrc) -> Result<(Stream, Summary), FixtureError> {
    let json = |bytes: &[u8]| serde_json::from_slice::<Value>(bytes).ok();
    // Each event's bytes, whether a template may splice them, and its JSON.
    let raw: Vec<(Bytes, bool, Option<Value>)> = match src {
        StreamSrc::Sse((name, bytes)) => sse_blocks(name, bytes)?
            .into_iter()
            .map(|block| {
                let value = sse_data(&block).and_then(|d| json(d.as_bytes()));
                (Bytes::from(block), true, value)
            })
            .collect(),
        StreamSrc::SseData((name, bytes)) => sse_blocks(name, bytes)?
            .iter()
            .map(|block| {
                sse_data(block)
                    .map(|data| {
                        (
                            Bytes::copy_from_slice(data.as_bytes()),
                            true,
                            json(data.as_bytes()),
                        )
                    })
                    .ok_or_else(|| FixtureError::new(name, "an event without data"))
            })
            .collect::<Result<_, _>>()?,
        StreamSrc::Jsonl((name, bytes)) => jsonl_frames(name, bytes)?
            .into_iter()
            .map(|(frame, payload)| (frame, false, Some(payload)))
            .collect(),
        StreamSrc::Frames((name, bytes)) => {
            eventstream::split_frames(name, Bytes::from_static(bytes))?
                .into_iter()
                .map(|frame| {
                    let payload = eventstream::payload(&frame).and_then(json);
                    (frame, false, payload)
                })
                .collect()
        }
    };
    let values: Vec<Value> = raw.iter().filter_map(|(_, _, v)| v.clone()).collect();
    let summary = summarize(api, &values);
    let id = summary.head.as_ref().and_then(|h| answer_id(api, h));
    let events = raw
        .into_iter()
        .map(|(bytes, splice, _)| {
            if splice {
                Template::new(bytes, id_hole(id))
            } else {
                Template::literal(bytes)
            }
        })
        .collect();
    let stored = match (api, id) {
        (Api::Responses, Some(id)) => stored_from_stream(&values, id)?,
        _ => None,
    };
    Ok((Stream { events, stored }, summary))
}

/// The SSE events of a fixture, each with its trailing blank line.
fn sse_blocks(name: &str, bytes: &[u8]) -> Result<Vec<String>, FixtureError> {
    let text = std::str::from_utf8(bytes).map_err(|e| FixtureError::new(name, e.to_string()))?;
    // Gemini's recordings end events with CRLF pairs, the others with LF pairs.
    let separator = if text.contains("\r\n\r\n") {
        "\r\n\r\n"
    } else {
        "\n\n"
    };
    Ok(text
        .split(separator)
        .map(|block| block.trim_matches(['\r', '\n']))
        .filter(|block| !block.is_empty())
        .map(|block| format!("{block}{separator}"))
        .collect())
}

/// The `data:` payload of one SSE block.
fn sse_data(block: &str) -> Option<&str> {
    block.lines().find_map(|line| {
        line.strip_prefix("data:")
            .map(|d| d.strip_prefix(' ').unwrap_or(d))
    })
}

/// Each line's eventstream frame and its payload.
fn jsonl_frames(name: &str, bytes: &[u8]) -> Result<Vec<(Bytes, Value)>, FixtureError> {
    let text = std::str::from_utf8(bytes).map_err(|e| FixtureError::new(name, e.to_string()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let value: Value = parse_json(name, line.as_bytes())?;
            let message_type = value
                .get("message_type")
                .and_then(Value::as_str)
                .unwrap_or("event");
            let event_type = string_field(name, &value, "event_type")?;
            let payload = value.get("payload").cloned().unwrap_or(Value::Null);
            let encoded =
                serde_json::to_vec(&payload).map_err(|e| FixtureError::new(name, e.to_string()))?;
            Ok((
                eventstream::encode(message_type, &event_type, encoded)?,
                payload,
            ))
        })
        .collect()
}

/// For a Responses stream: the last event's full `response` object.
fn stored_from_stream(values: &[Value], id: &str) -> Result<Option<Stored>, FixtureError> {
    let Some(response) = values.iter().rev().find_map(|v| v.get("response")) else {
        return Ok(None);
    };
    let body = serde_json::to_vec(response)
        .map_err(|e| FixtureError::new("responses stream", e.to_string()))?;
    Ok(Some(Stored {
        prefix: id.get(..ids::prefix_len(id)).unwrap_or_default().to_owned(),
        body: Template::new(Bytes::from(body), id_hole(Some(id))),
    }))
}

fn parse_json(name: &str, bytes: &[u8]) -> Result<Value, FixtureError> {
    serde_json::from_slice(bytes).map_err(|e| FixtureError::new(name, e.to_string()))
}

fn string_field(name: &str, value: &Value, field: &str) -> Result<String, FixtureError> {
    value
        .get(field)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| FixtureError::new(name, format!("no string `{field}`")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fixture_loads() {
        let catalog = catalog().unwrap();
        for api in [
            Api::Chat,
            Api::Responses,
            Api::Messages,
            Api::Gemini,
            Api::Converse,
        ] {
            let f = catalog.api(api);
            assert!(!f.stream(Scenario::Text).events.is_empty(), "{api:?}");
        }
        let converse = catalog.api(Api::Converse);
        // `text` is the JSON-lines transcript ending with `end_turn`; the real captures
        // serve the scenarios whose stop reason they end with.
        assert_eq!(converse.stream(Scenario::Text).events.len(), 7);
        assert_eq!(converse.stream(Scenario::CaptureText).events.len(), 88);
        assert_eq!(converse.stream(Scenario::MaxTokens).events.len(), 88);
        assert_eq!(converse.stream(Scenario::Tools).events.len(), 543);
        assert_eq!(converse.stream(Scenario::CaptureTools).events.len(), 543);
    }

    #[test]
    fn responses_streams_know_their_stored_response() {
        let catalog = catalog().unwrap();
        let stream = catalog.api(Api::Responses).stream(Scenario::Text);
        let stored = stream.stored.as_ref().unwrap();
        assert_eq!(stored.prefix, "resp_");
        let body = stored.body.render(Fill {
            model: None,
            id: Some(b"xyz"),
        });
        let value: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value["id"], "resp_xyz");
    }

    /// Every scenario's body says what its stream says: usage, and text where both hold one.
    #[test]
    fn bodies_agree_with_their_streams() {
        let catalog = catalog().unwrap();
        for api in [
            Api::Chat,
            Api::Responses,
            Api::Messages,
            Api::Gemini,
            Api::Converse,
        ] {
            let f = catalog.api(api);
            for scenario in Scenario::ALL {
                if scenario == Scenario::Error {
                    continue;
                }
                let stream = f.stream(scenario);
                let values: Vec<Value> = stream
                    .events
                    .iter()
                    .filter_map(|e| {
                        let bytes = e.whole();
                        let data = match api {
                            Api::Gemini => Some(&bytes[..]),
                            Api::Converse => eventstream::payload(bytes),
                            _ => std::str::from_utf8(bytes)
                                .ok()
                                .and_then(sse_data)
                                .map(str::as_bytes),
                        };
                        data.and_then(|d| serde_json::from_slice(d).ok())
                    })
                    .collect();
                let summary = summarize(api, &values);
                let body: Value =
                    serde_json::from_slice(f.body(scenario).template.whole()).unwrap();
                let key = if api == Api::Gemini {
                    "usageMetadata"
                } else {
                    "usage"
                };
                assert_eq!(
                    Some(&body[key]),
                    summary.usage.as_ref(),
                    "{api:?} {scenario:?}"
                );
            }
        }
    }

    #[test]
    fn gemini_array_framing_is_one_json_array() {
        let catalog = catalog().unwrap();
        let stream = catalog.api(Api::Gemini).stream(Scenario::Text);
        let fill = Fill {
            model: Some(b"\"g-x\""),
            id: None,
        };
        let chunks = stream.render(Framing::JsonArray, fill);
        let joined: Vec<u8> = chunks.concat();
        let value: Value = serde_json::from_slice(&joined).unwrap();
        let items = value.as_array().unwrap();
        assert_eq!(items.len(), 3);
        assert!(items.iter().all(|i| i["modelVersion"] == "g-x"));
    }
}
