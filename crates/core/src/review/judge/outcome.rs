//! The judge's answers and what counts of them: a pair is shown in both orders, and a win
//! counts only when both orders agree, because position bias is large (MT-Bench: GPT-4
//! consistent on swap only 65% of the time).

use serde::{Deserialize, Serialize};

/// The judge's answer to one presentation of a pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JudgeWinner {
    A,
    B,
    #[serde(rename = "tie")]
    Tie,
}

/// A validated judge reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JudgeVerdict {
    pub winner: JudgeWinner,
    pub reason: String,
}

/// One pair judged in both orders, in lane names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JudgeOutcome {
    pub a: String,
    pub b: String,
    /// The lane preferred when `a` was shown as "A"; `None` for a tie.
    pub ab_winner: Option<String>,
    /// The lane preferred when `b` was shown as "A"; `None` for a tie.
    pub ba_winner: Option<String>,
}

impl JudgeOutcome {
    /// From the judge's two answers: `first` with `a` shown as "A", `second` with `b`
    /// shown as "A".
    pub fn from_verdicts(a: &str, b: &str, first: JudgeWinner, second: JudgeWinner) -> JudgeOutcome {
        let pick = |shown_a: &str, shown_b: &str, w: JudgeWinner| match w {
            JudgeWinner::A => Some(shown_a.to_string()),
            JudgeWinner::B => Some(shown_b.to_string()),
            JudgeWinner::Tie => None,
        };
        JudgeOutcome {
            a: a.to_string(),
            b: b.to_string(),
            ab_winner: pick(a, b, first),
            ba_winner: pick(b, a, second),
        }
    }

    /// (winner, loser) when both orders preferred the same lane.
    pub fn agreed(&self) -> Option<(String, String)> {
        match (&self.ab_winner, &self.ba_winner) {
            (Some(x), Some(y)) if x == y => {
                let loser = if *x == self.a { &self.b } else { &self.a };
                Some((x.clone(), loser.clone()))
            }
            _ => None,
        }
    }
}

/// The wins that count: one per pair whose two orders agree.
pub fn agreed_wins(outcomes: &[JudgeOutcome]) -> Vec<(String, String)> {
    outcomes.iter().filter_map(JudgeOutcome::agreed).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agreement_table() {
        use JudgeWinner::{Tie, A, B};
        type Case = (JudgeWinner, JudgeWinner, Option<(&'static str, &'static str)>);
        let cases: &[Case] = &[
            (A, B, Some(("x", "y"))), // x shown first won, then x shown second won
            (B, A, Some(("y", "x"))),
            (A, A, None), // position bias: "first" both times
            (B, B, None),
            (A, Tie, None),
            (Tie, Tie, None),
        ];
        for (first, second, want) in cases {
            let o = JudgeOutcome::from_verdicts("x", "y", *first, *second);
            let want = want.map(|(w, l)| (w.to_string(), l.to_string()));
            assert_eq!(o.agreed(), want, "{first:?} {second:?}");
        }
    }
}
