//! Arbitrary bytes as an error body of every API, with any status: never fails, never
//! panics; the result encodes in every API.
#![no_main]

use hermesllm::{Api, translate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&s, body)) = data.split_first() else {
        return;
    };
    let status = [
        200, 400, 401, 403, 404, 408, 413, 422, 429, 500, 502, 503, 504, 529, 0, 999,
    ][usize::from(s) % 16];
    for api in Api::ALL {
        let e = translate::decode_error(api, status, body);
        for to in Api::ALL {
            let _ = translate::encode_error(to, &e);
        }
    }
});
