//! Running a suite: every trial is a one-lane race of bakeoff's own machinery (worktree,
//! sandbox, checks, pristine holdouts and JUnit grading, reviews when asked) in the
//! bench's clone of the task's repository, `jobs` trials at once and `check_jobs` checks
//! at once across all of them. Each finished trial is journaled before the next starts,
//! so `--resume` runs only what did not finish.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::sync::{mpsc, Semaphore};

use super::journal::{BenchDir, BenchRecord, TrialResult, TrialStatus};
use super::repos::{self, Prepared};
use super::suite::{self, Suite, Task};
use super::trial::{self, Shard, TrialKey};
use crate::error::Error;
use crate::journal::RaceSummary;
use crate::race::{self, RaceOptions};
use crate::vocab::{Reporter, Stamped, Tier};

/// What `bakeoff bench` was asked.
#[derive(Clone, Debug, Default)]
pub struct BenchOptions {
    pub suite: PathBuf,
    /// `-a`: the agents to bench instead of the suite's own.
    pub agents: Vec<String>,
    /// `--repeats`: over the suite's.
    pub repeats: Option<u32>,
    /// Trials at once (default: the number of cores).
    pub jobs: Option<usize>,
    /// Checks at once across every running trial (default: the number of cores).
    pub check_jobs: Option<usize>,
    pub shard: Option<Shard>,
    pub out: PathBuf,
    pub resume: bool,
    /// What every trial's race takes from the command line: reviewers, sandbox, network,
    /// cost caps, a timeout over the tasks' own.
    pub race: RaceOptions,
    pub config: Option<PathBuf>,
    /// Where git URLs are mirrored (default `~/.cache/bakeoff/repos`).
    pub cache: Option<PathBuf>,
}

/// What a bench reports while it runs.
#[derive(Debug)]
pub enum BenchEvent<'a> {
    /// Before the first trial: the shard's trials, of which `done` had finished before.
    Planned {
        total: usize,
        done: usize,
        jobs: usize,
    },
    TrialStarted {
        key: &'a TrialKey,
    },
    /// An event of a running trial's race, for a live line per running lane.
    Race {
        key: &'a TrialKey,
        event: &'a Stamped,
    },
    TrialFinished {
        key: &'a TrialKey,
        result: &'a TrialResult,
        progress: &'a Progress,
    },
    /// A trial that could not start or broke off; `--resume` runs it again.
    TrialLost {
        key: &'a TrialKey,
        error: &'a str,
    },
}

/// A sink for [`BenchEvent`]s, shared by every running trial.
pub trait BenchReporter: Send {
    fn event(&mut self, event: BenchEvent<'_>);
}

/// The suite's running totals, for the live line and the end.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    pub total: usize,
    pub done: usize,
    pub resolved: usize,
    /// What the finished trials' agents spent, where they said.
    pub spent_usd: f64,
    /// Seconds until the shard is done at the pace so far; `None` before a trial of this
    /// run has finished.
    pub eta_secs: Option<f64>,
}

/// How a bench ended.
#[derive(Debug)]
pub struct BenchOutcome {
    pub dir: BenchDir,
    pub record: BenchRecord,
    pub results: BTreeMap<TrialKey, TrialResult>,
    pub interrupted: bool,
    /// Trials of the shard that have no result: interrupted, lost or not started.
    pub unfinished: usize,
}

impl BenchOutcome {
    /// The report of the shard's trials, written into the results folder (JSON,
    /// Markdown, HTML, CSV) and returned.
    pub fn write_report(&self) -> Result<super::report::BenchReport, Error> {
        let suite = &self.record.suite;
        let report = super::report::build(
            suite,
            &self.record.fingerprint,
            vec![self.record.shard],
            &self.results,
        );
        super::report::write_all(self.dir.root(), &report, suite, &self.results)?;
        Ok(report)
    }
}

/// The suite with `-a` and `--repeats` applied.
pub fn resolve_suite(opts: &BenchOptions) -> Result<Suite, Error> {
    let mut suite = suite::load(&opts.suite)?;
    if !opts.agents.is_empty() {
        suite.agents = opts.agents.clone();
    }
    if let Some(r) = opts.repeats {
        if r == 0 {
            return Err(Error::input_with_hint(
                "--repeats must be at least 1",
                "give --repeats 1 or more",
            ));
        }
        suite.repeats = r;
    }
    if opts.jobs == Some(0) {
        return Err(Error::input_with_hint(
            "--jobs must be at least 1",
            "give --jobs 1 or more",
        ));
    }
    if suite.agents.is_empty() {
        return Err(Error::input_with_hint(
            format!("{} names no agents", opts.suite.display()),
            "add `agents = [\"claude:claude-sonnet-4-6\"]` to the suite, or give -a AGENT",
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for agent in &suite.agents {
        if agent.contains('*') || agent.contains('=') {
            return Err(Error::input_with_hint(
                format!("agent {agent:?}: a bench runs one lane per trial"),
                "use --repeats for more samples of an agent, and [agents.NAME] tables to name one",
            ));
        }
        if !seen.insert(agent) {
            return Err(Error::input_with_hint(
                format!("agent {agent:?} is named twice"),
                "name each agent once",
            ));
        }
    }
    Ok(suite)
}

/// Runs the shard's trials that have not finished. `interrupts` delivers one message per
/// Ctrl-C: the first stops starting trials and stops the running ones gracefully (they
/// are not journaled, so `--resume` runs them again), the second kills them.
pub async fn run(
    opts: &BenchOptions,
    reporter: Arc<Mutex<dyn BenchReporter>>,
    mut interrupts: mpsc::UnboundedReceiver<()>,
) -> Result<BenchOutcome, Error> {
    let suite = resolve_suite(opts)?;
    let shard = opts.shard.unwrap_or(Shard::ALL);
    let record = BenchRecord::new(suite.clone(), shard)?;
    let dir = BenchDir::new(&opts.out);
    let fresh = !dir.root().exists();
    dir.open(&record, opts.resume)?;
    match start(opts, &suite, &dir, record, &mut interrupts, reporter).await {
        // A bench that could not start leaves no folder it made behind.
        Err(e) if fresh && !dir.trials_path().exists() => {
            let _ = std::fs::remove_dir_all(dir.root());
            Err(e)
        }
        other => other,
    }
}

async fn start(
    opts: &BenchOptions,
    suite: &Suite,
    dir: &BenchDir,
    record: BenchRecord,
    interrupts: &mut mpsc::UnboundedReceiver<()>,
    reporter: Arc<Mutex<dyn BenchReporter>>,
) -> Result<BenchOutcome, Error> {
    let shard = record.shard;
    let mut results: BTreeMap<TrialKey, TrialResult> = dir
        .results()?
        .into_iter()
        .filter(|(_, r)| r.status != TrialStatus::Error)
        .collect();
    let mine = shard.select(trial::all(suite));
    let todo: Vec<TrialKey> = mine
        .iter()
        .filter(|k| !results.contains_key(*k))
        .cloned()
        .collect();
    let tasks: HashMap<&str, &Task> = suite.tasks.iter().map(|t| (t.id.as_str(), t)).collect();

    let cache = match &opts.cache {
        Some(c) => c.clone(),
        None => dirs::cache_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("bakeoff")
            .join("repos"),
    };
    let mut prepared: HashMap<String, Prepared> = HashMap::new();
    for key in &todo {
        if !prepared.contains_key(&key.task) {
            let task = tasks[key.task.as_str()];
            prepared.insert(key.task.clone(), repos::prepare(dir, task, &cache)?);
        }
    }
    // Every task × agent is checked as a race would be before anything is spent, so a
    // typo in an agent or a check fails the bench now, not after an hour of trials.
    let mut checked = std::collections::BTreeSet::new();
    for key in &todo {
        if checked.insert((key.task.clone(), key.agent.clone())) {
            let task = tasks[key.task.as_str()];
            trial_plan(opts, task, &prepared[&key.task], key, None)?;
        }
    }

    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let jobs = opts.jobs.unwrap_or(cores).max(1);
    let check_slots = Arc::new(Semaphore::new(
        opts.check_jobs.unwrap_or(cores).clamp(1, Semaphore::MAX_PERMITS),
    ));
    let mut progress = Progress {
        total: mine.len(),
        done: results.len(),
        resolved: results
            .values()
            .filter(|r| r.status == TrialStatus::Resolved)
            .count(),
        spent_usd: results.values().filter_map(|r| r.cost_usd).sum(),
        eta_secs: None,
    };
    lock(&reporter).event(BenchEvent::Planned {
        total: mine.len(),
        done: progress.done,
        jobs,
    });

    let started = Instant::now();
    let finished_before = progress.done;
    let mut queue = todo.into_iter();
    let mut running = FuturesUnordered::new();
    let mut stops: HashMap<TrialKey, mpsc::UnboundedSender<()>> = HashMap::new();
    let mut interrupted = false;
    loop {
        while !interrupted && running.len() < jobs {
            let Some(key) = queue.next() else { break };
            let task = tasks[key.task.as_str()];
            let plan = match trial_plan(opts, task, &prepared[&key.task], &key, Some(check_slots.clone())) {
                Ok(plan) => plan,
                Err(e) => {
                    lock(&reporter).event(BenchEvent::TrialLost {
                        key: &key,
                        error: &e.to_string(),
                    });
                    continue;
                }
            };
            let (stop, stops_rx) = mpsc::unbounded_channel();
            stops.insert(key.clone(), stop);
            lock(&reporter).event(BenchEvent::TrialStarted { key: &key });
            running.push(run_trial(key, plan, reporter.clone(), stops_rx));
        }
        if running.is_empty() {
            break;
        }
        tokio::select! {
            Some((key, outcome)) = running.next() => {
                stops.remove(&key);
                match outcome {
                    Ok(Some(result)) => {
                        dir.append(&result)?;
                        progress.done += 1;
                        if result.status == TrialStatus::Resolved {
                            progress.resolved += 1;
                        }
                        progress.spent_usd += result.cost_usd.unwrap_or(0.0);
                        let this_run = progress.done - finished_before;
                        let left = progress.total.saturating_sub(progress.done);
                        progress.eta_secs = Some(started.elapsed().as_secs_f64() / this_run as f64 * left as f64);
                        lock(&reporter).event(BenchEvent::TrialFinished { key: &key, result: &result, progress: &progress });
                        if result.status != TrialStatus::Error {
                            results.insert(key, result);
                        }
                    }
                    Ok(None) => {}
                    Err(e) => lock(&reporter).event(BenchEvent::TrialLost { key: &key, error: &e.to_string() }),
                }
            }
            got = interrupts.recv(), if !interrupts.is_closed() => {
                if got.is_some() {
                    interrupted = true;
                    for stop in stops.values() {
                        let _ = stop.send(());
                    }
                }
            }
        }
    }
    let unfinished = mine.iter().filter(|k| !results.contains_key(*k)).count();
    Ok(BenchOutcome {
        dir: dir.clone(),
        record,
        results,
        interrupted,
        unfinished,
    })
}

fn lock<T: ?Sized>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The race of one trial, checked as `bakeoff race` checks its own.
fn trial_plan(
    opts: &BenchOptions,
    task: &Task,
    prepared: &Prepared,
    key: &TrialKey,
    check_slots: Option<Arc<Semaphore>>,
) -> Result<race::RacePlan, Error> {
    let race_opts = RaceOptions {
        spec: Some(task.spec.clone()),
        spec_file: None,
        agents: vec![key.agent.clone()],
        checks: task.checks.clone(),
        holdout: prepared.holdout.clone(),
        holdout_checks: task.holdout_checks.clone(),
        must_pass: task.must_pass.clone(),
        keep_passing: task.keep_passing.clone(),
        base: prepared.base.clone(),
        merge: None,
        timeout: opts.race.timeout.clone().or_else(|| task.timeout.clone()),
        jobs: Some(1),
        check_jobs: opts.check_jobs,
        until: None,
        cascade: false,
        json: false,
        ..opts.race.clone()
    };
    let (mut plan, _repo) =
        race::preflight(&prepared.clone, &race_opts, opts.config.as_deref()).map_err(|e| {
            let hint = format!("in task {} with agent {}", task.id, key.agent);
            e.with_hint(hint)
        })?;
    if let Some(setup) = &task.setup {
        plan.setup = Some(setup.clone());
    }
    plan.lane_vars.push(("BAKEOFF_TRIAL".into(), key.env_value()));
    plan.check_slots = check_slots;
    Ok(plan)
}

/// Forwards a trial race's events to the bench's reporter.
struct Forward {
    key: TrialKey,
    to: Arc<Mutex<dyn BenchReporter>>,
}

impl Reporter for Forward {
    fn event(&mut self, event: &Stamped) {
        lock(&self.to).event(BenchEvent::Race {
            key: &self.key,
            event,
        });
    }
}

/// A finished trial's worktrees are removed (hundreds of trials would fill the disk);
/// its records keep the diff and the logs, and its lane branch keeps the commit.
fn free_worktrees(dir: &crate::journal::RaceDir) {
    let Ok(record) = dir.record() else { return };
    for lane in &record.lanes {
        let _ = crate::git::remove_worktree(&record.repo, &lane.worktree_name, &lane.worktree, None);
    }
    let _ = crate::git::remove_shared_base(&record.worktree_root);
    let _ = std::fs::remove_dir(&record.worktree_root);
}

/// Runs one trial's race to its end. `None` when it was interrupted: it did not finish.
async fn run_trial(
    key: TrialKey,
    plan: race::RacePlan,
    reporter: Arc<Mutex<dyn BenchReporter>>,
    stops: mpsc::UnboundedReceiver<()>,
) -> (TrialKey, Result<Option<TrialResult>, Error>) {
    // The race reserves its id when it starts (a suffix when another trial took it).
    let store = plan.dir.store();
    let forward = Forward {
        key: key.clone(),
        to: reporter,
    };
    let outcome = match race::run(plan, vec![Box::new(forward)], stops).await {
        Ok(o) => o,
        Err(e) => return (key, Err(e)),
    };
    if outcome.interrupted {
        return (key, Ok(None));
    }
    let dir = store.dir(&outcome.id);
    free_worktrees(&dir);
    let summary = dir
        .events_list()
        .map(|events| RaceSummary::from_events(&events))
        .ok();
    let Some(row) = outcome.leaderboard.rows.first() else {
        let lost = Error::input(format!("trial {} ranked no lane", key.label()));
        return (key, Err(lost));
    };
    let lane = summary.as_ref().and_then(|s| s.lanes.get(&row.lane));
    let usage = lane.and_then(|l| l.agent_outcome.as_ref());
    let resource = outcome.resource_failures.first().map(|(_, why)| why.clone());
    let resolved = row.passed && row.tier == Tier::Full;
    let status = match (&resource, resolved) {
        (Some(_), _) => TrialStatus::Error,
        (None, true) => TrialStatus::Resolved,
        (None, false) => TrialStatus::Unresolved,
    };
    let review_score = (!row.reviews.is_empty())
        .then(|| row.reviews.iter().map(|m| f64::from(m.score)).sum::<f64>() / row.reviews.len() as f64);
    let result = TrialResult {
        key: key.clone(),
        status,
        tier: row.tier.as_str().to_string(),
        gates_failed: row.gates_failed.clone(),
        reason: row.reason.clone(),
        checks_passed: row.checks_passed,
        checks_total: row.checks_total,
        cost_usd: row.cost_usd,
        elapsed_ms: row.elapsed_ms,
        agent_ms: usage.map(|u| u.elapsed_ms).unwrap_or(0),
        input_tokens: usage.and_then(|u| u.usage.input_tokens),
        output_tokens: usage.and_then(|u| u.usage.output_tokens),
        turns: usage.and_then(|u| u.usage.turns),
        review_score,
        diff_lines: row.diff_lines,
        race: outcome.id.clone(),
        records: dir.path.clone(),
        error: resource.map(|why| format!("lack of a resource: {why}")),
    };
    (key, Ok(Some(result)))
}
