//! `bakeoff bench`: run a suite (or one shard of it), `bench merge` shard folders into one
//! report, `bench export` the files that run it on Kubernetes or GitHub Actions.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bakeoff_core::bench::journal::{BenchDir, TrialStatus};
use bakeoff_core::bench::report;
use bakeoff_core::bench::runner::{self, BenchEvent, BenchOptions, BenchReporter};
use bakeoff_core::bench::trial::Shard;
use bakeoff_core::error::{exit, Error};
use bakeoff_core::race::RaceOptions;
use bakeoff_core::units;
use bakeoff_core::vocab::{LaneState, RaceEvent};

/// `bakeoff bench`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub command: Option<BenchCommand>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Combine the result folders of a suite's shards into the report one run gives.
    #[command(after_help = concat!(
        "Examples:\n",
        "  bakeoff bench merge shard-0 shard-1 shard-2 --out report\n\n",
        "Exit codes: 0 merged · 2 bad input (folders of other suites, a shard twice, a shard missing its trials)"
    ))]
    Merge {
        /// Shard folders (`bakeoff bench --shard I/N --out DIR` wrote them).
        #[arg(required = true, value_name = "DIR")]
        dirs: Vec<PathBuf>,
        /// Where the merged report goes.
        #[arg(long, value_name = "DIR", default_value = "bench-report")]
        out: PathBuf,
    },
    /// Write what runs a suite's shards elsewhere: a Kubernetes Indexed Job, a GitHub
    /// Actions workflow, or the Dockerfile of the image both run.
    #[command(
        group(clap::ArgGroup::new("target").required(true).args(["kubernetes", "github_actions", "dockerfile"])),
        after_help = concat!(
            "Examples:\n",
            "  bakeoff bench export bench/SUITE.toml --kubernetes --shards 8 > job.yaml\n",
            "  bakeoff bench export bench/SUITE.toml --github-actions --shards 4 > .github/workflows/bench.yml\n",
            "  bakeoff bench export --dockerfile > Dockerfile\n\n",
            "Exit codes: 0 written · 2 bad input (an unreadable suite, a value the target cannot carry)"
        )
    )]
    Export(ExportArgs),
}

/// `bakeoff bench export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The suite, as the container sees it (a path in the repository it checks out).
    #[arg(value_name = "SUITE", required_unless_present = "dockerfile")]
    pub suite: Option<String>,
    /// A Kubernetes Indexed Job (and the claim its pods write their results to).
    #[arg(long)]
    pub kubernetes: bool,
    /// A GitHub Actions workflow: a shard matrix, an artifact per shard, a merge job.
    #[arg(long)]
    pub github_actions: bool,
    /// The Dockerfile that packs bakeoff and the pinned agent CLIs.
    #[arg(long)]
    pub dockerfile: bool,
    /// How many shards.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub shards: u32,
    /// The image with bakeoff and the agent CLIs (built from `--dockerfile`).
    #[arg(long, value_name = "IMAGE", default_value = "bakeoff-bench:latest")]
    pub image: String,
    /// The Job's or workflow's name (a DNS-1123 label).
    #[arg(long, value_name = "NAME", default_value = "bakeoff-bench")]
    pub name: String,
    /// A key variable the agents need (repeatable; default: the ones the suite's agents
    /// read, found from the suite file when it is on this machine).
    #[arg(long = "secret", value_name = "VAR")]
    pub secrets: Vec<String>,
    /// Write to FILE instead of stdout.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// More `bakeoff bench` arguments for every shard (after `--`).
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<String>,
}

/// Running a suite.
#[derive(Debug, Default, clap::Args)]
pub struct RunArgs {
    /// A SUITE.toml, or SWE-bench-style instances (.jsonl).
    #[arg(value_name = "SUITE", required_unless_present = "demo")]
    pub suite: Option<PathBuf>,
    /// Run a small suite offline: three bugs in a sample repository, three labs' scripted
    /// models driving the built-in agent, every trial reviewed by another lab.
    #[arg(long, conflicts_with_all = ["suite", "agents", "shard", "shards", "out", "resume"])]
    pub demo: bool,
    /// An agent to bench, as `race -a` takes it (repeatable; replaces the suite's agents).
    #[arg(short = 'a', long = "agent", value_name = "AGENT")]
    pub agents: Vec<String>,
    /// Trials of every task × agent (over the suite's `repeats`).
    #[arg(long, value_name = "N")]
    pub repeats: Option<u32>,
    /// Run shard I of N (0-based): every N-th trial from the I-th.
    #[arg(long, value_name = "I/N", conflicts_with = "shards")]
    pub shard: Option<String>,
    /// Run shard $JOB_COMPLETION_INDEX of N, as each pod of a Kubernetes Indexed Job.
    #[arg(long, value_name = "N")]
    pub shards: Option<u32>,
    /// The results folder (default: `bench-results/SUITE`, `…/shard-I-of-N` for a shard).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Take up the results folder and run only the trials that did not finish.
    #[arg(long)]
    pub resume: bool,
    /// Trials at once (default: the number of cores).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Checks at once across every running trial (default: the number of cores).
    #[arg(long, value_name = "N")]
    pub check_jobs: Option<usize>,
    /// How long each agent may run (over the tasks' own `timeout`).
    #[arg(long, value_name = "DUR")]
    pub timeout: Option<String>,
    /// A reviewer model, `provider/model`, for every trial (repeatable).
    #[arg(long = "reviewer", value_name = "MODEL")]
    pub reviewers: Vec<String>,
    /// Rank trials by their checks alone, without model reviews.
    #[arg(long, conflicts_with = "reviewers")]
    pub no_review: bool,
    /// Stop a trial's agent once it has spent this much (US dollars).
    #[arg(long, value_name = "USD")]
    pub max_cost: Option<f64>,
    /// The spec allows deleting or weakening tests: do not gate on it.
    #[arg(long)]
    pub allow_test_edits: bool,
    /// `auto`, `on` or `off`, as for `race`.
    #[arg(long, value_name = "MODE", value_parser = super::race_args::parse_sandbox)]
    pub sandbox: Option<bakeoff_core::sandbox::SandboxMode>,
    /// `provider`, `none` or `open`, as for `race`.
    #[arg(long, value_name = "MODE", value_parser = super::race_args::parse_network)]
    pub network: Option<bakeoff_core::sandbox::Network>,
}

pub async fn bench(cwd: &Path, args: BenchArgs, config: Option<&Path>) -> Result<u8, Error> {
    match args.command {
        Some(BenchCommand::Merge { dirs, out }) => merge(cwd, &dirs, &out),
        Some(BenchCommand::Export(args)) => export(cwd, args, config),
        None if args.run.demo => super::bench_demo::run(None).await,
        None => run(cwd, args.run, config).await,
    }
}

async fn run(cwd: &Path, args: RunArgs, config: Option<&Path>) -> Result<u8, Error> {
    let suite = cwd.join(args.suite.clone().unwrap_or_default());
    let shard = match (&args.shard, args.shards) {
        (Some(text), _) => Some(Shard::parse(text)?),
        (None, Some(count)) => Some(Shard::from_completion_index(
            count,
            std::env::var("JOB_COMPLETION_INDEX").ok().as_deref(),
        )?),
        (None, None) => None,
    };
    let out = match &args.out {
        Some(out) => cwd.join(out),
        None => {
            let stem = suite
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "suite".into());
            let dir = cwd.join("bench-results").join(stem);
            match shard {
                Some(s) if s.count > 1 => dir.join(format!("shard-{}-of-{}", s.index, s.count)),
                _ => dir,
            }
        }
    };
    let opts = BenchOptions {
        suite,
        agents: args.agents,
        repeats: args.repeats,
        jobs: args.jobs,
        check_jobs: args.check_jobs,
        shard,
        out,
        resume: args.resume,
        race: RaceOptions {
            timeout: args.timeout,
            reviewers: args.reviewers,
            no_review: args.no_review,
            max_cost: args.max_cost,
            allow_test_edits: args.allow_test_edits,
            sandbox: args.sandbox,
            network: args.network,
            ..RaceOptions::default()
        },
        config: config.map(|c| cwd.join(c)),
        cache: None,
    };
    let live: Arc<Mutex<dyn BenchReporter>> =
        Arc::new(Mutex::new(Lines::new(std::io::stderr().is_terminal())));
    let outcome = runner::run(&opts, live, super::race::interrupts()).await?;
    let built = outcome.write_report()?;
    print_summary(&built, outcome.dir.root());
    Ok(ending(
        &outcome,
        &format!(
            "bakeoff bench {} --out {} --resume",
            opts.suite.display(),
            outcome.dir.root().display()
        ),
    ))
}

/// The exit code of a bench that ran, and what to do about trials that did not finish:
/// `resume` is the command that runs them.
pub(super) fn ending(outcome: &runner::BenchOutcome, resume: &str) -> u8 {
    if outcome.interrupted {
        eprintln!(
            "interrupted: {} of the shard's trials did not finish; `{resume}` runs only them",
            units::plural(outcome.unfinished, "trial")
        );
        return exit::INTERRUPTED;
    }
    if outcome.unfinished > 0 {
        eprintln!(
            "{} could not run (see above); `{resume}` runs them again",
            units::plural(outcome.unfinished, "trial")
        );
        return exit::NO_WINNER;
    }
    exit::OK
}

fn merge(cwd: &Path, dirs: &[PathBuf], out: &Path) -> Result<u8, Error> {
    let dirs: Vec<BenchDir> = dirs.iter().map(|d| BenchDir::new(cwd.join(d))).collect();
    let merged = report::merge(&dirs)?;
    let out = cwd.join(out);
    std::fs::create_dir_all(&out).map_err(|e| Error::io("create the report folder", &out, e))?;
    report::write_all(&out, &merged.report, &merged.suite, &merged.results)?;
    print_summary(&merged.report, &out);
    Ok(if merged.report.trials_missing > 0 {
        exit::NO_WINNER
    } else {
        exit::OK
    })
}

fn export(cwd: &Path, args: ExportArgs, config: Option<&Path>) -> Result<u8, Error> {
    use bakeoff_core::bench::export::{self, ExportSpec};
    let text = if args.dockerfile {
        export::dockerfile().to_string()
    } else {
        let suite = args.suite.clone().unwrap_or_default();
        let secrets = match args.secrets.is_empty() {
            false => args.secrets.clone(),
            true => suite_secrets(&cwd.join(&suite), cwd, config)?,
        };
        let spec = ExportSpec {
            suite,
            shards: args.shards,
            image: args.image.clone(),
            args: args.args.clone(),
            secrets,
            name: args.name.clone(),
        };
        let made = match args.kubernetes {
            true => export::kubernetes_job(&spec),
            false => export::github_workflow(&spec),
        };
        made.map_err(|e| Error::input_with_hint(e.to_string(), "see `bakeoff bench export --help`"))?
    };
    match &args.output {
        Some(path) => {
            let path = cwd.join(path);
            std::fs::write(&path, text).map_err(|e| Error::io("write", &path, e))?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(exit::OK)
}

/// The key variables the suite's agents read, each once, sorted.
fn suite_secrets(suite: &Path, cwd: &Path, config: Option<&Path>) -> Result<Vec<String>, Error> {
    use bakeoff_core::agent::{allowed_secrets, parse_agent_arg, AgentSpec, AgentTarget};
    if !suite.is_file() {
        return Err(Error::input_with_hint(
            format!(
                "{} is not a suite file here, so the agents' keys are not known",
                suite.display()
            ),
            "run export where the suite's path resolves, or name the keys with --secret VAR",
        ));
    }
    let suite = bakeoff_core::bench::suite::load(suite)?;
    let repo_top = bakeoff_core::git::Repo::discover(cwd)
        .ok()
        .map(|r| r.workdir().to_path_buf());
    let config = bakeoff_core::config::load(repo_top.as_deref(), config.map(|c| cwd.join(c)).as_deref())?;
    let mut keys = std::collections::BTreeSet::new();
    for agent in &suite.agents {
        let spec = match parse_agent_arg(agent)?.target {
            AgentTarget::Inline { adapter, model } => AgentSpec::new(adapter, model),
            AgentTarget::Named(name) => config.agents.get(&name).cloned().ok_or_else(|| {
                Error::input_with_hint(
                    format!("unknown agent '{name}'"),
                    "define [agents.NAME] in config, or name the keys with --secret",
                )
            })?,
        };
        keys.extend(allowed_secrets(&spec));
    }
    Ok(keys.into_iter().collect())
}

pub(super) fn print_summary(report: &report::BenchReport, dir: &Path) {
    let md = report::markdown(report);
    super::out_line(false, md.trim_end());
    super::out_line(
        false,
        &format!(
            "\nreport: {} (also report.json, report.html, trials.csv)",
            dir.join("report.md").display()
        ),
    );
}

/// The suite's progress as lines on stderr: one per finished trial with the suite's
/// totals, and on a terminal a status line of the running trials, redrawn in place.
pub(super) struct Lines {
    terminal: bool,
    total: usize,
    running: HashMap<String, &'static str>,
    drawn: bool,
}

impl Lines {
    pub(super) fn new(terminal: bool) -> Lines {
        Lines {
            terminal,
            total: 0,
            running: HashMap::new(),
            drawn: false,
        }
    }

    fn say(&mut self, line: &str) {
        self.clear();
        super::out_line(true, line);
    }

    fn clear(&mut self) {
        if self.drawn {
            eprint!("\r\x1b[2K");
            self.drawn = false;
        }
    }

    /// `running: t1 · a · #1 checking, t2 · b · #1 agent` cut to the terminal's width.
    fn draw(&mut self) {
        if !self.terminal || self.running.is_empty() {
            return;
        }
        let mut names: Vec<String> = self.running.iter().map(|(k, s)| format!("{k} {s}")).collect();
        names.sort();
        // Read on each draw, so a resized window is followed; the last column is left
        // empty, as in the race's live display.
        let width = crate::ui::stderr_width().unwrap_or(100).saturating_sub(1);
        let line = crate::ui::fit_line(&format!("running: {}", names.join(", ")), width);
        self.clear();
        eprint!("{line}");
        self.drawn = true;
    }
}

impl BenchReporter for Lines {
    fn event(&mut self, event: BenchEvent<'_>) {
        match event {
            BenchEvent::Planned { total, done, jobs } => {
                self.total = total;
                let before = match done {
                    0 => String::new(),
                    n => format!(", {n} finished before"),
                };
                self.say(&format!(
                    "bench: {}{before}, {jobs} at a time",
                    units::plural(total, "trial")
                ));
            }
            BenchEvent::TrialStarted { key } => {
                self.running.insert(key.label(), "setting up");
                self.draw();
            }
            BenchEvent::Race { key, event } => {
                let phase = match &event.event {
                    RaceEvent::LaneState { state, .. } => match state {
                        LaneState::SettingUp => "setting up",
                        LaneState::Running => "agent",
                        LaneState::Capturing => "capturing",
                        LaneState::Checking => "checking",
                        LaneState::Reviewing => "reviewing",
                        _ => return,
                    },
                    _ => return,
                };
                self.running.insert(key.label(), phase);
                self.draw();
            }
            BenchEvent::TrialFinished {
                key,
                result,
                progress,
            } => {
                self.running.remove(&key.label());
                let how = match result.status {
                    TrialStatus::Resolved => "resolved".to_string(),
                    TrialStatus::Unresolved => format!("not resolved ({})", result.tier),
                    TrialStatus::Error => {
                        format!("could not run: {}", result.error.as_deref().unwrap_or("an error"))
                    }
                };
                let cost = result
                    .cost_usd
                    .map(units::usd)
                    .unwrap_or_else(|| "cost unknown".into());
                let eta = progress
                    .eta_secs
                    .filter(|_| progress.done < progress.total)
                    .map(|s| format!(", ETA {}", units::duration_ms((s * 1000.0) as u64)))
                    .unwrap_or_default();
                self.say(&format!(
                    "[{}/{}] {}: {how} in {}, {cost} — {} resolved, {} spent{eta}",
                    progress.done,
                    progress.total,
                    key.label(),
                    units::duration_ms(result.elapsed_ms),
                    progress.resolved,
                    units::usd(progress.spent_usd),
                ));
                self.draw();
            }
            BenchEvent::TrialLost { key, error } => {
                self.running.remove(&key.label());
                self.say(&format!("{}: could not run: {error}", key.label()));
                self.draw();
            }
        }
    }
}

impl Drop for Lines {
    fn drop(&mut self) {
        self.clear();
    }
}
