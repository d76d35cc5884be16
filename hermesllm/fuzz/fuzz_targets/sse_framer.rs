//! The SSE framer on arbitrary bytes in arbitrary chunking: no panic, the same blocks
//! whatever the chunking, and the raw blocks plus the tail give back the input.
#![no_main]

use hermesllm::stream::SseFramer;
use libfuzzer_sys::fuzz_target;

type Blocks = Vec<(String, String, bool, Vec<u8>)>;

fn run(input: &[u8], chunk: usize, max: usize) -> (Blocks, bool, Vec<u8>) {
    let mut framer = SseFramer::with_max_event_size(max);
    let mut blocks = Vec::new();
    let mut failed = false;
    let mut pull = |framer: &mut SseFramer, blocks: &mut Blocks| {
        while let Some(r) = framer.next_block() {
            match r {
                Ok(e) => blocks.push((
                    e.event.to_owned(),
                    e.data.to_owned(),
                    e.dispatched,
                    e.raw.to_vec(),
                )),
                Err(_) => failed = true,
            }
        }
    };
    for c in input.chunks(chunk.max(1)) {
        framer.push(c);
        pull(&mut framer, &mut blocks);
    }
    framer.finish();
    pull(&mut framer, &mut blocks);
    (blocks, failed, framer.pending().to_vec())
}

fuzz_target!(|data: &[u8]| {
    let Some((&knob, input)) = data.split_first() else {
        return;
    };
    // Small limits make the size error reachable.
    let max = 16 + usize::from(knob & 0x0F) * 64;
    let whole = run(input, input.len(), max);
    let split = run(input, usize::from(knob >> 4) + 1, max);
    if whole.1 || split.1 {
        // Where the error is detected may differ by chunking; the blocks before it may not.
        let n = whole.0.len().min(split.0.len());
        assert_eq!(whole.0[..n], split.0[..n]);
        return;
    }
    assert_eq!(whole, split);
    let mut joined: Vec<u8> = whole.0.iter().flat_map(|b| b.3.clone()).collect();
    joined.extend_from_slice(&whole.2);
    let expected = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    assert_eq!(joined, expected);
});
