//! The parser for command agents that name no output format: it reads nothing, so the
//! lane is judged by its exit code alone.

use crate::agent::output::{OutputParser, OutputStream, ParsedOutcome, Progress};

/// Ignores every line.
#[derive(Clone, Copy, Debug, Default)]
pub struct SilentParser;

impl OutputParser for SilentParser {
    fn line(&mut self, _stream: OutputStream, _line: &str) -> Option<Progress> {
        None
    }

    fn finish(&mut self) -> ParsedOutcome {
        ParsedOutcome::default()
    }
}
