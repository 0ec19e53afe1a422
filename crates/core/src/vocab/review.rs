//! What reviewers said: verdicts, findings, one reviewer's validated answer and the
//! record of one review as the journal keeps it.

use serde::{Deserialize, Serialize};

use super::provider::TokenUsage;

/// The reviewer's overall call on a diff.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approve,
    RequestChanges,
    Reject,
}

impl Verdict {
    /// The wire spelling: `approve`, `request_changes`, `reject`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Approve => "approve",
            Verdict::RequestChanges => "request_changes",
            Verdict::Reject => "reject",
        }
    }

    /// For people: `approve`, `request changes`, `reject`.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::RequestChanges => "request changes",
            other => other.as_str(),
        }
    }

    /// Parses the wire spelling.
    pub fn parse(s: &str) -> Option<Verdict> {
        [Verdict::Approve, Verdict::RequestChanges, Verdict::Reject]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// How bad a finding is. Orders worst first, so `Blocker < Nit` and "at least as severe
/// as `x`" is `severity <= x`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Must not merge: wrong behaviour, data loss, security hole, broken build.
    Blocker,
    /// Should be fixed before merging: a real bug in a less central path, a missing case.
    Major,
    /// Worth fixing, not worth blocking: unclear code, weak test, small inefficiency.
    Minor,
    /// Taste: naming, formatting, wording.
    Nit,
}

impl Severity {
    /// Every severity, worst first.
    pub const ALL: [Severity; 4] = [Severity::Blocker, Severity::Major, Severity::Minor, Severity::Nit];

    /// The wire spelling: `blocker`, `major`, `minor`, `nit`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Blocker => "blocker",
            Severity::Major => "major",
            Severity::Minor => "minor",
            Severity::Nit => "nit",
        }
    }

    /// Parses the wire spelling (as `--fail-on` takes it too).
    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who raised a finding: a reviewer model, or bakeoff itself (e.g. the injection scan).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingSource {
    #[default]
    Reviewer,
    Bakeoff,
}

/// One problem found in a diff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub severity: Severity,
    /// Path relative to the repository root, as the diff names it.
    pub file: String,
    /// 1-based line in the new version of the file; `None` for a file-wide finding.
    pub line: Option<u32>,
    pub title: String,
    pub body: String,
    pub suggestion: Option<String>,
    #[serde(default)]
    pub source: FindingSource,
}

/// One reviewer's validated answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewOutput {
    pub verdict: Verdict,
    /// 0..=100.
    pub score: u8,
    pub summary: String,
    pub findings: Vec<Finding>,
}

/// What one reviewer said about one diff, as recorded and reported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReviewRecord {
    /// The lane reviewed, in a race; `None` for `bakeoff review`.
    #[serde(default)]
    pub lane: Option<String>,
    /// `provider/model` of the reviewer that was asked.
    pub reviewer: String,
    pub lab: String,
    /// `provider/model` that answered; differs from `reviewer` after a fallback.
    pub answered_by: Option<String>,
    pub fell_back: bool,
    /// The validated review, or why there is none.
    pub output: Result<ReviewOutput, String>,
    /// Files of the diff this reviewer did not see (over the budget).
    pub not_reviewed: Vec<String>,
    /// Provider errors that were about credentials (a rejected or missing key).
    pub credentials_error: bool,
    /// The review failed with a provider error (overloaded, unavailable, a rejected key)
    /// rather than a malformed answer: what left it unreviewed was the provider.
    #[serde(default)]
    pub provider_error: bool,
    pub usage: TokenUsage,
    /// `None` when a model's price is unknown: "cost unknown", never 0.
    pub cost_usd: Option<f64>,
    pub requests: u32,
    /// The reviewer is not provably of another lab than the author (`--allow-same-lab`).
    pub same_lab: bool,
}
