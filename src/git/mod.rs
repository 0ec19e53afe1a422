//! Everything bakeoff does with git, through git2: the user's repository, lane
//! worktrees, capturing a lane's work as a commit, diffs, and merging a winner.

use serde::{Deserialize, Serialize};

/// One path touched by a lane's diff. (Placeholder shape; the git module owns it.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChange {
    pub path: String,
}
