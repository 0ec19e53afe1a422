//! Cross-lab review, in one home. The pure parts: choosing reviewers of other labs than
//! the author's (`select`), assembling the request with the diff fenced as data
//! (`prompt`), splitting large diffs (`split`), scanning for text aimed at the reviewer
//! (`injection`) and validating the structured verdict (`verdict`). Around them:
//! [`reviewer`], one reviewer reviewing one diff end to end over its provider chain;
//! [`pool`], the reviewers built from config into a [`ReviewPlan`]; [`judge`], pairwise
//! judging of a race's close calls; [`report`], the renderings of a review; and
//! [`pipeline`], `bakeoff review` from start to verdict. A race's lanes use the plan and
//! the reviewer; the race's coordinator calls the judge.
//!
//! Nothing here imports the race, the ranking or the journal: judging reads and writes
//! only the vocabulary's [`LaneResult`](crate::vocab::LaneResult) and
//! [`Leaderboard`](crate::vocab::Leaderboard).

mod diff;
mod injection;
pub mod judge;
pub mod pipeline;
pub mod pool;
mod prompt;
pub mod report;
pub mod reviewer;
pub mod secrets;
mod select;
mod split;
mod verdict;

pub use crate::vocab::{Finding, FindingSource, ReviewOutput, ReviewRecord, Severity, Verdict};
pub use injection::scan;
pub use pool::{clock_seed, LaneReviewers, ReviewPlan};
pub use prompt::{nonce, review_request, CheckSummary, ReviewInput};
pub use reviewer::{ChainLink, Job, Reviewer};
pub use select::{is_cross_lab, reviewers_for, ReviewerRef, SelectError, Selection};
pub use split::{estimate_tokens, split, Chunk, Split};
pub use verdict::{parse_review, repair_prompt, schema};

pub(crate) use prompt::fenced;
pub(crate) use verdict::payload;
