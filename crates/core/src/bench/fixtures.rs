//! What the bench's unit tests build suites and trials from: one task, one suite, one
//! trial result, each with plain values a test overrides with struct-update syntax.

use super::journal::{TrialResult, TrialStatus};
use super::suite::{Holdout, RepoSource, Suite, Task};
use super::trial::TrialKey;

/// A task with no checks and no holdout, on a repository that is never opened.
pub fn task(id: &str) -> Task {
    Task {
        id: id.into(),
        repo: RepoSource::Url("repo".into()),
        base: "HEAD".into(),
        spec: "s".into(),
        setup: None,
        checks: vec![],
        holdout: Holdout::None,
        holdout_checks: vec![],
        must_pass: vec![],
        keep_passing: vec![],
        timeout: None,
    }
}

/// A suite of `tasks` × `agents` × `repeats`.
pub fn suite(name: &str, tasks: &[String], agents: &[&str], repeats: u32) -> Suite {
    Suite {
        name: name.into(),
        agents: agents.iter().map(|a| a.to_string()).collect(),
        repeats,
        tasks: tasks.iter().map(|t| task(t)).collect(),
    }
}

/// `prefix0`, `prefix1`, …: `n` task ids.
pub fn ids(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

/// A finished trial: resolved (tier FULL) or not (NONE), at `cost`, 2 s long.
pub fn result(task: &str, agent: &str, repeat: u32, resolved: bool, cost: Option<f64>) -> TrialResult {
    TrialResult {
        key: TrialKey {
            task: task.into(),
            agent: agent.into(),
            repeat,
        },
        status: if resolved {
            TrialStatus::Resolved
        } else {
            TrialStatus::Unresolved
        },
        tier: if resolved { "FULL" } else { "NONE" }.into(),
        gates_failed: vec![],
        reason: "r".into(),
        checks_passed: 1,
        checks_total: 1,
        cost_usd: cost,
        elapsed_ms: 2_000,
        agent_ms: 1_000,
        input_tokens: Some(1_000),
        output_tokens: Some(100),
        turns: Some(3),
        review_score: None,
        diff_lines: 4,
        race: "race".into(),
        records: "/records".into(),
        error: None,
    }
}
