//! The `x-mock-fault` header: `;`-separated faults.

use std::time::Duration;

use http::StatusCode;

/// What happens to the body of a successful answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyFault {
    /// Send `n` events (non-streaming: half the body), then abort the connection.
    ResetAfter(usize),
    /// Send `n` events (non-streaming: half the body), then nothing.
    StallAfter(usize),
    /// A body (or an event) that is not the API's JSON.
    Malformed,
    /// Send `n` events, then end cleanly without the terminal one.
    TruncateAfter(usize),
}

/// The parsed header.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Faults {
    pub(crate) delay: Option<Duration>,
    pub(crate) status: Option<StatusCode>,
    pub(crate) retry_after: Option<u64>,
    pub(crate) body: Option<BodyFault>,
    /// Only the first `n` requests with the same `x-mock-tag` get the faults.
    pub(crate) times: Option<u64>,
}

impl Faults {
    /// Parses the header value; the error names the item the mock did not understand.
    pub(crate) fn parse(value: &str) -> Result<Faults, String> {
        let mut faults = Faults::default();
        for item in value.split(';').map(str::trim).filter(|i| !i.is_empty()) {
            let (name, arg) = match item.split_once('=') {
                Some((n, a)) => (n.trim(), Some(a.trim())),
                None => (item, None),
            };
            let number = || -> Result<u64, String> {
                arg.and_then(|a| a.parse().ok())
                    .ok_or_else(|| format!("`{item}` needs a number"))
            };
            let count = || number().and_then(|n| usize::try_from(n).map_err(|e| e.to_string()));
            match name {
                "delay" => faults.delay = Some(Duration::from_millis(number()?)),
                "status" => {
                    let status = u16::try_from(number()?)
                        .ok()
                        .and_then(|s| StatusCode::from_u16(s).ok())
                        .filter(|s| s.is_client_error() || s.is_server_error())
                        .ok_or_else(|| format!("`{item}`: status must be 400-599"))?;
                    faults.status = Some(status);
                }
                "retry-after" => faults.retry_after = Some(number()?),
                "reset-after" => faults.body = Some(BodyFault::ResetAfter(count()?)),
                "stall-after" => faults.body = Some(BodyFault::StallAfter(count()?)),
                "truncate-after" => faults.body = Some(BodyFault::TruncateAfter(count()?)),
                "malformed" if arg.is_none() => faults.body = Some(BodyFault::Malformed),
                "times" => faults.times = Some(number()?),
                _ => return Err(format!("unknown fault `{item}`")),
            }
        }
        Ok(faults)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_combinations() {
        let f = Faults::parse(" delay=250; status=429 ;retry-after=3;times=1;").unwrap();
        assert_eq!(f.delay, Some(Duration::from_millis(250)));
        assert_eq!(f.status, Some(StatusCode::TOO_MANY_REQUESTS));
        assert_eq!(f.retry_after, Some(3));
        assert_eq!(f.times, Some(1));
        assert_eq!(
            Faults::parse("reset-after=2").unwrap().body,
            Some(BodyFault::ResetAfter(2))
        );
        assert_eq!(
            Faults::parse("malformed").unwrap().body,
            Some(BodyFault::Malformed)
        );
    }

    #[test]
    fn refuses_what_it_does_not_know() {
        assert!(Faults::parse("status=200").is_err());
        assert!(Faults::parse("delay").is_err());
        assert!(Faults::parse("explode").is_err());
    }
}
