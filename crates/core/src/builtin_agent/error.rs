//! The built-in agent's errors: each names what failed and how to fix it.

use std::path::PathBuf;

use thiserror::Error;

use crate::config::ConfigError;
use crate::process::ProcessError;
use crate::provider::ProviderError;

/// Why the built-in agent could not start or could not go on.
#[derive(Debug, Error)]
pub enum BuiltinError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Unknown provider, missing key, a failed request after retries.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error("cannot read the spec file {}: {message} (pass --spec-file with a readable file)", path.display())]
    SpecFile { path: PathBuf, message: String },
    /// A limit flag out of range.
    #[error("{flag} {value} is not usable: {reason}")]
    BadLimit {
        flag: &'static str,
        value: String,
        reason: &'static str,
    },
    /// The directory for command output could not be made or read.
    #[error("command output scratch space: {message} (check that TMPDIR is writable)")]
    Scratch { message: String },
    /// A command could not be started at all (bash missing, worktree gone).
    #[error("cannot run a command: {0} (bash must be on PATH)")]
    Process(#[from] ProcessError),
}

impl BuiltinError {
    /// Whether this is a provider or credentials problem (exit 3) rather than bad
    /// input (exit 2).
    pub fn is_provider(&self) -> bool {
        matches!(self, BuiltinError::Provider(e) if !matches!(e, ProviderError::UnknownProvider { .. } | ProviderError::BadModelRef { .. } | ProviderError::BadProviderConfig { .. }))
    }
}
