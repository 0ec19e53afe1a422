//! Judging a race's close calls: the finalists (lanes within the reviewers' noise of each
//! other) are compared pairwise by a judge of a third lab, each pair in both orders; a win
//! counts only when both orders agree, and Bradley–Terry over the agreed wins orders them.

use std::collections::HashMap;

use super::finalists::{finalists, DEFAULT_NOISE};
use super::outcome::{JudgeOutcome, JudgeWinner};
use super::request::{judge_request, parse_judge};
use super::strength::apply_judging;
use crate::provider::{chat_with_fallback, ChatResponse, Client};
use crate::review::Reviewer;
use crate::vocab::{LaneResult, Leaderboard, RaceEvent};

/// What judging needs to know about each lane: its diff and its author's lab.
pub struct Candidate {
    /// The lane's name.
    pub lane: String,
    /// Its diff against the race's base, as its reviewers saw it.
    pub diff: String,
    /// The lab that wrote it; the judge must be of another.
    pub author_lab: Option<String>,
}

/// Judges the close calls among `results` (`board` is how they rank before judging),
/// emitting one `Judged` event per comparison, and records the agreed wins on them for
/// the ranking that follows.
pub async fn judge_close_calls(
    judge: &Reviewer,
    spec: &str,
    candidates: &[Candidate],
    board: &Leaderboard,
    results: &mut [LaneResult],
    seed: u64,
    emit: &mut dyn FnMut(RaceEvent),
) {
    let finalists = finalists(board, results, DEFAULT_NOISE);
    if finalists.len() < 2 {
        return;
    }
    let by_lane: HashMap<&str, &Candidate> = candidates.iter().map(|c| (c.lane.as_str(), c)).collect();
    let mut outcomes = Vec::new();
    for (i, a) in finalists.iter().enumerate() {
        for b in &finalists[i + 1..] {
            let (Some(ca), Some(cb)) = (by_lane.get(a.as_str()), by_lane.get(b.as_str())) else {
                continue;
            };
            // A third lab: never one of the two authors'.
            if [&ca.author_lab, &cb.author_lab]
                .iter()
                .any(|l| l.as_deref() == Some(judge.lab.as_str()))
            {
                emit(RaceEvent::Judged {
                    judge: judge.name.clone(),
                    first: a.clone(),
                    second: b.clone(),
                    winner: None,
                    reason: format!("not judged: the judge's lab ({}) wrote one of them", judge.lab),
                });
                continue;
            }
            let first = ask(judge, spec, ca, cb, seed ^ (i as u64), emit).await;
            let second = ask(judge, spec, cb, ca, seed ^ (i as u64).rotate_left(17), emit).await;
            outcomes.push(JudgeOutcome::from_verdicts(a, b, first, second));
        }
    }
    apply_judging(results, &outcomes);
}

/// One presentation of a pair: `shown_a` as "A". A failed or malformed answer is a tie:
/// nothing is guessed.
async fn ask(
    judge: &Reviewer,
    spec: &str,
    shown_a: &Candidate,
    shown_b: &Candidate,
    seed: u64,
    emit: &mut dyn FnMut(RaceEvent),
) -> JudgeWinner {
    let model = judge.chain.first().map(|l| l.model.clone()).unwrap_or_default();
    let nonce = crate::review::nonce(seed);
    let request = judge_request(spec, &shown_a.diff, &shown_b.diff, "A", "B", &model, &nonce);
    let chain: Vec<(&Client, &str)> = judge
        .chain
        .iter()
        .map(|l| (l.client.as_ref(), l.model.as_str()))
        .collect();
    let reply: Result<ChatResponse, String> = chat_with_fallback(&chain, &request, &mut |_| {})
        .await
        .map(|o| o.response)
        .map_err(|e| e.to_string());
    let (winner, reason) = match reply.map(|r| parse_judge(r.structured.as_ref(), &r.text)) {
        Ok(Ok(verdict)) => (verdict.winner, verdict.reason),
        Ok(Err(problems)) => (
            JudgeWinner::Tie,
            format!("malformed answer, counted as a tie: {}", problems.join("; ")),
        ),
        Err(e) => (JudgeWinner::Tie, format!("no answer, counted as a tie: {e}")),
    };
    emit(RaceEvent::Judged {
        judge: judge.name.clone(),
        first: shown_a.lane.clone(),
        second: shown_b.lane.clone(),
        winner: match winner {
            JudgeWinner::A => Some(shown_a.lane.clone()),
            JudgeWinner::B => Some(shown_b.lane.clone()),
            JudgeWinner::Tie => None,
        },
        reason,
    });
    winner
}
