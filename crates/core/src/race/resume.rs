//! `resume`: takes up a race whose bakeoff died (SIGKILL, OOM, a lost machine) from its
//! records. First whatever the crash left running is killed (the agents' groups, then
//! every process carrying the race's marker from the crashed run: checks, setup and
//! `setsid`'d grandchildren); then the plan is rebuilt from `race.json` (re-checking only
//! what may have changed since: the repository, the base, the agents' CLIs and the
//! reviewers' keys); lanes that had ended keep their
//! results, read back from the journal; the others run again from the start (in a race
//! stopped with Ctrl-C, so do the lanes the interrupt cancelled); then the
//! race is ranked, judged and merged as it asked, all appended to the same journal.

use crate::sandbox::SandboxMode;
use std::collections::BTreeMap;
use std::path::Path;

use tokio::sync::mpsc;

use crate::agent::{self, AdapterKind};
use crate::config::{self, Config};
use crate::error::Error;
use crate::git::{self, Repo};
use crate::journal::{RaceDir, RaceLock, RaceRecord, RaceSummary, Seal, SharedSeal};
use crate::process;
use crate::review::{clock_seed, ReviewPlan};
use crate::vocab::Reporter;
use crate::vocab::{LaneState, RaceEvent, Stamped};

use super::coordinator::{self, RaceOutcome};
use super::lane;
use super::plan::{self, RacePlan};

/// A race read back from its records, ready to go on.
pub struct Resumable {
    pub plan: RacePlan,
    /// Held until the resumed race ends.
    pub(super) lock: RaceLock,
    /// Process groups of agents the crash left running, now killed.
    pub killed: Vec<u32>,
    /// Processes of the race from an earlier run (agents, checks, setup and everything
    /// they started, in any process group), found by their environment and now killed.
    pub marked: Vec<u32>,
    /// Lanes (by index) that had ended and keep their results.
    pub(super) kept: Vec<bool>,
    pub(super) events: Vec<Stamped>,
}

/// What `prepare` found.
pub enum Prepared {
    /// The race had finished: nothing to do.
    Finished {
        id: String,
    },
    Ready(Box<Resumable>),
}

/// Kills what the crash left running, then rebuilds the race's plan from its records.
/// Lanes that had ended keep their results (the coordinator folds them from the
/// journal); a lane whose agent had finished and whose work was captured (in its first
/// round) starts again from that work, so the agent is not paid for twice; any other lane
/// runs again from the start. Creates nothing; a race that had finished is left as it is.
pub fn prepare(dir: RaceDir, config_file: Option<&Path>) -> Result<Prepared, Error> {
    let record = dir.record()?;
    // First of all: a race whose bakeoff is alive is not resumed, nor its agents killed.
    let lock = dir.lock()?;
    let events = dir.events_list()?;
    // Then, before anything else: a grandchild of a killed agent may still be editing a
    // worktree that is about to be removed, or spending money.
    let killed = kill_orphans(&events);
    let marked = kill_earlier_runs(&record.id, &dir);
    let summary = RaceSummary::from_events(&events);
    // A race stopped with Ctrl-C finished too, but with lanes cut off: those run again.
    if summary.finished && !summary.interrupted {
        return Ok(Prepared::Finished { id: record.id });
    }
    let cut_off =
        |s: &crate::journal::LaneSummary| summary.interrupted && s.state == Some(LaneState::Cancelled);
    let mut record = record;
    if !summary.merges.is_empty() {
        // The crash came after the merge: ranking again is harmless, merging twice is not.
        record.merge = None;
    }
    // A merge a crash interrupted is finished first: the user's branch and work tree end
    // in the new state, never between.
    let mut finished_merge = None;
    if let (Some(mode), true) = (record.merge, summary.merges.is_empty()) {
        if let Some(commit) = git::finish_interrupted(&record.repo, &dir.merge_intent())? {
            finished_merge = Some((mode, commit));
            record.merge = None;
        }
    }
    super::resources::ensure_open_files(record.lanes.len())?;
    let mut plan = replan(dir, record, config_file)?;
    plan.finished_merge = finished_merge;
    let mut kept = Vec::new();
    for (i, lane) in plan.record.lanes.iter().enumerate() {
        let s = summary.lanes.get(&lane.name);
        kept.push(s.is_some_and(|s| s.ended() && !cut_off(s)));
        let Some(s) = s.filter(|s| (!s.ended() || cut_off(s)) && s.earlier_rounds.is_empty()) else {
            continue;
        };
        // An agent the interrupt stopped did not finish its work: it runs again.
        let finished_agent = s.agent_outcome.as_ref().filter(|a| !a.cancelled);
        if let (Some(agent), Some(capture)) = (finished_agent, &s.capture) {
            plan.resume_from.insert(
                i,
                plan::ResumeFrom {
                    commit: capture.commit.clone(),
                    agent: agent.clone(),
                },
            );
        }
    }
    Ok(Prepared::Ready(Box::new(Resumable {
        plan,
        lock,
        killed,
        marked,
        kept,
        events,
    })))
}

impl Resumable {
    /// Lanes that keep their result, and lanes that run again.
    pub fn lanes(&self) -> (Vec<String>, Vec<String>) {
        let names = |keep: bool| {
            self.plan
                .record
                .lanes
                .iter()
                .zip(&self.kept)
                .filter(|(_, k)| **k == keep)
                .map(|(l, _)| l.name.clone())
                .collect()
        };
        (names(true), names(false))
    }
}

/// Runs the rest of the race: removes the stale worktree and branch of every lane that
/// runs again, then runs those lanes, ranks, judges and merges.
pub async fn resume(
    r: Resumable,
    reporters: Vec<Box<dyn Reporter>>,
    interrupts: mpsc::UnboundedReceiver<()>,
) -> Result<RaceOutcome, Error> {
    let (kept, rerun) = r.lanes();
    for lane in r.plan.record.lanes.iter().filter(|l| rerun.contains(&l.name)) {
        git::remove_worktree(
            &r.plan.repo_top,
            &lane.worktree_name,
            &lane.worktree,
            Some(&lane.branch),
        )
        .map_err(|e| Error::input(format!("cannot remove lane {}'s stale worktree: {e}", lane.name)))?;
    }
    let start = RaceEvent::RaceResumed {
        race: r.plan.record.id.clone(),
        kept,
        rerun,
        killed: r.killed.clone(),
    };
    let _lock = r.lock;
    // What the crashed run wrote into the race's folder cannot be told from what its
    // agents did: the folder is sealed as it is now, and checked from here on.
    let lanes = r.plan.record.lanes.iter().map(|l| l.name.as_str());
    let seal = SharedSeal::new(Seal::found(&r.plan.dir, lanes)?);
    coordinator::resume(r.plan, reporters, interrupts, start, &r.events, seal).await
}

/// SIGKILLs the process group of every agent that started and never finished, if the
/// group still has members. The agent led its own group, so its pid is the group id.
fn kill_orphans(events: &[Stamped]) -> Vec<u32> {
    let mut running: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for e in events {
        match &e.event {
            RaceEvent::AgentStarted { lane, pid } => running.entry(lane).or_default().push(*pid),
            RaceEvent::AgentFinished { lane, .. } => {
                running.remove(lane.as_str());
            }
            _ => {}
        }
    }
    let mut killed = Vec::new();
    for pgid in running.into_values().flatten() {
        let Ok(group) = libc::pid_t::try_from(pgid) else {
            continue;
        };
        if group <= 1 {
            continue;
        }
        // SAFETY: kill(2) has no memory-safety preconditions; a negative pid addresses
        // the group, and signal 0 only asks whether it has members we may signal.
        let alive = unsafe { libc::kill(-group, 0) } == 0;
        // SAFETY: as above.
        if alive && unsafe { libc::kill(-group, libc::SIGKILL) } == 0 {
            killed.push(pgid);
        }
    }
    killed
}

/// SIGKILLs every process carrying this race's marker (its id and its folder) from a run
/// other than this one: a check or setup command, or a `setsid` grandchild of the agent,
/// that the crashed run's group kills could not reach.
fn kill_earlier_runs(id: &str, dir: &RaceDir) -> Vec<u32> {
    process::Marker::default()
        .with("BAKEOFF_RACE", id)
        .with(lane::RACE_DIR_VAR, &lane::race_dir_marker(&dir.path))
        .without(process::RUN_VAR, process::run_token())
        .kill()
}

/// The race's plan from `race.json`, with what can have changed since it started checked
/// again like preflight does (exit 2, or 3 for a missing key).
pub(super) fn replan(
    dir: RaceDir,
    mut record: RaceRecord,
    config_file: Option<&Path>,
) -> Result<RacePlan, Error> {
    let repo = Repo::discover(&record.repo)?;
    let repo_top = repo.workdir().to_path_buf();
    let config = config::load(Some(&repo_top), config_file)?;
    let user_state = git::UserState::read(&repo_top)?;
    repo.resolve_commit(&record.base)?;
    let path_env = std::env::var("PATH").ok();
    for lane in &mut record.lanes {
        restore_env(&config, &lane.name, &lane.agent, &mut lane.spec)?;
        agent::locate_program(&lane.spec, path_env.as_deref())?;
        if lane.spec.adapter == AdapterKind::Builtin {
            plan::builtin_agent(&config, &lane.name, &mut lane.spec)?;
        }
    }
    if let Some(mode) = record.merge {
        plan::check_merge_target(&repo, mode, record.target_branch.as_deref())?;
    }
    let review = review_plan(&config, &record)?;
    let check_jobs = config
        .check_jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2));
    // A race resumes as confined as it started: sandboxed lanes need the sandbox again.
    let (mode, network) = match record.sandbox.active {
        true => (SandboxMode::On, Some(record.sandbox.network)),
        false => (SandboxMode::Off, None),
    };
    let worktrees = record
        .worktree_root
        .parent()
        .unwrap_or(&record.worktree_root)
        .to_path_buf();
    let sandbox = plan::sandbox_for(&config, Some(mode), network, &repo, &worktrees)?;
    // `--jobs` and `--check-jobs` are not recorded: the config's apply.
    let mut plan = RacePlan::new(
        record,
        dir,
        repo_top,
        &config,
        config_file,
        (config.jobs.unwrap_or(usize::MAX), check_jobs),
        review,
        user_state,
    );
    plan.sandbox = sandbox.confine(&config, &plan.record.lanes);
    Ok(plan)
}

/// `race.json` keeps an agent's extra environment by name only; the values come back from
/// the config table the lane's agent was defined by.
fn restore_env(config: &Config, lane: &str, agent: &str, spec: &mut agent::AgentSpec) -> Result<(), Error> {
    let redacted: Vec<String> = spec
        .env
        .iter()
        .filter(|(_, v)| v.as_str() == "<redacted>")
        .map(|(k, _)| k.clone())
        .collect();
    if redacted.is_empty() {
        return Ok(());
    }
    let table = config.agents.get(agent);
    for key in redacted {
        match table.and_then(|t| t.env.get(&key)) {
            Some(value) => {
                spec.env.insert(key, value.clone());
            }
            None => {
                return Err(Error::input_with_hint(
                    format!(
                    "lane {lane}: the value of {key} is not recorded and [agents.{agent}] no longer sets it"
                ),
                    format!("set env.{key} in [agents.{agent}] again, then resume"),
                ))
            }
        }
    }
    Ok(())
}

/// The reviewers and judge the race had, with their keys resolved now; `None` for a race
/// run with `--no-review` (no lane has a reviewer).
pub(super) fn review_plan(
    config: &Config,
    record: &RaceRecord,
) -> Result<Option<std::sync::Arc<ReviewPlan>>, Error> {
    let mut names: Vec<String> = Vec::new();
    for name in record.lanes.iter().flat_map(|l| &l.reviewers) {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    if names.is_empty() {
        return Ok(None);
    }
    let plan = ReviewPlan::build(config, &names, record.judge.as_deref(), clock_seed())?;
    Ok(Some(std::sync::Arc::new(plan)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::{AgentOutcome, Usage, EVENT_FORMAT};

    fn stamped(at_ms: u64, event: RaceEvent) -> Stamped {
        Stamped {
            v: EVENT_FORMAT,
            at_ms,
            event,
        }
    }

    #[test]
    fn only_agents_that_never_finished_are_killed() {
        // A group that is alive: a child of this test in its own process group.
        let mut child = std::process::Command::new("sleep");
        std::os::unix::process::CommandExt::process_group(&mut child, 0);
        let mut child = child.arg("30").spawn().unwrap();
        let pid = child.id();
        let finished = AgentOutcome {
            exit: None,
            timed_out: false,
            cancelled: false,
            elapsed_ms: 0,
            usage: Usage::default(),
            session_id: None,
            final_message: None,
            error: None,
        };
        let events = vec![
            stamped(
                1,
                RaceEvent::AgentStarted {
                    lane: "done".into(),
                    pid,
                },
            ),
            stamped(
                2,
                RaceEvent::AgentFinished {
                    lane: "done".into(),
                    outcome: finished,
                },
            ),
        ];
        assert!(kill_orphans(&events).is_empty());
        assert!(
            child.try_wait().unwrap().is_none(),
            "a finished lane's pid is left alone"
        );

        let events = vec![stamped(
            1,
            RaceEvent::AgentStarted {
                lane: "mid".into(),
                pid,
            },
        )];
        assert_eq!(kill_orphans(&events), vec![pid]);
        let status = child.wait().unwrap();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(libc::SIGKILL)
        );
        // Gone now: nothing is signalled twice.
        assert!(kill_orphans(&events).is_empty());
    }
}
