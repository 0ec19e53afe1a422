//! Cross-lab review of a diff, the pure parts: choosing reviewers of other labs than the
//! author's, assembling the request with the diff fenced as data, splitting large diffs,
//! scanning for text aimed at the reviewer, and validating the structured verdict. The
//! HTTP calls live with the providers; the coordinator glues the two.

mod diff;
mod injection;
pub mod judge;
pub mod pool;
mod prompt;
pub mod report;
pub mod reviewer;
mod select;
mod split;
mod verdict;

pub use crate::vocab::{Finding, FindingSource, ReviewOutput, ReviewRecord, Severity, Verdict};
pub use injection::scan;
pub use pool::{clock_seed, LaneReviewers, ReviewPlan};
pub use prompt::{nonce, review_request, CheckSummary, ReviewInput};
pub use reviewer::{Job, Reviewer};
pub use select::{reviewers_for, ReviewerRef, SelectError, Selection};
pub use split::{estimate_tokens, split, Chunk, Split};
pub use verdict::{parse_review, repair_prompt, schema};

pub(crate) use prompt::fenced;
pub(crate) use verdict::payload;
