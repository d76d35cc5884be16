//! The config's custom span attributes: `tracing.static_attributes` and request headers
//! matching `tracing.header_prefixes`, named as Plano names them.

use crate::config::Tracing;

/// Words that mark a header as carrying a credential: such headers are never copied, whatever
/// the configured prefixes (a prefix like `x-` would otherwise copy `x-api-key`).
const CREDENTIAL_WORDS: [&str; 8] = [
    "auth",
    "key",
    "token",
    "secret",
    "cookie",
    "password",
    "signature",
    "credential",
];

/// Whether a header's value may be a credential.
fn is_credential(lower_name: &str) -> bool {
    CREDENTIAL_WORDS.iter().any(|w| lower_name.contains(w))
}

/// The custom span attributes of a request, in a fixed order: the static attributes in
/// config order, then one per request header whose name starts with a configured prefix
/// (ASCII case-insensitive), in header order. A header's attribute key is its lowercased
/// name without the prefix, hyphens turned to dots (`X-Katanemo-Tenant-Id` with prefix
/// `x-katanemo-` gives `tenant.id`), as Plano does; a header-derived key replaces a static
/// attribute of the same key (in the static one's place), and a later header replaces an
/// earlier one. Headers whose names suggest a credential (`authorization`, `x-api-key`,
/// `cookie`, anything with `auth`, `key`, `token`, `secret`...) are never copied, nor are
/// headers that leave an empty key.
pub fn custom_attributes(tracing: &Tracing, headers: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = tracing.static_attributes.clone();
    if tracing.header_prefixes.is_empty() {
        return out;
    }
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        if is_credential(&lower) {
            continue;
        }
        let Some(rest) = tracing.header_prefixes.iter().find_map(|p| {
            let p = p.to_ascii_lowercase();
            lower.strip_prefix(p.as_str()).map(str::to_owned)
        }) else {
            continue;
        };
        let key = rest.replace('-', ".");
        if key.is_empty() {
            continue;
        }
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = (*value).to_owned(),
            None => out.push((key, (*value).to_owned())),
        }
    }
    out
}
