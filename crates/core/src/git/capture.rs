//! Capturing a lane: everything in its worktree becomes one commit on the lane
//! branch whose parent is the base, whatever the agent did with git meanwhile.

use std::fs;
use std::path::Path;

use git2::{IndexAddOption, Repository, Signature};

use super::error::{GitContext, GitError};
use super::lane::{open_lane, LaneRef};
use super::repo::resolve;

/// Name and email on commits bakeoff makes on its own behalf.
pub(crate) const BAKEOFF_NAME: &str = "bakeoff";
pub(crate) const BAKEOFF_EMAIL: &str = "bakeoff@localhost";

/// Commits everything in `worktree` (tracked and untracked-not-ignored files,
/// deletions, modes, symlinks) as one commit with parent `base`, force-moves
/// `refs/heads/<branch>` to it, and leaves the worktree on `branch` and clean.
///
/// The agent's own commits, resets, branch switches and half-staged index do not
/// matter: the commit's tree is the work tree as it is now. With no change at all
/// the commit's tree equals the base tree, so base..commit is an empty diff.
/// Returns the new commit id in hex.
///
/// The lane is opened through its administration entry in the repository at
/// `repo_dir` (see [`LaneRef`]), never through anything in the worktree.
pub fn capture(repo_dir: &Path, lane: &LaneRef, base: &str, message: &str) -> Result<String, GitError> {
    let (worktree, branch) = (lane.worktree, lane.branch);
    if !git2::Branch::name_is_valid(branch).unwrap_or(false) {
        return Err(GitError::InvalidBranchName {
            branch: branch.to_owned(),
        });
    }
    let repo = open_lane(repo_dir, lane)?;
    let base_id = resolve(&repo, base)?;
    let base_commit = repo.find_commit(base_id).ctx(format!("read commit {base_id}"))?;
    let base_tree = base_commit.tree().ctx(format!("read tree of {base_id}"))?;

    // The agent has stopped, so a lock it left behind is stale and would only make
    // writing the index fail.
    let lock = repo.path().join("index.lock");
    if lock.exists() {
        fs::remove_file(&lock).map_err(|e| GitError::io("remove stale lock", &lock, e))?;
    }
    let mut index = match repo.index() {
        Ok(index) => index,
        // A corrupt index tells us nothing the work tree does not: start afresh.
        Err(_) => {
            let path = repo.path().join("index");
            fs::remove_file(&path).map_err(|e| GitError::io("remove corrupt index", &path, e))?;
            repo.index().ctx("open worktree index")?
        }
    };
    // Reading the base tree drops whatever the agent staged, conflicts included,
    // but keeps cached stat data for unchanged entries, so files that did not change
    // are not hashed again.
    index.read_tree(&base_tree).ctx("load base tree into index")?;
    index
        .add_all(["*"], IndexAddOption::DEFAULT, None)
        .ctx(format!("add files in {}", worktree.display()))?;
    // `add_all` never removes entries: deletions come from `update_all`.
    index
        .update_all(["*"], None)
        .ctx(format!("record deletions in {}", worktree.display()))?;
    let tree_id = index.write_tree().ctx("write captured tree")?;
    let tree = repo.find_tree(tree_id).ctx("read captured tree")?;

    let sig = bakeoff_signature()?;
    let commit = repo
        .commit(None, &sig, &sig, message, &tree, &[&base_commit])
        .ctx("write capture commit")?;
    let refname = format!("refs/heads/{branch}");
    repo.reference(&refname, commit, true, "bakeoff: capture")
        .ctx(format!("move branch '{branch}'"))?;
    // The index now matches the new commit; write it before pointing HEAD back at
    // the branch so the worktree reads as clean.
    index.write().ctx("write worktree index")?;
    repo.set_head(&refname)
        .ctx(format!("check out branch '{branch}'"))?;
    // A merge, rebase or cherry-pick the agent left half-done would make the
    // worktree look mid-operation; its state is part of history no longer.
    clear_operation_state(&repo)?;
    Ok(commit.to_string())
}

/// The signature for commits bakeoff authors itself, independent of any config.
pub(crate) fn bakeoff_signature() -> Result<Signature<'static>, GitError> {
    Signature::now(BAKEOFF_NAME, BAKEOFF_EMAIL).ctx("make bakeoff signature")
}

fn clear_operation_state(repo: &Repository) -> Result<(), GitError> {
    repo.cleanup_state().ctx("clear merge/rebase state")?;
    // libgit2 does not know `git am`/`rebase --apply` state directories.
    for dir in ["rebase-merge", "rebase-apply"] {
        let path = repo.path().join(dir);
        if path.exists() {
            fs::remove_dir_all(&path).map_err(|e| GitError::io("remove", &path, e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::diff::{diff_stats, file_at};
    use crate::git::testutil::{fixture, git, write, Fixture};
    use crate::git::worktree::{create_worktree, WorktreeSpec};
    use crate::git::{ChangeKind, DiffStats};
    use std::os::unix::fs::PermissionsExt;
    use std::path::PathBuf;

    const BRANCH: &str = "bakeoff/r/lane";

    /// A repo with a lane worktree; returns (fixture, worktree path, base sha).
    fn lane() -> (Fixture, PathBuf, String) {
        let fx = fixture();
        write(&fx.dir, ".gitignore", "*.log\n/build/\n");
        write(&fx.dir, "tool.sh", "#!/bin/sh\n");
        write(
            &fx.dir,
            "docs/long.md",
            (0..40).map(|i| format!("line {i}\n")).collect::<String>(),
        );
        git(&fx.dir, &["add", "-A"]);
        git(&fx.dir, &["commit", "-q", "-m", "more"]);
        let base = git(&fx.dir, &["rev-parse", "HEAD"]);
        let path = fx.sibling("lane");
        let spec = WorktreeSpec {
            name: "lane".into(),
            path: path.clone(),
            branch: BRANCH.into(),
            base: base.clone(),
        };
        create_worktree(&fx.dir, &spec).unwrap();
        (fx, path, base)
    }

    /// Captures the fixture's lane `wt` as `lane()` made it.
    fn capture_lane(fx: &Fixture, wt: &Path, base: &str, message: &str) -> Result<String, GitError> {
        let lane = LaneRef {
            name: "lane",
            worktree: wt,
            branch: BRANCH,
        };
        capture(&fx.dir, &lane, base, message)
    }

    fn change<'a>(stats: &'a DiffStats, path: &str) -> &'a crate::git::FileChange {
        stats
            .files
            .iter()
            .find(|f| f.path == path)
            .unwrap_or_else(|| panic!("{path} not in {stats:#?}"))
    }

    /// After a capture the worktree is clean, on the lane branch, and the commit's
    /// only parent is the base.
    fn assert_captured(wt: &Path, commit: &str, base: &str) {
        assert_eq!(git(wt, &["status", "--porcelain"]), "", "worktree not clean");
        assert_eq!(git(wt, &["symbolic-ref", "HEAD"]), format!("refs/heads/{BRANCH}"));
        assert_eq!(git(wt, &["rev-parse", BRANCH]), commit);
        assert_eq!(
            git(wt, &["rev-list", "--parents", "-n1", commit]),
            format!("{commit} {base}")
        );
        assert_eq!(
            git(wt, &["log", "-1", "--format=%an <%ae>|%cn <%ce>", commit]),
            "bakeoff <bakeoff@localhost>|bakeoff <bakeoff@localhost>"
        );
    }

    #[test]
    fn captures_every_kind_of_change() {
        let (fx, wt, base) = lane();
        write(&wt, "a.txt", "alpha\nmore\n");
        write(&wt, "new/file.txt", "fresh\n");
        fs::remove_file(wt.join("b.txt")).unwrap();
        fs::rename(wt.join("docs/long.md"), wt.join("docs/moved.md")).unwrap();
        fs::set_permissions(wt.join("tool.sh"), fs::Permissions::from_mode(0o755)).unwrap();
        write(&wt, "img.bin", [0u8, 159, 146, 150, 0, 1, 2, 255]);
        std::os::unix::fs::symlink("a.txt", wt.join("link")).unwrap();
        write(&wt, "debug.log", "ignored");
        write(&wt, "build/out.o", "ignored");

        let commit = capture_lane(&fx, &wt, &base, "lane work").unwrap();
        assert_captured(&wt, &commit, &base);
        let stats = diff_stats(&fx.dir, &base, &commit).unwrap();

        let cases: [(&str, ChangeKind, u32, usize, usize, bool); 7] = [
            ("a.txt", ChangeKind::Modified, 0o100644, 1, 0, false),
            ("new/file.txt", ChangeKind::Added, 0o100644, 1, 0, false),
            ("b.txt", ChangeKind::Deleted, 0, 0, 1, false),
            ("docs/moved.md", ChangeKind::Renamed, 0o100644, 0, 0, false),
            ("tool.sh", ChangeKind::Modified, 0o100755, 0, 0, false),
            ("img.bin", ChangeKind::Added, 0o100644, 0, 0, true),
            ("link", ChangeKind::Added, 0o120000, 1, 0, false),
        ];
        for (path, kind, mode, ins, del, binary) in cases {
            let f = change(&stats, path);
            assert_eq!(
                (&f.kind, f.new_mode, f.insertions, f.deletions, f.binary),
                (&kind, mode, ins, del, binary),
                "{path}: {f:?}"
            );
        }
        assert_eq!(
            change(&stats, "docs/moved.md").old_path.as_deref(),
            Some("docs/long.md")
        );
        assert_eq!(change(&stats, "tool.sh").old_mode, 0o100644);
        assert_eq!(stats.files.len(), 7, "{stats:#?}");
        assert_eq!(file_at(&fx.dir, &commit, "link").unwrap().unwrap(), b"a.txt");
        assert_eq!(file_at(&fx.dir, &commit, "debug.log").unwrap(), None);
        assert_eq!(file_at(&fx.dir, &commit, "build/out.o").unwrap(), None);
        assert_eq!(file_at(&fx.dir, &commit, ".git").unwrap(), None);
        // Ignored files stay where the agent left them.
        assert!(wt.join("debug.log").exists());
    }

    #[test]
    fn captures_whatever_the_agent_did_with_git() {
        type Script = fn(&Path);
        let scripts: [(&str, Script, &[&str]); 6] = [
            (
                "own commit on the branch",
                |wt| {
                    write(wt, "a.txt", "committed\n");
                    git(wt, &["commit", "-q", "-am", "agent"]);
                    write(wt, "c.txt", "after\n");
                },
                &["a.txt", "c.txt"],
            ),
            (
                "reset --hard then new work",
                |wt| {
                    write(wt, "a.txt", "committed\n");
                    git(wt, &["commit", "-q", "-am", "agent"]);
                    git(wt, &["reset", "-q", "--hard", "HEAD~0"]);
                    write(wt, "c.txt", "after\n");
                },
                &["a.txt", "c.txt"],
            ),
            (
                "switched branch and committed",
                |wt| {
                    git(wt, &["checkout", "-q", "-b", "other"]);
                    write(wt, "c.txt", "other\n");
                    git(wt, &["add", "c.txt"]);
                    git(wt, &["commit", "-q", "-m", "agent"]);
                },
                &["c.txt"],
            ),
            (
                "detached head",
                |wt| {
                    git(wt, &["checkout", "-q", "--detach"]);
                    write(wt, "a.txt", "detached\n");
                    git(wt, &["commit", "-q", "-am", "agent"]);
                },
                &["a.txt"],
            ),
            (
                "staged only",
                |wt| {
                    write(wt, "c.txt", "staged\n");
                    git(wt, &["add", "c.txt"]);
                },
                &["c.txt"],
            ),
            (
                "half staged",
                |wt| {
                    write(wt, "a.txt", "one\n");
                    git(wt, &["add", "a.txt"]);
                    write(wt, "a.txt", "two\n");
                    git(wt, &["rm", "-q", "--cached", "b.txt"]);
                },
                &["a.txt"],
            ),
        ];
        for (name, script, want) in scripts {
            let (fx, wt, base) = lane();
            script(&wt);
            let commit = capture_lane(&fx, &wt, &base, name).unwrap();
            assert_captured(&wt, &commit, &base);
            let stats = diff_stats(&fx.dir, &base, &commit).unwrap();
            let paths: Vec<&str> = stats.files.iter().map(|f| f.path.as_str()).collect();
            assert_eq!(paths, want, "{name}");
        }
    }

    #[test]
    fn nothing_changed_is_an_empty_capture() {
        let (fx, wt, base) = lane();
        let commit = capture_lane(&fx, &wt, &base, "nothing").unwrap();
        assert_ne!(commit, base);
        assert_captured(&wt, &commit, &base);
        let stats = diff_stats(&fx.dir, &base, &commit).unwrap();
        assert_eq!(
            stats,
            DiffStats {
                files: vec![],
                insertions: 0,
                deletions: 0
            }
        );
        // Capturing again (a fix round) still starts from the base.
        write(&wt, "a.txt", "fix\n");
        let second = capture_lane(&fx, &wt, &base, "fix").unwrap();
        assert_captured(&wt, &second, &base);
    }

    #[test]
    fn capture_survives_stale_lock_and_merge_state() {
        let (fx, wt, base) = lane();
        let gitdir = PathBuf::from(git(&wt, &["rev-parse", "--absolute-git-dir"]));
        fs::write(gitdir.join("index.lock"), "").unwrap();
        fs::write(gitdir.join("MERGE_HEAD"), format!("{base}\n")).unwrap();
        write(&wt, "a.txt", "x\n");
        let commit = capture_lane(&fx, &wt, &base, "m").unwrap();
        assert_captured(&wt, &commit, &base);
        assert!(!gitdir.join("MERGE_HEAD").exists());
    }

    #[test]
    fn capture_errors() {
        let (fx, wt, base) = lane();
        let at = |branch| LaneRef {
            name: "lane",
            worktree: &wt,
            branch,
        };
        let err = capture(&fx.dir, &at(BRANCH), "nope", "m").unwrap_err();
        assert!(matches!(err, GitError::UnknownRef { .. }), "{err}");
        let err = capture(&fx.dir, &at("bad..branch"), &base, "m").unwrap_err();
        assert!(matches!(err, GitError::InvalidBranchName { .. }), "{err}");
        let tmp = tempfile::tempdir().unwrap();
        let err = capture(tmp.path(), &at(BRANCH), &base, "m").unwrap_err();
        assert!(matches!(err, GitError::NotARepo { .. }), "{err}");
        let gone = LaneRef {
            name: "never-made",
            ..at(BRANCH)
        };
        let err = capture(&fx.dir, &gone, &base, "m").unwrap_err();
        assert!(matches!(err, GitError::Tampered { .. }), "{err}");
    }

    #[test]
    fn a_git_file_pointed_at_the_users_repository_is_not_followed() {
        let (fx, wt, base) = lane();
        let head = git(&fx.dir, &["symbolic-ref", "HEAD"]);
        let index = fs::read(fx.dir.join(".git/index")).unwrap();
        // The hostile agent: its `.git` now names the user's own git dir, and it leaves a
        // nested repository of its own beside it for good measure.
        fs::write(
            wt.join(".git"),
            format!("gitdir: {}\n", fx.dir.join(".git").display()),
        )
        .unwrap();
        write(&wt, "a.txt", "work\n");
        let commit = capture_lane(&fx, &wt, &base, "m").unwrap();
        assert_eq!(
            git(&fx.dir, &["symbolic-ref", "HEAD"]),
            head,
            "the user's HEAD moved"
        );
        assert_eq!(
            fs::read(fx.dir.join(".git/index")).unwrap(),
            index,
            "the user's index changed"
        );
        assert_captured(&wt, &commit, &base);
        assert_eq!(
            file_at(&fx.dir, &commit, "a.txt").unwrap().as_deref(),
            Some(&b"work\n"[..])
        );
    }
}
