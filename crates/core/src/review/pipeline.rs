//! `bakeoff review` from start to verdict, without the command line: resolve the base and
//! head and take the diff between them, choose reviewers of another lab than the
//! author's, run them all at once, collect their records and cost into a report, and
//! decide against `--fail-on`. Nothing is printed: the caller renders the report it gets
//! back ([`super::report`]) and turns the [`Decision`] into an exit code.

use std::path::{Path, PathBuf};

use crate::config::{self, Config};
use crate::error::Error;
use crate::git::{self, Repo};
use crate::review::pool::{self, LaneReviewers, ReviewPlan};
use crate::review::report::{self, ReviewReport, ReviewerResult};
use crate::review::{clock_seed, reviewer, scan, ReviewRecord, Severity};

/// What `bakeoff review` is asked to review, and how.
#[derive(Clone, Debug, Default)]
pub struct ReviewOptions {
    /// Where the change starts (default: the merge-base with the upstream, or main).
    pub base: Option<String>,
    /// Where the change ends (ignored with `worktree`, which reviews from `HEAD`).
    pub head: String,
    /// Review the uncommitted work (staged, unstaged, untracked) against `base`.
    pub worktree: bool,
    /// Reviewer models, `provider/model`, added to `[review] reviewers`.
    pub reviewers: Vec<String>,
    /// How many reviewers of other labs review the change (default: config's, at least 1).
    pub reviewers_per_lane: Option<usize>,
    /// The lab that wrote the change (default: read from the commits' trailers).
    pub author_lab: Option<String>,
    /// Allow a reviewer of the author's lab when no other lab is available.
    pub allow_same_lab: bool,
    /// What the change was meant to do, as text (default: the commit messages).
    pub spec: Option<String>,
    /// What the change was meant to do, read from a file.
    pub spec_file: Option<PathBuf>,
    /// Fail when a finding is at least this severe.
    pub fail_on: Option<Severity>,
}

/// A finished review: the report to render, the records behind it, and the decision.
#[derive(Debug)]
pub struct ReviewOutcome {
    /// What the reviewers (and bakeoff's own scan) found.
    pub report: ReviewReport,
    /// One record per reviewer: its answer or failure, usage, cost and fallbacks.
    pub records: Vec<ReviewRecord>,
    /// What the reviews cost in US dollars; `None` when some reviewer's price is unknown.
    pub cost_usd: Option<f64>,
    /// How the review ends.
    pub decision: Decision,
}

/// How a review ends, in the order it is decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// A reviewer's provider refused bakeoff's credentials; `message` names the reviewer
    /// and the refusal. It outweighs any finding: the review is not whole.
    Credentials { message: String },
    /// Some finding is at least as severe as `--fail-on`.
    Fails,
    /// Nothing reached `--fail-on` (or none was given).
    Passes,
}

/// The change under review: its two ends as the report names them, the diff between
/// them, and the commit messages in between (none for the work tree).
struct Change {
    base: String,
    head: String,
    diff: String,
    /// Secrets the diff added (redacted from `diff`), as bakeoff's own findings.
    leaked: Vec<crate::vocab::Finding>,
    messages: Vec<String>,
}

/// The repository around `cwd` and its configuration (`config_file` applied last); the
/// caller shows the config's warnings before [`run`] starts.
pub fn open(cwd: &Path, config_file: Option<&Path>) -> Result<(Repo, Config), Error> {
    let repo = Repo::discover(cwd)?;
    let config = config::load(Some(repo.workdir()), config_file)?;
    Ok((repo, config))
}

/// Reviews the change `opts` names in `repo`: every chosen reviewer at once, each
/// seeing the spec and the diff under an anonymous label. A reviewer that fails is a
/// record with its error, not an `Err`; `Err` is for bad input and missing keys.
pub async fn run(repo: &Repo, config: &Config, opts: &ReviewOptions) -> Result<ReviewOutcome, Error> {
    let change = resolve_change(repo, config, opts)?;
    let spec = spec(opts, &change.messages)?;
    let author_lab = opts
        .author_lab
        .clone()
        .or_else(|| author_lab_from_trailers(config, &change.messages))
        .ok_or_else(|| {
            Error::input_with_hint(
                "cannot tell which lab wrote this change, so no review of it can be called cross-lab",
                "pass --author-lab LAB (anthropic, openai, google, …; `human` for a change no model wrote)",
            )
        })?;
    let author_lab = Some(author_lab);
    let plan = ReviewPlan::build(config, &reviewer_names(config, opts)?, None, clock_seed())?;
    let chosen = choose(&plan, config, opts, author_lab.as_deref())?;
    let allow_same_lab = opts.allow_same_lab || config.review.allow_same_lab;
    let records = review_all(&plan, &chosen, allow_same_lab, &spec, &change.diff).await;
    Ok(outcome(change, chosen.same_lab, records, opts.fail_on))
}

/// Resolves the two ends and takes the diff, with `[review] context-lines` of context.
fn resolve_change(repo: &Repo, config: &Config, opts: &ReviewOptions) -> Result<Change, Error> {
    let head_ref = if opts.worktree { "HEAD" } else { opts.head.as_str() };
    let head = repo.resolve_commit(head_ref)?;
    let base = match &opts.base {
        Some(b) => repo.resolve_commit(b)?,
        None => git::default_review_base(repo.workdir(), &head)?,
    };
    let context = config.review.context_lines;
    let diff = if opts.worktree {
        git::worktree_patch(repo.workdir(), &base, context)?
    } else {
        git::diff_patch_with_context(repo.workdir(), &base, &head, context)?
    };
    // The diff is redacted before anything else sees it: no key reaches a reviewer.
    let env: Vec<(String, String)> = std::env::vars().collect();
    let known = super::secrets::known_values(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let (diff, leaked) = super::secrets::redact(&diff, &known);
    // A ref and the commit it named, so a reader of a PR comment knows what was
    // reviewed after the ref has moved.
    let named = |name: &str, commit: &str| match name == short(commit) || commit.starts_with(name) {
        true => short(commit),
        false => format!("{name} ({})", short(commit)),
    };
    let base_name = match &opts.base {
        Some(b) => named(b, &base),
        None => short(&base),
    };
    let head_name = if opts.worktree {
        "the work tree".to_string()
    } else {
        named(head_ref, &head)
    };
    if diff.trim().is_empty() {
        return Err(Error::input_with_hint(
            format!("nothing to review between {base_name} and {head_name}"),
            "pass --base REF and --head REF around the change, or --worktree for uncommitted work",
        ));
    }
    let messages = if opts.worktree {
        Vec::new()
    } else {
        git::commit_messages(repo.workdir(), &base, &head)?
    };
    Ok(Change {
        base: base_name,
        head: head_name,
        diff,
        leaked,
        messages,
    })
}

/// The spec reviewers judge the change against: given as text or a file, else the
/// commit messages, else a generic request.
fn spec(opts: &ReviewOptions, messages: &[String]) -> Result<String, Error> {
    Ok(match (&opts.spec, &opts.spec_file) {
        (Some(s), _) => s.clone(),
        (None, Some(f)) => std::fs::read_to_string(f)
            .map_err(|e| Error::input(format!("cannot read spec file {}: {e}", f.display())))?,
        (None, None) if !messages.is_empty() => messages.join("\n---\n"),
        (None, None) => "Review this change: is it correct, safe and well made?".to_string(),
    })
}

/// `[review] reviewers`, then the `--reviewer`s config does not list already.
fn reviewer_names(config: &Config, opts: &ReviewOptions) -> Result<Vec<String>, Error> {
    let mut names = config.review.reviewers.clone();
    names.extend(
        opts.reviewers
            .iter()
            .filter(|r| !config.review.reviewers.contains(r))
            .cloned(),
    );
    if names.is_empty() {
        return Err(Error::input_with_hint(
            "no reviewers",
            "pass --reviewer provider/model (e.g. --reviewer openai/gpt-5.5) or set [review] reviewers in config",
        ));
    }
    Ok(names)
}

/// The reviewers of the change from the plan's pool: of labs other than the author's.
fn choose(
    plan: &ReviewPlan,
    config: &Config,
    opts: &ReviewOptions,
    author_lab: Option<&str>,
) -> Result<LaneReviewers, Error> {
    let per = pool::per_lane(
        opts.reviewers_per_lane.unwrap_or(config.review.per_lane),
        plan.reviewers.len(),
    )?;
    let allow_same_lab = opts.allow_same_lab || config.review.allow_same_lab;
    pool::assign(&plan.reviewers, author_lab, per, allow_same_lab)
}

/// Every chosen reviewer over the diff at once; one record each, in the chosen order.
async fn review_all(
    plan: &ReviewPlan,
    chosen: &LaneReviewers,
    allow_same_lab: bool,
    spec: &str,
    diff: &str,
) -> Vec<ReviewRecord> {
    let jobs = chosen
        .reviewers
        .iter()
        .filter_map(|n| plan.reviewers.get(n))
        .map(|r| {
            let job = reviewer::Job {
                spec,
                label: "the change",
                diff,
                checks: Vec::new(),
                token_budget: plan.token_budget,
                nonce_seed: plan.seed,
                prices: &plan.prices,
                same_lab: chosen.same_lab,
                author_lab: chosen.author_lab.as_deref(),
                allow_same_lab,
            };
            async move { reviewer::review(r, &job, &mut |_| {}).await }
        });
    futures_util::future::join_all(jobs).await
}

/// The report, cost and decision from the reviewers' records.
fn outcome(
    change: Change,
    same_lab: bool,
    records: Vec<ReviewRecord>,
    fail_on: Option<Severity>,
) -> ReviewOutcome {
    let report = ReviewReport {
        base: change.base,
        head: change.head,
        reviewers: records.iter().map(result_of).collect(),
        bakeoff_findings: scan(&change.diff).into_iter().chain(change.leaked).collect(),
        not_reviewed: records.iter().flat_map(|r| r.not_reviewed.clone()).collect(),
        same_lab,
    };
    let cost_usd = records.iter().map(|r| r.cost_usd).sum();
    let decision = decide(&report, &records, fail_on);
    ReviewOutcome {
        report,
        records,
        cost_usd,
        decision,
    }
}

/// A refused credential first (the review is not whole), then `--fail-on`.
fn decide(report: &ReviewReport, records: &[ReviewRecord], fail_on: Option<Severity>) -> Decision {
    if let Some(r) = records.iter().find(|r| r.credentials_error) {
        return Decision::Credentials {
            message: format!(
                "reviewer {} could not review: {}",
                r.reviewer,
                r.output.as_ref().err().cloned().unwrap_or_default()
            ),
        };
    }
    match fail_on {
        Some(level) if report::fails(report, level) => Decision::Fails,
        _ => Decision::Passes,
    }
}

fn result_of(r: &ReviewRecord) -> ReviewerResult {
    ReviewerResult {
        model: r.reviewer.clone(),
        lab: r.lab.clone(),
        output: r.output.clone(),
        fell_back_from: match (r.fell_back, &r.answered_by) {
            (true, Some(_)) => Some(r.reviewer.clone()),
            _ => None,
        },
    }
}

fn short(oid: &str) -> String {
    oid.chars().take(12).collect()
}

/// The author's lab from commit trailers: `Bakeoff-Lab:` and `Bakeoff-Agent:
/// adapter:model` (bakeoff's own commits) or `Co-authored-by:` naming an agent or a lab's
/// address. `Bakeoff-Lab: unknown` tells nothing.
fn author_lab_from_trailers(config: &Config, messages: &[String]) -> Option<String> {
    for message in messages {
        for line in message.lines() {
            let line = line.trim();
            if let Some(lab) = line.strip_prefix("Bakeoff-Lab:").map(str::trim) {
                if !lab.is_empty() && lab != "unknown" {
                    return Some(lab.to_string());
                }
            }
            if let Some(agent) = line.strip_prefix("Bakeoff-Agent:") {
                let model = agent
                    .trim()
                    .split_once(':')
                    .map(|(_, m)| m)
                    .unwrap_or(agent.trim());
                if let Some(lab) = pool::lab_of(config, model) {
                    return Some(lab);
                }
            }
            if let Some(who) = line.strip_prefix("Co-authored-by:") {
                let who = who.to_ascii_lowercase();
                let known = [
                    ("anthropic.com", "anthropic"),
                    ("claude", "anthropic"),
                    ("openai.com", "openai"),
                    ("codex", "openai"),
                    ("google.com", "google"),
                    ("gemini", "google"),
                ];
                if let Some((_, lab)) = known.iter().find(|(needle, _)| who.contains(needle)) {
                    return Some(lab.to_string());
                }
            }
        }
    }
    None
}
