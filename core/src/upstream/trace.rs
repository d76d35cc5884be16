//! W3C Trace Context `traceparent` propagation.

/// A parsed `traceparent` header (version `00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Traceparent {
    /// 16-byte trace id, lowercase hex.
    pub trace_id: [u8; 32],
    /// 8-byte parent span id, lowercase hex.
    pub parent_id: [u8; 16],
    /// Trace flags (bit 0: sampled).
    pub flags: u8,
}

impl Traceparent {
    /// Parses `00-<32 hex>-<16 hex>-<2 hex>`. Versions above `00` are read by their first four
    /// fields, as the spec asks; all-zero ids, version `ff` and malformed values give `None`.
    pub fn parse(value: &str) -> Option<Traceparent> {
        let mut parts = value.trim().split('-');
        let version = parts.next()?;
        let trace = parts.next()?;
        let parent = parts.next()?;
        let flags = parts.next()?;
        let rest = parts.next();
        if version.len() != 2 || !is_lower_hex(version) || version == "ff" {
            return None;
        }
        if version == "00" && rest.is_some() {
            return None;
        }
        let trace_id: [u8; 32] = trace.as_bytes().try_into().ok()?;
        let parent_id: [u8; 16] = parent.as_bytes().try_into().ok()?;
        if !is_lower_hex(trace) || !is_lower_hex(parent) || flags.len() != 2 {
            return None;
        }
        if trace_id.iter().all(|&b| b == b'0') || parent_id.iter().all(|&b| b == b'0') {
            return None;
        }
        let flags = u8::from_str_radix(flags, 16).ok()?;
        Some(Traceparent {
            trace_id,
            parent_id,
            flags,
        })
    }

    /// The same trace with `span_id` (the gateway's upstream span) as the parent.
    pub fn child(&self, span_id: [u8; 8]) -> Traceparent {
        let mut parent_id = [b'0'; 16];
        for (i, b) in span_id.iter().enumerate() {
            let hex = format!("{b:02x}");
            if let (Some(slot), Some(h)) = (parent_id.get_mut(i * 2..i * 2 + 2), hex.get(..2)) {
                slot.copy_from_slice(h.as_bytes());
            }
        }
        Traceparent { parent_id, ..*self }
    }

    /// The header value (always version `00`).
    pub fn to_header(&self) -> String {
        format!(
            "00-{}-{}-{:02x}",
            String::from_utf8_lossy(&self.trace_id),
            String::from_utf8_lossy(&self.parent_id),
            self.flags
        )
    }
}

fn is_lower_hex(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn propagates_child() {
        let tp =
            Traceparent::parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01").unwrap();
        assert_eq!(
            tp.child([0, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7])
                .to_header(),
            "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01"
        );
        for bad in [
            "",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",
            "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
            "00-00000000000000000000000000000000-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
            "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x",
            "00-0af7651916cd43dd8448eb211c80319-b7ad6b7169203331-01",
        ] {
            assert_eq!(Traceparent::parse(bad), None, "{bad}");
        }
        assert!(
            Traceparent::parse("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x")
                .is_some()
        );
    }
}
