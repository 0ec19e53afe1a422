//! The review as SARIF 2.1.0, in the subset GitHub code scanning ingests: one run, tool
//! `bakeoff` with one rule per severity (and one for bakeoff's own injection findings),
//! one result per finding with a physical location and a stable
//! `primaryLocationLineHash` so that re-uploads update alerts instead of duplicating
//! them. A file-wide finding is placed at line 1, since a region needs a start line.

use serde_json::{json, Value};

use crate::review::{Finding, Severity};

use super::model::{all_findings, is_bakeoff, ReviewReport};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INJECTION_RULE: &str = "bakeoff/prompt-injection";

/// The report as SARIF 2.1.0 JSON.
pub fn sarif(report: &ReviewReport) -> String {
    let mut rules: Vec<Value> = Severity::ALL
        .iter()
        .map(|s| {
            json!({
                "id": rule_id(*s),
                "name": format!("Review{}", capitalised(s.as_str())),
                "shortDescription": {"text": format!("A {} finding from cross-lab model review", s.as_str())},
                "defaultConfiguration": {"level": level(*s)},
            })
        })
        .collect();
    rules.push(json!({
        "id": INJECTION_RULE,
        "name": "PromptInjection",
        "shortDescription": {"text": "Added text addresses the model reviewing the change"},
        "defaultConfiguration": {"level": "error"},
    }));
    let results: Vec<Value> = all_findings(report)
        .iter()
        .map(|a| result(a.finding, a.by))
        .collect();
    let failed: Vec<Value> = report
        .reviewers
        .iter()
        .filter_map(|r| r.output.as_ref().err().map(|e| (r, e)))
        .map(|(r, e)| json!({"level": "error", "message": {"text": format!("review by {} failed: {e}", r.model)}}))
        .collect();
    let value = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "bakeoff",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": failed.is_empty(),
                "toolExecutionNotifications": failed,
            }],
            "results": results,
        }],
    });
    let mut out = serde_json::to_string_pretty(&value).expect("a JSON value always serializes");
    out.push('\n');
    out
}

fn result(f: &Finding, by: &str) -> Value {
    let mut message = f.title.trim().to_string();
    if !f.body.trim().is_empty() {
        message.push_str(&format!("\n\n{}", f.body.trim()));
    }
    if let Some(s) = f.suggestion.as_deref().filter(|s| !s.trim().is_empty()) {
        message.push_str(&format!("\n\nSuggestion: {}", s.trim()));
    }
    message.push_str(&format!("\n\n(reported by {by})"));
    let line = f.line.unwrap_or(1);
    json!({
        "ruleId": if is_bakeoff(f) { INJECTION_RULE.to_string() } else { rule_id(f.severity) },
        "level": level(f.severity),
        "message": {"text": message},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": f.file, "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": line},
        }}],
        "partialFingerprints": {"primaryLocationLineHash": fingerprint(&f.file, &f.title, line)},
    })
}

fn rule_id(s: Severity) -> String {
    format!("bakeoff/{}", s.as_str())
}

/// blocker and major → error, minor → warning, nit → note.
fn level(s: Severity) -> &'static str {
    match s {
        Severity::Blocker | Severity::Major => "error",
        Severity::Minor => "warning",
        Severity::Nit => "note",
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// FNV-1a (64-bit) of file, title and line, as 16 hex digits: stable across runs,
/// platforms and Rust versions, unlike `std`'s hasher.
pub(crate) fn fingerprint(file: &str, title: &str, line: u32) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let input = format!("{file}\0{}\0{line}", title.trim());
    for byte in input.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}
