//! A scripted fake agent: the library side of the hidden `bakeoff scripted-agent --script
//! FILE [SPEC_FILE]` subcommand used by `bakeoff demo` and the integration tests.
//!
//! A script is UTF-8 text, one step per line; blank lines and `#` comments are ignored.
//! Steps edit files in the current directory (the lane's worktree), print lines, print
//! progress and usage records in a real agent CLI's output format, sleep, crash, flood
//! output, ignore SIGTERM, leave lingering children (in our group, or with `setsid` in a
//! session of their own) and run git. The whole script is parsed before any step runs, so
//! a bad script changes nothing.
//!
//! The function is synchronous on purpose: it may run in a process with no tokio runtime.

mod formats;
mod json;
mod script;
mod steps;

use std::path::{Path, PathBuf};

pub use formats::Format;

/// Why a script could not be read, parsed or carried out. The caller exits with 2.
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    /// The script file could not be read or is not UTF-8.
    #[error("cannot read script {}: {problem}", script.display())]
    Read { script: PathBuf, problem: String },
    /// A line of the script is not a valid step.
    #[error("{}:{line}: {problem}", script.display())]
    Parse {
        script: PathBuf,
        line: usize,
        problem: String,
    },
    /// A valid step failed while running (a missing file, a failing git command, ...).
    #[error("{}:{line}: step `{step}` failed: {problem}", script.display())]
    Step {
        script: PathBuf,
        line: usize,
        step: &'static str,
        problem: String,
    },
}

/// Runs the script at `script` in the current directory and returns the exit code the
/// process should end with: 0 at the end of the script, CODE for `exit CODE`, 1 for
/// `fail TEXT`. `spec_file` is the task text the agent was given, for `copy-spec`.
pub fn run(script: &Path, spec_file: Option<&Path>) -> Result<i32, ScriptError> {
    let text = std::fs::read(script).map_err(|e| ScriptError::Read {
        script: script.to_path_buf(),
        problem: e.to_string(),
    })?;
    let text = String::from_utf8(text).map_err(|_| ScriptError::Read {
        script: script.to_path_buf(),
        problem: "not valid UTF-8".to_owned(),
    })?;
    let steps = script::parse(&text).map_err(|e| ScriptError::Parse {
        script: script.to_path_buf(),
        line: e.line,
        problem: e.problem,
    })?;
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut runner = steps::Runner::new(spec_file, &steps, stdout.lock(), stderr.lock());
    runner.run_all(&steps).map_err(|e| ScriptError::Step {
        script: script.to_path_buf(),
        line: e.line,
        step: e.step,
        problem: e.problem,
    })
}

#[cfg(test)]
mod tests;
