//! A Bradley–Terry ranking of the agents from per-task duels: on every task two agents
//! both ran, the one that resolved the larger share of its trials wins, and equal shares
//! are a tie, half a win each way. Strengths come from the judge's fit
//! ([`crate::review::judge::bradley_terry`]); their intervals and the rank intervals
//! come from refitting on tasks resampled with replacement.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use super::bootstrap::percentile_interval;
use super::rng::SplitMix64;
use super::{Outcomes, LEVEL};
use crate::review::judge::bradley_terry;

/// Strengths within this relative distance of each other share a rank: the fit stops at
/// a tolerance, so tied agents come out equal only to about that.
const TIE: f64 = 1e-6;

/// One agent's line of the ranking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BtRow {
    /// The agent's name.
    pub agent: String,
    /// Its Bradley–Terry strength; the ranked agents' strengths sum to 1, and the chance
    /// that agent i beats agent j on a task is `s_i / (s_i + s_j)`.
    pub strength: f64,
    /// The lower end of the 95% bootstrap interval of `strength`.
    pub low: f64,
    /// The upper end of that interval.
    pub high: f64,
    /// Its rank, 1 for the strongest; agents of equal strength share a rank.
    pub rank: usize,
    /// The best rank within the 95% bootstrap interval of ranks.
    pub rank_low: usize,
    /// The worst rank within that interval.
    pub rank_high: usize,
}

/// One task's duel between agents `winner` and `loser`, or a tie between them.
#[derive(Debug, Clone, Copy)]
struct Duel {
    winner: usize,
    loser: usize,
    tie: bool,
}

/// Ranks the agents that met another agent on at least one task, strongest first (ties
/// by name), with 95% intervals from `resamples` bootstrap refits over tasks drawn from
/// `seed`. Agents that never met another are left out: nothing says how strong they are.
/// With no resamples the intervals are the point values.
///
/// Each pair of agents starts from the judge's small prior of pseudo-wins each way, so an
/// agent that won every duel still has a finite strength.
pub fn bradley_terry_ranking(o: &Outcomes, resamples: usize, seed: u64) -> Vec<BtRow> {
    let duels: Vec<Vec<Duel>> = (0..o.tasks.len())
        .map(|t| task_duels(o, t))
        .filter(|d| !d.is_empty())
        .collect();
    let mut ranked: Vec<usize> = duels.iter().flatten().flat_map(|d| [d.winner, d.loser]).collect();
    ranked.sort_unstable();
    ranked.dedup();
    if ranked.is_empty() {
        return Vec::new();
    }
    // From here on an agent is known by its position in `ranked`.
    let mut position = vec![0; o.agents.len()];
    for (p, &a) in ranked.iter().enumerate() {
        position[a] = p;
    }
    let duels: Vec<Vec<Duel>> = duels
        .into_iter()
        .map(|task| {
            task.into_iter()
                .map(|d| Duel {
                    winner: position[d.winner],
                    loser: position[d.loser],
                    tie: d.tie,
                })
                .collect()
        })
        .collect();

    let all: Vec<&[Duel]> = duels.iter().map(Vec::as_slice).collect();
    let strength = fit(ranked.len(), &all);
    let rank = ranks(&strength);

    let mut rng = SplitMix64::new(seed);
    let mut strength_draws = vec![Vec::with_capacity(resamples); ranked.len()];
    let mut rank_draws = vec![Vec::with_capacity(resamples); ranked.len()];
    for _ in 0..resamples {
        let sample: Vec<&[Duel]> = (0..duels.len())
            .map(|_| duels[rng.below(duels.len())].as_slice())
            .collect();
        let s = fit(ranked.len(), &sample);
        for (i, r) in ranks(&s).into_iter().enumerate() {
            strength_draws[i].push(s[i]);
            rank_draws[i].push(r as f64);
        }
    }

    let mut rows: Vec<BtRow> = ranked
        .iter()
        .enumerate()
        .map(|(i, &a)| {
            let s = percentile_interval(std::mem::take(&mut strength_draws[i]), LEVEL);
            let r = percentile_interval(std::mem::take(&mut rank_draws[i]), LEVEL);
            BtRow {
                agent: o.agents[a].clone(),
                strength: strength[i],
                low: s.map_or(strength[i], |s| s.low),
                high: s.map_or(strength[i], |s| s.high),
                rank: rank[i],
                // Ranks are whole numbers; round the interval outwards.
                rank_low: r.map_or(rank[i], |r| r.low.floor() as usize),
                rank_high: r.map_or(rank[i], |r| r.high.ceil() as usize),
            }
        })
        .collect();
    rows.sort_by(|x, y| x.rank.cmp(&y.rank).then_with(|| x.agent.cmp(&y.agent)));
    rows
}

/// The duels on task `t` between every pair of agents that both ran it.
fn task_duels(o: &Outcomes, t: usize) -> Vec<Duel> {
    let ran: Vec<(usize, u64, u64)> = (0..o.agents.len())
        .filter_map(|a| o.count(a, t).map(|c| (a, u64::from(c.resolved), u64::from(c.n))))
        .collect();
    let mut duels = Vec::new();
    for (x, &(i, ci, ni)) in ran.iter().enumerate() {
        for &(j, cj, nj) in &ran[x + 1..] {
            // ci / ni against cj / nj, compared exactly.
            let (winner, loser, tie) = match (ci * nj).cmp(&(cj * ni)) {
                Ordering::Greater => (i, j, false),
                Ordering::Less => (j, i, false),
                Ordering::Equal => (i, j, true),
            };
            duels.push(Duel { winner, loser, tie });
        }
    }
    duels
}

/// Strengths of `agents` agents (by position) from the duels of `tasks`.
///
/// The judge's fit takes whole wins, so every win counts twice and a tie once each way:
/// scaling all the counts by two leaves the fit unchanged except that its prior weighs
/// half as much, which is still the small prior it is meant to be. Going through the
/// judge's fit, rather than a weighted copy of it, keeps one Bradley–Terry implementation
/// in the crate; the price is a list of named wins per refit, which costs a few seconds
/// in a debug build for five agents, 300 tasks and 2,000 resamples.
fn fit(agents: usize, tasks: &[&[Duel]]) -> Vec<f64> {
    // The judge's fit names its players; here they are named by position.
    let lanes: Vec<String> = (0..agents).map(|i| i.to_string()).collect();
    let mut wins: Vec<(String, String)> = Vec::new();
    for duel in tasks.iter().copied().flatten() {
        let (w, l) = (&lanes[duel.winner], &lanes[duel.loser]);
        wins.push((w.clone(), l.clone()));
        if duel.tie {
            wins.push((l.clone(), w.clone()));
        } else {
            wins.push((w.clone(), l.clone()));
        }
    }
    let mut strength = vec![0.0; agents];
    for (lane, s) in bradley_terry(&lanes, &wins) {
        if let Some(slot) = lane.parse::<usize>().ok().and_then(|i| strength.get_mut(i)) {
            *slot = s;
        }
    }
    strength
}

/// Competition ranks (1, 2, 2, 4, …) of `strength`, equal within [`TIE`].
fn ranks(strength: &[f64]) -> Vec<usize> {
    strength
        .iter()
        .map(|&s| 1 + strength.iter().filter(|&&t| t > s * (1.0 + TIE)).count())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::stats::one_trial_outcomes as outcomes;
    use crate::bench::stats::Count;

    fn names(rows: &[BtRow]) -> Vec<&str> {
        rows.iter().map(|r| r.agent.as_str()).collect()
    }

    #[test]
    fn an_agent_that_wins_every_task_ranks_first_surely() {
        let o = outcomes(&[
            ("b", &"10".repeat(20)),
            ("top", &"1".repeat(40)),
            ("c", &"0100".repeat(10)),
        ]);
        let rows = bradley_terry_ranking(&o, 500, 3);
        assert_eq!(names(&rows), ["top", "b", "c"]);
        let top = &rows[0];
        assert_eq!((top.rank, top.rank_low, top.rank_high), (1, 1, 1), "{top:?}");
        assert!(top.low <= top.strength && top.strength <= top.high);
        let total: f64 = rows.iter().map(|r| r.strength).sum();
        assert!((total - 1.0).abs() < 1e-9);
        for r in &rows {
            assert!(r.rank_low <= r.rank && r.rank <= r.rank_high, "{r:?}");
            assert!(r.low <= r.strength && r.strength <= r.high, "{r:?}");
        }
    }

    #[test]
    fn equal_agents_get_equal_strengths_and_share_a_rank() {
        let o = outcomes(&[("y", "1100"), ("x", "1100"), ("w", "0000")]);
        let rows = bradley_terry_ranking(&o, 200, 1);
        assert_eq!(names(&rows), ["x", "y", "w"]);
        assert!((rows[0].strength - rows[1].strength).abs() < 1e-9, "{rows:?}");
        assert_eq!((rows[0].rank, rows[1].rank, rows[2].rank), (1, 1, 3));

        // Ties on every task: all equal.
        let tied = outcomes(&[("a", "10"), ("b", "10")]);
        let rows = bradley_terry_ranking(&tied, 50, 1);
        assert!((rows[0].strength - 0.5).abs() < 1e-9, "{rows:?}");
        assert_eq!((rows[1].rank, rows[1].rank_low, rows[1].rank_high), (1, 1, 1));
    }

    #[test]
    fn shares_of_trials_decide_the_duel() {
        // 2 of 3 beats 1 of 2; 1 of 2 ties 2 of 4.
        let c = |n, resolved| Count { n, resolved };
        let o = Outcomes {
            agents: vec!["a".into(), "b".into(), "c".into()],
            tasks: vec!["t".into()],
            counts: vec![vec![c(3, 2)], vec![c(2, 1)], vec![c(4, 2)]],
        };
        let rows = bradley_terry_ranking(&o, 0, 1);
        assert_eq!(names(&rows), ["a", "b", "c"]);
        assert_eq!(rows[1].rank, rows[2].rank);
        assert_eq!((rows[0].low, rows[0].high), (rows[0].strength, rows[0].strength));
    }

    #[test]
    fn agents_missing_on_tasks() {
        // c ran half the tasks, d ran none, e ran only a task nobody else ran.
        let o = outcomes(&[
            ("a", "11110-"),
            ("b", "00001-"),
            ("c", "--11--"),
            ("d", "------"),
            ("e", "-----1"),
        ]);
        let rows = bradley_terry_ranking(&o, 200, 2);
        let mut ranked = names(&rows);
        ranked.sort_unstable();
        assert_eq!(ranked, ["a", "b", "c"]);
        assert_eq!(rows.last().map(|r| r.agent.as_str()), Some("b"));
        assert!(rows.iter().all(|r| r.strength.is_finite() && r.strength > 0.0));
    }

    #[test]
    fn nothing_to_rank() {
        assert!(bradley_terry_ranking(&outcomes(&[]), 10, 1).is_empty());
        assert!(bradley_terry_ranking(&outcomes(&[("a", "11")]), 10, 1).is_empty());
        assert!(bradley_terry_ranking(&outcomes(&[("a", "1-"), ("b", "-1")]), 10, 1).is_empty());
    }

    #[test]
    fn ranks_are_competition_ranks() {
        assert_eq!(ranks(&[0.1, 0.4, 0.4, 0.1]), [3, 1, 1, 3]);
        assert_eq!(ranks(&[0.5, 0.3, 0.2]), [1, 2, 3]);
    }
}
