//! The stream capture: the final response object of a client-bound Responses stream, the
//! same however the bytes were split, with bounded memory; and a streamed turn saved and
//! continued end to end.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use hermesllm::stream::{StreamMeta, Transcoder};
use hermesllm::{Api, Str};
use plano_core::kv::{MemoryKv, now_or_never};
use plano_core::state::{self, CaptureError, Captured, ResponseCapture, SaveOptions, Terminal};
use plano_core::time::ManualClock;

const T0: u64 = 1_700_000_000_000;

fn fixture(api: &str, name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../hermesllm/tests/fixtures/{api}/streams/{name}.sse",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The `response` of the last event named `kind`, parsed, from the stream text.
fn expected_response(stream: &[u8], kind: &str) -> serde_json::Value {
    let text = std::str::from_utf8(stream).unwrap();
    let data = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .rfind(|d| {
            d.contains(&format!("\"type\": \"{kind}\""))
                || d.contains(&format!("\"type\":\"{kind}\""))
        })
        .unwrap_or_else(|| panic!("no {kind} event"));
    let v: serde_json::Value = serde_json::from_str(data).unwrap();
    v["response"].clone()
}

fn capture_all(chunks: &[&[u8]]) -> Result<Captured, CaptureError> {
    let mut c = ResponseCapture::new();
    for chunk in chunks {
        c.push(chunk);
    }
    c.finish()
}

/// Captures `stream` whole, split at every byte offset, and byte by byte: all must agree.
fn assert_split_invariant(stream: &[u8]) -> Result<Captured, CaptureError> {
    let whole = capture_all(&[stream]);
    for i in 0..=stream.len() {
        let (a, b) = stream.split_at(i);
        assert_eq!(capture_all(&[a, b]), whole, "split at {i}");
    }
    let bytes: Vec<&[u8]> = stream.chunks(1).collect();
    assert_eq!(capture_all(&bytes), whole, "byte by byte");
    let threes: Vec<&[u8]> = stream.chunks(3).collect();
    assert_eq!(capture_all(&threes), whole, "three bytes at a time");
    whole
}

#[test]
fn captures_response_completed_at_every_split() {
    let stream = fixture("openai_responses", "text");
    let got = assert_split_invariant(&stream).unwrap();
    assert_eq!(got.terminal, Terminal::Completed);
    let text = std::str::from_utf8(&stream).unwrap();
    assert!(text.contains(got.response.get()), "kept verbatim");
    let v: serde_json::Value = serde_json::from_str(got.response.get()).unwrap();
    assert_eq!(v, expected_response(&stream, "response.completed"));
    assert_eq!(v["status"], "completed");
}

#[test]
fn captures_without_event_lines_and_with_crlf() {
    let stream = fixture("openai_responses", "tools");
    let expected = assert_split_invariant(&stream).unwrap();

    let data_only: String = std::str::from_utf8(&stream)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("event:"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        assert_split_invariant(data_only.as_bytes()).unwrap(),
        expected
    );

    let crlf = std::str::from_utf8(&stream).unwrap().replace('\n', "\r\n");
    assert_eq!(assert_split_invariant(crlf.as_bytes()).unwrap(), expected);
}

#[test]
fn incomplete_is_captured_failed_and_error_are_not() {
    let got =
        assert_split_invariant(&fixture("openai_responses", "usage_cached_incomplete")).unwrap();
    assert_eq!(got.terminal, Terminal::Incomplete);

    assert_eq!(
        assert_split_invariant(&fixture("openai_responses", "failed")),
        Err(CaptureError::Failed("response.failed".to_owned()))
    );
    assert_eq!(
        assert_split_invariant(&fixture("openai_responses", "error")),
        Err(CaptureError::Failed("error".to_owned()))
    );
}

#[test]
fn truncated_malformed_and_oversized_streams() {
    let stream = fixture("openai_responses", "text");
    let text = std::str::from_utf8(&stream).unwrap();
    let cut = text.rfind("event: response.completed").unwrap();
    assert_eq!(
        assert_split_invariant(&stream[..cut]),
        Err(CaptureError::Truncated)
    );
    // The final event without its closing blank line is not an event (WHATWG).
    let unterminated = text.trim_end();
    assert_eq!(
        capture_all(&[unterminated.as_bytes()]),
        Err(CaptureError::Truncated)
    );

    let bad = b"event: response.completed\ndata: {\"type\":\"response.completed\"}\n\n";
    assert!(matches!(
        assert_split_invariant(bad),
        Err(CaptureError::Malformed(_))
    ));
    let bad = b"data: {\"type\":\"response.completed\",\"response\":[1]}\n\n";
    assert!(matches!(
        assert_split_invariant(bad),
        Err(CaptureError::Malformed(_))
    ));
    let bad = b"event: response.completed\ndata: {not json\n\n";
    assert!(matches!(
        assert_split_invariant(bad),
        Err(CaptureError::Malformed(_))
    ));

    let mut small = ResponseCapture::with_max_event_size(1000);
    small.push(&stream);
    assert_eq!(
        small.finish(),
        Err(CaptureError::EventTooLarge { max: 1000 })
    );
}

#[test]
fn memory_stays_bounded() {
    let mut c = ResponseCapture::new();
    let delta = b"event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"hello \"}\n\n";
    let mut peak = 0;
    for _ in 0..20_000 {
        c.push(delta);
        peak = peak.max(c.buffer_capacity());
    }
    assert!(peak < 4096, "peak {peak}");
    assert!(!c.is_done());

    let done = b"data: {\"type\":\"response.completed\",\"response\":{\"id\":\"resp_1\",\"output\":[]}}\n\n";
    c.push(done);
    assert!(c.is_done());
    assert_eq!(
        c.captured().unwrap().response.get(),
        r#"{"id":"resp_1","output":[]}"#
    );
    // Bytes after the terminal event are not kept.
    let junk = vec![b'x'; 64 * 1024];
    for _ in 0..100 {
        c.push(&junk);
    }
    assert!(c.buffer_capacity() < 4096, "{}", c.buffer_capacity());
    assert_eq!(
        c.finish().unwrap().response.get(),
        r#"{"id":"resp_1","output":[]}"#
    );
}

#[test]
fn a_streamed_translated_turn_is_saved_and_continued() {
    // An Anthropic stream transcoded for a Responses client, as the gateway sends it.
    let upstream = fixture("anthropic_messages", "tools");
    let mut t = Transcoder::new(
        Api::AnthropicMessages,
        Api::OpenAiResponses,
        StreamMeta {
            id: Str::borrowed("resp_gw_1"),
            created: 1_700_000_000,
            model: Str::borrowed("claude-sonnet-4-5"),
            include_usage: false,
        },
    );
    let mut client = Vec::new();
    t.push(&upstream, T0, &mut client);
    t.finish(T0, &mut client);

    let captured = assert_split_invariant(&client).unwrap();
    assert_eq!(captured.terminal, Terminal::Completed);

    let clock = ManualClock::new(T0);
    let kv = MemoryKv::new(&clock);
    let request =
        br#"{"model":"claude","input":"What's the weather in San Francisco?","stream":true}"#;
    let saved = now_or_never(state::save(
        &kv,
        request,
        captured.response.get().as_bytes(),
        &SaveOptions::default(),
        T0,
    ))
    .unwrap()
    .unwrap();
    let state::Saved::Stored { id, .. } = saved else {
        panic!("{saved:?}")
    };

    // GET returns exactly what the stream's final event carried.
    let got = now_or_never(state::get_response(&kv, &id, T0))
        .unwrap()
        .unwrap();
    assert_eq!(got, captured.response.get());

    let stored = now_or_never(state::load(&kv, &id, T0)).unwrap().unwrap();
    let kinds: Vec<String> = stored
        .items()
        .iter()
        .map(|i| {
            let v: serde_json::Value = serde_json::from_str(i.get()).unwrap();
            v["type"].as_str().unwrap_or("").to_owned()
        })
        .collect();
    assert_eq!(kinds.first().map(String::as_str), Some("message"));
    assert!(kinds.iter().any(|k| k == "function_call"), "{kinds:?}");
}
