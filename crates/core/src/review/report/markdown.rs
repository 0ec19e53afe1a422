//! The review as Markdown for a PR comment: a verdict table, the findings grouped by
//! severity with `file:line`, and what was not reviewed. Model text is placed so it
//! cannot break the layout or inject markup: HTML in it is escaped (a PR comment
//! renders raw HTML), table cells escape `|` and newlines, and finding bodies are
//! quoted line by line.

use crate::markup::{md_cell as cell, md_inline as inline, md_text as escape_html};
use crate::review::{Severity, Verdict};

use super::model::{all_findings, place, ReviewReport};

/// The report as GitHub-flavoured Markdown.
pub fn markdown(report: &ReviewReport) -> String {
    let mut out = format!("## bakeoff review\n\n`{}`..`{}`\n\n", report.base, report.head);
    if report.same_lab {
        out.push_str("> **Note:** a reviewer is of the author's lab (`--allow-same-lab`).\n\n");
    }
    out.push_str("| reviewer | lab | verdict | score | summary |\n| --- | --- | --- | --- | --- |\n");
    for r in &report.reviewers {
        let model = match &r.fell_back_from {
            Some(from) => format!("`{}` (fell back from `{from}`)", r.model),
            None => format!("`{}`", r.model),
        };
        let (verdict, score, summary) = match &r.output {
            Ok(o) => {
                let mark = match o.verdict {
                    Verdict::Approve => "✅",
                    Verdict::RequestChanges => "⚠️",
                    Verdict::Reject => "❌",
                };
                (
                    format!("{mark} {}", o.verdict.label()),
                    o.score.to_string(),
                    cell(&o.summary),
                )
            }
            Err(e) => ("💥 failed".to_string(), "—".to_string(), cell(e)),
        };
        out.push_str(&format!(
            "| {model} | {} | {verdict} | {score} | {summary} |\n",
            cell(&r.lab)
        ));
    }
    let findings = all_findings(report);
    if findings.is_empty() {
        match report.reviewers.iter().any(|r| r.output.is_ok()) {
            true => out.push_str("\nNo findings.\n"),
            false => out.push_str("\nNo findings, because no review succeeded.\n"),
        }
    }
    for severity in Severity::ALL {
        let group: Vec<_> = findings
            .iter()
            .filter(|a| a.finding.severity == severity)
            .collect();
        if group.is_empty() {
            continue;
        }
        out.push_str(&format!("\n### {} ({})\n\n", heading(severity), group.len()));
        for a in group {
            let f = a.finding;
            out.push_str(&format!(
                "- **`{}`** {} — _{}_\n",
                place(f),
                inline(&f.title),
                a.by
            ));
            for line in f.body.trim().lines() {
                out.push_str(&format!("  > {}\n", escape_html(line)));
            }
            if let Some(s) = f.suggestion.as_deref().filter(|s| !s.trim().is_empty()) {
                out.push_str(&format!("  >\n  > **Suggestion:** {}\n", inline(s)));
            }
        }
    }
    if !report.not_reviewed.is_empty() {
        let files: Vec<String> = report.not_reviewed.iter().map(|f| format!("`{f}`")).collect();
        out.push_str(&format!(
            "\n**Not reviewed** (over the size limit): {}\n",
            files.join(", ")
        ));
    }
    out
}

fn heading(s: Severity) -> &'static str {
    match s {
        Severity::Blocker => "Blockers",
        Severity::Major => "Major",
        Severity::Minor => "Minor",
        Severity::Nit => "Nits",
    }
}
