//! aider (`aider --message …`): its headless argv, the keys of the provider its model
//! names (litellm's), a custom endpoint as an OpenAI-compatible `OPENAI_API_BASE`, and
//! its plain-text parser in [`parse`].

mod parse;

pub use parse::AiderParser;

use crate::agent::adapter::Adapter;
use crate::agent::env::{model_provider, provider_secrets, set_var};
use crate::agent::error::AgentError;
use crate::agent::invocation::{prompt_option, strs, Invocation, InvocationContext};
use crate::agent::output::OutputParser;
use crate::agent::spec::AgentSpec;

/// aider.
#[derive(Clone, Copy, Debug, Default)]
pub struct Aider;

impl Adapter for Aider {
    fn name(&self) -> &'static str {
        "aider"
    }

    fn default_program(&self) -> Option<&'static str> {
        Some("aider")
    }

    fn install_hint(&self) -> Option<&'static str> {
        Some("pipx install aider-chat")
    }

    fn secrets(&self, spec: &AgentSpec) -> Vec<&'static str> {
        let mut keys = provider_secrets(model_provider(&spec.model)).to_vec();
        // aider reaches a custom endpoint as an OpenAI-compatible one.
        if spec.base_url.is_some() {
            keys.push("OPENAI_API_KEY");
        }
        keys
    }

    fn build(
        &self,
        spec: &AgentSpec,
        ctx: &InvocationContext,
        _resume: Option<&str>,
        inv: &mut Invocation,
    ) -> Result<(), AgentError> {
        inv.args
            .extend(prompt_option("--message", "--message", ctx.spec_text));
        inv.args.extend(strs(&[
            "--model",
            &spec.model,
            "--yes-always",
            "--no-auto-commits",
            "--no-dirty-commits",
            "--analytics-disable",
            "--no-check-update",
            "--no-pretty",
        ]));
        inv.args.extend(spec.args.iter().cloned());
        if let Some(url) = &spec.base_url {
            set_var(&mut inv.env, "OPENAI_API_BASE", url);
        }
        Ok(())
    }

    fn parser(&self) -> Box<dyn OutputParser> {
        Box::new(AiderParser::new())
    }

    fn cost_source(&self) -> &'static str {
        "cost and tokens from its `Tokens: … Cost: $X session` lines"
    }
}

#[cfg(test)]
mod tests;
