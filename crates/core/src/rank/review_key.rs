//! Which review differences count. Two reviewed lanes are compared on their verdicts
//! first, then on their scores — but a score difference counts only when something
//! calibrates it: the lanes' reviewers are in one calibration group
//! ([`ReviewSignal::scale`](crate::vocab::ReviewSignal)), or the scores are more than
//! [`REVIEW_NOISE`] points apart. Otherwise the difference may be nothing but two
//! reviewers' leniency, and the lanes tie on review: cost, diff size and time (or the
//! judge, for the finalists) decide.
//!
//! Sorting needs the rule to be a total preorder, and "within the noise across groups"
//! is not transitive on its own (81 ties 89, 89 ties 97, 81 does not tie 97). So each
//! lane gets a key. Among the lanes that the earlier keys (gates, tier, blockers,
//! judging) leave equal, the lanes of one verdict are taken best score first and cut
//! into close calls: a close call is the best lane not yet placed and every lane within
//! the noise of it. A close call whose lanes are all of one group is ordered by score;
//! one that mixes groups is a tie. Close calls are ordered by their best score, so any
//! lane of a close call is ahead of every lane of the next.

use std::collections::BTreeMap;

use super::assess::Assessed;
use super::order::ahead_of_review;
use super::signal::verdict_rank;
use crate::vocab::REVIEW_NOISE;

/// Where a reviewed lane stands on review; greater is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ReviewKey {
    /// `verdict_rank`, with 0 for a lane whose verdict is unknown, below a reject.
    verdict: u8,
    /// Close calls, best first, counted down so that greater is better.
    close_call: i64,
    /// The score in tenths inside a close call of one group; 0 in a mixed one.
    score: i64,
}

/// A score in tenths of a point, the resolution signals are kept at.
pub(crate) fn tenths(score: f64) -> i64 {
    (score * 10.0).round() as i64
}

/// The review key of every lane of `lanes` (in their order); `None` for an unreviewed
/// lane or one without a finite score.
pub(crate) fn review_keys(lanes: &[Assessed]) -> Vec<Option<ReviewKey>> {
    let mut keys = vec![None; lanes.len()];
    let mut peers: BTreeMap<_, Vec<usize>> = BTreeMap::new();
    for (i, a) in lanes.iter().enumerate() {
        if a.lane.review.as_ref().is_some_and(|r| r.score.is_finite()) {
            peers.entry(ahead_of_review(a)).or_default().push(i);
        }
    }
    let noise = tenths(REVIEW_NOISE);
    for mut group in peers.into_values() {
        let verdict = |i: usize| {
            let review = lanes[i].lane.review.as_ref().expect("reviewed");
            review.verdict.map_or(0, |v| verdict_rank(v) + 1)
        };
        let score = |i: usize| tenths(lanes[i].lane.review.as_ref().expect("reviewed").score);
        group.sort_by_key(|&i| (std::cmp::Reverse((verdict(i), score(i))), &lanes[i].lane.lane));
        let mut rest = group.as_slice();
        let mut count = 0i64;
        while let Some(&top) = rest.first() {
            let size = rest
                .iter()
                .take_while(|&&i| verdict(i) == verdict(top) && score(top) - score(i) <= noise)
                .count();
            let (close, after) = rest.split_at(size);
            let scale = |i: usize| lanes[i].lane.review.as_ref().and_then(|r| r.scale.as_deref());
            let calibrated = scale(top).is_some() && close.iter().all(|&i| scale(i) == scale(top));
            count -= 1;
            for &i in close {
                keys[i] = Some(ReviewKey {
                    verdict: verdict(i),
                    close_call: count,
                    score: if calibrated { score(i) } else { 0 },
                });
            }
            rest = after;
        }
    }
    keys
}

/// Why two reviewed lanes with these keys tie on review although their scores differ,
/// or `None` when they do not tie or their scores are equal.
pub(crate) fn why_tied(a: &Assessed, b: &Assessed) -> Option<&'static str> {
    let (ra, rb) = (a.lane.review.as_ref()?, b.lane.review.as_ref()?);
    if a.review_key != b.review_key || a.review_key.is_none() || tenths(ra.score) == tenths(rb.score) {
        return None;
    }
    if ra.scale.is_some() && ra.scale == rb.scale {
        // One group, but a close call with a lane of another group.
        Some("close to a lane of other reviewers")
    } else {
        Some("no shared reviewer")
    }
}
