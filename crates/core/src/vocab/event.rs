//! The public vocabulary of a race: every `RaceEvent` is journaled, shown by the
//! reporters and printed by `--json`. Workers talk to the coordinator in richer internal
//! messages; only these reach the outside.

use serde::{Deserialize, Serialize};

use super::board::Leaderboard;
use super::change::FileChange;
use super::check::CheckOutcome;
use super::exit::ExitKind;
use super::provider::ProviderEvent;
use super::review::{Finding, ReviewRecord};
use super::tamper::Tamper;

/// Version of the event stream written to `events.jsonl` and printed by `--json`.
pub const EVENT_FORMAT: u32 = 1;

/// Where a lane is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LaneState {
    Queued,
    SettingUp,
    Running,
    Capturing,
    Checking,
    Reviewing,
    Done,
    Failed,
    Cancelled,
}

impl LaneState {
    pub fn as_str(self) -> &'static str {
        match self {
            LaneState::Queued => "queued",
            LaneState::SettingUp => "setting up",
            LaneState::Running => "running",
            LaneState::Capturing => "capturing",
            LaneState::Checking => "checking",
            LaneState::Reviewing => "reviewing",
            LaneState::Done => "done",
            LaneState::Failed => "failed",
            LaneState::Cancelled => "cancelled",
        }
    }

    /// True once the lane will not change any more.
    pub fn is_final(self) -> bool {
        matches!(self, LaneState::Done | LaneState::Failed | LaneState::Cancelled)
    }
}

/// Usage an agent reported so far; every field is what the agent said, never a guess.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub turns: Option<u64>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    /// `None` means the agent did not report a cost: shown as "cost unknown", never 0.
    pub cost_usd: Option<f64>,
}

/// A lane as announced at the start of a race.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LaneInfo {
    pub lane: String,
    pub agent: String,
    pub adapter: String,
    pub model: String,
    /// The lab that trained the model, when bakeoff can tell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lab: Option<String>,
    pub branch: String,
    pub worktree: String,
}

/// What the agent run produced, as parsed from its output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentOutcome {
    pub exit: Option<ExitKind>,
    pub timed_out: bool,
    pub cancelled: bool,
    pub elapsed_ms: u64,
    pub usage: Usage,
    pub session_id: Option<String>,
    pub final_message: Option<String>,
    /// An error the agent itself reported (`is_error`, `turn.failed`, …).
    pub error: Option<String>,
}

/// The captured diff of a lane: base..commit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaptureSummary {
    pub commit: String,
    pub files_changed: usize,
    pub insertions: usize,
    pub deletions: usize,
    /// Paths the diff touches, with their change kind.
    pub files: Vec<FileChange>,
}

/// Everything that happens in a race, in the order it happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum RaceEvent {
    RaceStarted {
        race: String,
        base: String,
        base_ref: String,
        target_branch: Option<String>,
        lanes: Vec<LaneInfo>,
    },
    LaneState {
        lane: String,
        state: LaneState,
    },
    /// Live progress parsed from the agent's output.
    LaneProgress {
        lane: String,
        usage: Usage,
        last_action: Option<String>,
    },
    /// The agent has made no progress (no new turn, tool call or usage) for `idle_ms`:
    /// typically a CLI retrying its connection. `error` is the last error it printed.
    /// Sent once the lane counts as stalled and again when the error changes; at the
    /// race's stall timeout the agent is stopped, with the reason as its error.
    LaneStalled {
        lane: String,
        idle_ms: u64,
        error: Option<String>,
    },
    /// An agent's process started; `pid` is also its process group id.
    AgentStarted {
        lane: String,
        pid: u32,
    },
    AgentFinished {
        lane: String,
        outcome: AgentOutcome,
    },
    Captured {
        lane: String,
        capture: CaptureSummary,
    },
    CheckStarted {
        lane: String,
        name: String,
        holdout: bool,
    },
    CheckFinished {
        lane: String,
        check: CheckOutcome,
    },
    LaneFailed {
        lane: String,
        error: String,
    },
    ReviewStarted {
        lane: String,
        reviewer: String,
    },
    ReviewFinished {
        lane: String,
        review: ReviewRecord,
    },
    /// A fix round begins (`--fix-rounds`): the lane's agent is sent what its reviewers
    /// found in the previous round. Its agent, capture, check and review events follow.
    FixRound {
        lane: String,
        /// 2 for the first fix round: round 1 is the lane's first run.
        round: u32,
        /// How many findings the follow-up carried.
        findings_sent: usize,
        /// Regression checks that failed in the previous round, named in the follow-up.
        failing_checks: Vec<String>,
        /// The agent session the round continues; `None` for a fresh run with the spec
        /// and the findings.
        resumed_session: Option<String>,
        /// The resumed session reports its cost over the whole session (Claude Code), so
        /// the round's own cost is the difference to the previous report.
        #[serde(default)]
        cumulative_cost: bool,
    },
    /// Something reached past the lane's worktree while its agent ran: the user's HEAD,
    /// index or refs are not as the race found them. The lane is never merged; a
    /// switched HEAD is put back (`restored`).
    Breached {
        lane: String,
        changes: Vec<String>,
        restored: bool,
    },
    /// The tests, test-runner configuration and holdout files the lane's diff deleted or
    /// weakened, judged once the round's checks have run (empty: nothing).
    Tampering {
        lane: String,
        found: Vec<Tamper>,
    },
    /// What bakeoff itself flagged in a lane's diff: text addressed to the reviewer.
    BakeoffFindings {
        lane: String,
        findings: Vec<Finding>,
    },
    /// A provider call's attempts, retries and fallbacks, for the journal.
    Provider {
        lane: Option<String>,
        reviewer: String,
        event: ProviderEvent,
    },
    /// Lanes stopped (or never started) before their end, and why: an approved lane under
    /// `--until first-approved`, the race's cost cap, or a cascade that stopped.
    LanesStopped {
        lanes: Vec<String>,
        reason: String,
    },
    /// A synthesis lane (`--synthesize`) starts: `model` combines the finalists `from`,
    /// best first, into one change of its own.
    SynthesisStarted {
        lane: String,
        model: String,
        from: Vec<String>,
    },
    /// A pairwise comparison of two finalists by the judge, in one order.
    Judged {
        judge: String,
        first: String,
        second: String,
        winner: Option<String>,
        reason: String,
    },
    Ranked {
        leaderboard: Leaderboard,
    },
    Merged {
        lane: String,
        strategy: String,
        target: String,
        commit: Option<String>,
    },
    MergeRefused {
        lane: String,
        reason: String,
    },
    Interrupted {
        forced: bool,
    },
    /// `bakeoff resume` took up a race that had stopped without finishing: `kept` lanes
    /// keep their results, `rerun` lanes start again, `killed` are the process groups of
    /// agents the crash left running.
    RaceResumed {
        race: String,
        kept: Vec<String>,
        rerun: Vec<String>,
        killed: Vec<u32>,
    },
    RaceFinished {
        winner: Option<String>,
        interrupted: bool,
    },
}

impl RaceEvent {
    /// The lane this event is about, if any.
    pub fn lane(&self) -> Option<&str> {
        match self {
            RaceEvent::LaneState { lane, .. }
            | RaceEvent::LaneProgress { lane, .. }
            | RaceEvent::LaneStalled { lane, .. }
            | RaceEvent::AgentStarted { lane, .. }
            | RaceEvent::AgentFinished { lane, .. }
            | RaceEvent::Captured { lane, .. }
            | RaceEvent::CheckStarted { lane, .. }
            | RaceEvent::CheckFinished { lane, .. }
            | RaceEvent::LaneFailed { lane, .. }
            | RaceEvent::ReviewStarted { lane, .. }
            | RaceEvent::ReviewFinished { lane, .. }
            | RaceEvent::BakeoffFindings { lane, .. }
            | RaceEvent::FixRound { lane, .. }
            | RaceEvent::Tampering { lane, .. }
            | RaceEvent::Breached { lane, .. }
            | RaceEvent::Merged { lane, .. }
            | RaceEvent::MergeRefused { lane, .. }
            | RaceEvent::SynthesisStarted { lane, .. } => Some(lane),
            _ => None,
        }
    }
}

/// An event with the time it happened, as journaled and streamed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stamped {
    pub v: u32,
    /// Milliseconds since the Unix epoch.
    pub at_ms: u64,
    #[serde(flatten)]
    pub event: RaceEvent,
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = include_str!("../../../../docs/events.md");
    const SOURCE: &str = include_str!("event.rs");

    /// Every variant of `RaceEvent`, as its `type` on the wire, read from this file.
    fn variant_types() -> Vec<String> {
        let body = SOURCE
            .split("pub enum RaceEvent {")
            .nth(1)
            .and_then(|rest| rest.split("\n}\n").next())
            .expect("the enum is in this file");
        body.lines()
            .filter_map(|line| {
                let name = line.strip_prefix("    ")?;
                let name = name.strip_suffix(" {")?;
                name.chars().all(char::is_alphanumeric).then(|| kebab(name))
            })
            .collect()
    }

    fn kebab(name: &str) -> String {
        let mut out = String::new();
        for (i, c) in name.chars().enumerate() {
            if c.is_uppercase() && i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        }
        out
    }

    /// docs/events.md documents every event type, and each of its examples is an event
    /// that reads and writes back as the same JSON: the schema doc cannot drift.
    #[test]
    fn the_schema_doc_covers_every_event_and_its_examples_round_trip() {
        let documented: Vec<String> = DOC
            .lines()
            .filter_map(|l| l.strip_prefix("### `")?.strip_suffix('`'))
            .map(str::to_string)
            .collect();
        let mut types = variant_types();
        assert!(types.len() >= 25, "{types:?}");
        let mut sorted = documented.clone();
        sorted.sort();
        types.sort();
        assert_eq!(sorted, types, "docs/events.md headings vs RaceEvent");
        let mut examples = 0;
        let mut heading = String::new();
        let mut in_json = false;
        for line in DOC.lines() {
            if let Some(h) = line.strip_prefix("### `") {
                heading = h.trim_end_matches('`').to_string();
            } else if line == "```json" {
                in_json = true;
            } else if line == "```" {
                in_json = false;
            } else if in_json {
                let value: serde_json::Value = serde_json::from_str(line).unwrap();
                let event: Stamped = serde_json::from_value(value.clone())
                    .unwrap_or_else(|e| panic!("{heading}: {e}\n{line}"));
                assert_eq!(event.v, EVENT_FORMAT);
                assert_eq!(value["type"], heading.as_str());
                assert_eq!(serde_json::to_value(&event).unwrap(), value, "{heading}");
                examples += 1;
            }
        }
        assert!(examples >= documented.len(), "an example for every type");
    }
}
