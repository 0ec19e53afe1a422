//! The reviewer pool: every reviewer (and the judge) resolved to a provider with its key
//! and a client, config's prices, budget and context, and the seed of the fence nonces,
//! built by one constructor, [`ReviewPlan::build`], for a race's preflight, `bakeoff
//! resume` and `bakeoff review`. A missing key stops the command here with exit 3 naming
//! the variable; a lane without a cross-lab reviewer ([`assign`]) with exit 2.

use std::collections::HashMap;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::config::Config;
use crate::error::Error;
use crate::lab;
use crate::price::Price;
use crate::provider::{resolve_key, Client, ClientOptions, ProviderRegistry};
use crate::review::{reviewers_for, ChainLink, Reviewer, ReviewerRef};

/// Everything the review stage needs, checked.
pub struct ReviewPlan {
    /// The pool, by `provider/model` as configured, in the order given.
    pub reviewers: IndexMap<String, Arc<Reviewer>>,
    /// The model of a third lab that settles close calls (`--judge`).
    pub judge: Option<Arc<Reviewer>>,
    /// Tokens of diff one review request may carry (`[review] token-budget`).
    pub token_budget: usize,
    /// Lines of context around each change in the diff reviewers see.
    pub context_lines: u32,
    /// Config's price overrides, for the records' cost.
    pub prices: HashMap<String, Price>,
    /// Seeds the fence nonces; from the clock unless a test fixes it.
    pub seed: u64,
}

impl ReviewPlan {
    /// The plan for `reviewers` (`provider/model`, fallbacks from `[review] fallback`
    /// added to each) and the `judge`, if one is named: one client per provider, every
    /// key resolved now, so a missing one fails here and not in the middle of a run.
    /// `seed` seeds the fence nonces ([`clock_seed`] unless a test fixes it).
    pub fn build(
        config: &Config,
        reviewers: &[String],
        judge: Option<&str>,
        seed: u64,
    ) -> Result<ReviewPlan, Error> {
        let options = ClientOptions {
            request_timeout: config.review.timeout,
            ..Default::default()
        };
        let pool = build_reviewers(config, reviewers, &options)?;
        let judge = match judge {
            Some(name) => build_reviewers(config, &[name.to_string()], &options)?
                .into_values()
                .next(),
            None => None,
        };
        Ok(ReviewPlan {
            reviewers: pool,
            judge,
            token_budget: config.review.token_budget,
            context_lines: config.review.context_lines,
            prices: config.prices(),
            seed,
        })
    }
}

/// A seed for the fence nonces from the clock: a diff cannot guess its fence.
pub fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

impl std::fmt::Debug for ReviewPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReviewPlan")
            .field("reviewers", &self.reviewers.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// Which reviewers review one lane.
#[derive(Clone, Debug, Default)]
pub struct LaneReviewers {
    /// The lab that wrote the lane's change, when it is known.
    pub author_lab: Option<String>,
    /// `provider/model` of each chosen reviewer.
    pub reviewers: Vec<String>,
    /// Some reviewer shares the author's lab (`--allow-same-lab`).
    pub same_lab: bool,
}

/// The environment as the provider module reads it.
pub fn env_lookup(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The registry of providers with config's overrides applied.
pub fn registry(config: &Config) -> Result<ProviderRegistry, Error> {
    let overrides = config
        .providers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    ProviderRegistry::new(&env_lookup, &overrides).map_err(Error::Provider)
}

/// A client per reviewer (and per fallback model), keys resolved now.
/// Every reviewer's key at once: a run that lacks two keys says so once, naming both,
/// rather than one per attempt. One missing key is the provider's own error.
fn all_keys_or_all_missing(registry: &ProviderRegistry, names: &[String]) -> Result<(), Error> {
    let mut missing: Vec<(String, String)> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for name in names {
        let Ok(model) = registry.model_ref(name) else {
            continue;
        };
        let Some(spec) = registry.get(&model.provider) else {
            continue;
        };
        if !seen.insert(model.provider.clone()) {
            continue;
        }
        if let Err(crate::provider::ProviderError::MissingKey { vars, .. }) = resolve_key(spec, &env_lookup) {
            missing.push((name.clone(), vars.join(" or ")));
        }
    }
    if missing.len() < 2 {
        return Ok(());
    }
    let list: Vec<String> = missing
        .iter()
        .map(|(model, vars)| format!("{vars} (for {model})"))
        .collect();
    Err(Error::Credentials {
        message: format!(
            "no API keys for {} reviewers: set {}",
            missing.len(),
            list.join(", ")
        ),
    }
    .with_hint("set each variable, or choose reviewers whose keys are set (--reviewer, [review] reviewers)"))
}

fn build_reviewers(
    config: &Config,
    names: &[String],
    options: &ClientOptions,
) -> Result<IndexMap<String, Arc<Reviewer>>, Error> {
    let registry = registry(config)?;
    let labs = config
        .labs
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect::<HashMap<_, _>>();
    all_keys_or_all_missing(&registry, names)?;
    let mut clients: HashMap<String, Arc<Client>> = HashMap::new();
    let mut client_for = |provider: &str| -> Result<Arc<Client>, Error> {
        if let Some(c) = clients.get(provider) {
            return Ok(c.clone());
        }
        let spec = registry
            .get(provider)
            .cloned()
            .ok_or_else(|| Error::input(format!("unknown provider '{provider}'")))?;
        let key = resolve_key(&spec, &env_lookup).map_err(Error::Provider)?;
        let client = Arc::new(Client::new(spec, key, options.clone()).map_err(Error::Provider)?);
        clients.insert(provider.to_string(), client.clone());
        Ok(client)
    };
    let mut out = IndexMap::new();
    for name in names {
        let model = registry.model_ref(name).map_err(Error::Provider)?;
        let lab_name = |model: &str| {
            lab::lab_of(model, &labs)
                .map(|l| l.as_str().to_string())
                .unwrap_or_else(|| "unknown".to_string())
        };
        let lab = lab_name(&model.model);
        let mut chain = vec![ChainLink {
            client: client_for(&model.provider)?,
            model: model.model.clone(),
            name: model.to_string(),
            lab: lab.clone(),
        }];
        // Every fallback, whatever its lab: the chain is the reviewer's, and each lane
        // drops those of its author's lab when it is reviewed (`Reviewer::chain_for`).
        for fallback in &config.review.fallback {
            if fallback == name {
                continue;
            }
            let f = registry.model_ref(fallback).map_err(Error::Provider)?;
            chain.push(ChainLink {
                client: client_for(&f.provider)?,
                model: f.model.clone(),
                name: f.to_string(),
                lab: lab_name(&f.model),
            });
        }
        out.insert(
            name.clone(),
            Arc::new(Reviewer {
                name: name.clone(),
                lab,
                chain,
            }),
        );
    }
    Ok(out)
}

/// The lab that trained `model`, with config's overrides.
pub fn lab_of(config: &Config, model: &str) -> Option<String> {
    let labs = config
        .labs
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect::<HashMap<_, _>>();
    lab::lab_of(model, &labs).map(|l| l.as_str().to_string())
}

/// Picks each lane's reviewers from the pool.
pub fn assign(
    reviewers: &IndexMap<String, Arc<Reviewer>>,
    author_lab: Option<&str>,
    per_lane: usize,
    allow_same_lab: bool,
) -> Result<LaneReviewers, Error> {
    let pool: Vec<ReviewerRef> = reviewers
        .values()
        .map(|r| ReviewerRef {
            model_ref: r.name.clone(),
            lab: r.lab.clone(),
        })
        .collect();
    let selection = reviewers_for(author_lab, &pool, per_lane, allow_same_lab)
        .map_err(|e| Error::input_with_hint(e.to_string(), "or race without reviews: --no-review"))?;
    Ok(LaneReviewers {
        author_lab: author_lab.map(str::to_string),
        reviewers: selection.reviewers.into_iter().map(|r| r.model_ref).collect(),
        same_lab: selection.same_lab,
    })
}

/// `--reviewers-per-lane` (or `[review] reviewers-per-lane`) is between 1 and the size of
/// the reviewer pool: a lane cannot be reviewed by no one, nor by more reviewers than exist.
pub fn per_lane(n: usize, pool: usize) -> Result<usize, Error> {
    if n == 0 || n > pool {
        return Err(Error::input_with_hint(
            format!("--reviewers-per-lane {n} is not possible with a pool of {pool} reviewer(s)"),
            format!(
                "pass --reviewers-per-lane between 1 and {pool}, or add reviewers with --reviewer provider/model"
            ),
        ));
    }
    Ok(n)
}
