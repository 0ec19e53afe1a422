//! The race core's top-level error: every failure a command can end in, what kind of
//! failure it is (the user's input, a provider's credentials, or a bug of bakeoff's own),
//! its sources, and the hints that tell the user what to do about it. The command line
//! turns the kind into an exit code and prints the error with its chain of causes.

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
    /// bakeoff itself failed (a bug): `EX_SOFTWARE` of sysexits.h.
    pub const INTERNAL: u8 = 70;
    /// Interrupted by Ctrl-C.
    pub const INTERRUPTED: u8 = 130;
}

/// What kind of failure an [`Error`] is, which decides the exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad input, a bad config, a repository or agent CLI that is not as needed: the user
    /// can fix it.
    Usage,
    /// A missing or rejected key, or a provider error that stopped the run.
    Provider,
    /// bakeoff itself went wrong: a worker panicked, a runtime would not start.
    Internal,
    /// The race finished but no lane may be merged (e.g. none was reviewed).
    NotMergeable,
}

impl ErrorKind {
    /// The process exit code a command ends with on this kind of error.
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Usage => exit::USAGE,
            ErrorKind::Provider => exit::PROVIDER,
            ErrorKind::Internal => exit::INTERNAL,
            ErrorKind::NotMergeable => exit::NO_WINNER,
        }
    }
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
    /// Bad input the user can fix.
    #[error("{message}")]
    Input { message: String },
    /// A lane bakeoff will not merge: it had no successful cross-lab review. `provider`
    /// when a provider or credentials failure left it unreviewed (exit 3, else 1).
    #[error("{message}")]
    MergeRefused { message: String, provider: bool },
    /// A file bakeoff itself needed to write or read; the I/O error is its cause.
    #[error("{what} {path}")]
    Io {
        what: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A failure of bakeoff's own, not of the user's input: reported as a bug.
    #[error("internal error: {message}")]
    Internal { message: String },
    /// An error with advice on what to do about it (see [`Error::with_hint`]).
    #[error("{error}")]
    Hinted { error: Box<Error>, hint: String },
}

impl Error {
    pub fn input(message: impl Into<String>) -> Error {
        Error::Input {
            message: message.into(),
        }
    }

    /// Bad input and what to do about it: `input(message).with_hint(hint)`.
    pub fn input_with_hint(message: impl Into<String>, hint: impl Into<String>) -> Error {
        Error::input(message).with_hint(hint)
    }

    pub fn io(what: &'static str, path: &std::path::Path, source: std::io::Error) -> Error {
        Error::Io {
            what,
            path: path.display().to_string(),
            source,
        }
    }

    pub fn internal(message: impl Into<String>) -> Error {
        Error::Internal {
            message: message.into(),
        }
    }

    /// The one way to attach advice to an error; hints of nested calls all show, the
    /// innermost first.
    pub fn with_hint(self, hint: impl Into<String>) -> Error {
        Error::Hinted {
            error: Box::new(self),
            hint: hint.into(),
        }
    }

    /// The error under its hints.
    pub fn inner(&self) -> &Error {
        match self {
            Error::Hinted { error, .. } => error.inner(),
            other => other,
        }
    }

    /// Prefixes the message of an input error (e.g. with the lane it is about); other
    /// errors are returned as they are. Hints are kept.
    pub fn context(self, prefix: &str) -> Error {
        match self {
            Error::Input { message } => Error::input(format!("{prefix}: {message}")),
            Error::Hinted { error, hint } => error.context(prefix).with_hint(hint),
            other => other,
        }
    }

    pub fn kind(&self) -> ErrorKind {
        match self.inner() {
            Error::Provider(e) if e.is_credentials() => ErrorKind::Provider,
            Error::Credentials { .. } => ErrorKind::Provider,
            Error::MergeRefused { provider: true, .. } => ErrorKind::Provider,
            Error::MergeRefused { provider: false, .. } => ErrorKind::NotMergeable,
            Error::Internal { .. } => ErrorKind::Internal,
            _ => ErrorKind::Usage,
        }
    }

    /// The process exit code this error ends a command with.
    pub fn exit_code(&self) -> u8 {
        self.kind().exit_code()
    }

    /// What the user can do about it, innermost first.
    pub fn hints(&self) -> Vec<&str> {
        match self {
            Error::Hinted { error, hint } => {
                let mut hints = error.hints();
                hints.push(hint);
                hints
            }
            _ => Vec::new(),
        }
    }

    /// The first hint, if any.
    pub fn hint(&self) -> Option<&str> {
        self.hints().into_iter().next()
    }

    /// The causes under the error's own message, outermost first, as `caused by:` lines
    /// print them.
    pub fn causes(&self) -> Vec<String> {
        let mut causes = Vec::new();
        let mut next = std::error::Error::source(self.inner());
        // A transparent variant's source is the wrapped error itself, already printed.
        if let Some(first) = next {
            if first.to_string() == self.inner().to_string() {
                next = first.source();
            }
        }
        while let Some(e) = next {
            causes.push(e.to_string());
            next = e.source();
        }
        causes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_stack_and_kinds_decide_exit_codes() {
        let e = Error::input("no spec given")
            .with_hint("pass the task as text")
            .with_hint("see --help");
        assert_eq!(e.to_string(), "no spec given");
        assert_eq!(e.hints(), vec!["pass the task as text", "see --help"]);
        assert_eq!(e.exit_code(), exit::USAGE);
        assert_eq!(Error::internal("a worker panicked").exit_code(), exit::INTERNAL);
        let credentials = Error::Credentials {
            message: "401".into(),
        }
        .with_hint("set the key");
        assert_eq!(credentials.exit_code(), exit::PROVIDER);
    }

    #[test]
    fn an_io_error_keeps_its_cause() {
        let source = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "permission denied");
        let e = Error::io("cannot write", std::path::Path::new("/x/race.json"), source)
            .with_hint("check the folder");
        assert_eq!(e.to_string(), "cannot write /x/race.json");
        assert_eq!(e.causes(), vec!["permission denied".to_string()]);
    }

    #[test]
    fn context_prefixes_input_errors_and_keeps_hints() {
        let e = Error::input_with_hint("no reviewer of another lab", "add one").context("lane a");
        assert_eq!(e.to_string(), "lane a: no reviewer of another lab");
        assert_eq!(e.hint(), Some("add one"));
    }
}
