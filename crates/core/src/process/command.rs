//! What to run: program, arguments, directory, the complete environment, log files and
//! time limits.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The grace period [`Command::shell`] starts with, between SIGTERM and SIGKILL.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5);

/// A child process to run with [`run`](super::run).
#[derive(Clone, Debug)]
pub struct Command {
    /// The program; looked up on the `PATH` of `env` when it has no slash.
    pub program: OsString,
    pub args: Vec<OsString>,
    pub cwd: PathBuf,
    /// The complete environment; nothing is inherited from bakeoff's own.
    pub env: Vec<(OsString, OsString)>,
    /// Where stdout and stderr are streamed (created/truncated). Separate files.
    pub stdout: PathBuf,
    pub stderr: PathBuf,
    /// None = no deadline.
    pub deadline: Option<Duration>,
    /// Time between SIGTERM and SIGKILL.
    pub grace: Duration,
    /// The most each log file keeps (its head and tail); `None` keeps everything. The
    /// line callback still sees the whole stream.
    pub log_cap: Option<u64>,
    /// The child sees its folder as this overlay (a lane that shares the base checkout).
    pub overlay: Option<super::Overlay>,
}

impl Command {
    /// `sh -c script`, for user check commands. No deadline and a 5 s grace period;
    /// set the fields to change them.
    pub fn shell(
        script: &str,
        cwd: impl Into<PathBuf>,
        env: Vec<(OsString, OsString)>,
        stdout: impl Into<PathBuf>,
        stderr: impl Into<PathBuf>,
    ) -> Command {
        Command {
            program: OsString::from("sh"),
            args: vec![OsString::from("-c"), OsString::from(script)],
            cwd: cwd.into(),
            env,
            stdout: stdout.into(),
            stderr: stderr.into(),
            deadline: None,
            grace: DEFAULT_GRACE,
            log_cap: None,
            overlay: None,
        }
    }

    /// The program as a path, for error messages.
    pub(crate) fn program_path(&self) -> &Path {
        Path::new(&self.program)
    }
}
