//! One lane's worker: worktree, setup, agent, capture, checks, reviews, and fix rounds
//! (agent, capture, checks and reviews again). It reports what happens as events to the
//! coordinator; the only shared state it touches is behind the boundary's two locks (the
//! checkout check's, and the seal of the race's records it writes through).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, Semaphore};

use crate::agent::{self, AdapterKind, AgentSpec, Invocation, InvocationContext, ParsedOutcome};
use crate::config::CheckSpec;
use crate::git::{self, DiffStats, WorktreeSpec};
use crate::grade;
use crate::journal::LaneRecord;
use crate::journal::LaneSummary;
use crate::journal::SharedSeal;
use crate::process::{self, cancel_pair, CancelLevel, CancelToken, Canceller, Command};
use crate::rank;
use crate::review::{self, CheckSummary};
use crate::review::{reviewer, ReviewPlan};
use crate::vocab::{AgentOutcome, CaptureSummary, CheckOutcome, LaneState, RaceEvent};

mod confine;
mod light;
mod progress;
mod round;
mod run_agent;

use confine::Child;
pub(super) use confine::Confinement;

pub(super) use run_agent::live_cost;

use super::plan::RacePlan;
use super::{delta, fix, holdout};

/// The environment variable naming a race's records folder in every lane child.
pub(super) const RACE_DIR_VAR: &str = "BAKEOFF_RACE_DIR";

/// How a race's folder reads in [`RACE_DIR_VAR`]: canonical, so the run and a later
/// `resume` that reached it by another path write it alike.
pub(super) fn race_dir_marker(path: &Path) -> String {
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

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

/// What every lane worker shares: read-only but for the boundary's two locks.
pub(super) struct Shared {
    pub plan: RacePlan,
    pub agent_slots: Semaphore,
    /// The race's own, or a bench's shared by all of its trials (`RacePlan::check_slots`).
    pub check_slots: Arc<Semaphore>,
    /// Worktrees being checked out at once (`RacePlan::setup_jobs`).
    pub setup_slots: Semaphore,
    /// The checks that take no check slot.
    pub light_checks: light::LightChecks,
    /// The race's one checkout of its base, made by the first lane to need it
    /// (`RacePlan::shared_base`), or why it could not be.
    pub base: tokio::sync::OnceCell<Result<Arc<git::SharedBase>, String>>,
    /// One lane at a time compares the user's checkout with the race's snapshot and puts
    /// it back, so two lanes never restore over each other.
    pub guard: std::sync::Mutex<()>,
    /// What bakeoff wrote into the race's folder (the journal, through its reporter, too):
    /// every record a lane writes is sealed as it is written, and checked after each agent.
    pub seal: SharedSeal,
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
    /// The lane's network proxy under `--network provider`, started with its first
    /// sandboxed agent and stopped with the lane.
    proxy: Option<confine::LaneProxy>,
    /// While the lane's worktree is still the shared base's overlay.
    settling: Option<Settling>,
}

/// A lane on the shared base: the overlay its first children see, and the background
/// checkout of its own worktree.
struct Settling {
    overlay: process::Overlay,
    fill: tokio::task::JoinHandle<Result<(), String>>,
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
        proxy: None,
        settling: None,
    };
    let mut ended = worker.stages().await;
    // However the lane ended, its worktree is left a worktree.
    if let Err(e) = worker.settle().await {
        if !matches!(ended, Err(Stop::Failed(_))) {
            ended = Err(e);
        }
    }
    let final_state = match ended {
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
        // Copied paths (`[worktree] copy`) are checked against the lane's own files, so
        // such a lane is checked out on its own.
        if plan.shared_base && plan.copy.is_empty() && spec.base == plan.record.base {
            self.setup_on_shared_base(spec).await?;
            return self.setup_command().await;
        }
        let repo_top = plan.repo_top.clone();
        let copy = plan.copy.clone();
        let worktree = lane.worktree.clone();
        let shared = self.shared.clone();
        let slot = tokio::select! {
            slot = shared.setup_slots.acquire() => slot.map_err(|_| Stop::Cancelled)?,
            _ = self.cancel.raised(CancelLevel::Graceful) => return Err(Stop::Cancelled),
        };
        let made = blocking(move || {
            git::create_worktree(&repo_top, &spec)?;
            if !copy.is_empty() {
                git::copy_into_worktree(&repo_top, &worktree, &copy)?;
            }
            Ok::<_, git::GitError>(())
        })
        .await;
        // The setup command below is the user's to pace: only the checkout is bounded.
        drop(slot);
        made?.map_err(|e| Stop::Failed(format!("worktree: {e}")))?;
        self.setup_command().await
    }

    /// The lane's worktree on the race's shared base: the base checked out once (by
    /// whichever lane comes first, in a setup slot), the lane's entry and overlay laid
    /// out, and its own checkout started in the background, which waits for a setup
    /// slot as any checkout does.
    async fn setup_on_shared_base(&mut self, spec: WorktreeSpec) -> Result<(), Stop> {
        let shared = self.shared.clone();
        let base = shared
            .base
            .get_or_init(|| async {
                let _slot = shared.setup_slots.acquire().await;
                let (repo, root, base) = (
                    shared.plan.repo_top.clone(),
                    shared.plan.record.worktree_root.clone(),
                    shared.plan.record.base.clone(),
                );
                match blocking(move || git::check_out_base(&repo, &root, &base)).await {
                    Ok(Ok(base)) => Ok(Arc::new(base)),
                    Ok(Err(e)) => Err(format!("the shared base checkout: {e}")),
                    Err(_) => Err("the shared base checkout stopped".into()),
                }
            })
            .await
            .clone()
            .map_err(Stop::Failed)?;
        let repo_top = shared.plan.repo_top.clone();
        let overlay = git::lane_overlay(&base, &spec.path);
        let made_spec = spec.clone();
        blocking(move || git::create_shared_worktree(&repo_top, &made_spec, &base))
            .await?
            .map_err(|e| Stop::Failed(format!("worktree: {e}")))?;
        let fill = tokio::spawn(async move {
            let _slot = shared.setup_slots.acquire().await;
            let repo_top = shared.plan.repo_top.clone();
            let commit = shared.plan.record.base.clone();
            tokio::task::spawn_blocking(move || git::fill(&repo_top, &spec.name, &spec.path, &commit))
                .await
                .map_err(|e| format!("internal error: {e}"))?
                .map_err(|e| format!("worktree: {e}"))
        });
        self.settling = Some(Settling { overlay, fill });
        Ok(())
    }

    /// Once no child that saw the shared base's overlay is left: waits for the lane's
    /// own checkout and moves what its children wrote onto it. A no-op for a lane
    /// checked out on its own, or settled already.
    async fn settle(&mut self) -> Result<(), Stop> {
        let Some(settling) = self.settling.take() else {
            return Ok(());
        };
        settling
            .fill
            .await
            .map_err(|e| Stop::Failed(format!("internal error: {e}")))?
            .map_err(Stop::Failed)?;
        let lane = self.lane();
        let (repo_top, name, path) = (
            self.shared.plan.repo_top.clone(),
            lane.worktree_name.clone(),
            lane.worktree.clone(),
        );
        blocking(move || git::settle(&repo_top, &name, &path))
            .await?
            .map_err(|e| Stop::Failed(format!("worktree: {e}")))
    }

    /// A child of the lane, seeing the shared base's overlay while the lane has one.
    fn in_lane(&self, mut cmd: Command) -> Command {
        cmd.overlay = self.settling.as_ref().map(|s| s.overlay.clone());
        cmd
    }

    /// `[worktree] setup`, run in the lane's worktree before its first agent.
    async fn setup_command(&mut self) -> Result<(), Stop> {
        let plan = &self.shared.plan;
        if let Some(setup) = plan.setup.clone() {
            let log = self.lane_dir.join("setup.log");
            let cmd = self
                .confine(self.in_lane(self.shell_command(&setup, &log)), Child::Setup, &[])
                .await?;
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
        // With the race's id, names the race unmistakably (ids repeat across
        // repositories): `resume` finds what a crashed run left by these two.
        env.push((RACE_DIR_VAR.into(), race_dir_marker(&self.shared.plan.dir.path)));
        env.extend(self.shared.plan.lane_vars.iter().cloned());
        env
    }

    /// A user command (setup, check) run by `sh -c`, stdout and stderr in one log, with
    /// no provider secrets at all: it runs code the agent wrote.
    fn shell_command(&self, script: &str, log: &Path) -> Command {
        let no_secrets = AgentSpec::new(AdapterKind::Command, "");
        let env = to_os(self.lane_env(&no_secrets));
        let stderr = log.with_extension("stderr.log");
        for log in [log, &stderr] {
            self.shared.seal.open_log(log);
        }
        let mut cmd = Command::shell(
            &format!("exec 2>&1\n{script}"),
            self.lane().worktree.clone(),
            env,
            log.to_path_buf(),
            stderr,
        );
        cmd.deadline = Some(self.timeout());
        cmd.grace = self.shared.plan.grace;
        cmd.log_cap = Some(self.shared.plan.log_bytes);
        cmd
    }

    fn timeout(&self) -> Duration {
        Duration::from_millis(self.shared.plan.record.timeout_ms)
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
