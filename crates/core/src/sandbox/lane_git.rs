//! A sandboxed lane's own git administration.
//!
//! A worktree's administration lives in the user's repository (`.git/worktrees/NAME`,
//! its refs and objects shared), where nothing a lane writes may go. Inside its sandbox
//! the lane therefore gets a git directory of its own in its home: `HEAD` on a branch
//! at the lane's commit, the index bakeoff last wrote, the shared objects as an
//! alternate (read-only in the sandbox), and its `.git` file, bound read-only over the
//! worktree's, points there. The agent can commit, branch and reset as it likes; all of
//! it is its own, and bakeoff, which captures the worktree through the entry it made,
//! reads none of it.

use std::path::{Path, PathBuf};

/// What the lane's git directory is made from, all read by bakeoff from the entry it
/// made.
pub struct LaneGitSource<'a> {
    /// The shared object database (`<common dir>/objects`).
    pub objects: &'a Path,
    /// The commit the lane is at: the base, or its latest capture.
    pub commit: &'a str,
    /// The lane's branch name, without `refs/heads/`.
    pub branch: &'a str,
    /// The index bakeoff keeps for the lane, copied so the agent sees a clean status.
    pub index: Option<&'a Path>,
    /// The repository's `shallow` file, when it is shallow.
    pub shallow: Option<&'a Path>,
}

/// The lane's git directory (under its home) and the `.git` file that points at it.
#[derive(Clone, Debug)]
pub struct LaneGit {
    pub dir: PathBuf,
    pub dot_git: PathBuf,
}

impl LaneGit {
    /// Lays out (or refreshes, before each child) the lane's git directory in `home`.
    /// Refs the agent made are kept; `HEAD` and the lane's branch are reset to bakeoff's.
    pub fn write(home: &Path, src: &LaneGitSource) -> std::io::Result<LaneGit> {
        let dir = home.join("git");
        let branch_ref = dir.join("refs/heads").join(src.branch);
        for d in [
            dir.join("objects/info"),
            dir.join("refs/tags"),
            branch_ref.parent().unwrap_or(&dir).to_path_buf(),
        ] {
            std::fs::create_dir_all(d)?;
        }
        std::fs::write(
            dir.join("objects/info/alternates"),
            format!("{}\n", src.objects.display()),
        )?;
        std::fs::write(dir.join("HEAD"), format!("ref: refs/heads/{}\n", src.branch))?;
        std::fs::write(&branch_ref, format!("{}\n", src.commit))?;
        // The lane's own identity: its commits are its own and never merged as they are.
        std::fs::write(
            dir.join("config"),
            "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\
             [user]\n\tname = bakeoff lane\n\temail = lane@bakeoff.invalid\n",
        )?;
        match src.index {
            Some(index) if index.is_file() => {
                std::fs::copy(index, dir.join("index"))?;
            }
            _ => {
                let _ = std::fs::remove_file(dir.join("index"));
            }
        }
        if let Some(shallow) = src.shallow.filter(|s| s.is_file()) {
            std::fs::copy(shallow, dir.join("shallow"))?;
        }
        let dot_git = home.join("dot-git");
        std::fs::write(&dot_git, format!("gitdir: {}\n", dir.display()))?;
        Ok(LaneGit { dir, dot_git })
    }
}
