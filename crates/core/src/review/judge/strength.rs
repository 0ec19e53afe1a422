//! From agreed wins to the ranking's judge signal: Bradley–Terry strengths over the
//! judged lanes, and [`apply_judging`] recording each lane's strength and whom it beat.

use super::outcome::{agreed_wins, JudgeOutcome};
use crate::vocab::{JudgeSignal, LaneResult};

/// Each pair of judged lanes starts with this many pseudo-wins each way, so that an
/// unbeaten lane has a finite strength and a lane with no wins a positive one.
const PRIOR_WINS: f64 = 0.1;
const MAX_ITERATIONS: usize = 1_000;
const TOLERANCE: f64 = 1e-10;

/// Bradley–Terry strengths (summing to 1) by Hunter's MM algorithm, strongest first
/// (ties by lane name). Every pair of `lanes` gets [`PRIOR_WINS`] each way, so the
/// strengths exist and are unique even with unbeaten or winless lanes; wins naming a
/// lane outside `lanes` are ignored.
pub fn bradley_terry(lanes: &[String], wins: &[(String, String)]) -> Vec<(String, f64)> {
    let n = lanes.len();
    if n == 0 {
        return Vec::new();
    }
    let index = |name: &str| lanes.iter().position(|l| l == name);
    let mut w = vec![vec![PRIOR_WINS; n]; n];
    for (winner, loser) in wins {
        if let (Some(i), Some(j)) = (index(winner), index(loser)) {
            if i != j {
                w[i][j] += 1.0;
            }
        }
    }
    let mut p = vec![1.0 / n as f64; n];
    for _ in 0..MAX_ITERATIONS {
        let mut next: Vec<f64> = (0..n)
            .map(|i| {
                let won: f64 = (0..n).filter(|&j| j != i).map(|j| w[i][j]).sum();
                let denom: f64 = (0..n)
                    .filter(|&j| j != i)
                    .map(|j| (w[i][j] + w[j][i]) / (p[i] + p[j]))
                    .sum();
                if denom > 0.0 {
                    won / denom
                } else {
                    p[i]
                }
            })
            .collect();
        let total: f64 = next.iter().sum();
        next.iter_mut().for_each(|x| *x /= total);
        let change = next
            .iter()
            .zip(&p)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        p = next;
        if change < TOLERANCE {
            break;
        }
    }
    let mut out: Vec<(String, f64)> = lanes.iter().cloned().zip(p).collect();
    out.sort_by(|(la, a), (lb, b)| b.total_cmp(a).then_with(|| la.cmp(lb)));
    out
}

/// Records the judging of a close call on the lanes: every lane named in `outcomes`
/// gets a [`JudgeSignal`] (strength and the lanes it beat in both orders). Lanes without
/// a review signal are left alone: only reviewed finalists are judged.
pub fn apply_judging(lanes: &mut [LaneResult], outcomes: &[JudgeOutcome]) {
    let mut judged: Vec<String> = Vec::new();
    for o in outcomes {
        for l in [&o.a, &o.b] {
            if !judged.contains(l) {
                judged.push(l.clone());
            }
        }
    }
    let wins = agreed_wins(outcomes);
    let strengths = bradley_terry(&judged, &wins);
    for lane in lanes.iter_mut() {
        let Some(review) = lane.review.as_mut() else {
            continue;
        };
        let Some((_, strength)) = strengths.iter().find(|(l, _)| *l == lane.lane) else {
            continue;
        };
        let mut beat: Vec<String> = wins
            .iter()
            .filter(|(w, _)| *w == lane.lane)
            .map(|(_, l)| l.clone())
            .collect();
        beat.sort();
        beat.dedup();
        review.judge = Some(JudgeSignal {
            strength: *strength,
            beat,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::judge::JudgeWinner;
    use crate::vocab::ReviewSignal;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    fn reviewed(name: &str, score: f64, blockers: usize) -> LaneResult {
        let mut l = LaneResult::new(name, "fake:x", false);
        (l.diff_files, l.insertions, l.agent_exit_ok) = (1, 1, true);
        l.review = Some(ReviewSignal {
            score,
            confirmed_blockers: blockers,
            ..Default::default()
        });
        l
    }

    #[test]
    fn bradley_terry_table() {
        // (what, lanes, wins, expected order)
        type Case = (
            &'static str,
            Vec<&'static str>,
            Vec<(&'static str, &'static str)>,
            Vec<&'static str>,
        );
        let cases: Vec<Case> = vec![
            ("no wins: equal, by name", vec!["b", "a"], vec![], vec!["a", "b"]),
            ("one win", vec!["a", "b"], vec![("b", "a")], vec!["b", "a"]),
            (
                "chain",
                vec!["a", "b", "c"],
                vec![("c", "b"), ("b", "a"), ("c", "a")],
                vec!["c", "b", "a"],
            ),
            (
                "unknown lanes ignored",
                vec!["a", "b"],
                vec![("z", "a"), ("b", "a")],
                vec!["b", "a"],
            ),
            (
                "cycle is a tie",
                vec!["a", "b", "c"],
                vec![("a", "b"), ("b", "c"), ("c", "a")],
                vec!["a", "b", "c"],
            ),
        ];
        for (what, lanes, wins, want) in cases {
            let got = bradley_terry(&names(&lanes), &pairs(&wins));
            let order: Vec<&str> = got.iter().map(|(l, _)| l.as_str()).collect();
            assert_eq!(order, want, "{what}");
            let total: f64 = got.iter().map(|(_, s)| s).sum();
            assert!((total - 1.0).abs() < 1e-9, "{what}: sums to {total}");
            assert!(got.iter().all(|(_, s)| *s > 0.0 && s.is_finite()), "{what}");
        }
        let tied = bradley_terry(
            &names(&["a", "b", "c"]),
            &pairs(&[("a", "b"), ("b", "c"), ("c", "a")]),
        );
        assert!((tied[0].1 - tied[2].1).abs() < 1e-9);
        let one = bradley_terry(&names(&["a", "b"]), &pairs(&[("a", "b")]));
        // 1.1 wins to 0.1: the strength ratio is the win ratio for two lanes.
        assert!((one[0].1 / one[1].1 - 11.0).abs() < 1e-6, "{one:?}");
        assert!(bradley_terry(&[], &[]).is_empty());
    }

    #[test]
    fn apply_judging_sets_strength_and_beaten() {
        let mut lanes = vec![
            reviewed("a", 90.0, 0),
            reviewed("b", 88.0, 0),
            reviewed("c", 50.0, 0),
        ];
        let outcomes = vec![JudgeOutcome::from_verdicts(
            "a",
            "b",
            JudgeWinner::B,
            JudgeWinner::A,
        )];
        apply_judging(&mut lanes, &outcomes);
        let b = lanes[1].review.as_ref().unwrap().judge.as_ref().unwrap();
        let a = lanes[0].review.as_ref().unwrap().judge.as_ref().unwrap();
        assert_eq!(b.beat, ["a"]);
        assert!(b.strength > a.strength);
        assert!(lanes[2].review.as_ref().unwrap().judge.is_none());
    }
}
