//! A lane's environment: bakeoff's own environment minus every secret the lane's agent
//! does not need (its adapter names the ones it does), plus the agent's configured
//! extras. A lane of one lab never sees another lab's key. The per-adapter tables of
//! which lane sees which key live with the adapters.

use std::collections::BTreeSet;

use super::spec::AgentSpec;
use crate::secret::{is_secret_name, is_token_shaped};

/// The secret variables this agent may see: what its CLI reads for its own provider,
/// plus `keep_env`. Each is passed only when it is set; none is demanded.
pub fn allowed_secrets(spec: &AgentSpec) -> BTreeSet<String> {
    let secrets = spec.adapter.adapter().secrets(spec);
    let mut keys: BTreeSet<String> = secrets.into_iter().map(str::to_string).collect();
    keys.extend(spec.keep_env.iter().cloned());
    keys
}

/// The provider an aider or OpenCode model id names: the part before the first `/`,
/// else a guess from well-known model families (`gpt-5.5` → `openai`).
pub fn model_provider(model: &str) -> &str {
    if let Some((provider, _)) = model.split_once('/') {
        return provider;
    }
    let lower = model.to_ascii_lowercase();
    let starts = |prefixes: &[&str]| prefixes.iter().any(|p| lower.starts_with(p));
    if starts(&["gpt-", "o1", "o3", "o4", "chatgpt", "codex"]) {
        "openai"
    } else if starts(&["claude", "sonnet", "opus", "haiku"]) {
        "anthropic"
    } else if starts(&["gemini"]) {
        "gemini"
    } else if starts(&["deepseek"]) {
        "deepseek"
    } else if starts(&["grok"]) {
        "xai"
    } else {
        ""
    }
}

/// The key variables the provider's SDKs read (the names litellm, used by aider, and
/// OpenCode's providers look for).
pub fn provider_secrets(provider: &str) -> &'static [&'static str] {
    match provider.to_ascii_lowercase().as_str() {
        "openai" => &["OPENAI_API_KEY"],
        "anthropic" => &["ANTHROPIC_API_KEY"],
        "gemini" | "google" => &["GEMINI_API_KEY", "GOOGLE_API_KEY"],
        "openrouter" => &["OPENROUTER_API_KEY"],
        "deepseek" => &["DEEPSEEK_API_KEY"],
        "mistral" => &["MISTRAL_API_KEY"],
        "xai" => &["XAI_API_KEY"],
        "groq" => &["GROQ_API_KEY"],
        "dashscope" | "alibaba" => &["DASHSCOPE_API_KEY"],
        "moonshot" | "moonshotai" => &["MOONSHOT_API_KEY"],
        "zhipuai" | "zhipu" | "zai" => &["ZHIPUAI_API_KEY", "ZHIPU_API_KEY"],
        "together" | "togetherai" | "together_ai" => &["TOGETHER_API_KEY", "TOGETHERAI_API_KEY"],
        "fireworks" | "fireworks_ai" | "fireworks-ai" => &["FIREWORKS_API_KEY", "FIREWORKS_AI_API_KEY"],
        "azure" => &["AZURE_OPENAI_API_KEY", "AZURE_API_KEY"],
        "bedrock" | "amazon-bedrock" => &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"],
        _ => &[],
    }
}

/// `base_env` without the secrets this agent may not see, order kept: variables named
/// like secrets, and any whose value is shaped like a well-known token whatever its name.
pub(crate) fn filter_secrets(spec: &AgentSpec, base_env: &[(String, String)]) -> Vec<(String, String)> {
    let allowed = allowed_secrets(spec);
    base_env
        .iter()
        .filter(|(name, value)| !(is_secret_name(name) || is_token_shaped(value)) || allowed.contains(name))
        .cloned()
        .collect()
}

/// The lane's environment before adapter-specific variables: `base_env` with every
/// secret the agent does not need removed, then `spec.env` applied on top.
pub fn lane_env(spec: &AgentSpec, base_env: &[(String, String)]) -> Vec<(String, String)> {
    let mut env = filter_secrets(spec, base_env);
    for (name, value) in &spec.env {
        set_var(&mut env, name, value);
    }
    env
}

/// The value of `name` in `env`, when set and not empty.
pub(crate) fn env_value(env: &[(String, String)], name: &str) -> Option<String> {
    env.iter()
        .rev()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
        .filter(|v| !v.is_empty())
}

/// Sets `name` in place (dropping any duplicates), or appends it.
pub(crate) fn set_var(env: &mut Vec<(String, String)>, name: &str, value: &str) {
    let mut seen = false;
    env.retain_mut(|(n, v)| {
        if n != name {
            return true;
        }
        if seen {
            return false;
        }
        seen = true;
        *v = value.to_string();
        true
    });
    if !seen {
        env.push((name.to_string(), value.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_var_replaces_and_dedups() {
        let mut env = vec![
            ("A".to_string(), "1".to_string()),
            ("B".to_string(), "2".to_string()),
            ("A".to_string(), "3".to_string()),
        ];
        set_var(&mut env, "A", "9");
        set_var(&mut env, "C", "4");
        let want: Vec<(String, String)> = [("A", "9"), ("B", "2"), ("C", "4")]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(env, want);
    }
}
