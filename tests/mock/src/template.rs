//! Fixture bytes pre-split around the model name, so echoing the request's model is a copy of
//! a few slices rather than a JSON round trip.

use bytes::{Bytes, BytesMut};

/// A fixture with holes where its `"model"` / `"modelVersion"` string values were.
///
/// The holes cover the whole JSON string literal, quotes included; the model spliced in must
/// be a JSON string literal too (see [`crate::handler`]).
#[derive(Debug, Clone)]
pub(crate) struct Template {
    /// The fixture verbatim: what a request naming no model gets.
    whole: Bytes,
    /// `whole` cut at the holes; one more segment than holes.
    segments: Vec<Bytes>,
}

impl Template {
    /// Finds the model holes in `bytes` (JSON, or SSE whose data lines are JSON).
    pub(crate) fn new(bytes: Bytes) -> Template {
        let holes = model_value_spans(&bytes);
        let mut segments = Vec::with_capacity(holes.len() + 1);
        let mut at = 0;
        for (start, end) in holes {
            segments.push(bytes.slice(at..start));
            at = end;
        }
        segments.push(bytes.slice(at..));
        Template {
            whole: bytes,
            segments,
        }
    }

    /// Bytes served as they are (binary frames, whose lengths and checksums a splice would
    /// break).
    pub(crate) fn literal(bytes: Bytes) -> Template {
        Template {
            segments: vec![bytes.clone()],
            whole: bytes,
        }
    }

    /// The fixture as recorded.
    pub(crate) fn whole(&self) -> &Bytes {
        &self.whole
    }

    /// Whether there is a model to replace.
    pub(crate) fn has_holes(&self) -> bool {
        self.segments.len() > 1
    }

    /// The length once rendered with `model`.
    pub(crate) fn rendered_len(&self, model: Option<&[u8]>) -> usize {
        match model {
            Some(m) if self.segments.len() > 1 => {
                let holes = self.segments.len() - 1;
                self.segments.iter().map(Bytes::len).sum::<usize>() + holes * m.len()
            }
            _ => self.whole.len(),
        }
    }

    /// Renders with `model` (a JSON string literal) in every hole; `None` keeps the fixture's.
    pub(crate) fn render(&self, model: Option<&[u8]>) -> Bytes {
        match model {
            Some(_) if self.segments.len() > 1 => {
                let mut out = BytesMut::with_capacity(self.rendered_len(model));
                self.render_into(model, &mut out);
                out.freeze()
            }
            _ => self.whole.clone(),
        }
    }

    /// Appends the rendering to `out`.
    pub(crate) fn render_into(&self, model: Option<&[u8]>, out: &mut BytesMut) {
        let Some(model) = model else {
            out.extend_from_slice(&self.whole);
            return;
        };
        let mut segments = self.segments.iter();
        if let Some(first) = segments.next() {
            out.extend_from_slice(first);
        }
        for segment in segments {
            out.extend_from_slice(model);
            out.extend_from_slice(segment);
        }
    }
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

    #[test]
    fn splices_every_model_value_and_keeps_the_rest() {
        let src = br#"{"model": "gpt-4o", "x": "\"model\": \"no\"", "m":{"modelVersion":"g-1"}}"#;
        let t = Template::new(Bytes::from_static(src));
        let out = t.render(Some(br#""mine""#));
        assert_eq!(
            &out[..],
            br#"{"model": "mine", "x": "\"model\": \"no\"", "m":{"modelVersion":"mine"}}"#
        );
        assert_eq!(t.rendered_len(Some(br#""mine""#)), out.len());
        assert_eq!(t.render(None), Bytes::from_static(src));
    }

    #[test]
    fn escaped_quotes_inside_the_value_stay_in_the_hole() {
        let t = Template::new(Bytes::from_static(br#"{"model":"a\"b","k":1}"#));
        assert_eq!(&t.render(Some(b"\"z\""))[..], br#"{"model":"z","k":1}"#);
    }

    #[test]
    fn a_non_string_model_is_not_a_hole() {
        let t = Template::new(Bytes::from_static(br#"{"model": null}"#));
        assert_eq!(&t.render(Some(b"\"z\""))[..], br#"{"model": null}"#);
    }
}
