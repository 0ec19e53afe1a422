//! The statistics of a benchmark: from how many trials each agent resolved on each task
//! ([`Outcomes`]) to pass@k and pass^k ([`pass`]), per-agent summaries with bootstrap
//! intervals over tasks ([`summary`]), a Bradley–Terry ranking with strength and rank
//! intervals ([`bradley_terry`]) and paired comparisons of two agents
//! ([`paired`](mod@paired)).
//!
//! Every function here is pure and deterministic: the only randomness is the bootstrap's,
//! drawn from a generator seeded by the caller.
//!
//! The unit of resampling is the task, not the trial: the question a benchmark answers is
//! how an agent does on tasks like these, and trials of one task are not independent of
//! each other.

pub mod bootstrap;
pub mod bradley_terry;
pub mod paired;
pub mod pass;
mod rng;
pub mod summary;

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use bootstrap::bootstrap_mean_interval;
pub use bradley_terry::{bradley_terry_ranking, BtRow};
pub use paired::{all_pairs, paired, Paired, Verdict};
pub use pass::{pass_at_k, pass_hat_k};
pub use summary::{agent_stats, AgentStats};

/// How many bootstrap resamples the summaries draw when the caller does not choose.
pub const DEFAULT_RESAMPLES: usize = 2_000;

/// The confidence level of every interval the summaries report.
pub const LEVEL: f64 = 0.95;

/// What a benchmark produced: for every agent and every task, how many trials were run
/// and how many of them resolved the task. `counts[a][t]` is agent `agents[a]` on task
/// `tasks[t]`.
///
/// A cell with `n == 0` means the agent did not run that task. The statistics treat a
/// missing cell (a short row) the same way, and also skip a cell that claims more
/// resolved trials than trials run; [`Outcomes::validate`] reports both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcomes {
    /// The agents' names, one per row of `counts`.
    pub agents: Vec<String>,
    /// The tasks' names, one per column of `counts`.
    pub tasks: Vec<String>,
    /// `counts[a][t]`: the trials of agent `a` on task `t`.
    pub counts: Vec<Vec<Count>>,
}

/// The trials of one agent on one task: `n` run, `resolved` of them resolved it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    /// Trials run.
    pub n: u32,
    /// Trials that resolved the task (at most `n`).
    pub resolved: u32,
}

/// A confidence interval: the true value lies in `low..=high` at the stated level.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// The lower end.
    pub low: f64,
    /// The upper end.
    pub high: f64,
}

/// Why an [`Outcomes`] does not describe a benchmark.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OutcomesError {
    /// `counts` has a different number of rows than there are agents.
    #[error("outcomes name {agents} agents but have {rows} rows of counts")]
    RowCount { agents: usize, rows: usize },
    /// An agent's row has a different number of cells than there are tasks.
    #[error("agent {agent} has counts for {cells} tasks, not {tasks}")]
    CellCount {
        agent: String,
        cells: usize,
        tasks: usize,
    },
    /// A cell claims more resolved trials than trials run.
    #[error("agent {agent} on task {task}: {resolved} resolved of {n} trials")]
    MoreResolvedThanRun {
        agent: String,
        task: String,
        n: u32,
        resolved: u32,
    },
    /// Two agents share a name, so results could not be told apart.
    #[error("agent {0} appears twice")]
    DuplicateAgent(String),
}

impl Count {
    /// The share of trials that resolved the task, or `None` if none were run (or the
    /// count is impossible).
    pub fn rate(self) -> Option<f64> {
        (self.n > 0 && self.resolved <= self.n).then(|| f64::from(self.resolved) / f64::from(self.n))
    }
}

impl Outcomes {
    /// Checks that the counts form an agents × tasks table of possible counts with
    /// distinct agent names.
    pub fn validate(&self) -> Result<(), OutcomesError> {
        if self.counts.len() != self.agents.len() {
            return Err(OutcomesError::RowCount {
                agents: self.agents.len(),
                rows: self.counts.len(),
            });
        }
        for (a, (agent, row)) in self.agents.iter().zip(&self.counts).enumerate() {
            if self.agents[..a].contains(agent) {
                return Err(OutcomesError::DuplicateAgent(agent.clone()));
            }
            if row.len() != self.tasks.len() {
                return Err(OutcomesError::CellCount {
                    agent: agent.clone(),
                    cells: row.len(),
                    tasks: self.tasks.len(),
                });
            }
            if let Some((task, count)) = self.tasks.iter().zip(row).find(|(_, c)| c.resolved > c.n) {
                return Err(OutcomesError::MoreResolvedThanRun {
                    agent: agent.clone(),
                    task: task.clone(),
                    n: count.n,
                    resolved: count.resolved,
                });
            }
        }
        Ok(())
    }

    /// Agent `a`'s trials on task `t`, if it ran it: `None` for an unrun, missing or
    /// impossible cell.
    pub fn count(&self, a: usize, t: usize) -> Option<Count> {
        let count = *self.counts.get(a)?.get(t)?;
        count.rate().map(|_| count)
    }

    /// Agent `a`'s resolved rate on task `t`, if it ran it.
    pub fn rate(&self, a: usize, t: usize) -> Option<f64> {
        self.count(a, t)?.rate()
    }

    /// The tasks agent `a` ran, in order, with its trials on each.
    pub fn ran(&self, a: usize) -> impl Iterator<Item = (usize, Count)> + '_ {
        (0..self.tasks.len()).filter_map(move |t| self.count(a, t).map(|c| (t, c)))
    }
}

/// Outcomes with one trial per cell, for tests: `rows[a]` lists agent a's tasks as '1'
/// (resolved), '0' (failed) or '-' (not run).
#[cfg(test)]
pub(crate) fn one_trial_outcomes(rows: &[(&str, &str)]) -> Outcomes {
    let tasks = rows.first().map_or(0, |(_, r)| r.len());
    Outcomes {
        agents: rows.iter().map(|(a, _)| a.to_string()).collect(),
        tasks: (0..tasks).map(|t| format!("t{t}")).collect(),
        counts: rows
            .iter()
            .map(|(_, r)| {
                r.chars()
                    .map(|ch| match ch {
                        '1' => Count { n: 1, resolved: 1 },
                        '0' => Count { n: 1, resolved: 0 },
                        _ => Count::default(),
                    })
                    .collect()
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(n: u32, resolved: u32) -> Count {
        Count { n, resolved }
    }

    #[test]
    fn validate_table() {
        let good = Outcomes {
            agents: vec!["a".into(), "b".into()],
            tasks: vec!["t".into()],
            counts: vec![vec![c(1, 1)], vec![c(0, 0)]],
        };
        assert_eq!(good.validate(), Ok(()));
        let mut rows = good.clone();
        rows.counts.pop();
        assert!(matches!(rows.validate(), Err(OutcomesError::RowCount { .. })));
        let mut cells = good.clone();
        cells.counts[1].push(c(1, 0));
        assert!(matches!(cells.validate(), Err(OutcomesError::CellCount { .. })));
        let mut impossible = good.clone();
        impossible.counts[0][0] = c(1, 2);
        assert!(matches!(
            impossible.validate(),
            Err(OutcomesError::MoreResolvedThanRun { .. })
        ));
        assert_eq!(impossible.count(0, 0), None);
        let mut twice = good.clone();
        twice.agents[1] = "a".into();
        assert_eq!(twice.validate(), Err(OutcomesError::DuplicateAgent("a".into())));
    }

    #[test]
    fn unrun_and_missing_cells_are_not_run() {
        let o = Outcomes {
            agents: vec!["a".into()],
            tasks: vec!["t".into(), "u".into(), "v".into()],
            counts: vec![vec![c(2, 1), c(0, 0)]],
        };
        assert_eq!(o.rate(0, 0), Some(0.5));
        assert_eq!(o.rate(0, 1), None);
        assert_eq!(o.rate(0, 2), None);
        assert_eq!(o.rate(1, 0), None);
        assert_eq!(o.ran(0).map(|(t, _)| t).collect::<Vec<_>>(), [0]);
    }
}
