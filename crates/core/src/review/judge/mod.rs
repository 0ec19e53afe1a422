//! The judge of close calls: which lanes are finalists (within the reviewers' noise of the
//! leader), the pairwise request to a model of a third lab and its strict parser, counting
//! a win only when both presentation orders agree, Bradley–Terry strengths over the agreed
//! wins, and [`judge_close_calls`], which asks the judge and records its verdicts on the
//! lanes.
//!
//! The coordinator's loop is: `rank` → [`finalists`] → for each pair, two
//! [`judge_request`]s (A/B, then swapped) → [`JudgeOutcome::from_verdicts`] →
//! [`apply_judging`] → `rank` again. Judging reads the leaderboard and writes the lanes'
//! [`JudgeSignal`](crate::vocab::JudgeSignal); it never ranks, so it does not import
//! `rank`.

mod close_calls;
mod finalists;
mod outcome;
mod request;
mod strength;

pub use close_calls::{judge_close_calls, Candidate};
pub use finalists::{finalists, DEFAULT_NOISE};
pub use outcome::{agreed_wins, JudgeOutcome, JudgeVerdict, JudgeWinner};
pub use request::{judge_request, judge_schema, parse_judge};
pub use strength::{apply_judging, bradley_terry};
