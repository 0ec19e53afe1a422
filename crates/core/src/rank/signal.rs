//! From reviews to the [`ReviewSignal`] ranking uses: a verdict and a score per lane
//! that hold when lanes have different reviewers, and the blockers that two or more
//! reviewers agree on.
//!
//! **Verdict.** A lane's verdict is the median of its reviewers' verdicts (approve >
//! request changes > reject); with an even number the worse of the two middle ones, so
//! one reviewer's approval does not outvote another's request for changes. Ranking
//! compares verdicts before any score.
//!
//! **Score.** Scores stay on the reviewers' own 0..100 scale. Each reviewer is modelled
//! as `score = lane quality + reviewer offset` (its leniency), and the offsets are fitted
//! only where they are measurable: on lanes that several reviewers scored. Reviewers
//! joined by such lanes, directly or through others, form a calibration group; within a
//! group the offsets sum to zero, and a reviewer that shares no lane with another is a
//! group of its own with offset zero, uncorrected. The fit is least squares, computed by
//! alternating means (each overlap lane's quality the mean of its corrected scores, each
//! reviewer's offset the mean of its residuals, recentred; a fixed order and stopping
//! rule make it deterministic, which replaying a journal needs). Least squares rather
//! than alternating medians: with the usual overlap of two reviewers on a lane the two
//! agree, the least-squares fit is unique once each group's offsets sum to zero, and
//! alternating medians can settle on different fixed points from the same reviews. A
//! lane's score is then the median of its reviewers' corrected scores (clamped to
//! 0..100), which keeps one wild reviewer of three from moving it.
//!
//! **Scale.** Each lane also carries its group ([`ReviewSignal::scale`]): two lanes'
//! scores are comparable point by point only within one group. Across groups nothing
//! calibrates the difference, so ranking calls a difference within
//! [`crate::vocab::REVIEW_NOISE`] a tie on review (see `rank/review_order.rs`).

use std::collections::BTreeMap;

use crate::review::{Finding, ReviewOutput, Severity, Verdict};

use crate::vocab::{ConfirmedBlocker, ReviewSignal};

/// Lines apart two reviewers' blockers in one file may be and still be the same one.
const SAME_PLACE_LINES: u32 = 5;
/// The fit stops when no offset moves by more than this many points in a round.
const FIT_TOLERANCE: f64 = 1e-9;
/// A bound on the fit's rounds; a handful of lanes converge in far fewer.
const FIT_ROUNDS: usize = 10_000;

/// One [`ReviewSignal`] per reviewed lane. The input maps each reviewer (its model
/// ref) to the lanes it reviewed successfully and its output for each; failed reviews
/// are left out by the caller.
pub fn review_signal(
    reviews_by_reviewer: &BTreeMap<String, BTreeMap<String, ReviewOutput>>,
) -> BTreeMap<String, ReviewSignal> {
    // Lane → (reviewer, output), reviewers in model-ref order.
    let mut by_lane: BTreeMap<&str, Vec<(&str, &ReviewOutput)>> = BTreeMap::new();
    for (reviewer, lanes) in reviews_by_reviewer {
        for (lane, output) in lanes {
            by_lane.entry(lane).or_default().push((reviewer, output));
        }
    }
    let groups = calibration_groups(&by_lane);
    let offsets = fit_offsets(&by_lane, &groups);
    by_lane
        .iter()
        .map(|(lane, reviews)| {
            let corrected: Vec<f64> = reviews
                .iter()
                .map(|(r, o)| (f64::from(o.score) - offsets[r]).clamp(0.0, 100.0))
                .collect();
            let blockers = confirmed_blockers(reviews_by_reviewer, lane);
            let signal = ReviewSignal {
                score: (median(&corrected) * 10.0).round() / 10.0,
                verdict: median_verdict(reviews.iter().map(|(_, o)| o.verdict)),
                scale: Some(groups[reviews[0].0].to_string()),
                raw_scores: reviews.iter().map(|(_, o)| o.score).collect(),
                raw_verdicts: reviews.iter().map(|(_, o)| o.verdict).collect(),
                confirmed_blockers: blockers.len(),
                blockers,
                judge: None,
                reviewers: reviews.len(),
            };
            (lane.to_string(), signal)
        })
        .collect()
}

/// Each reviewer's calibration group, named by its first model ref: reviewers that
/// scored a lane together are in one group, and so, transitively, are theirs.
fn calibration_groups<'a>(
    by_lane: &BTreeMap<&str, Vec<(&'a str, &ReviewOutput)>>,
) -> BTreeMap<&'a str, &'a str> {
    let mut group: BTreeMap<&str, &str> = BTreeMap::new();
    for reviews in by_lane.values() {
        for (r, _) in reviews {
            group.entry(r).or_insert(r);
        }
    }
    // Merge until nothing changes: every reviewer of a lane takes the smallest name any
    // of them has. A few reviewers make this cheaper than a union-find is to read.
    loop {
        let mut changed = false;
        for reviews in by_lane.values() {
            let least = reviews.iter().map(|(r, _)| group[r]).min().unwrap_or_default();
            for (r, _) in reviews {
                if group[r] != least {
                    group.insert(r, least);
                    changed = true;
                }
            }
        }
        if !changed {
            return group;
        }
    }
}

/// Each reviewer's offset (leniency, in score points), fitted by least squares on the
/// lanes that two or more reviewers scored, summing to zero within each group.
/// Reviewers with no such lane get zero.
fn fit_offsets<'a>(
    by_lane: &BTreeMap<&str, Vec<(&'a str, &ReviewOutput)>>,
    groups: &BTreeMap<&'a str, &'a str>,
) -> BTreeMap<&'a str, f64> {
    let mut offsets: BTreeMap<&str, f64> = groups.keys().map(|r| (*r, 0.0)).collect();
    let overlap: Vec<&Vec<(&str, &ReviewOutput)>> = by_lane.values().filter(|r| r.len() >= 2).collect();
    if overlap.is_empty() {
        return offsets;
    }
    for _ in 0..FIT_ROUNDS {
        let quality: Vec<f64> = overlap
            .iter()
            .map(|reviews| {
                let sum: f64 = reviews.iter().map(|(r, o)| f64::from(o.score) - offsets[r]).sum();
                sum / reviews.len() as f64
            })
            .collect();
        let mut residuals: BTreeMap<&str, (f64, usize)> = BTreeMap::new();
        for (reviews, q) in overlap.iter().zip(&quality) {
            for (r, o) in reviews.iter() {
                let e = residuals.entry(r).or_default();
                e.0 += f64::from(o.score) - q;
                e.1 += 1;
            }
        }
        let mut next: BTreeMap<&str, f64> = offsets
            .keys()
            .map(|r| (*r, residuals.get(r).map_or(0.0, |(sum, n)| sum / *n as f64)))
            .collect();
        // Recentre each group: the fit only knows offsets up to a constant per group.
        let mut means: BTreeMap<&str, (f64, usize)> = BTreeMap::new();
        for (r, o) in &next {
            let e = means.entry(groups[r]).or_default();
            e.0 += o;
            e.1 += 1;
        }
        for (r, o) in next.iter_mut() {
            let (sum, n) = means[groups[r]];
            *o -= sum / n as f64;
        }
        let moved = next
            .iter()
            .map(|(r, o)| (o - offsets[r]).abs())
            .fold(0.0, f64::max);
        offsets = next;
        if moved <= FIT_TOLERANCE {
            break;
        }
    }
    offsets
}

/// The median verdict, the worse of the middle two when their number is even.
fn median_verdict(verdicts: impl Iterator<Item = Verdict>) -> Option<Verdict> {
    let mut v: Vec<Verdict> = verdicts.collect();
    v.sort_by_key(|v| verdict_rank(*v));
    v.get(v.len().checked_sub(1)? / 2).copied()
}

/// Higher is better: approve 2, request changes 1, reject 0.
pub(crate) fn verdict_rank(v: Verdict) -> u8 {
    match v {
        Verdict::Approve => 2,
        Verdict::RequestChanges => 1,
        Verdict::Reject => 0,
    }
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[mid],
        _ => (v[mid - 1] + v[mid]) / 2.0,
    }
}

/// Blockers on `lane` that at least two distinct reviewers flagged in the same file, at
/// lines within [`SAME_PLACE_LINES`] of each other or both file-wide.
fn confirmed_blockers(
    reviews: &BTreeMap<String, BTreeMap<String, ReviewOutput>>,
    lane: &str,
) -> Vec<ConfirmedBlocker> {
    let mut flagged: Vec<(&str, &Finding)> = reviews
        .iter()
        .filter_map(|(reviewer, lanes)| lanes.get(lane).map(|o| (reviewer.as_str(), o)))
        .flat_map(|(reviewer, o)| {
            o.findings
                .iter()
                .filter(|f| f.severity == Severity::Blocker)
                .map(move |f| (reviewer, f))
        })
        .collect();
    flagged.sort_by(|(ra, a), (rb, b)| (&a.file, a.line, ra).cmp(&(&b.file, b.line, rb)));
    // Each cluster is anchored at its first (smallest-line) blocker.
    let mut clusters: Vec<(&Finding, Vec<&str>)> = Vec::new();
    for (reviewer, f) in flagged {
        let same_place = |anchor: &Finding| {
            anchor.file == f.file
                && match (anchor.line, f.line) {
                    (None, None) => true,
                    (Some(a), Some(b)) => a.abs_diff(b) <= SAME_PLACE_LINES,
                    _ => false,
                }
        };
        match clusters.iter_mut().find(|(anchor, _)| same_place(anchor)) {
            Some((_, who)) if !who.contains(&reviewer) => who.push(reviewer),
            Some(_) => {}
            None => clusters.push((f, vec![reviewer])),
        }
    }
    clusters
        .into_iter()
        .filter(|(_, who)| who.len() >= 2)
        .map(|(anchor, who)| ConfirmedBlocker {
            file: anchor.file.clone(),
            line: anchor.line,
            reviewers: who.len(),
            title: anchor.title.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::{FindingSource, Verdict};

    fn out(score: u8, blockers: &[(&str, Option<u32>)]) -> ReviewOutput {
        ReviewOutput {
            verdict: Verdict::Approve,
            score,
            summary: String::new(),
            findings: blockers
                .iter()
                .map(|(file, line)| Finding {
                    severity: Severity::Blocker,
                    file: file.to_string(),
                    line: *line,
                    title: format!("bad {file}"),
                    body: String::new(),
                    suggestion: None,
                    source: FindingSource::Reviewer,
                })
                .collect(),
        }
    }

    type Reviews = BTreeMap<String, BTreeMap<String, ReviewOutput>>;

    fn reviews(rows: &[(&str, &str, ReviewOutput)]) -> Reviews {
        let mut m: Reviews = BTreeMap::new();
        for (reviewer, lane, o) in rows {
            m.entry(reviewer.to_string())
                .or_default()
                .insert(lane.to_string(), o.clone());
        }
        m
    }

    fn scores(signals: &BTreeMap<String, ReviewSignal>) -> Vec<(&str, f64)> {
        signals.iter().map(|(l, s)| (l.as_str(), s.score)).collect()
    }

    fn with_verdict(verdict: Verdict, score: u8) -> ReviewOutput {
        ReviewOutput {
            verdict,
            ..out(score, &[])
        }
    }

    #[test]
    fn calibration_table() {
        type Case = (&'static str, Reviews, Vec<(&'static str, f64)>);
        let cases: Vec<Case> = vec![
            (
                "a lone reviewer's score is kept as it is",
                reviews(&[("r1", "a", out(82, &[]))]),
                vec![("a", 82.0)],
            ),
            (
                "leniency measured on lanes both scored is taken out",
                reviews(&[
                    ("lenient", "a", out(95, &[])),
                    ("lenient", "b", out(85, &[])),
                    ("harsh", "a", out(60, &[])),
                    ("harsh", "b", out(50, &[])),
                ]),
                vec![("a", 77.5), ("b", 67.5)],
            ),
            (
                "reviewers with no lane in common are not corrected",
                reviews(&[("r1", "a", out(90, &[])), ("r2", "b", out(60, &[]))]),
                vec![("a", 90.0), ("b", 60.0)],
            ),
            (
                "the correction reaches a lane only one of them scored",
                reviews(&[
                    ("lenient", "a", out(95, &[])),
                    ("lenient", "x", out(90, &[])),
                    ("harsh", "a", out(75, &[])),
                ]),
                vec![("a", 85.0), ("x", 80.0)],
            ),
            (
                "offsets across a chain of overlaps",
                reviews(&[
                    ("r1", "a", out(90, &[])),
                    ("r1", "b", out(80, &[])),
                    ("r2", "b", out(70, &[])),
                    ("r2", "c", out(60, &[])),
                    ("r3", "c", out(50, &[])),
                    ("r3", "d", out(40, &[])),
                ]),
                // r1 +10, r2 0, r3 −10 (summing to zero): 80, 70, 60, 50.
                vec![("a", 80.0), ("b", 70.0), ("c", 60.0), ("d", 50.0)],
            ),
            (
                "corrected scores stay on 0..100",
                reviews(&[
                    ("lenient", "a", out(100, &[])),
                    ("harsh", "a", out(60, &[])),
                    ("harsh", "b", out(98, &[])),
                ]),
                vec![("a", 80.0), ("b", 100.0)],
            ),
            (
                "median of three reviewers of two lanes",
                reviews(&[
                    ("r1", "a", out(80, &[])),
                    ("r2", "a", out(80, &[])),
                    ("r3", "a", out(80, &[])),
                    ("r1", "b", out(70, &[])),
                    ("r2", "b", out(72, &[])),
                    ("r3", "b", out(20, &[])),
                ]),
                // Offsets +8, +9, −17 (r3's 20 reads partly as harshness); the medians
                // of the corrected scores (72, 71, 97 and 62, 63, 37) are not moved by
                // r3 and keep b ten points below a, as r1 and r2 have it.
                vec![("a", 72.0), ("b", 62.0)],
            ),
            (
                "median of two is the mean",
                reviews(&[("r1", "a", out(80, &[])), ("r2", "a", out(61, &[]))]),
                vec![("a", 70.5)],
            ),
        ];
        for (what, input, want) in cases {
            assert_eq!(scores(&review_signal(&input)), want, "{what}");
        }
    }

    #[test]
    fn scales_are_the_overlap_groups() {
        let signals = review_signal(&reviews(&[
            ("r1", "a", out(90, &[])),
            ("r2", "a", out(80, &[])),
            ("r2", "b", out(70, &[])),
            ("r3", "c", out(60, &[])),
            ("r4", "d", out(50, &[])),
            ("r4", "e", out(55, &[])),
        ]));
        let scales: Vec<(&str, Option<&str>)> = signals
            .iter()
            .map(|(l, s)| (l.as_str(), s.scale.as_deref()))
            .collect();
        assert_eq!(
            scales,
            [
                ("a", Some("r1")),
                ("b", Some("r1")),
                ("c", Some("r3")),
                ("d", Some("r4")),
                ("e", Some("r4")),
            ]
        );
        assert_eq!(signals["a"].raw_scores, [90, 80]);
    }

    #[test]
    fn verdict_is_the_median_ties_toward_the_worse() {
        use Verdict::{Approve as A, Reject as X, RequestChanges as R};
        let cases: Vec<(Vec<Verdict>, Verdict)> = vec![
            (vec![A], A),
            (vec![R], R),
            (vec![A, R], R),
            (vec![A, X], X),
            (vec![A, A, X], A),
            (vec![A, X, R], R),
            (vec![A, R, R, A], R),
            (vec![A, A, A, R], A),
        ];
        for (verdicts, want) in cases {
            let rows: Vec<(String, ReviewOutput)> = verdicts
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("r{i}"), with_verdict(*v, 80)))
                .collect();
            let rows: Vec<(&str, &str, ReviewOutput)> = rows
                .iter()
                .map(|(r, o)| (r.as_str(), "lane", o.clone()))
                .collect();
            assert_eq!(
                review_signal(&reviews(&rows))["lane"].verdict,
                Some(want),
                "{verdicts:?}"
            );
        }
    }

    #[test]
    fn confirmed_blockers_table() {
        type Case = (
            &'static str,
            Vec<(&'static str, Vec<(&'static str, Option<u32>)>)>,
            Vec<&'static str>,
        );
        let cases: Vec<Case> = vec![
            (
                "one reviewer is not confirmation",
                vec![("r1", vec![("src/x.rs", Some(12))])],
                vec![],
            ),
            (
                "same reviewer twice is not confirmation",
                vec![("r1", vec![("src/x.rs", Some(12)), ("src/x.rs", Some(13))])],
                vec![],
            ),
            (
                "two reviewers, lines within 5",
                vec![
                    ("r1", vec![("src/x.rs", Some(12))]),
                    ("r2", vec![("src/x.rs", Some(17))]),
                ],
                vec!["src/x.rs:12 (2 reviewers)"],
            ),
            (
                "lines 6 apart are different blockers",
                vec![
                    ("r1", vec![("src/x.rs", Some(12))]),
                    ("r2", vec![("src/x.rs", Some(18))]),
                ],
                vec![],
            ),
            (
                "different files",
                vec![
                    ("r1", vec![("src/x.rs", Some(12))]),
                    ("r2", vec![("src/y.rs", Some(12))]),
                ],
                vec![],
            ),
            (
                "both file-wide",
                vec![
                    ("r1", vec![("Cargo.toml", None)]),
                    ("r2", vec![("Cargo.toml", None)]),
                ],
                vec!["Cargo.toml (2 reviewers)"],
            ),
            (
                "file-wide and a line do not match",
                vec![("r1", vec![("a.rs", None)]), ("r2", vec![("a.rs", Some(3))])],
                vec![],
            ),
            (
                "three reviewers, two places",
                vec![
                    ("r1", vec![("a.rs", Some(40)), ("b.rs", Some(1))]),
                    ("r2", vec![("a.rs", Some(44)), ("b.rs", Some(2))]),
                    ("r3", vec![("a.rs", Some(41))]),
                ],
                vec!["a.rs:40 (3 reviewers)", "b.rs:1 (2 reviewers)"],
            ),
        ];
        for (what, by_reviewer, want) in cases {
            let rows: Vec<(&str, &str, ReviewOutput)> = by_reviewer
                .iter()
                .map(|(r, b)| (*r, "lane", out(50, b)))
                .collect();
            let signals = review_signal(&reviews(&rows));
            let got: Vec<String> = signals["lane"]
                .blockers
                .iter()
                .map(ConfirmedBlocker::place)
                .collect();
            assert_eq!(got, want, "{what}");
            assert_eq!(signals["lane"].confirmed_blockers, want.len(), "{what}");
            assert_eq!(signals["lane"].reviewers, by_reviewer.len(), "{what}");
        }
    }
}
