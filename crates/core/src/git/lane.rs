//! The git boundary of a lane. The worktree, its `.git` file and everything the agent
//! can reach are the agent's to rewrite, so bakeoff never opens a lane through them: it
//! opens the lane's administration entry, which it created and named, from the user's
//! repository, rewrites the entry's pointers and the worktree's `.git` file to what it
//! laid out, and gives libgit2 the work tree explicitly. A lane whose `.git` file was
//! pointed at the user's checkout can then no longer make a capture move the user's HEAD
//! or rewrite the user's index.

use std::fs;
use std::path::Path;

use git2::Repository;

use super::error::{GitContext, GitError};
use super::repo::open;

/// A lane's worktree, as bakeoff created and recorded it.
#[derive(Clone, Copy, Debug)]
pub struct LaneRef<'a> {
    /// The administration entry's name under `<common dir>/worktrees/`.
    pub name: &'a str,
    pub worktree: &'a Path,
    pub branch: &'a str,
}

/// Opens the lane through its administration entry in the repository at `repo_dir`,
/// after putting back the pointers the agent could have rewritten.
pub(crate) fn open_lane(repo_dir: &Path, lane: &LaneRef) -> Result<Repository, GitError> {
    let main = open(repo_dir)?;
    let common = main.commondir().to_path_buf();
    let admin = common.join("worktrees").join(lane.name);
    if !admin.is_dir() {
        return Err(GitError::Tampered {
            lane: lane.name.to_string(),
            what: format!("its administration entry {} is gone", admin.display()),
        });
    }
    let dot_git = lane.worktree.join(".git");
    // Whatever is at `.git` now (a file pointing elsewhere, a link, a repository of the
    // agent's own) is replaced by the pointer bakeoff wrote.
    if let Ok(meta) = fs::symlink_metadata(&dot_git) {
        let removed = if meta.is_dir() {
            fs::remove_dir_all(&dot_git)
        } else {
            fs::remove_file(&dot_git)
        };
        removed.map_err(|e| GitError::io("replace", &dot_git, e))?;
    }
    let admin_abs = admin
        .canonicalize()
        .map_err(|e| GitError::io("resolve", &admin, e))?;
    write(&dot_git, &format!("gitdir: {}\n", admin_abs.display()))?;
    let worktree_abs = lane
        .worktree
        .canonicalize()
        .map_err(|e| GitError::io("resolve", lane.worktree, e))?;
    write(
        &admin.join("gitdir"),
        &format!("{}\n", worktree_abs.join(".git").display()),
    )?;
    write(&admin.join("commondir"), "../..\n")?;
    write(&admin.join("HEAD"), &format!("ref: refs/heads/{}\n", lane.branch))?;
    let repo =
        Repository::open(&admin_abs).ctx(format!("open lane {} through {}", lane.name, admin.display()))?;
    let same = |a: &Path, b: &Path| a.canonicalize().ok() == b.canonicalize().ok();
    if !same(repo.commondir(), &common) {
        return Err(GitError::Tampered {
            lane: lane.name.to_string(),
            what: format!(
                "its entry points at {} instead of {}",
                repo.commondir().display(),
                common.display()
            ),
        });
    }
    repo.set_workdir(&worktree_abs, false)
        .ctx(format!("set the work tree of lane {}", lane.name))?;
    Ok(repo)
}

fn write(path: &Path, text: &str) -> Result<(), GitError> {
    fs::write(path, text).map_err(|e| GitError::io("write", path, e))
}
