//! Merging the winning lane into the user's branch: a squash commit or a merge
//! commit, three-way when the branch moved since the race began, and all or
//! nothing: on a conflict or a dirty work tree no ref moves and no file changes.
//!
//! The order makes a crash recoverable: the commit is built in the object database,
//! then an intent file (new commit, old tip) is written, then the checked-out work tree
//! is brought from the old tip to the new one, then the branch moves (one atomic ref
//! update) and the intent is removed. A crash before the intent leaves the old state
//! exactly; after it, [`finish_interrupted`] (run by `bakeoff resume`) completes the
//! work tree and the branch from the intent, so the end is always the new state.

use std::path::{Path, PathBuf};

use git2::{
    build::CheckoutBuilder, CheckoutNotificationType, Commit, ErrorCode, Oid, Repository, Signature, Tree,
};

use super::capture::bakeoff_signature;
use super::error::{GitContext, GitError};
use super::repo::{clean, open, resolve, tracked_changes_in};

/// How the winner lands on the target branch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MergeStrategy {
    /// One new commit on the target with the lane's change; the lane branch is not
    /// an ancestor afterwards.
    Squash,
    /// A merge commit whose second parent is the lane commit.
    Merge,
}

/// What to merge where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeRequest {
    /// Branch to merge into (short name, e.g. `main`).
    pub target_branch: String,
    /// The race's base commit: the ancestor for a three-way merge.
    pub base: String,
    /// The lane's captured commit.
    pub lane_commit: String,
    /// The lane's branch, for messages.
    pub lane_branch: String,
    /// The full commit message, provenance trailers included.
    pub message: String,
    pub strategy: MergeStrategy,
    /// Where to record the merge while it is under way, for [`finish_interrupted`].
    pub intent: Option<PathBuf>,
}

/// What a merge did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeOutcome {
    /// The new commit on the target branch, in hex.
    pub commit: String,
    /// Whether the target had moved from the base, so the trees were merged three-way.
    pub three_way: bool,
    /// Whether a work tree had the target checked out and was updated to match.
    pub updated_worktree: bool,
}

/// Merges `req.lane_commit` into `refs/heads/<req.target_branch>`.
///
/// If a work tree has the target checked out it must have no tracked changes
/// ([`GitError::DirtyTarget`]); its index and files are then updated from the old
/// tip's tree to the new one (untracked files are left alone, and one in the way
/// is [`GitError::CheckoutBlocked`]) before the branch moves. A conflict is
/// [`GitError::MergeConflict`] with nothing changed.
pub fn merge_into(repo_dir: &Path, req: &MergeRequest) -> Result<MergeOutcome, GitError> {
    let repo = open(repo_dir)?;
    let refname = format!("refs/heads/{}", req.target_branch);
    let target_missing = || GitError::TargetMissing {
        branch: req.target_branch.clone(),
    };
    if !git2::Reference::is_valid_name(&refname) {
        return Err(target_missing());
    }
    let target = match repo.find_reference(&refname) {
        Ok(r) => r,
        Err(e) if e.code() == ErrorCode::NotFound => return Err(target_missing()),
        Err(e) => return Err(GitError::git(format!("read branch '{}'", req.target_branch), e)),
    };
    let tip = target
        .peel_to_commit()
        .ctx(format!("read tip of '{}'", req.target_branch))?;
    let base = commit(&repo, &req.base)?;
    let lane = commit(&repo, &req.lane_commit)?;

    let checkout = find_checkout(&repo, &refname)?;
    if let Some(wt) = &checkout {
        let paths = tracked_changes_in(wt)?;
        if !paths.is_empty() {
            return Err(GitError::DirtyTarget {
                branch: req.target_branch.clone(),
                worktree: workdir(wt),
                paths,
            });
        }
    }

    let three_way = tip.id() != base.id();
    let tree = merged_tree(&repo, req, &base, &tip, &lane, three_way)?;

    let sig = user_signature(&repo)?;
    let parents: Vec<&Commit> = match req.strategy {
        MergeStrategy::Squash => vec![&tip],
        MergeStrategy::Merge => vec![&tip, &lane],
    };
    let new_id = repo
        .commit(None, &sig, &sig, &req.message, &tree, &parents)
        .ctx("write merge commit")?;
    crash_point("merge:commit-written");
    if let Some(path) = &req.intent {
        write_intent(path, new_id, tip.id(), &req.target_branch)?;
    }
    crash_point("merge:intent-written");
    if let Some(wt) = &checkout {
        let old = tip.tree().ctx("read target tree")?;
        if let Err(e) = update_worktree(wt, req, &old, tree.id(), false) {
            // Nothing was written (safe mode plans first): there is nothing to finish.
            if let Some(path) = &req.intent {
                let _ = std::fs::remove_file(path);
            }
            return Err(e);
        }
    }
    crash_point("merge:worktree-updated");
    move_branch(&repo, req, new_id, tip.id())?;
    crash_point("merge:ref-moved");
    if let Some(path) = &req.intent {
        let _ = std::fs::remove_file(path);
    }
    Ok(MergeOutcome {
        commit: new_id.to_string(),
        three_way,
        updated_worktree: checkout.is_some(),
    })
}

fn commit<'r>(repo: &'r Repository, rev: &str) -> Result<Commit<'r>, GitError> {
    let id = resolve(repo, rev)?;
    repo.find_commit(id).ctx(format!("read commit {id}"))
}

/// The tree of the merge result: the lane's own tree when the target has not
/// moved, else a three-way merge of base, target and lane.
fn merged_tree<'r>(
    repo: &'r Repository,
    req: &MergeRequest,
    base: &Commit<'r>,
    tip: &Commit<'r>,
    lane: &Commit<'r>,
    three_way: bool,
) -> Result<Tree<'r>, GitError> {
    if !three_way {
        return lane.tree().ctx("read lane tree");
    }
    let ancestor = base.tree().ctx("read base tree")?;
    let ours = tip.tree().ctx("read target tree")?;
    let theirs = lane.tree().ctx("read lane tree")?;
    let mut index = repo
        .merge_trees(&ancestor, &ours, &theirs, None)
        .ctx(format!("merge {} into '{}'", req.lane_branch, req.target_branch))?;
    if index.has_conflicts() {
        let mut paths: Vec<String> = index
            .conflicts()
            .ctx("list conflicts")?
            .flatten()
            .filter_map(|c| c.our.or(c.their).or(c.ancestor))
            .map(|e| String::from_utf8_lossy(&e.path).into_owned())
            .collect();
        paths.sort();
        paths.dedup();
        return Err(GitError::MergeConflict {
            branch: req.target_branch.clone(),
            paths,
        });
    }
    let id = index.write_tree_to(repo).ctx("write merged tree")?;
    repo.find_tree(id).ctx("read merged tree")
}

/// The work tree (main or linked) that has `refname` checked out, if any.
fn find_checkout(repo: &Repository, refname: &str) -> Result<Option<Repository>, GitError> {
    // The common dir is the main work tree's git dir; open it there to see its HEAD
    // even when bakeoff runs from a linked worktree.
    let main = open(repo.commondir())?;
    let mut candidates = Vec::new();
    if !main.is_bare() {
        candidates.push(main);
    }
    if let Ok(names) = repo.worktrees() {
        for name in names.iter().flatten() {
            // A worktree whose directory is gone cannot be updated and has no
            // files to protect.
            if let Ok(wt) = repo.find_worktree(name) {
                if wt.validate().is_ok() {
                    if let Ok(r) = Repository::open_from_worktree(&wt) {
                        candidates.push(r);
                    }
                }
            }
        }
    }
    for wt in candidates {
        let on_target = wt.find_reference("HEAD").ctx("read HEAD")?.symbolic_target() == Some(refname);
        if on_target {
            return Ok(Some(wt));
        }
    }
    Ok(None)
}

/// Brings a work tree that has the target checked out from the `old` tip's tree to
/// `new`, touching only files that differ and refusing to clobber untracked files.
/// `force` (finishing an interrupted merge) writes the differing files whatever is
/// there: bakeoff itself wrote them before the crash.
fn update_worktree(
    wt: &Repository,
    req: &MergeRequest,
    old: &Tree,
    new: Oid,
    force: bool,
) -> Result<(), GitError> {
    // The trees must be looked up through the work tree's own handle.
    let new = wt.find_tree(new).ctx("read merged tree")?;
    let old = wt.find_tree(old.id()).ctx("read target tree")?;
    let changed = changed_paths(wt, &old, &new)?;
    let mut blocked = Vec::new();
    let result = {
        let mut opts = CheckoutBuilder::new();
        if force {
            // Only the merge's own paths, whatever is there now; a path the merge
            // deletes goes too, even where the index no longer tracks it.
            opts.force().remove_untracked(true);
            for p in &changed {
                opts.path(p);
            }
        } else {
            // Safe mode plans every change before writing any, so a refusal leaves the
            // work tree as it was.
            opts.safe();
        }
        opts.progress(|_, done, _| {
            if done == 1 {
                crash_point("merge:checkout");
            }
        });
        opts.notify_on(CheckoutNotificationType::CONFLICT)
            .notify(|_, path, _, _, _| {
                if let Some(p) = path {
                    blocked.push(p.to_string_lossy().into_owned());
                }
                true
            });
        wt.checkout_tree(new.as_object(), Some(&mut opts))
    };
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.code() == ErrorCode::Conflict || !blocked.is_empty() => {
            blocked.sort();
            blocked.dedup();
            Err(GitError::CheckoutBlocked {
                branch: req.target_branch.clone(),
                worktree: workdir(wt),
                paths: blocked,
            })
        }
        Err(e) => Err(GitError::git(
            format!("update work tree {}", workdir(wt).display()),
            e,
        )),
    }
}

/// Paths that differ between two trees.
fn changed_paths(repo: &Repository, old: &Tree, new: &Tree) -> Result<Vec<String>, GitError> {
    let diff = repo
        .diff_tree_to_tree(Some(old), Some(new), None)
        .ctx("diff the merge")?;
    let mut paths = Vec::new();
    for d in diff.deltas() {
        for f in [d.old_file(), d.new_file()] {
            if let Some(p) = f.path() {
                paths.push(p.to_string_lossy().into_owned());
            }
        }
    }
    paths.sort();
    paths.dedup();
    Ok(paths)
}

fn write_intent(path: &Path, new: Oid, old: Oid, target: &str) -> Result<(), GitError> {
    use std::io::Write;
    let mut file = std::fs::File::create(path).map_err(|e| GitError::io("write", path, e))?;
    writeln!(file, "{new} {old} {target}")
        .and_then(|()| file.sync_all())
        .map_err(|e| GitError::io("write", path, e))
}

fn move_branch(repo: &Repository, req: &MergeRequest, new: Oid, old: Oid) -> Result<(), GitError> {
    let refname = format!("refs/heads/{}", req.target_branch);
    let log = format!("bakeoff: merge {} ({:?})", req.lane_branch, req.strategy).to_lowercase();
    repo.reference_matching(&refname, new, true, old, &log)
        .map(|_| ())
        .map_err(|e| match e.code() {
            ErrorCode::Modified | ErrorCode::Exists | ErrorCode::Locked => GitError::TargetMoved {
                branch: req.target_branch.clone(),
            },
            _ => GitError::git(format!("move branch '{}'", req.target_branch), e),
        })
}

/// After a crash during a merge whose intent is at `intent`: brings the work tree that
/// has the target checked out to the merge commit (only the merge's own paths), writes
/// its index, moves the branch if it had not moved, and removes the intent. Returns the
/// merge commit; `None` when there was no merge under way.
pub fn finish_interrupted(repo_dir: &Path, intent: &Path) -> Result<Option<String>, GitError> {
    let Ok(text) = std::fs::read_to_string(intent) else {
        return Ok(None);
    };
    let mut words = text.split_whitespace();
    let (Some(new), Some(old), Some(target)) = (words.next(), words.next(), words.next()) else {
        // A crash while the intent itself was written: nothing had been touched yet.
        let _ = std::fs::remove_file(intent);
        return Ok(None);
    };
    let repo = open(repo_dir)?;
    let new = commit(&repo, new)?;
    let old = commit(&repo, old)?;
    let refname = format!("refs/heads/{target}");
    let req = MergeRequest {
        target_branch: target.to_string(),
        base: old.id().to_string(),
        lane_commit: new.id().to_string(),
        lane_branch: "the interrupted merge".to_string(),
        message: String::new(),
        strategy: MergeStrategy::Squash,
        intent: None,
    };
    if let Some(wt) = find_checkout(&repo, &refname)? {
        let old_tree = old.tree().ctx("read the merge's parent tree")?;
        let new_tree = new.tree().ctx("read the merge's tree")?;
        update_worktree(&wt, &req, &old_tree, new_tree.id(), true)?;
        // The index: exactly the new tree, as a finished merge leaves it.
        let mut index = wt.index().ctx("open the work tree's index")?;
        index.read_tree(&new_tree).ctx("load the merge's tree")?;
        index.write().ctx("write the work tree's index")?;
    }
    let tip = repo
        .find_reference(&refname)
        .and_then(|r| r.peel_to_commit())
        .ok();
    if tip.as_ref().map(|t| t.id()) != Some(new.id()) {
        move_branch(&repo, &req, new.id(), old.id())?;
    }
    let _ = std::fs::remove_file(intent);
    Ok(Some(new.id().to_string()))
}

/// A place where a test can have bakeoff die (SIGKILL, no cleanup) in the middle of a
/// merge: `BAKEOFF_CRASH_AT=merge:ref-moved`. Only in debug builds; the release
/// binary has none.
fn crash_point(name: &str) {
    #[cfg(debug_assertions)]
    if std::env::var("BAKEOFF_CRASH_AT").is_ok_and(|v| v == name) {
        // SAFETY: kill(2) on our own pid has no memory-safety preconditions.
        unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
    }
    #[cfg(not(debug_assertions))]
    let _ = name;
}

/// The user's identity from git config, else bakeoff's own.
fn user_signature(repo: &Repository) -> Result<Signature<'static>, GitError> {
    let config = repo.config().ctx("read git config")?;
    signature_from(&config)
}

/// `user.name` and `user.email` from `config`; either one missing falls back to
/// bakeoff's, so a merge never fails for want of an identity.
fn signature_from(config: &git2::Config) -> Result<Signature<'static>, GitError> {
    let get = |key: &str| config.get_string(key).ok().filter(|v| !v.trim().is_empty());
    match (get("user.name"), get("user.email")) {
        (None, None) => bakeoff_signature(),
        (name, email) => Signature::now(
            name.as_deref().unwrap_or(super::capture::BAKEOFF_NAME),
            email.as_deref().unwrap_or(super::capture::BAKEOFF_EMAIL),
        )
        .ctx("make signature from user.name/user.email"),
    }
}

fn workdir(repo: &Repository) -> PathBuf {
    repo.workdir().map(clean).unwrap_or_else(|| clean(repo.path()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::capture::capture;
    use crate::git::testutil::{fixture, git, write, Fixture, IsErr};
    use crate::git::worktree::{create_worktree, WorktreeSpec};
    use std::collections::BTreeMap;
    use std::fs;

    const LANE: &str = "bakeoff/r/lane";

    /// A repo whose lane changed `a.txt` and added `lane.txt`; returns the fixture,
    /// the base and the lane commit.
    fn raced() -> (Fixture, String, String) {
        let fx = fixture();
        let base = git(&fx.dir, &["rev-parse", "HEAD"]);
        let wt = fx.sibling("lane");
        let spec = WorktreeSpec {
            name: "lane".into(),
            path: wt.clone(),
            branch: LANE.into(),
            base: base.clone(),
        };
        create_worktree(&fx.dir, &spec).unwrap();
        write(&wt, "a.txt", "alpha from lane\n");
        write(&wt, "lane.txt", "new\n");
        let at = crate::git::LaneRef {
            name: "lane",
            worktree: &wt,
            branch: LANE,
        };
        let lane = capture(&fx.dir, &at, &base, "lane").unwrap();
        (fx, base, lane)
    }

    fn request(base: &str, lane: &str, strategy: MergeStrategy) -> MergeRequest {
        MergeRequest {
            target_branch: "main".into(),
            base: base.into(),
            lane_commit: lane.into(),
            lane_branch: LANE.into(),
            message: "bakeoff: winner\n\nBakeoff-Lane: lane\n".into(),
            strategy,
            intent: None,
        }
    }

    /// Every file under `dir` (the `.git` index included) by relative path.
    fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
        fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
            for entry in fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                let rel = path.strip_prefix(root).unwrap().to_path_buf();
                if rel.starts_with(".git")
                    && rel != Path::new(".git/index")
                    && rel.parent() == Some(Path::new(".git"))
                {
                    continue;
                }
                if path.is_dir() && !rel.starts_with(".git") {
                    walk(root, &path, out);
                } else if path.is_file() {
                    out.insert(rel, fs::read(&path).unwrap());
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(dir, dir, &mut out);
        out
    }

    #[test]
    fn squash_onto_untouched_checked_out_target() {
        let (fx, base, lane) = raced();
        write(&fx.dir, "untracked.txt", "mine\n");
        let out = merge_into(&fx.dir, &request(&base, &lane, MergeStrategy::Squash)).unwrap();
        assert!(!out.three_way);
        assert!(out.updated_worktree);
        assert_eq!(git(&fx.dir, &["rev-parse", "main"]), out.commit);
        assert_eq!(
            git(&fx.dir, &["rev-list", "--parents", "-n1", "main"]),
            format!("{} {base}", out.commit)
        );
        assert_eq!(
            git(&fx.dir, &["rev-parse", "main^{tree}"]),
            git(&fx.dir, &["rev-parse", &format!("{lane}^{{tree}}")])
        );
        assert_eq!(
            fs::read_to_string(fx.dir.join("a.txt")).unwrap(),
            "alpha from lane\n"
        );
        assert_eq!(fs::read_to_string(fx.dir.join("lane.txt")).unwrap(), "new\n");
        assert_eq!(git(&fx.dir, &["status", "--porcelain"]), "?? untracked.txt");
        assert_eq!(
            git(&fx.dir, &["log", "-1", "--format=%B", "main"]),
            "bakeoff: winner\n\nBakeoff-Lane: lane"
        );
        // Whoever libgit2's config names (the test machine may have a global
        // identity); `signature_falls_back_to_bakeoff` covers the fallback.
        let sig = user_signature(&open(&fx.dir).unwrap()).unwrap();
        let want = format!("{} <{}>", sig.name().unwrap(), sig.email().unwrap());
        assert_eq!(git(&fx.dir, &["log", "-1", "--format=%an <%ae>", "main"]), want);
    }

    #[test]
    fn squash_three_way_when_target_moved() {
        let (fx, base, lane) = raced();
        write(&fx.dir, "b.txt", "bravo moved on main\n");
        git(&fx.dir, &["commit", "-q", "-am", "user work"]);
        git(&fx.dir, &["config", "user.name", "Ada"]);
        git(&fx.dir, &["config", "user.email", "ada@example.com"]);
        let tip = git(&fx.dir, &["rev-parse", "main"]);
        let out = merge_into(&fx.dir, &request(&base, &lane, MergeStrategy::Squash)).unwrap();
        assert!(out.three_way && out.updated_worktree);
        assert_eq!(
            git(&fx.dir, &["rev-list", "--parents", "-n1", "main"]),
            format!("{} {tip}", out.commit)
        );
        for (path, want) in [
            ("a.txt", "alpha from lane\n"),
            ("b.txt", "bravo moved on main\n"),
            ("lane.txt", "new\n"),
        ] {
            assert_eq!(fs::read_to_string(fx.dir.join(path)).unwrap(), want, "{path}");
        }
        assert_eq!(git(&fx.dir, &["status", "--porcelain"]), "");
        assert_eq!(
            git(&fx.dir, &["log", "-1", "--format=%an <%ae>", "main"]),
            "Ada <ada@example.com>"
        );
    }

    #[test]
    fn conflict_changes_nothing() {
        let (fx, base, lane) = raced();
        write(&fx.dir, "a.txt", "alpha from user\n");
        git(&fx.dir, &["commit", "-q", "-am", "user work"]);
        let tip = git(&fx.dir, &["rev-parse", "main"]);
        let before = snapshot(&fx.dir);
        for strategy in [MergeStrategy::Squash, MergeStrategy::Merge] {
            let err = merge_into(&fx.dir, &request(&base, &lane, strategy)).unwrap_err();
            assert!(
                matches!(&err, GitError::MergeConflict { paths, .. } if paths == &["a.txt"]),
                "{err}"
            );
            assert_eq!(git(&fx.dir, &["rev-parse", "main"]), tip);
            assert_eq!(snapshot(&fx.dir), before);
        }
    }

    #[test]
    fn dirty_or_blocked_target_is_refused() {
        type Dirty = fn(&Path);
        let cases: [(&str, Dirty, IsErr); 3] = [
            (
                "unstaged",
                |d| write(d, "b.txt", "edited\n"),
                |e| matches!(e, GitError::DirtyTarget { paths, .. } if paths == &["b.txt"]),
            ),
            (
                "staged",
                |d| {
                    write(d, "c.txt", "staged\n");
                    git(d, &["add", "c.txt"]);
                },
                |e| matches!(e, GitError::DirtyTarget { paths, .. } if paths == &["c.txt"]),
            ),
            (
                "untracked in the way",
                |d| write(d, "lane.txt", "user's own\n"),
                |e| matches!(e, GitError::CheckoutBlocked { paths, .. } if paths == &["lane.txt"]),
            ),
        ];
        for (name, dirty, want) in cases {
            let (fx, base, lane) = raced();
            dirty(&fx.dir);
            let tip = git(&fx.dir, &["rev-parse", "main"]);
            let before = snapshot(&fx.dir);
            let err = merge_into(&fx.dir, &request(&base, &lane, MergeStrategy::Squash)).unwrap_err();
            assert!(want(&err), "{name}: {err}");
            assert_eq!(git(&fx.dir, &["rev-parse", "main"]), tip, "{name}");
            assert_eq!(snapshot(&fx.dir), before, "{name}");
        }
    }

    #[test]
    fn merge_strategy_has_two_parents() {
        let (fx, base, lane) = raced();
        let out = merge_into(&fx.dir, &request(&base, &lane, MergeStrategy::Merge)).unwrap();
        assert_eq!(
            git(&fx.dir, &["rev-list", "--parents", "-n1", "main"]),
            format!("{} {base} {lane}", out.commit)
        );
        assert_eq!(git(&fx.dir, &["status", "--porcelain"]), "");
        assert_eq!(fs::read_to_string(fx.dir.join("lane.txt")).unwrap(), "new\n");
    }

    #[test]
    fn target_not_checked_out_only_moves_the_ref() {
        let (fx, base, lane) = raced();
        git(&fx.dir, &["checkout", "-q", "-b", "elsewhere"]);
        write(&fx.dir, "b.txt", "dirty but irrelevant\n");
        let before = snapshot(&fx.dir);
        let out = merge_into(&fx.dir, &request(&base, &lane, MergeStrategy::Squash)).unwrap();
        assert!(!out.updated_worktree);
        assert_eq!(git(&fx.dir, &["rev-parse", "main"]), out.commit);
        assert_eq!(snapshot(&fx.dir), before);
        assert_eq!(git(&fx.dir, &["symbolic-ref", "HEAD"]), "refs/heads/elsewhere");
    }

    #[test]
    fn missing_target_and_bad_refs() {
        let (fx, base, lane) = raced();
        let mut req = request(&base, &lane, MergeStrategy::Squash);
        req.target_branch = "nope".into();
        assert!(matches!(
            merge_into(&fx.dir, &req),
            Err(GitError::TargetMissing { .. })
        ));
        req.target_branch = "bad..name".into();
        assert!(matches!(
            merge_into(&fx.dir, &req),
            Err(GitError::TargetMissing { .. })
        ));
        let mut req = request(
            &base,
            "0123456789012345678901234567890123456789",
            MergeStrategy::Squash,
        );
        assert!(matches!(
            merge_into(&fx.dir, &req),
            Err(GitError::UnknownRef { .. })
        ));
        req.lane_commit = lane;
        req.base = "nope".into();
        assert!(matches!(
            merge_into(&fx.dir, &req),
            Err(GitError::UnknownRef { .. })
        ));
    }

    #[test]
    fn target_checked_out_in_a_linked_worktree_is_updated() {
        let (fx, base, lane) = raced();
        git(&fx.dir, &["checkout", "-q", "--detach"]);
        let user_wt = fx.sibling("user-wt");
        git(
            &fx.dir,
            &["worktree", "add", "-q", user_wt.to_str().unwrap(), "main"],
        );
        let out = merge_into(&fx.dir, &request(&base, &lane, MergeStrategy::Squash)).unwrap();
        assert!(out.updated_worktree);
        assert_eq!(fs::read_to_string(user_wt.join("lane.txt")).unwrap(), "new\n");
        assert_eq!(git(&user_wt, &["status", "--porcelain"]), "");
    }

    #[test]
    fn signature_falls_back_to_bakeoff() {
        let tmp = tempfile::tempdir().unwrap();
        let cases = [
            ("", "bakeoff <bakeoff@localhost>"),
            ("[user]\n\tname = Ada\n\temail = ada@x\n", "Ada <ada@x>"),
            ("[user]\n\tname = Ada\n", "Ada <bakeoff@localhost>"),
        ];
        for (i, (text, want)) in cases.into_iter().enumerate() {
            let path = tmp.path().join(format!("config{i}"));
            fs::write(&path, text).unwrap();
            let config = git2::Config::open(&path).unwrap();
            let sig = signature_from(&config).unwrap();
            assert_eq!(
                format!("{} <{}>", sig.name().unwrap(), sig.email().unwrap()),
                want
            );
        }
    }
}
