//! Outcomes and the run's report.

use std::fmt::Write as _;

/// How a scenario ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every check held.
    Pass,
    /// A check failed: what was expected and what happened.
    Fail(String),
    /// Not run: the host declared it lacks a capability the scenario needs.
    Skip(String),
}

impl Outcome {
    /// The table cell word: `pass`, `FAIL`, `skip`.
    pub fn word(&self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail(_) => "FAIL",
            Outcome::Skip(_) => "skip",
        }
    }
}

/// One scenario's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioResult {
    /// The scenario id.
    pub id: String,
    /// What it checks.
    pub description: String,
    /// How it ended.
    pub outcome: Outcome,
    /// How long it ran, in ms.
    pub millis: u64,
}

impl ScenarioResult {
    /// The failure or skip reason (empty for a pass).
    pub fn reason(&self) -> &str {
        match &self.outcome {
            Outcome::Pass => "",
            Outcome::Fail(r) | Outcome::Skip(r) => r,
        }
    }
}

/// The results of one run, in the suite's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The host column the run fills.
    pub host: String,
    /// One result per scenario run.
    pub results: Vec<ScenarioResult>,
}

impl Report {
    /// How many passed.
    pub fn passed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Pass))
    }

    /// The failed results.
    pub fn failures(&self) -> Vec<&ScenarioResult> {
        self.results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Fail(_)))
            .collect()
    }

    /// How many were skipped.
    pub fn skipped(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Skip(_)))
    }

    /// Whether nothing failed.
    pub fn ok(&self) -> bool {
        self.failures().is_empty()
    }

    fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.results.iter().filter(|r| f(&r.outcome)).count()
    }

    /// One line: `native: 310 passed, 2 failed, 0 skipped (312 scenarios)`.
    pub fn summary(&self) -> String {
        format!(
            "{}: {} passed, {} failed, {} skipped ({} scenarios)",
            self.host,
            self.passed(),
            self.failures().len(),
            self.skipped(),
            self.results.len()
        )
    }

    /// Every failure and skip with its reason, then the summary line.
    pub fn details(&self) -> String {
        let mut out = String::new();
        for r in &self.results {
            match &r.outcome {
                Outcome::Pass => {}
                Outcome::Fail(reason) => {
                    let _ = writeln!(out, "FAIL {} ({})\n     {}", r.id, r.description, reason);
                }
                Outcome::Skip(reason) => {
                    let _ = writeln!(out, "skip {}: {}", r.id, reason);
                }
            }
        }
        let _ = writeln!(out, "{}", self.summary());
        out
    }
}
