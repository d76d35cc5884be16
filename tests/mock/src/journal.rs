//! The requests received, for `GET /__mock/requests`. Recording is cheap (the body is a
//! shared `Bytes`); the JSON is built only when asked for.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use http::{HeaderMap, Method};
use serde_json::Value;

/// How many requests are kept.
pub(crate) const CAPACITY: usize = 1_000;

/// The header that tags a request (for introspection and `times=`).
pub(crate) const TAG_HEADER: &str = "x-mock-tag";

/// One received request.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) method: Method,
    /// Path and query, as received.
    pub(crate) target: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// The last [`CAPACITY`] requests, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    entries: Mutex<VecDeque<Entry>>,
}

impl Journal {
    pub(crate) fn record(&self, entry: Entry) {
        let mut entries = self.lock();
        if entries.len() == CAPACITY {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    /// The entries tagged `tag` (all when `None`) as the JSON array the README describes.
    pub(crate) fn to_json(&self, tag: Option<&str>) -> Value {
        let entries = self.lock();
        let selected = entries.iter().filter(|e| {
            tag.is_none_or(|tag| {
                e.headers
                    .get(TAG_HEADER)
                    .is_some_and(|v| v.as_bytes() == tag.as_bytes())
            })
        });
        Value::Array(selected.map(entry_json).collect())
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<Entry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn entry_json(entry: &Entry) -> Value {
    let headers = entry
        .headers
        .iter()
        .map(|(name, value)| {
            Value::Array(vec![
                Value::String(name.as_str().to_owned()),
                Value::String(String::from_utf8_lossy(value.as_bytes()).into_owned()),
            ])
        })
        .collect();
    let body = serde_json::from_slice(&entry.body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&entry.body).into_owned()));
    serde_json::json!({
        "method": entry.method.as_str(),
        "path": entry.target,
        "headers": Value::Array(headers),
        "body": body,
    })
}
