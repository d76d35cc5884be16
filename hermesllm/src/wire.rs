//! Helpers shared by the wire modules: JSON decoding with paths in errors, and
//! [`open_object!`](crate::open_object) for top-level objects that keep unknown fields.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Serialize, Serializer};

use crate::{DecodeError, Raw, Str};

/// Top-level fields a wire type does not model, kept raw in input order.
pub type Rest<'a> = Vec<(Str<'a>, Raw<'a>)>;

/// Decodes JSON borrowing from `body`.
///
/// The fast path is plain serde_json over the bytes. Only when decoding fails is the body
/// decoded again through `serde_path_to_error` to name the offending path, so good errors
/// cost nothing on valid input. Everything goes through `from_slice` (not `from_str` for text
/// known to be UTF-8): each wire type's deserializer is then compiled for one reader instead
/// of two (serde_json's `StrRead` only skips the per-string UTF-8 check of `SliceRead` and
/// gives the same result on UTF-8 input), which keeps about a third of the decoders out of
/// wasm builds.
///
/// # Errors
/// [`DecodeError::Json`] with the path and serde's message (line and column).
pub fn from_json<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, DecodeError> {
    match serde_json::from_slice::<T>(body) {
        Ok(v) => Ok(v),
        Err(first) => Err(json_error::<T>(body, &first)),
    }
}

/// [`from_json`] for text.
///
/// # Errors
/// As [`from_json`].
pub fn from_json_str<'a, T: Deserialize<'a>>(text: &'a str) -> Result<T, DecodeError> {
    from_json(text.as_bytes())
}

/// The error path of [`from_json`]: serde_json's own message plus the path of the failure.
#[cold]
fn json_error<'a, T: Deserialize<'a>>(body: &'a [u8], first: &serde_json::Error) -> DecodeError {
    let mut de = serde_json::Deserializer::from_slice(body);
    let path = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(e) => Some(e.path().to_string()),
        Ok(_) => None,
    };
    DecodeError::Json {
        path,
        message: first.to_string(),
    }
}

/// Serializes to a JSON byte vector.
///
/// # Errors
/// Only for values that are not representable in JSON (non-finite floats are written as
/// `null` by serde_json, so in practice never for the wire types).
pub fn to_json<T: serde::Serialize + ?Sized>(v: &T) -> Result<Vec<u8>, crate::EncodeError> {
    let mut out = Vec::with_capacity(1024);
    serde_json::to_writer(&mut out, v)?;
    Ok(out)
}

/// A value the API accepts either as a string or as an array/object (`content`, `stop`,
/// `tool_choice`, error `error`; Responses `input`, message `content`, `function_call_output`
/// `output`). Decoded without buffering.
#[derive(Debug, Clone, PartialEq)]
pub enum StrOr<'a, T> {
    /// The string form.
    Str(Str<'a>),
    /// The array or object form.
    Other(T),
}

impl<'de: 'a, 'a, T: Deserialize<'de>> Deserialize<'de> for StrOr<'a, T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a, T>(PhantomData<(&'a (), T)>);
        impl<'de: 'a, 'a, T: Deserialize<'de>> Visitor<'de> for V<'a, T> {
            type Value = StrOr<'a, T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, an array or an object")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(StrOr::Str(Str::borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(StrOr::Str(Str::from(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(StrOr::Str(Str::from(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, a: A) -> Result<Self::Value, A::Error> {
                T::deserialize(SeqAccessDeserializer::new(a)).map(StrOr::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, a: A) -> Result<Self::Value, A::Error> {
                T::deserialize(MapAccessDeserializer::new(a)).map(StrOr::Other)
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

impl<T: Serialize> Serialize for StrOr<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            StrOr::Str(v) => v.serialize(s),
            StrOr::Other(v) => v.serialize(s),
        }
    }
}

impl<T> Default for StrOr<'_, T> {
    fn default() -> Self {
        StrOr::Str(Str::default())
    }
}

/// Whether a field of an [`open_object!`](crate::open_object) is left out when serializing.
pub trait Omit {
    /// True when the field should not be written.
    fn omit(&self) -> bool;
}

impl<T> Omit for Option<T> {
    fn omit(&self) -> bool {
        self.is_none()
    }
}

impl<T> Omit for Vec<T> {
    fn omit(&self) -> bool {
        self.is_empty()
    }
}

impl Omit for Str<'_> {
    fn omit(&self) -> bool {
        self.is_empty()
    }
}

macro_rules! never_omit {
    ($($t:ty),*) => { $(impl Omit for $t { fn omit(&self) -> bool { false } })* };
}
never_omit!(bool, u32, u64, i64, f64);

/// Declares a top-level wire object whose `Deserialize` keeps every field it does not model
/// in `rest` (as raw JSON, in order) and whose `Serialize` writes them back.
///
/// serde's `#[serde(flatten)]` cannot do this here: it buffers the object, which breaks
/// borrowing and `RawValue` fields. Fields that are `None`, empty vectors or empty strings
/// are omitted when serializing. All field types must implement `Default`; a required field
/// missing from the input is therefore left at its default, and the decoder validates it.
///
/// ```ignore
/// open_object! {
///     /// An example.
///     pub struct Example<'a> {
///         /// The model.
///         "model" => pub model: Str<'a>,
///         "max_tokens" => pub max_tokens: Option<u32>,
///     }
/// }
/// ```
#[macro_export]
macro_rules! open_object {
    (
        $(#[$smeta:meta])*
        $vis:vis struct $name:ident<'a> {
            $(
                $(#[$fmeta:meta])*
                $key:literal => $fvis:vis $field:ident : $ty:ty
            ),* $(,)?
        }
    ) => {
        $(#[$smeta])*
        #[derive(Debug, Clone, Default, PartialEq)]
        $vis struct $name<'a> {
            $( $(#[$fmeta])* $fvis $field: $ty, )*
            /// Top-level fields this type does not model, raw, in input order.
            pub rest: $crate::wire::Rest<'a>,
        }

        impl<'de: 'a, 'a> ::serde::Deserialize<'de> for $name<'a> {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V<'a>(::core::marker::PhantomData<&'a ()>);
                impl<'de: 'a, 'a> ::serde::de::Visitor<'de> for V<'a> {
                    type Value = $name<'a>;
                    fn expecting(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                        f.write_str("a JSON object")
                    }
                    fn visit_map<M: ::serde::de::MapAccess<'de>>(
                        self,
                        mut m: M,
                    ) -> Result<Self::Value, M::Error> {
                        let mut out = $name::default();
                        while let Some(key) = m.next_key::<$crate::Str<'de>>()? {
                            match key.as_str() {
                                $( $key => out.$field = m.next_value()?, )*
                                _ => {
                                    let v: $crate::Raw<'de> = m.next_value()?;
                                    out.rest.push((key, v));
                                }
                            }
                        }
                        Ok(out)
                    }
                }
                d.deserialize_map(V(::core::marker::PhantomData))
            }
        }

        impl ::serde::Serialize for $name<'_> {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeMap as _;
                let mut m = s.serialize_map(None)?;
                $(
                    if !$crate::wire::Omit::omit(&self.$field) {
                        m.serialize_entry($key, &self.$field)?;
                    }
                )*
                for (k, v) in &self.rest {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    open_object! {
        /// Test object.
        pub struct Obj<'a> {
            "model" => pub model: Str<'a>,
            "n" => pub n: Option<u32>,
            "schema" => pub schema: Option<Raw<'a>>,
            "list" => pub list: Vec<Str<'a>>,
        }
    }

    #[test]
    fn keeps_unknown_fields_in_order_and_round_trips() {
        let body = br#"{"a":1,"model":"m","schema":{"type":"object"},"b":[1,{"c":2}],"n":3}"#;
        let o: Obj<'_> = from_json(body).unwrap();
        assert_eq!(o.model, "m");
        assert_eq!(o.n, Some(3));
        assert_eq!(o.schema.unwrap().get(), r#"{"type":"object"}"#);
        assert_eq!(o.rest.len(), 2);
        let out = String::from_utf8(to_json(&o).unwrap()).unwrap();
        assert_eq!(
            out,
            r#"{"model":"m","n":3,"schema":{"type":"object"},"a":1,"b":[1,{"c":2}]}"#
        );
    }

    #[test]
    fn errors_name_the_path() {
        let err = from_json::<Obj<'_>>(br#"{"model":"m","list":["a",5]}"#).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("list[1]"), "{msg}");
        let err = from_json::<Obj<'_>>(br#"{"model":"m","schema":{"a":}}"#).unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
    }
}
