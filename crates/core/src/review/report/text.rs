//! The review as terminal text: one line per reviewer with its verdict and score, the
//! findings worst first with `file:line`, and what was not reviewed. Color is raw SGR,
//! on only when asked, so tests compare exact strings.

use crate::review::{Severity, Verdict};

use super::model::{all_findings, place, ReviewReport};

const RED: &str = "31";
const GREEN: &str = "32";
const YELLOW: &str = "33";
const DIM: &str = "2";
const BOLD: &str = "1";

/// The report for a terminal; `color` adds ANSI styles.
pub fn text(report: &ReviewReport, color: bool) -> String {
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let mut out = format!("review of {}..{}\n", report.base, report.head);
    if report.same_lab {
        out.push_str(&paint(
            YELLOW,
            "warning: a reviewer is of the author's lab (--allow-same-lab)",
        ));
        out.push('\n');
    }
    for r in &report.reviewers {
        let fell_back = r
            .fell_back_from
            .as_ref()
            .map(|m| format!(", fell back from {m}"))
            .unwrap_or_default();
        let who = format!("{} ({}{fell_back})", r.model, r.lab);
        match &r.output {
            Ok(o) => {
                let style = match o.verdict {
                    Verdict::Approve => GREEN,
                    Verdict::RequestChanges => YELLOW,
                    Verdict::Reject => RED,
                };
                out.push_str(&format!(
                    "{who}: {}, score {}\n",
                    paint(style, o.verdict.label()),
                    o.score
                ));
                if !o.summary.trim().is_empty() {
                    out.push_str(&indent(o.summary.trim(), "  "));
                }
            }
            Err(e) => out.push_str(&format!(
                "{who}: {}\n",
                paint(RED, &format!("failed: {}", one_line(e)))
            )),
        }
    }
    let findings = all_findings(report);
    if findings.is_empty() {
        match report.reviewers.iter().any(|r| r.output.is_ok()) {
            true => out.push_str("no findings\n"),
            false => out.push_str("no findings, because no review succeeded\n"),
        }
    } else {
        out.push_str(&format!(
            "\n{}\n",
            paint(BOLD, &format!("findings ({})", findings.len()))
        ));
    }
    for a in findings {
        let f = a.finding;
        let style = match f.severity {
            Severity::Blocker | Severity::Major => RED,
            Severity::Minor => YELLOW,
            Severity::Nit => DIM,
        };
        let label = paint(style, &format!("{:<7}", f.severity.as_str()));
        out.push_str(&format!(
            "  {label} {}  {}  [{}]\n",
            place(f),
            one_line(&f.title),
            a.by
        ));
        if !f.body.trim().is_empty() {
            out.push_str(&indent(f.body.trim(), "          "));
        }
        if let Some(s) = f.suggestion.as_deref().filter(|s| !s.trim().is_empty()) {
            out.push_str(&indent(&format!("suggestion: {}", s.trim()), "          "));
        }
    }
    if !report.not_reviewed.is_empty() {
        out.push_str(&format!(
            "\n{}: {}\n",
            paint(YELLOW, "not reviewed"),
            report.not_reviewed.join(", ")
        ));
    }
    out
}

fn indent(text: &str, by: &str) -> String {
    text.lines().map(|l| format!("{by}{l}\n")).collect()
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
