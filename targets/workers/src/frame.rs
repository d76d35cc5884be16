//! The value format of the Durable Object store and the operations its objects answer.
//!
//! One Durable Object holds one key (the object is named by the key), so a counter's
//! increments are serialized by the object and exact. Its single stored value is framed as
//! 8 bytes of big-endian expiry (milliseconds since the epoch, 0 for none) followed by the
//! value; an expired value reads as absent, and the object sets an alarm at the expiry that
//! deletes its storage. Pure functions, tested natively.

/// An operation on the object's value, as the worker asks for it (`POST /<op>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Read the live value (200 with the bytes, 404 when absent or expired).
    Get,
    /// Replace the value (body), with an optional TTL.
    Put,
    /// Remove the value.
    Delete,
    /// Add a delta to the integer counter, returning the new value as decimal text.
    Increment,
}

impl Op {
    /// The request path of the operation.
    pub fn path(self) -> &'static str {
        match self {
            Op::Get => "/get",
            Op::Put => "/put",
            Op::Delete => "/delete",
            Op::Increment => "/increment",
        }
    }

    /// The operation a request path names.
    pub fn from_path(path: &str) -> Option<Op> {
        [Op::Get, Op::Put, Op::Delete, Op::Increment]
            .into_iter()
            .find(|op| op.path() == path)
    }
}

/// Header carrying the TTL in seconds (`Put`, `Increment`).
pub const TTL_HEADER: &str = "x-plano-ttl";
/// Header carrying the increment (`Increment`), a signed decimal integer.
pub const DELTA_HEADER: &str = "x-plano-delta";

/// Frames `value` with its expiry (`None`: never).
pub fn encode(value: &[u8], expires_at_ms: Option<u64>) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len().saturating_add(8));
    out.extend_from_slice(&expires_at_ms.unwrap_or(0).to_be_bytes());
    out.extend_from_slice(value);
    out
}

/// The value in a frame if it is live at `now_ms`; `None` when expired or malformed.
pub fn decode(frame: &[u8], now_ms: u64) -> Option<&[u8]> {
    let (head, value) = frame.split_at_checked(8)?;
    let expires = u64::from_be_bytes(head.try_into().ok()?);
    (expires == 0 || expires > now_ms).then_some(value)
}

/// The expiry of a value written at `now_ms` with `ttl_secs`.
pub fn expiry(now_ms: u64, ttl_secs: Option<u32>) -> Option<u64> {
    ttl_secs.map(|t| now_ms.saturating_add(u64::from(t).saturating_mul(1000)))
}

/// Why an increment cannot apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncrementError {
    /// The stored value is not a decimal integer.
    NotACounter,
}

/// Applies an increment to a stored frame (`None` or expired: counts from 0, with the new
/// TTL). Returns the new count and the frame to store. A live counter keeps its expiry: the
/// first write of a window decides when the window's counter goes.
pub fn increment(
    current: Option<&[u8]>,
    delta: i64,
    ttl_secs: Option<u32>,
    now_ms: u64,
) -> Result<(i64, Vec<u8>), IncrementError> {
    let live = current.and_then(|f| decode(f, now_ms).map(|v| (f, v)));
    let (count, expires) = match live {
        Some((f, v)) => {
            let text = std::str::from_utf8(v).map_err(|_| IncrementError::NotACounter)?;
            let n: i64 = text.parse().map_err(|_| IncrementError::NotACounter)?;
            let head = f.get(..8).and_then(|h| <[u8; 8]>::try_from(h).ok());
            let e = head.map(u64::from_be_bytes).filter(|e| *e != 0);
            (n, e)
        }
        None => (0, expiry(now_ms, ttl_secs)),
    };
    let next = count.saturating_add(delta);
    Ok((next, encode(next.to_string().as_bytes(), expires)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_until_they_expire() {
        let f = encode(b"hello", Some(2_000));
        assert_eq!(decode(&f, 1_999), Some(&b"hello"[..]));
        assert_eq!(decode(&f, 2_000), None);
        let forever = encode(b"x", None);
        assert_eq!(decode(&forever, u64::MAX), Some(&b"x"[..]));
        assert_eq!(decode(b"short", 0), None);
    }

    #[test]
    fn increments_count_from_zero_and_keep_the_first_expiry() {
        let (n, f) = increment(None, 5, Some(60), 1_000).unwrap();
        assert_eq!(n, 5);
        let (n, f2) = increment(Some(&f), -2, Some(600), 30_000).unwrap();
        assert_eq!(n, 3);
        assert_eq!(f2.get(..8), f.get(..8), "the window's first expiry stays");
        // Expired: starts over with the new TTL.
        let (n, f3) = increment(Some(&f2), 7, Some(60), 61_000).unwrap();
        assert_eq!(n, 7);
        assert_eq!(decode(&f3, 120_999), Some(&b"7"[..]));
    }

    #[test]
    fn a_value_that_is_not_a_counter_is_refused() {
        let f = encode(b"{\"id\":1}", None);
        assert_eq!(
            increment(Some(&f), 1, None, 0),
            Err(IncrementError::NotACounter)
        );
    }

    #[test]
    fn ops_round_trip_through_their_paths() {
        for op in [Op::Get, Op::Put, Op::Delete, Op::Increment] {
            assert_eq!(Op::from_path(op.path()), Some(op));
        }
        assert_eq!(Op::from_path("/nope"), None);
    }
}
