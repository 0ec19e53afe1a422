//! The coordinator: one task owns the race's state. Lane workers, the interrupt source
//! and a progress tick feed it; it stamps events, hands them to every reporter (the
//! journal first), ranks the lanes when all are done, and merges when asked.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::{mpsc, Semaphore};

use crate::error::Error;
use crate::journal::{EventLog, JournalReporter};
use crate::merge::{self, Merged};
use crate::process::{cancel_pair, CancelLevel};
use crate::rank::{self, LaneResult, Leaderboard};
use crate::review::{judge, ReviewOutput, ReviewRecord};
use crate::vocab::Reporter;
use crate::vocab::{LaneInfo, RaceEvent, Stamped, EVENT_FORMAT};

use super::lane::{self, LaneDone, LaneMsg, Shared};
use super::plan::{create_records, RacePlan};

/// How a race ended.
pub struct RaceOutcome {
    pub id: String,
    pub leaderboard: Leaderboard,
    pub interrupted: bool,
    /// The merge, when one was asked for and a winner exists.
    pub merge: Option<Result<Merged, Error>>,
    /// A reviewer's provider refused bakeoff's credentials: the run ends with exit 3.
    pub credentials_error: Option<String>,
}

/// Hands every event, stamped, to every reporter in order.
struct Broadcast {
    reporters: Vec<Box<dyn Reporter>>,
}

impl Broadcast {
    fn emit(&mut self, event: RaceEvent) {
        let at_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let stamped = Stamped {
            v: EVENT_FORMAT,
            at_ms,
            event,
        };
        for r in &mut self.reporters {
            r.event(&stamped);
        }
    }
}

/// Runs a planned race to its end. `interrupts` delivers one message per Ctrl-C: the
/// first stops lanes gracefully, the second kills them at once.
pub async fn run(
    plan: RacePlan,
    reporters: Vec<Box<dyn Reporter>>,
    interrupts: mpsc::UnboundedReceiver<()>,
) -> Result<RaceOutcome, Error> {
    create_records(&plan)?;
    // Held until the race ends: `resume` refuses a race whose bakeoff is alive.
    let _lock = plan.dir.lock()?;
    let mut out = broadcast(&plan, reporters)?;
    let record = plan.record.clone();
    out.emit(RaceEvent::RaceStarted {
        race: record.id.clone(),
        base: record.base.clone(),
        base_ref: record.base_ref.clone(),
        target_branch: record.target_branch.clone(),
        lanes: record
            .lanes
            .iter()
            .map(|l| LaneInfo {
                lane: l.name.clone(),
                agent: l.agent.clone(),
                adapter: l.spec.adapter.as_str().to_string(),
                model: l.spec.model.clone(),
                branch: l.branch.clone(),
                worktree: l.worktree.display().to_string(),
            })
            .collect(),
    });
    let kept = (0..record.lanes.len()).map(|_| None).collect();
    drive(plan, out, interrupts, kept, Spend::default()).await
}

/// Takes up a race that stopped without finishing (see `resume`): `start` is the first
/// event appended to its journal, `kept[i]` the result of each lane that had ended, and
/// `prior` the journal so far, so the race's spending carries on from where it was.
pub(super) async fn resume(
    plan: RacePlan,
    reporters: Vec<Box<dyn Reporter>>,
    interrupts: mpsc::UnboundedReceiver<()>,
    start: RaceEvent,
    kept: Vec<Option<LaneDone>>,
    prior: &[Stamped],
) -> Result<RaceOutcome, Error> {
    let mut out = broadcast(&plan, reporters)?;
    // The display learns the lanes from the race's start, as the journal has it; the
    // journal itself already holds it.
    if let Some(started) = prior
        .iter()
        .find(|e| matches!(e.event, RaceEvent::RaceStarted { .. }))
    {
        out.reporters.iter_mut().skip(1).for_each(|r| r.event(started));
    }
    out.emit(start);
    let mut spend = Spend::default();
    for e in prior {
        spend.track(&e.event, &plan.record);
    }
    drive(plan, out, interrupts, kept, spend).await
}

/// The journal first, then the caller's reporters.
fn broadcast(plan: &RacePlan, reporters: Vec<Box<dyn Reporter>>) -> Result<Broadcast, Error> {
    let journal = JournalReporter::new(EventLog::open(&plan.dir.events())?);
    Ok(Broadcast {
        reporters: std::iter::once(Box::new(journal) as Box<dyn Reporter>)
            .chain(reporters)
            .collect(),
    })
}

/// Runs every lane that has no result yet, tier by tier, then ranks, judges and merges.
async fn drive(
    plan: RacePlan,
    mut out: Broadcast,
    mut interrupts: mpsc::UnboundedReceiver<()>,
    kept: Vec<Option<LaneDone>>,
    mut spend: Spend,
) -> Result<RaceOutcome, Error> {
    let record = plan.record.clone();
    let shared = Arc::new(Shared {
        agent_slots: Semaphore::new(plan.jobs.min(Semaphore::MAX_PERMITS)),
        check_slots: Semaphore::new(plan.check_jobs.min(Semaphore::MAX_PERMITS)),
        plan,
    });
    let (canceller, token) = cancel_pair();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let lanes_total = record.lanes.len();
    let tiers = tiers(&record);
    let mut next_tier = 0;
    let mut running = 0usize;
    // A kept lane counts as started and done: it is not run again.
    let mut started: Vec<bool> = kept.iter().map(Option::is_some).collect();
    let mut done: Vec<Option<LaneDone>> = kept;
    // Why lanes were stopped early (an approved lane, the race's budget, a cascade).
    let mut stopped: Option<String> = None;
    if record.until_first_approved {
        if let Some(lane) = done.iter().flatten().find(|d| approved(d, &shared)) {
            stopped = Some(format!(
                "{} passed every check and every reviewer approved (--until first-approved)",
                lane.result.lane
            ));
        }
    }
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let mut interrupted = false;
    let mut interrupts_open = true;
    loop {
        if running == 0 {
            let more = next_tier < tiers.len() && stopped.is_none() && !interrupted;
            if more && next_tier > 0 {
                // A cascade goes on to the next tier only when no lane so far was approved.
                if let Some(lane) = done.iter().flatten().find(|d| approved(d, &shared)) {
                    let reason = format!(
                        "cascade: {} was approved in tier {next_tier}, so the later tiers do not run",
                        lane.result.lane
                    );
                    stopped = Some(reason);
                    continue;
                }
            }
            if !more {
                break;
            }
            let to_start: Vec<usize> = tiers[next_tier]
                .iter()
                .copied()
                .filter(|&i| !started[i])
                .collect();
            for index in to_start {
                spawn_lane(shared.clone(), index, tx.clone(), token.clone());
                started[index] = true;
                running += 1;
            }
            next_tier += 1;
            continue;
        }
        tokio::select! {
            msg = rx.recv() => match msg {
                Some(LaneMsg::Event(event)) => {
                    spend.track(&event, &record);
                    out.emit(event);
                    if let (Some(max), None) = (record.race_max_cost_usd, &stopped) {
                        if spend.total() > max {
                            let reason = format!(
                                "the race has spent ${:.2}, over --race-max-cost ${max:.2}",
                                spend.total()
                            );
                            stop_lanes(&mut out, &canceller, &done, &started, &record, &reason);
                            stopped = Some(reason);
                        }
                    }
                }
                Some(LaneMsg::Done(d)) => {
                    running -= 1;
                    let index = d.index;
                    let first_approved = record.until_first_approved && stopped.is_none() && approved(&d, &shared);
                    let lane = d.result.lane.clone();
                    done[index] = Some(*d);
                    if first_approved {
                        let reason = format!("{lane} passed every check and every reviewer approved (--until first-approved)");
                        stop_lanes(&mut out, &canceller, &done, &started, &record, &reason);
                        stopped = Some(reason);
                    }
                }
                Some(LaneMsg::Lost) => running -= 1,
                // The coordinator holds a sender itself, so the channel never closes.
                None => break,
            },
            signal = interrupts.recv(), if interrupts_open => match signal {
                Some(()) if !interrupted => {
                    interrupted = true;
                    canceller.cancel(CancelLevel::Graceful);
                    out.emit(RaceEvent::Interrupted { forced: false });
                }
                Some(()) => {
                    canceller.cancel(CancelLevel::Immediate);
                    out.emit(RaceEvent::Interrupted { forced: true });
                }
                None => interrupts_open = false,
            },
            _ = tick.tick() => out.reporters.iter_mut().for_each(|r| r.tick()),
        }
    }
    drop(tx);
    // Lanes of tiers that never ran are recorded as cancelled, with the reason.
    let never: Vec<String> = (0..lanes_total)
        .filter(|&i| !started[i])
        .map(|i| record.lanes[i].name.clone())
        .collect();
    if !never.is_empty() {
        out.emit(RaceEvent::LanesStopped {
            lanes: never.clone(),
            reason: stopped
                .clone()
                .unwrap_or_else(|| "interrupted before the lane started".into()),
        });
        for lane in &never {
            out.emit(RaceEvent::LaneState {
                lane: lane.clone(),
                state: crate::vocab::LaneState::Cancelled,
            });
        }
    }

    let mut reviews: Vec<ReviewRecord> = Vec::new();
    let results: Vec<(LaneResult, Option<String>)> = done
        .into_iter()
        .enumerate()
        .map(|(i, d)| match d {
            Some(d) => {
                reviews.extend(d.reviews.into_iter().map(|mut r| {
                    // Keep which lane a review is of: signals are computed per lane.
                    r.lane = Some(d.result.lane.clone());
                    r
                }));
                (d.result, d.commit)
            }
            None if !started[i] => (
                LaneResult {
                    cancelled: true,
                    ..LaneResult::new(&record.lanes[i].name, &record.lanes[i].agent, false)
                },
                None,
            ),
            // A worker that ended without reporting (it panicked) is a failed lane.
            None => (lost_lane(&record.lanes[i].name, &record.lanes[i].agent), None),
        })
        .collect();
    let signals = rank::review_signal(&by_reviewer(&reviews));
    let mut lane_results: Vec<LaneResult> = results
        .iter()
        .map(|(r, _)| LaneResult {
            review: signals.get(&r.lane).cloned(),
            ..r.clone()
        })
        .collect();
    if let Some(judge) = shared
        .plan
        .review
        .as_ref()
        .and_then(|r| r.judge.clone())
        .filter(|_| !interrupted)
    {
        let candidates: Vec<judge::Candidate> = record
            .lanes
            .iter()
            .map(|l| judge::Candidate {
                lane: l.name.clone(),
                diff: std::fs::read_to_string(shared.plan.dir.lane_dir(&l.name).join("diff.patch"))
                    .unwrap_or_default(),
                author_lab: l.author_lab.clone(),
            })
            .collect();
        let seed = shared.plan.review.as_ref().map_or(0, |r| r.seed);
        judge::judge_close_calls(
            &judge,
            &record.spec,
            &candidates,
            &rank::rank(&lane_results),
            &mut lane_results,
            seed,
            &mut |e| out.emit(e),
        )
        .await;
    }
    let credentials_error = reviews
        .iter()
        .find(|r| r.credentials_error)
        .and_then(|r| r.output.as_ref().err().cloned());
    let leaderboard = rank::rank(&lane_results);
    shared
        .plan
        .dir
        .write_json(&shared.plan.dir.leaderboard(), &leaderboard)?;
    shared
        .plan
        .dir
        .write_json(&shared.plan.dir.path.join("results.json"), &lane_results)?;
    out.emit(RaceEvent::Ranked {
        leaderboard: leaderboard.clone(),
    });

    let mut merge_result = None;
    if let (Some(mode), Some(winner), false) = (record.merge, leaderboard.winner.clone(), interrupted) {
        let lane = record.lane(&winner).cloned();
        let row = leaderboard.rows.iter().find(|r| r.lane == winner).cloned();
        let commit = results
            .iter()
            .find(|(r, _)| r.lane == winner)
            .and_then(|(_, c)| c.clone());
        if let (Some(lane), Some(row), Some(commit)) = (lane, row, commit) {
            let repo_top = shared.plan.repo_top.clone();
            let rec = record.clone();
            let r = tokio::task::spawn_blocking(move || {
                merge::merge_lane(&repo_top, &rec, &lane, &row, &commit, mode)
            })
            .await
            .unwrap_or_else(|e| Err(Error::input(format!("internal error while merging: {e}"))));
            match &r {
                Ok(merged) => out.emit(merged_event(&winner, mode, merged)),
                Err(e) => out.emit(RaceEvent::MergeRefused {
                    lane: winner.clone(),
                    reason: e.to_string(),
                }),
            }
            merge_result = Some(r);
        }
    }
    out.emit(RaceEvent::RaceFinished {
        winner: leaderboard.winner.clone(),
        interrupted,
    });
    for r in &mut out.reporters {
        r.finish();
    }
    Ok(RaceOutcome {
        id: record.id.clone(),
        leaderboard,
        interrupted,
        merge: merge_result,
        credentials_error,
    })
}

/// The journal event for a merge that happened.
pub fn merged_event(lane: &str, mode: merge::MergeMode, merged: &Merged) -> RaceEvent {
    match merged {
        Merged::Committed { commit, target, .. } => RaceEvent::Merged {
            lane: lane.to_string(),
            strategy: mode.as_str().to_string(),
            target: target.clone(),
            commit: Some(commit.clone()),
        },
        Merged::Branch { branch } => RaceEvent::Merged {
            lane: lane.to_string(),
            strategy: mode.as_str().to_string(),
            target: branch.clone(),
            commit: None,
        },
    }
}

fn lost_lane(lane: &str, agent: &str) -> LaneResult {
    LaneResult {
        failed: Some("the lane's worker stopped without a result".to_string()),
        ..LaneResult::new(lane, agent, false)
    }
}

/// Successful reviews, by reviewer then lane, as ranking reads them.
fn by_reviewer(reviews: &[ReviewRecord]) -> BTreeMap<String, BTreeMap<String, ReviewOutput>> {
    let mut out: BTreeMap<String, BTreeMap<String, ReviewOutput>> = BTreeMap::new();
    for r in reviews {
        if let (Ok(output), Some(lane)) = (&r.output, &r.lane) {
            out.entry(r.reviewer.clone())
                .or_default()
                .insert(lane.clone(), output.clone());
        }
    }
    out
}

/// Lanes grouped by tier, lowest first; one tier of every lane without `--cascade`.
fn tiers(record: &crate::journal::RaceRecord) -> Vec<Vec<usize>> {
    let mut by: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, lane) in record.lanes.iter().enumerate() {
        by.entry(lane.tier).or_default().push(i);
    }
    by.into_values().collect()
}

/// Runs one lane; a worker that dies without reporting is reported as lost.
fn spawn_lane(
    shared: Arc<Shared>,
    index: usize,
    tx: mpsc::UnboundedSender<LaneMsg>,
    token: crate::process::CancelToken,
) {
    tokio::spawn(async move {
        let worker = tokio::spawn(lane::run(shared, index, tx.clone(), token));
        if worker.await.is_err() {
            let _ = tx.send(LaneMsg::Lost);
        }
    });
}

/// True when a lane passed its gates and every check, and every reviewer approved (with
/// reviews on, at least one must have).
fn approved(d: &LaneDone, shared: &Shared) -> bool {
    let board = rank::rank(std::slice::from_ref(&d.result));
    let passed = board.rows.first().is_some_and(|r| r.passed);
    let reviews_ok = d
        .reviews
        .iter()
        .all(|r| matches!(&r.output, Ok(o) if o.verdict == crate::review::Verdict::Approve));
    let reviewed = shared.plan.review.is_none() || !d.reviews.is_empty();
    passed && reviews_ok && reviewed
}

/// Stops every lane still at work, saying which and why.
fn stop_lanes(
    out: &mut Broadcast,
    canceller: &crate::process::Canceller,
    done: &[Option<LaneDone>],
    started: &[bool],
    record: &crate::journal::RaceRecord,
    reason: &str,
) {
    let lanes: Vec<String> = (0..record.lanes.len())
        .filter(|&i| started[i] && done[i].is_none())
        .map(|i| record.lanes[i].name.clone())
        .collect();
    canceller.cancel(CancelLevel::Graceful);
    out.emit(RaceEvent::LanesStopped {
        lanes,
        reason: reason.to_string(),
    });
}

/// What the race has spent so far: each lane's agent (its latest reported total, plus
/// its earlier fix rounds) and every review.
#[derive(Default)]
struct Spend {
    agents: BTreeMap<String, f64>,
    /// Lanes' agent spend in rounds whose run has ended and whose total a later run does
    /// not report again.
    settled: BTreeMap<String, f64>,
    reviews: f64,
}

impl Spend {
    fn track(&mut self, event: &RaceEvent, record: &crate::journal::RaceRecord) {
        let model = |lane: &str| {
            record
                .lane(lane)
                .map(|l| l.spec.model.clone())
                .unwrap_or_default()
        };
        match event {
            RaceEvent::LaneProgress { lane, usage, .. } => {
                if let Some(c) = lane::live_cost(&model(lane), usage) {
                    self.agents.insert(lane.clone(), c);
                }
            }
            RaceEvent::AgentFinished { lane, outcome } => {
                if let Some(c) = lane::live_cost(&model(lane), &outcome.usage) {
                    self.agents.insert(lane.clone(), c);
                }
            }
            RaceEvent::ReviewFinished { review, .. } => self.reviews += review.cost_usd.unwrap_or(0.0),
            // A resumed session reports totals over the whole session (Claude Code's cost,
            // Codex's tokens): its reports replace the earlier ones. A fresh run starts
            // from zero, so what the lane spent so far is set aside.
            RaceEvent::FixRound {
                lane,
                resumed_session,
                ..
            } if resumed_session.is_none() => {
                if let Some(spent) = self.agents.remove(lane) {
                    *self.settled.entry(lane.clone()).or_default() += spent;
                }
            }
            _ => {}
        }
    }

    fn total(&self) -> f64 {
        self.agents.values().sum::<f64>() + self.settled.values().sum::<f64>() + self.reviews
    }
}
