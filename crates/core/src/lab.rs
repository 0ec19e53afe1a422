//! Which lab trained a model, inferred from its id: `claude-*` is Anthropic's, `gpt-*`
//! OpenAI's, OpenRouter's `vendor/model` names its vendor, and so on. Review uses this to
//! pick reviewers from a different lab than a lane's author. Pure and table-tested;
//! config can override any prefix.

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

/// A lab, as a lowercase name (`anthropic`, `openai`, `google`, …).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Lab(String);

impl Lab {
    /// A lab by name; the name is lowercased.
    pub fn new(name: &str) -> Lab {
        Lab(name.trim().to_ascii_lowercase())
    }

    /// The lab's lowercase name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Lab {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// OpenRouter-style vendor segments (`vendor/model`) and the lab each means.
const VENDORS: &[(&str, &str)] = &[
    ("anthropic", "anthropic"),
    ("openai", "openai"),
    ("google", "google"),
    ("gemini", "google"),
    ("meta-llama", "meta"),
    ("meta", "meta"),
    ("mistralai", "mistral"),
    ("mistral", "mistral"),
    ("deepseek", "deepseek"),
    ("deepseek-ai", "deepseek"),
    ("qwen", "alibaba"),
    ("alibaba", "alibaba"),
    ("x-ai", "xai"),
    ("xai", "xai"),
    ("moonshotai", "moonshot"),
    ("moonshot", "moonshot"),
    ("z-ai", "zhipu"),
    ("zai-org", "zhipu"),
    ("thudm", "zhipu"),
    ("microsoft", "microsoft"),
    ("cohere", "cohere"),
    ("amazon", "amazon"),
];

/// Model-name prefixes and the lab each means. A prefix matches at the start of the
/// model's own name (the last `/` segment).
const NAME_PREFIXES: &[(&str, &str)] = &[
    ("claude", "anthropic"),
    ("gpt", "openai"),
    ("chatgpt", "openai"),
    ("codex", "openai"),
    ("o1", "openai"),
    ("o3", "openai"),
    ("o4", "openai"),
    ("gemini", "google"),
    ("gemma", "google"),
    ("llama", "meta"),
    ("codellama", "meta"),
    ("mistral", "mistral"),
    ("mixtral", "mistral"),
    ("ministral", "mistral"),
    ("codestral", "mistral"),
    ("devstral", "mistral"),
    ("magistral", "mistral"),
    ("pixtral", "mistral"),
    ("deepseek", "deepseek"),
    ("qwen", "alibaba"),
    ("qwq", "alibaba"),
    ("grok", "xai"),
    ("kimi", "moonshot"),
    ("moonshot", "moonshot"),
    ("glm", "zhipu"),
    ("phi", "microsoft"),
    ("command", "cohere"),
];

/// The built-in model-name prefixes and the lab each means, for listing.
pub fn name_prefixes() -> &'static [(&'static str, &'static str)] {
    NAME_PREFIXES
}

/// The built-in OpenRouter-style vendor segments (`vendor/…`) and the lab each means,
/// for listing.
pub fn vendor_segments() -> &'static [(&'static str, &'static str)] {
    VENDORS
}

/// The lab that trained `model`, from the built-in table only. `model` may be a bare id
/// (`claude-opus-4-6`), an OpenRouter id (`qwen/qwen3-coder`) or a full reference
/// (`openrouter/anthropic/claude-sonnet-4.5`).
pub fn builtin_lab(model: &str) -> Option<&'static str> {
    let lower = model.trim().to_ascii_lowercase();
    let segments: Vec<&str> = lower.split('/').filter(|s| !s.is_empty()).collect();
    // A vendor segment decides, wherever it sits before the model's own name.
    if segments.len() > 1 {
        for segment in &segments[..segments.len() - 1] {
            if let Some((_, lab)) = VENDORS.iter().find(|(vendor, _)| vendor == segment) {
                return Some(lab);
            }
        }
    }
    let name = segments.last()?;
    // Bedrock/Vertex-style ids prefix the name with a region or vendor and a dot
    // (`us.anthropic.claude-…`); the last dotted word that names a model decides.
    name_lab(name).or_else(|| {
        name.match_indices('.')
            .find_map(|(i, _)| name_lab(&name[i + 1..]))
    })
}

fn name_lab(name: &str) -> Option<&'static str> {
    NAME_PREFIXES.iter().find_map(|(prefix, lab)| {
        let rest = name.strip_prefix(prefix)?;
        // Short prefixes like `o3` must end at a word boundary, so `o3-mini` is OpenAI's
        // but a model called `o3xyz` is not claimed.
        let boundary = rest.is_empty() || !rest.starts_with(|c: char| c.is_ascii_alphabetic());
        let short = prefix.len() <= 3 && *prefix != "gpt" && *prefix != "glm" && *prefix != "qwq";
        (!short || boundary).then_some(*lab)
    })
}

/// The lab that trained `model`: config `overrides` (model-id prefix → lab, longest
/// prefix wins, compared case-insensitively) first, then the built-in table.
pub fn lab_of(model: &str, overrides: &HashMap<String, String>) -> Option<Lab> {
    let lower = model.trim().to_ascii_lowercase();
    let overridden = overrides
        .iter()
        .filter(|(prefix, _)| lower.starts_with(&prefix.to_ascii_lowercase()))
        .max_by_key(|(prefix, _)| prefix.len())
        .map(|(_, lab)| Lab::new(lab));
    overridden.or_else(|| builtin_lab(&lower).map(Lab::new))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table() {
        let cases: &[(&str, Option<&str>)] = &[
            ("claude-opus-4-6", Some("anthropic")),
            ("claude-3-5-haiku-20241022", Some("anthropic")),
            ("gpt-5.5", Some("openai")),
            ("gpt-oss-120b", Some("openai")),
            ("o1", Some("openai")),
            ("o3-mini", Some("openai")),
            ("o4-mini-2025-04-16", Some("openai")),
            ("codex-mini-latest", Some("openai")),
            ("gemini-3-pro-preview", Some("google")),
            ("models/gemini-2.5-flash", Some("google")),
            ("gemma-3-27b-it", Some("google")),
            ("llama3.1:8b", Some("meta")),
            ("mistral-large-latest", Some("mistral")),
            ("codestral-2508", Some("mistral")),
            ("devstral-small-2507", Some("mistral")),
            ("magistral-medium-latest", Some("mistral")),
            ("deepseek-chat", Some("deepseek")),
            ("qwen2.5-coder:7b", Some("alibaba")),
            ("grok-4", Some("xai")),
            ("kimi-k2-0905-preview", Some("moonshot")),
            ("glm-4.6", Some("zhipu")),
            ("anthropic/claude-sonnet-4.5", Some("anthropic")),
            ("meta-llama/llama-4-maverick", Some("meta")),
            ("qwen/qwen3-coder", Some("alibaba")),
            ("x-ai/grok-code-fast-1", Some("xai")),
            ("moonshotai/kimi-k2", Some("moonshot")),
            ("z-ai/glm-4.6", Some("zhipu")),
            ("mistralai/devstral-medium", Some("mistral")),
            ("deepseek/deepseek-v3.2", Some("deepseek")),
            ("google/gemini-3-pro", Some("google")),
            ("openai/gpt-5.5", Some("openai")),
            ("openrouter/qwen/qwen3-coder", Some("alibaba")),
            ("ollama/llama3.2", Some("meta")),
            ("us.anthropic.claude-sonnet-4-20250514-v1:0", Some("anthropic")),
            ("CLAUDE-OPUS-4-6", Some("anthropic")),
            ("o3xyz", None),
            ("my-own-model", None),
            ("", None),
            ("/", None),
            ("some-vendor/unknown", None),
        ];
        for (model, want) in cases {
            assert_eq!(builtin_lab(model), *want, "{model}");
        }
    }

    #[test]
    fn overrides_come_first_and_longest_prefix_wins() {
        let overrides: HashMap<String, String> = [
            ("my-".to_string(), "acme".to_string()),
            ("my-claude".to_string(), "Anthropic".to_string()),
            ("gpt-".to_string(), "azure".to_string()),
        ]
        .into_iter()
        .collect();
        let cases: &[(&str, Option<&str>)] = &[
            ("my-model", Some("acme")),
            ("my-claude-tune", Some("anthropic")),
            ("gpt-5.5", Some("azure")),
            ("claude-opus-4-6", Some("anthropic")),
            ("unknown", None),
        ];
        for (model, want) in cases {
            let got = lab_of(model, &overrides);
            assert_eq!(got.as_ref().map(Lab::as_str), *want, "{model}");
        }
    }
}
