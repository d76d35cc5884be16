//! Fixture loading and small helpers.

use std::fs;
use std::path::{Path, PathBuf};

use hermesllm::bedrock_converse as bc;
use hermesllm::ir::{self, Block};
use hermesllm::{Losses, RequestMeta, ResponseMeta};
use serde_json::Value;

pub fn dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bedrock_converse")
        .join(kind)
}

pub fn fixtures(kind: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = fs::read_dir(dir(kind))
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
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
        model: Some("test-model".into()),
        stream: false,
    }
}

pub fn req(body: &[u8]) -> ir::Request<'_> {
    bc::decode_request(body, &meta()).unwrap()
}

pub fn encode_req(r: &ir::Request<'_>) -> (Value, Losses) {
    let mut losses = Losses::default();
    let out = bc::encode_request(r, &mut losses).unwrap();
    (serde_json::from_slice(&out).unwrap(), losses)
}

pub fn encode_resp(r: &ir::Response<'_>) -> (Value, Losses) {
    let mut losses = Losses::default();
    let out = bc::encode_response(r, &ResponseMeta::default(), &mut losses).unwrap();
    (serde_json::from_slice(&out).unwrap(), losses)
}

pub fn loss_paths(l: &Losses) -> Vec<String> {
    l.iter().map(|l| l.path.to_string()).collect()
}

/// Parses JSON text (arguments, raw schemas) so fixtures may be pretty-printed.
pub fn js(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

pub fn text(t: &str) -> Block<'_> {
    Block::Text { text: t.into() }
}
