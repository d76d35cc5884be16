//! Fixture loading, small helpers and stream helpers.

use std::fs;
use std::path::{Path, PathBuf};

use hermesllm::ir::{self, ApiError, StopReason, Usage};
use hermesllm::ir::{BlockStart, Delta, StreamEvent};
use hermesllm::openai_responses::{StreamDecoder, StreamEncoder};
use hermesllm::openai_responses::{decode_request, encode_request};
use hermesllm::stream::{Frame, StreamDecode, StreamEncode, StreamMeta};
use hermesllm::{Losses, RequestMeta, ResponseMeta, Str};
use serde_json::Value;

pub fn dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/openai_responses")
        .join(kind)
}

pub fn fixtures(kind: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = fs::read_dir(dir(kind))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

pub fn fixture(kind: &str, name: &str) -> Vec<u8> {
    fs::read(dir(kind).join(name)).unwrap()
}

pub fn meta() -> RequestMeta<'static> {
    RequestMeta::default()
}

pub fn req(body: &[u8]) -> ir::Request<'_> {
    decode_request(body, &meta()).unwrap()
}

pub fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

pub fn encode_req(r: &ir::Request<'_>) -> (Value, Losses) {
    let mut losses = Losses::default();
    let body = encode_request(r, &mut losses).unwrap();
    (json(&body), losses)
}

pub fn resp_meta() -> ResponseMeta<'static> {
    ResponseMeta {
        id: "resp_gateway1".into(),
        created: 1_700_000_000,
        model: "fallback-model".into(),
    }
}

/// Splits SSE text into (event, data) pairs on blank lines.
pub fn sse_events(text: &str) -> Vec<(String, String)> {
    text.split("\n\n")
        .filter(|b| !b.trim().is_empty())
        .map(|block| {
            let mut event = String::new();
            let mut data = Vec::new();
            for line in block.lines() {
                if let Some(e) = line.strip_prefix("event: ") {
                    event = e.to_owned();
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data.push(d);
                }
            }
            (event, data.join("\n"))
        })
        .collect()
}

pub fn own(ev: StreamEvent<'_>) -> StreamEvent<'static> {
    match ev {
        StreamEvent::Start {
            id,
            model,
            created,
            usage,
        } => StreamEvent::Start {
            id: id.into_owned(),
            model: model.into_owned(),
            created,
            usage,
        },
        StreamEvent::BlockStart { index, block } => StreamEvent::BlockStart {
            index,
            block: match block {
                BlockStart::ToolCall { id, name, kind } => BlockStart::ToolCall {
                    id: id.into_owned(),
                    name: name.into_owned(),
                    kind,
                },
                BlockStart::Thinking { origin, id } => BlockStart::Thinking {
                    origin,
                    id: id.map(Str::into_owned),
                },
                BlockStart::RedactedThinking { data, origin } => BlockStart::RedactedThinking {
                    data: data.into_owned(),
                    origin,
                },
                BlockStart::Text => BlockStart::Text,
                BlockStart::Refusal => BlockStart::Refusal,
                other => panic!("unexpected {other:?}"),
            },
        },
        StreamEvent::Delta { index, delta } => StreamEvent::Delta {
            index,
            delta: match delta {
                Delta::Text(t) => Delta::Text(t.into_owned()),
                Delta::ToolArguments(t) => Delta::ToolArguments(t.into_owned()),
                Delta::Thinking(t) => Delta::Thinking(t.into_owned()),
                Delta::Signature(t) => Delta::Signature(t.into_owned()),
                other => panic!("unexpected {other:?}"),
            },
        },
        StreamEvent::BlockStop { index } => StreamEvent::BlockStop { index },
        StreamEvent::Stop {
            reason,
            stop_sequence,
        } => StreamEvent::Stop {
            reason: reason.map(|r| match r {
                StopReason::Other(s) => StopReason::Other(s.into_owned()),
                StopReason::EndTurn => StopReason::EndTurn,
                StopReason::MaxTokens => StopReason::MaxTokens,
                StopReason::StopSequence => StopReason::StopSequence,
                StopReason::ToolUse => StopReason::ToolUse,
                StopReason::ContentFilter => StopReason::ContentFilter,
                StopReason::Refusal => StopReason::Refusal,
                StopReason::PauseTurn => StopReason::PauseTurn,
                StopReason::ContextWindowExceeded => StopReason::ContextWindowExceeded,
                other => panic!("unexpected {other:?}"),
            }),
            stop_sequence: stop_sequence.map(Str::into_owned),
        },
        StreamEvent::Usage(u) => StreamEvent::Usage(u),
        StreamEvent::Error(e) => StreamEvent::Error(ApiError {
            status: e.status,
            kind: e.kind,
            message: e.message.into_owned(),
            code: e.code.map(Str::into_owned),
            param: e.param.map(Str::into_owned),
            origin: e.origin,
        }),
        StreamEvent::Done => StreamEvent::Done,
        other => panic!("unexpected {other:?}"),
    }
}

pub fn decode_stream(text: &str) -> Vec<StreamEvent<'static>> {
    let mut dec = StreamDecoder::new();
    let mut out = Vec::new();
    for (event, data) in sse_events(text) {
        dec.decode(
            &Frame::Sse {
                event: &event,
                data: &data,
            },
            &mut |e| out.push(own(e)),
        )
        .unwrap_or_else(|e| panic!("{event}: {e}"));
    }
    dec.finish(&mut |e| out.push(own(e)));
    out
}

pub fn encode_stream(events: &[StreamEvent<'_>]) -> String {
    let mut enc = StreamEncoder::new(StreamMeta {
        id: "resp_meta".into(),
        created: 1_700_000_000,
        model: "meta-model".into(),
        include_usage: false,
    });
    let mut out = Vec::new();
    for e in events {
        enc.encode(e, &mut out);
    }
    String::from_utf8(out).unwrap()
}

pub fn stream_fixture(name: &str) -> String {
    String::from_utf8(fixture("streams", name)).unwrap()
}

/// Concatenated text deltas, tool arguments per block, thinking text and signatures.
pub fn collect(events: &[StreamEvent<'_>]) -> (String, Vec<String>, String, String) {
    let (mut text, mut args, mut thinking, mut sig) =
        (String::new(), Vec::new(), String::new(), String::new());
    let mut arg_index = Vec::new();
    for e in events {
        match e {
            StreamEvent::BlockStart {
                index,
                block: BlockStart::ToolCall { .. },
            } => {
                arg_index.push(*index);
                args.push(String::new());
            }
            StreamEvent::Delta { index, delta } => match delta {
                Delta::Text(t) => text.push_str(t),
                Delta::ToolArguments(t) => {
                    let k = arg_index.iter().position(|i| i == index).unwrap();
                    args[k].push_str(t);
                }
                Delta::Thinking(t) => thinking.push_str(t),
                Delta::Signature(t) => sig.push_str(t),
                _ => {}
            },
            _ => {}
        }
    }
    (text, args, thinking, sig)
}

pub fn usage_of(events: &[StreamEvent<'_>]) -> Option<Usage> {
    events.iter().rev().find_map(|e| match e {
        StreamEvent::Usage(u) => Some(*u),
        _ => None,
    })
}

pub fn stop_of(events: &[StreamEvent<'_>]) -> Option<StopReason<'static>> {
    events.iter().find_map(|e| match e {
        StreamEvent::Stop { reason, .. } => Some(own_stop(reason.as_ref())),
        _ => None,
    })?
}

pub fn own_stop(r: Option<&StopReason<'_>>) -> Option<StopReason<'static>> {
    match own(StreamEvent::Stop {
        reason: r.cloned(),
        stop_sequence: None,
    }) {
        StreamEvent::Stop { reason, .. } => reason,
        _ => None,
    }
}
