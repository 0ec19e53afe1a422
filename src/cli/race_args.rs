//! The flags of `bakeoff race`, turned into the core's [`RaceOptions`].

use std::path::PathBuf;

use bakeoff_core::race::RaceOptions;

use super::MergeArg;

/// Options of `bakeoff race`.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct RaceArgs {
    /// The task every lane receives, as text (or use --spec-file).
    #[arg(value_name = "SPEC", conflicts_with = "spec_file")]
    pub spec: Option<String>,
    /// Read the task from a Markdown file.
    #[arg(long, value_name = "FILE")]
    pub spec_file: Option<PathBuf>,
    /// A lane: `adapter:model`, `adapter:model*N` for N lanes, `NAME=adapter:model` to name
    /// it, or the name of an [agents.NAME] table in config. Repeatable.
    #[arg(short = 'a', long = "agent", value_name = "AGENT", required = true,
          add = clap_complete::engine::ArgValueCandidates::new(super::candidates::agents))]
    pub agents: Vec<String>,
    /// A check command run in every lane after the agent stops (repeatable).
    #[arg(long = "check", value_name = "CMD")]
    pub checks: Vec<String>,
    /// Files the agents never see, laid into each worktree after capture.
    #[arg(long, value_name = "DIR")]
    pub holdout: Option<PathBuf>,
    /// A check run after the holdout files are laid in (repeatable).
    #[arg(long = "holdout-check", value_name = "CMD")]
    pub holdout_checks: Vec<String>,
    /// A test the holdout checks must run and pass, read from their JUnit reports
    /// (`tests/test_x.py::test_y`, or a test name; repeatable).
    #[arg(long = "must-pass", value_name = "TEST")]
    pub must_pass: Vec<String>,
    /// A test the holdout checks must run and keep passing (repeatable).
    #[arg(long = "keep-passing", value_name = "TEST")]
    pub keep_passing: Vec<String>,
    /// The commit every lane starts from.
    #[arg(long, value_name = "REF", default_value = "HEAD")]
    pub base: String,
    /// Merge the winner when the race ends.
    #[arg(long, value_name = "STRATEGY", num_args = 0..=1, default_missing_value = "squash")]
    pub merge: Option<MergeArg>,
    /// How long each agent may run (e.g. 30m, 90s).
    #[arg(long, value_name = "DUR")]
    pub timeout: Option<String>,
    /// Stop an agent that makes no progress (no turn, tool call or usage) this long, e.g.
    /// one retrying its connection; `off` never does (default: 15m)
    #[arg(long, value_name = "DUR|off")]
    pub stall_timeout: Option<String>,
    /// How many agents run at once (default: all lanes).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// How many checks run at once across lanes (default: the number of cores).
    #[arg(long, value_name = "N")]
    pub check_jobs: Option<usize>,
    /// A reviewer model, `provider/model` (repeatable; adds to [review] reviewers).
    #[arg(long = "reviewer", value_name = "MODEL")]
    pub reviewers: Vec<String>,
    /// Reviewers per lane, each of a lab other than the lane author's (default: 1).
    #[arg(long, value_name = "K")]
    pub reviewers_per_lane: Option<usize>,
    /// Let a reviewer of the author's own lab review when no other lab is available; the
    /// verdict is marked so.
    #[arg(long)]
    pub allow_same_lab: bool,
    /// A model of a third lab that settles close calls, pairwise in both orders.
    #[arg(long, value_name = "MODEL")]
    pub judge: Option<String>,
    /// Race without model reviews: rank by the checks alone.
    #[arg(long, conflicts_with_all = ["reviewers", "judge"])]
    pub no_review: bool,
    /// With --merge: merge the winner even if no model of another lab reviewed it
    /// successfully (every review failed, or only a same-lab fallback answered). Without
    /// it, such a winner stays ranked but is not merged (exit 3 when a provider or key
    /// failure left it unreviewed, 1 otherwise). Recorded, so `resume` merges alike.
    #[arg(long)]
    pub allow_unreviewed: bool,
    /// Stop a lane's agent once it has spent this much (US dollars; Claude Code gets it as
    /// --max-budget-usd, others are stopped from their live usage).
    #[arg(long, value_name = "USD")]
    pub max_cost: Option<f64>,
    /// Stop every lane once the whole race (agents and reviews) has spent this much.
    #[arg(long, value_name = "USD")]
    pub race_max_cost: Option<f64>,
    /// `first-approved`: cancel the other lanes once one lane passes every check and every
    /// reviewer approves.
    #[arg(long, value_name = "WHEN", value_parser = ["first-approved"])]
    pub until: Option<String>,
    /// Run lanes in tiers, one tier per -a in the order given (cheap models first): the
    /// next tier starts only if no lane of the previous one was approved.
    #[arg(long)]
    pub cascade: bool,
    /// Give a lane up to N more rounds while its reviewers request changes or reject, or
    /// a check fails: its agent gets the findings and the failed checks' names, in the
    /// same worktree and session where the CLI can resume (default: 0, or [review]
    /// fix-rounds).
    #[arg(long, value_name = "N")]
    pub fix_rounds: Option<u32>,
    /// The spec allows deleting or weakening tests: do not gate on it.
    #[arg(long)]
    pub allow_test_edits: bool,
    /// Print the race's events as NDJSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Run each lane in a sandbox: `auto` where this machine can (bubblewrap on Linux),
    /// `on` to refuse to start without one, `off` to run lanes as you (default: auto, or
    /// [sandbox] mode).
    #[arg(long, value_name = "MODE", value_parser = parse_sandbox)]
    pub sandbox: Option<bakeoff_core::sandbox::SandboxMode>,
    /// Where a sandboxed lane's agent may connect: `provider` (only its provider's hosts,
    /// through bakeoff's proxy), `none`, or `open` (default: provider, or [sandbox] network).
    #[arg(long, value_name = "MODE", value_parser = parse_network)]
    pub network: Option<bakeoff_core::sandbox::Network>,
    /// Plan first: MODEL (`provider/model`) writes a brief from SPEC (goal, inputs,
    /// output, constraints, acceptance checks); every lane receives the brief, and its
    /// check commands become the race's checks (see `bakeoff plan`).
    #[arg(long, value_name = "MODEL")]
    pub plan_with: Option<String>,
    /// Once every lane is reviewed, MODEL (`provider/model`, of a lab other than the
    /// finalists' authors) combines the two best lanes' diffs, with their checks and
    /// reviewers' findings, into one more lane, `synthesis`, checked, reviewed and ranked
    /// like any other (see docs/synthesize.md).
    #[arg(long, value_name = "MODEL")]
    pub synthesize: Option<String>,
    /// The lanes `--synthesize` combines, best first (default: the top two so far).
    #[arg(
        long,
        value_name = "LANE,LANE",
        value_delimiter = ',',
        requires = "synthesize"
    )]
    pub synthesize_lanes: Vec<String>,
}

pub(super) fn parse_sandbox(s: &str) -> Result<bakeoff_core::sandbox::SandboxMode, String> {
    s.parse()
}

pub(super) fn parse_network(s: &str) -> Result<bakeoff_core::sandbox::Network, String> {
    s.parse()
}

impl From<RaceArgs> for RaceOptions {
    fn from(a: RaceArgs) -> RaceOptions {
        RaceOptions {
            spec: a.spec,
            spec_file: a.spec_file,
            agents: a.agents,
            checks: a.checks,
            holdout: a.holdout,
            holdout_checks: a.holdout_checks,
            must_pass: a.must_pass,
            keep_passing: a.keep_passing,
            base: a.base,
            merge: a.merge.map(Into::into),
            timeout: a.timeout,
            stall_timeout: a.stall_timeout,
            jobs: a.jobs,
            check_jobs: a.check_jobs,
            reviewers: a.reviewers,
            reviewers_per_lane: a.reviewers_per_lane,
            allow_same_lab: a.allow_same_lab,
            judge: a.judge,
            no_review: a.no_review,
            allow_unreviewed: a.allow_unreviewed,
            max_cost: a.max_cost,
            race_max_cost: a.race_max_cost,
            until: a.until,
            cascade: a.cascade,
            fix_rounds: a.fix_rounds,
            allow_test_edits: a.allow_test_edits,
            json: a.json,
            sandbox: a.sandbox,
            network: a.network,
            plan_with: a.plan_with,
            synthesize: a.synthesize,
            synthesize_lanes: a.synthesize_lanes,
        }
    }
}
