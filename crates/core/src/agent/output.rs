//! What the runner learns from an agent's output: the live [`Progress`] while it runs
//! and the [`ParsedOutcome`] once it exits, through one [`OutputParser`] per lane, which
//! the adapter of the lane's output format provides.

use super::adapters::SilentParser;
use super::parse::Tracker;
use super::spec::AgentSpec;
use crate::vocab::Usage;

/// The parser for the agent's output format: its adapter's, or for a command agent the
/// one its `parser` names. A command agent without one is judged by its exit code alone.
pub fn parser_for(spec: &AgentSpec) -> Box<dyn OutputParser> {
    match spec.output_format() {
        Some(format) => format.adapter().parser(),
        None => Box::new(SilentParser),
    }
}

/// Which of the child's streams a line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OutputStream {
    Stdout,
    Stderr,
}

/// Reads an agent's output line by line. Implementations accept any bytes the agent
/// prints (non-JSON lines, truncated JSON, unknown events) without failing.
pub trait OutputParser: Send {
    /// One line of output, without its newline; whether it moved the progress
    /// (cumulative usage or last action).
    fn line(&mut self, stream: OutputStream, line: &str) -> bool;
    /// What the parser has made of the output so far ([`NO_PROGRESS`](super::parse::NO_PROGRESS) for a parser
    /// that reports nothing while the agent runs).
    fn tracker(&self) -> &Tracker;
    /// The cumulative usage so far: cheap, asked for on every move (the cost cap).
    fn usage(&self) -> &Usage {
        &self.tracker().usage
    }
    /// The progress so far, its last action summarised when asked: once per read of the
    /// agent's logs, not per line.
    fn progress(&self) -> Progress {
        self.tracker().progress()
    }
    /// Called once when the process has exited.
    fn finish(&mut self) -> ParsedOutcome;
    /// The error the agent reported last and has not got past yet (a connection it keeps
    /// retrying), shown on a lane that makes no progress.
    fn last_error(&self) -> Option<String> {
        None
    }
    /// Whether the parser reports progress at all. One that does not (a command agent
    /// judged by its exit code) has any line it prints count as progress instead.
    fn reports_progress(&self) -> bool {
        true
    }
}

/// Progress so far: usage is cumulative; the last action is a short, one-line summary
/// such as `Bash: cargo test` or `Edit: src/lib.rs`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Progress {
    pub usage: Usage,
    pub last_action: Option<String>,
}

/// What the agent reported by the time it exited.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParsedOutcome {
    pub usage: Usage,
    /// The id to continue the agent's session with (`claude --resume`, `codex exec resume`).
    pub session_id: Option<String>,
    pub final_message: Option<String>,
    /// An error the agent itself reported (`is_error`, `turn.failed`, …).
    pub error: Option<String>,
}
