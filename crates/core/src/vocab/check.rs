//! What one check did in one lane.

use serde::{Deserialize, Serialize};

use super::exit::ExitKind;

/// One check's result in one lane.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckOutcome {
    pub name: String,
    pub command: String,
    pub holdout: bool,
    pub exit: Option<ExitKind>,
    pub passed: bool,
    pub timed_out: bool,
    pub elapsed_ms: u64,
    pub log: String,
    /// What the check's JUnit report said, when it wrote one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<TestReport>,
}

/// A check's tests as its JUnit report counts them, and what that made of the check.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestReport {
    pub counts: TestCounts,
    /// Why the report fails the check whatever its exit code: no test ran, or a named
    /// test did not pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shortfall: Option<String>,
    /// Of the holdout's must-pass tests (SWE-bench's FAIL_TO_PASS), how many passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub must_pass: Option<Named>,
    /// Of the holdout's must-keep-passing tests (PASS_TO_PASS), how many passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_passing: Option<Named>,
}

/// How many tests of a check did what.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestCounts {
    pub passed: usize,
    pub failed: usize,
    pub errored: usize,
    pub skipped: usize,
}

impl TestCounts {
    /// Tests that ran: every case but the skipped ones.
    pub fn ran(&self) -> usize {
        self.passed + self.failed + self.errored
    }
}

/// Named tests: how many of them passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    pub passed: usize,
    pub total: usize,
}

impl Named {
    pub fn all(&self) -> bool {
        self.passed == self.total
    }
}

#[cfg(test)]
impl CheckOutcome {
    /// A check named `name` that ran `run NAME` for a second and passed or failed, for
    /// the tests of what is made of check results.
    pub(crate) fn sample(name: &str, holdout: bool, passed: bool) -> CheckOutcome {
        CheckOutcome {
            name: name.to_string(),
            command: format!("run {name}"),
            holdout,
            exit: Some(super::exit::ExitKind::Code(if passed { 0 } else { 1 })),
            passed,
            timed_out: false,
            elapsed_ms: 1_000,
            log: format!("checks/{name}.log"),
            report: None,
        }
    }
}
