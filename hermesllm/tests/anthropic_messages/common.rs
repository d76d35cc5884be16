//! Fixture loading and small helpers.

use std::path::PathBuf;

use hermesllm::ir::Block;
use hermesllm::{Losses, Raw, RequestMeta};
use serde_json::Value;

pub fn dir(kind: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/anthropic_messages")
        .join(kind)
}

pub fn fixture(kind: &str, name: &str) -> Vec<u8> {
    std::fs::read(dir(kind).join(name)).unwrap()
}

pub fn fixtures(kind: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir(kind))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

pub fn meta() -> RequestMeta<'static> {
    RequestMeta::default()
}

pub fn request(name: &str) -> Vec<u8> {
    fixture("requests", &format!("{name}.json"))
}

pub fn response(name: &str) -> Vec<u8> {
    fixture("responses", &format!("{name}.json"))
}

pub fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

pub fn paths(losses: &Losses) -> Vec<String> {
    losses.iter().map(|l| l.path.to_string()).collect()
}

pub fn text<'a>(t: &'a str) -> Block<'a> {
    Block::Text { text: t.into() }
}

pub fn raw(s: &str) -> Raw<'_> {
    Raw::parse(s).unwrap()
}

/// Splits SSE text on blank lines into (event, data) pairs.
pub fn sse(text: &str) -> Vec<(String, String)> {
    text.split("\n\n")
        .filter(|c| !c.trim().is_empty())
        .map(|chunk| {
            let mut event = String::new();
            let mut data: Vec<&str> = Vec::new();
            for line in chunk.lines() {
                if let Some(e) = line.strip_prefix("event:") {
                    event = e.trim().to_owned();
                } else if let Some(d) = line.strip_prefix("data:") {
                    data.push(d.strip_prefix(' ').unwrap_or(d));
                }
            }
            (event, data.join("\n"))
        })
        .collect()
}
