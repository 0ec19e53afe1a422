//! pass@k and pass^k from `n` trials of which `c` resolved a task: the chance that, of
//! `k` trials drawn without replacement from those `n`, at least one (pass@k) or every
//! one (pass^k) resolved it.
//!
//! Both are written as products of ratios near 1 rather than as ratios of binomial
//! coefficients, which overflow for modest `n` and lose precision long before.

/// The unbiased pass@k estimate of Chen et al. (2021), `1 − C(n−c, k) / C(n, k)`: the
/// chance that at least one of `k` trials drawn from the `n` run resolved the task.
///
/// `None` when `k` is 0, `k` exceeds `n`, or `c` exceeds `n`.
pub fn pass_at_k(n: u32, c: u32, k: u32) -> Option<f64> {
    if k == 0 || k > n || c > n {
        return None;
    }
    if n - c < k {
        // Fewer failures than draws: every draw of k contains a success.
        return Some(1.0);
    }
    // C(n−c, k) / C(n, k) = ∏_{i = n−c+1}^{n} (1 − k / i).
    let all_fail: f64 = (n - c + 1..=n)
        .map(|i| 1.0 - f64::from(k) / f64::from(i))
        .product();
    Some(1.0 - all_fail)
}

/// τ-bench's pass^k, `C(c, k) / C(n, k)`: the chance that every one of `k` trials drawn
/// from the `n` run resolved the task.
///
/// `None` when `k` is 0, `k` exceeds `n`, or `c` exceeds `n`.
pub fn pass_hat_k(n: u32, c: u32, k: u32) -> Option<f64> {
    if k == 0 || k > n || c > n {
        return None;
    }
    if c < k {
        return Some(0.0);
    }
    // C(c, k) / C(n, k) = ∏_{i = 0}^{k−1} (c − i) / (n − i).
    Some((0..k).map(|i| f64::from(c - i) / f64::from(n - i)).product())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts, over every k-subset of n trials of which the first c succeeded, the
    /// subsets with at least one success and those with only successes.
    fn enumerate(n: u32, c: u32, k: u32) -> (u64, u64, u64) {
        let successes: u32 = (1u32 << c) - 1;
        let (mut subsets, mut any, mut all) = (0, 0, 0);
        for subset in 0u32..(1 << n) {
            if subset.count_ones() != k {
                continue;
            }
            subsets += 1;
            any += u64::from(subset & successes != 0);
            all += u64::from(subset & !successes == 0);
        }
        (subsets, any, all)
    }

    #[test]
    fn pass_at_k_and_pass_hat_k_match_enumeration() {
        let mut checked = 0;
        for n in 1..=8 {
            for c in 0..=n {
                for k in 1..=n {
                    let (subsets, any, all) = enumerate(n, c, k);
                    let want_at = any as f64 / subsets as f64;
                    let want_hat = all as f64 / subsets as f64;
                    let got_at = pass_at_k(n, c, k).unwrap();
                    let got_hat = pass_hat_k(n, c, k).unwrap();
                    assert!(
                        (got_at - want_at).abs() < 1e-12,
                        "pass@{k} n={n} c={c}: {got_at} vs {want_at}"
                    );
                    assert!(
                        (got_hat - want_hat).abs() < 1e-12,
                        "pass^{k} n={n} c={c}: {got_hat} vs {want_hat}"
                    );
                    checked += 1;
                }
            }
        }
        // Σ_{n=1}^{8} (n + 1) · n
        assert_eq!(checked, 240);
    }

    #[test]
    fn hand_values() {
        // (n, c, k, pass@k, pass^k)
        let cases = [
            (10, 3, 1, 0.3, 0.3),
            (5, 5, 5, 1.0, 1.0),
            (4, 2, 2, 5.0 / 6.0, 1.0 / 6.0),
            (4, 0, 2, 0.0, 0.0),
            (3, 1, 3, 1.0, 0.0),
        ];
        for (n, c, k, at, hat) in cases {
            assert!(
                (pass_at_k(n, c, k).unwrap() - at).abs() < 1e-12,
                "pass@{k} n={n} c={c}"
            );
            assert!(
                (pass_hat_k(n, c, k).unwrap() - hat).abs() < 1e-12,
                "pass^{k} n={n} c={c}"
            );
        }
    }

    #[test]
    fn large_n_stays_finite_and_in_range() {
        let at = pass_at_k(10_000, 1, 5_000).unwrap();
        assert!((at - 0.5).abs() < 1e-9, "{at}");
        let hat = pass_hat_k(10_000, 9_999, 5_000).unwrap();
        assert!((hat - 0.5).abs() < 1e-9, "{hat}");
    }

    #[test]
    fn out_of_range_is_none() {
        for f in [pass_at_k, pass_hat_k] {
            assert_eq!(f(3, 1, 0), None, "k = 0");
            assert_eq!(f(3, 1, 4), None, "k > n");
            assert_eq!(f(0, 0, 1), None, "no trials");
            assert_eq!(f(3, 4, 1), None, "c > n");
        }
    }
}
