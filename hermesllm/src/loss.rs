//! Lossiness as data: what a translation dropped or approximated.

use std::borrow::Cow;
use std::fmt;

/// What happened to a piece of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LossKind {
    /// The target API cannot carry it; it was left out.
    Dropped,
    /// It was mapped to the nearest thing the target API has.
    Approximated,
}

/// One field a translation could not carry faithfully.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loss {
    /// Where, as a path into the *source* document (`messages[2].content[0]`, `top_k`).
    pub path: Cow<'static, str>,
    /// Dropped or approximated.
    pub kind: LossKind,
    /// Why, in words.
    pub reason: Cow<'static, str>,
}

impl fmt::Display for Loss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            LossKind::Dropped => "dropped",
            LossKind::Approximated => "approximated",
        };
        write!(f, "{}: {kind}: {}", self.path, self.reason)
    }
}

/// The losses of one translation, in the order they were found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Losses(pub Vec<Loss>);

impl Losses {
    /// Records that `path` was dropped.
    pub fn dropped(
        &mut self,
        path: impl Into<Cow<'static, str>>,
        reason: impl Into<Cow<'static, str>>,
    ) {
        self.0.push(Loss {
            path: path.into(),
            kind: LossKind::Dropped,
            reason: reason.into(),
        });
    }

    /// Records that `path` was approximated.
    pub fn approximated(
        &mut self,
        path: impl Into<Cow<'static, str>>,
        reason: impl Into<Cow<'static, str>>,
    ) {
        self.0.push(Loss {
            path: path.into(),
            kind: LossKind::Approximated,
            reason: reason.into(),
        });
    }

    /// Records every extra field of the source API as dropped.
    pub fn extra_dropped(&mut self, extra: &crate::ir::Extra<'_>, target: crate::Api) {
        for (key, _) in &extra.fields {
            self.dropped(key.to_string(), format!("not part of the {target} API"));
        }
    }

    /// True when nothing was lost.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The losses.
    pub fn iter(&self) -> impl Iterator<Item = &Loss> {
        self.0.iter()
    }
}
