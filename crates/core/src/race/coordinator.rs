//! The coordinator: one task owns the race's state. Lane workers, the interrupt source
//! and a progress tick feed it; it stamps events, folds each into the race's summary (the
//! one truth of every lane's result), hands it to every reporter (the journal first),
//! ranks the lanes when all are done, and merges when asked.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::{mpsc, Semaphore};

use crate::error::Error;
use crate::journal::{EventLog, JournalReporter, RaceRecord, RaceSummary, SharedSeal};
use crate::merge::{self, Merged};
use crate::process::{cancel_pair, CancelLevel, CancelToken, Canceller};
use crate::rank;
use crate::review::judge;
use crate::vocab::{LaneInfo, LaneState, Leaderboard, RaceEvent, Reporter, Stamped, Verdict, EVENT_FORMAT};

use super::lane::{self, LaneMsg, Shared};
use super::plan::{create_records, RacePlan};
use super::standings::{self, Standings};
use super::synthesis;

/// How a race ended.
pub struct RaceOutcome {
    pub id: String,
    pub leaderboard: Leaderboard,
    pub interrupted: bool,
    /// The merge, when one was asked for and a winner exists.
    pub merge: Option<Result<Merged, Error>>,
    /// A reviewer's provider refused bakeoff's credentials: the run ends with exit 3.
    pub credentials_error: Option<String>,
    /// Lanes that failed for lack of a resource (open files, memory, disk), with why:
    /// the ranking is incomplete, so nothing is merged and the run ends with exit 1.
    pub resource_failures: Vec<(String, String)>,
    /// The race's page beside its records (`report.html`), or why it could not be
    /// written: best effort, a failure is a warning, never a failed race.
    pub report: Result<std::path::PathBuf, String>,
}

/// Runs a planned race to its end. `interrupts` delivers one message per Ctrl-C: the
/// first stops lanes gracefully, the second kills them at once.
pub async fn run(
    mut plan: RacePlan,
    reporters: Vec<Box<dyn Reporter>>,
    interrupts: mpsc::UnboundedReceiver<()>,
) -> Result<RaceOutcome, Error> {
    // Held until the race ends: `resume` and `clean` refuse a race whose bakeoff is alive.
    let (_lock, seal) = create_records(&mut plan)?;
    let start = race_started(&plan.record);
    let mut race = Coordinator::new(plan, reporters, seal)?;
    race.emit(start);
    race.drive(interrupts).await
}

/// Takes up a race that stopped without finishing (see `resume`): `prior` is its journal
/// so far, folded first so kept lanes keep their results and the race's spending carries
/// on; `start` is the first event appended to it; `seal` is of the race's folder as
/// resume found it.
pub(super) async fn resume(
    plan: RacePlan,
    reporters: Vec<Box<dyn Reporter>>,
    interrupts: mpsc::UnboundedReceiver<()>,
    start: RaceEvent,
    prior: &[Stamped],
    seal: SharedSeal,
) -> Result<RaceOutcome, Error> {
    let mut race = Coordinator::new(plan, reporters, seal)?;
    race.replay(prior);
    race.emit(start);
    race.drive(interrupts).await
}

/// The first event of a race: its lanes, as the display and the journal learn them.
fn race_started(record: &RaceRecord) -> RaceEvent {
    RaceEvent::RaceStarted {
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
                lab: l.author_lab.clone(),
                branch: l.branch.clone(),
                worktree: l.worktree.display().to_string(),
            })
            .collect(),
    }
}

/// The race's state, owned by the one task that drives it.
struct Coordinator {
    shared: Arc<Shared>,
    /// The journal first, then the caller's reporters.
    reporters: Vec<Box<dyn Reporter>>,
    /// Every event so far, folded.
    summary: RaceSummary,
    spend: Spend,
    canceller: Canceller,
    token: CancelToken,
    tx: mpsc::UnboundedSender<LaneMsg>,
    rx: mpsc::UnboundedReceiver<LaneMsg>,
    /// Lanes by tier, lowest first; one tier of every lane without `--cascade`.
    tiers: Vec<Vec<usize>>,
    next_tier: usize,
    running: usize,
    /// Lanes started in this run, or ended before it (kept by `resume`).
    started: Vec<bool>,
    /// Why lanes were stopped early (an approved lane, the race's budget, a cascade).
    stopped: Option<String>,
    interrupted: bool,
}

impl Coordinator {
    fn new(
        plan: RacePlan,
        reporters: Vec<Box<dyn Reporter>>,
        seal: SharedSeal,
    ) -> Result<Coordinator, Error> {
        let journal = JournalReporter::new(EventLog::open_sealed(&plan.dir.events(), seal.clone())?);
        let reporters = std::iter::once(Box::new(journal) as Box<dyn Reporter>)
            .chain(reporters)
            .collect();
        let lanes = plan.record.lanes.len();
        let tiers = tiers(&plan.record);
        let shared = Arc::new(Shared {
            agent_slots: Semaphore::new(plan.jobs.min(Semaphore::MAX_PERMITS)),
            check_slots: plan
                .check_slots
                .clone()
                .unwrap_or_else(|| Arc::new(Semaphore::new(plan.check_jobs.min(Semaphore::MAX_PERMITS)))),
            setup_slots: Semaphore::new(plan.setup_jobs.min(Semaphore::MAX_PERMITS)),
            light_checks: Default::default(),
            base: Default::default(),
            guard: std::sync::Mutex::new(()),
            seal,
            plan,
        });
        let (canceller, token) = cancel_pair();
        let (tx, rx) = mpsc::unbounded_channel();
        Ok(Coordinator {
            shared,
            reporters,
            summary: RaceSummary::default(),
            spend: Spend::default(),
            canceller,
            token,
            tx,
            rx,
            tiers,
            next_tier: 0,
            running: 0,
            started: vec![false; lanes],
            stopped: None,
            interrupted: false,
        })
    }

    fn record(&self) -> &RaceRecord {
        &self.shared.plan.record
    }

    /// Folds the journal of an earlier run in. The display learns the lanes from the
    /// race's start; the journal already holds all of it.
    fn replay(&mut self, prior: &[Stamped]) {
        for e in prior {
            self.summary.apply(e);
            self.spend.track(&e.event, &self.shared.plan.record);
            if matches!(e.event, RaceEvent::RaceStarted { .. }) {
                self.reporters.iter_mut().skip(1).for_each(|r| r.event(e));
            }
        }
    }

    /// Stamps an event, folds it in and hands it to every reporter in order.
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
        self.summary.apply(&stamped);
        self.spend.track(&stamped.event, &self.shared.plan.record);
        for r in &mut self.reporters {
            r.event(&stamped);
        }
    }

    /// Runs every lane that has not ended yet, tier by tier, then judges, ranks and merges.
    async fn drive(mut self, mut interrupts: mpsc::UnboundedReceiver<()>) -> Result<RaceOutcome, Error> {
        // Lanes kept from an earlier run count as started and done.
        for (i, lane) in self.shared.plan.record.lanes.iter().enumerate() {
            self.started[i] = self.summary.lanes.get(&lane.name).is_some_and(|s| s.ended());
        }
        if self.record().until_first_approved {
            if let Some(lane) = self.approved_lane() {
                self.stopped = Some(first_approved(&lane));
            }
        }
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        let mut interrupts_open = true;
        while self.start_next_tier() {
            tokio::select! {
                msg = self.rx.recv() => match msg {
                    Some(msg) => self.on_lane_message(msg),
                    // The coordinator holds a sender itself, so the channel never closes.
                    None => break,
                },
                signal = interrupts.recv(), if interrupts_open => match signal {
                    Some(()) => self.on_interrupt(),
                    None => interrupts_open = false,
                },
                _ = tick.tick() => self.reporters.iter_mut().for_each(|r| r.tick()),
            }
        }
        self.cancel_unstarted();
        self.remove_shared_base().await;
        let standings = self.rank().await?;
        let merge = self.merge_winner(&standings).await;
        Ok(self.finish(standings, merge))
    }

    /// Every lane has its own worktree by now: the checkout they shared goes. Best
    /// effort: what is left is bakeoff's own folder, which `bakeoff clean` removes.
    async fn remove_shared_base(&self) {
        if self.shared.base.get().is_none() {
            return;
        }
        let root = self.record().worktree_root.clone();
        let _ = tokio::task::spawn_blocking(move || crate::git::remove_shared_base(&root)).await;
    }

    /// True while lanes are running; when none is, starts the next tier's lanes that have
    /// not run, and says false once no tier is left to start.
    fn start_next_tier(&mut self) -> bool {
        while self.running == 0 {
            if self.next_tier >= self.tiers.len() || self.stopped.is_some() || self.interrupted {
                return false;
            }
            let synthesis_tier = self.tiers[self.next_tier]
                .iter()
                .any(|&i| self.record().lanes[i].synthesis.is_some());
            // A tier whose lanes all ran before (`bakeoff synthesize` goes on from a
            // finished race) decides nothing.
            let to_start = self.tiers[self.next_tier].iter().any(|&i| !self.started[i]);
            if self.next_tier > 0 && !synthesis_tier && to_start {
                // A cascade goes on to the next tier only when no lane so far was approved.
                if let Some(lane) = self.approved_lane() {
                    self.stopped = Some(format!(
                        "cascade: {lane} was approved in tier {}, so the later tiers do not run",
                        self.next_tier
                    ));
                    return false;
                }
            }
            for index in self.tiers[self.next_tier].clone() {
                if !self.started[index] && (!synthesis_tier || self.start_synthesis(index)) {
                    self.spawn_lane(index);
                }
            }
            self.next_tier += 1;
        }
        true
    }

    /// Readies the synthesis lane `index`: its finalists from the standings so far, and
    /// the task its agent receives (`synthesis::task`) written to its folder. False, with
    /// the lane cancelled and why, when fewer than two lanes have a change to combine.
    fn start_synthesis(&mut self, index: usize) -> bool {
        let record = self.record().clone();
        let lane = record.lanes[index].clone();
        let Some(asked) = lane.synthesis.clone() else {
            return true;
        };
        let dir = self.shared.plan.dir.clone();
        let diff_of =
            |name: &str| std::fs::read_to_string(dir.lane_dir(name).join("diff.patch")).unwrap_or_default();
        let ranked: Vec<String> = standings::standings(&record, &self.summary)
            .leaderboard
            .rows
            .into_iter()
            .map(|r| r.lane)
            .collect();
        let from = synthesis::finalists(&ranked, &asked.lanes, asked.finalists, |l| {
            let ended = self
                .summary
                .lanes
                .get(l)
                .is_some_and(|s| s.ended() && s.capture.is_some());
            ended && !diff_of(l).trim().is_empty()
        });
        let written = match from.as_slice() {
            [] => Err("synthesis: no lane has a change to combine".to_string()),
            [one] => Err(format!(
                "synthesis: only {one} has a change to combine, and a synthesis combines two or more"
            )),
            _ => {
                let known = self.shared.plan.known_secrets();
                let finalists: Vec<synthesis::Finalist> = from
                    .iter()
                    .map(|l| {
                        let s = self.summary.lanes.get(l);
                        synthesis::Finalist {
                            diff: crate::review::secrets::redact(&diff_of(l), &known).0,
                            checks: s.map(|s| s.checks.clone()).unwrap_or_default(),
                            findings: s.map(|s| super::fix::findings(&s.reviews)).unwrap_or_default(),
                        }
                    })
                    .collect();
                let nonce = crate::review::nonce(crate::review::clock_seed());
                let task = synthesis::task(&record.spec, &finalists, &nonce);
                let lane_dir = dir.lane_dir(&lane.name);
                std::fs::create_dir_all(&lane_dir)
                    .and_then(|()| {
                        self.shared
                            .seal
                            .write(&lane_dir.join(synthesis::TASK_FILE), task.as_bytes())
                    })
                    .map_err(|e| format!("synthesis: cannot write its task in {}: {e}", lane_dir.display()))
            }
        };
        if let Err(reason) = written {
            self.started[index] = true;
            self.emit(RaceEvent::LanesStopped {
                lanes: vec![lane.name.clone()],
                reason,
            });
            self.emit(RaceEvent::LaneState {
                lane: lane.name,
                state: LaneState::Cancelled,
            });
            return false;
        }
        self.emit(RaceEvent::SynthesisStarted {
            lane: lane.name,
            model: asked.model,
            from,
        });
        true
    }

    fn spawn_lane(&mut self, index: usize) {
        self.started[index] = true;
        self.running += 1;
        let (shared, tx, token) = (self.shared.clone(), self.tx.clone(), self.token.clone());
        tokio::spawn(async move {
            let worker = tokio::spawn(lane::run(shared, index, tx.clone(), token));
            if worker.await.is_err() {
                let _ = tx.send(LaneMsg::Lost(index));
            }
        });
    }

    fn on_lane_message(&mut self, msg: LaneMsg) {
        match msg {
            LaneMsg::Event(event) => {
                self.emit(event);
                self.check_race_budget();
            }
            LaneMsg::Done(index) => {
                self.running -= 1;
                let lane = self.record().lanes[index].name.clone();
                if self.record().until_first_approved && self.stopped.is_none() && self.approved(&lane) {
                    self.stop_lanes(first_approved(&lane));
                }
            }
            // A worker that ended without reporting (it panicked) is a failed lane.
            LaneMsg::Lost(index) => {
                self.running -= 1;
                let lane = self.record().lanes[index].name.clone();
                self.emit(RaceEvent::LaneFailed {
                    lane: lane.clone(),
                    error: "the lane's worker stopped without a result".to_string(),
                });
                self.emit(RaceEvent::LaneState {
                    lane,
                    state: LaneState::Failed,
                });
            }
        }
    }

    /// The first Ctrl-C stops lanes gracefully, the second at once.
    fn on_interrupt(&mut self) {
        let forced = self.interrupted;
        self.interrupted = true;
        self.canceller.cancel(if forced {
            CancelLevel::Immediate
        } else {
            CancelLevel::Graceful
        });
        self.emit(RaceEvent::Interrupted { forced });
    }

    fn check_race_budget(&mut self) {
        if let (Some(max), None) = (self.record().race_max_cost_usd, &self.stopped) {
            let spent = self.spend.total();
            if spent > max {
                self.stop_lanes(format!(
                    "the race has spent ${spent:.2}, over --race-max-cost ${max:.2}"
                ));
            }
        }
    }

    /// Stops every lane still at work, saying which and why.
    fn stop_lanes(&mut self, reason: String) {
        let lanes: Vec<String> = self
            .record()
            .lanes
            .iter()
            .enumerate()
            .filter(|(i, l)| self.started[*i] && !self.summary.lanes.get(&l.name).is_some_and(|s| s.ended()))
            .map(|(_, l)| l.name.clone())
            .collect();
        self.canceller.cancel(CancelLevel::Graceful);
        self.emit(RaceEvent::LanesStopped {
            lanes,
            reason: reason.clone(),
        });
        self.stopped = Some(reason);
    }

    /// Lanes of tiers that never ran are recorded as cancelled, with the reason.
    fn cancel_unstarted(&mut self) {
        let never: Vec<String> = self
            .record()
            .lanes
            .iter()
            .zip(&self.started)
            .filter(|(_, started)| !**started)
            .map(|(l, _)| l.name.clone())
            .collect();
        if never.is_empty() {
            return;
        }
        let reason = self
            .stopped
            .clone()
            .unwrap_or_else(|| "interrupted before the lane started".into());
        self.emit(RaceEvent::LanesStopped {
            lanes: never.clone(),
            reason,
        });
        for lane in never {
            self.emit(RaceEvent::LaneState {
                lane,
                state: LaneState::Cancelled,
            });
        }
    }

    /// A lane that passed its gates and every check, and whose every reviewer approved
    /// (with reviews on, at least one must have).
    fn approved(&self, lane: &str) -> bool {
        let Some(s) = self.summary.lanes.get(lane) else {
            return false;
        };
        let result = s.result(lane, self.record().tests_may_change);
        let passed = rank::rank(std::slice::from_ref(&result))
            .rows
            .first()
            .is_some_and(|r| r.passed);
        let reviews_ok = s
            .reviews
            .iter()
            .all(|r| matches!(&r.output, Ok(o) if o.verdict == Verdict::Approve));
        // As the merge rule has it: a same-lab answer counts only where same-lab is allowed.
        let same_lab_ok =
            self.record().allow_same_lab || self.record().lane(lane).is_some_and(|l| l.same_lab);
        let cross_lab = s
            .reviews
            .iter()
            .any(|r| r.output.is_ok() && (!r.same_lab || same_lab_ok));
        let reviewed = self.shared.plan.review.is_none() || cross_lab;
        s.ended() && passed && reviews_ok && reviewed
    }

    /// The first lane, in the race's order, that was approved.
    fn approved_lane(&self) -> Option<String> {
        self.record()
            .lanes
            .iter()
            .map(|l| l.name.clone())
            .find(|l| self.approved(l))
    }

    /// Judges the close calls (unless interrupted), then ranks the race from its fold and
    /// writes the leaderboard.
    async fn rank(&mut self) -> Result<Standings, Error> {
        let judge = self
            .shared
            .plan
            .review
            .clone()
            .and_then(|r| r.judge.clone().map(|j| (j, r.seed)))
            .filter(|_| !self.interrupted);
        if let Some((judge, seed)) = judge {
            let record = self.shared.plan.record.clone();
            let known = self.shared.plan.known_secrets();
            let candidates: Vec<judge::Candidate> = record
                .lanes
                .iter()
                .map(|l| judge::Candidate {
                    lane: l.name.clone(),
                    diff: crate::review::secrets::redact(
                        &std::fs::read_to_string(self.shared.plan.dir.lane_dir(&l.name).join("diff.patch"))
                            .unwrap_or_default(),
                        &known,
                    )
                    .0,
                    author_lab: l.author_lab.clone(),
                })
                .collect();
            // The judge's verdicts reach the ranking as the events it emits, like a
            // journal read back: `standings` applies them.
            let mut finalists = standings::lane_results(&record, &self.summary);
            judge::judge_close_calls(
                &judge,
                &record.spec,
                &candidates,
                &rank::rank(&finalists),
                &mut finalists,
                seed,
                &mut |e| self.emit(e),
            )
            .await;
        }
        let standings = standings::standings(self.record(), &self.summary);
        let dir = &self.shared.plan.dir;
        let seal = &self.shared.seal;
        seal.write_json(dir, &dir.leaderboard(), &standings.leaderboard)?;
        seal.write_json(dir, &dir.path.join("results.json"), &standings.results)?;
        self.emit(RaceEvent::Ranked {
            leaderboard: standings.leaderboard.clone(),
        });
        Ok(standings)
    }

    /// Merges the winner when the race asked for it and was not interrupted.
    async fn merge_winner(&mut self, standings: &Standings) -> Option<Result<Merged, Error>> {
        let record = self.record().clone();
        if let (Some((mode, commit)), Some(winner)) = (
            self.shared.plan.finished_merge.clone(),
            standings.leaderboard.winner.clone(),
        ) {
            let merged = Merged::Committed {
                commit,
                target: record.target_branch.clone().unwrap_or_default(),
                three_way: false,
                updated_worktree: true,
            };
            self.emit(merged_event(&winner, mode, &merged));
            return Some(Ok(merged));
        }
        let (Some(mode), Some(winner), false) = (
            record.merge,
            standings.leaderboard.winner.clone(),
            self.interrupted,
        ) else {
            return None;
        };
        if let Some((failed, why)) = self.resource_failures().into_iter().next() {
            let reason = format!(
                "lane {failed} failed for lack of a resource ({why}), so the ranking is incomplete: free it and race again"
            );
            self.emit(RaceEvent::MergeRefused {
                lane: winner.clone(),
                reason: reason.clone(),
            });
            return Some(Err(Error::MergeRefused {
                message: reason,
                provider: false,
            }));
        }
        let lane = record.lane(&winner).cloned()?;
        let row = standings
            .leaderboard
            .rows
            .iter()
            .find(|r| r.lane == winner)
            .cloned()?;
        let reviews = self
            .summary
            .lanes
            .get(&winner)
            .map(|s| s.reviews.clone())
            .unwrap_or_default();
        // The winner stays the winner; only its merge is refused.
        if let Some(refusal) = merge::review_refusal(&record, &lane, &reviews, false) {
            self.emit(RaceEvent::MergeRefused {
                lane: winner.clone(),
                reason: refusal.reason.clone(),
            });
            return Some(Err(refusal.into_error()));
        }
        let commit = self.summary.commit(&winner)?.to_string();
        let repo_top = self.shared.plan.repo_top.clone();
        let r = tokio::task::spawn_blocking(move || {
            merge::merge_lane(&repo_top, &record, &lane, &row, &reviews, &commit, mode)
        })
        .await
        .unwrap_or_else(|e| Err(Error::internal(format!("the merge stopped: {e}"))));
        match &r {
            Ok(merged) => self.emit(merged_event(&winner, mode, merged)),
            Err(e) => self.emit(RaceEvent::MergeRefused {
                lane: winner.clone(),
                reason: e.to_string(),
            }),
        }
        Some(r)
    }

    fn finish(mut self, standings: Standings, merge: Option<Result<Merged, Error>>) -> RaceOutcome {
        self.emit(RaceEvent::RaceFinished {
            winner: standings.leaderboard.winner.clone(),
            interrupted: self.interrupted,
        });
        for r in &mut self.reporters {
            r.finish();
        }
        // The race's line in the index, from the journal just finished (a resumed race's
        // too). A cache: if it cannot be written, `list` reads the race from its folder.
        let dir = &self.shared.plan.dir;
        let _ = dir.store().index().note(dir);
        // After the journal's last event, so the page tells the race as it ended.
        let known = self.shared.plan.known_secrets();
        let report = crate::report::write_html(dir, &known);
        let credentials_error = self
            .summary
            .lanes
            .values()
            .flat_map(|s| &s.reviews)
            .find(|r| r.credentials_error)
            .and_then(|r| r.output.as_ref().err().cloned());
        RaceOutcome {
            id: self.record().id.clone(),
            resource_failures: self.resource_failures(),
            leaderboard: standings.leaderboard,
            interrupted: self.interrupted,
            merge,
            credentials_error,
            report,
        }
    }

    /// The lanes that failed for lack of a resource, in lane order, with their error.
    fn resource_failures(&self) -> Vec<(String, String)> {
        self.record()
            .lanes
            .iter()
            .filter_map(|l| {
                let error = self.summary.lanes.get(&l.name)?.error.as_ref()?;
                super::resources::is_resource_failure(error).then(|| (l.name.clone(), error.clone()))
            })
            .collect()
    }
}

fn first_approved(lane: &str) -> String {
    format!("{lane} passed every check and every reviewer approved (--until first-approved)")
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

/// Lanes grouped by tier, lowest first; one tier of every lane without `--cascade`.
fn tiers(record: &RaceRecord) -> Vec<Vec<usize>> {
    let mut by: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, lane) in record.lanes.iter().enumerate() {
        by.entry(lane.tier).or_default().push(i);
    }
    by.into_values().collect()
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
    fn track(&mut self, event: &RaceEvent, record: &RaceRecord) {
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
