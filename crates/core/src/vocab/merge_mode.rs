//! How a winner reaches the user's branch.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How a winner reaches the user's branch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MergeMode {
    /// One commit on the branch that was checked out when the race began.
    Squash,
    /// A merge commit of the lane branch.
    Merge,
    /// Leave the lane branch as it is and say how to open a pull request.
    Branch,
}

impl MergeMode {
    pub fn as_str(self) -> &'static str {
        match self {
            MergeMode::Squash => "squash",
            MergeMode::Merge => "merge",
            MergeMode::Branch => "branch",
        }
    }
}

impl FromStr for MergeMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "squash" => Ok(MergeMode::Squash),
            "merge" => Ok(MergeMode::Merge),
            "branch" => Ok(MergeMode::Branch),
            _ => Err(format!(
                "unknown merge strategy '{s}' (use squash, merge or branch)"
            )),
        }
    }
}
