//! Writing Server-Sent Events.

/// Appends one SSE event: an optional `event:` line, one `data:` line per line of `data`, and
/// the blank line that ends the event.
///
/// JSON payloads written by serde_json contain no raw newlines, so they take one `data:` line.
pub fn write_event(out: &mut Vec<u8>, event: Option<&str>, data: &[u8]) {
    if let Some(name) = event {
        out.extend_from_slice(b"event: ");
        out.extend_from_slice(name.as_bytes());
        out.push(b'\n');
    }
    for line in data.split(|&b| b == b'\n') {
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    out.push(b'\n');
}

/// Appends one SSE event whose data is `value` serialized as JSON, without an intermediate
/// buffer.
pub fn write_json_event<T: serde::Serialize + ?Sized>(
    out: &mut Vec<u8>,
    event: Option<&str>,
    value: &T,
) {
    if let Some(name) = event {
        out.extend_from_slice(b"event: ");
        out.extend_from_slice(name.as_bytes());
        out.push(b'\n');
    }
    out.extend_from_slice(b"data: ");
    // Serializing the wire types into a Vec cannot fail: they hold only strings, numbers and
    // already-valid raw JSON.
    let _ = serde_json::to_writer(&mut *out, value);
    out.extend_from_slice(b"\n\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_events() {
        let mut out = Vec::new();
        write_event(&mut out, Some("ping"), b"{}");
        write_event(&mut out, None, b"a\nb");
        write_json_event(&mut out, None, &[1, 2]);
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            "event: ping\ndata: {}\n\ndata: a\ndata: b\n\ndata: [1,2]\n\n"
        );
    }
}
