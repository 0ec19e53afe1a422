//! `bakeoff review`: a model of another lab than the author's reviews a branch, a range
//! or the uncommitted work, and reports as text, Markdown, JSON or SARIF with an exit code
//! a CI job can gate on. Here are the flags, their conversion into the core's
//! [`ReviewOptions`], the printing and the exit code; the review itself is
//! [`bakeoff_core::review::pipeline`].

use std::path::{Path, PathBuf};

use bakeoff_core::error::{exit, Error};
use bakeoff_core::review::pipeline::{self, Decision, ReviewOptions};
use bakeoff_core::review::report::{self, ReviewReport};
use bakeoff_core::review::Severity;

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
pub struct ReviewArgs {
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
    /// The lab that wrote the change, `human` for none (default: read from the commits'
    /// `Bakeoff-Lab:`, `Bakeoff-Agent:` or `Co-authored-by:` trailers; refused when
    /// they do not tell).
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

/// Runs `bakeoff review` and prints its report; the exit code says how it ended.
pub async fn review(cwd: &Path, args: &ReviewArgs, config_file: Option<&Path>) -> Result<u8, Error> {
    let (repo, config) = pipeline::open(cwd, config_file)?;
    for w in &config.warnings {
        eprintln!("warning: {w}");
    }
    let outcome = pipeline::run(&repo, &config, &args.into()).await?;
    print!("{}", render(&outcome.report, args.format));
    Ok(match outcome.decision {
        Decision::Credentials { message } => {
            super::report_error(&Error::Credentials { message });
            exit::PROVIDER
        }
        Decision::Fails => exit::NO_WINNER,
        Decision::Passes => exit::OK,
    })
}

/// The report in the asked format.
fn render(report: &ReviewReport, format: Format) -> String {
    match format {
        Format::Text => report::text(report, super::color_on_stdout()),
        Format::Markdown => report::markdown(report),
        Format::Json => report::json(report),
        Format::Sarif => report::sarif(report),
    }
}

impl From<&ReviewArgs> for ReviewOptions {
    fn from(a: &ReviewArgs) -> ReviewOptions {
        ReviewOptions {
            base: a.base.clone(),
            head: a.head.clone(),
            worktree: a.worktree,
            reviewers: a.reviewers.clone(),
            reviewers_per_lane: a.reviewers_per_lane,
            author_lab: a.author_lab.clone(),
            allow_same_lab: a.allow_same_lab,
            spec: a.spec.clone(),
            spec_file: a.spec_file.clone(),
            fail_on: a.fail_on.map(Into::into),
        }
    }
}

impl From<FailOn> for Severity {
    fn from(f: FailOn) -> Severity {
        match f {
            FailOn::Blocker => Severity::Blocker,
            FailOn::Major => Severity::Major,
            FailOn::Minor => Severity::Minor,
        }
    }
}
