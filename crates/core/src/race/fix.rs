//! Fix rounds (`--fix-rounds N`): whether a lane gets another round after its reviews,
//! and the follow-up its agent is sent — the reviewers' findings distilled (severity,
//! file:line, title, body, suggestion; never their transcripts) and the names of the
//! checks that failed. Pure: the lane worker runs the round.

use std::fmt::Write as _;

use crate::review::ReviewRecord;
use crate::review::{Finding, Verdict};
use crate::vocab::CheckOutcome;

/// At most this many findings are sent, worst first; the rest are counted.
const MAX_FINDINGS: usize = 30;
/// A finding's body or suggestion is cut at this many characters.
const MAX_TEXT: usize = 1_500;

/// Why a lane gets another round, if it does.
///
/// A reviewer that requested changes or rejected, or a regression check that failed,
/// asks for one (a failed check is as actionable as a finding, and it makes fix rounds
/// useful with `--no-review` too). Holdout checks neither ask for a round nor are named:
/// their files are hidden from the agents, and telling an agent which hidden check
/// failed would teach to the test. Reviews that failed (no answer) ask for nothing.
pub fn needs_fix(reviews: &[ReviewRecord], checks: &[CheckOutcome]) -> bool {
    let unhappy = reviews
        .iter()
        .filter_map(|r| r.output.as_ref().ok())
        .any(|o| o.verdict != Verdict::Approve);
    unhappy || !failing_checks(checks).is_empty()
}

/// The names of the regression checks that failed.
pub fn failing_checks(checks: &[CheckOutcome]) -> Vec<String> {
    checks
        .iter()
        .filter(|c| !c.holdout && !c.passed)
        .map(|c| c.name.clone())
        .collect()
}

/// Every reviewer's findings, worst first (reviews in the order given break ties).
pub fn findings(reviews: &[ReviewRecord]) -> Vec<Finding> {
    let mut all: Vec<Finding> = reviews
        .iter()
        .filter_map(|r| r.output.as_ref().ok())
        .flat_map(|o| o.findings.iter().cloned())
        .collect();
    all.sort_by_key(|f| f.severity);
    all
}

/// The follow-up text of the next round. `failing` are the failed checks' names.
pub fn followup_prompt(findings: &[Finding], failing: &[String]) -> String {
    let mut out = String::from("Reviewers of your change asked for changes.");
    if !failing.is_empty() {
        let _ = write!(out, "\n\nThese checks failed: {}.", failing.join(", "));
    }
    if !findings.is_empty() {
        out.push_str("\n\nFindings, worst first:\n");
        for f in findings.iter().take(MAX_FINDINGS) {
            let place = match f.line {
                Some(line) => format!("{}:{line}", f.file),
                None => f.file.clone(),
            };
            let _ = write!(out, "\n- [{}] {place} — {}", f.severity, one_line(&f.title));
            if !f.body.trim().is_empty() {
                let _ = write!(out, "\n  {}", indent(&cut(f.body.trim())));
            }
            if let Some(s) = f.suggestion.as_deref().filter(|s| !s.trim().is_empty()) {
                let _ = write!(out, "\n  Suggestion: {}", indent(&cut(s.trim())));
            }
        }
        if findings.len() > MAX_FINDINGS {
            let _ = write!(
                out,
                "\n\n({} less severe findings not shown.)",
                findings.len() - MAX_FINDINGS
            );
        }
    }
    out.push_str(
        "\n\nFix these in the worktree, keep the rest of the change, and stop when done. \
         Do not commit; bakeoff captures the worktree.",
    );
    out
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn indent(text: &str) -> String {
    text.replace('\n', "\n  ")
}

fn cut(text: &str) -> String {
    match text.char_indices().nth(MAX_TEXT) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::{FindingSource, ReviewOutput, Severity};

    fn finding(severity: Severity, file: &str, line: Option<u32>, title: &str) -> Finding {
        Finding {
            severity,
            file: file.into(),
            line,
            title: title.into(),
            body: format!("why {title}"),
            suggestion: None,
            source: FindingSource::Reviewer,
        }
    }

    fn review(verdict: Verdict, findings: Vec<Finding>) -> ReviewRecord {
        let output = ReviewOutput {
            verdict,
            score: 50,
            summary: "the whole transcript-ish summary".into(),
            findings,
        };
        ReviewRecord {
            lane: None,
            ..ReviewRecord::sample("openai/gpt-5.4", "openai", Ok(output))
        }
    }

    #[test]
    fn which_lanes_get_another_round() {
        let failed = ReviewRecord {
            output: Err("timed out".into()),
            ..review(Verdict::Reject, vec![])
        };
        let cases: Vec<(&str, Vec<ReviewRecord>, Vec<CheckOutcome>, bool)> = vec![
            (
                "all approve, checks pass",
                vec![review(Verdict::Approve, vec![])],
                vec![CheckOutcome::sample("t", false, true)],
                false,
            ),
            (
                "one requests changes",
                vec![
                    review(Verdict::Approve, vec![]),
                    review(Verdict::RequestChanges, vec![]),
                ],
                vec![],
                true,
            ),
            ("a reject", vec![review(Verdict::Reject, vec![])], vec![], true),
            (
                "a failed regression check",
                vec![review(Verdict::Approve, vec![])],
                vec![CheckOutcome::sample("t", false, false)],
                true,
            ),
            (
                "a failed holdout check alone",
                vec![review(Verdict::Approve, vec![])],
                vec![CheckOutcome::sample("h", true, false)],
                false,
            ),
            ("a review that failed", vec![failed], vec![], false),
            (
                "no reviews, checks fail",
                vec![],
                vec![CheckOutcome::sample("t", false, false)],
                true,
            ),
            ("nothing at all", vec![], vec![], false),
        ];
        for (name, reviews, checks, want) in cases {
            assert_eq!(needs_fix(&reviews, &checks), want, "{name}");
        }
    }

    #[test]
    fn the_prompt_distills_findings_worst_first() {
        let mut with_suggestion = finding(Severity::Blocker, "src/a.rs", Some(12), "wrong  \n greeting");
        with_suggestion.suggestion = Some("write \"hello\"".into());
        let reviews = vec![
            review(
                Verdict::RequestChanges,
                vec![finding(Severity::Nit, "README.md", None, "typo")],
            ),
            review(Verdict::Reject, vec![with_suggestion]),
        ];
        let checks = vec![
            CheckOutcome::sample("unit", false, false),
            CheckOutcome::sample("hidden", true, false),
            CheckOutcome::sample("lint", false, true),
        ];
        let text = followup_prompt(&findings(&reviews), &failing_checks(&checks));
        let want = "Reviewers of your change asked for changes.\n\n\
                    These checks failed: unit.\n\n\
                    Findings, worst first:\n\n\
                    - [blocker] src/a.rs:12 — wrong greeting\n  why wrong  \n   greeting\n  Suggestion: write \"hello\"\n\
                    - [nit] README.md — typo\n  why typo\n\n\
                    Fix these in the worktree, keep the rest of the change, and stop when done. \
                    Do not commit; bakeoff captures the worktree.";
        assert_eq!(text, want);
        assert!(!text.contains("transcript-ish"), "summaries are not sent");
        assert!(!text.contains("hidden"), "holdout checks are not named");
    }

    #[test]
    fn the_prompt_is_bounded() {
        let mut long = finding(Severity::Major, "a.rs", Some(1), "long");
        long.body = "x".repeat(MAX_TEXT * 3);
        let many: Vec<Finding> = (0..MAX_FINDINGS + 5).map(|_| long.clone()).collect();
        let text = followup_prompt(&many, &[]);
        assert!(text.contains("(5 less severe findings not shown.)"));
        assert!(
            text.len() < MAX_FINDINGS * (MAX_TEXT + 200) + 500,
            "{}",
            text.len()
        );
    }
}
