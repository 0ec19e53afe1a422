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

/// The judge's chain as one pair may use it: the judge itself (already known to be of
/// neither author's lab), then only the fallbacks of a third lab. A fallback of a lab
/// bakeoff cannot tell is dropped too: it could be one of the authors'.
fn third_lab_chain<'a>(judge: &'a Reviewer, pair: [&Candidate; 2]) -> Vec<(&'a Client, &'a str)> {
    judge
        .chain
        .iter()
        .enumerate()
        .filter(|(i, link)| {
            *i == 0
                || pair
                    .iter()
                    .all(|c| crate::review::is_cross_lab(c.author_lab.as_deref(), &link.lab))
        })
        .map(|(_, l)| (l.client.as_ref(), l.model.as_str()))
        .collect()
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
    let chain = third_lab_chain(judge, [shown_a, shown_b]);
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::provider::{ClientOptions, ProviderSpec, WireFormat};
    use crate::review::ChainLink;

    fn link(model: &str, lab: &str) -> ChainLink {
        let spec = ProviderSpec {
            name: lab.into(),
            format: WireFormat::OpenAiChat,
            base_url: "http://127.0.0.1:9".into(),
            key_vars: vec![],
            key_optional: true,
            legacy_max_tokens: false,
        };
        ChainLink {
            client: Arc::new(Client::new(spec, None, ClientOptions::default()).unwrap()),
            model: model.into(),
            name: format!("{lab}/{model}"),
            lab: lab.into(),
        }
    }

    fn candidate(lane: &str, lab: &str) -> Candidate {
        Candidate {
            lane: lane.into(),
            diff: String::new(),
            author_lab: Some(lab.into()),
        }
    }

    #[test]
    fn a_judges_fallbacks_of_either_authors_lab_or_of_no_known_lab_are_never_asked() {
        let judge = Reviewer {
            name: "google/gemini-3-pro".into(),
            lab: "google".into(),
            chain: vec![
                link("gemini-3-pro", "google"),
                link("claude-opus-4-6", "anthropic"),
                link("gpt-5.5", "openai"),
                link("mystery", "unknown"),
                link("mistral-large", "mistral"),
            ],
        };
        let (a, b) = (candidate("a", "anthropic"), candidate("b", "openai"));
        let asked: Vec<&str> = third_lab_chain(&judge, [&a, &b])
            .iter()
            .map(|(_, m)| *m)
            .collect();
        assert_eq!(asked, ["gemini-3-pro", "mistral-large"]);
    }
}
