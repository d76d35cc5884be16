//! Decoding the YAML tree into raw types, reporting every problem instead of the first.
//!
//! Each raw type says how to decode itself and what its JSON Schema is, from one definition
//! (the [`raw_struct!`] macro), so the checked-in schema cannot drift from the decoder.

use serde_json::{Map, Value as Json};

use super::diag::{Code, Pos, Sink, Spanned, child, index};
use super::yaml::{Node, Value};

/// A type read from YAML.
pub(crate) trait Decode: Sized {
    /// Decodes `node`, found at `path`. Returns `None` after reporting a problem into `sink`.
    fn decode(node: &Node, path: &str, sink: &mut Sink) -> Option<Self>;

    /// The JSON Schema of what [`Decode::decode`] accepts.
    fn schema() -> Json;
}

pub(crate) fn wrong_type(node: &Node, path: &str, sink: &mut Sink, expected: &str) {
    sink.error(
        Code::WrongType,
        path,
        node.pos,
        format!("expected {expected}, found {}", node.value.describe()),
    );
}

impl Decode for String {
    fn decode(node: &Node, path: &str, sink: &mut Sink) -> Option<Self> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            _ => {
                wrong_type(node, path, sink, "a string");
                None
            }
        }
    }

    fn schema() -> Json {
        obj([("type", "string".into())])
    }
}

impl Decode for bool {
    fn decode(node: &Node, path: &str, sink: &mut Sink) -> Option<Self> {
        match node.value {
            Value::Bool(b) => Some(b),
            _ => {
                wrong_type(node, path, sink, "`true` or `false`");
                None
            }
        }
    }

    fn schema() -> Json {
        obj([("type", "boolean".into())])
    }
}

macro_rules! decode_int {
    ($($t:ty),*) => {$(
        impl Decode for $t {
            fn decode(node: &Node, path: &str, sink: &mut Sink) -> Option<Self> {
                let expected = concat!("an integer from 0 to ", stringify!($t), "::MAX");
                match node.value {
                    Value::Int(i) => match <$t>::try_from(i) {
                        Ok(v) => Some(v),
                        Err(_) => {
                            sink.error(
                                Code::InvalidValue,
                                path,
                                node.pos,
                                format!("{i} is out of range (0 to {})", <$t>::MAX),
                            );
                            None
                        }
                    },
                    _ => {
                        wrong_type(node, path, sink, expected.split(" from").next().unwrap_or(expected));
                        None
                    }
                }
            }

            fn schema() -> Json {
                obj([
                    ("type", "integer".into()),
                    ("minimum", 0.into()),
                    ("maximum", <$t>::MAX.into()),
                ])
            }
        }
    )*};
}

decode_int!(u16, u32, u64);

impl Decode for f64 {
    fn decode(node: &Node, path: &str, sink: &mut Sink) -> Option<Self> {
        match node.value {
            #[allow(clippy::cast_precision_loss)]
            Value::Int(i) => Some(i as f64),
            Value::Float(f) if f.is_finite() => Some(f),
            Value::Float(_) => {
                sink.error(
                    Code::InvalidValue,
                    path,
                    node.pos,
                    "expected a finite number",
                );
                None
            }
            _ => {
                wrong_type(node, path, sink, "a number");
                None
            }
        }
    }

    fn schema() -> Json {
        obj([("type", "number".into())])
    }
}

impl<T: Decode> Decode for Spanned<T> {
    fn decode(node: &Node, path: &str, sink: &mut Sink) -> Option<Self> {
        T::decode(node, path, sink).map(|v| Spanned::new(v, node.pos))
    }

    fn schema() -> Json {
        T::schema()
    }
}

/// A list; bad items are reported and left out.
impl<T: Decode> Decode for Vec<T> {
    fn decode(node: &Node, path: &str, sink: &mut Sink) -> Option<Self> {
        match &node.value {
            Value::Seq(items) => Some(
                items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, item)| T::decode(item, &index(path, i), sink))
                    .collect(),
            ),
            _ => {
                wrong_type(node, path, sink, "a list");
                None
            }
        }
    }

    fn schema() -> Json {
        obj([("type", "array".into()), ("items", T::schema())])
    }
}

/// A mapping from free-form names to values, in source order, with the keys' positions.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Entries<T>(pub(crate) Vec<(Spanned<String>, Spanned<T>)>);

impl<T: Decode> Decode for Entries<T> {
    fn decode(node: &Node, path: &str, sink: &mut Sink) -> Option<Self> {
        match &node.value {
            Value::Map(entries) => Some(Entries(
                entries
                    .iter()
                    .filter_map(|(k, v)| {
                        let value = Spanned::<T>::decode(v, &child(path, &k.text), sink)?;
                        Some((Spanned::new(k.text.clone(), k.pos), value))
                    })
                    .collect(),
            )),
            _ => {
                wrong_type(node, path, sink, "a mapping");
                None
            }
        }
    }

    fn schema() -> Json {
        obj([
            ("type", "object".into()),
            ("additionalProperties", T::schema()),
        ])
    }
}

/// Any scalar, for prompt-target parameter defaults and enum values.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A number with a fraction or exponent.
    Float(f64),
    /// A boolean.
    Bool(bool),
}

impl Decode for Scalar {
    fn decode(node: &Node, path: &str, sink: &mut Sink) -> Option<Self> {
        match &node.value {
            Value::Str(s) => Some(Scalar::Str(s.clone())),
            Value::Int(i) => Some(Scalar::Int(*i)),
            Value::Float(f) => Some(Scalar::Float(*f)),
            Value::Bool(b) => Some(Scalar::Bool(*b)),
            _ => {
                wrong_type(node, path, sink, "a string, number or boolean");
                None
            }
        }
    }

    fn schema() -> Json {
        obj([(
            "type",
            Json::Array(vec!["string".into(), "number".into(), "boolean".into()]),
        )])
    }
}

/// A scalar read as its text, for `version` (`0.1` unquoted is a YAML number).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Text(pub(crate) String);

impl Decode for Text {
    fn decode(node: &Node, path: &str, sink: &mut Sink) -> Option<Self> {
        match &node.value {
            Value::Str(_) | Value::Int(_) | Value::Float(_) => node.value.scalar_text().map(Text),
            _ => {
                wrong_type(node, path, sink, "a string");
                None
            }
        }
    }

    fn schema() -> Json {
        String::schema()
    }
}

/// A duration as written (`30s`, `0.005s`, `1m30s`); parsed during validation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DurationText(pub(crate) String);

impl Decode for DurationText {
    fn decode(node: &Node, path: &str, sink: &mut Sink) -> Option<Self> {
        match &node.value {
            Value::Str(s) => Some(DurationText(s.clone())),
            _ => {
                wrong_type(node, path, sink, "a duration with a unit, like `30s`");
                None
            }
        }
    }

    fn schema() -> Json {
        obj([
            ("type", "string".into()),
            ("pattern", "^([0-9]+(\\.[0-9]*)?(ms|s|m|h))+$".into()),
        ])
    }
}

/// The entries of a mapping node, or a reported type error.
pub(crate) fn expect_map<'n>(
    node: &'n Node,
    path: &str,
    sink: &mut Sink,
) -> Option<&'n [(super::yaml::Key, Node)]> {
    match &node.value {
        Value::Map(entries) => Some(entries),
        _ => {
            wrong_type(node, path, sink, "a mapping");
            None
        }
    }
}

/// Reports an unknown key, suggesting the closest known one.
pub(crate) fn unknown_key(key: &str, pos: Pos, path: &str, known: &[&str], sink: &mut Sink) {
    let mut message = format!("unknown key `{key}`");
    match closest(key, known) {
        Some(s) => message.push_str(&format!("; did you mean `{s}`?")),
        None => message.push_str(&format!("; expected one of: {}", known.join(", "))),
    }
    sink.error(Code::UnknownKey, &child(path, key), pos, message);
}

/// The known name closest to `word`, if it is close enough to be a likely typo.
pub(crate) fn closest<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    known
        .iter()
        .map(|k| (levenshtein(&lower, &k.to_ascii_lowercase()), *k))
        .filter(|(d, k)| *d <= (k.chars().count().max(word.chars().count()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = i;
        let mut cur = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row.get(j + 1).copied().unwrap_or(usize::MAX);
            let next = if ca == *cb {
                prev
            } else {
                1 + prev.min(above).min(cur)
            };
            if let Some(slot) = row.get_mut(j) {
                *slot = cur;
            }
            prev = above;
            cur = next;
        }
        if let Some(slot) = row.get_mut(b.len()) {
            *slot = cur;
        }
    }
    row.last().copied().unwrap_or(0)
}

/// A JSON object from pairs.
pub(crate) fn obj<const N: usize>(pairs: [(&str, Json); N]) -> Json {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(k.to_owned(), v);
    }
    Json::Object(m)
}

/// Adds a `description` to a schema object (no-op on an empty description).
pub(crate) fn describe(mut schema: Json, description: &str) -> Json {
    let description = description.trim();
    if let (Json::Object(m), false) = (&mut schema, description.is_empty()) {
        m.insert("description".into(), description.into());
    }
    schema
}

/// A string enum schema.
pub(crate) fn string_enum(values: &[&str]) -> Json {
    obj([
        ("type", "string".into()),
        (
            "enum",
            Json::Array(values.iter().map(|v| Json::from(*v)).collect()),
        ),
    ])
}

/// Joins doc-comment lines into one description.
pub(crate) fn doc_text(lines: &[&str]) -> String {
    let mut out = String::new();
    for line in lines {
        let line = line.trim();
        if line.is_empty() {
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            continue;
        }
        if !out.is_empty() && !out.ends_with('\n') {
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}

/// Defines a raw config struct whose fields are all optional and spanned, with its decoder
/// (unknown keys are errors with a suggestion, `null` counts as absent, required keys are
/// checked) and its JSON Schema (descriptions come from the doc comments).
///
/// A field is `name: Type`, `name as "yaml-key": Type`, and either ends with `= required`.
macro_rules! raw_struct {
    (
        $(#[doc = $sdoc:literal])*
        pub(crate) struct $name:ident {
            $(
                $(#[doc = $fdoc:literal])*
                $field:ident $(as $key:literal)? : $ty:ty $(= $req:ident)?,
            )*
        }
    ) => {
        $(#[doc = $sdoc])*
        #[derive(Debug, Clone, Default, PartialEq)]
        pub(crate) struct $name {
            /// Where the mapping starts.
            pub(crate) at: $crate::config::diag::Pos,
            /// The keys present with a non-null value, well-formed or not (so a malformed
            /// value is not also reported as missing).
            pub(crate) seen: Vec<&'static str>,
            $(
                $(#[doc = $fdoc])*
                pub(crate) $field: Option<$crate::config::diag::Spanned<$ty>>,
            )*
        }

        impl $name {
            /// The YAML keys, in declaration order.
            pub(crate) const KEYS: &'static [&'static str] =
                &[$($crate::config::decode::raw_struct!(@key $field $($key)?)),*];
        }

        impl $crate::config::decode::Decode for $name {
            fn decode(
                node: &$crate::config::yaml::Node,
                path: &str,
                sink: &mut $crate::config::diag::Sink,
            ) -> Option<Self> {
                let entries = $crate::config::decode::expect_map(node, path, sink)?;
                let mut out = $name { at: node.pos, ..Default::default() };
                for (key, value) in entries {
                    let k = key.text.as_str();
                    $(
                        if k == $crate::config::decode::raw_struct!(@key $field $($key)?) {
                            if value.value != $crate::config::yaml::Value::Null {
                                out.seen.push($crate::config::decode::raw_struct!(@key $field $($key)?));
                                out.$field = <$crate::config::diag::Spanned<$ty>
                                    as $crate::config::decode::Decode>::decode(
                                    value,
                                    &$crate::config::diag::child(path, k),
                                    sink,
                                )
                                .map(|v| $crate::config::decode::at_key(v, key, value));
                            }
                            continue;
                        }
                    )*
                    $crate::config::decode::unknown_key(k, key.pos, path, Self::KEYS, sink);
                }
                $(
                    $crate::config::decode::raw_struct!(
                        @check out, node, path, sink, $field $($key)? ; $($req)?
                    );
                )*
                Some(out)
            }

            fn schema() -> serde_json::Value {
                let mut properties = serde_json::Map::new();
                $(
                    properties.insert(
                        $crate::config::decode::raw_struct!(@key $field $($key)?).to_owned(),
                        $crate::config::decode::describe(
                            <$ty as $crate::config::decode::Decode>::schema(),
                            &$crate::config::decode::doc_text(&[$($fdoc),*]),
                        ),
                    );
                )*
                let required: Vec<serde_json::Value> = [
                    $($crate::config::decode::raw_struct!(@req $field $($key)? ; $($req)?)),*
                ]
                .into_iter()
                .flatten()
                .map(serde_json::Value::from)
                .collect();
                let mut schema = serde_json::Map::new();
                schema.insert("type".into(), "object".into());
                let description = $crate::config::decode::doc_text(&[$($sdoc),*]);
                if !description.is_empty() {
                    schema.insert("description".into(), description.into());
                }
                schema.insert("properties".into(), properties.into());
                if !required.is_empty() {
                    schema.insert("required".into(), required.into());
                }
                schema.insert("additionalProperties".into(), false.into());
                serde_json::Value::Object(schema)
            }
        }
    };
    (@key $field:ident $key:literal) => { $key };
    (@key $field:ident) => { stringify!($field) };
    (@check $out:ident, $node:ident, $path:ident, $sink:ident, $field:ident $($key:literal)? ; required) => {
        if !$out.seen.contains(&$crate::config::decode::raw_struct!(@key $field $($key)?)) {
            $sink.error(
                $crate::config::diag::Code::MissingKey,
                $path,
                $node.pos,
                format!("missing required key `{}`", $crate::config::decode::raw_struct!(@key $field $($key)?)),
            );
        }
    };
    (@check $out:ident, $node:ident, $path:ident, $sink:ident, $field:ident $($key:literal)? ; ) => {};
    (@req $field:ident $($key:literal)? ; required) => {
        Some($crate::config::decode::raw_struct!(@key $field $($key)?))
    };
    (@req $field:ident $($key:literal)? ; ) => { None::<&str> };
}

pub(crate) use raw_struct;

/// Where a field's later diagnostics point: at the value when it is a scalar (same line,
/// exact column), at the key when it is a collection (whose first item is on a later line).
pub(crate) fn at_key<T>(mut v: Spanned<T>, key: &super::yaml::Key, value: &Node) -> Spanned<T> {
    if matches!(value.value, Value::Seq(_) | Value::Map(_)) {
        v.pos = key.pos;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let known = ["model_providers", "model_aliases", "listeners", "version"];
        assert_eq!(closest("model_provider", &known), Some("model_providers"));
        assert_eq!(closest("listners", &known), Some("listeners"));
        assert_eq!(closest("Version", &known), Some("version"));
        assert_eq!(closest("frobnicate", &known), None);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("", "abc"), 3);
    }
}
