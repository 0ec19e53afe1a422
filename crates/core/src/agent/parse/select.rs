//! Which parser reads a lane's output.

use super::{
    AiderParser, BuiltinParser, ClaudeParser, CodexParser, GeminiParser, OpenCodeParser, SilentParser,
};
use crate::agent::kind::AdapterKind;
use crate::agent::output::OutputParser;
use crate::agent::spec::AgentSpec;

/// The parser for the agent's output format. Qwen Code prints Claude Code's format, the
/// built-in agent its own events; a command agent without a `parser` is judged by its
/// exit code alone.
pub fn parser_for(spec: &AgentSpec) -> Box<dyn OutputParser> {
    match spec.output_format() {
        Some(AdapterKind::Claude | AdapterKind::Qwen) => Box::new(ClaudeParser::new()),
        Some(AdapterKind::Codex) => Box::new(CodexParser::new()),
        Some(AdapterKind::Gemini) => Box::new(GeminiParser::new()),
        Some(AdapterKind::Aider) => Box::new(AiderParser::new()),
        Some(AdapterKind::OpenCode) => Box::new(OpenCodeParser::new()),
        Some(AdapterKind::Builtin) => Box::new(BuiltinParser::new()),
        Some(AdapterKind::Command) | None => Box::new(SilentParser),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::output::OutputStream;

    #[test]
    fn command_without_parser_reports_nothing() {
        let mut parser = parser_for(&AgentSpec::new(AdapterKind::Command, "m"));
        let line = r#"{"type":"result","num_turns":3,"total_cost_usd":1.0}"#;
        assert_eq!(parser.line(OutputStream::Stdout, line), None);
        assert_eq!(parser.finish(), Default::default());
    }

    #[test]
    fn command_with_parser_uses_it() {
        let mut spec = AgentSpec::new(AdapterKind::Command, "m");
        spec.parser = Some(AdapterKind::Claude);
        let mut parser = parser_for(&spec);
        let line = r#"{"type":"result","num_turns":3,"total_cost_usd":1.0,"is_error":false,"result":"ok"}"#;
        let progress = parser.line(OutputStream::Stdout, line).unwrap();
        assert_eq!(progress.usage.turns, Some(3));
        assert_eq!(parser.finish().final_message.as_deref(), Some("ok"));
    }
}
