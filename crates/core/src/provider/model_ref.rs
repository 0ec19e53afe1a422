//! `provider/model` references as users write them (`openai/gpt-5.5`,
//! `openrouter/qwen/qwen3-coder`): the first segment names the provider, the rest is the
//! model id that provider knows.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::error::ProviderError;
use super::registry::BUILTIN_PROVIDERS;

/// A model at a provider.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ModelRef {
    pub provider: String,
    /// The model id as the provider knows it; may itself contain `/` (OpenRouter).
    pub model: String,
}

impl ModelRef {
    /// Parses `provider/model`. Only the shape is checked here; a
    /// [`ProviderRegistry`](super::ProviderRegistry) also checks the provider exists.
    pub fn parse(input: &str) -> Result<ModelRef, ProviderError> {
        ModelRef::parse_with(input, &|| BUILTIN_PROVIDERS.join(", "))
    }

    pub(crate) fn parse_with(input: &str, known: &dyn Fn() -> String) -> Result<ModelRef, ProviderError> {
        let bad = |reason| ProviderError::BadModelRef {
            input: input.to_string(),
            reason,
            known: known(),
        };
        let trimmed = input.trim();
        let (provider, model) = trimmed.split_once('/').ok_or_else(|| bad("no provider"))?;
        if provider.is_empty() {
            return Err(bad("the provider is empty"));
        }
        if model.is_empty() || model.ends_with('/') {
            return Err(bad("the model is empty"));
        }
        if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("it contains whitespace"));
        }
        Ok(ModelRef {
            provider: provider.to_string(),
            model: model.to_string(),
        })
    }
}

impl fmt::Display for ModelRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.provider, self.model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_provider_and_model() {
        let cases = [
            ("openai/gpt-5.5", "openai", "gpt-5.5"),
            ("openrouter/qwen/qwen3-coder", "openrouter", "qwen/qwen3-coder"),
            (" anthropic/claude-opus-4-6 ", "anthropic", "claude-opus-4-6"),
            ("ollama/qwen2.5-coder:7b", "ollama", "qwen2.5-coder:7b"),
        ];
        for (input, provider, model) in cases {
            let got = ModelRef::parse(input).unwrap();
            assert_eq!((got.provider.as_str(), got.model.as_str()), (provider, model));
            assert_eq!(got.to_string(), input.trim());
        }
    }

    #[test]
    fn bad_references_name_the_input_and_the_providers() {
        for input in [
            "gpt-5.5",
            "/gpt",
            "openai/",
            "openrouter/qwen/",
            "open ai/gpt",
            "",
        ] {
            let err = ModelRef::parse(input).unwrap_err().to_string();
            assert!(err.contains(&format!("`{input}`")), "{err}");
            assert!(err.contains("anthropic, openai"), "{err}");
        }
    }
}
