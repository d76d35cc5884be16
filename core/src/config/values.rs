//! Parsers for the string-encoded values of the config: durations, sizes, URLs, hosts and
//! header names. Each returns a message (without path or position) on failure.

use std::time::Duration;

use super::enums::Protocol;

/// Parses a duration: one or more `<number><unit>` parts, units `ms`, `s`, `m`, `h`
/// (`30s`, `0.005s`, `1m30s`, `500ms`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || {
        format!(
            "invalid duration `{text}`; expected a number with a unit (ms, s, m, h), like `30s`"
        )
    };
    let t = text.trim();
    if t.is_empty() {
        return Err(bad());
    }
    let mut rest = t;
    let mut total = 0.0_f64;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let (num, tail) = rest.split_at(num_len);
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let value: f64 = num.parse().map_err(|_| bad())?;
        let scale = match unit {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3_600.0,
            _ => return Err(bad()),
        };
        total += value * scale;
        rest = tail;
    }
    Duration::try_from_secs_f64(total).map_err(|_| bad())
}

/// Parses a byte size: `1048576`, `512KB`, `10MiB`, `1 GB` (KB = 1000, KiB = 1024).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let bad =
        || format!("invalid size `{text}`; expected bytes or a number with a unit, like `10MiB`");
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| bad())?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "kib" => 1 << 10,
        "mb" => 1_000_000,
        "mib" => 1 << 20,
        "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        _ => return Err(bad()),
    };
    n.checked_mul(scale).ok_or_else(bad)
}

/// An upstream URL split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    /// `http` or `https`.
    pub protocol: Protocol,
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    /// Port, defaulted from the scheme when absent.
    pub port: u16,
    /// Path prefix without a trailing slash (`/coding/v1`); empty for none.
    pub path_prefix: String,
}

impl BaseUrl {
    /// `scheme://host[:port]` followed by the path prefix.
    pub fn to_url(&self) -> String {
        let default_port = match self.protocol {
            Protocol::Http => 80,
            Protocol::Https => 443,
        };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let port = if self.port == default_port {
            String::new()
        } else {
            format!(":{}", self.port)
        };
        format!("{}://{host}{port}{}", self.protocol, self.path_prefix)
    }
}

/// Parses an `http`/`https` URL with an optional path; no user info, query or fragment.
pub fn parse_base_url(text: &str) -> Result<BaseUrl, String> {
    let (scheme, rest) = text
        .split_once("://")
        .ok_or_else(|| format!("invalid URL `{text}`; expected http://host or https://host"))?;
    let protocol = match scheme.to_ascii_lowercase().as_str() {
        "http" => Protocol::Http,
        "https" => Protocol::Https,
        _ => {
            return Err(format!(
                "invalid URL `{text}`; the scheme must be http or https"
            ));
        }
    };
    if rest.contains(['?', '#']) {
        return Err(format!(
            "invalid URL `{text}`; a query or fragment is not allowed here"
        ));
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return Err(format!(
            "invalid URL `{text}`; credentials belong in access_key, not the URL"
        ));
    }
    let (host, port) =
        parse_host_port(authority).map_err(|e| format!("invalid URL `{text}`; {e}"))?;
    let port = port.unwrap_or(match protocol {
        Protocol::Http => 80,
        Protocol::Https => 443,
    });
    if path.chars().any(char::is_whitespace) {
        return Err(format!(
            "invalid URL `{text}`; the path contains whitespace"
        ));
    }
    Ok(BaseUrl {
        protocol,
        host,
        port,
        path_prefix: path.trim_end_matches('/').to_owned(),
    })
}

/// Parses `host`, `host:port`, `[v6]` or `[v6]:port`.
pub fn parse_host_port(text: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (h, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("unclosed `[` in host `{text}`"))?;
        if !h.contains(':')
            || !h
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return Err(format!("invalid IPv6 address `{h}`"));
        }
        match after.strip_prefix(':') {
            Some(p) => (h, Some(p)),
            None if after.is_empty() => (h, None),
            None => return Err(format!("invalid host `{text}`")),
        }
    } else {
        match text.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (text, None),
        }
    };
    if host.is_empty() {
        return Err("the host is empty".into());
    }
    if !text.starts_with('[')
        && !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
    {
        return Err(format!("invalid host `{host}`"));
    }
    let port = match port {
        Some(p) => Some(
            p.parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| format!("invalid port `{p}`"))?,
        ),
        None => None,
    };
    Ok((host.to_owned(), port))
}

/// Whether `name` is a valid HTTP header name (an RFC 9110 token).
pub fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("0.005s"), Ok(Duration::from_millis(5)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        for bad in ["", "30", "30 s", "s", "3x", "1.2.3s", "-1s", "1e9999h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("10MiB"), Ok(10 << 20));
        assert_eq!(parse_size("512 KB"), Ok(512_000));
        assert!(parse_size("10 MiBs").is_err());
        assert!(parse_size("99999999999999GiB").is_err());
    }

    #[test]
    fn urls() {
        let u = parse_base_url("https://api.kimi.com/coding/v1/").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path_prefix.as_str()),
            ("api.kimi.com", 443, "/coding/v1")
        );
        assert_eq!(u.to_url(), "https://api.kimi.com/coding/v1");
        let u = parse_base_url("http://[::1]:8080").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 8080));
        assert_eq!(u.to_url(), "http://[::1]:8080");
        for bad in [
            "api.openai.com",
            "ftp://x",
            "http://",
            "http://a b",
            "http://h:0",
            "http://h:99999",
            "http://u:p@h",
            "http://h/?q",
        ] {
            assert!(parse_base_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn header_names() {
        assert!(is_header_name("ChatGPT-Account-Id"));
        assert!(!is_header_name("bad header"));
        assert!(!is_header_name(""));
    }
}
