//! What a reply cost: token usage times the model's price per million tokens, from an
//! embedded table (`price/prices.toml`) that config can override. A model the table does
//! not know has no cost ("cost unknown"), never a cost of zero. Pure.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::provider::TokenUsage;

/// US dollars per million tokens of each kind.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub input: f64,
    pub output: f64,
    pub cache_read: f64,
    pub cache_write: f64,
}

impl Price {
    /// The cost in US dollars of `usage` at this price.
    pub fn cost(&self, usage: &TokenUsage) -> f64 {
        let millions = |tokens: u64| tokens as f64 / 1_000_000.0;
        millions(usage.input) * self.input
            + millions(usage.output) * self.output
            + millions(usage.cache_read) * self.cache_read
            + millions(usage.cache_write) * self.cache_write
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    models: BTreeMap<String, Price>,
}

const EMBEDDED: &str = include_str!("price/prices.toml");

/// The embedded table, parsed once. A table that fails to parse (caught by a unit test)
/// would leave every cost unknown rather than crash.
fn embedded() -> &'static BTreeMap<String, Price> {
    static TABLE: OnceLock<BTreeMap<String, Price>> = OnceLock::new();
    TABLE.get_or_init(|| {
        toml::from_str::<Table>(EMBEDDED)
            .map(|t| normalized_keys(t.models.into_iter()))
            .unwrap_or_default()
    })
}

fn normalized_keys(entries: impl Iterator<Item = (String, Price)>) -> BTreeMap<String, Price> {
    entries.map(|(k, v)| (normalize(&k), v)).collect()
}

/// Comparable form of a model id: lowercase, the model's own name without an OpenRouter
/// vendor or a provider prefix, without an Ollama `:tag`, and dots as dashes so that
/// `claude-sonnet-4.5` and `claude-sonnet-4-5` are one model.
fn normalize(model: &str) -> String {
    let lower = model.trim().to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or_default();
    let name = name.split(':').next().unwrap_or_default();
    name.replace('.', "-")
}

/// Whether `key` prices `model` (both normalized): the same id, or `key` followed by a
/// date or release tag (`-20250929`, `-2508`, `-latest`, `-preview-06-05`). Any other
/// suffix is a different model: `gpt-5-mini` is not priced as `gpt-5`, and an unlisted
/// `claude-opus-4-9` is unknown rather than priced as `claude-opus-4`.
fn prices(key: &str, model: &str) -> bool {
    let Some(rest) = model.strip_prefix(key) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix('-') else {
        return rest.is_empty();
    };
    let first = rest.split('-').next().unwrap_or_default();
    let dated = first.len() >= 4 && first.bytes().all(|b| b.is_ascii_digit());
    dated || matches!(first, "latest" | "preview" | "exp")
}

fn lookup<'a>(table: impl Iterator<Item = (&'a String, &'a Price)>, model: &str) -> Option<Price> {
    table
        .filter(|(key, _)| prices(key, model))
        .max_by_key(|(key, _)| key.len())
        .map(|(_, price)| *price)
}

/// The price of `model`: config `overrides` first (keys are model ids, matched like the
/// table's), then the embedded table. `None` when neither knows the model.
pub fn price_of(model: &str, overrides: &HashMap<String, Price>) -> Option<Price> {
    let model = normalize(model);
    if model.is_empty() {
        return None;
    }
    let overrides = normalized_keys(overrides.iter().map(|(k, v)| (k.clone(), *v)));
    lookup(overrides.iter(), &model).or_else(|| lookup(embedded().iter(), &model))
}

/// The cost in US dollars of `usage` on `model`; `None` ("cost unknown") when the model
/// has no price.
pub fn cost(model: &str, usage: &TokenUsage, overrides: &HashMap<String, Price>) -> Option<f64> {
    price_of(model, overrides).map(|price| price.cost(usage))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_table_parses_and_is_sane() {
        let table: Table = toml::from_str(EMBEDDED).expect("embedded price table");
        assert!(table.models.len() > 30);
        for (model, p) in &table.models {
            assert!(p.input > 0.0 && p.output >= p.input, "{model}");
            assert!(p.cache_read <= p.input && p.cache_write >= p.input, "{model}");
        }
    }

    #[test]
    fn lookup_table() {
        let none = HashMap::new();
        let cases: &[(&str, Option<(f64, f64)>)] = &[
            ("claude-opus-4-6", Some((5.0, 25.0))),
            ("claude-opus-4-20250514", Some((15.0, 75.0))),
            ("claude-opus-4-1-20250805", Some((15.0, 75.0))),
            ("claude-sonnet-4-5-20250929", Some((3.0, 15.0))),
            ("anthropic/claude-sonnet-4.5", Some((3.0, 15.0))),
            ("claude-haiku-4-5", Some((1.0, 5.0))),
            ("claude-3-5-haiku-latest", Some((0.8, 4.0))),
            ("gpt-5", Some((1.25, 10.0))),
            ("gpt-5-2025-08-07", Some((1.25, 10.0))),
            ("gpt-5-mini", Some((0.25, 2.0))),
            ("gpt-5.2", Some((1.75, 14.0))),
            ("openai/gpt-5.1-codex", Some((1.25, 10.0))),
            ("o3", Some((2.0, 8.0))),
            ("o4-mini-2025-04-16", Some((1.1, 4.4))),
            ("gemini-2.5-pro", Some((1.25, 10.0))),
            ("gemini-2.5-flash-lite", Some((0.1, 0.4))),
            ("gemini-3-pro-preview", Some((2.0, 12.0))),
            ("deepseek-chat", Some((0.28, 0.42))),
            ("qwen3-coder-plus", Some((1.0, 5.0))),
            ("grok-code-fast-1", Some((0.2, 1.5))),
            ("moonshotai/kimi-k2-0905", Some((0.6, 2.5))),
            ("z-ai/glm-4.6", Some((0.6, 2.2))),
            ("codestral-2508", Some((0.3, 0.9))),
            ("devstral-small-latest", Some((0.1, 0.3))),
            // Unknown: a different model, not a dated one.
            ("claude-opus-4-9", None),
            ("gpt-5.5", None),
            ("gpt-5-turbo", None),
            ("llama3.2", None),
            ("", None),
        ];
        for (model, want) in cases {
            let got = price_of(model, &none).map(|p| (p.input, p.output));
            assert_eq!(got, *want, "{model}");
        }
    }

    #[test]
    fn cost_sums_the_four_kinds_and_unknown_is_none() {
        let usage = TokenUsage {
            input: 1_000_000,
            output: 200_000,
            cache_read: 2_000_000,
            cache_write: 100_000,
        };
        let none = HashMap::new();
        let got = cost("claude-sonnet-4-5", &usage, &none).unwrap();
        assert!((got - (3.0 + 3.0 + 0.6 + 0.375)).abs() < 1e-9, "{got}");
        assert_eq!(cost("my-local-model", &usage, &none), None);
        assert_eq!(
            cost("claude-sonnet-4-5", &TokenUsage::default(), &none),
            Some(0.0)
        );
    }

    #[test]
    fn overrides_win_and_add_models() {
        let cheap = Price {
            input: 0.0,
            output: 0.0,
            cache_read: 0.0,
            cache_write: 0.0,
        };
        let overrides: HashMap<String, Price> = [
            ("llama3.2".to_string(), cheap),
            ("claude-opus-4-6".to_string(), Price { input: 1.0, ..cheap }),
        ]
        .into_iter()
        .collect();
        assert_eq!(price_of("ollama/llama3.2:3b", &overrides), Some(cheap));
        assert_eq!(price_of("claude-opus-4-6", &overrides).unwrap().input, 1.0);
        assert_eq!(price_of("claude-opus-4-5", &overrides).unwrap().input, 5.0);
    }
}
