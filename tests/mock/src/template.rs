//! Fixture bytes pre-split around the model name, so echoing the request's model is a copy of
//! a few slices rather than a JSON round trip.

use bytes::{Bytes, BytesMut};

/// What fills a hole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hole {
    /// A `"model"` / `"modelVersion"` string literal, quotes included.
    Model,
    /// The part of the answer's id after its prefix (inside the quotes).
    Id,
}

/// What one answer puts in the holes; `None` keeps the fixture's bytes.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Fill<'a> {
    /// A JSON string literal (see [`crate::handler`]).
    pub(crate) model: Option<&'a [u8]>,
    /// The id suffix: JSON-safe characters only.
    pub(crate) id: Option<&'a [u8]>,
}

impl Fill<'_> {
    fn get(&self, hole: Hole) -> Option<&[u8]> {
        match hole {
            Hole::Model => self.model,
            Hole::Id => self.id,
        }
    }
}

/// A fixture with holes where its `"model"` / `"modelVersion"` string values and its id were.
///
/// Model holes cover the whole JSON string literal, quotes included; the model spliced in
/// must be a JSON string literal too (see [`crate::handler`]). Id holes cover what follows
/// the id's prefix (`msg_`, `resp_`, `chatcmpl-`) in every occurrence of the id.
#[derive(Debug, Clone)]
pub(crate) struct Template {
    /// The fixture verbatim: what a request naming no model gets.
    whole: Bytes,
    /// `whole` cut at the holes; one more segment than holes.
    segments: Vec<Bytes>,
    /// Each hole's kind and the fixture's bytes there.
    holes: Vec<(Hole, Bytes)>,
}

impl Template {
    /// Finds the model holes in `bytes` (JSON, or SSE whose data lines are JSON), and the id
    /// holes: every occurrence of the string literal `"{id}"`, after `id_prefix_len` bytes.
    pub(crate) fn new(bytes: Bytes, id: Option<(&str, usize)>) -> Template {
        let mut spans: Vec<(usize, usize, Hole)> = model_value_spans(&bytes)
            .into_iter()
            .map(|(start, end)| (start, end, Hole::Model))
            .collect();
        if let Some((id, prefix_len)) = id {
            let needle = format!("\"{id}\"");
            let mut from = 0;
            while let Some(found) = find(bytes.get(from..).unwrap_or_default(), needle.as_bytes()) {
                let at = from + found;
                let (start, end) = (at + 1 + prefix_len, at + needle.len() - 1);
                if !spans.iter().any(|&(s, e, _)| s < end && start < e) {
                    spans.push((start, end, Hole::Id));
                }
                from = at + needle.len();
            }
        }
        spans.sort_by_key(|&(start, _, _)| start);
        let mut segments = Vec::with_capacity(spans.len() + 1);
        let mut holes = Vec::with_capacity(spans.len());
        let mut at = 0;
        for (start, end, hole) in spans {
            segments.push(bytes.slice(at..start));
            holes.push((hole, bytes.slice(start..end)));
            at = end;
        }
        segments.push(bytes.slice(at..));
        Template {
            whole: bytes,
            segments,
            holes,
        }
    }

    /// Bytes served as they are (binary frames, whose lengths and checksums a splice would
    /// break).
    pub(crate) fn literal(bytes: Bytes) -> Template {
        Template {
            segments: vec![bytes.clone()],
            whole: bytes,
            holes: Vec::new(),
        }
    }

    /// The fixture as recorded.
    pub(crate) fn whole(&self) -> &Bytes {
        &self.whole
    }

    /// Whether `fill` changes anything.
    pub(crate) fn changed_by(&self, fill: Fill<'_>) -> bool {
        self.holes.iter().any(|(hole, _)| fill.get(*hole).is_some())
    }

    /// The length once rendered with `fill`.
    pub(crate) fn rendered_len(&self, fill: Fill<'_>) -> usize {
        if !self.changed_by(fill) {
            return self.whole.len();
        }
        let holes: usize = self
            .holes
            .iter()
            .map(|(hole, original)| fill.get(*hole).map_or(original.len(), <[u8]>::len))
            .sum();
        self.segments.iter().map(Bytes::len).sum::<usize>() + holes
    }

    /// Renders with `fill` in the holes.
    pub(crate) fn render(&self, fill: Fill<'_>) -> Bytes {
        if !self.changed_by(fill) {
            return self.whole.clone();
        }
        let mut out = BytesMut::with_capacity(self.rendered_len(fill));
        self.render_into(fill, &mut out);
        out.freeze()
    }

    /// Appends the rendering to `out`.
    pub(crate) fn render_into(&self, fill: Fill<'_>, out: &mut BytesMut) {
        if !self.changed_by(fill) {
            out.extend_from_slice(&self.whole);
            return;
        }
        let mut segments = self.segments.iter();
        if let Some(first) = segments.next() {
            out.extend_from_slice(first);
        }
        for ((hole, original), segment) in self.holes.iter().zip(segments) {
            out.extend_from_slice(fill.get(*hole).unwrap_or(original));
            out.extend_from_slice(segment);
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The byte spans of the string values of every `"model"` and `"modelVersion"` key.
///
/// A key inside a JSON string cannot match: there its quotes are escaped, so `"model` is
/// followed by `\"`, not `"`.
fn model_value_spans(bytes: &[u8]) -> Vec<(usize, usize)> {
    const KEYS: [&[u8]; 2] = [b"\"model\"", b"\"modelVersion\""];
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let rest = bytes.get(i..).unwrap_or_default();
        let key = KEYS.iter().find(|k| rest.starts_with(k));
        if let Some(key) = key
            && let Some((start, end)) = string_value_after_key(bytes, i + key.len())
        {
            spans.push((start, end));
            i = end;
        } else {
            i += 1;
        }
    }
    spans
}

/// After a key ending at `at`: `\s*:\s*"...."`, the span of the string literal, quotes
/// included.
fn string_value_after_key(bytes: &[u8], at: usize) -> Option<(usize, usize)> {
    let skip_ws = |mut i: usize| {
        while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        i
    };
    let colon = skip_ws(at);
    if bytes.get(colon) != Some(&b':') {
        return None;
    }
    let start = skip_ws(colon + 1);
    if bytes.get(start) != Some(&b'"') {
        return None;
    }
    let mut i = start + 1;
    loop {
        match bytes.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some((start, i + 1)),
            b'\n' => return None,
            _ => i += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(m: &[u8]) -> Fill<'_> {
        Fill {
            model: Some(m),
            id: None,
        }
    }

    #[test]
    fn splices_every_model_value_and_keeps_the_rest() {
        let src = br#"{"model": "gpt-4o", "x": "\"model\": \"no\"", "m":{"modelVersion":"g-1"}}"#;
        let t = Template::new(Bytes::from_static(src), None);
        let out = t.render(model(br#""mine""#));
        assert_eq!(
            &out[..],
            br#"{"model": "mine", "x": "\"model\": \"no\"", "m":{"modelVersion":"mine"}}"#
        );
        assert_eq!(t.rendered_len(model(br#""mine""#)), out.len());
        assert_eq!(t.render(Fill::default()), Bytes::from_static(src));
    }

    #[test]
    fn escaped_quotes_inside_the_value_stay_in_the_hole() {
        let t = Template::new(Bytes::from_static(br#"{"model":"a\"b","k":1}"#), None);
        assert_eq!(&t.render(model(b"\"z\""))[..], br#"{"model":"z","k":1}"#);
    }

    #[test]
    fn a_non_string_model_is_not_a_hole() {
        let t = Template::new(Bytes::from_static(br#"{"model": null}"#), None);
        assert_eq!(&t.render(model(b"\"z\""))[..], br#"{"model": null}"#);
    }

    #[test]
    fn ids_keep_their_prefix_in_every_occurrence() {
        let src =
            br#"{"id": "msg_01abc", "model": "m", "x": {"id": "msg_01abc"}, "y": "in msg_01abc"}"#;
        let t = Template::new(Bytes::from_static(src), Some(("msg_01abc", 4)));
        let fill = Fill {
            model: Some(br#""n""#),
            id: Some(b"42zz"),
        };
        let out = t.render(fill);
        assert_eq!(
            &out[..],
            br#"{"id": "msg_42zz", "model": "n", "x": {"id": "msg_42zz"}, "y": "in msg_01abc"}"#
        );
        assert_eq!(t.rendered_len(fill), out.len());
        let only_id = Fill {
            model: None,
            id: Some(b"1"),
        };
        assert_eq!(
            &t.render(only_id)[..],
            br#"{"id": "msg_1", "model": "m", "x": {"id": "msg_1"}, "y": "in msg_01abc"}"#
        );
    }
}
