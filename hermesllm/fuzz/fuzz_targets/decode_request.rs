//! Arbitrary bytes as a request body of every API: an error, never a panic; what decodes
//! re-encodes in every API without panicking.
#![no_main]

use hermesllm::{Api, Losses, RequestMeta, translate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for stream in [false, true] {
        let meta = RequestMeta {
            model: Some("fuzz-model".into()),
            stream,
        };
        for api in Api::ALL {
            if let Ok(req) = translate::decode_request(api, data, &meta) {
                for to in Api::ALL {
                    let _ = translate::encode_request(to, &req, &mut Losses::default());
                }
            }
        }
    }
});
