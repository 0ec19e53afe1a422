//! One lane's worker: worktree, setup, agent, capture, checks, reviews, and fix rounds
//! (agent, capture, checks and reviews again). It reports what happens as events to the
//! coordinator and never touches shared state.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, Semaphore};

use crate::agent::{
    self, AdapterKind, AgentSpec, Invocation, InvocationContext, OutputStream, ParsedOutcome,
};
use crate::config::CheckSpec;
use crate::git::{self, DiffStats, WorktreeSpec};
use crate::journal::LaneRecord;
use crate::journal::LaneSummary;
use crate::process::{self, cancel_pair, CancelLevel, CancelToken, Canceller, Command, Stream};
use crate::rank;
use crate::review::{self, CheckSummary};
use crate::review::{reviewer, ReviewPlan};
use crate::vocab::{AgentOutcome, CaptureSummary, CheckOutcome, LaneState, RaceEvent};

use super::plan::RacePlan;
use super::{delta, fix, holdout};

/// What a lane worker sends its coordinator.
// Events are sent by value: they are the common message, and boxing each one would cost
// an allocation per progress line for no gain.
#[allow(clippy::large_enum_variant)]
pub(super) enum LaneMsg {
    Event(RaceEvent),
    /// The lane (by index) has sent its last event.
    Done(usize),
    /// A lane's worker died without reporting.
    Lost(usize),
}

/// What every lane worker shares, read-only.
pub(super) struct Shared {
    pub plan: RacePlan,
    pub agent_slots: Semaphore,
    pub check_slots: Semaphore,
}

/// Why a lane stopped early.
enum Stop {
    Cancelled,
    Failed(String),
}

struct Worker {
    shared: Arc<Shared>,
    index: usize,
    tx: mpsc::UnboundedSender<LaneMsg>,
    cancel: CancelToken,
    lane_dir: PathBuf,
    /// What this worker has reported so far, folded as the coordinator folds it: the
    /// worker decides its fix rounds from it and never keeps a result of its own.
    seen: LaneSummary,
    /// 1 for the lane's first run, 2 for its first fix round, …
    round: u32,
}

/// A fix round's follow-up, ready to send.
struct FixRound {
    prompt: String,
    findings_sent: usize,
    failing_checks: Vec<String>,
}

pub(super) async fn run(
    shared: Arc<Shared>,
    index: usize,
    tx: mpsc::UnboundedSender<LaneMsg>,
    cancel: CancelToken,
) {
    let lane = &shared.plan.record.lanes[index];
    let lane_dir = shared.plan.dir.lane_dir(&lane.name);
    let mut worker = Worker {
        shared: shared.clone(),
        index,
        tx,
        cancel,
        lane_dir,
        seen: LaneSummary::default(),
        round: 1,
    };
    let final_state = match worker.stages().await {
        Ok(()) => LaneState::Done,
        Err(Stop::Cancelled) => LaneState::Cancelled,
        Err(Stop::Failed(error)) => {
            let lane = worker.lane().name.clone();
            worker.emit(RaceEvent::LaneFailed { lane, error });
            LaneState::Failed
        }
    };
    worker.state(final_state);
    let _ = worker.tx.send(LaneMsg::Done(index));
}

impl Worker {
    fn lane(&self) -> &LaneRecord {
        &self.shared.plan.record.lanes[self.index]
    }

    fn emit(&mut self, event: RaceEvent) {
        self.seen.apply(0, &event);
        // The coordinator outlives every worker; a closed channel means it is gone and
        // there is nobody left to tell.
        let _ = self.tx.send(LaneMsg::Event(event));
    }

    fn state(&mut self, state: LaneState) {
        self.emit(RaceEvent::LaneState {
            lane: self.lane().name.clone(),
            state,
        });
    }

    fn check_cancel(&self) -> Result<(), Stop> {
        match self.cancel.level() {
            CancelLevel::None => Ok(()),
            _ => Err(Stop::Cancelled),
        }
    }

    async fn stages(&mut self) -> Result<(), Stop> {
        self.state(LaneState::SettingUp);
        std::fs::create_dir_all(&self.lane_dir)
            .map_err(|e| Stop::Failed(format!("cannot create {}: {e}", self.lane_dir.display())))?;
        self.setup().await?;
        self.check_cancel()?;
        match self.shared.plan.resume_from.get(&self.index).cloned() {
            // Resumed after a crash with its agent's work already captured: straight to
            // the checks and reviews of that work.
            Some(from) => self.emit(RaceEvent::AgentFinished {
                lane: self.lane().name.clone(),
                outcome: from.agent,
            }),
            None => self.agent(None).await?,
        }
        self.judge_round().await?;
        while self.round <= self.shared.plan.record.fix_rounds
            && fix::needs_fix(&self.seen.reviews, &self.seen.checks)
            && !self.spent_max_cost()
        {
            self.check_cancel()?;
            let findings = fix::findings(&self.seen.reviews);
            let failing_checks = fix::failing_checks(&self.seen.checks);
            let followup = FixRound {
                prompt: fix::followup_prompt(&findings, &failing_checks),
                findings_sent: findings.len(),
                failing_checks,
            };
            self.round += 1;
            self.agent(Some(&followup)).await?;
            self.judge_round().await?;
        }
        Ok(())
    }

    /// `--max-cost` is per agent run, but a lane that has already spent it over its
    /// rounds gets no further round.
    fn spent_max_cost(&self) -> bool {
        let max = self.shared.plan.record.max_cost_usd;
        matches!((self.seen.cost_usd, max), (Some(spent), Some(max)) if spent >= max)
    }

    /// Where this round's file `name` goes: the lane's folder in round 1, `round-N/` in
    /// it after, so every round's logs and reviews are kept.
    fn round_path(&self, name: &str) -> PathBuf {
        match self.round {
            1 => self.lane_dir.join(name),
            n => self.lane_dir.join(format!("round-{n}")).join(name),
        }
    }

    /// Capture, checks and reviews of the round's work.
    async fn judge_round(&mut self) -> Result<(), Stop> {
        self.check_cancel()?;
        self.state(LaneState::Capturing);
        let (stats, patch) = self.capture().await?;
        self.check_cancel()?;
        self.state(LaneState::Checking);
        self.checks(&stats, &patch).await?;
        self.check_cancel()?;
        if let Some(review) = self.shared.plan.review.clone() {
            self.state(LaneState::Reviewing);
            let mut cancel = self.cancel.clone();
            tokio::select! {
                done = self.reviews(&review) => done?,
                _ = cancel.raised(CancelLevel::Graceful) => return Err(Stop::Cancelled),
            }
        }
        Ok(())
    }

    /// Every reviewer of this lane at once, each seeing the spec, the diff with context,
    /// the check results and an anonymous label — never the lane's agent, model or lab.
    async fn reviews(&mut self, plan: &ReviewPlan) -> Result<(), Stop> {
        let lane = self.lane().clone();
        let Some(commit) = self.seen.capture.as_ref().map(|c| c.commit.clone()) else {
            return Ok(());
        };
        let (repo_top, base, context) = (
            self.shared.plan.repo_top.clone(),
            self.shared.plan.record.base.clone(),
            plan.context_lines,
        );
        let diff = blocking(move || git::diff_patch_with_context(&repo_top, &base, &commit, context))
            .await?
            .map_err(|e| Stop::Failed(format!("review diff: {e}")))?;
        let own = review::scan(&diff);
        if !own.is_empty() {
            self.emit(RaceEvent::BakeoffFindings {
                lane: lane.name.clone(),
                findings: own,
            });
        }
        let checks: Vec<CheckSummary> = self
            .seen
            .checks
            .iter()
            .map(|c| CheckSummary {
                name: c.name.clone(),
                passed: c.passed,
                holdout: c.holdout,
            })
            .collect();
        let label = anonymous_label(self.index);
        let spec = self.shared.plan.record.spec.clone();
        let dir = self.round_path("reviews");
        let _ = std::fs::create_dir_all(&dir);
        let jobs = lane
            .reviewers
            .iter()
            .filter_map(|name| plan.reviewers.get(name))
            .map(|reviewer| {
                let tx = self.tx.clone();
                let lane_name = lane.name.clone();
                let job = reviewer::Job {
                    spec: &spec,
                    label: &label,
                    diff: &diff,
                    checks: checks.clone(),
                    token_budget: plan.token_budget,
                    nonce_seed: plan.seed ^ (self.index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                    prices: &plan.prices,
                    same_lab: lane.same_lab,
                };
                let dir = dir.clone();
                async move {
                    let _ = tx.send(LaneMsg::Event(RaceEvent::ReviewStarted {
                        lane: lane_name.clone(),
                        reviewer: reviewer.name.clone(),
                    }));
                    let events = tx.clone();
                    let (who, whose) = (reviewer.name.clone(), lane_name.clone());
                    let mut observer = move |event| {
                        let _ = events.send(LaneMsg::Event(RaceEvent::Provider {
                            lane: Some(whose.clone()),
                            reviewer: who.clone(),
                            event,
                        }));
                    };
                    let record = reviewer::review(reviewer, &job, &mut observer).await;
                    let path = dir.join(format!("{}.json", file_slug(&reviewer.name)));
                    if let Ok(text) = serde_json::to_vec_pretty(&record) {
                        let _ = std::fs::write(path, text);
                    }
                    let _ = tx.send(LaneMsg::Event(RaceEvent::ReviewFinished {
                        lane: lane_name,
                        review: record.clone(),
                    }));
                    record
                }
            });
        // Each job sent its own events as it went; the worker folds what they reported.
        for review in futures_util::future::join_all(jobs).await {
            self.seen.apply(
                0,
                &RaceEvent::ReviewFinished {
                    lane: lane.name.clone(),
                    review,
                },
            );
        }
        Ok(())
    }

    async fn setup(&mut self) -> Result<(), Stop> {
        let plan = &self.shared.plan;
        let lane = self.lane().clone();
        let spec = WorktreeSpec {
            name: lane.worktree_name.clone(),
            path: lane.worktree.clone(),
            branch: lane.branch.clone(),
            // A lane resumed from its captured work starts from that commit; its capture
            // is again taken against the race's base.
            base: match plan.resume_from.get(&self.index) {
                Some(from) => from.commit.clone(),
                None => plan.record.base.clone(),
            },
        };
        let repo_top = plan.repo_top.clone();
        let copy = plan.copy.clone();
        let worktree = lane.worktree.clone();
        blocking(move || {
            git::create_worktree(&repo_top, &spec)?;
            if !copy.is_empty() {
                git::copy_into_worktree(&repo_top, &worktree, &copy)?;
            }
            Ok::<_, git::GitError>(())
        })
        .await?
        .map_err(|e| Stop::Failed(format!("worktree: {e}")))?;

        if let Some(setup) = plan.setup.clone() {
            let log = self.lane_dir.join("setup.log");
            let cmd = self.shell_command(&setup, &log);
            let finished = process::run(cmd, |_, _| {}, self.cancel.clone())
                .await
                .map_err(|e| Stop::Failed(format!("setup command: {e}")))?;
            if finished.cancelled {
                return Err(Stop::Cancelled);
            }
            if finished.timed_out || !finished.exit.success() {
                return Err(Stop::Failed(format!(
                    "setup command `{setup}` {} (see {})",
                    if finished.timed_out {
                        "timed out".to_string()
                    } else {
                        format!("failed: {}", finished.exit)
                    },
                    log.display()
                )));
            }
        }
        Ok(())
    }

    /// The lane's environment: bakeoff's own, less every secret this agent does not need,
    /// plus the lane's port and names.
    fn lane_env(&self, spec: &AgentSpec) -> Vec<(String, String)> {
        let lane = self.lane();
        let mut env = agent::lane_env(spec, &self.shared.plan.base_env);
        env.retain(|(k, _)| !k.starts_with("BAKEOFF_"));
        env.push(("BAKEOFF_PORT".into(), lane.port.to_string()));
        env.push(("BAKEOFF_RACE".into(), self.shared.plan.record.id.clone()));
        env.push(("BAKEOFF_LANE".into(), lane.name.clone()));
        env
    }

    /// A user command (setup, check) run by `sh -c`, stdout and stderr in one log, with
    /// no provider secrets at all: it runs code the agent wrote.
    fn shell_command(&self, script: &str, log: &Path) -> Command {
        let no_secrets = AgentSpec::new(AdapterKind::Command, "");
        let env = to_os(self.lane_env(&no_secrets));
        let mut cmd = Command::shell(
            &format!("exec 2>&1\n{script}"),
            self.lane().worktree.clone(),
            env,
            log.to_path_buf(),
            log.with_extension("stderr.log"),
        );
        cmd.deadline = Some(self.timeout());
        cmd.grace = self.shared.plan.grace;
        cmd
    }

    fn timeout(&self) -> Duration {
        Duration::from_millis(self.shared.plan.record.timeout_ms)
    }

    /// Runs the lane's agent: the spec in round 1, `followup` in a fix round.
    async fn agent(&mut self, followup: Option<&FixRound>) -> Result<(), Stop> {
        let shared = self.shared.clone();
        let _slot = tokio::select! {
            slot = shared.agent_slots.acquire() => slot.map_err(|_| Stop::Cancelled)?,
            _ = self.cancel.raised(CancelLevel::Graceful) => return Err(Stop::Cancelled),
        };
        self.state(LaneState::Running);
        let (invocation, resumed) = self.invocation(followup)?;
        if let Some(f) = followup {
            let lane = self.lane();
            let event = RaceEvent::FixRound {
                lane: lane.name.clone(),
                round: self.round,
                findings_sent: f.findings_sent,
                failing_checks: f.failing_checks.clone(),
                resumed_session: resumed,
                cumulative_cost: agent::resumed_cost_is_cumulative(lane.spec.adapter),
            };
            self.emit(event);
        }
        for (path, text) in &invocation.files {
            if let Some(parent) = path.parent() {
                let _ = std::fs::create_dir_all(parent);
            }
            std::fs::write(path, text)
                .map_err(|e| Stop::Failed(format!("cannot write {}: {e}", path.display())))?;
        }
        let run = self.run_agent(self.agent_command(&invocation)).await?;
        let cancelled = run.cancelled();
        let outcome = run.outcome();
        self.emit(RaceEvent::AgentFinished {
            lane: self.lane().name.clone(),
            outcome,
        });
        if cancelled {
            return Err(Stop::Cancelled);
        }
        Ok(())
    }

    /// The agent's process for this round, and the session it resumes (a fix round of a
    /// CLI that can continue its own session).
    fn invocation(&self, followup: Option<&FixRound>) -> Result<(Invocation, Option<String>), Stop> {
        let lane = self.lane();
        let plan = &self.shared.plan;
        // The same home in every round: a resumed CLI finds its session there.
        let home = self.lane_dir.join("agent-home");
        let round_dir = self.round_path("");
        for dir in [&home, &round_dir] {
            std::fs::create_dir_all(dir)
                .map_err(|e| Stop::Failed(format!("cannot create {}: {e}", dir.display())))?;
        }
        let base_env = self.lane_env(&lane.spec);
        let spec_file = plan.dir.spec_file();
        let ctx = InvocationContext {
            spec_text: &plan.record.spec,
            spec_file: &spec_file,
            worktree: &lane.worktree,
            lane_dir: &home,
            max_cost_usd: plan.record.max_cost_usd,
            base_env: &base_env,
            is_root: plan.is_root,
            bakeoff_exe: None,
            repo_top: Some(&plan.repo_top),
            config_file: plan.config_file.as_deref(),
        };
        let made = match followup {
            None => agent::invocation(&lane.spec, &ctx).map(|i| (i, None)),
            Some(f) => agent::invocation_followup(
                &lane.spec,
                &ctx,
                self.seen.session_id.as_deref(),
                &f.prompt,
                &self.round_path("prompt.md"),
            )
            .map(|f| (f.invocation, f.resumed)),
        };
        made.map_err(|e| Stop::Failed(e.to_string()))
    }

    fn agent_command(&self, invocation: &Invocation) -> Command {
        Command {
            program: invocation.program.clone().into(),
            args: invocation.args.iter().map(OsString::from).collect(),
            cwd: self.lane().worktree.clone(),
            env: to_os(invocation.env.clone()),
            stdout: self.round_path("agent.stdout.log"),
            stderr: self.round_path("agent.stderr.log"),
            deadline: Some(self.timeout()),
            grace: self.shared.plan.grace,
        }
    }

    /// Runs the agent's process, parsing its output live into progress events and
    /// stopping it at the lane's cost cap.
    async fn run_agent(&self, cmd: Command) -> Result<AgentRun, Stop> {
        let lane = self.lane();
        let mut parser = agent::parser_for(&lane.spec);
        let tx = self.tx.clone();
        // The agent answers to the race's cancellation and to its own cost cap.
        let (lane_cancel, lane_token) = cancel_pair();
        let lane_cancel = Arc::new(lane_cancel);
        let forward = tokio::spawn(forward_cancel(self.cancel.clone(), lane_cancel.clone()));
        let max_cost = self.shared.plan.record.max_cost_usd;
        let mut over_budget: Option<f64> = None;
        let on_line = |stream: Stream, line: &str| {
            let stream = match stream {
                Stream::Stdout => OutputStream::Stdout,
                Stream::Stderr => OutputStream::Stderr,
            };
            let Some(progress) = parser.line(stream, line) else {
                return;
            };
            let spent = live_cost(&lane.spec.model, &progress.usage);
            if let (Some(max), Some(spent), None) = (max_cost, spent, over_budget) {
                if spent > max {
                    over_budget = Some(spent);
                    lane_cancel.cancel(CancelLevel::Graceful);
                }
            }
            let _ = tx.send(LaneMsg::Event(RaceEvent::LaneProgress {
                lane: lane.name.clone(),
                usage: progress.usage,
                last_action: progress.last_action,
            }));
        };
        // The agent's pid is its process group id: journaled so `resume` can kill what a
        // crash left of it.
        let (started_tx, started_lane) = (self.tx.clone(), lane.name.clone());
        let on_start = move |pid| {
            let _ = started_tx.send(LaneMsg::Event(RaceEvent::AgentStarted {
                lane: started_lane,
                pid,
            }));
        };
        let finished = process::run_agent(cmd, on_start, on_line, lane_token).await;
        forward.abort();
        let finished = finished.map_err(|e| Stop::Failed(format!("agent {}: {e}", lane.agent)))?;
        // Stopped at its cost cap rather than by the race: its work is still captured and
        // checked, and the stop is said.
        let budget_stop = over_budget
            .filter(|_| self.cancel.level() == CancelLevel::None)
            .zip(max_cost);
        Ok(AgentRun {
            finished,
            parsed: parser.finish(),
            budget_stop,
        })
    }

    /// Commits the worktree's work; returns its diff stats and the patch (also saved as
    /// the lane's `diff.patch`).
    async fn capture(&mut self) -> Result<(DiffStats, String), Stop> {
        let lane = self.lane().clone();
        let plan = &self.shared.plan;
        let base = plan.record.base.clone();
        let repo_top = plan.repo_top.clone();
        let message = format!(
            "bakeoff: lane {} of race {}\n\nAgent: {}\nBakeoff-Race: {}\nBakeoff-Lane: {}\n",
            lane.name, plan.record.id, lane.agent, plan.record.id, lane.name
        );
        let patch_file = self.lane_dir.join("diff.patch");
        let (commit, stats, patch) = blocking(move || {
            let commit = git::capture(&lane.worktree, &lane.branch, &base, &message)?;
            let stats = git::diff_stats(&repo_top, &base, &commit)?;
            let patch = git::diff_patch(&repo_top, &base, &commit)?;
            Ok::<_, git::GitError>((commit, stats, patch))
        })
        .await?
        .map_err(|e| Stop::Failed(format!("capture: {e}")))
        .and_then(|(commit, stats, patch)| {
            std::fs::write(&patch_file, &patch)
                .map_err(|e| Stop::Failed(format!("cannot write {}: {e}", patch_file.display())))?;
            Ok((commit, stats, patch))
        })?;
        self.emit(RaceEvent::Captured {
            lane: self.lane().name.clone(),
            capture: CaptureSummary {
                commit,
                files_changed: stats.files.len(),
                insertions: stats.insertions,
                deletions: stats.deletions,
                files: stats.files.clone(),
            },
        });
        Ok((stats, patch))
    }

    async fn checks(&mut self, stats: &DiffStats, patch: &str) -> Result<(), Stop> {
        // A fix round is judged afresh: only its own checks count (the fold starts them
        // over at each capture).
        let checks = self.shared.plan.record.checks.clone();
        for (i, check) in checks.iter().enumerate().filter(|(_, c)| !c.holdout) {
            self.check(i, check).await?;
        }
        let mut holdout_paths = Vec::new();
        if let Some(dir) = self.shared.plan.record.holdout.clone() {
            let worktree = self.lane().worktree.clone();
            holdout_paths = blocking(move || holdout::lay_in(&dir, &worktree))
                .await?
                .map_err(Stop::Failed)?;
            for (i, check) in checks.iter().enumerate().filter(|(_, c)| c.holdout) {
                self.check(i, check).await?;
            }
        }
        let deltas = delta::file_deltas(stats, patch);
        let found = rank::detect_tampering(&deltas, &holdout_paths);
        self.emit(RaceEvent::Tampering {
            lane: self.lane().name.clone(),
            found,
        });
        Ok(())
    }

    async fn check(&mut self, index: usize, check: &CheckSpec) -> Result<CheckOutcome, Stop> {
        let shared = self.shared.clone();
        let _slot = tokio::select! {
            slot = shared.check_slots.acquire() => slot.map_err(|_| Stop::Cancelled)?,
            _ = self.cancel.raised(CancelLevel::Graceful) => return Err(Stop::Cancelled),
        };
        let lane = self.lane().name.clone();
        self.emit(RaceEvent::CheckStarted {
            lane: lane.clone(),
            name: check.name.clone(),
            holdout: check.holdout,
        });
        let log = self
            .round_path("checks")
            .join(format!("{:02}-{}.log", index + 1, file_slug(&check.name)));
        if let Some(parent) = log.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let mut cmd = self.shell_command(&check.run, &log);
        if let Some(t) = check.timeout {
            cmd.deadline = Some(t);
        }
        let finished = process::run(cmd, |_, _| {}, self.cancel.clone())
            .await
            .map_err(|e| Stop::Failed(format!("check '{}': {e}", check.name)))?;
        if finished.cancelled {
            return Err(Stop::Cancelled);
        }
        let outcome = CheckOutcome {
            name: check.name.clone(),
            command: check.run.clone(),
            holdout: check.holdout,
            passed: finished.exit.success() && !finished.timed_out,
            exit: Some(finished.exit),
            timed_out: finished.timed_out,
            elapsed_ms: finished.elapsed.as_millis() as u64,
            log: log.display().to_string(),
        };
        self.emit(RaceEvent::CheckFinished {
            lane,
            check: outcome.clone(),
        });
        Ok(outcome)
    }
}

/// An agent run that ended: how its process ended, what its output said, and whether
/// its own cost cap stopped it (spent, cap).
struct AgentRun {
    finished: process::Finished,
    parsed: ParsedOutcome,
    budget_stop: Option<(f64, f64)>,
}

impl AgentRun {
    /// Stopped by the race, not by its own cost cap.
    fn cancelled(&self) -> bool {
        self.finished.cancelled && self.budget_stop.is_none()
    }

    fn outcome(self) -> AgentOutcome {
        let cancelled = self.cancelled();
        let mut parsed = self.parsed;
        if let Some((spent, max)) = self.budget_stop {
            parsed
                .error
                .get_or_insert(format!("stopped at the cost cap: ${spent:.2} spent of ${max:.2}"));
        }
        AgentOutcome {
            exit: Some(self.finished.exit),
            timed_out: self.finished.timed_out,
            cancelled,
            elapsed_ms: self.finished.elapsed.as_millis() as u64,
            usage: parsed.usage,
            session_id: parsed.session_id,
            final_message: parsed.final_message,
            error: parsed.error,
        }
    }
}

/// Runs blocking git work off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, Stop> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Stop::Failed(format!("internal error: {e}")))
}

fn to_os(env: Vec<(String, String)>) -> Vec<(OsString, OsString)> {
    env.into_iter().map(|(k, v)| (k.into(), v.into())).collect()
}

fn file_slug(name: &str) -> String {
    let slug: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(40)
        .collect();
    slug.trim_matches('-').to_string()
}

/// "candidate A", "candidate B", … "candidate AA": a name that says nothing of the agent.
fn anonymous_label(index: usize) -> String {
    let mut n = index;
    let mut letters = Vec::new();
    loop {
        letters.push((b'A' + (n % 26) as u8) as char);
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    format!("candidate {}", letters.iter().rev().collect::<String>())
}

/// Passes the race's cancellation on to one lane's own canceller, level by level.
async fn forward_cancel(mut race: CancelToken, lane: Arc<Canceller>) {
    race.raised(CancelLevel::Graceful).await;
    lane.cancel(race.level());
    race.raised(CancelLevel::Immediate).await;
    lane.cancel(CancelLevel::Immediate);
}

/// What an agent has spent so far: the cost it reports, else its reported tokens at the
/// model's price (most CLIs report tokens live and cost only at the end, if at all).
/// `None` when neither is known: a cap cannot be enforced on nothing.
pub(super) fn live_cost(model: &str, usage: &crate::vocab::Usage) -> Option<f64> {
    usage.cost_usd.or_else(|| {
        let tokens = crate::provider::TokenUsage {
            input: usage.input_tokens?,
            output: usage.output_tokens.unwrap_or(0),
            cache_read: 0,
            cache_write: 0,
        };
        crate::price::cost(model, &tokens, &Default::default())
    })
}
