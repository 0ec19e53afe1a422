//! `bakeoff plan` from task to checked brief, without the command line: the view of the
//! repository, one request to the planner (through bakeoff's providers, with its
//! fallback chain, and one repair request for an answer that cannot be read), the
//! refusals, and the check commands run on the base. `race --plan-with` goes through
//! [`for_race`].

use std::path::{Path, PathBuf};

use crate::config::{self, Config};
use crate::error::Error;
use crate::git::{self, Repo};
use crate::price;
use crate::provider::{chat_with_fallback, ChatResponse, Client, Message, TokenUsage};
use crate::race::RaceOptions;
use crate::review::pool::{clock_seed, ReviewPlan};

use super::brief::{parse_brief, Brief};
use super::context::{self, Hidden};
use super::on_base::{run_on_base, BaseLimits};
use super::prompt::{plan_request, repair_prompt};

/// What to plan, and what the planner must never see.
#[derive(Clone, Debug, Default)]
pub struct PlanOptions {
    /// The task, as the user wrote it.
    pub task: String,
    /// The planner, `provider/model` (default: the first of `[review] reviewers`).
    pub model: Option<String>,
    /// The commit the lanes will start from.
    pub base: String,
    /// The race's holdout folder: none of its files is shown.
    pub holdout: Option<PathBuf>,
    /// Holdout check commands besides config's: the paths they name are not shown.
    pub holdout_checks: Vec<String>,
    /// `--sandbox`: over `[sandbox] mode`, for the checks run on the base.
    pub sandbox: Option<crate::sandbox::SandboxMode>,
}

/// A brief the planner wrote and the base answered.
#[derive(Clone, Debug)]
pub struct Planned {
    pub brief: Brief,
    /// `provider/model` of the planner that answered.
    pub model: String,
    pub usage: TokenUsage,
    /// What planning cost in US dollars; `None` when the model's price is unknown.
    pub cost_usd: Option<f64>,
}

/// Plans `opts.task` in `repo`: refused (exit 2) when the answer cannot be read after
/// one repair request, has an empty goal or no acceptance checks.
pub async fn plan(repo: &Repo, config: &Config, opts: &PlanOptions) -> Result<Planned, Error> {
    if opts.task.trim().is_empty() {
        return Err(Error::input_with_hint(
            "the task is empty",
            "describe the task to plan, as text",
        ));
    }
    let model = match &opts.model {
        Some(m) => m.clone(),
        None => config.review.reviewers.first().cloned().ok_or_else(|| {
            Error::input_with_hint(
                "no planner model",
                "pass --with provider/model (e.g. --with openai/gpt-5.5) or set [review] reviewers in config",
            )
        })?,
    };
    let repo_top = repo.workdir().to_path_buf();
    let base = repo.resolve_commit(&opts.base)?;
    let tracked = git::files_at(&repo_top, &base)?;
    let mut holdout_commands = opts.holdout_checks.clone();
    holdout_commands.extend(config.checks.iter().filter(|c| c.holdout).map(|c| c.run.clone()));
    let hidden = Hidden::new(&repo_top, opts.holdout.as_deref(), &holdout_commands, &tracked);
    let view = context::view(&repo_top, &base, &opts.task, &tracked, &hidden)?;

    let pool = ReviewPlan::build(config, std::slice::from_ref(&model), None, clock_seed())?;
    let planner = pool
        .reviewers
        .get(&model)
        .cloned()
        .ok_or_else(|| Error::internal(format!("the planner {model} was not built")))?;
    let chain: Vec<(&Client, &str)> = planner
        .chain
        .iter()
        .map(|l| (l.client.as_ref(), l.model.as_str()))
        .collect();
    let first_model = planner.chain.first().map(|l| l.model.clone()).unwrap_or_default();
    let nonce = crate::review::nonce(pool.seed);
    let mut request = plan_request(&opts.task, &view, &first_model, &nonce);
    let mut spent = Spent::default();
    let prices = config.prices();
    let ask = |request: &crate::provider::ChatRequest| {
        let chain = chain.clone();
        let request = request.clone();
        let model = model.clone();
        async move {
            chat_with_fallback(&chain, &request, &mut |_| {})
                .await
                .map_err(|e| Error::Credentials {
                    message: format!("the planner {model} could not answer: {e}"),
                })
        }
    };
    let reply = ask(&request).await?;
    spent.add(&reply.response, &reply.used.model, &prices);
    let mut answered = reply.used.to_string();
    let brief = match parse_brief(reply.response.structured.as_ref(), &reply.response.text) {
        Ok(b) => b,
        Err(problems) => {
            request
                .messages
                .push(Message::assistant(reply.response.text.clone()));
            request.messages.push(Message::user(repair_prompt(&problems)));
            let reply = ask(&request).await?;
            spent.add(&reply.response, &reply.used.model, &prices);
            answered = reply.used.to_string();
            parse_brief(reply.response.structured.as_ref(), &reply.response.text).map_err(|problems| {
                refused(
                    &model,
                    &format!(
                        "its answer could not be read after one repair request: {}",
                        problems.join("; ")
                    ),
                )
            })?
        }
    };
    if let Some(why) = brief.refusal() {
        return Err(refused(&model, why));
    }
    let mut brief = brief;
    let mut sandbox = config.sandbox.clone();
    sandbox.mode = opts.sandbox.unwrap_or(sandbox.mode);
    let limits = BaseLimits {
        timeout: config.timeout,
        grace: config.grace,
        sandbox,
        common_dir: repo.common_dir().to_path_buf(),
        holdout: opts.holdout.clone(),
    };
    let results = run_on_base(&repo_top, &base, &brief.commands(), &limits).await?;
    let mut results = results.into_iter();
    for a in brief.acceptance.iter_mut().filter(|a| a.command.is_some()) {
        a.on_base = results.next();
    }
    Ok(Planned {
        brief,
        model: answered,
        usage: spent.usage,
        cost_usd: spent.cost,
    })
}

/// Plans a race's task (its spec) and returns the race's options with the brief as the
/// spec and the acceptance commands added to its checks, with the plan itself.
pub async fn for_race(
    cwd: &Path,
    opts: &RaceOptions,
    model: &str,
    config_file: Option<&Path>,
) -> Result<(RaceOptions, Planned), Error> {
    let repo = Repo::discover(cwd)?;
    let config = config::load(Some(repo.workdir()), config_file)?;
    let task = match (&opts.spec, &opts.spec_file) {
        (Some(s), _) => s.clone(),
        (None, Some(f)) => std::fs::read_to_string(f)
            .map_err(|e| Error::input(format!("cannot read spec file {}: {e}", f.display())))?,
        (None, None) => {
            return Err(Error::input_with_hint(
                "no task to plan",
                "pass the task as text (bakeoff race \"fix the flaky test\" --plan-with MODEL -a …)",
            ))
        }
    };
    let planned = plan(
        &repo,
        &config,
        &PlanOptions {
            task,
            model: Some(model.to_string()),
            base: opts.base.clone(),
            holdout: opts.holdout.clone(),
            holdout_checks: opts.holdout_checks.clone(),
            sandbox: opts.sandbox,
        },
    )
    .await?;
    let mut opts = opts.clone();
    opts.spec = Some(planned.brief.markdown(true));
    opts.spec_file = None;
    for command in planned.brief.commands() {
        let known = opts
            .checks
            .iter()
            .chain(&opts.holdout_checks)
            .any(|c| c.trim() == command.trim())
            || config
                .checks
                .iter()
                .any(|c| c.run.trim() == command.trim() || c.name == command.trim());
        if !known {
            opts.checks.push(command);
        }
    }
    Ok((opts, planned))
}

fn refused(model: &str, why: &str) -> Error {
    Error::input_with_hint(
        format!("the plan of {model} is refused: {why}"),
        "plan again (a task that says how to tell it is done helps), or write the brief yourself",
    )
}

/// Tokens and dollars over the planner's requests.
#[derive(Default)]
struct Spent {
    usage: TokenUsage,
    cost: Option<f64>,
    priced: bool,
}

impl Spent {
    fn add(
        &mut self,
        response: &ChatResponse,
        model: &str,
        prices: &std::collections::HashMap<String, price::Price>,
    ) {
        let u = response.usage;
        self.usage.input += u.input;
        self.usage.output += u.output;
        self.usage.cache_read += u.cache_read;
        self.usage.cache_write += u.cache_write;
        let this = price::cost(model, &u, prices);
        self.cost = match (self.priced, self.cost, this) {
            (false, _, c) => c,
            (true, Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
        self.priced = true;
    }
}
