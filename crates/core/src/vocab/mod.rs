//! The public vocabulary of a race, a leaf that imports nothing else of bakeoff: the
//! events every reporter receives and the journal keeps, what they carry (usage, agent
//! outcomes, captures, check outcomes, reviews, the leaderboard), the merge modes, the
//! format versions of everything written to disk, and the [`Reporter`] trait.

mod event;
mod merge_mode;
mod reporter;

pub use event::*;
pub use merge_mode::MergeMode;
pub use reporter::Reporter;
