//! What `bakeoff review` reviews: a range of commits or the uncommitted work, the base it
//! defaults to, and the commit messages whose trailers name the author.

use std::path::Path;

use git2::{BranchType, DiffOptions, Repository};

use super::diff::{find_renames, print_patch};
use super::error::{GitContext, GitError};
use super::repo::{open, resolve};

/// The base a review of `head` starts from when none is given: the merge-base with the
/// current branch's upstream, else with `main`, `master`, `origin/main` or `origin/master`.
pub fn default_review_base(repo_dir: &Path, head: &str) -> Result<String, GitError> {
    let repo = open(repo_dir)?;
    let head_id = resolve(&repo, head)?;
    let mut candidates = Vec::new();
    if let Some(upstream) = upstream_of_head(&repo) {
        candidates.push(upstream);
    }
    candidates.extend(["main", "master", "origin/main", "origin/master"].map(String::from));
    for candidate in candidates {
        let Ok(id) = resolve(&repo, &candidate) else {
            continue;
        };
        if id == head_id {
            continue;
        }
        if let Ok(base) = repo.merge_base(id, head_id) {
            return Ok(base.to_string());
        }
    }
    Err(GitError::NoReviewBase)
}

fn upstream_of_head(repo: &Repository) -> Option<String> {
    let head = repo.head().ok()?;
    let name = head.shorthand()?;
    let branch = repo.find_branch(name, BranchType::Local).ok()?;
    let upstream = branch.upstream().ok()?;
    upstream.name().ok().flatten().map(str::to_owned)
}

/// The uncommitted work (staged, unstaged and untracked files that are not ignored)
/// against `base`, as a unified patch with `context` lines.
pub fn worktree_patch(repo_dir: &Path, base: &str, context: u32) -> Result<String, GitError> {
    let repo = open(repo_dir)?;
    let id = resolve(&repo, base)?;
    let tree = repo
        .find_commit(id)
        .and_then(|c| c.tree())
        .ctx(format!("read tree of {id}"))?;
    let mut opts = DiffOptions::new();
    opts.include_typechange(true)
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .show_untracked_content(true)
        .context_lines(context);
    let mut diff = repo
        .diff_tree_to_workdir_with_index(Some(&tree), Some(&mut opts))
        .ctx(format!("diff {base} against the work tree"))?;
    find_renames(&mut diff)?;
    print_patch(&diff)
}

/// The messages of the commits in `base..head`, newest first.
pub fn commit_messages(repo_dir: &Path, base: &str, head: &str) -> Result<Vec<String>, GitError> {
    let repo = open(repo_dir)?;
    let (base, head) = (resolve(&repo, base)?, resolve(&repo, head)?);
    let mut walk = repo.revwalk().ctx("walk commits")?;
    walk.push(head).ctx("walk commits")?;
    walk.hide(base).ctx("walk commits")?;
    let mut out = Vec::new();
    for id in walk.take(1000) {
        let id = id.ctx("walk commits")?;
        let commit = repo.find_commit(id).ctx(format!("read commit {id}"))?;
        out.push(String::from_utf8_lossy(commit.message_bytes()).into_owned());
    }
    Ok(out)
}
