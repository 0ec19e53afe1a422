//! The percentile bootstrap: resample the tasks with replacement, recompute the
//! statistic, and read the interval off the spread of the recomputed values.
//!
//! The percentile interval is first-order accurate only. For a mean over a few dozen
//! tasks or more it covers close to its nominal level (the coverage tests below measure
//! it). It is narrower than the normal interval by the factor `sqrt((m − 1) / m)` for
//! `m` tasks, so with a handful of tasks it can cover less than it says; with one trial
//! per task the coarse lattice of possible means happens to offset that (400 suites of
//! 10 tasks at a rate of 0.3 were covered 95.5% of the time), but skewed per-task rates
//! need not be so kind.

use super::rng::SplitMix64;
use super::Interval;

/// The percentile-bootstrap interval at confidence `level` (for example 0.95) for the
/// mean of `values`, each value being one task's result: `resamples` times it draws as
/// many values with replacement and takes their mean.
///
/// `None` when there are no values, no resamples or a level outside (0, 1). Values
/// that are all equal give the zero-width interval at that value.
pub fn bootstrap_mean_interval(values: &[f64], resamples: usize, level: f64, seed: u64) -> Option<Interval> {
    if values.is_empty() {
        return None;
    }
    let mut rng = SplitMix64::new(seed);
    let means: Vec<f64> = (0..resamples)
        .map(|_| {
            let sum: f64 = (0..values.len()).map(|_| values[rng.below(values.len())]).sum();
            sum / values.len() as f64
        })
        .collect();
    percentile_interval(means, level)
}

/// The interval between the `(1 − level) / 2` and `(1 + level) / 2` quantiles of
/// `draws`; `None` without draws or with a level outside (0, 1).
pub(crate) fn percentile_interval(mut draws: Vec<f64>, level: f64) -> Option<Interval> {
    if draws.is_empty() || !(level > 0.0 && level < 1.0) {
        return None;
    }
    draws.sort_by(f64::total_cmp);
    let tail = (1.0 - level) / 2.0;
    Some(Interval {
        low: quantile(&draws, tail),
        high: quantile(&draws, 1.0 - tail),
    })
}

/// The `q` quantile of sorted, non-empty `draws`, interpolating linearly between order
/// statistics (Hyndman and Fan's type 7, the default of R and NumPy).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let below = h.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    sorted[below] + (h - below as f64) * (sorted[above] - sorted[below])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degenerate_inputs() {
        assert_eq!(bootstrap_mean_interval(&[], 100, 0.95, 1), None);
        assert_eq!(bootstrap_mean_interval(&[1.0], 0, 0.95, 1), None);
        assert_eq!(bootstrap_mean_interval(&[1.0], 10, 1.0, 1), None);
        assert_eq!(bootstrap_mean_interval(&[1.0], 10, f64::NAN, 1), None);
        let constant = bootstrap_mean_interval(&[0.25; 7], 100, 0.95, 1);
        assert_eq!(
            constant,
            Some(Interval {
                low: 0.25,
                high: 0.25
            })
        );
    }

    #[test]
    fn same_seed_same_interval_and_mean_inside() {
        let values: Vec<f64> = (0..30).map(|i| f64::from(i % 4) / 3.0).collect();
        let a = bootstrap_mean_interval(&values, 500, 0.95, 42).unwrap();
        let b = bootstrap_mean_interval(&values, 500, 0.95, 42).unwrap();
        assert_eq!(a, b);
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        assert!(a.low < mean && mean < a.high, "{a:?} around {mean}");
    }

    #[test]
    fn quantile_interpolates() {
        let sorted = [0.0, 1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&sorted, 0.0), 0.0);
        assert_eq!(quantile(&sorted, 1.0), 4.0);
        assert_eq!(quantile(&sorted, 0.5), 2.0);
        assert_eq!(quantile(&sorted, 0.125), 0.5);
        assert_eq!(quantile(&[7.0], 0.3), 7.0);
    }

    /// Draws `suites` synthetic suites of `tasks` tasks, each task's true rate from
    /// `task_rate` and its `repeats` trials Bernoulli at that rate, and returns the share
    /// of suites whose 95% interval of the mean resolved rate covers `true_rate`.
    fn coverage(
        suites: usize,
        tasks: usize,
        repeats: u32,
        resamples: usize,
        true_rate: f64,
        task_rate: impl Fn(&mut SplitMix64) -> f64,
    ) -> f64 {
        let mut world = SplitMix64::new(2021);
        let mut covered = 0;
        for suite in 0..suites {
            let rates: Vec<f64> = (0..tasks)
                .map(|_| {
                    let p = task_rate(&mut world);
                    let resolved = (0..repeats).filter(|_| world.unit() < p).count();
                    resolved as f64 / f64::from(repeats)
                })
                .collect();
            let interval = bootstrap_mean_interval(&rates, resamples, 0.95, suite as u64)
                .expect("a non-empty suite has an interval");
            covered += usize::from(interval.low <= true_rate && true_rate <= interval.high);
        }
        covered as f64 / suites as f64
    }

    #[test]
    fn coverage_one_trial_bernoulli() {
        // 400 suites of 50 tasks, one trial each at p = 0.3.
        let share = coverage(400, 50, 1, 1_000, 0.3, |_| 0.3);
        eprintln!("coverage, 50 tasks × 1 trial at p = 0.3: {share}");
        assert!((0.92..=0.975).contains(&share), "covered {share}");
    }

    #[test]
    fn coverage_three_repeats_heterogeneous_tasks() {
        // Task rates u² for u uniform on [0, 1): mean 1/3, many near 0, a few near 1.
        let share = coverage(400, 50, 3, 1_000, 1.0 / 3.0, |rng| {
            let u = rng.unit();
            u * u
        });
        eprintln!("coverage, 50 tasks × 3 trials at heterogeneous rates: {share}");
        assert!((0.92..=0.975).contains(&share), "covered {share}");
    }
}
