//! The eventstream framer on arbitrary bytes in arbitrary chunking: no panic, the same
//! messages whatever the chunking, and the raw messages plus the tail give back the input.
#![no_main]

use hermesllm::stream::EventStreamFramer;
use libfuzzer_sys::fuzz_target;

type Messages = Vec<(String, String, Vec<u8>, Vec<u8>)>;

fn run(input: &[u8], chunk: usize) -> (Messages, bool, Vec<u8>) {
    let mut framer = EventStreamFramer::with_max_message_size(64 * 1024);
    let mut out = Vec::new();
    let mut failed = false;
    for c in input.chunks(chunk.max(1)) {
        framer.push(c);
        while let Some(r) = framer.next_message() {
            match r {
                Ok(m) => out.push((
                    m.message_type.to_owned(),
                    m.event_type.to_owned(),
                    m.payload.to_vec(),
                    m.raw.to_vec(),
                )),
                Err(_) => failed = true,
            }
        }
    }
    (out, failed, framer.pending().to_vec())
}

fuzz_target!(|data: &[u8]| {
    let Some((&knob, input)) = data.split_first() else {
        return;
    };
    let whole = run(input, input.len());
    let split = run(input, usize::from(knob) + 1);
    assert_eq!(whole.0, split.0);
    assert_eq!(whole.1, split.1);
    if !whole.1 {
        let mut joined: Vec<u8> = whole.0.iter().flat_map(|m| m.3.clone()).collect();
        joined.extend_from_slice(&whole.2);
        assert_eq!(joined, input);
    }
});
