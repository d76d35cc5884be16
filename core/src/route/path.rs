//! Request-target helpers: splitting path and query, percent-decoding, header lookup.

/// Splits a request target into its path and query (without `?`; empty when absent). A
/// fragment, which clients should never send, is dropped.
pub(crate) fn split_target(target: &str) -> (&str, &str) {
    let target = target.split_once('#').map_or(target, |(t, _)| t);
    target.split_once('?').unwrap_or((target, ""))
}

/// Percent-decodes one path segment or query component. `plus_is_space` applies form
/// encoding (query strings). `None` for a malformed escape or a result that is not UTF-8.
pub(crate) fn percent_decode(s: &str, plus_is_space: bool) -> Option<String> {
    if !s.contains(['%', '+']) {
        return Some(s.to_owned());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let hi = bytes.get(i + 1).copied().and_then(hex)?;
                let lo = bytes.get(i + 2).copied().and_then(hex)?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The value of query parameter `name` (decoded), the first when repeated. `Some(Err(()))`
/// when present but malformed.
pub(crate) fn query_param(query: &str, name: &str) -> Option<Result<String, ()>> {
    query
        .split('&')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k, true).as_deref() == Some(name)).then_some(v)
        })
        .map(|v| percent_decode(v, true).ok_or(()))
        .next()
}

/// The first value of header `name` (ASCII case-insensitive).
pub fn header<'h>(headers: &[(&str, &'h str)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes() {
        assert_eq!(percent_decode("a%3Ab%2Fc", false).as_deref(), Some("a:b/c"));
        assert_eq!(percent_decode("a+b", false).as_deref(), Some("a+b"));
        assert_eq!(percent_decode("a+b", true).as_deref(), Some("a b"));
        assert_eq!(percent_decode("%zz", false), None);
        assert_eq!(percent_decode("%4", false), None);
        assert_eq!(percent_decode("%FF", false), None);
        assert_eq!(split_target("/p?a=1#f"), ("/p", "a=1"));
        assert_eq!(
            query_param("alt=sse&key=k%2B1", "key"),
            Some(Ok("k+1".into()))
        );
        assert_eq!(query_param("key=%", "key"), Some(Err(())));
        assert_eq!(query_param("", "key"), None);
    }
}
