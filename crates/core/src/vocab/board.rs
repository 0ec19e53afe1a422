//! The leaderboard's data: what ranking takes in ([`LaneResult`]) and what it gives
//! back ([`Leaderboard`] of [`Row`]s). These are journaled, so they are serde types.

use serde::{Deserialize, Serialize};

use super::check::CheckOutcome;
use super::review::Verdict;
use super::tamper::Tamper;

/// Version of the serialized [`Leaderboard`] (`leaderboard.json`, the `ranked` event).
pub const LEADERBOARD_FORMAT: u32 = 1;

/// Review-score points within which reviewers of one diff commonly disagree. Ranking
/// calls two lanes a tie on review when their scores are this close and no reviewer
/// calibrates one against the other; the judge's finalists are the lanes this close to
/// the leader.
pub const REVIEW_NOISE: f64 = 10.0;

/// Everything ranking needs to know about one lane once it has stopped.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LaneResult {
    pub lane: String,
    /// As the user named it: `adapter:model`, or the `[agents.NAME]` table it came from.
    pub agent: String,
    /// The adapter, model and lab behind `agent`.
    #[serde(default)]
    pub provenance: Provenance,
    pub cancelled: bool,
    /// A setup, agent or capture error that ended the lane early.
    pub failed: Option<String>,
    pub agent_timed_out: bool,
    /// Informational in v1: the checks judge the work, so a non-zero exit does not gate.
    pub agent_exit_ok: bool,
    /// Informational in v1, for the same reason as `agent_exit_ok`.
    pub agent_error: Option<String>,
    pub diff_files: usize,
    pub insertions: usize,
    pub deletions: usize,
    /// Regression checks and holdout checks (told apart by `CheckOutcome::holdout`).
    pub checks: Vec<CheckOutcome>,
    /// What tamper detection (`rank::detect_tampering`) found in the lane's diff.
    pub tampering: Vec<Tamper>,
    /// The user said the spec allows weakening or deleting tests: tampering does not gate.
    pub tests_may_change: bool,
    /// `None` when the agent did not report a cost; never read as zero.
    pub cost_usd: Option<f64>,
    /// What reached past the lane's worktree into the user's checkout; any gates it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breached: Vec<String>,
    /// The lane's time, from set-up to its last check.
    pub elapsed_ms: u64,
    /// The reviewers' verdict on this lane; `None` until reviews exist.
    pub review: Option<ReviewSignal>,
    /// Fix rounds the lane had (`--fix-rounds`); everything above is of its last round,
    /// except the cost, which covers every round.
    #[serde(default)]
    pub fix_rounds: u32,
}

/// Who wrote a lane: the adapter and model it ran, and the lab that trained the model.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// `adapter:model`, e.g. `claude:claude-sonnet-4-6`.
    pub model: String,
    /// `None` when bakeoff cannot tell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lab: Option<String>,
}

impl LaneResult {
    /// A lane that has not done anything yet: the start of every lane's result.
    pub fn new(lane: &str, agent: &str, tests_may_change: bool) -> LaneResult {
        LaneResult {
            lane: lane.to_string(),
            agent: agent.to_string(),
            provenance: Provenance::default(),
            cancelled: false,
            failed: None,
            agent_timed_out: false,
            agent_exit_ok: false,
            agent_error: None,
            diff_files: 0,
            insertions: 0,
            deletions: 0,
            checks: Vec::new(),
            tampering: Vec::new(),
            tests_may_change,
            cost_usd: None,
            breached: Vec::new(),
            elapsed_ms: 0,
            review: None,
            fix_rounds: 0,
        }
    }
}

/// What the reviewers said about a lane, reduced to what ranking uses.
/// `rank::review_signal` builds it from the reviews; the judge fields are filled by
/// `review::judge::apply_judging` for the finalists of a close call.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReviewSignal {
    /// Median over the lane's reviewers of their scores, on the reviewers' own 0..100
    /// scale, each corrected for its reviewer's leniency where lanes that several
    /// reviewers scored measure it; rounded to a tenth of a point.
    pub score: f64,
    /// The lane's verdict: the median of its reviewers' verdicts, the worse of the two
    /// middle ones when there is an even number. `None` in signals written before
    /// verdicts were ranked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// The calibration group of the lane's reviewers: the first model ref of the
    /// reviewers connected to them by lanes they scored in common. Two lanes' scores
    /// are on one calibrated scale only when their groups are equal; `None` calibrates
    /// against nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<String>,
    /// Each reviewer's own score of the lane before correction, in the order of the
    /// reviewers' model refs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub raw_scores: Vec<u8>,
    /// Each reviewer's verdict of the lane, in the same order as `raw_scores`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub raw_verdicts: Vec<Verdict>,
    /// Blockers that at least two reviewers agree on; any demotes the lane.
    pub confirmed_blockers: usize,
    /// Where those blockers are, for the reason text; may be empty when only the count
    /// is known.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blockers: Vec<ConfirmedBlocker>,
    /// The pairwise judge's verdict, for the finalists of a close call only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge: Option<JudgeSignal>,
    /// How many reviewers' scores (and verdicts) the medians are over.
    #[serde(default)]
    pub reviewers: usize,
}

/// A blocker that two or more reviewers flagged at the same place.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmedBlocker {
    pub file: String,
    /// The smallest line any of the agreeing reviewers gave; `None` when file-wide.
    pub line: Option<u32>,
    /// Distinct reviewers that flagged it.
    pub reviewers: usize,
    /// The first reviewer's title for it.
    pub title: String,
}

impl ConfirmedBlocker {
    /// `src/x.rs:12 (2 reviewers)`, `src/x.rs (3 reviewers)`.
    pub fn place(&self) -> String {
        match self.line {
            Some(line) => format!("{}:{line} ({} reviewers)", self.file, self.reviewers),
            None => format!("{} ({} reviewers)", self.file, self.reviewers),
        }
    }
}

/// A finalist's result in pairwise judging.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct JudgeSignal {
    /// Bradley–Terry strength among the finalists (they sum to 1).
    pub strength: f64,
    /// Lanes this one beat with the judge agreeing in both presentation orders.
    pub beat: Vec<String>,
}

/// How much of the checking a lane passed, SWE-bench style. Orders best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Tier {
    /// Every check, regression and holdout, passed (or there were no checks).
    Full,
    /// Every regression check passed and some, not all, holdout checks passed.
    Partial,
    /// Anything else.
    None,
}

impl Tier {
    /// The tier as the leaderboard prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Full => "FULL",
            Tier::Partial => "PARTIAL",
            Tier::None => "NONE",
        }
    }
}

impl std::fmt::Display for Tier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One place on the leaderboard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// 1-based.
    pub position: usize,
    pub lane: String,
    pub agent: String,
    /// The adapter, model and lab behind `agent`.
    #[serde(default)]
    pub provenance: Provenance,
    pub tier: Tier,
    /// Every gate passed and the tier is FULL: the lane may be merged.
    pub passed: bool,
    /// One short phrase per failed gate; empty when the lane is gated in.
    pub gates_failed: Vec<String>,
    /// One line naming the signal that decided this place.
    pub reason: String,
    pub cost_usd: Option<f64>,
    /// Insertions plus deletions.
    pub diff_lines: usize,
    pub elapsed_ms: u64,
    pub checks_passed: usize,
    pub checks_total: usize,
    /// Fix rounds the lane had; the row is of its last round, `1 + fix_rounds`.
    #[serde(default)]
    pub fix_rounds: u32,
    /// What the lane's agent said went wrong, or how it ended when that was not well.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_error: Option<String>,
    /// Each reviewer's verdict and score, as they gave them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reviews: Vec<ReviewMark>,
}

/// One reviewer's verdict and score of a lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewMark {
    pub verdict: Verdict,
    pub score: u8,
}

impl std::fmt::Display for ReviewMark {
    /// `approve 81`, `rc 48`, `reject 12`: short enough for a table cell.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verdict = match self.verdict {
            Verdict::Approve => "approve",
            Verdict::RequestChanges => "rc",
            Verdict::Reject => "reject",
        };
        write!(f, "{verdict} {}", self.score)
    }
}

/// The ranked lanes of a race, best first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Leaderboard {
    /// [`LEADERBOARD_FORMAT`] when written.
    pub format: u32,
    pub rows: Vec<Row>,
    /// The first row's lane when it passed; `None` when no lane did.
    pub winner: Option<String>,
}
