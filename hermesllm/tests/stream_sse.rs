//! The SSE framer: WHATWG parsing rules (cases from the spec's examples), chunk-split
//! invariance, the event size limit and bounded memory.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod stream_util;

use hermesllm::stream::{Frame, SseError, SseFramer};
use stream_util::{Block, assert_split_invariant, chunks, sse_blocks, sse_blocks_with, sse_events};

fn ev(event: &str, data: &str) -> (String, String) {
    (event.to_owned(), data.to_owned())
}

#[test]
fn whatwg_example_comments_ids_and_leading_space() {
    // The spec's first example: a comment, an id, `data:` without a space, an `id` line with
    // no value (resets the last event id), and two spaces of which one is kept.
    let input = b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n";
    let (blocks, err, tail) = sse_blocks(&[input]);
    assert_eq!(err, None);
    assert!(tail.is_empty());
    let dispatched: Vec<&Block> = blocks.iter().filter(|b| b.dispatched).collect();
    assert_eq!(dispatched.len(), 3);
    assert_eq!(dispatched[0].data, "first event");
    assert_eq!(dispatched[0].id.as_deref(), Some("1"));
    assert_eq!(dispatched[1].data, "second event");
    assert_eq!(dispatched[1].id.as_deref(), Some(""));
    assert_eq!(dispatched[2].data, " third event");
    assert_eq!(dispatched[2].id, None);
    // The comment block is yielded, not dispatched, with its bytes.
    assert!(!blocks[0].dispatched);
    assert_eq!(blocks[0].raw, b": test stream\n\n");
}

#[test]
fn whatwg_example_empty_data_and_unterminated_event() {
    // Spec: "data" alone dispatches an empty event; two "data" lines give "\n"; the last
    // block has no blank line, so it is not dispatched at the end of the stream.
    let input = b"data\n\ndata\ndata\n\ndata:";
    assert_eq!(sse_events(input), vec![ev("", ""), ev("", "\n")]);
    let (_, _, tail) = sse_blocks(&[input]);
    assert_eq!(tail, b"data:");
}

#[test]
fn whatwg_example_space_after_colon_is_optional() {
    let input = b"data:test\n\ndata: test\n\n";
    assert_eq!(sse_events(input), vec![ev("", "test"), ev("", "test")]);
}

#[test]
fn whatwg_example_multiline_data_and_event_types() {
    let input = b"data: YHOO\ndata: +2\ndata: 10\n\nevent: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\nevent: add\ndata: 113411\n\n";
    assert_eq!(
        sse_events(input),
        vec![
            ev("", "YHOO\n+2\n10"),
            ev("add", "73857293"),
            ev("remove", "2153"),
            ev("add", "113411"),
        ]
    );
}

#[test]
fn line_endings_crlf_cr_lf_mixed() {
    let lf = b"event: a\ndata: 1\ndata: 2\n\n";
    let crlf = b"event: a\r\ndata: 1\r\ndata: 2\r\n\r\n";
    let cr = b"event: a\rdata: 1\rdata: 2\r\r";
    let mixed = b"event: a\r\ndata: 1\rdata: 2\n\r\n";
    for input in [&lf[..], crlf, cr, mixed] {
        assert_eq!(sse_events(input), vec![ev("a", "1\n2")], "{input:?}");
    }
    // A CR ending one chunk and the LF starting the next are one line ending.
    let (blocks, _, _) = sse_blocks(&[b"data: x\r", b"\ndata: y\r\n\r", b"\ndata: z\n\n"]);
    let data: Vec<&str> = blocks.iter().map(|b| b.data.as_str()).collect();
    assert_eq!(data, ["x\ny", "z"]);
    assert_eq!(blocks[0].raw, b"data: x\r\ndata: y\r\n\r\n");
}

#[test]
fn lone_cr_at_end_of_stream_ends_the_event() {
    let (blocks, err, tail) = sse_blocks(&[b"data: x\r\r"]);
    assert_eq!(err, None);
    assert!(tail.is_empty());
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].data, "x");
}

#[test]
fn leading_bom_is_skipped_once() {
    let input = b"\xEF\xBB\xBFdata: a\n\n\xEF\xBB\xBFdata: b\n\ndata: c\n\n";
    // The second BOM is part of a field name, which is unknown and ignored.
    assert_eq!(sse_events(input), vec![ev("", "a"), ev("", "c")]);
    // Split inside the BOM.
    let (blocks, _, _) = sse_blocks(&[b"\xEF", b"\xBB", b"\xBFdata: a\n\n"]);
    assert_eq!(blocks[0].data, "a");
    assert_eq!(blocks[0].raw, b"data: a\n\n");
    // Not a BOM: a stream starting with part of one keeps its bytes.
    let (blocks, _, _) = sse_blocks(&[b"\xEF", b"data: a\n\n"]);
    assert_eq!(blocks.len(), 1);
    assert!(!blocks[0].dispatched);
}

#[test]
fn fields_id_retry_and_unknown() {
    let mut framer = SseFramer::new();
    framer.push(b"id: 7\nretry: 1500\nfoo: bar\ndata: x\n\nid: a\0b\nretry: 12x\ndata: y\n\n: no data\nid: 9\n\n");
    framer.finish();
    let e = framer.next_event().unwrap().unwrap();
    assert_eq!((e.data, e.id, e.retry), ("x", Some("7"), Some(1500)));
    let e = framer.next_event().unwrap().unwrap();
    // An id with NUL and a retry with non-digits are ignored.
    assert_eq!((e.data, e.id, e.retry), ("y", None, None));
    assert!(framer.next_event().is_none());
    // An id in a block without data still sets the last event id.
    assert_eq!(framer.last_event_id(), "9");
    assert_eq!(framer.retry(), Some(1500));
}

#[test]
fn event_field_without_colon_and_last_event_wins() {
    let input = b"event: a\nevent: b\ndata\n\nevent\ndata: x\n\n";
    assert_eq!(sse_events(input), vec![ev("b", ""), ev("", "x")]);
}

#[test]
fn invalid_utf8_is_replaced() {
    let input = b"data: a\xFFb\n\n";
    assert_eq!(sse_events(input), vec![ev("", "a\u{FFFD}b")]);
}

#[test]
fn utf8_split_inside_a_character() {
    let text = "data: h\u{e9}llo \u{1F600} \u{4e16}\u{754c}\n\n".as_bytes();
    let (whole, _, _) = sse_blocks(&[text]);
    assert_eq!(whole[0].data, "h\u{e9}llo \u{1F600} \u{4e16}\u{754c}");
    for at in 0..=text.len() {
        let (got, _, _) = sse_blocks(&chunks(text, &[at]));
        assert_eq!(got, whole, "cut at {at}");
    }
}

#[test]
fn frames_borrow_event_and_data() {
    let mut framer = SseFramer::new();
    framer.push(b"event: message_start\ndata: {\"a\":1}\n\n");
    let e = framer.next_event().unwrap().unwrap();
    assert_eq!(
        e.frame(),
        Frame::Sse {
            event: "message_start",
            data: "{\"a\":1}"
        }
    );
}

/// An input with every feature: BOM, comments, CRLF/CR/LF, multi-line data, ids, retry,
/// non-ASCII text, blank lines between events, and an unterminated tail.
fn kitchen_sink() -> Vec<u8> {
    let mut v = b"\xEF\xBB\xBF: hello\r\n\r\n".to_vec();
    v.extend_from_slice(
        b"event: message_start\r\ndata: {\"x\":\"\xC3\xA9\xF0\x9F\x98\x80\"}\r\n\r\n",
    );
    v.extend_from_slice(b"data: line1\rdata: line2\r\r\n\n");
    v.extend_from_slice(b"id: 42\nretry: 10\ndata:\xE4\xB8\x96\n\n");
    v.extend_from_slice(b": keep-alive\n\n");
    v.extend_from_slice(b"data: [DONE]\n\ndata: tail");
    v
}

#[test]
fn any_chunking_gives_the_same_blocks() {
    let input = kitchen_sink();
    let (blocks, err, tail) = assert_split_invariant(&input, 0..=input.len(), 300, sse_blocks);
    assert_eq!(err, None);
    assert_eq!(tail, b"data: tail");
    let data: Vec<&str> = blocks
        .iter()
        .filter(|b| b.dispatched)
        .map(|b| b.data.as_str())
        .collect();
    assert_eq!(
        data,
        [
            "{\"x\":\"\u{e9}\u{1F600}\"}",
            "line1\nline2",
            "\u{4e16}",
            "[DONE]"
        ]
    );
    // The raw blocks and the tail are the whole stream but the BOM.
    let mut joined: Vec<u8> = blocks.iter().flat_map(|b| b.raw.clone()).collect();
    joined.extend_from_slice(&tail);
    assert_eq!(joined, &input[3..]);
}

#[test]
fn openai_bench_stream_any_chunking() {
    let input = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/bench/openai-chat-stream-1000.sse"
    ))
    .unwrap();
    let (blocks, err, tail) = assert_split_invariant(&input, (0..2000).step_by(7), 20, sse_blocks);
    assert_eq!(err, None);
    assert!(tail.is_empty());
    assert_eq!(blocks.len(), 1001);
    assert_eq!(blocks.last().unwrap().data, "[DONE]");
}

#[test]
fn event_larger_than_the_limit_is_an_error() {
    let framer = SseFramer::with_max_event_size(64);
    let big = format!("data: {}\n\n", "x".repeat(100));
    let input = format!("data: ok\n\n{big}data: after\n\n");
    let (blocks, err, _) = sse_blocks_with(framer, &[input.as_bytes()]);
    assert_eq!(err, Some(SseError::EventTooLarge { max: 64 }));
    // The event before is delivered, nothing after the error.
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].data, "ok");

    // The same when the oversized event never ends: detected as bytes arrive, before the
    // buffer outgrows the limit by more than one push.
    let mut framer = SseFramer::with_max_event_size(1024);
    framer.push(b"data: ");
    let mut got = None;
    for _ in 0..100 {
        framer.push(&[b'x'; 100]);
        if let Some(r) = framer.next_block() {
            got = Some(r.map(|_| ()));
            break;
        }
    }
    assert_eq!(got, Some(Err(SseError::EventTooLarge { max: 1024 })));
    assert!(framer.buffer_capacity() < 4096);
    assert!(framer.next_block().is_none());
}

#[test]
fn memory_stays_bounded_on_a_long_stream() {
    // 100 MB of events of varied sizes, pushed in 16 KiB chunks.
    let mut period = Vec::new();
    let mut events_per_period = 0u64;
    let mut rng = stream_util::Prng::new(7);
    while period.len() < 60_000 {
        let n = 20 + rng.below(2000);
        period.extend_from_slice(b"data: {\"t\":\"");
        period.extend(std::iter::repeat_n(b'a', n));
        period.extend_from_slice(b"\"}\n\n");
        events_per_period += 1;
    }
    let total = 100 * 1024 * 1024;
    let chunk = 16 * 1024;
    let mut framer = SseFramer::new();
    let (mut pushed, mut pos, mut events, mut max_cap) = (0usize, 0usize, 0u64, 0usize);
    let mut buf = Vec::with_capacity(chunk);
    while pushed < total {
        buf.clear();
        while buf.len() < chunk {
            let take = (chunk - buf.len()).min(period.len() - pos);
            buf.extend_from_slice(&period[pos..pos + take]);
            pos = (pos + take) % period.len();
        }
        framer.push(&buf);
        pushed += buf.len();
        while let Some(e) = framer.next_event() {
            assert!(e.unwrap().data.len() > 20);
            events += 1;
        }
        max_cap = max_cap.max(framer.buffer_capacity());
    }
    let periods = (pushed / period.len()) as u64;
    assert!(events >= periods * events_per_period, "{events} events");
    assert!(max_cap <= 64 * 1024, "framer holds {max_cap} bytes");
}
