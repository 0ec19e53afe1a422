//! The race's report as one JSON object, for scripts and dashboards. Its shape is the
//! report's own, documented in docs/report.md: plain fields, `null` for what is not
//! known (a cost an agent did not report is `null`, never 0), and no Rust-shaped values
//! (a review that failed is `"ok": false` with its `"error"`, not `{"Err": …}`).

use serde_json::{json, Value};

use super::model::{check_verdict, RaceReport};
use crate::vocab::{CheckOutcome, Finding, ReviewRecord};

/// Version of the report's JSON; bumped on any incompatible change.
pub const REPORT_JSON_VERSION: u32 = 1;

/// The report as pretty JSON, ending with a newline.
pub fn json(r: &RaceReport) -> String {
    let mut text = serde_json::to_string_pretty(&value(r)).expect("a JSON value always serializes");
    text.push('\n');
    text
}

/// The report as a JSON value.
pub fn value(r: &RaceReport) -> Value {
    let rec = &r.record;
    let lanes: Vec<Value> = r
        .lanes
        .iter()
        .map(|l| {
            let a = l.agent_outcome.as_ref();
            let row = r
                .leaderboard
                .as_ref()
                .and_then(|b| b.rows.iter().find(|row| row.lane == l.name));
            json!({
                "name": l.name,
                "agent": l.agent,
                "model": l.model,
                "lab": l.lab,
                "state": l.state,
                "position": row.map(|row| row.position),
                "tier": row.map(|row| row.tier.as_str()),
                "passed": row.map(|row| row.passed),
                "cost_usd": l.result.cost_usd,
                "elapsed_ms": l.result.elapsed_ms,
                "fix_rounds": l.result.fix_rounds,
                "agent_run": a.map(|a| json!({
                    "exit": a.exit.as_ref().map(ToString::to_string),
                    "elapsed_ms": a.elapsed_ms,
                    "timed_out": a.timed_out,
                    "turns": a.usage.turns,
                    "input_tokens": a.usage.input_tokens,
                    "output_tokens": a.usage.output_tokens,
                    "error": a.error,
                })),
                "diff": {
                    "files": l.result.diff_files,
                    "insertions": l.result.insertions,
                    "deletions": l.result.deletions,
                    "patch": l.files.iter().map(|f| f.raw.as_str()).collect::<String>(),
                },
                "checks": l.checks().iter().map(check).collect::<Vec<_>>(),
                "reviews": l.reviews.iter().map(review).collect::<Vec<_>>(),
                "flagged": l.flagged.iter().map(finding).collect::<Vec<_>>(),
                "error": l.error,
            })
        })
        .collect();
    let leaderboard = r.leaderboard.as_ref().map(|b| {
        json!({
            "winner": b.winner,
            "verdict": r.verdict(),
            "rows": b.rows.iter().map(|row| json!({
                "position": row.position,
                "lane": row.lane,
                "agent": row.agent,
                "model": row.provenance.model,
                "lab": row.provenance.lab,
                "tier": row.tier.as_str(),
                "passed": row.passed,
                "gates_failed": row.gates_failed,
                "reason": row.reason,
                "cost_usd": row.cost_usd,
                "diff_lines": row.diff_lines,
                "elapsed_ms": row.elapsed_ms,
                "checks_passed": row.checks_passed,
                "checks_total": row.checks_total,
                "reviews": row.reviews.iter().map(|m| json!({"verdict": m.verdict.as_str(), "score": m.score})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    });
    json!({
        "version": REPORT_JSON_VERSION,
        "id": rec.id,
        "title": rec.title(),
        "spec": rec.spec,
        "base": rec.base,
        "base_ref": rec.base_ref,
        "target_branch": rec.target_branch,
        "created_at": rec.created_at,
        "status": r.status,
        "verdict": r.verdict(),
        "lanes": lanes,
        "leaderboard": leaderboard,
        "merges": r.merges.iter().map(|(lane, strategy, target, commit)| json!({
            "lane": lane, "strategy": strategy, "target": target, "commit": commit,
        })).collect::<Vec<_>>(),
    })
}

fn check(c: &CheckOutcome) -> Value {
    json!({
        "name": c.name,
        "command": c.command,
        "holdout": c.holdout,
        "passed": c.passed,
        "verdict": check_verdict(c),
        "timed_out": c.timed_out,
        "exit": c.exit.as_ref().map(ToString::to_string),
        "elapsed_ms": c.elapsed_ms,
    })
}

fn review(r: &ReviewRecord) -> Value {
    let (ok, verdict, score, summary, findings, error) = match &r.output {
        Ok(o) => (
            true,
            Some(o.verdict.as_str()),
            Some(o.score),
            Some(o.summary.as_str()),
            o.findings.iter().map(finding).collect::<Vec<_>>(),
            None,
        ),
        Err(e) => (false, None, None, None, Vec::new(), Some(e.as_str())),
    };
    json!({
        "reviewer": r.reviewer,
        "lab": r.lab,
        "answered_by": r.answered_by,
        "ok": ok,
        "verdict": verdict,
        "score": score,
        "summary": summary,
        "findings": findings,
        "error": error,
        "cost_usd": r.cost_usd,
        "not_reviewed": r.not_reviewed,
    })
}

fn finding(f: &Finding) -> Value {
    json!({
        "severity": f.severity.as_str(),
        "file": f.file,
        "line": f.line,
        "title": f.title,
        "body": f.body,
        "suggestion": f.suggestion,
    })
}
