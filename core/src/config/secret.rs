//! Secrets: `$VAR` / `${VAR}` references resolved through the host, and a wrapper that never
//! prints its value.
//!
//! The library never reads the process environment: each host passes a [`SecretLookup`]
//! (environment variables natively and on Lambda, Workers secrets, Spin variables).

use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// Where a host finds the values of `$VAR` references.
pub trait SecretLookup {
    /// The value of variable `name`, or `None` when it is not set.
    fn lookup(&self, name: &str) -> Option<String>;
}

impl<F: Fn(&str) -> Option<String>> SecretLookup for F {
    fn lookup(&self, name: &str) -> Option<String> {
        self(name)
    }
}

impl SecretLookup for BTreeMap<String, String> {
    fn lookup(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

impl<S: std::hash::BuildHasher> SecretLookup for HashMap<String, String, S> {
    fn lookup(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

/// A lookup that resolves every variable to an empty string: for checking a config's shape
/// where its secrets are not available (CI, `plano validate`).
#[derive(Debug, Clone, Copy, Default)]
pub struct PlaceholderSecrets;

impl SecretLookup for PlaceholderSecrets {
    fn lookup(&self, _name: &str) -> Option<String> {
        Some(String::new())
    }
}

/// A resolved secret. `Debug` and `Display` show where it came from (`$OPENAI_API_KEY`) or
/// `<redacted>` for a literal, never the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    value: String,
    /// The template as written when it had references (variable names only); `None` for a
    /// literal, which is itself the value and must not be shown.
    source: Option<String>,
}

impl Secret {
    /// A secret given directly (tests, hosts that build configs in code).
    pub fn literal(value: impl Into<String>) -> Secret {
        Secret {
            value: value.into(),
            source: None,
        }
    }

    /// The value, for putting into a request header. Do not log it.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// The template as written (`Bearer $TOKEN`), when it referenced variables.
    pub fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({self})")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Some(s) => f.write_str(s),
            None => f.write_str("<redacted>"),
        }
    }
}

/// Why a secret template could not be resolved. Names variables, never values.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecretError {
    /// The host has no value for the variable.
    Unset {
        /// The variable name.
        name: String,
    },
    /// `${` without a closing `}` or with an invalid name inside.
    Malformed {
        /// Byte offset of the `$` in the template.
        offset: usize,
    },
}

impl fmt::Display for SecretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretError::Unset { name } => {
                write!(f, "environment variable or secret `{name}` is not set")
            }
            SecretError::Malformed { offset } => write!(
                f,
                "malformed `${{...}}` reference at offset {offset}; expected `$NAME` or `${{NAME}}`"
            ),
        }
    }
}

impl std::error::Error for SecretError {}

/// Resolves `$NAME` and `${NAME}` references in `template` (NAME is letters, digits and `_`,
/// not starting with a digit). A `$` not followed by a name is kept as is. Every unset
/// variable is reported.
///
/// # Errors
///
/// One [`SecretError`] per unset variable or malformed reference.
pub fn resolve(template: &str, lookup: &dyn SecretLookup) -> Result<Secret, Vec<SecretError>> {
    let mut out = String::with_capacity(template.len());
    let mut errors = Vec::new();
    let mut referenced = false;
    let mut rest = template;
    let mut offset = 0;
    while let Some(i) = rest.find('$') {
        out.push_str(rest.get(..i).unwrap_or(""));
        let after = rest.get(i + 1..).unwrap_or("");
        let (name, consumed) = if let Some(braced) = after.strip_prefix('{') {
            match braced.find('}') {
                Some(end) if is_name(braced.get(..end).unwrap_or("")) => {
                    (braced.get(..end).unwrap_or(""), end + 2)
                }
                _ => {
                    errors.push(SecretError::Malformed { offset: offset + i });
                    out.push('$');
                    ("", after.find('}').map_or(after.len(), |e| e + 1))
                }
            }
        } else {
            let len = name_len(after);
            (after.get(..len).unwrap_or(""), len)
        };
        if !name.is_empty() {
            referenced = true;
            match lookup.lookup(name) {
                Some(v) => out.push_str(&v),
                None => errors.push(SecretError::Unset {
                    name: name.to_owned(),
                }),
            }
        } else if consumed == 0 {
            out.push('$');
        }
        let skip = i + 1 + consumed;
        offset += skip;
        rest = rest.get(skip..).unwrap_or("");
    }
    out.push_str(rest);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Secret {
        value: out,
        source: referenced.then(|| template.to_owned()),
    })
}

fn name_len(s: &str) -> usize {
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        return 0;
    }
    s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len())
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && name_len(s) == s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> BTreeMap<String, String> {
        [("OPENAI_API_KEY", "sk-123"), ("DB_PASS", "p@ss")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    #[test]
    fn resolves_references() {
        let s = resolve("$OPENAI_API_KEY", &env()).unwrap();
        assert_eq!(s.expose(), "sk-123");
        assert_eq!(format!("{s:?}"), "Secret($OPENAI_API_KEY)");
        let s = resolve("postgresql://u:${DB_PASS}@h:5432/db", &env()).unwrap();
        assert_eq!(s.expose(), "postgresql://u:p@ss@h:5432/db");
        assert_eq!(s.to_string(), "postgresql://u:${DB_PASS}@h:5432/db");
        let s = resolve("cost $5 or $", &env()).unwrap();
        assert_eq!(s.expose(), "cost $5 or $");
        assert_eq!(s.to_string(), "<redacted>");
    }

    #[test]
    fn literal_never_printed() {
        let s = resolve("sk-literal", &env()).unwrap();
        assert_eq!(format!("{s:?} {s}"), "Secret(<redacted>) <redacted>");
        assert!(!format!("{:?}", Secret::literal("xyz")).contains("xyz"));
    }

    #[test]
    fn reports_every_problem_by_name() {
        let errors = resolve("$A:${B}:${bad-name}:$OPENAI_API_KEY", &env()).unwrap_err();
        assert_eq!(
            errors,
            [
                SecretError::Unset { name: "A".into() },
                SecretError::Unset { name: "B".into() },
                SecretError::Malformed { offset: 8 },
            ]
        );
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(text.iter().all(|t| !t.contains("sk-123")));
        assert!(resolve("${UNCLOSED", &env()).is_err());
    }

    #[test]
    fn closures_are_lookups() {
        let lookup = |name: &str| (name == "X").then(|| "1".to_owned());
        assert_eq!(resolve("$X", &lookup).unwrap().expose(), "1");
        assert_eq!(resolve("$X", &PlaceholderSecrets).unwrap().expose(), "");
    }
}
