//! Pointing an agent CLI at a custom endpoint (`base_url`): the variables and per-lane
//! config files each CLI reads, as measured against the real CLIs (see DESIGN.md,
//! "Agent adapters").

use std::path::{Path, PathBuf};

use serde_json::json;

use super::env::model_provider;

/// Name of the provider bakeoff declares in a lane's Codex config.
pub const CODEX_PROVIDER: &str = "bakeoff";

/// Where a lane's private Codex home lives, under the lane directory.
pub fn codex_home(lane_dir: &Path) -> PathBuf {
    lane_dir.join("codex-home")
}

/// `$CODEX_HOME/config.toml` declaring one Responses-API provider at `base_url` whose
/// key is read from `OPENAI_API_KEY`. Codex ignores `OPENAI_BASE_URL`, and rejects
/// `wire_api = "chat"`, so this is the only way in. Update checks, analytics and the
/// plugin sync are off: measured against Codex 0.169, they are its only traffic to
/// hosts other than the endpoint (see docs/agent-clis.md).
pub fn codex_config(base_url: &str) -> String {
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

/// A lane's private HOME for Gemini CLI when it talks to a custom endpoint. Measured
/// against Gemini CLI 0.61: `GEMINI_CLI_SYSTEM_SETTINGS_PATH` is ignored when any parent
/// directory is group- or world-writable (as `/tmp` is), so the settings go where the CLI
/// always reads them, `$HOME/.gemini/settings.json`, in a HOME of the lane's own. A
/// custom endpoint signs in with a key, so the user's own Gemini login is not needed.
pub fn gemini_home(lane_dir: &Path) -> PathBuf {
    lane_dir.join("gemini-home")
}

/// Where the settings file lives in that HOME.
pub fn gemini_settings_path(lane_dir: &Path) -> PathBuf {
    gemini_home(lane_dir).join(".gemini").join("settings.json")
}

/// Gemini CLI settings for a custom endpoint: API-key auth (without it the CLI exits 41),
/// and no usage statistics, telemetry or update checks (its only other traffic).
pub fn gemini_settings() -> String {
    let settings = json!({
        "security": { "auth": { "selectedType": "gemini-api-key" } },
        "privacy": { "usageStatisticsEnabled": false },
        "telemetry": { "enabled": false },
        "general": { "enableAutoUpdate": false, "enableAutoUpdateNotification": false },
    });
    format!("{settings:#}\n")
}

/// Providers OpenCode already knows (models.dev ids); for these, only the base URL
/// changes. Any other provider is declared as an OpenAI-compatible one.
const OPENCODE_KNOWN_PROVIDERS: &[&str] = &[
    "openai",
    "anthropic",
    "google",
    "openrouter",
    "deepseek",
    "mistral",
    "xai",
    "groq",
    "azure",
    "amazon-bedrock",
    "togetherai",
    "fireworks-ai",
    "zai",
    "moonshotai",
    "alibaba",
];

/// `OPENCODE_CONFIG_CONTENT` pointing the model's provider at `base_url`.
pub fn opencode_config(model: &str, base_url: &str) -> String {
    let provider = model_provider(model);
    let model_id = model.split_once('/').map_or(model, |(_, m)| m);
    let entry = if OPENCODE_KNOWN_PROVIDERS.contains(&provider) {
        json!({ "options": { "baseURL": base_url } })
    } else {
        json!({
            "npm": "@ai-sdk/openai-compatible",
            "name": provider,
            "options": { "baseURL": base_url },
            "models": { model_id: {} },
        })
    };
    json!({
        "$schema": "https://opencode.ai/config.json",
        "provider": { provider: entry },
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codex_config_is_valid_toml() {
        let text = codex_config("http://127.0.0.1:8080/v1?x=\"y\"");
        let value: toml::Value = toml::from_str(&text).unwrap();
        assert_eq!(value["model_provider"].as_str(), Some("bakeoff"));
        let p = &value["model_providers"]["bakeoff"];
        assert_eq!(p["base_url"].as_str(), Some("http://127.0.0.1:8080/v1?x=\"y\""));
        assert_eq!(p["env_key"].as_str(), Some("OPENAI_API_KEY"));
        assert_eq!(p["wire_api"].as_str(), Some("responses"));
        assert_eq!(p["name"].as_str(), Some("bakeoff"));
    }

    #[test]
    fn gemini_settings_select_api_key_auth() {
        let v: serde_json::Value = serde_json::from_str(&gemini_settings()).unwrap();
        assert_eq!(v["security"]["auth"]["selectedType"], "gemini-api-key");
    }

    #[test]
    fn opencode_config_per_provider() {
        let v: serde_json::Value =
            serde_json::from_str(&opencode_config("anthropic/claude-sonnet-4-6", "http://h/v1")).unwrap();
        assert_eq!(v["provider"]["anthropic"]["options"]["baseURL"], "http://h/v1");
        assert!(v["provider"]["anthropic"].get("npm").is_none());

        let v: serde_json::Value =
            serde_json::from_str(&opencode_config("local/qwen3:32b", "http://h/v1")).unwrap();
        let p = &v["provider"]["local"];
        assert_eq!(p["npm"], "@ai-sdk/openai-compatible");
        assert_eq!(p["options"]["baseURL"], "http://h/v1");
        assert!(p["models"].get("qwen3:32b").is_some());
    }
}
