//! What a lane did to a test or holdout file that ranking must gate on.

use serde::{Deserialize, Serialize};

/// A test or holdout file a lane deleted or weakened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tamper {
    pub path: String,
    pub kind: TamperKind,
    /// Net assertions removed (for [`TamperKind::Weakened`]; 0 for a deletion).
    #[serde(default)]
    pub assertions_removed: usize,
}

/// What a lane did to a protected file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TamperKind {
    Deleted,
    Weakened,
}
