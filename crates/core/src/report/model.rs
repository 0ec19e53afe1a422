//! A race's report as data, read from its records folder the way `show` and `diff` read
//! it: `race.json`, the fold of `events.jsonl` (`RaceSummary`), `leaderboard.json`, and
//! each lane's `diff.patch` (which outlives the lane's worktree and branch). The
//! renderers (`html`, `markdown`, `json`) are pure functions of it.

use crate::journal::{JournalError, RaceDir, RaceRecord, RaceStatus, RaceSummary};
use crate::rank::Leaderboard;
use crate::vocab::{AgentOutcome, CheckOutcome, Finding, LaneResult, ReviewRecord};

use super::patch::{self, PatchFile};

/// Everything the report shows of one race.
#[derive(Clone, Debug)]
pub struct RaceReport {
    pub record: RaceRecord,
    /// `winner X`, `merged X`, `no winner`, `interrupted`, `unfinished`.
    pub status: String,
    pub lanes: Vec<LaneReport>,
    /// `None` when the race was never ranked (it did not finish).
    pub leaderboard: Option<Leaderboard>,
    /// `(lane, strategy, target branch, commit)` of each merge.
    pub merges: Vec<(String, String, String, Option<String>)>,
}

/// One lane: who ran it, what it did, how it was checked and reviewed, its diff.
#[derive(Clone, Debug)]
pub struct LaneReport {
    pub name: String,
    /// As the user named it: `adapter:model` or a config table.
    pub agent: String,
    /// `adapter:model` of what ran.
    pub model: String,
    pub lab: Option<String>,
    pub state: Option<&'static str>,
    /// The fold's result of the lane: cost (over every round), time, checks, diff size.
    pub result: LaneResult,
    /// The agent's last run: exit, time, turns, tokens.
    pub agent_outcome: Option<AgentOutcome>,
    pub reviews: Vec<ReviewRecord>,
    /// What bakeoff itself flagged in the diff.
    pub flagged: Vec<Finding>,
    pub error: Option<String>,
    /// The last round's diff, file by file, secrets redacted; empty when none was captured.
    pub files: Vec<PatchFile>,
}

impl LaneReport {
    pub fn checks(&self) -> &[CheckOutcome] {
        &self.result.checks
    }
}

impl RaceReport {
    /// Reads the race in `dir`. `known_secrets` are values to redact from the diffs
    /// besides the well-known token shapes (see `review::secrets`): a report is made to
    /// be shared, and a diff may carry a key an agent wrote down.
    pub fn load(dir: &RaceDir, known_secrets: &[String]) -> Result<RaceReport, JournalError> {
        let record = dir.record()?;
        let summary = RaceSummary::from_events(&dir.events_list()?);
        let leaderboard = dir.read_json::<Leaderboard>(&dir.leaderboard()).ok();
        let lanes = record
            .lanes
            .iter()
            .map(|lane| {
                let s = summary.lanes.get(&lane.name).cloned().unwrap_or_default();
                let patch = std::fs::read_to_string(dir.lane_dir(&lane.name).join("diff.patch"))
                    .ok()
                    .filter(|_| s.capture.is_some())
                    .map(|p| crate::review::secrets::redact(&p, known_secrets).0)
                    .unwrap_or_default();
                LaneReport {
                    name: lane.name.clone(),
                    agent: lane.agent.clone(),
                    model: lane.model_ref(),
                    lab: lane.author_lab.clone(),
                    state: s.state.map(|st| st.as_str()),
                    result: s.result(&lane.name, record.tests_may_change),
                    agent_outcome: s.agent_outcome.clone(),
                    reviews: s.reviews.clone(),
                    flagged: s.flagged.clone(),
                    error: s.error.clone(),
                    files: patch::parse(&patch),
                }
            })
            .collect();
        Ok(RaceReport {
            status: RaceStatus::of(&summary).to_string(),
            merges: summary.merges.clone(),
            record,
            lanes,
            leaderboard,
        })
    }

    /// The leaderboard's verdict in words: `winner: X`, or why there is none.
    pub fn verdict(&self) -> String {
        let Some(board) = &self.leaderboard else {
            return "not ranked: the race did not finish".to_string();
        };
        if let Some(winner) = &board.winner {
            return format!("winner: {winner}");
        }
        match board.rows.iter().find(|r| r.gates_failed.is_empty()) {
            Some(best) => format!("no lane passed every check (best: {}, {})", best.lane, best.tier),
            None => "no lane passed the gates".to_string(),
        }
    }

    /// Every file any lane changed, in the order first seen (lane order, then the
    /// diff's), each once.
    pub fn paths(&self) -> Vec<&str> {
        let mut seen: Vec<&str> = Vec::new();
        for lane in &self.lanes {
            for f in &lane.files {
                if !seen.contains(&f.path.as_str()) {
                    seen.push(&f.path);
                }
            }
        }
        seen
    }
}

/// `passed`, `failed`, `timed out`.
pub fn check_verdict(c: &CheckOutcome) -> &'static str {
    match (c.passed, c.timed_out) {
        (true, _) => "passed",
        (false, true) => "timed out",
        (false, false) => "failed",
    }
}

/// The model of `adapter:model` alone (`claude:claude-sonnet-4-6` → `claude-sonnet-4-6`).
pub fn model_name(model_ref: &str) -> &str {
    model_ref.split_once(':').map_or(model_ref, |(_, m)| m)
}
