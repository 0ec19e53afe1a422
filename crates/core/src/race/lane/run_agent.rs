//! A lane's agent run: its invocation for the round (the spec, or a fix round's
//! follow-up that resumes the CLI's session where it can), the process with its output
//! parsed live into progress, the lane's cost cap, and the outcome it reports.

use super::progress::{LiveProgress, ProgressOut, StallLimits};
use super::*;
use crate::agent::Progress;
use crate::vocab::Usage;

fn env_value<'a>(env: &'a [(String, String)], name: &str) -> Option<&'a str> {
    env.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

impl Worker {
    /// Runs the lane's agent: the spec in round 1, `followup` in a fix round.
    pub(super) async fn agent(&mut self, followup: Option<&FixRound>) -> Result<(), Stop> {
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
            self.shared
                .seal
                .write(path, text.as_bytes())
                .map_err(|e| Stop::Failed(format!("cannot write {}: {e}", path.display())))?;
        }
        let sign_in = self.sign_in(&invocation);
        self.start_proxy()?;
        let cmd = self
            .confine(
                self.in_lane(self.agent_command(&invocation)),
                Child::Agent { sign_in },
                &[],
            )
            .await?;
        let run = self.run_agent(cmd).await;
        // The agent and everything it started are gone: its writes are all in the upper
        // folder, to be moved onto the lane's own worktree before anything reads it.
        self.settle().await?;
        let run = run?;
        let cancelled = run.cancelled();
        let outcome = run.outcome();
        self.emit(RaceEvent::AgentFinished {
            lane: self.lane().name.clone(),
            outcome,
        });
        self.check_boundary().await?;
        if cancelled {
            return Err(Stop::Cancelled);
        }
        Ok(())
    }

    /// After the agent stops: is the user's checkout as the race found it, and the race's
    /// folder as bakeoff wrote it? If not, the lane is marked (never merged) and a
    /// switched HEAD is put back. The folder is the race's, not the lane's: a lane whose
    /// agent ends while it is broken is marked too, as it cannot be told apart.
    async fn check_boundary(&mut self) -> Result<(), Stop> {
        let shared = self.shared.clone();
        let found = blocking(move || {
            let _one_at_a_time = shared.guard.lock().unwrap_or_else(|p| p.into_inner());
            let before = &shared.plan.user_state;
            let now = git::UserState::read(&shared.plan.repo_top)?;
            let mut changes = before.changes(&now);
            let restored = !changes.is_empty() && before.restore_head(&now)?;
            changes.extend(shared.seal.verify(&shared.plan.dir.path));
            Ok::<_, git::GitError>((changes, restored))
        })
        .await?
        .map_err(|e| Stop::Failed(format!("cannot read the user's checkout: {e}")))?;
        let (changes, restored) = found;
        if !changes.is_empty() {
            let lane = self.lane().name.clone();
            self.emit(RaceEvent::Breached {
                lane,
                changes,
                restored,
            });
        }
        Ok(())
    }

    /// The agent's process for this round, and the session it resumes (a fix round of a
    /// CLI that can continue its own session).
    fn invocation(&self, followup: Option<&FixRound>) -> Result<(Invocation, Option<String>), Stop> {
        let lane = self.lane();
        let plan = &self.shared.plan;
        // The same home in every round: a resumed CLI finds its session there.
        let home = plan.dir.agent_home(&lane.name);
        let round_dir = self.round_path("");
        // The agent's own temp folder, in its home. Besides keeping lanes' temp files
        // apart, Codex refuses to set up its sandbox helper when its home is under the
        // temp folder (docs/agent-clis.md), which a repository under /tmp would make it.
        let tmp = home.join("tmp");
        for dir in [&home, &round_dir, &tmp] {
            std::fs::create_dir_all(dir)
                .map_err(|e| Stop::Failed(format!("cannot create {}: {e}", dir.display())))?;
        }
        let mut base_env = self.lane_env(&lane.spec);
        base_env.retain(|(k, _)| !matches!(k.as_str(), "TMPDIR" | "TMP" | "TEMP"));
        base_env.push(("TMPDIR".into(), tmp.to_string_lossy().into_owned()));
        // A synthesis lane's task is the one its coordinator wrote when it started
        // (`synthesis::task`), where the sandbox lets the agent read a lane's prompt.
        let (spec_text, spec_file) = match lane.synthesis {
            Some(_) => {
                let file = self.lane_dir.join(super::super::synthesis::TASK_FILE);
                let text = std::fs::read_to_string(&file)
                    .map_err(|e| Stop::Failed(format!("cannot read {}: {e}", file.display())))?;
                (text, file)
            }
            None => (plan.record.spec.clone(), plan.dir.spec_file()),
        };
        let ctx = InvocationContext {
            spec_text: &spec_text,
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
        let (mut inv, resumed) = made.map_err(|e| Stop::Failed(e.to_string()))?;
        // Sandboxed, the agent's HOME is its own: the user's is hidden.
        if plan.sandbox.is_some() && env_value(&inv.env, "HOME") == env_value(&base_env, "HOME") {
            inv.env.retain(|(k, _)| k != "HOME");
            inv.env.push(("HOME".into(), home.to_string_lossy().into_owned()));
        }
        Ok((inv, resumed))
    }

    /// A sandboxed agent with no key of its own signs in as the user's CLI does: the
    /// adapter's sign-in files, read-only, at the same place under the agent's HOME.
    fn sign_in(&self, inv: &Invocation) -> Vec<(PathBuf, PathBuf)> {
        let Some(c) = self.shared.plan.sandbox.as_deref() else {
            return Vec::new();
        };
        let spec = &self.lane().spec;
        let adapter = spec.adapter.adapter();
        let has_key = adapter
            .secrets(spec)
            .iter()
            .any(|k| env_value(&inv.env, k).is_some());
        let (Some(user_home), Some(lane_home)) = (&c.user_home, env_value(&inv.env, "HOME")) else {
            return Vec::new();
        };
        if has_key {
            return Vec::new();
        }
        adapter
            .sign_in_files()
            .iter()
            .map(|rel| (user_home.join(rel), Path::new(lane_home).join(rel)))
            .filter(|(host, _)| host.is_file())
            .collect()
    }

    fn agent_command(&self, invocation: &Invocation) -> Command {
        let (stdout, stderr) = (
            self.round_path("agent.stdout.log"),
            self.round_path("agent.stderr.log"),
        );
        for log in [&stdout, &stderr] {
            self.shared.seal.open_log(log);
        }
        Command {
            program: invocation.program.clone().into(),
            args: invocation.args.iter().map(OsString::from).collect(),
            cwd: self.lane().worktree.clone(),
            env: to_os(invocation.env.clone()),
            stdout,
            stderr,
            deadline: Some(self.timeout()),
            grace: self.shared.plan.grace,
            log_cap: Some(self.shared.plan.log_bytes),
            overlay: None,
        }
    }

    /// Runs the agent's process, parsing its output live into progress events and
    /// stopping it at the lane's cost cap.
    async fn run_agent(&self, cmd: Command) -> Result<AgentRun, Stop> {
        let lane = self.lane();
        // The agent answers to the race's cancellation and to its own cost cap.
        let (lane_cancel, lane_token) = cancel_pair();
        let lane_cancel = Arc::new(lane_cancel);
        let forward = tokio::spawn(forward_cancel(self.cancel.clone(), lane_cancel.clone()));
        let max_cost = self.shared.plan.record.max_cost_usd;
        let model = lane.spec.model.clone();
        let cost = move |usage: &Usage| live_cost(&model, usage);
        let out = LaneProgressOut {
            tx: self.tx.clone(),
            lane: lane.name.clone(),
            cancel: lane_cancel.clone(),
        };
        let stop_after = self
            .shared
            .plan
            .record
            .stall_timeout_ms
            .map(Duration::from_millis);
        let stall = StallLimits::new(stop_after);
        let mut live = LiveProgress::new(agent::parser_for(&lane.spec), &cost, max_cost, stall, out);
        // The agent's pid is its process group id: journaled so `resume` can kill what a
        // crash left of it.
        let (started_tx, started_lane) = (self.tx.clone(), lane.name.clone());
        let on_start = move |pid| {
            let _ = started_tx.send(LaneMsg::Event(RaceEvent::AgentStarted {
                lane: started_lane,
                pid,
            }));
        };
        let finished = process::run_agent(cmd, on_start, &mut live, lane_token).await;
        forward.abort();
        let live = live.finish();
        let finished = finished.map_err(|e| Stop::Failed(format!("agent {}: {e}", lane.agent)))?;
        // Stopped at its cost cap or for making no progress rather than by the race: its
        // work is still captured and checked, and the stop is said.
        let own_stop = self.cancel.level() == CancelLevel::None;
        let budget_stop = live.over_budget.filter(|_| own_stop).zip(max_cost);
        let stall_stop = live.stalled.filter(|_| own_stop && budget_stop.is_none());
        Ok(AgentRun {
            finished,
            parsed: live.parsed,
            budget_stop,
            stall_stop,
        })
    }
}

/// A lane's coalesced progress goes to the coordinator as `lane-progress`; going over the
/// cost cap stops the agent gracefully.
struct LaneProgressOut {
    tx: mpsc::UnboundedSender<LaneMsg>,
    lane: String,
    cancel: Arc<Canceller>,
}

impl ProgressOut for LaneProgressOut {
    fn progress(&mut self, progress: Progress) {
        let _ = self.tx.send(LaneMsg::Event(RaceEvent::LaneProgress {
            lane: self.lane.clone(),
            usage: progress.usage,
            last_action: progress.last_action,
        }));
    }

    fn over_budget(&mut self, _spent: f64) {
        self.cancel.cancel(CancelLevel::Graceful);
    }

    fn stalled(&mut self, idle: Duration, error: Option<String>) {
        let _ = self.tx.send(LaneMsg::Event(RaceEvent::LaneStalled {
            lane: self.lane.clone(),
            idle_ms: idle.as_millis() as u64,
            error,
        }));
    }

    fn no_progress(&mut self, _idle: Duration) {
        self.cancel.cancel(CancelLevel::Graceful);
    }
}

/// An agent run that ended: how its process ended, what its output said, and whether
/// its own cost cap stopped it (spent, cap) or its making no progress (for how long).
struct AgentRun {
    finished: process::Finished,
    parsed: ParsedOutcome,
    budget_stop: Option<(f64, f64)>,
    stall_stop: Option<Duration>,
}

impl AgentRun {
    /// Stopped by the race, not by its own cost cap or stall timeout.
    fn cancelled(&self) -> bool {
        self.finished.cancelled && self.budget_stop.is_none() && self.stall_stop.is_none()
    }

    fn outcome(self) -> AgentOutcome {
        let cancelled = self.cancelled();
        let mut parsed = self.parsed;
        if let Some((spent, max)) = self.budget_stop {
            parsed.error.get_or_insert(format!(
                "stopped at the cost cap: {} spent of {}",
                crate::units::usd(spent),
                crate::units::usd(max)
            ));
        }
        if let Some(idle) = self.stall_stop {
            let idle = crate::units::duration_ms(idle.as_millis() as u64);
            let stop = format!("stopped after {idle} without progress");
            parsed.error = Some(match parsed.error.take() {
                Some(last) => format!("{stop}; last error: {last}"),
                None => stop,
            });
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
pub(in crate::race) fn live_cost(model: &str, usage: &crate::vocab::Usage) -> Option<f64> {
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
