//! The report's data and the questions asked of it: the worst severity found, whether
//! `--fail-on` trips, whether the review is incomplete, and every finding in one list.

use serde::{Deserialize, Serialize};

use crate::review::{Finding, FindingSource, ReviewOutput, Severity};

/// One reviewer's part of a report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReviewerResult {
    /// `provider/model` as configured, e.g. `openai/gpt-5.5`.
    pub model: String,
    pub lab: String,
    /// The validated review, or why there is none (after the one repair retry).
    pub output: Result<ReviewOutput, String>,
    /// The model this review fell back from after overload or unavailability.
    pub fell_back_from: Option<String>,
}

/// A review of one diff by one or more reviewers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReviewReport {
    /// The base and head the diff was taken between (refs or commits).
    pub base: String,
    pub head: String,
    pub reviewers: Vec<ReviewerResult>,
    /// bakeoff's own findings (the injection scan).
    pub bakeoff_findings: Vec<Finding>,
    /// Files of the diff no reviewer saw (the split's `max_chunks` was reached).
    pub not_reviewed: Vec<String>,
    /// Some reviewer shares the author's lab (`--allow-same-lab`).
    pub same_lab: bool,
}

/// A finding with who raised it: a reviewer's model, or `bakeoff`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Attributed<'a> {
    pub finding: &'a Finding,
    pub by: &'a str,
}

/// Every finding, worst first, then by file, line (file-wide first) and reviewer order.
pub(crate) fn all_findings(report: &ReviewReport) -> Vec<Attributed<'_>> {
    let mut all: Vec<(usize, Attributed)> = Vec::new();
    for (i, r) in report.reviewers.iter().enumerate() {
        if let Ok(out) = &r.output {
            all.extend(out.findings.iter().map(|f| {
                (
                    i,
                    Attributed {
                        finding: f,
                        by: &r.model,
                    },
                )
            }));
        }
    }
    let last = report.reviewers.len();
    all.extend(report.bakeoff_findings.iter().map(|f| {
        (
            last,
            Attributed {
                finding: f,
                by: "bakeoff",
            },
        )
    }));
    all.sort_by(|(ia, a), (ib, b)| {
        let key = |f: &Finding| (f.severity, f.file.clone(), f.line);
        key(a.finding).cmp(&key(b.finding)).then(ia.cmp(ib))
    });
    all.into_iter().map(|(_, a)| a).collect()
}

/// The worst severity among all findings, bakeoff's own included.
pub fn worst(report: &ReviewReport) -> Option<Severity> {
    all_findings(report).iter().map(|a| a.finding.severity).min()
}

/// True when some finding is at least as severe as `fail_on`: `bakeoff review` then
/// exits 1. Only findings count; whether a failed reviewer or unreviewed files should
/// fail the job too is the caller's call, made with [`incomplete`].
pub fn fails(report: &ReviewReport, fail_on: Severity) -> bool {
    worst(report).is_some_and(|w| w <= fail_on)
}

/// True when part of the review is missing: a reviewer failed, or files were not
/// reviewed. A gate that passes an incomplete review should at least say so.
pub fn incomplete(report: &ReviewReport) -> bool {
    report.reviewers.is_empty()
        || report.reviewers.iter().any(|r| r.output.is_err())
        || !report.not_reviewed.is_empty()
}

/// `src/x.rs:12`, or `src/x.rs` for a file-wide finding.
pub(crate) fn place(f: &Finding) -> String {
    match f.line {
        Some(line) => format!("{}:{line}", f.file),
        None => f.file.clone(),
    }
}

pub(crate) fn is_bakeoff(f: &Finding) -> bool {
    f.source == FindingSource::Bakeoff
}
