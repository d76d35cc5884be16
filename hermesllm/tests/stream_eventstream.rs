//! The eventstream framer on the real Bedrock captures: frame counts, contents, chunk-split
//! invariance, CRC errors, the size limit and bounded memory.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod stream_util;

use hermesllm::stream::{EventStreamError, EventStreamFramer, Frame};
use stream_util::{assert_split_invariant, eventstream_messages};

const TEXT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/bedrock/converse-stream-text.bin"
);
const TOOLS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/bedrock/converse-stream-tools.bin"
);

#[test]
fn text_capture_frames() {
    let input = std::fs::read(TEXT).unwrap();
    let (msgs, err, tail) = eventstream_messages(&[&input]);
    assert_eq!(err, None);
    assert!(tail.is_empty());
    assert_eq!(msgs.len(), 88);
    assert!(msgs.iter().all(|m| m.message_type == "event"));
    assert_eq!(msgs[0].event_type, "messageStart");
    let deltas = msgs
        .iter()
        .filter(|m| m.event_type == "contentBlockDelta")
        .count();
    assert_eq!(deltas, 84);
    let names: Vec<&str> = msgs[85..].iter().map(|m| m.event_type.as_str()).collect();
    assert_eq!(names, ["contentBlockStop", "messageStop", "metadata"]);
    assert!(
        String::from_utf8_lossy(&msgs[87].payload).contains("\"usage\""),
        "metadata carries usage"
    );
    // The raw bytes of the messages are the whole capture.
    let joined: Vec<u8> = msgs.iter().flat_map(|m| m.raw.clone()).collect();
    assert_eq!(joined, input);
}

#[test]
fn tools_capture_frames() {
    let input = std::fs::read(TOOLS).unwrap();
    let (msgs, err, tail) = eventstream_messages(&[&input]);
    assert_eq!(err, None);
    assert!(tail.is_empty());
    assert_eq!(msgs.len(), 543);
    let starts: Vec<&stream_util::Message> = msgs
        .iter()
        .filter(|m| m.event_type == "contentBlockStart")
        .collect();
    assert!(!starts.is_empty());
    assert!(String::from_utf8_lossy(&starts[0].payload).contains("toolUse"));
}

#[test]
fn frame_view_borrows_the_message() {
    let input = std::fs::read(TEXT).unwrap();
    let mut framer = EventStreamFramer::new();
    framer.push(&input);
    let m = framer.next_message().unwrap().unwrap();
    assert_eq!(m.header(":content-type"), Some("application/json"));
    match m.frame() {
        Frame::EventStream {
            message_type,
            event_type,
            payload,
        } => {
            assert_eq!((message_type, event_type), ("event", "messageStart"));
            assert!(payload.starts_with(b"{"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn text_capture_any_chunking() {
    let input = std::fs::read(TEXT).unwrap();
    let (msgs, _, _) = assert_split_invariant(&input, 0..=input.len(), 200, eventstream_messages);
    assert_eq!(msgs.len(), 88);
}

#[test]
fn tools_capture_any_chunking() {
    let input = std::fs::read(TOOLS).unwrap();
    // Every third offset of the first and last 3 KB (the tool block start and the end), then
    // byte-by-byte and random multi-splits over the whole capture.
    let n = input.len();
    let offsets = (0..3000).step_by(3).chain((n - 3000..=n).step_by(3));
    let (msgs, _, _) = assert_split_invariant(&input, offsets, 100, eventstream_messages);
    assert_eq!(msgs.len(), 543);
}

#[test]
fn crc_mismatch_is_an_error() {
    let mut input = std::fs::read(TEXT).unwrap();
    // Flip a payload byte of the second message.
    let first_len = u32::from_be_bytes(input[0..4].try_into().unwrap()) as usize;
    input[first_len + 40] ^= 0x20;
    let (msgs, err, _) = eventstream_messages(&[&input]);
    assert_eq!(msgs.len(), 1);
    assert!(
        matches!(err, Some(EventStreamError::Malformed(ref m)) if m.contains("checksum") || m.contains("crc") || m.contains("CRC")),
        "{err:?}"
    );
    // A corrupted prelude CRC too.
    let mut input = std::fs::read(TEXT).unwrap();
    input[9] ^= 1;
    let (msgs, err, _) = eventstream_messages(&[&input]);
    assert!(msgs.is_empty());
    assert!(
        matches!(err, Some(EventStreamError::Malformed(_))),
        "{err:?}"
    );
}

#[test]
fn oversized_and_undersized_lengths_are_errors() {
    let mut framer = EventStreamFramer::with_max_message_size(1024);
    framer.push(&[0x00, 0x10, 0x00, 0x00, 0, 0, 0, 0]);
    assert_eq!(
        framer.next_message().unwrap().unwrap_err(),
        EventStreamError::MessageTooLarge {
            len: 0x0010_0000,
            max: 1024
        }
    );
    assert!(framer.next_message().is_none());
    // Further bytes are not buffered.
    framer.push(&[0; 4096]);
    assert!(framer.buffer_capacity() < 1024);

    let mut framer = EventStreamFramer::new();
    framer.push(&[0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert_eq!(
        framer.next_message().unwrap().unwrap_err(),
        EventStreamError::InvalidLength(3)
    );
}

#[test]
fn truncated_capture_leaves_a_tail() {
    let input = std::fs::read(TEXT).unwrap();
    let (msgs, err, tail) = eventstream_messages(&[&input[..input.len() - 10]]);
    assert_eq!(err, None);
    assert_eq!(msgs.len(), 87);
    assert!(!tail.is_empty());
}

#[test]
fn memory_stays_bounded_on_a_long_stream() {
    // The text capture repeated to ~100 MB, pushed in 16 KiB chunks.
    let input = std::fs::read(TEXT).unwrap();
    let total = 100 * 1024 * 1024;
    let chunk = 16 * 1024;
    let mut framer = EventStreamFramer::new();
    let (mut pushed, mut pos, mut count, mut max_cap) = (0usize, 0usize, 0usize, 0usize);
    let mut buf = Vec::with_capacity(chunk);
    while pushed < total {
        buf.clear();
        while buf.len() < chunk {
            let take = (chunk - buf.len()).min(input.len() - pos);
            buf.extend_from_slice(&input[pos..pos + take]);
            pos = (pos + take) % input.len();
        }
        framer.push(&buf);
        pushed += buf.len();
        while let Some(m) = framer.next_message() {
            m.unwrap();
            count += 1;
        }
        max_cap = max_cap.max(framer.buffer_capacity());
    }
    assert!(count >= (pushed / input.len()) * 88);
    assert!(max_cap <= 64 * 1024, "framer holds {max_cap} bytes");
}
