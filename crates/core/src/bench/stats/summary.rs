//! One line per agent: how many tasks and trials it ran, its resolved rate with a
//! bootstrap interval over tasks, pass@k and pass^k, and how much its rate varies from
//! task to task.

use serde::{Deserialize, Serialize};

use super::bootstrap::bootstrap_mean_interval;
use super::pass::{pass_at_k, pass_hat_k};
use super::rng::SplitMix64;
use super::{Count, Interval, Outcomes, DEFAULT_RESAMPLES, LEVEL};

/// What one agent did over the tasks it ran (those where it has at least one trial).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentStats {
    /// The agent's name.
    pub agent: String,
    /// Tasks it ran.
    pub tasks: usize,
    /// Trials it ran, over all those tasks.
    pub trials: u64,
    /// Trials that resolved their task.
    pub resolved_trials: u64,
    /// The mean over its tasks of the share of trials resolved (pass@1 averaged over
    /// repeats, every task weighing the same); `None` if it ran no task.
    pub resolved_rate: Option<f64>,
    /// The 95% percentile-bootstrap interval of `resolved_rate`, resampling tasks;
    /// `None` if it ran no task.
    pub interval: Option<Interval>,
    /// `(k, pass@k)` for k from 1 to the fewest trials it ran on any task, each the mean
    /// over its tasks; empty if it ran no task.
    pub pass_at: Vec<(u32, f64)>,
    /// `(k, pass^k)` for the same k: the chance that k trials in a row all resolve.
    pub pass_hat: Vec<(u32, f64)>,
    /// The sample standard deviation, over its tasks, of each task's share of trials
    /// resolved: how unevenly the agent does across tasks (not the run-to-run noise of
    /// its overall rate, which `interval` describes). `None` with fewer than two tasks.
    pub task_rate_std_dev: Option<f64>,
}

/// Every agent's [`AgentStats`], in the order of `o.agents`, with intervals from
/// [`DEFAULT_RESAMPLES`] resamples. Each agent draws its own stream from `seed` and its
/// name, so its interval depends neither on its position nor on the other agents.
pub fn agent_stats(o: &Outcomes, seed: u64) -> Vec<AgentStats> {
    (0..o.agents.len())
        .map(|a| {
            let stream_seed = SplitMix64::named(seed, &o.agents[a]).next_u64();
            one_agent(&o.agents[a], o.ran(a).map(|(_, c)| c).collect(), stream_seed)
        })
        .collect()
}

fn one_agent(agent: &str, counts: Vec<Count>, seed: u64) -> AgentStats {
    let rates: Vec<f64> = counts.iter().filter_map(|c| c.rate()).collect();
    let min_trials = counts.iter().map(|c| c.n).min().unwrap_or(0);
    let mean_over_tasks = |f: fn(u32, u32, u32) -> Option<f64>, k: u32| {
        counts.iter().filter_map(|c| f(c.n, c.resolved, k)).sum::<f64>() / counts.len() as f64
    };
    AgentStats {
        agent: agent.to_string(),
        tasks: counts.len(),
        trials: counts.iter().map(|c| u64::from(c.n)).sum(),
        resolved_trials: counts.iter().map(|c| u64::from(c.resolved)).sum(),
        resolved_rate: mean(&rates),
        interval: bootstrap_mean_interval(&rates, DEFAULT_RESAMPLES, LEVEL, seed),
        pass_at: (1..=min_trials)
            .map(|k| (k, mean_over_tasks(pass_at_k, k)))
            .collect(),
        pass_hat: (1..=min_trials)
            .map(|k| (k, mean_over_tasks(pass_hat_k, k)))
            .collect(),
        task_rate_std_dev: sample_std_dev(&rates),
    }
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

fn sample_std_dev(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let m = mean(values)?;
    let squares: f64 = values.iter().map(|v| (v - m) * (v - m)).sum();
    Some((squares / (values.len() - 1) as f64).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(n: u32, resolved: u32) -> Count {
        Count { n, resolved }
    }

    fn outcomes(rows: Vec<(&str, Vec<Count>)>) -> Outcomes {
        let tasks = rows.first().map_or(0, |(_, r)| r.len());
        Outcomes {
            agents: rows.iter().map(|(a, _)| a.to_string()).collect(),
            tasks: (0..tasks).map(|t| format!("t{t}")).collect(),
            counts: rows.into_iter().map(|(_, r)| r).collect(),
        }
    }

    #[test]
    fn summarises_an_agent() {
        let o = outcomes(vec![("a", vec![c(2, 2), c(3, 0), c(0, 0), c(4, 1)])]);
        let [s] = agent_stats(&o, 9).try_into().unwrap();
        assert_eq!(s.agent, "a");
        assert_eq!((s.tasks, s.trials, s.resolved_trials), (3, 9, 3));
        let rate = (1.0 + 0.0 + 0.25) / 3.0;
        assert!((s.resolved_rate.unwrap() - rate).abs() < 1e-12);
        let interval = s.interval.unwrap();
        assert!(interval.low <= rate && rate <= interval.high, "{interval:?}");
        assert_eq!(s.pass_at.iter().map(|p| p.0).collect::<Vec<_>>(), [1, 2]);
        assert!((s.pass_at[0].1 - rate).abs() < 1e-12, "pass@1 is the rate");
        assert!((s.pass_hat[0].1 - rate).abs() < 1e-12, "pass^1 is the rate");
        // pass@2: 1, 0, 1 − C(3,2)/C(4,2) = 1/2; pass^2: 1, 0, 0.
        assert!((s.pass_at[1].1 - 1.5 / 3.0).abs() < 1e-12);
        assert!((s.pass_hat[1].1 - 1.0 / 3.0).abs() < 1e-12);
        let var = [1.0f64, 0.0, 0.25]
            .iter()
            .map(|v| (v - rate).powi(2))
            .sum::<f64>()
            / 2.0;
        assert!((s.task_rate_std_dev.unwrap() - var.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn agent_without_trials_and_no_tasks() {
        let o = outcomes(vec![("a", vec![c(1, 1)]), ("idle", vec![c(0, 0)])]);
        let stats = agent_stats(&o, 1);
        let idle = &stats[1];
        assert_eq!((idle.tasks, idle.trials, idle.resolved_trials), (0, 0, 0));
        assert_eq!((idle.resolved_rate, idle.interval), (None, None));
        assert!(idle.pass_at.is_empty() && idle.pass_hat.is_empty());
        assert_eq!(idle.task_rate_std_dev, None);
        assert_eq!(stats[0].task_rate_std_dev, None, "one task has no spread");

        let empty = outcomes(vec![("a", vec![])]);
        assert_eq!(agent_stats(&empty, 1)[0].tasks, 0);
        let nobody = outcomes(vec![]);
        assert!(agent_stats(&nobody, 1).is_empty());
    }

    #[test]
    fn an_agents_interval_does_not_depend_on_the_others() {
        let alone = outcomes(vec![("a", vec![c(1, 1), c(1, 0), c(2, 1)])]);
        let mut with_others = alone.clone();
        with_others.agents.insert(0, "z".into());
        with_others.counts.insert(0, vec![c(1, 0); 3]);
        let a = &agent_stats(&alone, 5)[0];
        let b = &agent_stats(&with_others, 5)[1];
        assert_eq!(a, b);
    }
}
