//! A race's state as a pure fold of its journal: what each lane did (its last state,
//! agent outcome, capture, checks, tampering, reviews, rounds, cost and time), the judge's
//! comparisons, and how the race ended.
//!
//! This is the one truth of a lane's result. The live coordinator folds every event it
//! stamps into a [`RaceSummary`] and ranks what [`LaneSummary::result`] gives; `resume`,
//! `show`, `merge` and `diff` fold the journal they read back in the same way. A lane that
//! `bakeoff resume` runs again (`race-resumed`'s `rerun`) starts over in the fold too.

use std::collections::BTreeMap;

use crate::vocab::{
    AgentOutcome, CaptureSummary, CheckOutcome, Finding, LaneResult, LaneState, Provenance, RaceEvent,
    ReviewRecord, Stamped, Tamper,
};

/// One lane, as the journal tells it.
#[derive(Clone, Debug, Default)]
pub struct LaneSummary {
    /// `adapter:model` or the config table it came from, as the race's start announced it.
    pub agent: String,
    /// The adapter, model and lab behind `agent`, as the race's start announced them.
    pub provenance: Provenance,
    pub state: Option<LaneState>,
    pub agent_outcome: Option<AgentOutcome>,
    pub capture: Option<CaptureSummary>,
    pub checks: Vec<CheckOutcome>,
    /// What the last round's diff did to tests and holdout files; `None` until judged.
    pub tampering: Option<Vec<Tamper>>,
    pub error: Option<String>,
    /// What reached past the lane's worktree, over every round.
    pub breached: Vec<String>,
    pub reviews: Vec<ReviewRecord>,
    /// What bakeoff itself flagged in the lane's diff.
    pub flagged: Vec<Finding>,
    /// The rounds before the last (`--fix-rounds`), oldest first; the fields above are of
    /// the last round.
    pub earlier_rounds: Vec<EarlierRound>,
    /// What the agent spent over every round; `None` once any round's cost is unknown.
    pub cost_usd: Option<f64>,
    /// The cost the agent's last run reported, to turn a cumulative report into a run's.
    last_reported_cost: Option<f64>,
    /// The last fix round resumes a session that reports cumulative costs.
    cumulative_cost: bool,
    /// The agent session its last run reported, for a fix round to resume.
    pub session_id: Option<String>,
    /// A synthesis lane's finalists, best first, as its start named them.
    pub synthesis_of: Vec<String>,
    first_state_ms: Option<u64>,
    last_state_ms: Option<u64>,
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

/// One comparison of two finalists by the judge, in one presentation order.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub judge: String,
    pub first: String,
    pub second: String,
    pub winner: Option<String>,
}

impl LaneSummary {
    /// The round the lane's fields are of: 1 without fix rounds.
    pub fn round(&self) -> u32 {
        self.earlier_rounds.len() as u32 + 1
    }

    /// True once the lane will not change any more.
    pub fn ended(&self) -> bool {
        self.state.is_some_and(LaneState::is_final)
    }

    /// Everything ranking needs of the lane (its review signal aside, which is computed
    /// across lanes). `tests_may_change` is the race's.
    pub fn result(&self, lane: &str, tests_may_change: bool) -> LaneResult {
        let mut result = LaneResult::new(lane, &self.agent, tests_may_change);
        result.provenance = self.provenance.clone();
        result.cancelled = self.state == Some(LaneState::Cancelled);
        if self.state == Some(LaneState::Failed) {
            result.failed = Some(self.error.clone().unwrap_or_else(|| "the lane failed".into()));
        }
        if let Some(agent) = &self.agent_outcome {
            result.agent_timed_out = agent.timed_out;
            result.agent_exit_ok = agent.exit.as_ref().is_some_and(|e| e.success()) && agent.error.is_none();
            // What the agent said went wrong, else how it ended when that was not well.
            result.agent_error = agent.error.clone().or_else(|| {
                let ended = agent.exit.as_ref().filter(|e| !e.success() && !agent.cancelled)?;
                Some(format!("the agent ended with {ended}"))
            });
        }
        if let Some(capture) = &self.capture {
            result.diff_files = capture.files_changed;
            result.insertions = capture.insertions;
            result.deletions = capture.deletions;
        }
        result.checks = self.checks.clone();
        result.tampering = self.tampering.clone().unwrap_or_default();
        result.cost_usd = self.cost_usd;
        result.breached = self.breached.clone();
        result.elapsed_ms = match (self.first_state_ms, self.last_state_ms) {
            (Some(a), Some(b)) => b.saturating_sub(a),
            _ => 0,
        };
        result.fix_rounds = self.earlier_rounds.len() as u32;
        result
    }

    /// The reviews of the lane's last round, each saying which lane it is of.
    pub fn lane_reviews(&self, lane: &str) -> Vec<ReviewRecord> {
        self.reviews
            .iter()
            .cloned()
            .map(|mut r| {
                r.lane = Some(lane.to_string());
                r
            })
            .collect()
    }

    /// Folds one of this lane's events in, stamped `at_ms`.
    pub fn apply(&mut self, at_ms: u64, event: &RaceEvent) {
        match event {
            RaceEvent::LaneState { state, .. } => {
                self.state = Some(*state);
                self.first_state_ms.get_or_insert(at_ms);
                self.last_state_ms = Some(at_ms);
            }
            RaceEvent::AgentFinished { outcome, .. } => self.agent_finished(outcome),
            RaceEvent::Captured { capture, .. } => {
                // A round is judged afresh: its checks, tampering and reviews are its own.
                self.capture = Some(capture.clone());
                self.checks.clear();
                self.tampering = None;
                self.reviews.clear();
            }
            RaceEvent::CheckFinished { check, .. } => self.checks.push(check.clone()),
            RaceEvent::Tampering { found, .. } => self.tampering = Some(found.clone()),
            RaceEvent::SynthesisStarted { from, .. } => self.synthesis_of = from.clone(),
            RaceEvent::LaneFailed { error, .. } => self.error = Some(error.clone()),
            RaceEvent::Breached { changes, .. } => self.breached.extend(changes.iter().cloned()),
            RaceEvent::ReviewFinished { review, .. } => self.reviews.push(review.clone()),
            RaceEvent::BakeoffFindings { findings, .. } => self.flagged.extend(findings.iter().cloned()),
            RaceEvent::FixRound {
                round,
                findings_sent,
                failing_checks,
                resumed_session,
                cumulative_cost,
                ..
            } => {
                self.earlier_rounds.push(EarlierRound {
                    round: round.saturating_sub(1),
                    checks: std::mem::take(&mut self.checks),
                    reviews: std::mem::take(&mut self.reviews),
                    findings_sent: *findings_sent,
                    failing_checks: failing_checks.clone(),
                    resumed_session: resumed_session.clone(),
                });
                self.flagged.clear();
                self.cumulative_cost = resumed_session.is_some() && *cumulative_cost;
            }
            _ => {}
        }
    }

    /// An agent run ended: its outcome, and what it adds to the lane's cost.
    fn agent_finished(&mut self, outcome: &AgentOutcome) {
        let reported = outcome.usage.cost_usd;
        self.cost_usd = if self.earlier_rounds.is_empty() {
            reported
        } else if self.cumulative_cost {
            // A resumed Claude Code reports the whole session's cost: this run's is the
            // difference, so no round is counted twice.
            let this_run = reported
                .zip(self.last_reported_cost)
                .map(|(now, before)| (now - before).max(0.0));
            self.cost_usd.zip(this_run).map(|(a, b)| a + b)
        } else {
            self.cost_usd.zip(reported).map(|(a, b)| a + b)
        };
        self.last_reported_cost = reported;
        if outcome.session_id.is_some() {
            self.session_id = outcome.session_id.clone();
        }
        self.agent_outcome = Some(outcome.clone());
    }
}

/// A whole race, as the journal tells it.
#[derive(Clone, Debug, Default)]
pub struct RaceSummary {
    pub lanes: BTreeMap<String, LaneSummary>,
    /// The judge's comparisons of the finalists, in order.
    pub comparisons: Vec<Comparison>,
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
            s.apply(e);
        }
        s
    }

    /// The target and commit of the merge that already brought `lane` into a branch, if
    /// one did. A `branch`-strategy "merge" committed nothing, so it does not count.
    pub fn merged(&self, lane: &str) -> Option<(&str, &str)> {
        self.merges
            .iter()
            .find_map(|(l, _, target, commit)| match commit {
                Some(commit) if l == lane => Some((target.as_str(), commit.as_str())),
                _ => None,
            })
    }

    /// Folds one more event in.
    pub fn apply(&mut self, stamped: &Stamped) {
        let event = &stamped.event;
        match event {
            RaceEvent::RaceStarted { lanes, .. } => {
                for l in lanes {
                    let lane = self.lanes.entry(l.lane.clone()).or_default();
                    lane.agent = l.agent.clone();
                    lane.provenance = Provenance {
                        model: format!("{}:{}", l.adapter, l.model),
                        lab: l.lab.clone(),
                    };
                }
            }
            // A lane run again starts from nothing, as its worker does.
            RaceEvent::RaceResumed { rerun, .. } => {
                // The race goes on: a Ctrl-C'd run's ending is not this one's.
                self.finished = false;
                self.interrupted = false;
                self.winner = None;
                for name in rerun {
                    if let Some(lane) = self.lanes.get_mut(name) {
                        *lane = LaneSummary {
                            agent: std::mem::take(&mut lane.agent),
                            provenance: std::mem::take(&mut lane.provenance),
                            ..LaneSummary::default()
                        };
                    }
                }
            }
            RaceEvent::Judged {
                judge,
                first,
                second,
                winner,
                ..
            } => self.comparisons.push(Comparison {
                judge: judge.clone(),
                first: first.clone(),
                second: second.clone(),
                winner: winner.clone(),
            }),
            RaceEvent::Interrupted { .. } => self.interrupted = true,
            RaceEvent::RaceFinished { winner, interrupted } => {
                self.finished = true;
                self.winner = winner.clone();
                self.interrupted |= interrupted;
            }
            RaceEvent::Merged {
                lane,
                strategy,
                target,
                commit,
            } => self
                .merges
                .push((lane.clone(), strategy.clone(), target.clone(), commit.clone())),
            _ => {
                if let Some(name) = event.lane() {
                    self.lanes
                        .entry(name.to_string())
                        .or_default()
                        .apply(stamped.at_ms, event);
                }
            }
        }
    }

    /// The commit holding a lane's captured work.
    pub fn commit(&self, lane: &str) -> Option<&str> {
        self.lanes
            .get(lane)
            .and_then(|l| l.capture.as_ref())
            .map(|c| c.commit.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::{ExitKind, LaneInfo, Usage, EVENT_FORMAT};

    fn at(at_ms: u64, event: RaceEvent) -> Stamped {
        Stamped {
            v: EVENT_FORMAT,
            at_ms,
            event,
        }
    }

    #[test]
    fn a_lane_is_merged_once_a_merge_committed_it() {
        let merged = |lane: &str, strategy: &str, commit: Option<&str>| RaceEvent::Merged {
            lane: lane.into(),
            strategy: strategy.into(),
            target: if commit.is_some() { "main" } else { "bakeoff/r/a" }.into(),
            commit: commit.map(str::to_string),
        };
        let mut s = RaceSummary::default();
        assert_eq!(s.merged("a"), None);
        // The branch strategy leaves a lane branch ready; nothing was merged.
        s.apply(&at(1, merged("a", "branch", None)));
        assert_eq!(s.merged("a"), None);
        s.apply(&at(2, merged("a", "squash", Some("c0ffee"))));
        assert_eq!(s.merged("a"), Some(("main", "c0ffee")));
        assert_eq!(s.merged("b"), None);
    }

    fn state(state: LaneState) -> RaceEvent {
        RaceEvent::LaneState {
            lane: "a".into(),
            state,
        }
    }

    fn finished(cost: Option<f64>, error: Option<&str>) -> RaceEvent {
        RaceEvent::AgentFinished {
            lane: "a".into(),
            outcome: AgentOutcome {
                exit: Some(ExitKind::Code(0)),
                timed_out: false,
                cancelled: false,
                elapsed_ms: 5,
                usage: Usage {
                    cost_usd: cost,
                    ..Usage::default()
                },
                session_id: Some("s-1".into()),
                final_message: None,
                error: error.map(str::to_string),
            },
        }
    }

    fn fix_round(resumed: bool, cumulative_cost: bool) -> RaceEvent {
        RaceEvent::FixRound {
            lane: "a".into(),
            round: 2,
            findings_sent: 1,
            failing_checks: vec![],
            resumed_session: resumed.then(|| "s-1".to_string()),
            cumulative_cost,
        }
    }

    fn started() -> RaceEvent {
        RaceEvent::RaceStarted {
            race: "r".into(),
            base: "b".into(),
            base_ref: "HEAD".into(),
            target_branch: None,
            lanes: vec![LaneInfo {
                lane: "a".into(),
                agent: "claude:claude-opus-4-6".into(),
                adapter: "claude".into(),
                model: "claude-opus-4-6".into(),
                lab: Some("anthropic".into()),
                branch: "bakeoff/r/a".into(),
                worktree: "/w/a".into(),
            }],
        }
    }

    fn fold(events: Vec<RaceEvent>) -> LaneResult {
        let stamped: Vec<Stamped> = events
            .into_iter()
            .enumerate()
            .map(|(i, e)| at(1000 + 10 * i as u64, e))
            .collect();
        RaceSummary::from_events(&stamped).lanes["a"].result("a", false)
    }

    #[test]
    fn a_lane_is_its_agent_its_time_and_its_last_state() {
        let r = fold(vec![
            started(),
            state(LaneState::SettingUp),
            finished(Some(0.25), Some("is_error")),
            state(LaneState::Done),
        ]);
        assert_eq!(r.agent, "claude:claude-opus-4-6");
        assert_eq!(r.cost_usd, Some(0.25));
        assert!(
            !r.agent_exit_ok,
            "an agent that reported an error did not exit ok"
        );
        assert_eq!(r.agent_error.as_deref(), Some("is_error"));
        // First to last lane state: 1010 → 1030.
        assert_eq!(r.elapsed_ms, 20);
        assert!(!r.cancelled && r.failed.is_none());
    }

    #[test]
    fn rounds_add_their_cost_once() {
        let cases: &[(bool, bool, Option<f64>, Option<f64>)] = &[
            // A fresh run reports its own cost: added.
            (false, false, Some(0.5), Some(0.7)),
            // A resumed session that reports cumulative costs: the difference is added.
            (true, true, Some(0.5), Some(0.5)),
            // A resumed session that reports per run: added.
            (true, false, Some(0.5), Some(0.7)),
            // A round of unknown cost makes the lane's cost unknown, never a guess.
            (false, false, None, None),
        ];
        for &(resumed, cumulative, second, want) in cases {
            let r = fold(vec![
                started(),
                finished(Some(0.2), None),
                fix_round(resumed, cumulative),
                finished(second, None),
            ]);
            assert_eq!(
                r.cost_usd.map(|c| (c * 100.0).round() / 100.0),
                want,
                "{resumed} {cumulative}"
            );
            assert_eq!(r.fix_rounds, 1);
        }
    }

    #[test]
    fn a_lane_run_again_starts_over() {
        let stamped = vec![
            at(1, started()),
            at(2, state(LaneState::SettingUp)),
            at(3, finished(Some(0.2), None)),
            at(
                4,
                RaceEvent::RaceResumed {
                    race: "r".into(),
                    kept: vec![],
                    rerun: vec!["a".into()],
                    killed: vec![],
                },
            ),
            at(10, state(LaneState::SettingUp)),
            at(15, state(LaneState::Cancelled)),
        ];
        let s = RaceSummary::from_events(&stamped);
        let r = s.lanes["a"].result("a", false);
        assert!(r.cancelled);
        assert_eq!(r.cost_usd, None, "the crashed run's agent is not this run's");
        assert_eq!(r.elapsed_ms, 5);
        assert_eq!(r.agent, "claude:claude-opus-4-6");
    }
}
