//! What the user asked of a race: the command line's `bakeoff race` flags, resolved by
//! `preflight` into a plan.

use std::path::PathBuf;

use crate::vocab::MergeMode;

/// Options of a race, as `bakeoff race` takes them (and `bakeoff demo` sets them).
#[derive(Clone, Debug, Default)]
pub struct RaceOptions {
    /// The task every lane receives, as text (or use --spec-file).
    pub spec: Option<String>,
    /// Read the task from a Markdown file.
    pub spec_file: Option<PathBuf>,
    /// A lane: `adapter:model`, `adapter:model*N` for N lanes, `NAME=adapter:model` to name
    /// it, or the name of an [agents.NAME] table in config. Repeatable.
    pub agents: Vec<String>,
    /// A check command run in every lane after the agent stops (repeatable).
    pub checks: Vec<String>,
    /// Files the agents never see, laid into each worktree after capture.
    pub holdout: Option<PathBuf>,
    /// A check run after the holdout files are laid in (repeatable).
    pub holdout_checks: Vec<String>,
    /// A test every holdout check must run and pass (SWE-bench's FAIL_TO_PASS), as a
    /// pytest node id, `classname.name` or a test name (repeatable).
    pub must_pass: Vec<String>,
    /// A test every holdout check must run and keep passing (PASS_TO_PASS).
    pub keep_passing: Vec<String>,
    /// The commit every lane starts from.
    pub base: String,
    /// Merge the winner when the race ends.
    pub merge: Option<MergeMode>,
    /// How long each agent may run (e.g. 30m, 90s).
    pub timeout: Option<String>,
    /// `--stall-timeout`: a duration or `off`.
    pub stall_timeout: Option<String>,
    /// How many agents run at once (default: all lanes).
    pub jobs: Option<usize>,
    /// How many checks run at once across lanes (default: the number of cores).
    pub check_jobs: Option<usize>,
    /// A reviewer model, `provider/model` (repeatable; adds to [review] reviewers).
    pub reviewers: Vec<String>,
    /// Reviewers per lane, each of a lab other than the lane author's (default 1).
    pub reviewers_per_lane: Option<usize>,
    /// Let a reviewer of the author's own lab review when no other lab is available; the
    /// verdict is marked so.
    pub allow_same_lab: bool,
    /// A model of a third lab that settles close calls, pairwise in both orders.
    pub judge: Option<String>,
    /// Race without model reviews: rank by the checks alone.
    pub no_review: bool,
    /// Merge the winner even when no model of another lab reviewed it successfully.
    pub allow_unreviewed: bool,
    /// Stop a lane's agent once it has spent this much (US dollars; Claude Code gets it as
    /// --max-budget-usd, others are stopped from their live usage).
    pub max_cost: Option<f64>,
    /// Stop every lane once the whole race (agents and reviews) has spent this much.
    pub race_max_cost: Option<f64>,
    /// `first-approved`: cancel the other lanes once one lane passes every check and every
    /// reviewer approves.
    pub until: Option<String>,
    /// Run lanes in tiers, one tier per -a in the order given (cheap models first): the
    /// next tier starts only if no lane of the previous one was approved.
    pub cascade: bool,
    /// Give a lane up to N more rounds while its reviewers request changes or reject, or
    /// a check fails: its agent gets the findings and the failed checks' names, in the
    /// same worktree and session where the CLI can resume (default 0, or [review]
    /// fix-rounds).
    pub fix_rounds: Option<u32>,
    /// The spec allows deleting or weakening tests: do not gate on it.
    pub allow_test_edits: bool,
    /// Print the race's events as NDJSON on stdout.
    pub json: bool,
    /// `--sandbox`: over `[sandbox] mode`.
    pub sandbox: Option<crate::sandbox::SandboxMode>,
    /// `--network`: over `[sandbox] network`.
    pub network: Option<crate::sandbox::Network>,
    /// `--plan-with MODEL`: a model writes the brief every lane receives, and its
    /// acceptance commands become checks (`planner::for_race`, before preflight).
    pub plan_with: Option<String>,
    /// `--synthesize MODEL`: after every lane is reviewed, a built-in agent on
    /// `provider/model` (of a lab other than the finalists' authors) combines the
    /// finalists' diffs into one more lane, ranked like any other (`race::synthesis`).
    pub synthesize: Option<String>,
    /// `--synthesize-lanes A,B`: the lanes it combines (default: the top of the standings).
    pub synthesize_lanes: Vec<String>,
}
