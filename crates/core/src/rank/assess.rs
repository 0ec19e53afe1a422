//! One lane on its own: which gates it fails, which tier its checks earn, and the
//! one-phrase summary of either. Comparing lanes is `order`'s business.

use crate::vocab::CheckOutcome;

use super::tamper::is_test_path;
use crate::units::plural;
use crate::vocab::{LaneResult, Tier};
use crate::vocab::{Tamper, TamperKind};

/// A lane with the facts ranking derives from it.
#[derive(Debug)]
pub(crate) struct Assessed<'a> {
    pub lane: &'a LaneResult,
    pub gates_failed: Vec<String>,
    pub tier: Tier,
    pub checks_passed: usize,
    pub checks_total: usize,
    pub diff_lines: usize,
    /// The reported cost, if it is a usable number.
    pub cost_usd: Option<f64>,
}

impl<'a> Assessed<'a> {
    pub fn new(lane: &'a LaneResult) -> Self {
        Assessed {
            lane,
            gates_failed: gates_failed(lane),
            tier: tier(&lane.checks),
            checks_passed: lane.checks.iter().filter(|c| c.passed).count(),
            checks_total: lane.checks.len(),
            diff_lines: lane.insertions + lane.deletions,
            // A NaN or infinite cost is as good as no report: it must not sort as cheap.
            cost_usd: lane.cost_usd.filter(|c| c.is_finite()),
        }
    }

    pub fn gated_in(&self) -> bool {
        self.gates_failed.is_empty()
    }

    /// What the lane earned on its own: `gated: …` or its tier with the evidence.
    pub fn status(&self) -> String {
        if self.gated_in() {
            self.tier_summary()
        } else {
            format!("gated: {}", self.gates_failed.join(", "))
        }
    }

    /// `FULL: 3/3 checks pass`, `PARTIAL: holdout 1/2 pass`, `NONE: check 'test' failed`.
    pub fn tier_summary(&self) -> String {
        let checks = &self.lane.checks;
        let (holdout, regression): (Vec<&CheckOutcome>, Vec<&CheckOutcome>) =
            checks.iter().partition(|c| c.holdout);
        let holdout_passed = holdout.iter().filter(|c| c.passed).count();
        match self.tier {
            Tier::Full if checks.is_empty() => "FULL: nothing was checked".to_string(),
            Tier::Full => format!("FULL: {}/{} checks pass", self.checks_passed, self.checks_total),
            Tier::Partial => match must_pass(&holdout) {
                Some((passed, total)) => format!("PARTIAL: must-pass tests {passed}/{total} pass"),
                None => format!("PARTIAL: holdout {holdout_passed}/{} pass", holdout.len()),
            },
            Tier::None => {
                let failed: Vec<&CheckOutcome> = regression.into_iter().filter(|c| !c.passed).collect();
                if failed.is_empty() {
                    format!("NONE: holdout {holdout_passed}/{} pass", holdout.len())
                } else {
                    format!("NONE: {}", failed_checks_phrase(&failed))
                }
            }
        }
    }
}

/// The holdout checks' must-pass tests that passed, of how many, when any were named.
fn must_pass(holdout: &[&CheckOutcome]) -> Option<(usize, usize)> {
    let named: Vec<_> = holdout
        .iter()
        .filter_map(|c| c.report.as_ref()?.must_pass)
        .collect();
    (!named.is_empty()).then(|| named.iter().fold((0, 0), |(p, t), n| (p + n.passed, t + n.total)))
}

/// `check 'test' failed`, `check 'test' failed: no test ran`, `checks 'build' and
/// 'test' failed`, `4 of 6 checks failed`.
fn failed_checks_phrase(failed: &[&CheckOutcome]) -> String {
    let quoted: Vec<String> = failed.iter().map(|c| format!("'{}'", c.name)).collect();
    let shortfall = failed[0].report.as_ref().and_then(|r| r.shortfall.as_deref());
    match quoted.as_slice() {
        [one] if failed[0].timed_out => format!("check {one} timed out"),
        [one] if shortfall.is_some() => format!("check {one} failed: {}", shortfall.unwrap_or_default()),
        [one] => format!("check {one} failed"),
        [init @ .., last] if quoted.len() <= 3 => {
            format!("checks {} and {last} failed", init.join(", "))
        }
        _ => format!("{} failed", plural(failed.len(), "check")),
    }
}

fn tier(checks: &[CheckOutcome]) -> Tier {
    let regression_ok = checks.iter().filter(|c| !c.holdout).all(|c| c.passed);
    let holdout: Vec<&CheckOutcome> = checks.iter().filter(|c| c.holdout).collect();
    let holdout_passed = holdout.iter().filter(|c| c.passed).count();
    if regression_ok && holdout_passed == holdout.len() {
        Tier::Full
    } else if regression_ok && holdout.iter().any(|c| partial_credit(c)) {
        Tier::Partial
    } else {
        Tier::None
    }
}

/// A holdout check earns part of the credit when it passed, or when its report shows
/// some of its must-pass tests passing and every must-keep-passing test still passing.
fn partial_credit(check: &CheckOutcome) -> bool {
    check.passed
        || check.report.as_ref().is_some_and(|r| {
            r.must_pass.is_some_and(|m| m.passed > 0) && r.keep_passing.is_none_or(|k| k.all())
        })
}

/// Every gate the lane fails, in the order a reader would ask about them: did it end
/// normally, did it produce anything, did its checks finish, did it leave the tests be.
fn gates_failed(lane: &LaneResult) -> Vec<String> {
    let mut gates = Vec::new();
    if lane.cancelled {
        gates.push("cancelled".to_string());
    }
    if let Some(error) = &lane.failed {
        // The error may be a multi-line message; the reason must stay one line.
        let error = error.split_whitespace().collect::<Vec<_>>().join(" ");
        gates.push(format!("failed: {error}"));
    }
    if lane.agent_timed_out {
        gates.push("agent timed out".to_string());
    }
    if lane.diff_files == 0 && lane.insertions == 0 && lane.deletions == 0 {
        gates.push("empty diff".to_string());
    }
    for check in lane.checks.iter().filter(|c| c.timed_out) {
        let kind = if check.holdout { "holdout check" } else { "check" };
        gates.push(format!("{kind} '{}' timed out", check.name));
    }
    if !lane.tests_may_change {
        gates.extend(lane.tampering.iter().map(tamper_phrase));
    }
    if !lane.breached.is_empty() {
        gates.push(format!("reached past its worktree: {}", lane.breached.join("; ")));
    }
    gates
}

/// `deleted test file tests/x.rs`, `weakened test file tests/y.py (3 assertions removed)`.
fn tamper_phrase(tamper: &Tamper) -> String {
    // detect_tampering only reports test or holdout paths, so a non-test path is a
    // holdout one; the distinction tells the reader which rule was broken.
    let what = if is_test_path(&tamper.path) {
        "test file"
    } else {
        "holdout file"
    };
    let detail = tamper.detail.as_deref().unwrap_or("changed");
    match tamper.kind {
        TamperKind::Deleted => format!("deleted {what} {}", tamper.path),
        TamperKind::Weakened => format!(
            "weakened {what} {} ({} removed)",
            tamper.path,
            plural(tamper.assertions_removed, "assertion")
        ),
        TamperKind::Skipped => format!("skipped tests in {what} {} ({detail})", tamper.path),
        TamperKind::RunnerConfig => format!("test runner configuration {} {detail}", tamper.path),
    }
}
