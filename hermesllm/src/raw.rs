//! [`Raw`]: a borrowed slice of JSON text, kept without parsing.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// A JSON value kept as the exact text it was received as (JSON Schemas, tool definitions the
/// internal model does not model, unknown fields).
///
/// Passing schemas through raw is what keeps translation in microseconds: they are never
/// parsed into a tree. Equality compares the text.
#[derive(Clone, Copy)]
pub struct Raw<'a>(pub &'a RawValue);

impl<'a> Raw<'a> {
    /// The JSON text.
    pub fn get(&self) -> &'a str {
        self.0.get()
    }

    /// Validates `text` as JSON and borrows it.
    ///
    /// # Errors
    /// When `text` is not valid JSON.
    pub fn parse(text: &'a str) -> Result<Self, serde_json::Error> {
        serde_json::from_str::<&RawValue>(text).map(Raw)
    }

    /// Whether the value is JSON `null`.
    pub fn is_null(&self) -> bool {
        self.0.get() == "null"
    }
}

impl PartialEq for Raw<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.get() == other.0.get()
    }
}

impl fmt::Debug for Raw<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.get())
    }
}

impl Serialize for Raw<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Raw<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <&'de RawValue>::deserialize(d).map(Raw)
    }
}
