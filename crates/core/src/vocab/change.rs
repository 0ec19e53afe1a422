//! How the paths of a lane's diff changed, as captures and tamper checks carry them.

use serde::{Deserialize, Serialize};

/// How one path changed between two commits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    Added,
    Deleted,
    Modified,
    Renamed,
    Copied,
    /// The same path changed type: file ↔ symlink ↔ submodule.
    TypeChange,
}

/// One path touched by a diff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChange {
    /// The path after the change (for a deletion, the deleted path).
    pub path: String,
    /// The path before a rename or copy.
    pub old_path: Option<String>,
    pub kind: ChangeKind,
    pub insertions: usize,
    pub deletions: usize,
    /// Whether git treats either side as binary (no line counts then).
    pub binary: bool,
    /// Git file mode before (`0o100644`, `0o100755`, `0o120000`, …); 0 when added.
    pub old_mode: u32,
    /// Git file mode after; 0 when deleted.
    pub new_mode: u32,
}
