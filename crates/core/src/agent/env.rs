//! A lane's environment: bakeoff's own environment minus every secret the lane's agent
//! does not need, plus the agent's configured extras. A lane of one lab never sees
//! another lab's key.

use std::collections::BTreeSet;

use super::kind::AdapterKind;
use super::spec::AgentSpec;

/// Secret variables known by name; anything ending in one of [`SECRET_SUFFIXES`] is a
/// secret too.
pub const KNOWN_SECRETS: &[&str] = &[
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "CLAUDE_CODE_OAUTH_TOKEN",
    "OPENAI_API_KEY",
    "CODEX_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "OPENROUTER_API_KEY",
    "DEEPSEEK_API_KEY",
    "MISTRAL_API_KEY",
    "XAI_API_KEY",
    "GROQ_API_KEY",
    "DASHSCOPE_API_KEY",
    "MOONSHOT_API_KEY",
    "ZHIPUAI_API_KEY",
    "TOGETHER_API_KEY",
    "FIREWORKS_API_KEY",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SESSION_TOKEN",
    "AZURE_OPENAI_API_KEY",
];

/// Name endings that mark a variable as a secret.
pub const SECRET_SUFFIXES: &[&str] = &[
    "_API_KEY",
    "_AUTH_TOKEN",
    "_SECRET_KEY",
    "_API_TOKEN",
    "_OAUTH_TOKEN",
];

/// True when the variable holds a credential bakeoff should not hand to every agent.
/// Names are compared ignoring ASCII case, so `openai_api_key` is a secret too.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    KNOWN_SECRETS.contains(&upper.as_str()) || SECRET_SUFFIXES.iter().any(|s| upper.ends_with(s))
}

/// The secret variables this agent may see: what its CLI reads for its own provider,
/// plus `keep_env`. Each is passed only when it is set; none is demanded.
pub fn allowed_secrets(spec: &AgentSpec) -> BTreeSet<String> {
    let mut keys: BTreeSet<String> = BTreeSet::new();
    let mut add = |names: &[&str]| keys.extend(names.iter().map(|n| n.to_string()));
    match spec.adapter {
        AdapterKind::Claude => add(&[
            "ANTHROPIC_API_KEY",
            "ANTHROPIC_AUTH_TOKEN",
            "CLAUDE_CODE_OAUTH_TOKEN",
        ]),
        AdapterKind::Codex => add(&["OPENAI_API_KEY", "CODEX_API_KEY"]),
        AdapterKind::Gemini => add(&["GEMINI_API_KEY", "GOOGLE_API_KEY"]),
        AdapterKind::Qwen => add(&["OPENAI_API_KEY", "DASHSCOPE_API_KEY"]),
        AdapterKind::Aider | AdapterKind::OpenCode => {
            add(provider_secrets(model_provider(&spec.model)));
            // aider reaches a custom endpoint as an OpenAI-compatible one.
            if spec.adapter == AdapterKind::Aider && spec.base_url.is_some() {
                add(&["OPENAI_API_KEY"]);
            }
        }
        AdapterKind::Builtin => add(&builtin_secrets(&spec.model)),
        AdapterKind::Command => {}
    }
    keys.extend(spec.keep_env.iter().cloned());
    keys
}

/// The key variables of the provider a built-in agent's `provider/model` names: the
/// built-in provider's own list, else the conventional names for that provider. A
/// provider config defines with its own `key-env` is added to `keep_env` at preflight,
/// where the config is known.
fn builtin_secrets(model: &str) -> Vec<&'static str> {
    let provider = model.split_once('/').map_or("", |(p, _)| p);
    match crate::provider::builtin(provider, &|_| None) {
        Some(spec) => provider_secrets_of(&spec.key_vars),
        None => provider_secrets(provider).to_vec(),
    }
}

/// The names in `vars` as the static names [`KNOWN_SECRETS`] spells them; the
/// built-in providers only read those.
fn provider_secrets_of(vars: &[String]) -> Vec<&'static str> {
    KNOWN_SECRETS
        .iter()
        .copied()
        .filter(|k| vars.iter().any(|v| v == k))
        .collect()
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

/// `base_env` without the secrets this agent may not see, order kept.
pub(crate) fn filter_secrets(spec: &AgentSpec, base_env: &[(String, String)]) -> Vec<(String, String)> {
    let allowed = allowed_secrets(spec);
    base_env
        .iter()
        .filter(|(name, _)| !is_secret_name(name) || allowed.contains(name))
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

    /// Every known secret set to a canary value, plus ordinary variables.
    fn canary_env() -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = vec![
            ("PATH".into(), "/usr/bin".into()),
            ("HOME".into(), "/home/u".into()),
            ("SOME_VENDOR_API_KEY".into(), "canary".into()),
            ("INTERNAL_AUTH_TOKEN".into(), "canary".into()),
            ("MY_SECRET_KEY".into(), "canary".into()),
            ("HF_API_TOKEN".into(), "canary".into()),
            ("openai_api_key".into(), "canary".into()),
            ("ZHIPU_API_KEY".into(), "canary".into()),
            ("AZURE_API_KEY".into(), "canary".into()),
        ];
        env.extend(
            KNOWN_SECRETS
                .iter()
                .map(|k| (k.to_string(), format!("canary-{k}"))),
        );
        env
    }

    fn names(env: &[(String, String)]) -> BTreeSet<String> {
        env.iter()
            .filter(|(n, _)| is_secret_name(n))
            .map(|(n, _)| n.clone())
            .collect()
    }

    fn spec(adapter: AdapterKind, model: &str) -> AgentSpec {
        AgentSpec::new(adapter, model)
    }

    #[test]
    fn each_lane_sees_only_its_own_secrets() {
        let cases: Vec<(AgentSpec, &[&str])> = vec![
            (
                spec(AdapterKind::Claude, "claude-opus-4-6"),
                &[
                    "ANTHROPIC_API_KEY",
                    "ANTHROPIC_AUTH_TOKEN",
                    "CLAUDE_CODE_OAUTH_TOKEN",
                ],
            ),
            (
                spec(AdapterKind::Codex, "gpt-5.5"),
                &["CODEX_API_KEY", "OPENAI_API_KEY"],
            ),
            (
                spec(AdapterKind::Gemini, "gemini-3-pro"),
                &["GEMINI_API_KEY", "GOOGLE_API_KEY"],
            ),
            (
                spec(AdapterKind::Qwen, "qwen3-coder-plus"),
                &["DASHSCOPE_API_KEY", "OPENAI_API_KEY"],
            ),
            (spec(AdapterKind::Aider, "openai/gpt-5.5"), &["OPENAI_API_KEY"]),
            (
                spec(AdapterKind::Aider, "anthropic/claude-sonnet-4-6"),
                &["ANTHROPIC_API_KEY"],
            ),
            (
                spec(AdapterKind::Aider, "gemini/gemini-3-pro"),
                &["GEMINI_API_KEY", "GOOGLE_API_KEY"],
            ),
            (spec(AdapterKind::Aider, "gpt-5.5"), &["OPENAI_API_KEY"]),
            (spec(AdapterKind::Aider, "sonnet"), &["ANTHROPIC_API_KEY"]),
            (spec(AdapterKind::Aider, "ollama/qwen3:32b"), &[]),
            (
                spec(AdapterKind::OpenCode, "openrouter/qwen/qwen3-coder"),
                &["OPENROUTER_API_KEY"],
            ),
            (
                spec(AdapterKind::OpenCode, "google/gemini-3-pro"),
                &["GEMINI_API_KEY", "GOOGLE_API_KEY"],
            ),
            (
                spec(AdapterKind::OpenCode, "deepseek/deepseek-chat"),
                &["DEEPSEEK_API_KEY"],
            ),
            (
                spec(AdapterKind::OpenCode, "zai/glm-4.6"),
                &["ZHIPUAI_API_KEY", "ZHIPU_API_KEY"],
            ),
            (
                spec(AdapterKind::OpenCode, "azure/gpt-5"),
                &["AZURE_API_KEY", "AZURE_OPENAI_API_KEY"],
            ),
            (
                spec(AdapterKind::OpenCode, "amazon-bedrock/claude"),
                &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"],
            ),
            (spec(AdapterKind::Command, "x"), &[]),
            (
                spec(AdapterKind::Builtin, "anthropic/claude-sonnet-4-6"),
                &["ANTHROPIC_API_KEY"],
            ),
            (spec(AdapterKind::Builtin, "openai/gpt-5.5"), &["OPENAI_API_KEY"]),
            (
                spec(AdapterKind::Builtin, "openai-responses/gpt-5.5"),
                &["OPENAI_API_KEY"],
            ),
            (
                spec(AdapterKind::Builtin, "google/gemini-3-pro"),
                &["GEMINI_API_KEY", "GOOGLE_API_KEY"],
            ),
            (
                spec(AdapterKind::Builtin, "openrouter/qwen/qwen3-coder"),
                &["OPENROUTER_API_KEY"],
            ),
            (spec(AdapterKind::Builtin, "ollama/qwen3"), &[]),
            (spec(AdapterKind::Builtin, "nope/x"), &[]),
        ];
        let base = canary_env();
        for (spec, want) in cases {
            let env = lane_env(&spec, &base);
            let want: BTreeSet<String> = want.iter().map(|s| s.to_string()).collect();
            assert_eq!(names(&env), want, "{}:{}", spec.adapter, spec.model);
            // Ordinary variables always pass.
            assert!(env.iter().any(|(n, v)| n == "PATH" && v == "/usr/bin"));
            assert!(env.iter().any(|(n, _)| n == "HOME"));
        }
    }

    #[test]
    fn keys_are_never_demanded() {
        let base = vec![("PATH".to_string(), "/bin".to_string())];
        let env = lane_env(&spec(AdapterKind::Claude, "opus"), &base);
        assert_eq!(env, base);
    }

    #[test]
    fn keep_env_and_spec_env() {
        let mut s = spec(AdapterKind::Command, "x");
        s.keep_env = vec!["MY_SECRET_KEY".into(), "NOT_SET_API_KEY".into()];
        s.env.insert("HOME".into(), "/lane/home".into());
        s.env.insert("EXTRA".into(), "1".into());
        let env = lane_env(&s, &canary_env());
        assert_eq!(names(&env), BTreeSet::from(["MY_SECRET_KEY".to_string()]));
        assert_eq!(env.iter().filter(|(n, _)| n == "HOME").count(), 1);
        assert!(env.contains(&("HOME".into(), "/lane/home".into())));
        assert!(env.contains(&("EXTRA".into(), "1".into())));
    }

    #[test]
    fn aider_with_endpoint_keeps_openai_key() {
        let mut s = spec(AdapterKind::Aider, "openai/my-local-model");
        s.base_url = Some("http://127.0.0.1:9/v1".into());
        assert!(names(&lane_env(&s, &canary_env())).contains("OPENAI_API_KEY"));
        let s = spec(AdapterKind::Aider, "ollama/x");
        assert!(!names(&lane_env(&s, &canary_env())).contains("OPENAI_API_KEY"));
    }

    #[test]
    fn secret_names() {
        let cases = [
            ("OPENAI_API_KEY", true),
            ("openai_api_key", true),
            ("AWS_ACCESS_KEY_ID", true),
            ("GITLAB_AUTH_TOKEN", true),
            ("STRIPE_SECRET_KEY", true),
            ("PATH", false),
            ("API_KEYBOARD", false),
            ("ANTHROPIC_BASE_URL", false),
            ("HOME", false),
        ];
        for (name, want) in cases {
            assert_eq!(is_secret_name(name), want, "{name}");
        }
    }

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
