//! OpenCode (`opencode run --format json`): its headless argv with a `provider/model`,
//! the keys of that provider, a custom endpoint through `OPENCODE_CONFIG_CONTENT`, and
//! its JSON-lines parser in [`parse`].

mod parse;

use serde_json::json;

pub use parse::OpenCodeParser;

use crate::agent::adapter::Adapter;
use crate::agent::env::{model_provider, provider_secrets, set_var};
use crate::agent::error::AgentError;
use crate::agent::invocation::{dash_led, strs, Invocation, InvocationContext};
use crate::agent::output::OutputParser;
use crate::agent::spec::AgentSpec;

/// OpenCode.
#[derive(Clone, Copy, Debug, Default)]
pub struct OpenCode;

impl Adapter for OpenCode {
    fn name(&self) -> &'static str {
        "opencode"
    }

    fn default_program(&self) -> Option<&'static str> {
        Some("opencode")
    }

    fn install_hint(&self) -> Option<&'static str> {
        Some("npm install -g opencode-ai")
    }

    fn secrets(&self, spec: &AgentSpec) -> Vec<&'static str> {
        provider_secrets(model_provider(&spec.model)).to_vec()
    }

    fn build(
        &self,
        spec: &AgentSpec,
        ctx: &InvocationContext,
        _resume: Option<&str>,
        inv: &mut Invocation,
    ) -> Result<(), AgentError> {
        // Checked while building, after the checks every lane passes, so those faults
        // (a NUL byte in the spec, a bad budget) are the ones reported first.
        match spec.model.split_once('/') {
            Some((provider, model)) if !provider.is_empty() && !model.is_empty() => {}
            _ => {
                return Err(AgentError::BadModel {
                    adapter: "opencode",
                    model: spec.model.clone(),
                    expected: "provider/model",
                    example: "anthropic/claude-sonnet-4-6",
                })
            }
        }
        inv.args
            .extend(strs(&["run", "--format", "json", "-m", &spec.model]));
        if dash_led(ctx.spec_text) {
            inv.args.extend(spec.args.iter().cloned());
            inv.args.extend(["--".into(), ctx.spec_text.into()]);
        } else {
            inv.args.push(ctx.spec_text.into());
            inv.args.extend(spec.args.iter().cloned());
        }
        if let Some(url) = &spec.base_url {
            set_var(
                &mut inv.env,
                "OPENCODE_CONFIG_CONTENT",
                &opencode_config(&spec.model, url),
            );
        }
        Ok(())
    }

    fn parser(&self) -> Box<dyn OutputParser> {
        Box::new(OpenCodeParser::new())
    }

    fn example_model(&self) -> &'static str {
        "PROVIDER/MODEL"
    }

    fn cost_source(&self) -> &'static str {
        "cost and tokens summed over its `step_finish` events"
    }
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
fn opencode_config(model: &str, base_url: &str) -> String {
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
mod tests;
