//! A command agent (`command:MODEL` with `[agents.NAME] command = [...]`): any program,
//! started with the user's argv template filled in. It gets no provider key unless
//! `keep_env` names one, never resumes, and is judged by its exit code unless `parser`
//! names a CLI whose output format it prints.

use std::path::PathBuf;

use crate::agent::adapter::Adapter;
use crate::agent::error::AgentError;
use crate::agent::invocation::{substitute, utf8, Invocation, InvocationContext};
use crate::agent::locate;
use crate::agent::output::{OutputParser, OutputStream, ParsedOutcome};
use crate::agent::parse::{Tracker, NO_PROGRESS};
use crate::agent::spec::AgentSpec;

/// A command agent.
#[derive(Clone, Copy, Debug, Default)]
pub struct Command;

impl Adapter for Command {
    fn name(&self) -> &'static str {
        "command"
    }

    /// The program is the first word of the command.
    fn default_program(&self) -> Option<&'static str> {
        None
    }

    fn locate_default(&self, spec: &AgentSpec, path_env: Option<&str>) -> Result<PathBuf, AgentError> {
        let program = spec
            .command
            .first()
            .map(String::as_str)
            .filter(|p| !p.trim().is_empty())
            .ok_or(AgentError::EmptyCommand)?;
        locate::find(program, self.install_hint(), path_env)
    }

    fn secrets(&self, _spec: &AgentSpec) -> Vec<&'static str> {
        Vec::new()
    }

    /// The model is only ever substituted into the user's own argv, which may well
    /// want a flag there.
    fn check_model(&self, _model: &str) -> Result<(), AgentError> {
        Ok(())
    }

    fn build(
        &self,
        spec: &AgentSpec,
        ctx: &InvocationContext,
        _resume: Option<&str>,
        inv: &mut Invocation,
    ) -> Result<(), AgentError> {
        let spec_file = utf8(ctx.spec_file)?;
        let worktree = utf8(ctx.worktree)?;
        let fill = |template: &str| {
            substitute(template, &|name| match name {
                "spec_file" => Some(spec_file),
                "spec" => Some(ctx.spec_text),
                "model" => Some(spec.model.as_str()),
                "worktree" => Some(worktree),
                _ => None,
            })
        };
        let (first, rest) = spec.command.split_first().ok_or(AgentError::EmptyCommand)?;
        let first = fill(first);
        if first.trim().is_empty() && spec.program.is_none() {
            return Err(AgentError::EmptyCommand);
        }
        inv.program = spec.program.clone().unwrap_or(first);
        inv.args.extend(rest.iter().map(|t| fill(t)));
        inv.args.extend(spec.args.iter().cloned());
        Ok(())
    }

    /// Used only when `parser` names no other CLI's format.
    fn parser(&self) -> Box<dyn OutputParser> {
        Box::new(SilentParser)
    }

    fn example_command(&self) -> Option<&'static str> {
        Some("your argv, e.g. PROGRAM {spec_file} (also {spec}, {model}, {worktree})")
    }

    fn cost_source(&self) -> &'static str {
        "none: judged by exit code, unless `parser` names a CLI's format"
    }
}

/// The parser for command agents that name no output format: it reads nothing, so the
/// lane is judged by its exit code alone.
#[derive(Clone, Copy, Debug, Default)]
pub struct SilentParser;

impl OutputParser for SilentParser {
    fn line(&mut self, _stream: OutputStream, _line: &str) -> bool {
        false
    }

    fn tracker(&self) -> &Tracker {
        &NO_PROGRESS
    }

    fn finish(&mut self) -> ParsedOutcome {
        ParsedOutcome::default()
    }

    fn reports_progress(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use crate::agent::adapters::test_support::*;
    use crate::agent::{
        lane_env, locate_program, parser_for, AdapterKind, AgentError, AgentSpec, OutputStream,
    };

    fn cmd() -> AgentSpec {
        let mut cmd = AgentSpec::new(AdapterKind::Command, "m1");
        cmd.command = [
            "./agent.sh",
            "--task={spec_file}",
            "{spec}",
            "-m",
            "{model}",
            "--cwd",
            "{worktree}",
            "{other}",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        cmd.args = vec!["--fast".into()];
        cmd.keep_env = vec!["OPENROUTER_API_KEY".into()];
        cmd
    }

    #[test]
    fn invocations() {
        check_invocations(vec![
            Case {
                spec_text: "use {model} here",
                env_has: vec![("OPENROUTER_API_KEY", "or-key")],
                env_lacks: vec![
                    "OPENAI_API_KEY",
                    "ANTHROPIC_API_KEY",
                    "GEMINI_API_KEY",
                    "DASHSCOPE_API_KEY",
                ],
                ..case(
                    "command",
                    cmd(),
                    "./agent.sh",
                    vec![
                        "--task=/specs/task.md",
                        "use {model} here",
                        "-m",
                        "m1",
                        "--cwd",
                        "/wt/l1",
                        "{other}",
                        "--fast",
                    ],
                )
            },
            Case {
                env_has: vec![("EXTRA", "1"), ("HOME", "/lane/home")],
                ..case(
                    "command with program override and env",
                    {
                        let mut s = cmd();
                        s.program = Some("/usr/local/bin/agent".into());
                        s.env.insert("EXTRA".into(), "1".into());
                        s.env.insert("HOME".into(), "/lane/home".into());
                        s.args.clear();
                        s
                    },
                    "/usr/local/bin/agent",
                    vec![
                        "--task=/specs/task.md",
                        SPEC,
                        "-m",
                        "m1",
                        "--cwd",
                        "/wt/l1",
                        "{other}",
                    ],
                )
            },
        ]);
    }

    #[test]
    fn invocation_errors() {
        let mut empty_cmd = AgentSpec::new(AdapterKind::Command, "m");
        empty_cmd.command = vec![];
        let mut blank_cmd = AgentSpec::new(AdapterKind::Command, "m");
        blank_cmd.command = vec!["  ".into()];
        check_invocation_errors(vec![
            (empty_cmd, SPEC, None, "command agent has an empty command"),
            (blank_cmd, SPEC, None, "command agent has an empty command"),
        ]);
    }

    #[test]
    fn followups() {
        let mut cmd = AgentSpec::new(AdapterKind::Command, "m1");
        cmd.command = vec!["./agent.sh".into(), "{spec_file}".into()];
        check_followups(vec![Followup {
            args_contain: vec![PROMPT_FILE],
            ..fresh("a command agent reads the prompt file", cmd, Some("x"))
        }]);
    }

    #[test]
    fn secrets() {
        check_secrets(vec![(AgentSpec::new(AdapterKind::Command, "x"), &[])]);
    }

    #[test]
    fn keep_env_and_spec_env() {
        let mut s = AgentSpec::new(AdapterKind::Command, "x");
        s.keep_env = vec!["MY_SECRET_KEY".into(), "NOT_SET_API_KEY".into()];
        s.env.insert("HOME".into(), "/lane/home".into());
        s.env.insert("EXTRA".into(), "1".into());
        let env = lane_env(&s, &canary_env());
        assert_eq!(
            secret_names(&env),
            std::collections::BTreeSet::from(["MY_SECRET_KEY".to_string()])
        );
        assert_eq!(env.iter().filter(|(n, _)| n == "HOME").count(), 1);
        assert!(env.contains(&("HOME".into(), "/lane/home".into())));
        assert!(env.contains(&("EXTRA".into(), "1".into())));
    }

    #[test]
    fn locate() {
        let fake = fake_path();
        let path = &fake.path;
        let mut cmd = AgentSpec::new(AdapterKind::Command, "m");
        cmd.command = vec!["my-agent".into(), "{spec_file}".into()];
        assert_eq!(locate_program(&cmd, Some(path)), Ok(fake.bin2.join("my-agent")));

        let mut unknown_cmd = cmd.clone();
        unknown_cmd.command = vec!["nope".into()];
        let err = locate_program(&unknown_cmd, Some(path)).unwrap_err().to_string();
        assert_eq!(err, "agent CLI 'nope' not found on PATH (check the first word of the agent's command, or give its full path)");

        let mut empty = cmd.clone();
        empty.command = vec![];
        assert_eq!(locate_program(&empty, Some(path)), Err(AgentError::EmptyCommand));
    }

    #[test]
    fn command_without_parser_reports_nothing() {
        let mut parser = parser_for(&AgentSpec::new(AdapterKind::Command, "m"));
        let line = r#"{"type":"result","num_turns":3,"total_cost_usd":1.0}"#;
        assert!(!parser.line(OutputStream::Stdout, line));
        assert_eq!(parser.progress(), crate::agent::Progress::default());
        assert_eq!(parser.finish(), Default::default());
    }

    #[test]
    fn command_with_parser_uses_it() {
        let mut spec = AgentSpec::new(AdapterKind::Command, "m");
        spec.parser = Some(AdapterKind::Claude);
        let mut parser = parser_for(&spec);
        let line = r#"{"type":"result","num_turns":3,"total_cost_usd":1.0,"is_error":false,"result":"ok"}"#;
        assert!(parser.line(OutputStream::Stdout, line));
        assert_eq!(parser.usage().turns, Some(3));
        assert_eq!(parser.progress().usage.turns, Some(3));
        assert_eq!(parser.finish().final_message.as_deref(), Some("ok"));
    }
}
