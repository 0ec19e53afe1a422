//! Which review differences count, and the order they make. Two reviewed lanes are
//! compared on their verdicts first, then on their scores — but a score difference
//! counts only when something calibrates it: the lanes' reviewers are of one
//! calibration group ([`ReviewSignal::scale`](crate::vocab::ReviewSignal)), or the
//! scores are more than [`REVIEW_NOISE`] points apart. Otherwise the difference may be
//! nothing but two reviewers' leniency, and the lanes tie on review: cost, diff size
//! and time (or the judge, for the finalists) decide.
//!
//! "Better on review" is a strict partial order: if x is better than y and y than z,
//! then x's score is above z's, and either x and z are of one group or one of the two
//! steps was more than the noise. It is not a ranking on its own: ties are not
//! transitive (81 ties 89 of another group, 89 ties 97, yet 97 beats 81 of its own
//! group), so no sort by a comparison can use it. [`arrange`] lays the lanes out
//! instead: among the lanes the earlier keys (gates, tier, blockers, judging) leave
//! equal, it repeatedly takes, of the lanes no remaining lane is better than on review,
//! the one the later keys prefer. Every lane is then below every lane that is better
//! on review, and a row that follows another it ties with on review lost to it on the
//! later keys, so the reason can say so.

use std::cmp::Ordering;

use super::assess::Assessed;
use super::order::{after_review, ahead_of_review};
use super::signal::verdict_rank;
use crate::vocab::{ReviewSignal, REVIEW_NOISE};

/// A score in tenths of a point, the resolution signals are kept at.
fn tenths(score: f64) -> i64 {
    (score * 10.0).round() as i64
}

/// `Less` when `a` is better than `b` on review, `Greater` when worse, `Equal` when
/// neither is: same verdict and a score difference that does not count, or both
/// unreviewed. A reviewed lane is better than an unreviewed one.
pub(crate) fn review_order(a: &Assessed, b: &Assessed) -> Ordering {
    let (ra, rb) = match (reviewed(a), reviewed(b)) {
        (Some(ra), Some(rb)) => (ra, rb),
        (Some(_), None) => return Ordering::Less,
        (None, Some(_)) => return Ordering::Greater,
        (None, None) => return Ordering::Equal,
    };
    // An unknown verdict (a signal from before verdicts were kept) is below a reject.
    let verdict = |r: &ReviewSignal| r.verdict.map_or(0, |v| verdict_rank(v) + 1);
    let by_verdict = verdict(rb).cmp(&verdict(ra));
    if by_verdict.is_ne() {
        return by_verdict;
    }
    let (sa, sb) = (tenths(ra.score), tenths(rb.score));
    let calibrated = ra.scale.is_some() && ra.scale == rb.scale;
    if calibrated || (sa - sb).abs() > tenths(REVIEW_NOISE) {
        sb.cmp(&sa)
    } else {
        Ordering::Equal
    }
}

/// The lane's review, if it has a usable score.
fn reviewed<'a>(a: &Assessed<'a>) -> Option<&'a ReviewSignal> {
    a.lane.review.as_ref().filter(|r| r.score.is_finite())
}

/// Why two reviewed lanes tie on review: `no shared reviewer` when nothing calibrates
/// their scores against each other (said even when the scores are equal: they are on
/// two scales); `None` when they do not tie, or tie with equal scores on one scale.
pub(crate) fn why_tied(a: &Assessed, b: &Assessed) -> Option<&'static str> {
    let (ra, rb) = (a.lane.review.as_ref()?, b.lane.review.as_ref()?);
    if review_order(a, b).is_ne() {
        return None;
    }
    (ra.scale.is_none() || ra.scale != rb.scale).then_some("no shared reviewer")
}

/// The lanes in leaderboard order: by the keys before the review, then, within lanes
/// those leave equal, a linear extension of "better on review" that follows the keys
/// after it wherever the review leaves a choice.
pub(crate) fn arrange(mut lanes: Vec<Assessed<'_>>) -> Vec<Assessed<'_>> {
    lanes.sort_by(|a, b| {
        ahead_of_review(a)
            .cmp(&ahead_of_review(b))
            .then_with(|| after_review(a, b))
    });
    let mut out = Vec::with_capacity(lanes.len());
    let mut lanes = lanes.into_iter().peekable();
    while let Some(first) = lanes.next() {
        let key = ahead_of_review(&first);
        let mut rest = vec![first];
        while let Some(next) = lanes.next_if(|l| ahead_of_review(l) == key) {
            rest.push(next);
        }
        // `rest` is in the later keys' order, so the first lane nothing beats on
        // review is the one they prefer. A strict partial order always has one.
        while !rest.is_empty() {
            let i = (0..rest.len())
                .find(|&i| !rest.iter().any(|other| review_order(other, &rest[i]).is_lt()))
                .unwrap_or(0);
            out.push(rest.remove(i));
        }
    }
    out
}
