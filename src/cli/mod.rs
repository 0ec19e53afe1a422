//! The command line: argument definitions and dispatch. Each command lives in its own
//! file and returns an exit code or an `Error`, which becomes a message and a code here.

mod agents;
mod bench;
mod bench_demo;
mod builtin_agent;
mod candidates;
mod completions;
mod demo;
mod diff;
mod doctor;
mod merge;
mod plan;
mod race;
mod race_args;
#[cfg(test)]
mod readme;
mod records;
mod report;
mod resume;
mod review;

pub use race::run_planned;

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use clap_complete::engine::ArgValueCandidates;

use bakeoff_core::error::Error;
use bakeoff_core::vocab::MergeMode;

pub use race_args::RaceArgs;

/// Race coding agents on the same task in parallel git worktrees, check and rank what
/// they made, and merge the winner.
/// What every command's exit code means, shown under `--help`.
const EXIT_CODES: &str =
    "Exit codes: 0 done (a winner exists; merged when asked) · 1 finished, but no lane passed \
(or the winner may not be merged) · 2 bad usage, input or config (nothing created) · 3 a provider \
or key problem · 70 a bug in bakeoff · 130 interrupted";

#[derive(Debug, Parser)]
#[command(name = "bakeoff", version, about, max_term_width = 100, after_help = EXIT_CODES)]
pub struct Cli {
    /// Run as if started in DIR.
    #[arg(short = 'C', global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// An extra config file, applied over the user's and the repository's.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Color: `auto` (on a terminal, unless NO_COLOR is set), `always` or `never`.
    #[arg(long, global = true, value_name = "WHEN", value_enum, default_value_t = crate::ui::ColorWhen::Auto)]
    pub color: crate::ui::ColorWhen,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Race agents on a spec: one worktree per lane, checks, ranking, optional merge.
    #[command(after_help = concat!(
        "Examples:\n",
        "  bakeoff race \"Fix the flaky retry test\" -a claude:claude-sonnet-4-6 -a codex:gpt-5.5 --check 'cargo test'\n",
        "  bakeoff race --spec-file task.md -a claude:claude-opus-4-6*3 --holdout qa/ --holdout-check 'pytest qa' --merge\n",
        "  bakeoff race \"Add a --json flag\" -a fast -a careful --cascade --until first-approved\n",
        "  bakeoff race \"Fix src/slug.sh for spaces\" --plan-with openai/gpt-5.5 -a claude:claude-sonnet-4-6\n\n",
        "Exit codes: 0 a winner (merged when asked) · 1 no lane passed · 2 bad input (nothing created) · 3 provider or key · 130 interrupted"
    ))]
    Race(Box<RaceArgs>),
    /// Benchmark agents on a suite of tasks × agents × repeats: resolved rates with
    /// intervals, pass@k, cost and time, a ranking, and whether differences are real.
    #[command(after_help = concat!(
        "Examples:\n",
        "  bakeoff bench --demo\n",
        "  bakeoff bench bench/suite.toml --repeats 3 --jobs 4\n",
        "  bakeoff bench swe.jsonl -a claude:claude-sonnet-4-6 -a codex:gpt-5.5 --out results/\n",
        "  bakeoff bench bench/suite.toml --out results/ --resume\n",
        "  bakeoff bench bench/suite.toml --shard 0/3 --out shard-0 && bakeoff bench merge shard-*\n",
        "  bakeoff bench export bench/suite.toml --kubernetes --shards 8 > job.yaml\n\n",
        "Exit codes: 0 every trial finished · 1 some trials could not run (--resume runs them) · 2 bad input · 3 provider or key · 130 interrupted"
    ))]
    Bench(Box<bench::BenchArgs>),
    /// Have models of other labs than the author's review a change.
    #[command(after_help = concat!(
        "Examples:\n",
        "  bakeoff review --reviewer openai/gpt-5.5                 # HEAD against its upstream or main\n",
        "  bakeoff review --base main --format markdown > review.md\n",
        "  bakeoff review --worktree --fail-on major                # uncommitted work, gate a hook on it\n\n",
        "Exit codes: 0 reviewed · 1 a finding at or above --fail-on · 2 bad input · 3 provider or key"
    ))]
    Review(review::ReviewArgs),
    /// Have a model write the delegation brief for a task: goal, inputs, output,
    /// constraints and acceptance checks, each check proposed as a command and run once
    /// on the base, where it must fail to prove anything. It sees a bounded view of the
    /// repository (its file tree, README and the files the task names), never the
    /// holdout files.
    #[command(after_help = concat!(
        "Examples:\n",
        "  bakeoff plan \"Make retry() back off exponentially\" --with openai/gpt-5.5 -o spec.md\n",
        "  bakeoff plan \"Fix src/slug.sh for spaces\" --with google/gemini-3-pro --accept-checks -o spec.md\n",
        "  bakeoff plan \"Add --json to list\" --holdout qa/ --holdout-check 'sh qa/run.sh'\n",
        "  bakeoff race \"Fix src/slug.sh for spaces\" --plan-with openai/gpt-5.5 -a claude:claude-sonnet-4-6\n\n",
        "Exit codes: 0 a brief written · 2 bad input or a refused plan (no acceptance checks, an empty goal, \
an answer unreadable after one repair; nothing written) · 3 provider or key"
    ))]
    Plan(plan::PlanArgs),
    /// Merge a lane of a finished race (default: the winner of the last race).
    #[command(after_help = concat!(
        "Examples:\n",
        "  bakeoff merge                       # the last race's winner, squashed\n",
        "  bakeoff merge 20261121 --lane quick --strategy branch\n\n",
        "Exit codes: 0 merged · 1 not mergeable (no winner, or never reviewed) · 2 bad input · 3 a review failed for a provider or key"
    ))]
    Merge {
        /// The race id, a prefix of it, or `last`.
        #[arg(default_value = "last", add = ArgValueCandidates::new(candidates::races))]
        race: String,
        /// The lane to merge instead of the winner.
        #[arg(long, add = ArgValueCandidates::new(candidates::lanes))]
        lane: Option<String>,
        /// squash (one commit), merge (a merge commit) or branch (leave it for a PR).
        #[arg(long, value_enum)]
        strategy: Option<MergeArg>,
        /// Merge the lane even if no model of another lab reviewed it successfully.
        /// Without it, such a lane is refused (exit 3 when a provider or key failure left
        /// it unreviewed, 1 otherwise); races run with --no-review merge as they are.
        #[arg(long)]
        allow_unreviewed: bool,
    },
    /// Add a synthesis lane to a finished race: a model of another lab than the
    /// finalists' authors combines their diffs, checks and findings into one change,
    /// checked, reviewed and ranked with them (docs/synthesize.md).
    #[command(after_help = concat!(
        "Examples:\n",
        "  bakeoff synthesize --with openai/gpt-5.5                 # the last race's top two lanes\n",
        "  bakeoff synthesize 20261121 --with google/gemini-3-pro --lanes tidy,quick\n\n",
        "Exit codes: 0 a winner (merge it with `bakeoff merge`) · 1 no lane passed · 2 bad input (an unfinished race, a synthesiser of an author's lab, a lane twice) · 3 provider or key"
    ))]
    Synthesize {
        /// The race id, a prefix of it, or `last`.
        #[arg(default_value = "last", add = ArgValueCandidates::new(candidates::races))]
        race: String,
        /// The synthesiser, `provider/model`.
        #[arg(long = "with", value_name = "MODEL")]
        with: String,
        /// The lanes to combine, best first (default: the top two of the standings).
        #[arg(long, value_name = "LANE,LANE", value_delimiter = ',')]
        lanes: Vec<String>,
        /// Let a synthesiser of an author's lab combine that author's lane.
        #[arg(long)]
        allow_same_lab: bool,
        /// Print the race's events as NDJSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Finish a race whose bakeoff died: kill what it left running, keep the lanes that
    /// had ended, run the others again, then rank and merge as the race asked.
    #[command(after_help = concat!(
        "Examples:\n",
        "  bakeoff resume              # the last race, after a crash or Ctrl-C\n",
        "  bakeoff resume 20261121 --json\n\n",
        "Exit codes: 0 a winner (merged when asked) · 1 no lane passed · 2 bad input (unknown race) · 3 provider or key · 130 interrupted"
    ))]
    Resume {
        /// The race id, a prefix of it, or `last`.
        #[arg(default_value = "last", add = ArgValueCandidates::new(candidates::races))]
        race: String,
        /// Print the race's events as NDJSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// List recorded races, oldest first.
    #[command(after_help = concat!(
        "Examples:\n",
        "  bakeoff list\n",
        "  bakeoff list --json | jq -r '.[].id'\n\n",
        "Exit codes: 0 listed · 2 not in a git repository"
    ))]
    List {
        /// One JSON array of the races.
        #[arg(long)]
        json: bool,
    },
    /// Show a race: lanes, checks, leaderboard, merge.
    #[command(after_help = concat!(
        "Examples:\n",
        "  bakeoff show                 # the last race\n",
        "  bakeoff show 20261121 --json\n\n",
        "Exit codes: 0 shown · 2 bad input (no such race, an ambiguous prefix: its candidates are listed)"
    ))]
    Show {
        #[arg(default_value = "last", add = ArgValueCandidates::new(candidates::races))]
        race: String,
        /// The race as one JSON object: its lanes with their results, the leaderboard,
        /// the merges.
        #[arg(long)]
        json: bool,
    },
    /// Print a lane's diff against the base, or the difference between two lanes:
    /// `diff [RACE] LANE [LANE2]`, the race `last` unless named.
    #[command(after_help = concat!(
        "Examples:\n",
        "  bakeoff diff quick             # a lane of the last race against its base\n",
        "  bakeoff diff tidy quick        # two lanes against each other\n",
        "  bakeoff diff 20261121 tidy\n\n",
        "Exit codes: 0 printed · 2 bad input (no such race or lane)"
    ))]
    Diff {
        /// `[RACE] LANE [LANE2]`.
        #[arg(required = true, num_args = 1..=3, value_name = "RACE|LANE",
              add = ArgValueCandidates::new(candidates::races_and_lanes))]
        args: Vec<String>,
    },
    /// A recorded race as a page: the spec, each lane's agent, model, checks, reviews
    /// and findings, cost and time, the lanes' diffs side by side, and the leaderboard
    /// with its reasons. Every race also writes its HTML page, `report.html`, beside its
    /// records when it ends.
    #[command(after_help = concat!(
        "Examples:\n",
        "  bakeoff report                                  # the last race, Markdown on stdout\n",
        "  bakeoff report --format html                    # writes the race's report.html, prints its path\n",
        "  bakeoff report 20261121 -o pr.md                # a PR comment, marked <!-- bakeoff-report -->\n",
        "  bakeoff report last --format json | jq '.lanes[].cost_usd'\n\n",
        "Exit codes: 0 written · 2 bad input (unknown race, ambiguous prefix, unknown format; nothing written)"
    ))]
    Report(report::ReportArgs),
    /// Remove the worktrees and lane branches of a race (records stay unless --purge).
    #[command(after_help = concat!(
        "Examples:\n",
        "  bakeoff clean last\n",
        "  bakeoff clean --all --purge     # every race, records too\n\n",
        "Exit codes: 0 cleaned · 2 bad input (no such race, or a race still running)"
    ))]
    Clean {
        /// The race to clean.
        #[arg(required_unless_present = "all", conflicts_with = "all",
              add = ArgValueCandidates::new(candidates::races))]
        race: Option<String>,
        /// Clean every recorded race.
        #[arg(long)]
        all: bool,
        /// Also delete the race records.
        #[arg(long)]
        purge: bool,
    },
    /// Race three scripted agents on a sample repository, offline, start to finish.
    #[command(after_help = concat!(
        "Examples:\n",
        "  bakeoff demo\n",
        "  bakeoff demo --dir /tmp/try --plan   # a scripted planner writes the brief first\n\n",
        "Exit codes: 0 the demo's winner merged · 2 the folder is in use or cannot be made"
    ))]
    Demo {
        /// Where to build the demo (default: a new temporary folder, kept afterwards).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Print the race's events as NDJSON on stdout.
        #[arg(long)]
        json: bool,
        /// Plan first: a scripted planner writes the brief every lane receives (`race
        /// --plan-with`).
        #[arg(long)]
        plan: bool,
        /// Synthesise too: once the lanes are reviewed, a scripted model of another lab
        /// combines the two best into one more lane (`race --synthesize`).
        #[arg(long)]
        synthesize: bool,
    },
    /// Check git, the config, the agent CLIs and the provider keys (never printing one).
    #[command(after_help = concat!(
        "Examples:\n",
        "  bakeoff doctor                        # what is installed and configured\n",
        "  bakeoff doctor --ping                 # and try every [agents] table and reviewer for real\n",
        "  bakeoff doctor --ping -a codex:gpt-5  # try this agent, as a race would run it\n\n",
        "Exit codes: 0 ready · 2 the config is not usable · 3 a key, provider or agent failed"
    ))]
    Doctor {
        /// Also try each agent for real (a one-word answer, in a scratch repository, set up
        /// as a race lane is) and send one tiny request to each reviewer's provider.
        #[arg(long)]
        ping: bool,
        /// The agent to try with --ping (repeatable; default: every [agents] table).
        #[arg(short = 'a', long = "agent", value_name = "AGENT", requires = "ping",
              add = ArgValueCandidates::new(candidates::agents))]
        agents: Vec<String>,
        /// The checks as one JSON object (`ready`, `exit`, `sections`); the exit code is
        /// the same.
        #[arg(long)]
        json: bool,
    },
    /// List the agent adapters, the agent CLIs found on PATH, and the model → lab table.
    #[command(after_help = concat!(
        "Examples:\n",
        "  bakeoff agents\n",
        "  bakeoff agents --json | jq '.adapters[].name'\n\n",
        "Exit codes: 0 listed · 2 the config is not usable"
    ))]
    Agents {
        /// All of it as one JSON object, with the configured `[agents]` tables.
        #[arg(long)]
        json: bool,
    },
    /// Print a completion script for a shell: commands and flags, and race ids, lanes and
    /// agent names read when you press Tab.
    #[command(after_help = concat!(
        "Examples:\n",
        "  bakeoff completions bash >> ~/.bashrc   # or: source <(bakeoff completions bash)\n",
        "  bakeoff completions fish > ~/.config/fish/completions/bakeoff.fish\n\n",
        "Exit codes: 0 printed · 2 unknown shell"
    ))]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// The built-in agent: a bash-only loop over a provider, as a race runs it in a
    /// lane's worktree (`-a builtin:provider/model`).
    #[command(hide = true)]
    BuiltinAgent(builtin_agent::BuiltinAgentArgs),
}

/// Runs bakeoff with the process's arguments and returns its exit code.
pub fn main() -> u8 {
    // A shell asking for completions (`BAKEOFF_COMPLETE=bash bakeoff -- …`, as the script
    // of `bakeoff completions` does) is answered here and the process exits.
    completions::complete_env().complete();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            report_error(&e);
            e.exit_code()
        }
    }
}

/// Prints an error the way every command does: what failed, its causes, then what to
/// do about it.
pub fn report_error(e: &Error) {
    use std::io::Write;
    let mut text = format!("error: {e}\n");
    for cause in e.causes() {
        text.push_str(&format!("caused by: {cause}\n"));
    }
    for hint in e.hints() {
        text.push_str(&format!("hint: {hint}\n"));
    }
    if e.kind() == bakeoff_core::error::ErrorKind::Internal {
        text.push_str("hint: this is a bug in bakeoff; please report it with the command you ran\n");
    }
    let _ = std::io::stderr().write_all(text.as_bytes());
}

fn run(cli: Cli) -> Result<u8, Error> {
    crate::ui::set_color(cli.color);
    // A command that only reads and prints (`show … | head`) should end quietly when its
    // reader goes away, as Unix tools do, instead of failing on the first write. Commands
    // that run lanes keep ignoring SIGPIPE: they must stop their agents themselves, and
    // they print through `out_line`, which drops output nobody reads.
    if !matches!(
        cli.command,
        Command::Race(_)
            | Command::Bench(_)
            | Command::Demo { .. }
            | Command::Resume { .. }
            | Command::Synthesize { .. }
            | Command::BuiltinAgent(_)
    ) {
        // SAFETY: setting a signal disposition before any thread is started.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    }
    let cwd = match &cli.dir {
        Some(d) => d.clone(),
        None => {
            std::env::current_dir().map_err(|e| Error::io("cannot read", std::path::Path::new("."), e))?
        }
    };
    // One thread drives every lane: lanes mostly wait on children and timers, and git
    // work goes to the blocking pool, so a second worker would only add wake-ups.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::internal(format!("cannot start the async runtime: {e}")))?;
    let config = cli.config.as_deref();
    runtime.block_on(async move {
        match cli.command {
            Command::Race(args) => race::race(&cwd, &(*args).into(), config).await,
            Command::Bench(args) => bench::bench(&cwd, *args, config).await,
            Command::Review(opts) => review::review(&cwd, &opts, config).await,
            Command::Plan(args) => plan::plan(&cwd, &args, config).await,
            Command::Merge {
                race,
                lane,
                strategy,
                allow_unreviewed,
            } => merge::merge(
                &cwd,
                &race,
                merge::MergeArgs {
                    lane: lane.as_deref(),
                    strategy: strategy.map(Into::into),
                    allow_unreviewed,
                },
                config,
            ),
            Command::Resume { race, json } => resume::resume(&cwd, &race, json, config).await,
            Command::Synthesize {
                race,
                with,
                lanes,
                allow_same_lab,
                json,
            } => {
                let opts = bakeoff_core::race::SynthesizeOptions {
                    model: with,
                    lanes,
                    allow_same_lab,
                };
                resume::synthesize(&cwd, &race, &opts, json, config).await
            }
            Command::List { json } => records::list(&cwd, json),
            Command::Show { race, json } => records::show(&cwd, &race, json),
            Command::Diff { args } => diff::diff(&cwd, &args),
            Command::Report(args) => report::report(&cwd, &args),
            Command::Clean { race, all, purge } => records::clean(&cwd, race.as_deref(), all, purge),
            Command::Demo {
                dir,
                json,
                plan,
                synthesize,
            } => demo::run(dir, json, plan, synthesize).await,
            Command::Doctor { ping, agents, json } => doctor::doctor(&cwd, config, ping, &agents, json).await,
            Command::Agents { json } => agents::agents(&cwd, config, json).await,
            Command::Completions { shell } => completions::completions(shell),
            Command::BuiltinAgent(args) => Ok(builtin_agent::run(&cwd, args, config).await),
        }
    })
}

/// `--merge` and `--strategy`: the core's [`MergeMode`], as clap offers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum MergeArg {
    /// One commit on the branch that was checked out when the race began.
    Squash,
    /// A merge commit of the lane branch.
    Merge,
    /// Leave the lane branch as it is and say how to open a pull request.
    Branch,
}

impl From<MergeArg> for MergeMode {
    fn from(m: MergeArg) -> MergeMode {
        match m {
            MergeArg::Squash => MergeMode::Squash,
            MergeArg::Merge => MergeMode::Merge,
            MergeArg::Branch => MergeMode::Branch,
        }
    }
}

/// Prints a line on stdout (or stderr), dropping it if nobody reads any more: a race's
/// ending must not fail because its output was piped into `head`.
pub(crate) fn out_line(to_stderr: bool, line: &str) {
    use std::io::Write;
    let _ = if to_stderr {
        writeln!(std::io::stderr(), "{line}")
    } else {
        writeln!(std::io::stdout(), "{line}")
    };
}

/// Whether stdout/stderr output may use color.
pub(crate) fn color_on_stderr() -> bool {
    crate::ui::color_enabled(std::io::stderr().is_terminal())
}

pub(crate) fn color_on_stdout() -> bool {
    crate::ui::color_enabled(std::io::stdout().is_terminal())
}
