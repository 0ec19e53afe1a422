//! Paired comparison of two agents on the tasks both ran: the mean difference of their
//! resolved rates with a paired bootstrap interval, and an exact sign test on the tasks
//! where one did better than the other.
//!
//! Pairing matters: tasks differ in difficulty far more than agents do, and comparing
//! the two agents task by task removes that variation from the difference.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use super::bootstrap::bootstrap_mean_interval;
use super::rng::SplitMix64;
use super::{Interval, Outcomes, LEVEL};

/// What a paired comparison shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// The whole 95% interval of the difference lies above zero and the sign test's p is
    /// below 5%: agent a does better.
    ABetter,
    /// The same, below zero: agent b does better.
    BBetter,
    /// The interval holds zero, or too few tasks split the two for the sign test: the
    /// benchmark does not show either better.
    NotShown,
}

/// The comparison of agent `a` with agent `b` on the tasks both ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paired {
    /// Agent a's name.
    pub a: String,
    /// Agent b's name.
    pub b: String,
    /// Tasks both ran.
    pub tasks: usize,
    /// The mean over those tasks of a's resolved rate minus b's.
    pub mean_difference: f64,
    /// The 95% paired-bootstrap interval of `mean_difference`, resampling tasks.
    pub interval: Interval,
    /// Tasks on which a resolved a larger share of its trials than b (with one trial
    /// each: the tasks only a resolved).
    pub a_only: usize,
    /// Tasks on which b resolved a larger share than a.
    pub b_only: usize,
    /// The exact two-sided sign-test (McNemar) p-value of `a_only` against `b_only`: the
    /// chance of a split at least this uneven if each such task were a fair coin.
    pub p_value: f64,
    /// Whether the interval and the sign test show one agent better.
    pub verdict: Verdict,
}

/// Compares agents `a` and `b` (indices into `o.agents`) on the tasks both ran, with
/// `resamples` paired-bootstrap resamples drawn from `seed`.
///
/// `None` when either index is out of range, they share no task, or `resamples` is 0.
/// Swapping `a` and `b` with the same seed negates the difference and the interval and
/// swaps the verdict.
pub fn paired(o: &Outcomes, a: usize, b: usize, resamples: usize, seed: u64) -> Option<Paired> {
    let (name_a, name_b) = (o.agents.get(a)?, o.agents.get(b)?);
    let mut differences = Vec::new();
    let (mut a_only, mut b_only) = (0, 0);
    for t in 0..o.tasks.len() {
        let (Some(ca), Some(cb)) = (o.count(a, t), o.count(b, t)) else {
            continue;
        };
        // ca.resolved / ca.n against cb.resolved / cb.n, compared exactly.
        let ahead =
            (u64::from(ca.resolved) * u64::from(cb.n)).cmp(&(u64::from(cb.resolved) * u64::from(ca.n)));
        match ahead {
            Ordering::Greater => a_only += 1,
            Ordering::Less => b_only += 1,
            Ordering::Equal => {}
        }
        let rate = |n: u32, resolved: u32| f64::from(resolved) / f64::from(n);
        differences.push(rate(ca.n, ca.resolved) - rate(cb.n, cb.resolved));
    }
    let interval = bootstrap_mean_interval(&differences, resamples, LEVEL, seed)?;
    let p_value = sign_test(a_only, b_only);
    // Both must agree. On a handful of tasks the bootstrap's interval can exclude zero
    // when every task went one way (three of three: the interval is a point), though
    // three coin flips go one way a quarter of the time; the exact test says so.
    let significant = p_value < 1.0 - LEVEL;
    let verdict = if interval.low > 0.0 && significant {
        Verdict::ABetter
    } else if interval.high < 0.0 && significant {
        Verdict::BBetter
    } else {
        Verdict::NotShown
    };
    Some(Paired {
        a: name_a.clone(),
        b: name_b.clone(),
        tasks: differences.len(),
        mean_difference: differences.iter().sum::<f64>() / differences.len() as f64,
        interval,
        a_only,
        b_only,
        p_value,
        verdict,
    })
}

/// [`paired`] for every pair of agents `a < b` (in the order of `o.agents`) that share a
/// task, each pair with its own stream drawn from `seed` and the two names.
pub fn all_pairs(o: &Outcomes, resamples: usize, seed: u64) -> Vec<Paired> {
    let n = o.agents.len();
    (0..n)
        .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
        .filter_map(|(a, b)| {
            let names = format!("{}\u{0}{}", o.agents[a], o.agents[b]);
            let pair_seed = SplitMix64::named(seed, &names).next_u64();
            paired(o, a, b, resamples, pair_seed)
        })
        .collect()
}

/// The exact two-sided binomial test of `x` successes against `y` failures at one half:
/// twice the chance of a split at least as uneven, capped at 1.
fn sign_test(x: usize, y: usize) -> f64 {
    let m = x + y;
    let fewer = x.min(y);
    // Terms ln(C(m, i) / 2^m) for i = 0..=fewer, built up by ratios and summed in log
    // space, so that thousands of tasks neither overflow nor underflow.
    let mut term = m as f64 * 0.5f64.ln();
    let mut terms = Vec::with_capacity(fewer + 1);
    for i in 0..=fewer {
        terms.push(term);
        term += ((m - i) as f64 / (i + 1) as f64).ln();
    }
    let top = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let tail = top.exp() * terms.iter().map(|t| (t - top).exp()).sum::<f64>();
    (2.0 * tail).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::stats::one_trial_outcomes as outcomes;

    #[test]
    fn identical_agents_show_nothing() {
        let row = "1101001110".repeat(4);
        let o = outcomes(&[("a", &row), ("b", &row)]);
        let p = paired(&o, 0, 1, 1_000, 1).unwrap();
        assert_eq!((p.tasks, p.a_only, p.b_only), (40, 0, 0));
        assert_eq!(p.mean_difference, 0.0);
        assert_eq!(p.interval, Interval { low: 0.0, high: 0.0 });
        assert_eq!(p.p_value, 1.0);
        assert_eq!(p.verdict, Verdict::NotShown);
    }

    #[test]
    fn twenty_more_of_forty_is_shown() {
        // a resolves 30 of 40 tasks, b 10 of them, all among a's.
        let a = format!("{}{}", "1".repeat(30), "0".repeat(10));
        let b = format!("{}{}", "1".repeat(10), "0".repeat(30));
        let o = outcomes(&[("a", &a), ("b", &b)]);
        let p = paired(&o, 0, 1, 2_000, 7).unwrap();
        assert_eq!((p.tasks, p.a_only, p.b_only), (40, 20, 0));
        assert!((p.mean_difference - 0.5).abs() < 1e-12);
        // Twenty discordant tasks all one way: p = 2 · 2^−20.
        assert!((p.p_value - 2.0 / 1_048_576.0).abs() < 1e-18, "{}", p.p_value);
        assert!(p.p_value < 0.001);
        assert_eq!(p.verdict, Verdict::ABetter);
        assert!(p.interval.low > 0.0 && p.interval.high <= 1.0, "{:?}", p.interval);
    }

    #[test]
    fn swapping_the_agents_flips_everything() {
        let o = outcomes(&[("a", "1101101011110110"), ("b", "0100100011000100")]);
        let ab = paired(&o, 0, 1, 1_000, 3).unwrap();
        let ba = paired(&o, 1, 0, 1_000, 3).unwrap();
        assert_eq!((ab.a.as_str(), ba.a.as_str()), ("a", "b"));
        assert!((ab.mean_difference + ba.mean_difference).abs() < 1e-12);
        assert!((ab.interval.low + ba.interval.high).abs() < 1e-12);
        assert!((ab.interval.high + ba.interval.low).abs() < 1e-12);
        assert_eq!((ab.a_only, ab.b_only), (ba.b_only, ba.a_only));
        assert_eq!(ab.p_value, ba.p_value);
        assert_eq!(ab.verdict, Verdict::ABetter);
        assert_eq!(ba.verdict, Verdict::BBetter);
    }

    #[test]
    fn sign_test_hand_values() {
        // (x, y, p): 2 · P(X ≤ min) for X ~ Binomial(x + y, 1/2), capped at 1.
        let cases = [
            (0, 0, 1.0),
            (1, 0, 1.0),
            (5, 5, 1.0),
            (20, 0, 2.0 / 1_048_576.0),
            (7, 3, 352.0 / 1024.0),
            (3, 7, 352.0 / 1024.0),
            (9, 1, 22.0 / 1024.0),
        ];
        for (x, y, want) in cases {
            let got = sign_test(x, y);
            assert!((got - want).abs() < 1e-12, "{x} vs {y}: {got}, want {want}");
        }
        let huge = sign_test(3_000, 2_000);
        assert!(huge > 0.0 && huge < 1e-40, "{huge}");
        assert!((sign_test(2_500, 2_500) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn only_shared_tasks_count() {
        let o = outcomes(&[("a", "11-1"), ("b", "-001"), ("c", "1---")]);
        let p = paired(&o, 0, 1, 100, 1).unwrap();
        assert_eq!((p.tasks, p.a_only, p.b_only), (2, 1, 0));
        assert!((p.mean_difference - 0.5).abs() < 1e-12);
        assert_eq!(paired(&o, 1, 2, 100, 1), None, "nothing shared");
    }

    #[test]
    fn degenerate_requests() {
        let o = outcomes(&[("a", "10"), ("b", "01")]);
        assert_eq!(paired(&o, 0, 5, 100, 1), None);
        assert_eq!(paired(&o, 0, 1, 0, 1), None);
        assert!(all_pairs(&outcomes(&[]), 100, 1).is_empty());
        assert!(all_pairs(&outcomes(&[("a", "")]), 100, 1).is_empty());
    }

    #[test]
    fn all_pairs_names_each_pair() {
        let o = outcomes(&[("a", "110"), ("b", "100"), ("c", "000"), ("idle", "---")]);
        let pairs = all_pairs(&o, 200, 4);
        let names: Vec<(&str, &str)> = pairs.iter().map(|p| (p.a.as_str(), p.b.as_str())).collect();
        assert_eq!(names, [("a", "b"), ("a", "c"), ("b", "c")]);
    }
}
