//! The transcripts, compiled in and pre-processed once: hermesllm's recorded-shape fixtures
//! (`hermesllm/tests/fixtures/<api>/{responses,streams,errors}`) and the real Bedrock
//! captures (`tests/mock/fixtures/bedrock`).

use std::sync::OnceLock;

use bytes::{Bytes, BytesMut};
use serde_json::Value;

use crate::eventstream;
use crate::route::Api;
use crate::template::Template;

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
    /// Not in the contract's list: a stream that fails mid-way with the API's error event.
    Error,
}

impl Scenario {
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
    /// The response id, for the Responses API's `GET /v1/responses/{id}`.
    pub(crate) stored_id: Option<String>,
}

/// What `GET /v1/responses/{id}` answers for a streamed response.
#[derive(Debug)]
pub(crate) struct Stored {
    pub(crate) id: String,
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
    /// The events rendered with `model`, one `Bytes` per event, sharing one allocation.
    pub(crate) fn render(&self, framing: Framing, model: Option<&[u8]>) -> Vec<Bytes> {
        let splice = model.is_some() && self.events.iter().any(Template::has_holes);
        if framing == Framing::Verbatim && !splice {
            return self.events.iter().map(|e| e.whole().clone()).collect();
        }
        let count = self.events.len();
        let capacity: usize = self.events.iter().map(|e| e.rendered_len(model) + 8).sum();
        let mut buf = BytesMut::with_capacity(capacity + 2);
        let mut ends = Vec::with_capacity(count);
        for (i, event) in self.events.iter().enumerate() {
            match framing {
                Framing::Verbatim => event.render_into(model, &mut buf),
                Framing::SseData => {
                    buf.extend_from_slice(b"data: ");
                    event.render_into(model, &mut buf);
                    buf.extend_from_slice(b"\r\n\r\n");
                }
                Framing::JsonArray => {
                    buf.extend_from_slice(if i == 0 { b"[" } else { b",\r\n" });
                    event.render_into(model, &mut buf);
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
    let capture = |name: &'static str, bytes: &'static [u8]| Frames((name, bytes));
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
        ],
        vec![
            (
                Text,
                capture(
                    "bedrock/converse-stream-text.bin",
                    include_bytes!("../fixtures/bedrock/converse-stream-text.bin"),
                ),
            ),
            (
                Tools,
                capture(
                    "bedrock/converse-stream-tools.bin",
                    include_bytes!("../fixtures/bedrock/converse-stream-tools.bin"),
                ),
            ),
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
fn assemble(
    api: Api,
    bodies: &[(Scenario, Src)],
    streams: Vec<(Scenario, StreamSrc)>,
    malformed_event: Bytes,
    errors: &[(u16, Src)],
) -> Result<ApiFixtures, FixtureError> {
    let mut text_body = None;
    let mut others = Vec::new();
    for &(scenario, (name, bytes)) in bodies {
        let body = load_body(api, name, bytes)?;
        if scenario == Scenario::Text {
            text_body = Some(body);
        } else {
            others.push((scenario, body));
        }
    }
    let mut text_stream = None;
    let mut other_streams = Vec::new();
    for (scenario, src) in streams {
        let stream = load_stream(api, src)?;
        if scenario == Scenario::Text {
            text_stream = Some(stream);
        } else {
            other_streams.push((scenario, stream));
        }
    }
    let missing = |what: &str| FixtureError::new(api.name(), format!("no text {what}"));
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

fn load_body(api: Api, name: &str, bytes: &'static [u8]) -> Result<Body, FixtureError> {
    let stored_id = if api == Api::Responses {
        let value: Value = parse_json(name, bytes)?;
        Some(string_field(name, &value, "id")?)
    } else {
        None
    };
    Ok(Body {
        template: Template::new(Bytes::from_static(bytes)),
        stored_id,
    })
}

fn load_stream(api: Api, src: StreamSrc) -> Result<Stream, FixtureError> {
    let events: Vec<Template> = match src {
        StreamSrc::Sse((name, bytes)) => sse_blocks(name, bytes)?
            .into_iter()
            .map(|block| Template::new(Bytes::from(block)))
            .collect(),
        StreamSrc::SseData((name, bytes)) => sse_blocks(name, bytes)?
            .iter()
            .map(|block| {
                sse_data(block)
                    .map(|data| Template::new(Bytes::copy_from_slice(data.as_bytes())))
                    .ok_or_else(|| FixtureError::new(name, "an event without data"))
            })
            .collect::<Result<_, _>>()?,
        StreamSrc::Jsonl((name, bytes)) => jsonl_frames(name, bytes)?
            .into_iter()
            .map(Template::literal)
            .collect(),
        StreamSrc::Frames((name, bytes)) => {
            eventstream::split_frames(name, Bytes::from_static(bytes))?
                .into_iter()
                .map(Template::literal)
                .collect()
        }
    };
    let stored = if api == Api::Responses {
        stored_from_stream(&events)?
    } else {
        None
    };
    Ok(Stream { events, stored })
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

fn jsonl_frames(name: &str, bytes: &[u8]) -> Result<Vec<Bytes>, FixtureError> {
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
            let payload = value.get("payload").unwrap_or(&Value::Null);
            let payload =
                serde_json::to_vec(payload).map_err(|e| FixtureError::new(name, e.to_string()))?;
            eventstream::encode(message_type, &event_type, payload)
        })
        .collect()
}

/// For a Responses stream: the last event's full `response` object and its id.
fn stored_from_stream(events: &[Template]) -> Result<Option<Stored>, FixtureError> {
    for event in events.iter().rev() {
        let Some(data) = std::str::from_utf8(event.whole()).ok().and_then(sse_data) else {
            continue;
        };
        let Ok(value) = serde_json::from_str::<Value>(data) else {
            continue;
        };
        if let Some(response) = value.get("response") {
            let id = string_field("responses stream", response, "id")?;
            let body = serde_json::to_vec(response)
                .map_err(|e| FixtureError::new("responses stream", e.to_string()))?;
            return Ok(Some(Stored {
                id,
                body: Template::new(Bytes::from(body)),
            }));
        }
    }
    Ok(None)
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
        let text = catalog.api(Api::Converse).stream(Scenario::Text);
        assert_eq!(text.events.len(), 88);
        let tools = catalog.api(Api::Converse).stream(Scenario::Tools);
        assert_eq!(tools.events.len(), 543);
    }

    #[test]
    fn responses_streams_know_their_stored_response() {
        let catalog = catalog().unwrap();
        let stream = catalog.api(Api::Responses).stream(Scenario::Text);
        let stored = stream.stored.as_ref().unwrap();
        assert_eq!(
            stored.id,
            "resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654"
        );
    }

    #[test]
    fn gemini_array_framing_is_one_json_array() {
        let catalog = catalog().unwrap();
        let stream = catalog.api(Api::Gemini).stream(Scenario::Text);
        let chunks = stream.render(Framing::JsonArray, Some(b"\"g-x\""));
        let joined: Vec<u8> = chunks.concat();
        let value: Value = serde_json::from_slice(&joined).unwrap();
        let items = value.as_array().unwrap();
        assert_eq!(items.len(), 3);
        assert!(items.iter().all(|i| i["modelVersion"] == "g-x"));
    }
}
