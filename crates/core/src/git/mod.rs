//! Everything bakeoff does with git, through git2: the user's repository, lane
//! worktrees, capturing a lane's work as a commit, diffs, and merging a winner.
//!
//! Every function is synchronous and opens its own `git2::Repository`, so callers
//! can run them from several threads (`spawn_blocking`) at once. Commit ids travel
//! as 40-hex strings.

mod capture;
mod checkout;
mod copy;
mod diff;
mod error;
mod graded;
mod guard;
mod init;
mod lane;
mod merge;
mod range;
mod repo;
mod shared_base;
mod worktree;

#[cfg(test)]
pub(crate) mod testutil;

pub use crate::vocab::{ChangeKind, FileChange};
pub use capture::capture;
pub use copy::copy_into_worktree;
pub use diff::{diff_patch, diff_patch_with_context, diff_stats, file_at, files_at, DiffStats};
pub use error::GitError;
pub use graded::{export_tree, graded_tree, Changed, Take};
pub use guard::UserState;
pub use init::init_with_commit;
pub use lane::LaneRef;
pub use merge::{finish_interrupted, merge_into, MergeOutcome, MergeRequest, MergeStrategy};
pub use range::{commit_messages, default_review_base, worktree_patch};
pub use repo::Repo;
pub use shared_base::{
    check_out_base, create_shared_worktree, fill, lane_overlay, remove_shared_base, settle, SharedBase,
};
pub use worktree::{create_worktree, remove_worktree, WorktreeSpec};
