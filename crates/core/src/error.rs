//! The top-level error: every failure a command can end in, its exit code and the hint
//! that tells the user what to do about it.

use crate::agent::AgentError;
use crate::config::ConfigError;
use crate::git::GitError;
use crate::journal::JournalError;
use crate::process::ProcessError;
use crate::provider::ProviderError;

/// Exit codes, as documented in the README.
pub mod exit {
    /// Done: a winner exists (merged when asked).
    pub const OK: u8 = 0;
    /// Finished, but no lane passed the gates.
    pub const NO_WINNER: u8 = 1;
    /// Usage, input or configuration error.
    pub const USAGE: u8 = 2;
    /// A provider or credentials problem.
    pub const PROVIDER: u8 = 3;
    /// Interrupted by Ctrl-C.
    pub const INTERRUPTED: u8 = 130;
}

/// Anything a bakeoff command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Agent(#[from] AgentError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Process(#[from] ProcessError),
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// A provider refused bakeoff's credentials during a run (a review could not be made).
    #[error("{message}")]
    Credentials { message: String },
    /// Bad input the user can fix; `hint` says how.
    #[error("{message}")]
    Input { message: String, hint: Option<String> },
    /// A file bakeoff itself needed to write or read.
    #[error("{what} {path}: {message}")]
    Io {
        what: &'static str,
        path: String,
        message: String,
    },
}

impl Error {
    pub fn input(message: impl Into<String>) -> Error {
        Error::Input {
            message: message.into(),
            hint: None,
        }
    }

    pub fn input_with_hint(message: impl Into<String>, hint: impl Into<String>) -> Error {
        Error::Input {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    pub fn io(what: &'static str, path: &std::path::Path, err: impl std::fmt::Display) -> Error {
        Error::Io {
            what,
            path: path.display().to_string(),
            message: err.to_string(),
        }
    }

    /// The process exit code this error ends a command with.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Provider(e) if e.is_credentials() => exit::PROVIDER,
            Error::Credentials { .. } => exit::PROVIDER,
            _ => exit::USAGE,
        }
    }

    /// What the user can do about it, when the message itself does not say.
    pub fn hint(&self) -> Option<&str> {
        match self {
            Error::Input { hint, .. } => hint.as_deref(),
            _ => None,
        }
    }
}
