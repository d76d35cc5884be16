//! Arbitrary upstream bytes through the transcoder for several from/to pairs (passthrough and
//! translation): no panic, and the same client bytes and summary whatever the chunking.
#![no_main]

use hermesllm::Api;
use hermesllm::stream::{StreamMeta, Transcoder};
use libfuzzer_sys::fuzz_target;

const PAIRS: [(Api, Api); 12] = [
    (Api::OpenAiChat, Api::OpenAiChat),
    (Api::OpenAiResponses, Api::OpenAiResponses),
    (Api::AnthropicMessages, Api::AnthropicMessages),
    (Api::BedrockConverse, Api::BedrockConverse),
    (Api::Gemini, Api::Gemini),
    (Api::OpenAiChat, Api::AnthropicMessages),
    (Api::AnthropicMessages, Api::OpenAiChat),
    (Api::BedrockConverse, Api::OpenAiChat),
    (Api::Gemini, Api::OpenAiResponses),
    (Api::OpenAiResponses, Api::BedrockConverse),
    (Api::AnthropicMessages, Api::Gemini),
    (Api::OpenAiChat, Api::OpenAiResponses),
];

fn run(from: Api, to: Api, include_usage: bool, input: &[u8], chunk: usize) -> (Vec<u8>, String) {
    let meta = StreamMeta {
        id: "fuzz".into(),
        created: 1,
        model: "m".into(),
        include_usage,
    };
    let mut t = Transcoder::new(from, to, meta);
    let mut out = Vec::new();
    for c in input.chunks(chunk.max(1)) {
        t.push(c, 0, &mut out);
    }
    t.finish(0, &mut out);
    let mut s = t.into_summary();
    s.first_byte_ms = None;
    s.first_token_ms = None;
    (out, format!("{s:?}"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&knob, input)) = data.split_first() else {
        return;
    };
    let (from, to) = PAIRS[usize::from(knob) % PAIRS.len()];
    let include_usage = knob & 0x80 != 0;
    let whole = run(from, to, include_usage, input, input.len());
    let split = run(from, to, include_usage, input, usize::from(knob >> 3) + 1);
    assert_eq!(whole, split);
});
