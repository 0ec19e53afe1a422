//! Codex CLI (`codex exec --json`): its headless argv, the OpenAI keys it may see, a
//! custom endpoint through a per-lane `CODEX_HOME/config.toml`, resuming its thread in a
//! fix round (`codex exec … resume ID`), and its JSON-lines parser in [`parse`].

mod parse;

use std::path::{Path, PathBuf};

pub use parse::CodexParser;

use crate::agent::adapter::Adapter;
use crate::agent::env::set_var;
use crate::agent::error::AgentError;
use crate::agent::invocation::{dash_led, strs, Invocation, InvocationContext};
use crate::agent::output::OutputParser;
use crate::agent::spec::AgentSpec;

/// Codex CLI.
#[derive(Clone, Copy, Debug, Default)]
pub struct Codex;

impl Adapter for Codex {
    fn name(&self) -> &'static str {
        "codex"
    }

    fn default_program(&self) -> Option<&'static str> {
        Some("codex")
    }

    fn install_hint(&self) -> Option<&'static str> {
        Some("npm install -g @openai/codex")
    }

    fn secrets(&self, _spec: &AgentSpec) -> Vec<&'static str> {
        vec!["OPENAI_API_KEY", "CODEX_API_KEY"]
    }

    fn build(
        &self,
        spec: &AgentSpec,
        ctx: &InvocationContext,
        resume: Option<&str>,
        inv: &mut Invocation,
    ) -> Result<(), AgentError> {
        inv.args.extend(strs(&[
            "exec",
            "--json",
            "-m",
            &spec.model,
            "-s",
            "workspace-write",
            "--skip-git-repo-check",
        ]));
        if let Some(thread) = resume {
            // `exec resume` has no `-s` of its own: every exec flag, the configured ones
            // too, goes before `resume`.
            inv.args.extend(spec.args.iter().cloned());
            inv.args.extend(["resume".into(), thread.into()]);
            if dash_led(ctx.spec_text) {
                inv.args.push("--".into());
            }
            inv.args.push(ctx.spec_text.into());
        } else if dash_led(ctx.spec_text) {
            inv.args.extend(spec.args.iter().cloned());
            inv.args.extend(["--".into(), ctx.spec_text.into()]);
        } else {
            inv.args.push(ctx.spec_text.into());
            inv.args.extend(spec.args.iter().cloned());
        }
        // Codex itself ignores OPENAI_BASE_URL (it would keep retrying api.openai.com), so
        // the endpoint (`base-url`, or that variable: `base_url_var`) goes in its config.
        if let Some(url) = &spec.base_url {
            let home = codex_home(ctx.lane_dir);
            inv.files.push((home.join("config.toml"), codex_config(url)));
            set_var(&mut inv.env, "CODEX_HOME", &home.to_string_lossy());
        }
        Ok(())
    }

    /// Measured in docs/agent-clis.md ("Session resume"). A resumed run reports the
    /// tokens of that run alone.
    fn resumes(&self) -> bool {
        true
    }

    fn parser(&self) -> Box<dyn OutputParser> {
        Box::new(CodexParser::new())
    }

    fn cost_source(&self) -> &'static str {
        "tokens from `turn.completed`; Codex reports no cost"
    }

    fn base_url_var(&self) -> Option<&'static str> {
        Some("OPENAI_BASE_URL")
    }

    fn provider_hosts(&self) -> &'static [&'static str] {
        &["api.openai.com:443", "chatgpt.com:443", "auth.openai.com:443"]
    }

    fn sign_in_files(&self) -> &'static [&'static str] {
        &[".codex/auth.json"]
    }
}

/// Name of the provider bakeoff declares in a lane's Codex config.
const CODEX_PROVIDER: &str = "bakeoff";

/// Where a lane's private Codex home lives, under the lane directory.
fn codex_home(lane_dir: &Path) -> PathBuf {
    lane_dir.join("codex-home")
}

/// `$CODEX_HOME/config.toml` declaring one Responses-API provider at `base_url` whose
/// key is read from `OPENAI_API_KEY`. Codex ignores `OPENAI_BASE_URL`, and rejects
/// `wire_api = "chat"`, so this is the only way in. Update checks, analytics and the
/// plugin sync are off: measured against Codex 0.169, they are its only traffic to
/// hosts other than the endpoint (see docs/agent-clis.md).
fn codex_config(base_url: &str) -> String {
    let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
    format!(
        "# Written by bakeoff for one lane (format 1); deleted with the lane.\n\
         model_provider = {provider}\n\
         check_for_update_on_startup = false\n\
         \n\
         [features]\n\
         plugins = false\n\
         remote_plugin = false\n\
         \n\
         [analytics]\n\
         enabled = false\n\
         \n\
         [model_providers.{CODEX_PROVIDER}]\n\
         name = {provider}\n\
         base_url = {url}\n\
         env_key = \"OPENAI_API_KEY\"\n\
         wire_api = \"responses\"\n",
        provider = quote(CODEX_PROVIDER),
        url = quote(base_url),
    )
}

#[cfg(test)]
mod tests;
