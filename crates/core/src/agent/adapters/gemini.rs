//! Gemini CLI (`gemini -p … --output-format json`): its headless argv, the Google keys
//! it may see, a custom endpoint through `GOOGLE_GEMINI_BASE_URL` and a per-lane HOME
//! holding its settings, and its end-of-run JSON parser in [`parse`].

mod parse;
mod report;

use std::path::{Path, PathBuf};

use serde_json::json;

pub use parse::GeminiParser;

use crate::agent::adapter::Adapter;
use crate::agent::env::{env_value, set_var};
use crate::agent::error::AgentError;
use crate::agent::invocation::{prompt_option, strs, Invocation, InvocationContext};
use crate::agent::output::OutputParser;
use crate::agent::spec::AgentSpec;

/// Gemini CLI.
#[derive(Clone, Copy, Debug, Default)]
pub struct Gemini;

impl Adapter for Gemini {
    fn name(&self) -> &'static str {
        "gemini"
    }

    fn default_program(&self) -> Option<&'static str> {
        Some("gemini")
    }

    fn install_hint(&self) -> Option<&'static str> {
        Some("npm install -g @google/gemini-cli")
    }

    fn secrets(&self, _spec: &AgentSpec) -> Vec<&'static str> {
        vec!["GEMINI_API_KEY", "GOOGLE_API_KEY"]
    }

    /// Gemini CLI can resume a session too (docs/agent-clis.md), but this adapter is not
    /// wired for it yet: a fix round starts afresh.
    fn build(
        &self,
        spec: &AgentSpec,
        ctx: &InvocationContext,
        _resume: Option<&str>,
        inv: &mut Invocation,
    ) -> Result<(), AgentError> {
        inv.args.extend(prompt_option("-p", "--prompt", ctx.spec_text));
        inv.args
            .extend(strs(&["-m", &spec.model, "--output-format", "json", "--yolo"]));
        inv.args.extend(spec.args.iter().cloned());
        // bakeoff created the worktree, so it is trusted; without this a user who turned
        // on folder trust would see the headless run refuse to work in it.
        set_var(&mut inv.env, "GEMINI_CLI_TRUST_WORKSPACE", "true");
        let url = spec.base_url.clone();
        // With a key but no login of the user's own, Gemini CLI exits 41 ("Invalid auth
        // method selected") unless its settings select API-key sign-in.
        let key_only =
            url.is_none() && env_value(&inv.env, "GEMINI_API_KEY").is_some() && !signed_in(&inv.env);
        if let Some(url) = &url {
            set_var(&mut inv.env, "GOOGLE_GEMINI_BASE_URL", url);
        }
        if url.is_some() || key_only {
            let home = gemini_home(ctx.lane_dir);
            set_var(&mut inv.env, "HOME", &home.to_string_lossy());
            // Its error reports go to $TMPDIR; keep them with the lane.
            set_var(&mut inv.env, "TMPDIR", &home.to_string_lossy());
            inv.files
                .push((gemini_settings_path(ctx.lane_dir), gemini_settings()));
        }
        Ok(())
    }

    fn parser(&self) -> Box<dyn OutputParser> {
        Box::new(GeminiParser::new())
    }

    fn cost_source(&self) -> &'static str {
        "tokens per model from `stats`; Gemini CLI reports no cost"
    }

    fn base_url_var(&self) -> Option<&'static str> {
        Some("GOOGLE_GEMINI_BASE_URL")
    }

    fn provider_hosts(&self) -> &'static [&'static str] {
        &[
            "generativelanguage.googleapis.com:443",
            "cloudcode-pa.googleapis.com:443",
            "oauth2.googleapis.com:443",
        ]
    }

    fn sign_in_files(&self) -> &'static [&'static str] {
        &[
            ".gemini/oauth_creds.json",
            ".gemini/google_accounts.json",
            ".gemini/settings.json",
        ]
    }
}

/// Whether the user's own Gemini CLI settings choose a way to sign in.
fn signed_in(env: &[(String, String)]) -> bool {
    let Some(home) = env_value(env, "HOME") else {
        return false;
    };
    let settings = Path::new(&home).join(".gemini").join("settings.json");
    std::fs::read(&settings)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .is_some_and(|v| v["security"]["auth"]["selectedType"].is_string())
}

/// A lane's private HOME for Gemini CLI when it talks to a custom endpoint. Measured
/// against Gemini CLI 0.61: `GEMINI_CLI_SYSTEM_SETTINGS_PATH` is ignored when any parent
/// directory is group- or world-writable (as `/tmp` is), so the settings go where the CLI
/// always reads them, `$HOME/.gemini/settings.json`, in a HOME of the lane's own. A
/// custom endpoint signs in with a key, so the user's own Gemini login is not needed.
fn gemini_home(lane_dir: &Path) -> PathBuf {
    lane_dir.join("gemini-home")
}

/// Where the settings file lives in that HOME.
fn gemini_settings_path(lane_dir: &Path) -> PathBuf {
    gemini_home(lane_dir).join(".gemini").join("settings.json")
}

/// Gemini CLI settings for a custom endpoint: API-key auth (without it the CLI exits 41),
/// and no usage statistics, telemetry or update checks (its only other traffic).
fn gemini_settings() -> String {
    let settings = json!({
        "security": { "auth": { "selectedType": "gemini-api-key" } },
        "privacy": { "usageStatisticsEnabled": false },
        "telemetry": { "enabled": false },
        "general": { "enableAutoUpdate": false, "enableAutoUpdateNotification": false },
    });
    format!("{settings:#}\n")
}

#[cfg(test)]
mod tests;
