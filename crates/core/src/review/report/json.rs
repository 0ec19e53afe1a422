//! The review as versioned JSON, for scripts: the reviewers with their verdicts or
//! errors, every finding with who raised it, the worst severity, and what was not
//! reviewed. The shape is this module's own, not the serde shape of the Rust types, so
//! that it stays stable when they change.

use serde_json::{json, Value};

use crate::review::Finding;

use super::model::{all_findings, incomplete, worst, ReviewReport};

/// Version of the JSON report; bumped on any incompatible change.
pub const REPORT_FORMAT: u32 = 1;

/// The report as pretty-printed JSON.
pub fn json(report: &ReviewReport) -> String {
    let reviewers: Vec<Value> = report
        .reviewers
        .iter()
        .map(|r| match &r.output {
            Ok(o) => json!({
                "model": r.model,
                "lab": r.lab,
                "fell_back_from": r.fell_back_from,
                "status": "ok",
                "verdict": o.verdict.as_str(),
                "score": o.score,
                "summary": o.summary,
            }),
            Err(e) => json!({
                "model": r.model,
                "lab": r.lab,
                "fell_back_from": r.fell_back_from,
                "status": "failed",
                "error": e,
            }),
        })
        .collect();
    let findings: Vec<Value> = all_findings(report)
        .iter()
        .map(|a| finding(a.finding, a.by))
        .collect();
    let value = json!({
        "format": REPORT_FORMAT,
        "base": report.base,
        "head": report.head,
        "same_lab": report.same_lab,
        "reviewers": reviewers,
        "findings": findings,
        "worst": worst(report).map(|s| s.as_str()),
        "incomplete": incomplete(report),
        "not_reviewed": report.not_reviewed,
    });
    let mut out = serde_json::to_string_pretty(&value).expect("a JSON value always serializes");
    out.push('\n');
    out
}

fn finding(f: &Finding, by: &str) -> Value {
    json!({
        "severity": f.severity.as_str(),
        "file": f.file,
        "line": f.line,
        "title": f.title,
        "body": f.body,
        "suggestion": f.suggestion,
        "by": by,
    })
}
