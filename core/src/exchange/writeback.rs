//! Writing the client's `previous_response_id` back into a translated Responses stream.
//!
//! The upstream never sees `previous_response_id` (the request is expanded), so the
//! Responses encoder cannot know it; OpenAI echoes it in every event's `response` object.
//! The encoder writes whole events per upstream frame, each response object starting
//! `"response":{"id":"…"`, so the field is inserted right after that id, within one output
//! chunk. Inside JSON string values quotes are escaped, so the pattern cannot match model
//! text.

const PATTERN: &[u8] = br#""response":{"id":""#;

/// Inserts `,"previous_response_id":<prev_json>` after the id of every response object in
/// `out[start..]`. `prev_json` is the id as a JSON string literal.
pub(super) fn insert_previous_response_id(out: &mut Vec<u8>, start: usize, prev_json: &str) {
    let field = format!(r#","previous_response_id":{prev_json}"#);
    let mut from = start;
    while let Some(at) = out.get(from..).and_then(|s| find(s, PATTERN)) {
        let id_start = from + at + PATTERN.len();
        // The id's closing quote: the first unescaped `"`.
        let Some(close) = out.get(id_start..).and_then(closing_quote) else {
            return;
        };
        let insert_at = id_start + close + 1;
        out.splice(insert_at..insert_at, field.bytes());
        from = insert_at + field.len();
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn closing_quote(s: &[u8]) -> Option<usize> {
    let mut escaped = false;
    for (i, b) in s.iter().enumerate() {
        match b {
            b'\\' if !escaped => escaped = true,
            b'"' if !escaped => return Some(i),
            _ => escaped = false,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserts_after_each_response_id() {
        let mut out = b"x".to_vec();
        out.extend_from_slice(
            br#"data: {"type":"response.created","response":{"id":"resp_\"1","status":"in_progress"}}"#,
        );
        out.extend_from_slice(
            br#" data: {"response":{"id":"r2"}} {"text":"\"response\":{\"id\":\"no\"}"}"#,
        );
        insert_previous_response_id(&mut out, 1, r#""resp_prev""#);
        let text = String::from_utf8(out).unwrap_or_default();
        assert_eq!(
            text,
            r#"xdata: {"type":"response.created","response":{"id":"resp_\"1","previous_response_id":"resp_prev","status":"in_progress"}} data: {"response":{"id":"r2","previous_response_id":"resp_prev"}} {"text":"\"response\":{\"id\":\"no\"}"}"#
        );
        let mut cut = br#""response":{"id":"unterminated"#.to_vec();
        insert_previous_response_id(&mut cut, 0, r#""p""#);
        assert_eq!(cut, br#""response":{"id":"unterminated"#.to_vec());
    }
}
