//! A race's standings as a pure function of its journal: each lane's result folded from
//! its events ([`LaneSummary::result`]), the review signals computed across lanes, the
//! judge's comparisons applied, and the leaderboard. The live coordinator ranks with
//! this over the events it stamped; a journal read back ranks the same way.

use std::collections::BTreeMap;

use crate::journal::{Comparison, LaneSummary, RaceRecord, RaceSummary};
use crate::rank;
use crate::review::judge::{self, JudgeOutcome};
use crate::vocab::{LaneResult, Leaderboard, ReviewOutput, ReviewRecord};

/// The ranked race: every lane's result (review signal and judging included), in the
/// race's lane order, and the leaderboard made of them.
#[derive(Clone, Debug, PartialEq)]
pub struct Standings {
    pub results: Vec<LaneResult>,
    pub leaderboard: Leaderboard,
}

/// Ranks the race that `summary` folds, as `record` describes it.
pub fn standings(record: &RaceRecord, summary: &RaceSummary) -> Standings {
    let mut results = lane_results(record, summary);
    judge::apply_judging(&mut results, &judge_outcomes(&summary.comparisons));
    let mut leaderboard = rank::rank(&results);
    for row in &mut leaderboard.rows {
        let (Some(lane), Some(s)) = (record.lane(&row.lane), summary.lanes.get(&row.lane)) else {
            continue;
        };
        if let (Some(synthesis), false) = (&lane.synthesis, s.synthesis_of.is_empty()) {
            row.reason = format!(
                "{} (synthesis of {} by {})",
                row.reason,
                s.synthesis_of.join(" + "),
                synthesis.model
            );
        }
    }
    Standings { results, leaderboard }
}

/// Every lane's result with its review signal, before judging.
pub fn lane_results(record: &RaceRecord, summary: &RaceSummary) -> Vec<LaneResult> {
    let empty = LaneSummary::default();
    let lanes: Vec<(&str, &LaneSummary)> = record
        .lanes
        .iter()
        .map(|l| (l.name.as_str(), summary.lanes.get(&l.name).unwrap_or(&empty)))
        .collect();
    let reviews: Vec<ReviewRecord> = lanes.iter().flat_map(|(name, s)| s.lane_reviews(name)).collect();
    let signals = rank::review_signal(&by_reviewer(&reviews));
    record
        .lanes
        .iter()
        .zip(&lanes)
        .map(|(l, (name, s))| {
            let mut result = s.result(name, record.tests_may_change);
            if result.agent.is_empty() {
                // A lane the journal never announced keeps the record's name for its agent.
                result.agent = l.agent.clone();
            }
            result.review = signals.get(*name).cloned();
            result
        })
        .collect()
}

/// The judge's verdicts, pair by pair: a comparison in one order followed by the same
/// pair in the other. A comparison without its reverse (a pair the judge was not allowed
/// to judge) is no outcome.
pub fn judge_outcomes(comparisons: &[Comparison]) -> Vec<JudgeOutcome> {
    comparisons
        .windows(2)
        .filter(|w| w[0].judge == w[1].judge && w[0].first == w[1].second && w[0].second == w[1].first)
        .map(|w| JudgeOutcome {
            a: w[0].first.clone(),
            b: w[0].second.clone(),
            ab_winner: w[0].winner.clone(),
            ba_winner: w[1].winner.clone(),
        })
        .collect()
}

/// Successful reviews, by reviewer then lane, as ranking reads them.
fn by_reviewer(reviews: &[ReviewRecord]) -> BTreeMap<String, BTreeMap<String, ReviewOutput>> {
    let mut out: BTreeMap<String, BTreeMap<String, ReviewOutput>> = BTreeMap::new();
    for r in reviews {
        if let (Ok(output), Some(lane)) = (&r.output, &r.lane) {
            out.entry(r.reviewer.clone())
                .or_default()
                .insert(lane.clone(), output.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(first: &str, second: &str, winner: Option<&str>) -> Comparison {
        Comparison {
            judge: "google/gemini-3-pro".into(),
            first: first.into(),
            second: second.into(),
            winner: winner.map(str::to_string),
        }
    }

    #[test]
    fn a_pair_is_a_comparison_and_its_reverse() {
        let comparisons = vec![
            // Not allowed to judge: no reverse follows.
            cmp("a", "c", None),
            cmp("a", "b", Some("a")),
            cmp("b", "a", Some("a")),
            cmp("b", "c", Some("b")),
            cmp("c", "b", None),
        ];
        let outcomes = judge_outcomes(&comparisons);
        assert_eq!(outcomes.len(), 2, "{outcomes:?}");
        assert_eq!((outcomes[0].a.as_str(), outcomes[0].b.as_str()), ("a", "b"));
        assert_eq!(outcomes[0].ab_winner.as_deref(), Some("a"));
        assert_eq!(outcomes[0].ba_winner.as_deref(), Some("a"));
        assert_eq!(outcomes[1].ab_winner.as_deref(), Some("b"));
        assert_eq!(outcomes[1].ba_winner, None);
    }
}
