//! Which limits apply to a request.

use crate::config::{RateLimit, SelectorValue};

/// Read access to the request's headers, by name, ignoring ASCII case.
///
/// Implemented for slices and vectors of `(name, value)` pairs; hosts with their own header
/// map implement it in one line.
pub trait Headers {
    /// The value of the first header named `name` (compared case-insensitively), if any.
    fn header(&self, name: &str) -> Option<&str>;
}

impl<K: AsRef<str>, V: AsRef<str>> Headers for [(K, V)] {
    fn header(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }
}

impl<K: AsRef<str>, V: AsRef<str>, const N: usize> Headers for [(K, V); N] {
    fn header(&self, name: &str) -> Option<&str> {
        self.as_slice().header(name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Headers for Vec<(K, V)> {
    fn header(&self, name: &str) -> Option<&str> {
        self.as_slice().header(name)
    }
}

impl<H: Headers + ?Sized> Headers for &H {
    fn header(&self, name: &str) -> Option<&str> {
        (**self).header(name)
    }
}

/// A limit that applies to a request, with the header value it counts under.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Applicable<'c> {
    /// Position of the limit in [`Config::rate_limits`](crate::config::Config::rate_limits).
    pub index: usize,
    /// The limit.
    pub limit: &'c RateLimit,
    /// The selector header's value in this request (surrounding whitespace trimmed): the
    /// configured value for [`SelectorValue::Exactly`], the budget's name for
    /// [`SelectorValue::Each`].
    pub value: String,
}

/// The limits that apply to a request sent to the provider named `provider` (the resolved
/// [`Provider::name`](crate::config::Provider::name), not the model the client wrote), in
/// config order.
///
/// A limit applies when it lists `provider` and the request carries its selector header:
/// with [`SelectorValue::Exactly`] the value must be equal (case-sensitive, after trimming
/// surrounding whitespace); with [`SelectorValue::Each`] any value applies, each distinct
/// value with its own budget (an empty value is a value like any other). A request without
/// the header is not counted by that limit, as in Plano: put the selector header under the
/// gateway's control (set by an authenticating proxy) when clients must not escape a limit.
/// When the header is repeated, the first occurrence counts.
pub fn applicable<'c>(
    limits: &'c [RateLimit],
    provider: &str,
    headers: &(impl Headers + ?Sized),
) -> Vec<Applicable<'c>> {
    limits
        .iter()
        .enumerate()
        .filter(|(_, l)| l.providers.iter().any(|p| p == provider))
        .filter_map(|(index, limit)| {
            let value = headers.header(&limit.header)?.trim();
            match &limit.value {
                SelectorValue::Exactly(want) if want.trim() != value => None,
                _ => Some(Applicable {
                    index,
                    limit,
                    value: value.to_owned(),
                }),
            }
        })
        .collect()
}
