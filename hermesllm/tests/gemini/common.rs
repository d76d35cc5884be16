//! Fixture loading and small helpers.

use std::fs;
use std::path::PathBuf;

use hermesllm::gemini;
use hermesllm::ir::{self, Block};
use hermesllm::{Losses, RequestMeta, Str};
use serde_json::Value;

pub fn dir(kind: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/gemini")
        .join(kind)
}

/// (file name, contents) of every fixture of a kind, sorted.
pub fn fixtures(kind: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = fs::read_dir(dir(kind))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

pub fn fixture(kind: &str, name: &str) -> Vec<u8> {
    fs::read(dir(kind).join(name)).unwrap()
}

pub fn meta() -> RequestMeta<'static> {
    RequestMeta {
        model: Some(Str::borrowed("test-model")),
        stream: false,
    }
}

pub fn decode_req(body: &[u8]) -> ir::Request<'_> {
    gemini::decode_request(body, &meta()).unwrap()
}

pub fn encode_req(req: &ir::Request<'_>) -> (Value, Losses) {
    let mut losses = Losses::default();
    let body = gemini::encode_request(req, &mut losses).unwrap();
    (serde_json::from_slice(&body).unwrap(), losses)
}

pub fn json_eq(text: &str, expected: Value) {
    let v: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    assert_eq!(v, expected);
}

pub fn text(t: &str) -> Block<'_> {
    Block::Text { text: t.into() }
}
