//! The value format of the Spin key-value store: Spin KV keeps no expiry, so every value is
//! framed with its own: 8 bytes of big-endian expiry (milliseconds since the epoch, 0 for
//! never) followed by the value. An expired value reads as absent (and is deleted when read);
//! [`crate::store`] also sweeps expired keys now and then. Pure functions, tested natively.

/// Bytes of the expiry header.
pub const HEADER: usize = 8;

/// Frames `value` with its expiry (`None`: never).
pub fn encode(value: &[u8], expires_at_ms: Option<u64>) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len().saturating_add(HEADER));
    out.extend_from_slice(&expires_at_ms.unwrap_or(0).to_be_bytes());
    out.extend_from_slice(value);
    out
}

/// What a stored frame holds at `now_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read<'a> {
    /// A live value.
    Live(&'a [u8]),
    /// Expired (delete it).
    Expired,
    /// Not a frame (not written by this store): treated as absent and left alone.
    Malformed,
}

/// Reads a stored frame at `now_ms`.
pub fn decode(frame: &[u8], now_ms: u64) -> Read<'_> {
    let Some((head, value)) = frame.split_at_checked(HEADER) else {
        return Read::Malformed;
    };
    let Ok(head) = <[u8; HEADER]>::try_from(head) else {
        return Read::Malformed;
    };
    let expires = u64::from_be_bytes(head);
    if expires == 0 || expires > now_ms {
        Read::Live(value)
    } else {
        Read::Expired
    }
}

/// The expiry of a value written at `now_ms` with `ttl_secs`.
pub fn expiry(now_ms: u64, ttl_secs: Option<u32>) -> Option<u64> {
    ttl_secs.map(|t| now_ms.saturating_add(u64::from(t).saturating_mul(1000)))
}

/// Whether a sweep runs after this request: about one request in `every`, decided from a
/// random byte pair so no instance keeps a counter (instances are recycled).
pub fn sweep_due(random: u16, every: u16) -> bool {
    every != 0 && random.is_multiple_of(every)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_live_until_their_expiry() {
        let f = encode(b"hello", expiry(1_000, Some(1)));
        assert_eq!(decode(&f, 1_999), Read::Live(b"hello"));
        assert_eq!(decode(&f, 2_000), Read::Expired);
        let forever = encode(b"x", None);
        assert_eq!(decode(&forever, u64::MAX), Read::Live(b"x"));
        assert_eq!(decode(&encode(b"", None), 0), Read::Live(b""));
    }

    #[test]
    fn short_values_are_not_frames() {
        assert_eq!(decode(b"short", 0), Read::Malformed);
        assert_eq!(decode(b"", 0), Read::Malformed);
    }

    #[test]
    fn sweeps_are_rare_and_can_be_off() {
        let due = (0..=u16::MAX).filter(|r| sweep_due(*r, 256)).count();
        assert_eq!(due, 256);
        assert!(!sweep_due(0, 0));
    }
}
