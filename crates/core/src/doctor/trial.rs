//! `bakeoff doctor --ping` tries each agent for real: a one-lane race, with bakeoff's own
//! lane set-up (endpoint variables, sign-in, sandbox, the stall watch), of a prompt that
//! asks for one word, in a scratch repository that is deleted afterwards. So "ready"
//! means the CLI started, reached its endpoint, signed in and answered, not only that a
//! program of that name is on PATH. The user's checkout is never touched: the scratch
//! repository holds only the repository's `.bakeoff.toml`, if it has one.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;

use super::{Blocker, Check, Status};
use crate::race::{self, RaceOptions};
use crate::units::{duration_ms, usd};
use crate::vocab::{AgentOutcome, RaceEvent, Reporter, Stamped};

/// What each agent is asked: nothing that costs more than a reply.
pub const TRIAL_PROMPT: &str =
    "This is a connection check. Reply with the single word: ready. Do not run any tool and do not change any file.";

/// How long one agent may take to answer, and to go without progress.
pub const TRIAL_TIMEOUT: Duration = Duration::from_secs(120);
const TRIAL_STALL: Duration = Duration::from_secs(60);

/// Tries every agent of `agents` (`-a` values or `[agents]` names), one scratch race
/// each, at once.
pub async fn agent_trials(
    repo_top: Option<&Path>,
    config_file: Option<&Path>,
    agents: &[String],
) -> Vec<Check> {
    let trials = agents.iter().map(|agent| trial(repo_top, config_file, agent));
    futures_util::future::join_all(trials).await
}

/// The events of the scratch race that say how its agent did.
#[derive(Default)]
struct Seen {
    outcome: Option<AgentOutcome>,
    failed: Option<String>,
}

struct Capture(Arc<Mutex<Seen>>);

impl Reporter for Capture {
    fn event(&mut self, event: &Stamped) {
        let mut seen = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match &event.event {
            RaceEvent::AgentFinished { outcome, .. } => seen.outcome = Some(outcome.clone()),
            RaceEvent::LaneFailed { error, .. } => seen.failed = Some(error.clone()),
            _ => {}
        }
    }
}

async fn trial(repo_top: Option<&Path>, config_file: Option<&Path>, agent: &str) -> Check {
    let subject = format!("agent {agent}");
    let failed = |detail: String| {
        Check::new(Status::Fail, subject.clone(), detail)
            .blocking(Blocker::Provider)
            .hint(format!(
                "the same happens in a race; `bakeoff race ... -a {agent}` shows its full logs in `bakeoff show last`"
            ))
    };
    let scratch = match scratch_repo(repo_top) {
        Ok(dir) => dir,
        Err(e) => {
            return Check::new(
                Status::Fail,
                subject,
                format!("cannot make a scratch repository: {e}"),
            )
        }
    };
    // The scratch folder is the repository: its unique name keeps the worktrees of
    // trials that run at once apart (they are named after the repository).
    let repo = scratch.path().to_path_buf();
    let opts = RaceOptions {
        spec: Some(TRIAL_PROMPT.to_string()),
        agents: vec![agent.to_string()],
        base: "HEAD".into(),
        no_review: true,
        ..RaceOptions::default()
    };
    let mut plan = match race::preflight(&repo, &opts, config_file) {
        Ok((plan, _)) => plan,
        Err(e) => return Check::new(Status::Fail, subject, e.to_string()).blocking(Blocker::Usage),
    };
    // The trial's limits, or the race's own when they are shorter: a user who stops
    // stalled agents sooner wants the check to say so sooner too.
    let record = &mut plan.record;
    record.timeout_ms = record.timeout_ms.min(TRIAL_TIMEOUT.as_millis() as u64);
    let stall = TRIAL_STALL.as_millis() as u64;
    record.stall_timeout_ms = Some(record.stall_timeout_ms.map_or(stall, |s| s.min(stall)));
    // The lane's worktree goes with the scratch repository (the race keeps its worktrees
    // outside the repository, in bakeoff's data folder).
    let worktrees = plan.record.worktree_root.clone();
    let stderr_log = plan
        .record
        .lanes
        .first()
        .map(|lane| plan.dir.lane_dir(&lane.name).join("agent.stderr.log"));
    let seen = Arc::new(Mutex::new(Seen::default()));
    // Nothing interrupts a trial but its own limits; the sender lives until it ends.
    let (_interrupt, interrupts) = mpsc::unbounded_channel();
    let ran = race::run(plan, vec![Box::new(Capture(seen.clone()))], interrupts).await;
    let _ = std::fs::remove_dir_all(&worktrees);
    if let Some(parent) = worktrees.parent() {
        let _ = std::fs::remove_dir(parent);
    }
    if let Err(e) = ran {
        return failed(e.to_string());
    }
    let seen = std::mem::take(&mut *seen.lock().unwrap_or_else(|p| p.into_inner()));
    match (seen.failed, seen.outcome) {
        (Some(error), _) => failed(error),
        (None, None) => failed("its agent never ran".into()),
        (None, Some(outcome)) => judge(&subject, &outcome).unwrap_or_else(|why| {
            // When the CLI named no error, what it printed last says more than its
            // exit code.
            let said = outcome
                .error
                .is_none()
                .then(|| stderr_log.as_deref().and_then(last_line))
                .flatten();
            match said {
                Some(said) => failed(format!("{why}: {said}")),
                None => failed(why),
            }
        }),
    }
}

/// An answer that ended well is ready; anything else says what the agent said.
fn judge(subject: &str, outcome: &AgentOutcome) -> Result<Check, String> {
    if outcome.timed_out {
        return Err(format!("no answer within {}", duration_ms(outcome.elapsed_ms)));
    }
    if let Some(error) = &outcome.error {
        return Err(error.clone());
    }
    match &outcome.exit {
        Some(exit) if exit.success() => {}
        Some(exit) => return Err(format!("the CLI ended with {exit}")),
        None => return Err("the CLI was stopped".into()),
    }
    let cost = outcome
        .usage
        .cost_usd
        .map(|c| format!(", {}", usd(c)))
        .unwrap_or_default();
    Ok(Check::ok(
        subject,
        format!("answered in {}{cost}", duration_ms(outcome.elapsed_ms)),
    ))
}

/// The last non-empty line of a log, cut to one short line.
fn last_line(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines().rev().find_map(crate::agent::summarize)
}

/// A one-commit repository in a temporary folder, with the user's `.bakeoff.toml` so the
/// agent tables and sandbox settings are those a race in their repository would use.
fn scratch_repo(repo_top: Option<&Path>) -> Result<tempfile::TempDir, String> {
    let dir = tempfile::Builder::new()
        .prefix("bakeoff-doctor-")
        .tempdir()
        .map_err(|e| e.to_string())?;
    let repo = dir.path();
    std::fs::write(
        repo.join("README.md"),
        "A scratch repository of `bakeoff doctor --ping`.\n",
    )
    .map_err(|e| e.to_string())?;
    if let Some(top) = repo_top {
        let config = top.join(crate::config::REPO_FILE);
        if config.is_file() {
            std::fs::copy(&config, repo.join(crate::config::REPO_FILE)).map_err(|e| e.to_string())?;
        }
    }
    crate::git::init_with_commit(repo, "main", "scratch").map_err(|e| e.to_string())?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::{ExitKind, Usage};

    fn outcome() -> AgentOutcome {
        AgentOutcome {
            exit: Some(ExitKind::Code(0)),
            timed_out: false,
            cancelled: false,
            elapsed_ms: 3_100,
            usage: Usage {
                cost_usd: Some(0.0012),
                ..Usage::default()
            },
            session_id: None,
            final_message: Some("ready".into()),
            error: None,
        }
    }

    #[test]
    fn what_a_trial_makes_of_an_outcome() {
        assert_eq!(
            judge("agent a", &outcome()).unwrap().detail,
            "answered in 3.1s, $0.0012"
        );
        let mut o = outcome();
        o.error = Some("stopped after 1m 00s without progress; last error: Reconnecting... 3/5".into());
        assert!(judge("agent a", &o).unwrap_err().contains("Reconnecting"));
        let mut o = outcome();
        o.exit = Some(ExitKind::Code(41));
        assert_eq!(judge("agent a", &o).unwrap_err(), "the CLI ended with exit 41");
        let mut o = outcome();
        o.timed_out = true;
        assert!(judge("agent a", &o).unwrap_err().starts_with("no answer within"));
    }
}
