//! A race's state as read back from its journal: the last state of each lane, its
//! captured commit, its agent outcome and checks, and how the race ended.

use std::collections::BTreeMap;

use crate::vocab::{
    AgentOutcome, CaptureSummary, CheckOutcome, Finding, LaneState, RaceEvent, ReviewRecord, Stamped,
};

/// One lane, as the journal tells it.
#[derive(Clone, Debug, Default)]
pub struct LaneSummary {
    pub state: Option<LaneState>,
    pub agent: Option<AgentOutcome>,
    pub capture: Option<CaptureSummary>,
    pub checks: Vec<CheckOutcome>,
    pub error: Option<String>,
    pub reviews: Vec<ReviewRecord>,
    /// What bakeoff itself flagged in the lane's diff.
    pub flagged: Vec<Finding>,
    /// The rounds before the last (`--fix-rounds`), oldest first; the fields above are of
    /// the last round.
    pub earlier_rounds: Vec<EarlierRound>,
}

/// A round a fix round followed: its checks and reviews, and what was sent on.
#[derive(Clone, Debug, Default)]
pub struct EarlierRound {
    /// 1-based.
    pub round: u32,
    pub checks: Vec<CheckOutcome>,
    pub reviews: Vec<ReviewRecord>,
    /// What the next round's follow-up carried, and the session it resumed.
    pub findings_sent: usize,
    pub failing_checks: Vec<String>,
    pub resumed_session: Option<String>,
}

impl LaneSummary {
    /// The round the lane's fields are of: 1 without fix rounds.
    pub fn round(&self) -> u32 {
        self.earlier_rounds.len() as u32 + 1
    }
}

/// A whole race, as the journal tells it.
#[derive(Clone, Debug, Default)]
pub struct RaceSummary {
    pub lanes: BTreeMap<String, LaneSummary>,
    pub finished: bool,
    pub interrupted: bool,
    pub winner: Option<String>,
    /// (lane, strategy, target, commit) of every merge, in order.
    pub merges: Vec<(String, String, String, Option<String>)>,
}

impl RaceSummary {
    pub fn from_events(events: &[Stamped]) -> RaceSummary {
        let mut s = RaceSummary::default();
        for e in events {
            let lane =
                |s: &mut RaceSummary, name: &str| -> LaneSummary { s.lanes.remove(name).unwrap_or_default() };
            match &e.event {
                RaceEvent::RaceStarted { lanes, .. } => {
                    for l in lanes {
                        s.lanes.entry(l.lane.clone()).or_default();
                    }
                }
                RaceEvent::LaneState { lane: name, state } => {
                    let mut l = lane(&mut s, name);
                    l.state = Some(*state);
                    s.lanes.insert(name.clone(), l);
                }
                RaceEvent::AgentFinished { lane: name, outcome } => {
                    let mut l = lane(&mut s, name);
                    l.agent = Some(outcome.clone());
                    s.lanes.insert(name.clone(), l);
                }
                RaceEvent::Captured { lane: name, capture } => {
                    let mut l = lane(&mut s, name);
                    l.capture = Some(capture.clone());
                    s.lanes.insert(name.clone(), l);
                }
                RaceEvent::CheckFinished { lane: name, check } => {
                    let mut l = lane(&mut s, name);
                    l.checks.push(check.clone());
                    s.lanes.insert(name.clone(), l);
                }
                RaceEvent::LaneFailed { lane: name, error } => {
                    let mut l = lane(&mut s, name);
                    l.error = Some(error.clone());
                    s.lanes.insert(name.clone(), l);
                }
                RaceEvent::ReviewFinished { lane: name, review } => {
                    let mut l = lane(&mut s, name);
                    l.reviews.push(review.clone());
                    s.lanes.insert(name.clone(), l);
                }
                RaceEvent::BakeoffFindings { lane: name, findings } => {
                    let mut l = lane(&mut s, name);
                    l.flagged.extend(findings.iter().cloned());
                    s.lanes.insert(name.clone(), l);
                }
                RaceEvent::FixRound {
                    lane: name,
                    round,
                    findings_sent,
                    failing_checks,
                    resumed_session,
                } => {
                    let mut l = lane(&mut s, name);
                    l.earlier_rounds.push(EarlierRound {
                        round: round.saturating_sub(1),
                        checks: std::mem::take(&mut l.checks),
                        reviews: std::mem::take(&mut l.reviews),
                        findings_sent: *findings_sent,
                        failing_checks: failing_checks.clone(),
                        resumed_session: resumed_session.clone(),
                    });
                    l.flagged.clear();
                    s.lanes.insert(name.clone(), l);
                }
                RaceEvent::Interrupted { .. } => s.interrupted = true,
                RaceEvent::RaceFinished { winner, interrupted } => {
                    s.finished = true;
                    s.winner = winner.clone();
                    s.interrupted |= interrupted;
                }
                RaceEvent::Merged {
                    lane,
                    strategy,
                    target,
                    commit,
                } => s
                    .merges
                    .push((lane.clone(), strategy.clone(), target.clone(), commit.clone())),
                _ => {}
            }
        }
        s
    }

    /// The commit holding a lane's captured work.
    pub fn commit(&self, lane: &str) -> Option<&str> {
        self.lanes
            .get(lane)
            .and_then(|l| l.capture.as_ref())
            .map(|c| c.commit.as_str())
    }
}
