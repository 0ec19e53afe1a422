//! Claude Code (`claude -p … --output-format stream-json`): its headless argv, the
//! Anthropic keys it may see, a custom endpoint through `ANTHROPIC_BASE_URL`, resuming
//! its session in a fix round (`--resume ID`, with a cumulative cost), and its
//! stream-json parser in [`parse`].

mod parse;
mod wire;

pub use parse::ClaudeParser;

use crate::agent::adapter::Adapter;
use crate::agent::env::set_var;
use crate::agent::error::AgentError;
use crate::agent::invocation::{dash_led, strs, Invocation, InvocationContext};
use crate::agent::output::OutputParser;
use crate::agent::spec::AgentSpec;

/// Claude Code.
#[derive(Clone, Copy, Debug, Default)]
pub struct Claude;

impl Adapter for Claude {
    fn name(&self) -> &'static str {
        "claude"
    }

    fn default_program(&self) -> Option<&'static str> {
        Some("claude")
    }

    fn install_hint(&self) -> Option<&'static str> {
        Some("npm install -g @anthropic-ai/claude-code")
    }

    fn secrets(&self, _spec: &AgentSpec) -> Vec<&'static str> {
        vec![
            "ANTHROPIC_API_KEY",
            "ANTHROPIC_AUTH_TOKEN",
            "CLAUDE_CODE_OAUTH_TOKEN",
        ]
    }

    fn build(
        &self,
        spec: &AgentSpec,
        ctx: &InvocationContext,
        resume: Option<&str>,
        inv: &mut Invocation,
    ) -> Result<(), AgentError> {
        // `-p` is a switch and the prompt is positional.
        let dash = dash_led(ctx.spec_text);
        if let Some(session) = resume {
            // Same HOME and cwd as the first run, so Claude Code finds the session's file.
            inv.args.extend(["--resume".into(), session.into()]);
        }
        inv.args.push("-p".into());
        if !dash {
            inv.args.push(ctx.spec_text.into());
        }
        inv.args.extend(strs(&[
            "--output-format",
            "stream-json",
            "--verbose",
            "--model",
            &spec.model,
            "--permission-mode",
            "bypassPermissions",
        ]));
        if let Some(cost) = ctx.max_cost_usd {
            inv.args.extend(["--max-budget-usd".into(), cost.to_string()]);
        }
        inv.args.extend(spec.args.iter().cloned());
        if dash {
            inv.args.extend(["--".into(), ctx.spec_text.into()]);
        }
        if ctx.is_root {
            // As root Claude Code refuses bypassPermissions unless told it is sandboxed.
            set_var(&mut inv.env, "IS_SANDBOX", "1");
        }
        if let Some(url) = &spec.base_url {
            set_var(&mut inv.env, "ANTHROPIC_BASE_URL", url);
            set_var(&mut inv.env, "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
        }
        Ok(())
    }

    /// Measured in docs/agent-clis.md ("Session resume").
    fn resumes(&self) -> bool {
        true
    }

    /// Claude Code's `total_cost_usd` covers the whole session (docs/agent-clis.md
    /// "Session resume").
    fn resumed_cost_is_cumulative(&self) -> bool {
        true
    }

    fn parser(&self) -> Box<dyn OutputParser> {
        Box::new(ClaudeParser::new())
    }

    fn cost_source(&self) -> &'static str {
        "cost and tokens from its final `result` event (total_cost_usd)"
    }

    fn base_url_var(&self) -> Option<&'static str> {
        Some("ANTHROPIC_BASE_URL")
    }

    fn provider_hosts(&self) -> &'static [&'static str] {
        &["api.anthropic.com:443", "console.anthropic.com:443"]
    }

    fn sign_in_files(&self) -> &'static [&'static str] {
        &[".claude/.credentials.json"]
    }
}

#[cfg(test)]
mod tests;
