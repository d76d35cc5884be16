//! Stream framing, parsed independently of the gateway: Server-Sent Events and the AWS
//! eventstream binary framing (with its CRCs checked).

use serde_json::Value;

/// One SSE event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SseEvent {
    /// The `event:` field, if any.
    pub(crate) event: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub(crate) data: String,
}

/// Splits an SSE body into events. Comments and events without data are dropped. A body
/// that does not end with a blank line (a partial trailing event) is an error, as is text
/// that is not UTF-8.
pub(crate) fn parse_sse(body: &[u8]) -> Result<Vec<SseEvent>, String> {
    let text = std::str::from_utf8(body).map_err(|e| format!("the stream is not UTF-8: {e}"))?;
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut events = Vec::new();
    let mut event: Option<String> = None;
    let mut data: Vec<&str> = Vec::new();
    let mut pending = false;
    for line in text.split_inclusive('\n') {
        let complete = line.ends_with('\n');
        let line = line.trim_end_matches('\n');
        if !complete {
            if line.is_empty() {
                break;
            }
            return Err(format!(
                "the stream ends inside a line (no final newline): {line:?}"
            ));
        }
        if line.is_empty() {
            if !data.is_empty() {
                events.push(SseEvent {
                    event: event.take(),
                    data: data.join("\n"),
                });
            }
            event = None;
            data.clear();
            pending = false;
            continue;
        }
        pending = true;
        if line.starts_with(':') {
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => event = Some(value.to_owned()),
            "data" => data.push(value),
            _ => {}
        }
    }
    if pending && !data.is_empty() {
        return Err(format!(
            "the stream ends inside an event (no blank line after it): data {:?}",
            data.join("\n")
        ));
    }
    Ok(events)
}

/// Parses an SSE event's data as a JSON object.
pub(crate) fn json_data(ev: &SseEvent) -> Result<Value, String> {
    let v: Value = serde_json::from_str(&ev.data)
        .map_err(|e| format!("an event's data is not JSON ({e}): {:?}", clip(&ev.data)))?;
    if v.is_object() {
        Ok(v)
    } else {
        Err(format!(
            "an event's data is not a JSON object: {:?}",
            clip(&ev.data)
        ))
    }
}

fn clip(s: &str) -> &str {
    let mut end = s.len().min(300);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or(s)
}

/// One AWS eventstream message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EsMessage {
    /// String headers (other header types are checked for framing and dropped).
    pub(crate) headers: Vec<(String, String)>,
    /// The payload.
    pub(crate) payload: Vec<u8>,
}

impl EsMessage {
    /// A string header's value.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Splits an AWS eventstream body into messages, checking lengths and both CRCs. Trailing
/// bytes that do not make a whole message are an error.
pub(crate) fn parse_eventstream(body: &[u8]) -> Result<Vec<EsMessage>, String> {
    let mut out = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let at = body.len() - rest.len();
        let total = be32(rest, 0).ok_or_else(|| format!("a partial prelude at byte {at}"))?;
        let headers_len = be32(rest, 4).ok_or_else(|| format!("a partial prelude at byte {at}"))?;
        let prelude_crc = be32(rest, 8).ok_or_else(|| format!("a partial prelude at byte {at}"))?;
        let total = total as usize;
        let headers_len = headers_len as usize;
        if total < 16 + headers_len {
            return Err(format!(
                "message at byte {at}: total length {total} is shorter than its headers"
            ));
        }
        let msg = rest.get(..total).ok_or_else(|| {
            format!(
                "message at byte {at} announces {total} bytes, {} remain",
                rest.len()
            )
        })?;
        if crc32(msg.get(..8).unwrap_or_default()) != prelude_crc {
            return Err(format!("message at byte {at}: prelude CRC mismatch"));
        }
        let msg_crc = be32(msg, total - 4).unwrap_or_default();
        if crc32(msg.get(..total - 4).unwrap_or_default()) != msg_crc {
            return Err(format!("message at byte {at}: message CRC mismatch"));
        }
        let headers = parse_headers(msg.get(12..12 + headers_len).unwrap_or_default())
            .map_err(|e| format!("message at byte {at}: {e}"))?;
        let payload = msg.get(12 + headers_len..total - 4).unwrap_or_default();
        out.push(EsMessage {
            headers,
            payload: payload.to_vec(),
        });
        rest = rest.get(total..).unwrap_or_default();
    }
    Ok(out)
}

fn parse_headers(mut b: &[u8]) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let name_len = usize::from(*b.first().ok_or("a truncated header")?);
        let name = b.get(1..1 + name_len).ok_or("a truncated header name")?;
        let name = String::from_utf8_lossy(name).into_owned();
        let kind = *b.get(1 + name_len).ok_or("a header without a type")?;
        let v = b.get(2 + name_len..).unwrap_or_default();
        let (value, used) = match kind {
            0 | 1 => (None, 0),
            2 => (None, 1),
            3 => (None, 2),
            4 => (None, 4),
            5 | 8 => (None, 8),
            9 => (None, 16),
            6 | 7 => {
                let len = match v.get(..2) {
                    Some(&[hi, lo]) => usize::from(u16::from_be_bytes([hi, lo])),
                    _ => return Err("a truncated header value length".to_owned()),
                };
                let bytes = v.get(2..2 + len).ok_or("a truncated header value")?;
                let value = (kind == 7).then(|| String::from_utf8_lossy(bytes).into_owned());
                (value, 2 + len)
            }
            other => return Err(format!("unknown header value type {other}")),
        };
        if v.len() < used {
            return Err("a truncated header value".to_owned());
        }
        if let Some(value) = value {
            out.push((name, value));
        }
        b = v.get(used..).unwrap_or_default();
    }
    Ok(out)
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 4)?;
    Some(u32::from_be_bytes([
        *s.first()?,
        *s.get(1)?,
        *s.get(2)?,
        *s.get(3)?,
    ]))
}

/// CRC-32 (IEEE 802.3, reflected, as AWS eventstream uses).
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffff_u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xedb8_8320 & mask);
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_of_check_string() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }

    #[test]
    fn sse_events_and_partial_tail() {
        let ok = b"event: a\ndata: {\"x\":1}\n\n: keep-alive\n\ndata: [DONE]\n\n";
        let evs = parse_sse(ok).unwrap();
        assert_eq!(evs.len(), 2);
        assert_eq!(evs[0].event.as_deref(), Some("a"));
        assert_eq!(evs[1].data, "[DONE]");
        assert!(parse_sse(b"data: {\"x\":1}\n\ndata: {\"y\"").is_err());
        assert!(parse_sse(b"data: {\"x\":1}\n").is_err());
        assert_eq!(parse_sse(b"data: 1\r\n\r\n").unwrap().len(), 1);
    }

    fn message(headers: &[(&str, &str)], payload: &[u8]) -> Vec<u8> {
        let mut h = Vec::new();
        for (n, v) in headers {
            h.push(n.len() as u8);
            h.extend_from_slice(n.as_bytes());
            h.push(7);
            h.extend_from_slice(&(v.len() as u16).to_be_bytes());
            h.extend_from_slice(v.as_bytes());
        }
        let total = 16 + h.len() + payload.len();
        let mut m = Vec::new();
        m.extend_from_slice(&(total as u32).to_be_bytes());
        m.extend_from_slice(&(h.len() as u32).to_be_bytes());
        let c = crc32(&m);
        m.extend_from_slice(&c.to_be_bytes());
        m.extend_from_slice(&h);
        m.extend_from_slice(payload);
        let c = crc32(&m);
        m.extend_from_slice(&c.to_be_bytes());
        m
    }

    #[test]
    fn eventstream_round_trip_and_damage() {
        let mut body = message(
            &[(":event-type", "messageStart")],
            b"{\"role\":\"assistant\"}",
        );
        body.extend(message(&[(":event-type", "metadata")], b"{}"));
        let msgs = parse_eventstream(&body).unwrap();
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].header(":event-type"), Some("messageStart"));
        assert!(parse_eventstream(&body[..body.len() - 3]).is_err());
        let mut bad = body.clone();
        bad[20] ^= 1;
        assert!(parse_eventstream(&bad).is_err());
    }
}
