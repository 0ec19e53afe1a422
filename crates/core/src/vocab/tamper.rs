//! What a lane did to a test, a holdout file or the test runner's configuration that
//! ranking must gate on.

use serde::{Deserialize, Serialize};

/// A test or holdout file a lane deleted, weakened or skipped, or runner configuration
/// it changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tamper {
    pub path: String,
    pub kind: TamperKind,
    /// Net assertions removed (for [`TamperKind::Weakened`]; 0 for a deletion).
    #[serde(default)]
    pub assertions_removed: usize,
    /// What changed, in a few words (`added`, `changed [tool.pytest]`, `2 skip markers`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// What a lane did to a protected file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TamperKind {
    Deleted,
    Weakened,
    /// Skip or expected-failure markers added to existing tests.
    Skipped,
    /// Test-runner configuration changed (`conftest.py` hooks, `pytest.ini`, `addopts`…).
    RunnerConfig,
}
