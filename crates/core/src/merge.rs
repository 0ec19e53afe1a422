//! Merging a lane: the strategies, the provenance every merge commit carries, and the
//! refusal rules (a dirty target, a race without a passing lane, a lane without a
//! successful cross-lab review, a conflict).

use std::path::Path;

use crate::error::Error;
use crate::git::{self, GitError, MergeRequest, MergeStrategy};
use crate::journal::{LaneRecord, RaceRecord};
use crate::rank::Row;
pub use crate::vocab::MergeMode;
use crate::vocab::ReviewRecord;

/// Why a lane may not be merged for want of review (see [`review_refusal`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewRefusal {
    /// "no successful cross-lab review: …", for the `merge-refused` event and the user.
    pub reason: String,
    /// A review failed with a provider or credentials error: exit 3 rather than 1.
    pub provider: bool,
}

impl ReviewRefusal {
    /// The error a command ends with.
    pub fn into_error(self) -> Error {
        Error::MergeRefused {
            message: self.reason,
            provider: self.provider,
        }
        .with_hint(
            "fix the reviewers (their keys, providers or fallbacks) and race again, or merge it \
             unreviewed with `bakeoff merge --allow-unreviewed`",
        )
    }
}

/// The review rule of a merge, decided from the journal alone: a lane merges only with
/// at least one successful cross-lab review — an answered review whose answering model
/// is of another lab than the author's, or marked same-lab when the race allowed it.
/// `None` when the lane may merge: it had one, the race ran without reviews (no lane has
/// a reviewer, `--no-review`), or `allow_unreviewed` (the race's or the command's).
/// `reviews` are the lane's last round's, as the fold holds them.
pub fn review_refusal(
    record: &RaceRecord,
    lane: &LaneRecord,
    reviews: &[ReviewRecord],
    allow_unreviewed: bool,
) -> Option<ReviewRefusal> {
    let no_review = record.lanes.iter().all(|l| l.reviewers.is_empty());
    if no_review || allow_unreviewed || record.allow_unreviewed {
        return None;
    }
    refusal(&lane.name, reviews, record.allow_same_lab || lane.same_lab)
}

/// The rule itself, over one lane's reviews: `None` once one succeeded and is cross-lab
/// (or same-lab, when `same_lab_allowed`).
fn refusal(lane: &str, reviews: &[ReviewRecord], same_lab_allowed: bool) -> Option<ReviewRefusal> {
    if reviews
        .iter()
        .any(|r| r.output.is_ok() && (!r.same_lab || same_lab_allowed))
    {
        return None;
    }
    let why: Vec<String> = reviews
        .iter()
        .map(|r| match &r.output {
            Err(e) => format!("{} failed: {e}", r.reviewer),
            Ok(_) => format!(
                "{} was answered by {}, of the author's lab, and --allow-same-lab was not given",
                r.reviewer,
                r.answered_by.as_deref().unwrap_or(&r.reviewer)
            ),
        })
        .collect();
    let why = match why.is_empty() {
        true => "no reviewer answered".to_string(),
        false => why.join("; "),
    };
    Some(ReviewRefusal {
        reason: format!("lane {lane} is not merged: no successful cross-lab review: {why}"),
        provider: reviews
            .iter()
            .any(|r| r.output.is_err() && (r.provider_error || r.credentials_error)),
    })
}

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

/// The commit message of a merged lane: subject, provenance, trailers. The trailers
/// name what wrote the change and who reviewed it, so `bakeoff review` of the merged
/// commit later can tell the author's lab.
pub fn commit_message(record: &RaceRecord, lane: &LaneRecord, row: &Row, reviews: &[ReviewRecord]) -> String {
    let model = lane.model_ref();
    let lab = lane.author_lab.as_deref().unwrap_or("unknown");
    let agent = match lane.agent == model {
        true => model.clone(),
        false => format!("{}, {model}", lane.agent),
    };
    let mut msg = format!("{}\n\n", record.title());
    msg.push_str(&format!(
        "Winner of bakeoff race {} (lane {}, {agent} of {lab}), tier {:?}, {}/{} checks passed.\n",
        record.id, lane.name, row.tier, row.checks_passed, row.checks_total
    ));
    msg.push_str(&format!("Ranked first: {}\n\n", row.reason));
    msg.push_str(&format!("Bakeoff-Race: {}\n", record.id));
    msg.push_str(&format!("Bakeoff-Lane: {}\n", lane.name));
    msg.push_str(&format!("Bakeoff-Agent: {model}\n"));
    msg.push_str(&format!("Bakeoff-Lab: {lab}\n"));
    for r in reviews {
        let Ok(out) = &r.output else { continue };
        let same_lab = if r.same_lab { ", same lab" } else { "" };
        msg.push_str(&format!(
            "Reviewed-by: {} ({} {}{same_lab})\n",
            r.answered_by.as_deref().unwrap_or(&r.reviewer),
            out.verdict.as_str(),
            out.score
        ));
    }
    msg
}

/// Where a merge under way is recorded: in the race's folder, beside its journal.
pub fn intent_path(repo_dir: &Path, record: &RaceRecord) -> Result<std::path::PathBuf, Error> {
    let repo = git::Repo::discover(repo_dir)?;
    Ok(crate::journal::Store::new(repo.common_dir())
        .dir(&record.id)
        .merge_intent())
}

/// Merges `lane_commit` of `lane` into the branch the race began on.
pub fn merge_lane(
    repo_dir: &Path,
    record: &RaceRecord,
    lane: &LaneRecord,
    row: &Row,
    reviews: &[ReviewRecord],
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
        message: commit_message(record, lane, row, reviews),
        strategy,
        intent: Some(intent_path(repo_dir, record)?),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::exit;
    use crate::vocab::{ReviewOutput, Verdict};

    fn review(output: Result<(), &str>, same_lab: bool, provider_error: bool) -> ReviewRecord {
        let output = output
            .map(|()| ReviewOutput {
                verdict: Verdict::Approve,
                score: 90,
                summary: "fine".into(),
                findings: vec![],
            })
            .map_err(str::to_string);
        ReviewRecord {
            provider_error,
            same_lab,
            ..ReviewRecord::sample("anthropic/claude-opus-4-6", "anthropic", output)
        }
    }

    #[test]
    fn only_a_successful_cross_lab_review_lets_a_lane_merge() {
        let ok = review(Ok(()), false, false);
        let same = review(Ok(()), true, false);
        let overloaded = review(Err("overloaded"), false, true);
        let malformed = review(Err("malformed twice"), false, false);
        // (reviews, same-lab allowed, refused, exit 3)
        let table: Vec<(Vec<ReviewRecord>, bool, bool, bool)> = vec![
            (vec![ok.clone()], false, false, false),
            (vec![overloaded.clone(), ok.clone()], false, false, false),
            (vec![], false, true, false),
            (vec![overloaded.clone()], false, true, true),
            (vec![malformed.clone()], false, true, false),
            (vec![malformed, overloaded], false, true, true),
            (vec![same.clone()], false, true, false),
            (vec![same], true, false, false),
        ];
        for (reviews, allowed, refused, provider) in table {
            let got = refusal("a", &reviews, allowed);
            assert_eq!(got.is_some(), refused, "{reviews:?}");
            if let Some(r) = got {
                assert!(
                    r.reason.contains("no successful cross-lab review: "),
                    "{}",
                    r.reason
                );
                assert_eq!(r.provider, provider, "{}", r.reason);
                let code = r.into_error().exit_code();
                assert_eq!(code, if provider { exit::PROVIDER } else { exit::NO_WINNER });
            }
        }
    }
}
