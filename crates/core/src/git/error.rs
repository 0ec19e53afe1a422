//! The one error type of the git module: every failure names the path, ref or
//! branch involved and, where there is one, says how to fix it.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What went wrong while bakeoff worked with git.
///
/// `Clone` so it can travel inside race events; the underlying `git2` and `io`
/// errors are shared through `Arc`.
#[derive(Clone, Debug, thiserror::Error)]
pub enum GitError {
    /// No repository at or above the directory bakeoff was started in.
    #[error("not a git repository: {} (run bakeoff inside a git repository, or `git init` one)", .path.display())]
    NotARepo { path: PathBuf },

    /// The repository has no work tree to race in.
    #[error("repository {} is bare (run bakeoff inside a work tree of a non-bare repository)", .path.display())]
    BareRepo { path: PathBuf },

    /// HEAD is unborn: there is no commit to race from.
    #[error("repository {} has no commits yet (commit something first: bakeoff races from a base commit)", .path.display())]
    NoCommits { path: PathBuf },

    /// A revision that does not name a commit.
    #[error("unknown base ref '{rev}' (try a branch, tag or commit that `git rev-parse` knows)")]
    UnknownRef { rev: String },

    /// `bakeoff review` without `--base` found nothing to compare HEAD with.
    #[error("no base to review against: HEAD has no upstream, and no main or master branch shares history with it (pass --base REF)")]
    NoReviewBase,

    /// A branch bakeoff was asked to create already exists.
    #[error("branch '{branch}' already exists (delete it with `git branch -D {branch}` or pick another race name)")]
    BranchExists { branch: String },

    /// A branch name git would refuse.
    #[error("invalid branch name '{branch}' (see `git check-ref-format --branch`)")]
    InvalidBranchName { branch: String },

    /// A worktree admin name that cannot live under `.git/worktrees/`.
    #[error("invalid worktree name '{name}' (use letters, digits, '-', '_' and '.', no '/')")]
    InvalidWorktreeName { name: String },

    /// A lane's git administration is not what bakeoff laid out and cannot be put back.
    #[error("lane {lane} tampered with its git administration: {what} (the lane is not trusted; inspect it, then remove it with `bakeoff clean`)")]
    Tampered { lane: String, what: String },

    /// The admin entry `.git/worktrees/<name>` is taken.
    #[error("worktree '{name}' already exists in this repository (remove it with `bakeoff clean` or `git worktree remove`)")]
    WorktreeExists { name: String },

    /// The directory a worktree should be created in is already there.
    #[error("worktree path {} already exists (remove it, or choose another worktree directory)", .path.display())]
    PathExists { path: PathBuf },

    /// A directory bakeoff was asked to delete is not the lane worktree it claims to be.
    #[error("refusing to remove {}: it is not the bakeoff worktree '{name}' of this repository (remove it by hand if that is safe)", .path.display())]
    NotOurWorktree { path: PathBuf, name: String },

    /// A branch cannot be deleted because a worktree has it checked out.
    #[error("branch '{branch}' is checked out in a worktree (switch that worktree to another branch first)")]
    BranchCheckedOut { branch: String },

    /// A path given to copy into a lane that could escape the lane's worktree.
    #[error("unsafe path '{path}': {reason} (give paths relative to the repository root, without '..')")]
    UnsafePath { path: String, reason: &'static str },

    /// A path that is a directory or submodule where a file was expected.
    #[error("'{path}' in commit {commit} is not a file")]
    NotAFile { commit: String, path: String },

    /// The branch to merge into does not exist.
    #[error("merge target branch '{branch}' does not exist (check the branch name, or merge with --strategy branch)")]
    TargetMissing { branch: String },

    /// The work tree that has the target branch checked out has tracked changes.
    #[error("the work tree {} has uncommitted changes to tracked files on '{branch}': {} (commit or stash them, then merge again)", .worktree.display(), list(.paths))]
    DirtyTarget {
        branch: String,
        worktree: PathBuf,
        paths: Vec<String>,
    },

    /// The lane's change does not merge cleanly onto the moved target.
    #[error("the lane's change conflicts with '{branch}' in: {} (nothing was changed; rebase the lane branch by hand, or merge with --strategy branch)", list(.paths))]
    MergeConflict { branch: String, paths: Vec<String> },

    /// Updating the checked-out target would overwrite files git does not track.
    #[error("merging into '{branch}' would overwrite files in {}: {} (move them away, then merge again)", .worktree.display(), list(.paths))]
    CheckoutBlocked {
        branch: String,
        worktree: PathBuf,
        paths: Vec<String>,
    },

    /// The target branch moved while the merge was being prepared.
    #[error("branch '{branch}' moved while bakeoff was merging into it (run the merge again)")]
    TargetMoved { branch: String },

    /// A git command bakeoff ran failed.
    #[error("`{command}` failed in {}: {stderr}", .dir.display())]
    Command {
        command: String,
        dir: PathBuf,
        stderr: String,
    },

    /// A file system operation failed.
    #[error("{action} {}: {source}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: Arc<io::Error>,
    },

    /// libgit2 failed at something bakeoff did not expect to fail.
    #[error("git: {action}: {}", .source.message())]
    Git {
        action: String,
        #[source]
        source: Arc<git2::Error>,
    },
}

impl GitError {
    /// Wraps an `io::Error` with what was being done and to which path.
    pub(crate) fn io(action: &'static str, path: &Path, source: io::Error) -> GitError {
        GitError::Io {
            action,
            path: path.to_path_buf(),
            source: Arc::new(source),
        }
    }

    /// Wraps a `git2::Error` with what was being done (which ref, which path).
    pub(crate) fn git(action: impl fmt::Display, source: git2::Error) -> GitError {
        GitError::Git {
            action: action.to_string(),
            source: Arc::new(source),
        }
    }
}

/// Adds context to `git2` results without a closure at every call site.
pub(crate) trait GitContext<T> {
    /// Turns a `git2::Error` into [`GitError::Git`], naming what was being done.
    fn ctx(self, action: impl fmt::Display) -> Result<T, GitError>;
}

impl<T> GitContext<T> for Result<T, git2::Error> {
    fn ctx(self, action: impl fmt::Display) -> Result<T, GitError> {
        self.map_err(|e| GitError::git(action, e))
    }
}

/// Joins paths for a message, keeping long lists readable.
fn list(paths: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut out = paths
        .iter()
        .take(SHOWN)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if paths.len() > SHOWN {
        out.push_str(&format!(" and {} more", paths.len() - SHOWN));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_lowercase_and_name_the_thing() {
        let cases = [
            (
                GitError::NotARepo {
                    path: "/x".into(),
                },
                "not a git repository: /x (run bakeoff inside a git repository, or `git init` one)",
            ),
            (
                GitError::UnknownRef { rev: "foo".into() },
                "unknown base ref 'foo' (try a branch, tag or commit that `git rev-parse` knows)",
            ),
            (
                GitError::MergeConflict {
                    branch: "main".into(),
                    paths: (0..12).map(|i| format!("f{i}")).collect(),
                },
                "the lane's change conflicts with 'main' in: f0, f1, f2, f3, f4, f5, f6, f7, f8, f9 and 2 more (nothing was changed; rebase the lane branch by hand, or merge with --strategy branch)",
            ),
        ];
        for (err, want) in cases {
            assert_eq!(err.to_string(), want);
        }
    }

    #[test]
    fn errors_are_clone_send_sync() {
        fn check<T: Clone + Send + Sync + 'static>() {}
        check::<GitError>();
    }
}
