//! Errors from running a child process.

use std::path::PathBuf;
use std::sync::Arc;

use super::Stream;

/// Why a child could not be run to completion. `Clone` so it can travel inside events.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ProcessError {
    /// The program could not be started (not found, not executable, bad cwd, ...).
    #[error("cannot start `{}`: {source}", program.display())]
    Spawn {
        program: PathBuf,
        source: Arc<std::io::Error>,
    },
    /// A log file could not be created or written, or the working directory is unusable.
    #[error("cannot write or use {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: Arc<std::io::Error>,
    },
    /// Reading the child's stdout or stderr pipe failed.
    #[error("cannot read the {stream} of `{}`: {source}", program.display())]
    Pipe {
        program: PathBuf,
        stream: Stream,
        source: Arc<std::io::Error>,
    },
    /// Waiting for the child's exit status failed.
    #[error("cannot wait for `{}`: {source}", program.display())]
    Wait {
        program: PathBuf,
        source: Arc<std::io::Error>,
    },
}
