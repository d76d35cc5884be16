//! Bedrock's `application/vnd.amazon.eventstream` frames: encoding the JSON-lines fixtures and
//! splitting the recorded captures.

use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use bytes::Bytes;

use crate::fixtures::FixtureError;

/// Encodes one frame as Bedrock sends it: `:event-type` (or `:exception-type`),
/// `:content-type: application/json` and `:message-type` (`event` or `exception`).
pub(crate) fn encode(
    message_type: &str,
    event_type: &str,
    payload: impl Into<Bytes>,
) -> Result<Bytes, FixtureError> {
    let type_header = if message_type == "exception" {
        ":exception-type"
    } else {
        ":event-type"
    };
    let message = Message::new(payload)
        .add_header(Header::new(
            type_header,
            HeaderValue::String(event_type.to_owned().into()),
        ))
        .add_header(Header::new(
            ":content-type",
            HeaderValue::String("application/json".into()),
        ))
        .add_header(Header::new(
            ":message-type",
            HeaderValue::String(message_type.to_owned().into()),
        ));
    let mut out = Vec::new();
    write_message_to(&message, &mut out)
        .map_err(|e| FixtureError::new("eventstream frame", e.to_string()))?;
    Ok(Bytes::from(out))
}

/// Splits a capture into its frames by their length prefixes.
pub(crate) fn split_frames(name: &str, mut bytes: Bytes) -> Result<Vec<Bytes>, FixtureError> {
    let mut frames = Vec::new();
    while !bytes.is_empty() {
        let len = bytes
            .get(..4)
            .and_then(|p| <[u8; 4]>::try_from(p).ok())
            .map(u32::from_be_bytes)
            .and_then(|n| usize::try_from(n).ok())
            .filter(|&n| n >= 16 && n <= bytes.len())
            .ok_or_else(|| FixtureError::new(name, "truncated eventstream frame"))?;
        frames.push(bytes.split_to(len));
    }
    Ok(frames)
}

/// The payload of one frame: after the prelude (total length, headers length, CRC) and the
/// headers, before the message CRC.
pub(crate) fn payload(frame: &[u8]) -> Option<&[u8]> {
    let headers_len = frame
        .get(4..8)
        .and_then(|p| <[u8; 4]>::try_from(p).ok())
        .map(u32::from_be_bytes)
        .and_then(|n| usize::try_from(n).ok())?;
    frame.get(12 + headers_len..frame.len().checked_sub(4)?)
}
