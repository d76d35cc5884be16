//! A small YAML tree with positions, built from `granit-parser` events.
//!
//! Plain scalars resolve by the YAML 1.2 core schema (`true`, `12`, `1.5`, `null`); quoted
//! scalars and `!!str` are strings. Anchors and aliases are expanded (with a node budget
//! against alias bombs), `<<` merge keys are applied as PyYAML does, and duplicate keys are
//! reported rather than silently overwritten.

use std::collections::HashMap;

use granit_parser::{Event, Parser, ScalarStyle, Span};

use super::diag::{Code, Pos, Sink, child, index};

/// Most nodes one document may expand to (aliases included).
const NODE_BUDGET: usize = 200_000;
/// Deepest nesting accepted; the config format needs fewer than ten levels.
const NESTING_LIMIT: usize = 64;

/// A YAML node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) pos: Pos,
    pub(crate) value: Value,
}

/// A YAML value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

/// A mapping key: always a scalar, kept as its text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Key {
    pub(crate) text: String,
    pub(crate) pos: Pos,
}

impl Value {
    /// What a type error calls this value.
    pub(crate) fn describe(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// The text of a scalar (numbers and booleans as written in canonical form).
    pub(crate) fn scalar_text(&self) -> Option<String> {
        match self {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Null | Value::Seq(_) | Value::Map(_) => None,
        }
    }
}

fn pos_of(span: &Span) -> Pos {
    let line = u32::try_from(span.start.line()).unwrap_or(u32::MAX);
    let column = u32::try_from(span.start.col().saturating_add(1)).unwrap_or(u32::MAX);
    Pos::new(line, column)
}

enum Frame {
    Seq {
        path: String,
        pos: Pos,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        path: String,
        pos: Pos,
        anchor: usize,
        entries: Vec<(Key, Node)>,
        /// `Some(None)`: the key was not a scalar (already reported); drop its value.
        pending_key: Option<Option<Key>>,
    },
}

/// Parses one YAML document. Syntax errors are reported into `sink` and give `None`.
pub(crate) fn parse(text: &str, sink: &mut Sink) -> Option<Node> {
    let options = granit_parser::options! {
        flow_nesting_limit: NESTING_LIMIT,
        block_nesting_limit: NESTING_LIMIT,
    };
    let mut builder = Builder {
        stack: Vec::new(),
        anchors: HashMap::new(),
        root: None,
        budget: NODE_BUDGET,
        documents: 0,
    };
    for next in Parser::new_from_str_with_options(text, options) {
        match next {
            Ok((event, span)) => {
                if let Err((pos, message)) = builder.event(event, &span, sink) {
                    sink.error(Code::Syntax, "", pos, message);
                    return None;
                }
            }
            Err(e) => {
                let m = e.marker();
                let line = u32::try_from(m.line()).unwrap_or(u32::MAX);
                let column = u32::try_from(m.col().saturating_add(1)).unwrap_or(u32::MAX);
                sink.error(
                    Code::Syntax,
                    "",
                    Pos::new(line, column),
                    format!("invalid YAML: {}", e.info()),
                );
                return None;
            }
        }
    }
    if builder.root.is_none() {
        sink.error(Code::Syntax, "", Pos::new(1, 1), "the config is empty");
    }
    builder.root
}

struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
    budget: usize,
    documents: usize,
}

type Fatal = (Pos, String);

impl Builder {
    fn event(&mut self, event: Event<'_>, span: &Span, sink: &mut Sink) -> Result<(), Fatal> {
        let pos = pos_of(span);
        match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Anchor(..) => {}
            Event::DocumentStart(..) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err((pos, "expected one YAML document, found several".into()));
                }
            }
            Event::Alias(id) => {
                let node = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| (pos, "alias to an unknown anchor".to_owned()))?;
                let size = count(&node);
                self.budget = self
                    .budget
                    .checked_sub(size)
                    .ok_or_else(|| (pos, "aliases expand to too many nodes".to_owned()))?;
                self.push(node, 0, sink)?;
            }
            Event::UnresolvedAlias(_) => {
                return Err((pos, "alias to an unknown anchor".into()));
            }
            Event::Scalar(text, style, anchor, tag) => {
                let forced_str = tag
                    .as_ref()
                    .is_some_and(|t| t.is_yaml_core_schema_tag("str"));
                let value = if style == ScalarStyle::Plain && !forced_str {
                    resolve_plain(&text)
                } else {
                    Value::Str(text.into_owned())
                };
                self.take_budget(pos)?;
                self.push(Node { pos, value }, anchor, sink)?;
            }
            Event::SequenceStart(_, anchor, _) => {
                self.take_budget(pos)?;
                self.stack.push(Frame::Seq {
                    path: self.child_path(),
                    pos,
                    anchor,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(_, anchor, _) => {
                self.take_budget(pos)?;
                self.stack.push(Frame::Map {
                    path: self.child_path(),
                    pos,
                    anchor,
                    entries: Vec::new(),
                    pending_key: None,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Err((pos, "unbalanced collection end".into()));
                };
                let (node, anchor) = match frame {
                    Frame::Seq {
                        pos, anchor, items, ..
                    } => (
                        Node {
                            pos,
                            value: Value::Seq(items),
                        },
                        anchor,
                    ),
                    Frame::Map {
                        path,
                        pos,
                        anchor,
                        entries,
                        ..
                    } => (
                        Node {
                            pos,
                            value: Value::Map(merge_and_dedup(entries, &path, sink)),
                        },
                        anchor,
                    ),
                };
                self.push(node, anchor, sink)?;
            }
            // Comments (a disabled feature) and future presentation events carry no data.
            _ => {}
        }
        Ok(())
    }

    fn take_budget(&mut self, pos: Pos) -> Result<(), Fatal> {
        self.budget = self
            .budget
            .checked_sub(1)
            .ok_or_else(|| (pos, "the document has too many nodes".to_owned()))?;
        Ok(())
    }

    /// The path of the node that starts next, from the innermost open collection.
    fn child_path(&self) -> String {
        match self.stack.last() {
            None => String::new(),
            Some(Frame::Seq { path, items, .. }) => index(path, items.len()),
            Some(Frame::Map {
                path, pending_key, ..
            }) => match pending_key {
                Some(Some(key)) => child(path, &key.text),
                _ => path.clone(),
            },
        }
    }

    fn push(&mut self, node: Node, anchor: usize, sink: &mut Sink) -> Result<(), Fatal> {
        let path = self.child_path();
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                pending_key,
                ..
            }) => match pending_key.take() {
                Some(Some(key)) => entries.push((key, node)),
                Some(None) => {}
                None => match node.value.scalar_text() {
                    Some(text) => {
                        *pending_key = Some(Some(Key {
                            text,
                            pos: node.pos,
                        }))
                    }
                    None => {
                        sink.error(
                            Code::WrongType,
                            &path,
                            node.pos,
                            format!(
                                "a mapping key must be a scalar, found {}",
                                node.value.describe()
                            ),
                        );
                        *pending_key = Some(None);
                    }
                },
            },
        }
        Ok(())
    }
}

fn count(node: &Node) -> usize {
    match &node.value {
        Value::Seq(items) => items.iter().map(count).sum::<usize>().saturating_add(1),
        Value::Map(entries) => entries
            .iter()
            .map(|(_, v)| count(v))
            .sum::<usize>()
            .saturating_add(1 + entries.len()),
        _ => 1,
    }
}

/// Applies `<<` merge keys (explicit keys win, earlier merged maps win over later ones) and
/// drops repeated keys with an error; the first occurrence is kept.
fn merge_and_dedup(entries: Vec<(Key, Node)>, path: &str, sink: &mut Sink) -> Vec<(Key, Node)> {
    let merge_path = child(path, "<<");
    let mut out: Vec<(Key, Node)> = Vec::with_capacity(entries.len());
    let mut merged: Vec<(Key, Node)> = Vec::new();
    let mut seen: HashMap<String, Pos> = HashMap::with_capacity(entries.len());
    for (key, node) in entries {
        if key.text == "<<" {
            match node.value {
                Value::Map(m) => merged.extend(m),
                Value::Seq(items) => {
                    for item in items {
                        match item.value {
                            Value::Map(m) => merged.extend(m),
                            other => sink.error(
                                Code::WrongType,
                                &merge_path,
                                item.pos,
                                format!("a `<<` merge takes mappings, found {}", other.describe()),
                            ),
                        }
                    }
                }
                other => sink.error(
                    Code::WrongType,
                    &merge_path,
                    node.pos,
                    format!("a `<<` merge takes a mapping, found {}", other.describe()),
                ),
            }
            continue;
        }
        if let Some(first) = seen.get(&key.text) {
            sink.error(
                Code::Duplicate,
                &child(path, &key.text),
                key.pos,
                format!(
                    "duplicate key `{}` (first defined at line {})",
                    key.text, first.line
                ),
            );
            continue;
        }
        seen.insert(key.text.clone(), key.pos);
        out.push((key, node));
    }
    for (key, node) in merged {
        if !seen.contains_key(&key.text) {
            seen.insert(key.text.clone(), key.pos);
            out.push((key, node));
        }
    }
    out
}

/// YAML 1.2 core schema resolution of a plain scalar.
fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    if let Some(i) = parse_int(text) {
        return Value::Int(i);
    }
    if looks_like_float(text)
        && let Ok(f) = text.parse::<f64>()
    {
        return Value::Float(f);
    }
    Value::Str(text.to_owned())
}

fn parse_int(text: &str) -> Option<i64> {
    if let Some(hex) = text.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok();
    }
    if let Some(oct) = text.strip_prefix("0o") {
        return i64::from_str_radix(oct, 8).ok();
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
fn looks_like_float(text: &str) -> bool {
    let t = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => (t.get(..i).unwrap_or(""), t.get(i + 1..)),
        None => (t, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (mantissa, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac {
        Some(f) => digits(int) && digits(f) && !(int.is_empty() && f.is_empty()),
        None => !int.is_empty() && digits(int),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> (Option<Node>, Vec<String>) {
        let mut sink = Sink::default();
        let node = parse(text, &mut sink);
        let diags = sink.into_sorted().iter().map(ToString::to_string).collect();
        (node, diags)
    }

    #[test]
    fn scalars_resolve_by_core_schema() {
        assert_eq!(resolve_plain("12"), Value::Int(12));
        assert_eq!(resolve_plain("-3"), Value::Int(-3));
        assert_eq!(resolve_plain("0.5"), Value::Float(0.5));
        assert_eq!(resolve_plain("1e3"), Value::Float(1000.0));
        assert_eq!(resolve_plain("0.2.0"), Value::Str("0.2.0".into()));
        assert_eq!(resolve_plain("30s"), Value::Str("30s".into()));
        assert_eq!(resolve_plain("yes"), Value::Str("yes".into()));
        assert_eq!(resolve_plain("~"), Value::Null);
        assert_eq!(resolve_plain("."), Value::Str(".".into()));
    }

    #[test]
    fn positions_are_one_based() {
        let (node, diags) = parse_ok("a:\n  b: 'x'\n");
        assert!(diags.is_empty());
        let Some(Node {
            value: Value::Map(m),
            ..
        }) = node
        else {
            panic!("not a map")
        };
        let (k, v) = &m[0];
        assert_eq!(k.pos, Pos::new(1, 1));
        let Value::Map(inner) = &v.value else {
            panic!()
        };
        assert_eq!(inner[0].1.pos, Pos::new(2, 6));
    }

    #[test]
    fn duplicates_merges_and_aliases() {
        let (node, diags) = parse_ok("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\nm2: 1\nm2: 2\n");
        assert_eq!(
            diags,
            ["6:1: error: m2: duplicate key `m2` (first defined at line 5)"]
        );
        let Some(Node {
            value: Value::Map(m),
            ..
        }) = node
        else {
            panic!()
        };
        let Value::Map(merged) = &m[1].1.value else {
            panic!()
        };
        let pairs: Vec<_> = merged
            .iter()
            .map(|(k, v)| (k.text.as_str(), &v.value))
            .collect();
        assert_eq!(pairs, [("y", &Value::Int(3)), ("x", &Value::Int(1))]);
    }

    #[test]
    fn syntax_errors_and_bombs_do_not_panic() {
        let (_, diags) = parse_ok("a: [1, 2\n");
        assert_eq!(diags.len(), 1);
        assert!(diags[0].contains("invalid YAML"), "{diags:?}");
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let p = i - 1;
            bomb.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let (_, diags) = parse_ok(&bomb);
        assert!(diags[0].contains("too many nodes"), "{diags:?}");
        let (_, diags) = parse_ok(&"[".repeat(10_000));
        assert!(diags[0].contains("invalid YAML"), "{diags:?}");
        let (_, diags) = parse_ok("a: 1\n---\nb: 2\n");
        assert!(diags[0].contains("one YAML document"), "{diags:?}");
        let (_, diags) = parse_ok("");
        assert!(diags[0].contains("empty"), "{diags:?}");
    }
}
