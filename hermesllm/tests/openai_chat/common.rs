//! Fixture loading and small helpers.

use std::path::PathBuf;

use hermesllm::ir::{self};
use hermesllm::openai_chat as oc;
use hermesllm::{Losses, Raw, RequestMeta};
use serde_json::Value;

pub fn dir(kind: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/openai_chat")
        .join(kind)
}

pub fn fixture(kind: &str, name: &str) -> Vec<u8> {
    std::fs::read(dir(kind).join(name)).unwrap_or_else(|e| panic!("{kind}/{name}: {e}"))
}

/// All fixtures of a kind, sorted by name.
pub fn fixtures(kind: &str) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir(kind))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    v.sort();
    v
}

pub fn meta() -> RequestMeta<'static> {
    RequestMeta::default()
}

pub fn req(name: &str) -> Vec<u8> {
    fixture("requests", &format!("{name}.json"))
}

pub fn resp(name: &str) -> Vec<u8> {
    fixture("responses", &format!("{name}.json"))
}

pub fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

pub fn encode_req(r: &ir::Request<'_>) -> (Value, Losses) {
    let mut losses = Losses::default();
    let body = oc::encode_request(r, &mut losses).unwrap();
    (json(&body), losses)
}

pub fn loss_paths(l: &Losses) -> Vec<String> {
    l.iter().map(|l| l.path.to_string()).collect()
}

pub fn raw(s: &'static str) -> Raw<'static> {
    Raw::parse(s).unwrap()
}
