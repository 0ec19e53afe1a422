//! The leaderboard put together: lanes assessed, laid out by the chain of keys
//! ([`arrange`], over `order`'s keys), and each row given the one-line reason ([`explain`]) for its place.

use super::assess::Assessed;
use super::reason::explain;
use super::review_order::arrange;
use crate::vocab::{LaneResult, Leaderboard, ReviewMark, Row, LEADERBOARD_FORMAT};

/// Ranks lanes: gated-in lanes first, then by tier, confirmed blockers, pairwise judging
/// (finalists only), review (verdict, then a score difference that counts; when there is
/// one), cost (unknown last), diff size,
/// time and lane name. Without reviews this is exactly ranking v1. Pure and deterministic: the same
/// lanes in any order give the same leaderboard.
pub fn rank(lanes: &[LaneResult]) -> Leaderboard {
    let assessed = arrange(lanes.iter().map(Assessed::new).collect());
    let rows: Vec<Row> = assessed
        .iter()
        .enumerate()
        .map(|(i, a)| Row {
            position: i + 1,
            lane: a.lane.lane.clone(),
            agent: a.lane.agent.clone(),
            provenance: a.lane.provenance.clone(),
            tier: a.tier,
            passed: a.gated_in() && a.tier == super::Tier::Full,
            gates_failed: a.gates_failed.clone(),
            reason: with_round(a.lane.fix_rounds, explain(&assessed, i)),
            cost_usd: a.cost_usd,
            diff_lines: a.diff_lines,
            elapsed_ms: a.lane.elapsed_ms,
            checks_passed: a.checks_passed,
            checks_total: a.checks_total,
            fix_rounds: a.lane.fix_rounds,
            agent_error: a.lane.agent_error.clone(),
            reviews: a
                .lane
                .review
                .as_ref()
                .map(|r| {
                    r.raw_verdicts
                        .iter()
                        .zip(&r.raw_scores)
                        .map(|(&verdict, &score)| ReviewMark { verdict, score })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    let winner = rows.first().filter(|r| r.passed).map(|r| r.lane.clone());
    Leaderboard {
        format: LEADERBOARD_FORMAT,
        rows,
        winner,
    }
}

/// A lane that had fix rounds is ranked on its last: the reason says which ("round 2:
/// …"), so a reader knows the lane needed the reviewers' help to get there.
fn with_round(fix_rounds: u32, reason: String) -> String {
    if fix_rounds == 0 {
        reason
    } else {
        format!("round {}: {reason}", fix_rounds + 1)
    }
}
