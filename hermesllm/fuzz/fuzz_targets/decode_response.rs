//! Arbitrary bytes as a response body of every API: an error, never a panic; what decodes
//! re-encodes in every API without panicking.
#![no_main]

use hermesllm::{Api, Losses, ResponseMeta, translate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for api in Api::ALL {
        if let Ok(resp) = translate::decode_response(api, data) {
            for to in Api::ALL {
                let meta = ResponseMeta::default();
                let _ = translate::encode_response(to, &resp, &meta, &mut Losses::default());
            }
        }
    }
});
