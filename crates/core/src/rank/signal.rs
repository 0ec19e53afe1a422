//! From reviews to the [`ReviewSignal`] ranking uses: each reviewer's scores normalised
//! across the lanes it scored, the median over a lane's reviewers, and the blockers that
//! two or more reviewers agree on.
//!
//! Normalisation is a z-score with a floor on the spread, mapped linearly to 0..1:
//! `0.5 + (score − mean) / max(sd, 10) / 4`, clamped. Centering removes a reviewer's
//! leniency (one that gives everything 90 and one that gives everything 60 agree on a
//! lane that is average for both); dividing by the spread puts a reviewer that uses
//! 40..100 and one that uses 70..80 on one scale. The floor of 10 points keeps a
//! reviewer that scored two lanes 90 and 89 from calling that a two-sigma difference,
//! and ±2 floored sigmas span the whole 0..1. A reviewer that scored only one lane has
//! nothing to normalise against and keeps `score / 100`.

use std::collections::BTreeMap;

use crate::review::{Finding, ReviewOutput, Severity};

use crate::vocab::{ConfirmedBlocker, ReviewSignal};

/// The smallest spread, in score points, a reviewer's scores are divided by.
const SPREAD_FLOOR: f64 = 10.0;
/// Lines apart two reviewers' blockers in one file may be and still be the same one.
const SAME_PLACE_LINES: u32 = 5;

/// One [`ReviewSignal`] per reviewed lane. The input maps each reviewer (its model
/// ref) to the lanes it reviewed successfully and its output for each; failed reviews
/// are left out by the caller.
pub fn review_signal(
    reviews_by_reviewer: &BTreeMap<String, BTreeMap<String, ReviewOutput>>,
) -> BTreeMap<String, ReviewSignal> {
    let mut normalised: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for lanes in reviews_by_reviewer.values() {
        for (lane, score) in normalise(lanes) {
            normalised.entry(lane).or_default().push(score);
        }
    }
    normalised
        .into_iter()
        .map(|(lane, scores)| {
            let blockers = confirmed_blockers(reviews_by_reviewer, lane);
            let signal = ReviewSignal {
                score: median(&scores),
                confirmed_blockers: blockers.len(),
                blockers,
                judge: None,
                reviewers: scores.len(),
            };
            (lane.to_string(), signal)
        })
        .collect()
}

/// One reviewer's scores on 0..1, per lane.
fn normalise(lanes: &BTreeMap<String, ReviewOutput>) -> Vec<(&str, f64)> {
    let raw: Vec<(&str, f64)> = lanes
        .iter()
        .map(|(l, o)| (l.as_str(), f64::from(o.score)))
        .collect();
    if raw.len() == 1 {
        return vec![(raw[0].0, raw[0].1 / 100.0)];
    }
    let n = raw.len() as f64;
    let mean = raw.iter().map(|(_, s)| s).sum::<f64>() / n;
    let sd = (raw.iter().map(|(_, s)| (s - mean).powi(2)).sum::<f64>() / n).sqrt();
    let spread = sd.max(SPREAD_FLOOR);
    raw.into_iter()
        .map(|(lane, s)| (lane, (0.5 + (s - mean) / spread / 4.0).clamp(0.0, 1.0)))
        .collect()
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
        signals
            .iter()
            .map(|(l, s)| (l.as_str(), (s.score * 1000.0).round() / 1000.0))
            .collect()
    }

    #[test]
    fn normalisation_table() {
        type Case = (&'static str, Reviews, Vec<(&'static str, f64)>);
        let cases: Vec<Case> = vec![
            (
                "one lane keeps score/100",
                reviews(&[("r1", "a", out(82, &[]))]),
                vec![("a", 0.82)],
            ),
            (
                "leniency removed: both reviewers agree",
                reviews(&[
                    ("lenient", "a", out(95, &[])),
                    ("lenient", "b", out(85, &[])),
                    ("harsh", "a", out(60, &[])),
                    ("harsh", "b", out(50, &[])),
                ]),
                vec![("a", 0.625), ("b", 0.375)],
            ),
            (
                "spread floor: 90 vs 88 is nearly a tie",
                reviews(&[("r1", "a", out(90, &[])), ("r1", "b", out(88, &[]))]),
                vec![("a", 0.525), ("b", 0.475)],
            ),
            (
                "wide spread uses the real sd",
                reviews(&[("r1", "a", out(100, &[])), ("r1", "b", out(40, &[]))]),
                vec![("a", 0.75), ("b", 0.25)],
            ),
            (
                "median of three reviewers",
                reviews(&[
                    ("r1", "a", out(80, &[])),
                    ("r2", "a", out(20, &[])),
                    ("r3", "a", out(70, &[])),
                ]),
                vec![("a", 0.7)],
            ),
            (
                "median of two is the mean",
                reviews(&[("r1", "a", out(80, &[])), ("r2", "a", out(60, &[]))]),
                vec![("a", 0.7)],
            ),
        ];
        for (what, input, want) in cases {
            assert_eq!(scores(&review_signal(&input)), want, "{what}");
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
