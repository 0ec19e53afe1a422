//! Which lanes are a close call: the finalists at the top of the leaderboard whose
//! reviews are within the reviewers' noise of the leader's, the only lanes worth a judge.

use crate::vocab::{LaneResult, Leaderboard, Verdict, REVIEW_NOISE};

/// A suggested noise for [`finalists`], in review-score points (the reviewers' 0..100
/// scale): lanes of one verdict whose scores differ by no more than this are a close
/// call. Reviewers of one diff commonly disagree by 10 points or more, and it is the
/// margin within which ranking calls lanes with no shared reviewer a tie on review.
pub const DEFAULT_NOISE: f64 = REVIEW_NOISE;

/// The lanes of a close call, best first: the gated-in lanes of the leader's tier on
/// `board` (`lanes` as ranked before judging), with no confirmed blocker, the leader's
/// verdict and a review score within `noise` points of the leader's. Empty unless there
/// are at least two. (It takes the lane results besides the leaderboard because
/// leaderboard rows do not carry the review.)
pub fn finalists(board: &Leaderboard, lanes: &[LaneResult], noise: f64) -> Vec<String> {
    let review = |name: &str| -> Option<(Option<Verdict>, f64)> {
        let lane = lanes.iter().find(|l| l.lane == name)?;
        let review = lane.review.as_ref()?;
        (review.confirmed_blockers == 0 && review.score.is_finite()).then_some((review.verdict, review.score))
    };
    let Some(first) = board.rows.first().filter(|r| r.gates_failed.is_empty()) else {
        return Vec::new();
    };
    let Some((verdict, top)) = review(&first.lane) else {
        return Vec::new();
    };
    // Lanes tied on review may sit in any order below the leader (the next key decided),
    // so the close call is every such row, not only a run from the top.
    let close: Vec<String> = board
        .rows
        .iter()
        .take_while(|r| r.gates_failed.is_empty() && r.tier == first.tier)
        .filter(|r| review(&r.lane).is_some_and(|(v, s)| v == verdict && (top - s).abs() <= noise))
        .map(|r| r.lane.clone())
        .collect();
    if close.len() >= 2 {
        close
    } else {
        Vec::new()
    }
}
