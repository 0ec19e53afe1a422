//! Trials — one task × one agent × one repeat — in the suite's fixed order, and the
//! shards that split them across machines.

use serde::{Deserialize, Serialize};

use super::suite::Suite;
use crate::error::Error;

/// Which trial: names a trial in the journal, the reports and `--resume`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TrialKey {
    pub task: String,
    /// As the suite (or `-a`) names it.
    pub agent: String,
    /// 0-based.
    pub repeat: u32,
}

impl TrialKey {
    /// `task · agent · #repeat`, for people.
    pub fn label(&self) -> String {
        format!("{} · {} · #{}", self.task, self.agent, self.repeat + 1)
    }

    /// What the trial's agent sees as `BAKEOFF_TRIAL`: `TASK/REPEAT`.
    pub fn env_value(&self) -> String {
        format!("{}/{}", self.task, self.repeat)
    }
}

/// Every trial of the suite: task by task in the suite's order, then agent by agent, then
/// repeat by repeat. A shard is a fixed slice of this order, so it never depends on how
/// or where the suite runs.
pub fn all(suite: &Suite) -> Vec<TrialKey> {
    let mut out = Vec::with_capacity(suite.tasks.len() * suite.agents.len() * suite.repeats as usize);
    for task in &suite.tasks {
        for agent in &suite.agents {
            for repeat in 0..suite.repeats {
                out.push(TrialKey {
                    task: task.id.clone(),
                    agent: agent.clone(),
                    repeat,
                });
            }
        }
    }
    out
}

/// Shard `index` of `count` (0-based, like a Kubernetes Indexed Job's
/// `JOB_COMPLETION_INDEX`): every `count`-th trial from the `index`-th.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// The whole suite.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// `I/N`, as `--shard` takes it.
    pub fn parse(text: &str) -> Result<Shard, Error> {
        let hint = "write --shard I/N with 0 <= I < N, e.g. --shard 0/3 for the first of three";
        let (i, n) = text
            .split_once('/')
            .ok_or_else(|| Error::input_with_hint(format!("--shard {text:?} is not I/N"), hint))?;
        let parse = |s: &str| s.trim().parse::<u32>().ok();
        match (parse(i), parse(n)) {
            (Some(index), Some(count)) if count > 0 && index < count => Ok(Shard { index, count }),
            _ => Err(Error::input_with_hint(
                format!("--shard {text:?} is not a shard: I must be below N and N above 0"),
                hint,
            )),
        }
    }

    /// `--shards N`: the index from `JOB_COMPLETION_INDEX`, which a Kubernetes Indexed
    /// Job sets in each of its pods.
    pub fn from_completion_index(count: u32, index: Option<&str>) -> Result<Shard, Error> {
        let index = index.ok_or_else(|| {
            Error::input_with_hint(
                "--shards needs JOB_COMPLETION_INDEX in the environment, and it is not set",
                "run it as a Kubernetes Indexed Job (`bakeoff bench export --kubernetes`), or give --shard I/N",
            )
        })?;
        Shard::parse(&format!("{}/{count}", index.trim())).map_err(|_| {
            Error::input_with_hint(
                format!("JOB_COMPLETION_INDEX={index:?} is not a shard of {count}"),
                "it must be a number below --shards",
            )
        })
    }

    /// Whether the trial at `position` in suite order is this shard's.
    pub fn holds(self, position: usize) -> bool {
        position as u64 % self.count as u64 == self.index as u64
    }

    /// The trials of this shard, in suite order.
    pub fn select(self, trials: Vec<TrialKey>) -> Vec<TrialKey> {
        trials
            .into_iter()
            .enumerate()
            .filter(|(i, _)| self.holds(*i))
            .map(|(_, t)| t)
            .collect()
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::fixtures;

    fn suite(tasks: usize, agents: usize, repeats: u32) -> Suite {
        let agents: Vec<String> = fixtures::ids("a", agents);
        let agents: Vec<&str> = agents.iter().map(String::as_str).collect();
        fixtures::suite("s", &fixtures::ids("t", tasks), &agents, repeats)
    }

    #[test]
    fn shards_partition_the_trials_whatever_the_count() {
        let all = all(&suite(5, 3, 2));
        assert_eq!(all.len(), 30);
        assert_eq!(all[0].label(), "t0 · a0 · #1");
        for count in 1..=7 {
            let mut union: Vec<TrialKey> = (0..count)
                .flat_map(|index| Shard { index, count }.select(all.clone()))
                .collect();
            union.sort();
            let mut want = all.clone();
            want.sort();
            assert_eq!(union, want, "{count} shards");
        }
    }

    #[test]
    fn shard_text_and_completion_index_are_checked() {
        assert_eq!(Shard::parse("2/3").unwrap(), Shard { index: 2, count: 3 });
        for bad in ["3/3", "1", "a/2", "0/0", "-1/2"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Shard::from_completion_index(4, Some("1")).unwrap(),
            Shard { index: 1, count: 4 }
        );
        let unset = Shard::from_completion_index(4, None).unwrap_err().to_string();
        assert!(unset.contains("JOB_COMPLETION_INDEX"), "{unset}");
        let high = Shard::from_completion_index(4, Some("4"))
            .unwrap_err()
            .to_string();
        assert!(high.contains("not a shard of 4"), "{high}");
    }
}
