//! [`Raw`]: a borrowed slice of JSON text, kept without parsing.

use std::fmt;

use serde::de::value::{BorrowedStrDeserializer, Error as ValueError};
use serde::de::{DeserializeSeed, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer, forward_to_deserialize_any};
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

    /// Borrows `text`, which the caller has already checked is exactly one JSON value (the
    /// fast readers' [`skip_value`](crate::json::Reader::skip_value)), without parsing it
    /// again.
    ///
    /// A `&RawValue` can only be made by a deserializer; this one hands serde_json's own
    /// `Deserialize` impl the text as it expects from any deserializer (a one-entry map keyed
    /// by the name it passes in). `None` if serde_json ever asks for something else, and the
    /// caller then lets serde_json parse the text.
    pub(crate) fn trusted(text: &'a str) -> Option<Self> {
        <&RawValue>::deserialize(Trusted(text)).ok().map(Raw)
    }

    /// Whether the value is JSON `null`.
    pub fn is_null(&self) -> bool {
        self.0.get() == "null"
    }
}

/// The deserializer behind [`Raw::trusted`]: a newtype struct whose content is a map from the
/// newtype's name to the text.
struct Trusted<'a>(&'a str);

impl<'de> Deserializer<'de> for Trusted<'de> {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, ValueError> {
        Err(serde::de::Error::custom("not a raw value"))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        v: V,
    ) -> Result<V::Value, ValueError> {
        v.visit_map(TrustedEntry {
            key: Some(name),
            text: self.0,
        })
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

struct TrustedEntry<'a> {
    key: Option<&'static str>,
    text: &'a str,
}

impl<'de> MapAccess<'de> for TrustedEntry<'de> {
    type Error = ValueError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ValueError> {
        match self.key.take() {
            Some(k) => seed.deserialize(BorrowedStrDeserializer::new(k)).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, ValueError> {
        seed.deserialize(BorrowedStrDeserializer::new(self.text))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_text_becomes_a_raw_value_without_a_parse() {
        let text = r#"{"a":[1,"b",null]}"#;
        let raw = Raw::trusted(text).unwrap();
        assert!(std::ptr::eq(raw.get(), text));
        assert_eq!(serde_json::to_string(&raw).unwrap(), text);
        // Not parsed: the caller vouches for the text (and serde_json's protocol still works).
        assert_eq!(
            Raw::trusted("{not json").map(|r| r.get()),
            Some("{not json")
        );
    }
}
