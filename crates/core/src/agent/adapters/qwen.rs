//! Qwen Code (`qwen -p … --output-format json`): its headless argv, the keys it may see
//! (DashScope's and OpenAI-compatible ones), a custom endpoint through
//! `OPENAI_BASE_URL`. It prints Claude Code's messages as one JSON array, so Claude
//! Code's parser reads it.

use super::claude::ClaudeParser;
use crate::agent::adapter::Adapter;
use crate::agent::env::set_var;
use crate::agent::error::AgentError;
use crate::agent::invocation::{prompt_option, strs, Invocation, InvocationContext};
use crate::agent::output::OutputParser;
use crate::agent::spec::AgentSpec;

/// Qwen Code.
#[derive(Clone, Copy, Debug, Default)]
pub struct Qwen;

impl Adapter for Qwen {
    fn name(&self) -> &'static str {
        "qwen"
    }

    fn default_program(&self) -> Option<&'static str> {
        Some("qwen")
    }

    fn install_hint(&self) -> Option<&'static str> {
        Some("npm install -g @qwen-code/qwen-code")
    }

    fn secrets(&self, _spec: &AgentSpec) -> Vec<&'static str> {
        vec!["OPENAI_API_KEY", "DASHSCOPE_API_KEY"]
    }

    fn build(
        &self,
        spec: &AgentSpec,
        ctx: &InvocationContext,
        _resume: Option<&str>,
        inv: &mut Invocation,
    ) -> Result<(), AgentError> {
        inv.args.extend(prompt_option("-p", "--prompt", ctx.spec_text));
        inv.args
            .extend(strs(&["--output-format", "json", "--yolo", "-m", &spec.model]));
        inv.args.extend(spec.args.iter().cloned());
        if let Some(url) = &spec.base_url {
            set_var(&mut inv.env, "OPENAI_BASE_URL", url);
        }
        Ok(())
    }

    fn parser(&self) -> Box<dyn OutputParser> {
        Box::new(ClaudeParser::new())
    }

    fn cost_source(&self) -> &'static str {
        "tokens (and cost when given) from its Claude-like `result`"
    }
}

#[cfg(test)]
mod tests {
    use crate::agent::adapters::test_support::*;
    use crate::agent::{AdapterKind, AgentSpec};

    fn qwen() -> AgentSpec {
        AgentSpec::new(AdapterKind::Qwen, "qwen3-coder-plus")
    }

    #[test]
    fn invocations() {
        check_invocations(vec![
            Case {
                env_has: vec![("OPENAI_API_KEY", "sk-oai"), ("DASHSCOPE_API_KEY", "ds-key")],
                env_lacks: vec!["ANTHROPIC_API_KEY", "GEMINI_API_KEY", "OPENAI_BASE_URL"],
                ..case(
                    "qwen",
                    qwen(),
                    "qwen",
                    vec![
                        "-p",
                        SPEC,
                        "--output-format",
                        "json",
                        "--yolo",
                        "-m",
                        "qwen3-coder-plus",
                    ],
                )
            },
            Case {
                env_has: vec![("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")],
                ..case(
                    "qwen with endpoint",
                    with_url(qwen(), "http://127.0.0.1:9/v1"),
                    "qwen",
                    vec![
                        "-p",
                        SPEC,
                        "--output-format",
                        "json",
                        "--yolo",
                        "-m",
                        "qwen3-coder-plus",
                    ],
                )
            },
        ]);
    }

    #[test]
    fn invocation_errors() {
        check_invocation_errors(vec![(
            with_url(AgentSpec::new(AdapterKind::Qwen, "q"), "localhost:8080"),
            SPEC,
            None,
            "base url 'localhost:8080' is not an http",
        )]);
    }

    #[test]
    fn followups() {
        check_followups(vec![fresh("qwen starts afresh", qwen(), Some("x"))]);
    }

    #[test]
    fn secrets() {
        check_secrets(vec![(qwen(), &["DASHSCOPE_API_KEY", "OPENAI_API_KEY"])]);
    }
}
