//! Merging a lane: the strategies, the provenance every merge commit carries, and the
//! refusal rules (a dirty target, a race without a passing lane, a conflict).

use std::path::Path;

use crate::error::Error;
use crate::git::{self, GitError, MergeRequest, MergeStrategy};
use crate::journal::{LaneRecord, RaceRecord};
use crate::rank::Row;
pub use crate::vocab::MergeMode;

/// What a merge did.
#[derive(Clone, Debug, PartialEq)]
pub enum Merged {
    Committed {
        commit: String,
        target: String,
        three_way: bool,
        updated_worktree: bool,
    },
    /// `branch` strategy: nothing changed; the lane branch is ready for a pull request.
    Branch { branch: String },
}

/// The commit message of a merged lane: subject, provenance, trailers.
pub fn commit_message(record: &RaceRecord, lane: &LaneRecord, row: &Row) -> String {
    let mut msg = format!("{}\n\n", record.title());
    msg.push_str(&format!(
        "Winner of bakeoff race {} (lane {}, {}), tier {:?}, {}/{} checks passed.\n",
        record.id, lane.name, lane.agent, row.tier, row.checks_passed, row.checks_total
    ));
    msg.push_str(&format!("Ranked first: {}\n\n", row.reason));
    msg.push_str(&format!("Bakeoff-Race: {}\n", record.id));
    msg.push_str(&format!("Bakeoff-Lane: {}\n", lane.name));
    msg.push_str(&format!("Bakeoff-Agent: {}\n", lane.agent));
    msg
}

/// Merges `lane_commit` of `lane` into the branch the race began on.
pub fn merge_lane(
    repo_dir: &Path,
    record: &RaceRecord,
    lane: &LaneRecord,
    row: &Row,
    lane_commit: &str,
    mode: MergeMode,
) -> Result<Merged, Error> {
    let strategy = match mode {
        MergeMode::Branch => {
            return Ok(Merged::Branch {
                branch: lane.branch.clone(),
            })
        }
        MergeMode::Squash => MergeStrategy::Squash,
        MergeMode::Merge => MergeStrategy::Merge,
    };
    let Some(target) = record.target_branch.clone() else {
        return Err(Error::input_with_hint(
            format!(
                "race {} began on a detached HEAD, so there is no branch to merge into",
                record.id
            ),
            format!("use --strategy branch, or check out a branch and cherry-pick {lane_commit}"),
        ));
    };
    let request = MergeRequest {
        target_branch: target.clone(),
        base: record.base.clone(),
        lane_commit: lane_commit.to_string(),
        lane_branch: lane.branch.clone(),
        message: commit_message(record, lane, row),
        strategy,
    };
    let outcome = git::merge_into(repo_dir, &request).map_err(|e| match e {
        GitError::DirtyTarget { .. } => Error::input_with_hint(
            e.to_string(),
            "commit or stash your changes, then run `bakeoff merge` again",
        ),
        other => Error::Git(other),
    })?;
    Ok(Merged::Committed {
        commit: outcome.commit,
        target,
        three_way: outcome.three_way,
        updated_worktree: outcome.updated_worktree,
    })
}

/// How to take a lane branch further by hand.
pub fn branch_instructions(branch: &str) -> String {
    format!(
        "the lane branch {branch} is ready:\n  git push -u origin {branch}\nthen open a pull request from it, or `git merge --squash {branch}`"
    )
}
