//! How a child process ended: its exit code or the signal that killed it.

use serde::{Deserialize, Serialize};

/// How a child process ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum ExitKind {
    Code(i32),
    Signal(i32),
}

impl ExitKind {
    /// True for exit code 0.
    pub fn success(&self) -> bool {
        matches!(self, ExitKind::Code(0))
    }
}

impl std::fmt::Display for ExitKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExitKind::Code(c) => write!(f, "exit {c}"),
            ExitKind::Signal(s) => write!(f, "signal {s}"),
        }
    }
}
