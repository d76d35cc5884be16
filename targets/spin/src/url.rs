//! Splitting an upstream URL into the parts a `wasi:http` outgoing request takes: scheme,
//! authority, path with query. Pure, tested natively.

/// The parts of an absolute URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parts<'a> {
    /// `http`, `https`, ...
    pub scheme: &'a str,
    /// `host[:port]`.
    pub authority: &'a str,
    /// The path and query, `/` when absent.
    pub path_with_query: String,
}

/// Splits `scheme://authority[/path][?query]`; `None` without a scheme or authority.
pub fn split(url: &str) -> Option<Parts<'_>> {
    let (scheme, rest) = url.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if scheme.is_empty() || authority.is_empty() {
        return None;
    }
    let tail = tail.split('#').next().unwrap_or("");
    let path_with_query = match tail {
        "" => "/".to_owned(),
        t if t.starts_with('?') => format!("/{t}"),
        t => t.to_owned(),
    };
    Some(Parts {
        scheme,
        authority,
        path_with_query,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_wasi_parts() {
        let p = split("https://api.openai.com/v1/chat/completions?x=1").unwrap();
        assert_eq!(
            (p.scheme, p.authority, p.path_with_query.as_str()),
            ("https", "api.openai.com", "/v1/chat/completions?x=1")
        );
        let p = split("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            (p.authority, p.path_with_query.as_str()),
            ("127.0.0.1:8080", "/")
        );
        let p = split("http://[::1]:9/?q").unwrap();
        assert_eq!(
            (p.authority, p.path_with_query.as_str()),
            ("[::1]:9", "/?q")
        );
        assert_eq!(split("http://h/p#frag").unwrap().path_with_query, "/p");
        assert_eq!(split("api.openai.com/v1"), None);
        assert_eq!(split("https:///v1"), None);
    }
}
