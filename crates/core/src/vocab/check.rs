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
}
