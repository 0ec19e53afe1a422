//! `bakeoff review`: a model of another lab than the author's reviews a branch, a range
//! or the uncommitted work, and reports as text, Markdown, JSON or SARIF with an exit code
//! a CI job can gate on.

use std::path::{Path, PathBuf};

use bakeoff_core::config;
use bakeoff_core::error::{exit, Error};
use bakeoff_core::git::{self, Repo};
use bakeoff_core::review::pool as reviewers;
use bakeoff_core::review::report::{self, ReviewReport, ReviewerResult};
use bakeoff_core::review::{self, reviewer, ReviewPlan, ReviewRecord, Severity};

/// The report formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Markdown,
    Json,
    Sarif,
}

/// The severity at which `--fail-on` makes the command exit 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Blocker,
    Major,
    Minor,
}

/// Options of `bakeoff review`.
#[derive(Clone, Debug, clap::Args)]
pub struct ReviewOptions {
    /// Where the change starts (default: the merge-base with the upstream, or main).
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
    /// Where the change ends.
    #[arg(long, value_name = "REF", default_value = "HEAD", conflicts_with = "worktree")]
    pub head: String,
    /// Review the uncommitted work (staged, unstaged, untracked) against --base.
    #[arg(long)]
    pub worktree: bool,
    /// A reviewer model, `provider/model` (repeatable; adds to [review] reviewers).
    #[arg(long = "reviewer", value_name = "MODEL")]
    pub reviewers: Vec<String>,
    /// How many reviewers of other labs review the change (default 1).
    #[arg(long, value_name = "K")]
    pub reviewers_per_lane: Option<usize>,
    /// The lab that wrote the change (default: read from `Bakeoff-Agent:` or
    /// `Co-authored-by:` trailers).
    #[arg(long, value_name = "LAB")]
    pub author_lab: Option<String>,
    /// Allow a reviewer of the author's lab when no other lab is available.
    #[arg(long)]
    pub allow_same_lab: bool,
    /// What the change was meant to do, as text (default: the commit messages).
    #[arg(long, value_name = "TEXT", conflicts_with = "spec_file")]
    pub spec: Option<String>,
    #[arg(long, value_name = "FILE")]
    pub spec_file: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Exit 1 when a finding is at least this severe.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,
}

pub async fn review(cwd: &Path, opts: &ReviewOptions, config_file: Option<&Path>) -> Result<u8, Error> {
    let repo = Repo::discover(cwd)?;
    let config = config::load(Some(repo.workdir()), config_file)?;
    for w in &config.warnings {
        eprintln!("warning: {w}");
    }
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
    let (base_name, head_name) = (
        opts.base.clone().unwrap_or_else(|| short(&base)),
        if opts.worktree {
            "the work tree".to_string()
        } else {
            head_ref.to_string()
        },
    );
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
    let spec = match (&opts.spec, &opts.spec_file) {
        (Some(s), _) => s.clone(),
        (None, Some(f)) => std::fs::read_to_string(f)
            .map_err(|e| Error::input(format!("cannot read spec file {}: {e}", f.display())))?,
        (None, None) if !messages.is_empty() => messages.join("\n---\n"),
        (None, None) => "Review this change: is it correct, safe and well made?".to_string(),
    };
    let author_lab = opts
        .author_lab
        .clone()
        .or_else(|| author_lab_from_trailers(&config, &messages));

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
    let plan = ReviewPlan::build(&config, &names, None, review::clock_seed())?;
    let pool = &plan.reviewers;
    let per = opts.reviewers_per_lane.unwrap_or(config.review.per_lane).max(1);
    let chosen = reviewers::assign(
        pool,
        author_lab.as_deref(),
        per,
        opts.allow_same_lab || config.review.allow_same_lab,
    )?;
    let checks = Vec::new();
    let jobs = chosen.reviewers.iter().filter_map(|n| pool.get(n)).map(|r| {
        let job = reviewer::Job {
            spec: &spec,
            label: "the change",
            diff: &diff,
            checks: checks.clone(),
            token_budget: plan.token_budget,
            nonce_seed: plan.seed,
            prices: &plan.prices,
            same_lab: chosen.same_lab,
        };
        async move { reviewer::review(r, &job, &mut |_| {}).await }
    });
    let records: Vec<ReviewRecord> = futures_util::future::join_all(jobs).await;
    let report = ReviewReport {
        base: base_name,
        head: head_name,
        reviewers: records.iter().map(result_of).collect(),
        bakeoff_findings: review::scan(&diff),
        not_reviewed: records.iter().flat_map(|r| r.not_reviewed.clone()).collect(),
        same_lab: chosen.same_lab,
    };
    let out = match opts.format {
        Format::Text => report::text(&report, super::color_on_stdout()),
        Format::Markdown => report::markdown(&report),
        Format::Json => report::json(&report),
        Format::Sarif => report::sarif(&report),
    };
    print!("{out}");
    if let Some(r) = records.iter().find(|r| r.credentials_error) {
        super::report_error(&Error::Credentials {
            message: format!(
                "reviewer {} could not review: {}",
                r.reviewer,
                r.output.as_ref().err().cloned().unwrap_or_default()
            ),
        });
        return Ok(exit::PROVIDER);
    }
    let fail_on = opts.fail_on.map(|f| match f {
        FailOn::Blocker => Severity::Blocker,
        FailOn::Major => Severity::Major,
        FailOn::Minor => Severity::Minor,
    });
    Ok(match fail_on {
        Some(level) if report::fails(&report, level) => exit::NO_WINNER,
        _ => exit::OK,
    })
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

/// The author's lab from commit trailers: `Bakeoff-Agent: adapter:model` (bakeoff's own
/// merges) or `Co-authored-by:` naming an agent or a lab's address.
fn author_lab_from_trailers(config: &config::Config, messages: &[String]) -> Option<String> {
    for message in messages {
        for line in message.lines() {
            let line = line.trim();
            if let Some(agent) = line.strip_prefix("Bakeoff-Agent:") {
                let model = agent
                    .trim()
                    .split_once(':')
                    .map(|(_, m)| m)
                    .unwrap_or(agent.trim());
                if let Some(lab) = reviewers::lab_of(config, model) {
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
