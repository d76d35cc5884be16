//! The transcoder's translating path, with stand-in codecs (the APIs' own codecs are tested
//! in their modules): events flow framer → decoder → encoder, a decode error ends the stream
//! with one error event, the summary follows the internal events, and any chunking gives the
//! same output.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod stream_util;

use hermesllm::ir::{
    ApiError, BlockStart, Delta, ErrorKind, StopReason, StreamEvent, ToolCallKind, Usage,
};
use hermesllm::stream::{Frame, StreamDecode, StreamEncode, Transcoder};
use hermesllm::{Api, DecodeError};
use stream_util::{assert_split_invariant, chunk_time, chunks, run_transcoder, timeless};

/// Decodes a toy SSE format: `text:<t>`, `tool:<name>`, `think:<t>`, `stop`, `err`, `bad`.
#[derive(Default)]
struct ToyDecoder {
    open: Option<(u32, &'static str)>,
    next: u32,
    stopped: bool,
}

impl ToyDecoder {
    fn open(
        &mut self,
        kind: &'static str,
        block: BlockStart<'_>,
        emit: &mut dyn FnMut(StreamEvent<'_>),
    ) -> u32 {
        if let Some((i, k)) = self.open {
            if k == kind && kind != "tool" {
                return i;
            }
            emit(StreamEvent::BlockStop { index: i });
        }
        let i = self.next;
        self.next += 1;
        self.open = Some((i, kind));
        emit(StreamEvent::BlockStart { index: i, block });
        i
    }
}

impl StreamDecode for ToyDecoder {
    fn decode(
        &mut self,
        frame: &Frame<'_>,
        emit: &mut dyn FnMut(StreamEvent<'_>),
    ) -> Result<(), DecodeError> {
        let Frame::Sse { data, .. } = frame else {
            return Err(DecodeError::Stream("not SSE".into()));
        };
        if self.next == 0 && self.open.is_none() {
            emit(StreamEvent::Start {
                id: "r1".into(),
                model: "toy".into(),
                created: None,
                usage: Some(Usage {
                    input_tokens: 7,
                    ..Usage::default()
                }),
            });
        }
        if let Some(t) = data.strip_prefix("text:") {
            let i = self.open("text", BlockStart::Text, emit);
            emit(StreamEvent::Delta {
                index: i,
                delta: Delta::Text(t.into()),
            });
        } else if let Some(name) = data.strip_prefix("tool:") {
            let i = self.open(
                "tool",
                BlockStart::ToolCall {
                    id: "c".into(),
                    name: name.into(),
                    kind: ToolCallKind::Function,
                },
                emit,
            );
            emit(StreamEvent::Delta {
                index: i,
                delta: Delta::ToolArguments("{}".into()),
            });
        } else if let Some(t) = data.strip_prefix("think:") {
            let i = self.open(
                "think",
                BlockStart::Thinking {
                    origin: Api::AnthropicMessages,
                    id: None,
                },
                emit,
            );
            emit(StreamEvent::Delta {
                index: i,
                delta: Delta::Thinking(t.into()),
            });
        } else if *data == "stop" {
            if let Some((i, _)) = self.open.take() {
                emit(StreamEvent::BlockStop { index: i });
            }
            emit(StreamEvent::Stop {
                reason: Some(StopReason::Other("toy_stop".into())),
                stop_sequence: None,
            });
            emit(StreamEvent::Usage(Usage {
                input_tokens: 7,
                output_tokens: 9,
                ..Usage::default()
            }));
            self.stopped = true;
        } else if *data == "err" {
            emit(StreamEvent::Error(ApiError::new(
                ErrorKind::Overloaded,
                "busy",
            )));
        } else {
            return Err(DecodeError::Stream(
                format!("unknown event {data:?}").into(),
            ));
        }
        Ok(())
    }

    fn finish(&mut self, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        if self.stopped {
            emit(StreamEvent::Done);
        } else {
            emit(StreamEvent::Error(ApiError::new(
                ErrorKind::Server,
                "truncated",
            )));
        }
    }
}

/// Writes each event as one debug line.
struct LineEncoder;

impl StreamEncode for LineEncoder {
    fn encode(&mut self, event: &StreamEvent<'_>, out: &mut Vec<u8>) {
        out.extend_from_slice(format!("{event:?}\n").as_bytes());
    }
}

fn toy() -> Transcoder<'static> {
    Transcoder::with_codecs(
        Api::OpenAiChat,
        Api::AnthropicMessages,
        Box::new(ToyDecoder::default()),
        Box::new(LineEncoder),
    )
}

fn lines(out: &[u8]) -> Vec<String> {
    String::from_utf8(out.to_vec())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

const STREAM: &[u8] = b": hi\n\ndata: think:hmm\n\ndata: text:Hel\n\ndata: text:lo \xC3\xA9\n\ndata: tool:f\n\ndata: tool:g\r\n\r\ndata: stop\n\n";

#[test]
fn events_flow_and_the_summary_follows_them() {
    let t = toy();
    assert!(!t.is_passthrough());
    assert_eq!(t.content_type(), "text/event-stream");
    let (out, s) = run_transcoder(t, &chunks(STREAM, &[20, 40]));
    let l = lines(&out);
    assert!(l[0].starts_with("Start"));
    assert!(l.iter().any(|x| x.contains("Text(\"lo \u{e9}\")")));
    assert_eq!(l.last().unwrap(), "Done");
    assert_eq!(s.output_text_bytes, "Hello \u{e9}".len() as u64);
    assert_eq!(s.tool_calls, 2);
    assert_eq!(s.stop_reason, Some(StopReason::Other("toy_stop".into())));
    assert_eq!(
        s.usage,
        Some(Usage {
            input_tokens: 7,
            output_tokens: 9,
            ..Usage::default()
        })
    );
    assert!(s.completed);
    assert_eq!(s.error, None);
    // The comment is not an event.
    assert_eq!(s.frames, 6);
    // The thinking delta (second chunk) is the first token.
    assert_eq!(s.first_byte_ms, Some(chunk_time(0)));
    assert_eq!(s.first_token_ms, Some(chunk_time(1)));
    assert_eq!(s.time_to_first_token_ms(900), Some(chunk_time(1) - 900));
}

#[test]
fn any_chunking_gives_the_same_output() {
    let (out, _) = assert_split_invariant(STREAM, 0..=STREAM.len(), 100, |c| {
        let (out, s) = run_transcoder(toy(), c);
        (out, timeless(s))
    });
    assert_eq!(lines(&out).len(), 17);
}

#[test]
fn a_decode_error_ends_the_stream_with_one_error_event() {
    let input = b"data: text:a\n\ndata: bogus\n\ndata: text:b\n\ndata: stop\n\n";
    let mut t = toy();
    let mut out = Vec::new();
    t.push(input, 1, &mut out);
    assert!(t.is_ended());
    t.push(b"data: text:c\n\n", 2, &mut out);
    t.finish(3, &mut out);
    let l = lines(&out);
    assert!(
        l.last()
            .unwrap()
            .starts_with("Error(ApiError { status: 502"),
        "{l:?}"
    );
    assert!(l.last().unwrap().contains("malformed openai_chat stream"));
    assert_eq!(l.iter().filter(|x| x.starts_with("Error")).count(), 1);
    assert!(
        !l.iter()
            .any(|x| x.contains("\"b\"") || x.contains("\"c\"") || x == "Done")
    );
    let s = t.summary();
    assert!(s.ended_in_error());
    assert!(!s.completed);
    assert_eq!(s.output_text_bytes, 1);
}

#[test]
fn an_upstream_error_event_ends_the_stream() {
    let input = b"data: text:a\n\ndata: err\n\ndata: text:b\n\ndata: stop\n\n";
    let (out, s) = run_transcoder(toy(), &[input]);
    let l = lines(&out);
    assert!(l.last().unwrap().contains("kind: Overloaded"));
    assert!(!l.iter().any(|x| x == "Done"));
    assert_eq!(s.error.unwrap().message, "busy");
}

#[test]
fn a_truncated_stream_ends_with_the_decoders_error() {
    let (out, s) = run_transcoder(toy(), &[b"data: text:a\n\ndata: text:b"]);
    let l = lines(&out);
    assert!(l.last().unwrap().contains("truncated"));
    assert_eq!(s.output_text_bytes, 1);
    assert!(s.ended_in_error());
}

#[test]
fn an_oversized_event_ends_the_stream_with_an_error_event() {
    let mut input = b"data: text:a\n\ndata: text:".to_vec();
    input.extend(std::iter::repeat_n(b'x', 4 * 1024 * 1024 + 1));
    input.extend_from_slice(b"\n\ndata: stop\n\n");
    let (out, s) = run_transcoder(toy(), &[&input]);
    let l = lines(&out);
    assert!(l.last().unwrap().contains("larger than"), "{:?}", l.last());
    assert_eq!(l.iter().filter(|x| x.starts_with("Error")).count(), 1);
    assert!(s.ended_in_error());
}
