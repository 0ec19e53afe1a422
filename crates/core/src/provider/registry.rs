//! The providers bakeoff knows: each one's wire format, base URL and key variables, from
//! the built-in list and the conventional environment variables, with config-defined
//! providers and per-provider overrides on top. The environment is read through an
//! injected lookup so tests never touch the process environment.

use std::fmt;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::error::ProviderError;
use super::key::ApiKey;

/// The HTTP protocol a provider speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WireFormat {
    /// Anthropic Messages (`/v1/messages`).
    Anthropic,
    /// OpenAI Chat Completions (`/chat/completions`), also spoken by most compatible
    /// services.
    #[serde(rename = "openai-chat")]
    OpenAiChat,
    /// OpenAI Responses (`/responses`).
    #[serde(rename = "openai-responses")]
    OpenAiResponses,
    /// Gemini `generateContent`.
    Gemini,
}

impl WireFormat {
    /// The format's name as config writes it.
    pub fn name(self) -> &'static str {
        match self {
            WireFormat::Anthropic => "anthropic",
            WireFormat::OpenAiChat => "openai-chat",
            WireFormat::OpenAiResponses => "openai-responses",
            WireFormat::Gemini => "gemini",
        }
    }
}

impl fmt::Display for WireFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One provider: where it is, what it speaks, where its key comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderSpec {
    pub name: String,
    pub format: WireFormat,
    /// Without a trailing slash; the format appends its own path.
    pub base_url: String,
    /// Environment variables holding the key, tried in order.
    pub key_vars: Vec<String>,
    /// A provider that works without a key (a local server).
    pub key_optional: bool,
    /// Chat format only: send `max_tokens` (what OpenAI-compatible services accept)
    /// instead of OpenAI's own `max_completion_tokens` (which its reasoning models
    /// require).
    pub legacy_max_tokens: bool,
}

/// Config's changes to one provider, or the definition of a new one. For a new
/// provider `format` and `base_url` are required; without `key_env` it needs no key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ProviderOverride {
    pub format: Option<WireFormat>,
    pub base_url: Option<String>,
    pub key_env: Option<String>,
}

/// Reads one environment variable; empty values count as unset.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

fn var(env: EnvLookup<'_>, name: &str) -> Option<String> {
    env(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// The names of the built-in providers, in the order they are listed to users.
pub const BUILTIN_PROVIDERS: &[&str] = &[
    "anthropic",
    "openai",
    "openai-responses",
    "google",
    "gemini",
    "openrouter",
    "ollama",
    "deepseek",
    "mistral",
    "xai",
];

fn trim_url(url: &str) -> String {
    url.trim().trim_end_matches('/').to_string()
}

/// `OLLAMA_HOST` is a server bind address (`0.0.0.0:11434`, `localhost`, or a URL); turn
/// it into the base of Ollama's OpenAI-compatible API.
fn ollama_base(host: Option<String>) -> String {
    let host = host.unwrap_or_else(|| "http://127.0.0.1:11434".to_string());
    let with_scheme = if host.contains("://") {
        host
    } else {
        format!("http://{host}")
    };
    let (scheme, rest) = with_scheme.split_once("://").unwrap_or(("http", ""));
    let rest = rest.trim_end_matches('/');
    let rest = rest
        .strip_prefix("0.0.0.0")
        .map_or(rest.to_string(), |port| format!("127.0.0.1{port}"));
    // Ollama's own rule: a host without a port is on 11434, unless it is https.
    let rest = if rest.contains(':') || rest.contains('/') || scheme == "https" {
        rest
    } else {
        format!("{rest}:11434")
    };
    format!("{scheme}://{rest}/v1")
}

/// A built-in provider, with base URL and key variables from `env`; `None` when `name`
/// is not built in.
pub fn builtin(name: &str, env: EnvLookup<'_>) -> Option<ProviderSpec> {
    let spec = |format, base: String, keys: &[&str], legacy_max_tokens| ProviderSpec {
        name: name.to_string(),
        format,
        base_url: trim_url(&base),
        key_vars: keys.iter().map(|k| k.to_string()).collect(),
        key_optional: keys.is_empty(),
        legacy_max_tokens,
    };
    let openai_base = || var(env, "OPENAI_BASE_URL").unwrap_or_else(|| "https://api.openai.com/v1".into());
    Some(match name {
        "anthropic" => spec(
            WireFormat::Anthropic,
            var(env, "ANTHROPIC_BASE_URL").unwrap_or_else(|| "https://api.anthropic.com".into()),
            &["ANTHROPIC_API_KEY"],
            false,
        ),
        "openai" => spec(WireFormat::OpenAiChat, openai_base(), &["OPENAI_API_KEY"], false),
        "openai-responses" => spec(
            WireFormat::OpenAiResponses,
            openai_base(),
            &["OPENAI_API_KEY"],
            false,
        ),
        "google" | "gemini" => spec(
            WireFormat::Gemini,
            var(env, "GOOGLE_GEMINI_BASE_URL")
                .unwrap_or_else(|| "https://generativelanguage.googleapis.com".into()),
            &["GEMINI_API_KEY", "GOOGLE_API_KEY"],
            false,
        ),
        "openrouter" => spec(
            WireFormat::OpenAiChat,
            "https://openrouter.ai/api/v1".into(),
            &["OPENROUTER_API_KEY"],
            true,
        ),
        "ollama" => spec(
            WireFormat::OpenAiChat,
            ollama_base(var(env, "OLLAMA_HOST")),
            &[],
            true,
        ),
        "deepseek" => spec(
            WireFormat::OpenAiChat,
            "https://api.deepseek.com".into(),
            &["DEEPSEEK_API_KEY"],
            true,
        ),
        "mistral" => spec(
            WireFormat::OpenAiChat,
            "https://api.mistral.ai/v1".into(),
            &["MISTRAL_API_KEY"],
            true,
        ),
        "xai" => spec(
            WireFormat::OpenAiChat,
            "https://api.x.ai/v1".into(),
            &["XAI_API_KEY"],
            true,
        ),
        _ => return None,
    })
}

/// The key for `spec` from the first of its variables that is set. `Ok(None)` only for a
/// provider whose key is optional.
pub fn resolve_key(spec: &ProviderSpec, env: EnvLookup<'_>) -> Result<Option<ApiKey>, ProviderError> {
    match spec.key_vars.iter().find_map(|name| var(env, name)) {
        Some(secret) => Ok(Some(ApiKey::new(secret))),
        None if spec.key_optional => Ok(None),
        None => Err(ProviderError::MissingKey {
            provider: spec.name.clone(),
            vars: spec.key_vars.clone(),
        }),
    }
}

/// Every provider bakeoff can call in this run: the built-ins with config overrides
/// applied, plus the providers config defines.
#[derive(Clone, Debug)]
pub struct ProviderRegistry {
    specs: IndexMap<String, ProviderSpec>,
}

impl ProviderRegistry {
    /// The built-ins read from `env`, then `overrides` (provider name → changes) applied.
    pub fn new(
        env: EnvLookup<'_>,
        overrides: &IndexMap<String, ProviderOverride>,
    ) -> Result<ProviderRegistry, ProviderError> {
        let mut specs: IndexMap<String, ProviderSpec> = BUILTIN_PROVIDERS
            .iter()
            .filter_map(|name| builtin(name, env).map(|spec| (name.to_string(), spec)))
            .collect();
        for (name, change) in overrides {
            let spec = match specs.get(name) {
                Some(existing) => apply(existing.clone(), change),
                None => define(name, change)?,
            };
            if spec.base_url.is_empty() {
                return Err(ProviderError::BadProviderConfig {
                    provider: name.clone(),
                    reason: "base-url is empty".into(),
                });
            }
            specs.insert(name.clone(), spec);
        }
        Ok(ProviderRegistry { specs })
    }

    /// The provider called `name`.
    pub fn get(&self, name: &str) -> Option<&ProviderSpec> {
        self.specs.get(name)
    }

    /// Provider names, built-ins first.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.specs.keys().map(String::as_str)
    }

    /// Parses `input` as `provider/model` and checks the provider exists.
    pub fn model_ref(&self, input: &str) -> Result<super::ModelRef, ProviderError> {
        let known = || self.names().collect::<Vec<_>>().join(", ");
        let parsed = super::ModelRef::parse_with(input, &known)?;
        if self.specs.contains_key(&parsed.provider) {
            Ok(parsed)
        } else {
            Err(ProviderError::UnknownProvider {
                input: input.to_string(),
                provider: parsed.provider,
                known: known(),
            })
        }
    }
}

fn apply(mut spec: ProviderSpec, change: &ProviderOverride) -> ProviderSpec {
    if let Some(format) = change.format {
        spec.format = format;
    }
    if let Some(url) = &change.base_url {
        spec.base_url = trim_url(url);
    }
    if let Some(var) = &change.key_env {
        spec.key_vars = vec![var.clone()];
        spec.key_optional = false;
    }
    spec
}

fn define(name: &str, change: &ProviderOverride) -> Result<ProviderSpec, ProviderError> {
    let missing = |what: &str| ProviderError::BadProviderConfig {
        provider: name.to_string(),
        reason: format!(
            "a new provider needs `{what}` (formats: anthropic, openai-chat, openai-responses, gemini)"
        ),
    };
    let format = change.format.ok_or_else(|| missing("format"))?;
    let base_url = change.base_url.as_deref().ok_or_else(|| missing("base-url"))?;
    Ok(ProviderSpec {
        name: name.to_string(),
        format,
        base_url: trim_url(base_url),
        key_vars: change.key_env.iter().cloned().collect(),
        key_optional: change.key_env.is_none(),
        legacy_max_tokens: format == WireFormat::OpenAiChat,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn formats_are_spelled_in_config_as_their_names() {
        for format in [
            WireFormat::Anthropic,
            WireFormat::OpenAiChat,
            WireFormat::OpenAiResponses,
            WireFormat::Gemini,
        ] {
            let text = format!("format = \"{}\"", format.name());
            let parsed: ProviderOverride = toml::from_str(&text).unwrap();
            assert_eq!(parsed.format, Some(format));
        }
    }

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn builtins_default_and_env_bases() {
        let empty = env_of(&[]);
        let cases: &[(&str, WireFormat, &str, &[&str])] = &[
            (
                "anthropic",
                WireFormat::Anthropic,
                "https://api.anthropic.com",
                &["ANTHROPIC_API_KEY"],
            ),
            (
                "openai",
                WireFormat::OpenAiChat,
                "https://api.openai.com/v1",
                &["OPENAI_API_KEY"],
            ),
            (
                "openai-responses",
                WireFormat::OpenAiResponses,
                "https://api.openai.com/v1",
                &["OPENAI_API_KEY"],
            ),
            (
                "google",
                WireFormat::Gemini,
                "https://generativelanguage.googleapis.com",
                &["GEMINI_API_KEY", "GOOGLE_API_KEY"],
            ),
            (
                "gemini",
                WireFormat::Gemini,
                "https://generativelanguage.googleapis.com",
                &["GEMINI_API_KEY", "GOOGLE_API_KEY"],
            ),
            (
                "openrouter",
                WireFormat::OpenAiChat,
                "https://openrouter.ai/api/v1",
                &["OPENROUTER_API_KEY"],
            ),
            ("ollama", WireFormat::OpenAiChat, "http://127.0.0.1:11434/v1", &[]),
            (
                "deepseek",
                WireFormat::OpenAiChat,
                "https://api.deepseek.com",
                &["DEEPSEEK_API_KEY"],
            ),
            (
                "mistral",
                WireFormat::OpenAiChat,
                "https://api.mistral.ai/v1",
                &["MISTRAL_API_KEY"],
            ),
            (
                "xai",
                WireFormat::OpenAiChat,
                "https://api.x.ai/v1",
                &["XAI_API_KEY"],
            ),
        ];
        for (name, format, base, keys) in cases {
            let spec = builtin(name, &empty).unwrap();
            assert_eq!((spec.format, spec.base_url.as_str()), (*format, *base), "{name}");
            assert_eq!(spec.key_vars, *keys, "{name}");
            assert_eq!(spec.key_optional, keys.is_empty(), "{name}");
        }
        assert!(builtin("nope", &empty).is_none());

        let env = env_of(&[
            ("ANTHROPIC_BASE_URL", "http://127.0.0.1:9/"),
            ("OPENAI_BASE_URL", "http://127.0.0.1:8/v1"),
            ("GOOGLE_GEMINI_BASE_URL", "http://127.0.0.1:7"),
        ]);
        assert_eq!(builtin("anthropic", &env).unwrap().base_url, "http://127.0.0.1:9");
        assert_eq!(
            builtin("openai-responses", &env).unwrap().base_url,
            "http://127.0.0.1:8/v1"
        );
        assert_eq!(builtin("google", &env).unwrap().base_url, "http://127.0.0.1:7");
    }

    #[test]
    fn ollama_host_forms() {
        let cases = [
            ("0.0.0.0", "http://127.0.0.1:11434/v1"),
            ("0.0.0.0:1234", "http://127.0.0.1:1234/v1"),
            ("localhost", "http://localhost:11434/v1"),
            ("http://gpu-box:11434/", "http://gpu-box:11434/v1"),
            ("https://ollama.example", "https://ollama.example/v1"),
        ];
        for (host, want) in cases {
            let env = env_of(&[("OLLAMA_HOST", host)]);
            assert_eq!(builtin("ollama", &env).unwrap().base_url, want, "{host}");
        }
    }

    #[test]
    fn keys_resolve_in_order_and_missing_names_the_variables() {
        let google = builtin("google", &env_of(&[])).unwrap();
        let both = env_of(&[("GEMINI_API_KEY", "g1-secret"), ("GOOGLE_API_KEY", "g2-secret")]);
        assert_eq!(
            resolve_key(&google, &both).unwrap(),
            Some(ApiKey::new("g1-secret"))
        );
        let second = env_of(&[("GEMINI_API_KEY", " "), ("GOOGLE_API_KEY", "g2-secret")]);
        assert_eq!(
            resolve_key(&google, &second).unwrap(),
            Some(ApiKey::new("g2-secret"))
        );
        let err = resolve_key(&google, &env_of(&[])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no API key for google (set GEMINI_API_KEY or GOOGLE_API_KEY)"
        );
        assert!(err.is_credentials());
        let ollama = builtin("ollama", &env_of(&[])).unwrap();
        assert_eq!(resolve_key(&ollama, &env_of(&[])).unwrap(), None);
    }

    #[test]
    fn overrides_change_builtins_and_define_new_providers() {
        let mut overrides = IndexMap::new();
        overrides.insert(
            "anthropic".to_string(),
            ProviderOverride {
                base_url: Some("http://127.0.0.1:5/".into()),
                ..Default::default()
            },
        );
        overrides.insert(
            "vllm".to_string(),
            ProviderOverride {
                format: Some(WireFormat::OpenAiChat),
                base_url: Some("http://127.0.0.1:8000/v1".into()),
                key_env: Some("VLLM_KEY".into()),
            },
        );
        let registry = ProviderRegistry::new(&env_of(&[]), &overrides).unwrap();
        assert_eq!(registry.get("anthropic").unwrap().base_url, "http://127.0.0.1:5");
        let vllm = registry.get("vllm").unwrap();
        assert_eq!(
            (vllm.key_vars.clone(), vllm.key_optional),
            (vec!["VLLM_KEY".to_string()], false)
        );
        assert_eq!(registry.model_ref("vllm/qwen/qwen3").unwrap().model, "qwen/qwen3");
        let err = registry.model_ref("nope/x").unwrap_err().to_string();
        assert!(
            err.contains("unknown provider `nope`") && err.contains("vllm"),
            "{err}"
        );

        let mut bad = IndexMap::new();
        bad.insert(
            "new".to_string(),
            ProviderOverride {
                base_url: Some("http://x".into()),
                ..Default::default()
            },
        );
        let err = ProviderRegistry::new(&env_of(&[]), &bad).unwrap_err().to_string();
        assert!(err.contains("needs `format`"), "{err}");
    }
}
