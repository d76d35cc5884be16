//! Diagnostics: every problem found while loading a config, with where it is.

use std::fmt;

/// A position in the YAML source: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    /// Line, starting at 1. `0` means unknown (a value the gateway supplied by default).
    pub line: u32,
    /// Column, starting at 1.
    pub column: u32,
}

impl Pos {
    /// A position from 1-based line and column.
    pub const fn new(line: u32, column: u32) -> Pos {
        Pos { line, column }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A value with the position it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where the value starts in the source.
    pub pos: Pos,
}

impl<T> Spanned<T> {
    /// Wraps `value` read at `pos`.
    pub const fn new(value: T, pos: Pos) -> Spanned<T> {
        Spanned { value, pos }
    }
}

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The config is rejected.
    Error,
    /// The config loads; the user should know (a key accepted but not acted on, a deprecated
    /// form, a setting that shadows another).
    Warning,
}

/// What kind of problem a diagnostic reports. Stable, for programs and tests that match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Code {
    /// The text is not valid YAML.
    Syntax,
    /// A key the config format does not have.
    UnknownKey,
    /// A required key is absent.
    MissingKey,
    /// A value of the wrong type (a list where a string was expected, ...).
    WrongType,
    /// A value of the right type that is not allowed (an unknown enum value, a bad duration,
    /// URL, size or name, a zero limit).
    InvalidValue,
    /// A name, key or model defined twice.
    Duplicate,
    /// A reference to something that is not defined (an alias target, a filter id, an
    /// endpoint name).
    UnknownReference,
    /// Two settings that cannot be used together.
    Conflict,
    /// A `$VAR` secret reference the host could not resolve, or a malformed reference.
    Secret,
    /// Accepted, but the gateway does not act on it yet.
    NotActedOn,
    /// A deprecated form that still works.
    Deprecated,
}

impl Code {
    /// A short stable name (`unknown_key`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Syntax => "syntax",
            Code::UnknownKey => "unknown_key",
            Code::MissingKey => "missing_key",
            Code::WrongType => "wrong_type",
            Code::InvalidValue => "invalid_value",
            Code::Duplicate => "duplicate",
            Code::UnknownReference => "unknown_reference",
            Code::Conflict => "conflict",
            Code::Secret => "secret",
            Code::NotActedOn => "not_acted_on",
            Code::Deprecated => "deprecated",
        }
    }
}

/// One problem, with its YAML path (`model_providers[1].access_key`) and position.
///
/// Messages never contain a secret's value: secret problems name the variable only.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// What kind of problem.
    pub code: Code,
    /// Path from the document root; empty for the root itself.
    pub path: String,
    /// Where in the source.
    pub pos: Pos,
    /// A sentence for a human, without the path or position.
    pub message: String,
}

impl Diagnostic {
    /// An error.
    pub fn error(
        code: Code,
        path: impl Into<String>,
        pos: Pos,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            path: path.into(),
            pos,
            message: message.into(),
        }
    }

    /// A warning.
    pub fn warning(
        code: Code,
        path: impl Into<String>,
        pos: Pos,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, path, pos, message)
        }
    }

    /// Whether this is an error (not a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// `line:column: error: path: message`, the format tests and the CLI print.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let path = if self.path.is_empty() {
            "(root)"
        } else {
            &self.path
        };
        write!(f, "{}: {severity}: {path}: {}", self.pos, self.message)
    }
}

/// The config was rejected: every error found, plus the warnings, in source order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors {
    /// All diagnostics, errors and warnings, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

impl ConfigErrors {
    /// The errors only.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors().count();
        write!(
            f,
            "invalid config ({n} error{})",
            if n == 1 { "" } else { "s" }
        )?;
        for d in &self.diagnostics {
            write!(f, "\n{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Builds YAML paths: `a.b[2]."odd key"`.
pub(crate) fn child(path: &str, key: &str) -> String {
    let simple = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let key = if simple {
        key.to_owned()
    } else {
        format!("{key:?}")
    };
    if path.is_empty() {
        key
    } else {
        format!("{path}.{key}")
    }
}

/// `path[index]`.
pub(crate) fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// Collects diagnostics while decoding and validating.
#[derive(Debug, Default)]
pub(crate) struct Sink {
    pub(crate) diagnostics: Vec<Diagnostic>,
}

impl Sink {
    pub(crate) fn error(&mut self, code: Code, path: &str, pos: Pos, message: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::error(code, path, pos, message));
    }

    pub(crate) fn warn(&mut self, code: Code, path: &str, pos: Pos, message: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::warning(code, path, pos, message));
    }

    pub(crate) fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Sorted by position, errors before warnings at the same place; stable otherwise.
    pub(crate) fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.diagnostics
            .sort_by(|a, b| (a.pos, a.severity, &a.path).cmp(&(b.pos, b.severity, &b.path)));
        self.diagnostics.dedup();
        self.diagnostics
    }
}
