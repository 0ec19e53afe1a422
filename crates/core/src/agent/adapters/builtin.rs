//! The built-in agent as a lane sees it (`builtin:provider/model`): bakeoff's own
//! executable started as `bakeoff builtin-agent …`, the keys of the provider its model
//! names, and its JSON-lines [`transcript`] with the parser that reads it. The loop
//! itself is the child process's business, in the top-level `builtin_agent` module.

mod parse;
pub mod transcript;

use std::path::PathBuf;

pub use parse::BuiltinParser;

use crate::agent::adapter::{not_a_flag, Adapter};
use crate::agent::env::provider_secrets;
use crate::agent::error::AgentError;
use crate::agent::invocation::{strs, utf8, Invocation, InvocationContext};
use crate::agent::locate::current_exe;
use crate::agent::output::OutputParser;
use crate::agent::spec::AgentSpec;
use crate::provider::ModelRef;
use crate::secret::KNOWN_SECRETS;

/// The built-in agent.
#[derive(Clone, Copy, Debug, Default)]
pub struct Builtin;

impl Adapter for Builtin {
    fn name(&self) -> &'static str {
        "builtin"
    }

    /// The program is bakeoff itself.
    fn default_program(&self) -> Option<&'static str> {
        None
    }

    fn locate_default(&self, _spec: &AgentSpec, _path_env: Option<&str>) -> Result<PathBuf, AgentError> {
        current_exe()
    }

    /// The key variables of the provider the `provider/model` names: the built-in
    /// provider's own list, else the conventional names for that provider. A provider
    /// config defines with its own `key-env` is added to `keep_env` at preflight, where
    /// the config is known.
    fn secrets(&self, spec: &AgentSpec) -> Vec<&'static str> {
        let provider = spec.model.split_once('/').map_or("", |(p, _)| p);
        match crate::provider::builtin(provider, &|_| None) {
            Some(provider) => known_secrets(&provider.key_vars),
            None => provider_secrets(provider).to_vec(),
        }
    }

    fn check_model(&self, model: &str) -> Result<(), AgentError> {
        if ModelRef::parse(model).is_err() {
            return Err(AgentError::BadModel {
                adapter: "builtin",
                model: model.to_string(),
                expected: "provider/model",
                example: "anthropic/claude-sonnet-4-6",
            });
        }
        not_a_flag(self.name(), model)
    }

    /// bakeoff itself, as `bakeoff builtin-agent …` in the worktree. The agent loads the
    /// same config layers as the race (the user's file, the repository's, `--config`), so
    /// provider overrides reach it. It reads its task from the spec file, so a fix round
    /// starts afresh with a prompt file.
    fn build(
        &self,
        spec: &AgentSpec,
        ctx: &InvocationContext,
        _resume: Option<&str>,
        inv: &mut Invocation,
    ) -> Result<(), AgentError> {
        inv.program = match (&spec.program, ctx.bakeoff_exe) {
            (Some(program), _) => program.clone(),
            (None, Some(exe)) => utf8(exe)?.to_string(),
            (None, None) => utf8(&current_exe()?)?.to_string(),
        };
        inv.args.extend(strs(&[
            "builtin-agent",
            "--model",
            &spec.model,
            "--spec-file",
            utf8(ctx.spec_file)?,
        ]));
        if let Some(top) = ctx.repo_top {
            inv.args.extend(["--repo".into(), utf8(top)?.to_string()]);
        }
        if let Some(file) = ctx.config_file {
            inv.args.extend(["--config".into(), utf8(file)?.to_string()]);
        }
        if let Some(url) = &spec.base_url {
            inv.args.extend(["--base-url".into(), url.clone()]);
        }
        if let Some(cost) = ctx.max_cost_usd {
            inv.args.extend(["--max-cost".into(), cost.to_string()]);
        }
        // Later flags win, so the agent's configured args override the ones above.
        inv.args.extend(spec.args.iter().cloned());
        Ok(())
    }

    fn parser(&self) -> Box<dyn OutputParser> {
        Box::new(BuiltinParser::new())
    }

    fn example_model(&self) -> &'static str {
        "PROVIDER/MODEL"
    }

    fn cost_source(&self) -> &'static str {
        "cost and tokens of every model reply, priced by bakeoff's own table"
    }
}

/// The names in `vars` as the static names [`KNOWN_SECRETS`] spells them; the
/// built-in providers only read those.
fn known_secrets(vars: &[String]) -> Vec<&'static str> {
    KNOWN_SECRETS
        .iter()
        .copied()
        .filter(|k| vars.iter().any(|v| v == k))
        .collect()
}

#[cfg(test)]
mod tests;
