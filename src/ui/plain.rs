//! The reporter for a log, a pipe or CI: one plain line per meaningful event, no
//! cursor movement, no color, and live progress thinned so it cannot flood the log.

use std::collections::{HashMap, HashSet};
use std::io::{self, Write};

use bakeoff_core::vocab::{LaneState, RaceEvent, Stamped};

use super::text;
use super::Reporter;

/// How often, at most, a lane's live progress gets a line of its own.
pub const PROGRESS_INTERVAL_MS: u64 = 10_000;

/// Longest last action printed; agents sometimes report whole commands or file bodies.
const ACTION_CHARS: usize = 120;

/// Writes `[lane] what happened` lines to `W`, e.g. `[claude-opus] check 'test' passed (1.2s)`.
pub struct PlainReporter<W: Write + Send> {
    out: W,
    /// Event time of the last progress line printed per lane; event time rather than the
    /// wall clock keeps the output a function of the events alone.
    last_progress_ms: HashMap<String, u64>,
    /// Lanes whose failure was already printed with its error.
    failure_reported: HashSet<String>,
    error: Option<io::Error>,
}

impl<W: Write + Send> PlainReporter<W> {
    /// A reporter writing to `out` (usually stderr when it is not a terminal).
    pub fn new(out: W) -> Self {
        PlainReporter {
            out,
            last_progress_ms: HashMap::new(),
            failure_reported: HashSet::new(),
            error: None,
        }
    }

    /// The first write error, if any; after one the reporter writes nothing more, so a
    /// closed pipe does not stop the race.
    pub fn take_error(&mut self) -> Option<io::Error> {
        self.error.take()
    }

    /// The writer back, e.g. to inspect it in a test.
    pub fn into_inner(self) -> W {
        self.out
    }

    fn lines(&mut self, stamped: &Stamped) -> Vec<String> {
        let lane_line = |lane: &str, text: String| vec![format!("[{lane}] {text}")];
        match &stamped.event {
            RaceEvent::RaceStarted { lanes, .. } => {
                let mut lines: Vec<String> = text::race_line(&stamped.event).into_iter().collect();
                lines.extend(
                    lanes
                        .iter()
                        .map(|l| format!("[{}] {} on branch {}", l.lane, l.agent, l.branch)),
                );
                lines
            }
            RaceEvent::LaneState {
                state: LaneState::Queued,
                ..
            } => vec![],
            RaceEvent::LaneState {
                lane,
                state: LaneState::Failed,
            } if self.failure_reported.contains(lane) => vec![],
            RaceEvent::LaneState { lane, state } => lane_line(lane, state.as_str().to_string()),
            RaceEvent::LaneProgress {
                lane,
                usage,
                last_action,
            } => {
                let due = self
                    .last_progress_ms
                    .get(lane)
                    .is_none_or(|last| stamped.at_ms.saturating_sub(*last) >= PROGRESS_INTERVAL_MS);
                if !due {
                    return vec![];
                }
                self.last_progress_ms.insert(lane.clone(), stamped.at_ms);
                let mut line = text::usage(usage);
                if let Some(action) = last_action {
                    line.push_str(&format!("; {}", text::one_line(action, ACTION_CHARS)));
                }
                lane_line(lane, line)
            }
            RaceEvent::LaneStalled { lane, idle_ms, error } => {
                lane_line(lane, text::stalled(*idle_ms, error.as_deref()))
            }
            RaceEvent::AgentFinished { lane, outcome } => lane_line(lane, text::agent_finished(outcome)),
            RaceEvent::Captured { lane, capture } => lane_line(
                lane,
                format!(
                    "captured {}: {}, +{} -{}",
                    text::short_commit(&capture.commit),
                    bakeoff_core::units::plural(capture.files_changed, "file"),
                    capture.insertions,
                    capture.deletions
                ),
            ),
            RaceEvent::CheckStarted { lane, name, holdout } => {
                lane_line(lane, text::check_started(name, *holdout))
            }
            RaceEvent::CheckFinished { lane, check } => lane_line(lane, text::check_finished(check)),
            RaceEvent::LaneFailed { lane, error } => {
                self.failure_reported.insert(lane.clone());
                lane_line(lane, format!("failed: {}", text::one_line(error, 300)))
            }
            // The command prints the leaderboard itself, on stdout, once the race ends.
            RaceEvent::Ranked { .. } => Vec::new(),
            RaceEvent::ReviewFinished { lane, review } => lane_line(lane, text::review_finished(review)),
            RaceEvent::FixRound {
                lane,
                round,
                findings_sent,
                failing_checks,
                resumed_session,
                ..
            } => lane_line(
                lane,
                text::fix_round(*round, *findings_sent, failing_checks, resumed_session.as_deref()),
            ),
            RaceEvent::Breached {
                lane,
                changes,
                restored,
            } => lane_line(
                lane,
                format!(
                    "WARNING: reached past its worktree ({}){}; this lane will not be merged",
                    changes.join("; "),
                    if *restored { ", HEAD put back" } else { "" }
                ),
            ),
            RaceEvent::BakeoffFindings { lane, findings } => findings
                .iter()
                .flat_map(|f| {
                    lane_line(
                        lane,
                        format!(
                            "bakeoff flags {}{}: {}",
                            f.file,
                            f.line.map(|l| format!(":{l}")).unwrap_or_default(),
                            f.title
                        ),
                    )
                })
                .collect(),
            other => text::race_line(other).into_iter().collect(),
        }
    }
}

impl<W: Write + Send> Reporter for PlainReporter<W> {
    fn event(&mut self, event: &Stamped) {
        if self.error.is_some() {
            return;
        }
        let lines = self.lines(event);
        let result = lines
            .iter()
            .try_for_each(|line| writeln!(self.out, "{line}"))
            .and_then(|()| self.out.flush());
        if let Err(error) = result {
            self.error = Some(error);
        }
    }

    fn finish(&mut self) {
        if self.error.is_none() {
            if let Err(error) = self.out.flush() {
                self.error = Some(error);
            }
        }
    }
}
