//! Wire types of response objects, usage and error bodies, used both to decode and to
//! encode.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::{Serialize, Serializer};

use super::types::Item;
use crate::wire::Omit;
use crate::{Raw, Str, open_object};

/// A value written as `null` when absent (response fields the SDKs expect to be present).
#[derive(Debug, Clone, PartialEq)]
pub struct Nullable<T>(pub Option<T>);

impl<T> Default for Nullable<T> {
    fn default() -> Self {
        Nullable(None)
    }
}

impl<T> Omit for Nullable<T> {
    fn omit(&self) -> bool {
        false
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Nullable<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(d).map(Nullable)
    }
}

impl<T: Serialize> Serialize for Nullable<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// A list written even when empty (`output: []` is required in response objects).
#[derive(Debug, Clone, PartialEq)]
pub struct List<T>(pub Vec<T>);

impl<T> Default for List<T> {
    fn default() -> Self {
        List(Vec::new())
    }
}

impl<T> Omit for List<T> {
    fn omit(&self) -> bool {
        false
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<T>::deserialize(d).map(List)
    }
}

impl<T: Serialize> Serialize for List<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// Unix seconds, read from an integer or a float (some compatible servers send floats).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Timestamp(pub u64);

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Unix timestamp")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timestamp, E> {
                Ok(Timestamp(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Timestamp, E> {
                Ok(Timestamp(u64::try_from(v).unwrap_or(0)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Timestamp, E> {
                // Saturating float-to-int conversion; fractions of a second do not matter.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                Ok(Timestamp(v as u64))
            }
        }
        d.deserialize_any(V)
    }
}

/// `incomplete_details`.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, Serialize)]
pub struct IncompleteDetails<'a> {
    /// `max_output_tokens` or `content_filter`.
    #[serde(borrow, default)]
    pub reason: Option<Str<'a>>,
}

/// An error object (response `error`, and the `error` of error bodies).
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, Serialize)]
pub struct ErrorFields<'a> {
    /// Message.
    #[serde(borrow, default)]
    pub message: Str<'a>,
    /// Error type (`invalid_request_error`, ...).
    #[serde(
        rename = "type",
        borrow,
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub kind: Option<Str<'a>>,
    /// Offending parameter.
    #[serde(borrow, default)]
    pub param: Option<Str<'a>>,
    /// Error code (a string; a number on some compatible servers).
    #[serde(borrow, default)]
    pub code: Option<Code<'a>>,
}

/// An error code, read from a string or a number.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Code<'a>(pub Str<'a>);

impl<'de: 'a, 'a> Deserialize<'de> for Code<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Code<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Code(Str::borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Code(Str::from(v.to_owned())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Code(Str::from(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Code(Str::from(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Code(Str::from(v.to_string())))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// `usage` of a response.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Deserialize, Serialize)]
pub struct UsageW {
    /// All input tokens, cached included.
    #[serde(default)]
    pub input_tokens: u64,
    /// Breakdown of input tokens.
    #[serde(default)]
    pub input_tokens_details: InputDetails,
    /// All output tokens, reasoning included.
    #[serde(default)]
    pub output_tokens: u64,
    /// Breakdown of output tokens.
    #[serde(default)]
    pub output_tokens_details: OutputDetails,
    /// Input plus output.
    #[serde(default)]
    pub total_tokens: u64,
}

/// `input_tokens_details`.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Deserialize, Serialize)]
pub struct InputDetails {
    /// Tokens read from the prompt cache.
    #[serde(default)]
    pub cached_tokens: u64,
}

/// `output_tokens_details`.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Deserialize, Serialize)]
pub struct OutputDetails {
    /// Reasoning tokens.
    #[serde(default)]
    pub reasoning_tokens: u64,
}

open_object! {
    /// A response object (`object: "response"`).
    pub struct ResponseBody<'a> {
        /// `resp_...`.
        "id" => pub id: Str<'a>,
        /// Always `response`.
        "object" => pub object: Str<'a>,
        /// Creation time, Unix seconds.
        "created_at" => pub created_at: Option<Timestamp>,
        /// `completed`, `incomplete`, `failed`, `in_progress`, `queued`, `cancelled`.
        "status" => pub status: Option<Str<'a>>,
        /// Error of a failed response, raw.
        "error" => pub error: Nullable<Raw<'a>>,
        /// Why the response is incomplete.
        "incomplete_details" => pub incomplete_details: Nullable<IncompleteDetails<'a>>,
        /// Model.
        "model" => pub model: Str<'a>,
        /// Output items (always written, even when empty).
        "output" => pub output: List<Item<'a>>,
        /// Previous response id.
        "previous_response_id" => pub previous_response_id: Option<Str<'a>>,
        /// Service tier.
        "service_tier" => pub service_tier: Option<Str<'a>>,
        /// Token usage.
        "usage" => pub usage: Option<UsageW>,
    }
}

/// An error body: `{"error": {...}}`.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, Serialize)]
pub struct ErrorBody<'a> {
    /// The error.
    #[serde(borrow)]
    pub error: ErrorFields<'a>,
}
