//! The built-in agent (`builtin:provider/model`): a bash-only loop over any provider
//! bakeoff can call, so every API model races with the same scaffold. A race runs it as
//! a child process like every other agent (`bakeoff builtin-agent …` in the lane's
//! worktree), so deadlines, cancellation, logs and the lane's secret filtering apply
//! unchanged; its transcript is JSON lines on stdout (see [`events`]).

mod error;
pub mod events;
mod prompt;
#[path = "loop.rs"]
mod session;
mod text;
mod tools;
mod truncate;

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indexmap::IndexMap;

use crate::config;
use crate::process::CancelToken;
use crate::provider::{resolve_key, Client, ClientOptions, ProviderRegistry};

pub use error::BuiltinError;
pub use events::{BuiltinEvent, CallSummary, EventLine, EventWriter, StopReason, EVENT_FORMAT};
pub use session::{Limits, Outcome};
pub use text::{parse_reply, TextAction, SUBMIT_MARKER};
pub use truncate::{truncate, Truncated};

/// Model turns unless `--max-steps` says otherwise.
pub const DEFAULT_MAX_STEPS: u32 = 50;
/// One command's deadline unless `--command-timeout` says otherwise.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// Bytes of a command's output the model sees unless `--output-limit` says otherwise.
pub const DEFAULT_OUTPUT_LIMIT: usize = 10_000;
/// Reply tokens per request.
const MAX_REPLY_TOKENS: u32 = 8192;

/// How to run the agent, from `bakeoff builtin-agent`'s flags.
#[derive(Clone, Debug)]
pub struct BuiltinOptions {
    /// `provider/model`.
    pub model: String,
    pub spec_file: PathBuf,
    /// The user's work tree, for its `.bakeoff.toml`; else the repository around `cwd`.
    pub repo: Option<PathBuf>,
    /// `--config FILE`, over the other layers.
    pub config: Option<PathBuf>,
    /// Calls this URL instead of the provider's.
    pub base_url: Option<String>,
    pub max_steps: u32,
    pub max_cost_usd: Option<f64>,
    pub command_timeout: Duration,
    pub output_limit: usize,
    /// Offer the model tools; off for models whose API rejects them.
    pub tools: bool,
}

/// Everything the agent reads from its surroundings, injectable for tests.
pub struct Surroundings<'a> {
    /// Where commands run: the lane's worktree.
    pub cwd: &'a Path,
    /// The agent's environment (keys and base URLs are read from it; commands get it
    /// without secrets).
    pub env: Vec<(String, String)>,
    pub client_options: ClientOptions,
    pub cancel: CancelToken,
}

/// Runs the agent to its end, writing the transcript to `out`. Errors before the loop
/// starts (config, provider, key, spec file) are written as a `result` event too and
/// returned; an error during the loop ends it with a `result` naming it.
pub async fn run<W: Write>(
    opts: &BuiltinOptions,
    around: Surroundings<'_>,
    out: W,
) -> Result<Outcome, BuiltinError> {
    let mut events = EventWriter::new(out);
    let prepared = match prepare(opts, &around) {
        Ok(p) => p,
        Err(e) => {
            events.emit(BuiltinEvent::Result {
                reason: StopReason::Error,
                steps: 0,
                usage: Default::default(),
                cost_usd: None,
                error: Some(e.to_string()),
            });
            return Err(e);
        }
    };
    let Prepared {
        client,
        model,
        price,
        spec,
        hidden_vars,
        format,
    } = prepared;
    events.emit(BuiltinEvent::Start {
        model: opts.model.clone(),
        format,
        max_steps: opts.max_steps,
        max_cost_usd: opts.max_cost_usd,
        price_known: price.is_some(),
        command_timeout_ms: opts.command_timeout.as_millis() as u64,
        output_limit: opts.output_limit,
        tools: opts.tools,
    });
    if price.is_none() {
        let message = match opts.max_cost_usd {
            Some(max) => format!(
                "no price for {}: costs are unknown and the --max-cost limit of ${max} cannot be enforced (add [prices.\"{model}\"] to config)",
                opts.model
            ),
            None => format!("no price for {}: costs are unknown", opts.model),
        };
        events.emit(BuiltinEvent::Notice { message });
    }
    let shell = match tools::Shell::new(
        around.cwd.to_path_buf(),
        around.env.clone(),
        &hidden_vars,
        opts.command_timeout,
        opts.output_limit,
    ) {
        Ok(shell) => shell,
        Err(e) => {
            events.emit(BuiltinEvent::Result {
                reason: StopReason::Error,
                steps: 0,
                usage: Default::default(),
                cost_usd: None,
                error: Some(e.to_string()),
            });
            return Err(e);
        }
    };
    let limits = Limits {
        max_steps: opts.max_steps,
        max_cost_usd: opts.max_cost_usd,
        tools: opts.tools,
        max_tokens: MAX_REPLY_TOKENS,
    };
    let setup = session::Setup {
        client: &client,
        model,
        price,
        limits,
        system: prompt::system_prompt(&prompt::PromptLimits {
            max_steps: opts.max_steps,
            command_timeout: opts.command_timeout,
            output_limit: opts.output_limit,
        }),
        task: prompt::task_message(&spec),
    };
    Ok(session::Session::new(setup, shell, events, around.cancel.clone())
        .run()
        .await)
}

struct Prepared {
    client: Client,
    /// The model id at its provider.
    model: String,
    price: Option<crate::price::Price>,
    spec: String,
    /// The provider's key variables, kept from commands whatever their names.
    hidden_vars: Vec<String>,
    format: String,
}

fn prepare(opts: &BuiltinOptions, around: &Surroundings<'_>) -> Result<Prepared, BuiltinError> {
    check_limits(opts)?;
    let repo_top = match &opts.repo {
        Some(top) => Some(top.clone()),
        None => crate::git::Repo::discover(around.cwd)
            .ok()
            .map(|r| r.workdir().to_path_buf()),
    };
    let config = config::load(repo_top.as_deref(), opts.config.as_deref())?;
    let env: HashMap<&str, &str> = around.env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let lookup = |name: &str| env.get(name).map(|v| v.to_string());
    let overrides: IndexMap<_, _> = config
        .providers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let registry = ProviderRegistry::new(&lookup, &overrides)?;
    let model = registry.model_ref(&opts.model)?;
    let mut spec = registry.get(&model.provider).cloned().ok_or_else(|| {
        crate::provider::ProviderError::UnknownProvider {
            input: opts.model.clone(),
            provider: model.provider.clone(),
            known: registry.names().collect::<Vec<_>>().join(", "),
        }
    })?;
    if let Some(url) = &opts.base_url {
        spec.base_url = url.trim().trim_end_matches('/').to_string();
    }
    let key = resolve_key(&spec, &lookup)?;
    let hidden_vars = spec.key_vars.clone();
    let format = spec.format.name().to_string();
    let client = Client::new(spec, key, around.client_options.clone())?;
    let prices = config.price_overrides();
    let price = crate::price::price_of(&model.model, &prices);
    let text = std::fs::read_to_string(&opts.spec_file).map_err(|e| BuiltinError::SpecFile {
        path: opts.spec_file.clone(),
        message: e.to_string(),
    })?;
    Ok(Prepared {
        client,
        model: model.model,
        price,
        spec: text,
        hidden_vars,
        format,
    })
}

fn check_limits(opts: &BuiltinOptions) -> Result<(), BuiltinError> {
    if opts.max_steps == 0 {
        return Err(BuiltinError::BadLimit {
            flag: "--max-steps",
            value: "0".into(),
            reason: "give at least 1",
        });
    }
    if let Some(cost) = opts.max_cost_usd {
        if !(cost.is_finite() && cost > 0.0) {
            return Err(BuiltinError::BadLimit {
                flag: "--max-cost",
                value: cost.to_string(),
                reason: "give a positive number of US dollars, e.g. --max-cost 2.5",
            });
        }
    }
    if opts.command_timeout.is_zero() {
        return Err(BuiltinError::BadLimit {
            flag: "--command-timeout",
            value: "0".into(),
            reason: "give a positive duration, e.g. --command-timeout 90s",
        });
    }
    if opts.output_limit < 100 {
        return Err(BuiltinError::BadLimit {
            flag: "--output-limit",
            value: opts.output_limit.to_string(),
            reason: "give at least 100 bytes",
        });
    }
    Ok(())
}
