//! The public vocabulary of a race, a leaf that imports nothing else of bakeoff: the
//! events every reporter receives and the journal keeps, what they carry (usage, agent
//! outcomes, captures, check outcomes, reviews, the leaderboard), the merge modes, the
//! format versions of everything written to disk, and the [`Reporter`] trait.

mod board;
mod change;
mod check;
mod event;
mod exit;
mod merge_mode;
mod provider;
mod reporter;
mod review;
mod tamper;

pub use board::{
    ConfirmedBlocker, JudgeSignal, LaneResult, Leaderboard, Provenance, ReviewMark, ReviewSignal, Row, Tier,
    LEADERBOARD_FORMAT, REVIEW_NOISE,
};
pub use change::{ChangeKind, FileChange};
pub use check::{CheckOutcome, Named, TestCounts, TestReport};
pub use event::*;
pub use exit::ExitKind;
pub use merge_mode::MergeMode;
pub use provider::{ProviderEvent, TokenUsage};
pub use reporter::Reporter;
pub use review::{Finding, FindingSource, ReviewOutput, ReviewRecord, Severity, Verdict};
pub use tamper::{Tamper, TamperKind};
