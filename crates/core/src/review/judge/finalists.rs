//! Which lanes are a close call: the finalists at the top of the leaderboard whose review
//! scores are within the reviewers' noise of the leader's, the only lanes worth a judge.

use crate::vocab::{LaneResult, Leaderboard};

/// A suggested noise for [`finalists`], in normalised review-score units: lanes whose
/// medians differ by less than this are a close call. Reviewers of one diff commonly
/// disagree by 10 points or more; after normalisation that is about 0.05..0.25.
pub const DEFAULT_NOISE: f64 = 0.05;

/// The lanes of a close call, best first: the gated-in lanes of the leader's tier on
/// `board` (`lanes` as ranked before judging), with no confirmed blocker and a review
/// score within `noise` of the leader's. Empty unless there are at least two. (It takes
/// the lane results besides the leaderboard because leaderboard rows do not carry the
/// review score.)
pub fn finalists(board: &Leaderboard, lanes: &[LaneResult], noise: f64) -> Vec<String> {
    let score = |name: &str| -> Option<f64> {
        let lane = lanes.iter().find(|l| l.lane == name)?;
        let review = lane.review.as_ref()?;
        (review.confirmed_blockers == 0 && review.score.is_finite()).then_some(review.score)
    };
    let Some(first) = board.rows.first().filter(|r| r.gates_failed.is_empty()) else {
        return Vec::new();
    };
    let Some(top) = score(&first.lane) else {
        return Vec::new();
    };
    let close: Vec<String> = board
        .rows
        .iter()
        .take_while(|r| r.gates_failed.is_empty() && r.tier == first.tier)
        .take_while(|r| score(&r.lane).is_some_and(|s| top - s <= noise))
        .map(|r| r.lane.clone())
        .collect();
    if close.len() >= 2 {
        close
    } else {
        Vec::new()
    }
}
