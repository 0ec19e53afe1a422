//! Lane worktrees: creating one on a fresh branch at the base commit, and removing
//! it again without leaving a directory, a `git worktree list` entry or a branch.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use git2::{BranchType, ErrorCode, Repository, WorktreePruneOptions};

use super::checkout::{populate, Method};
use super::error::{GitContext, GitError};
use super::repo::{self, clean, open, resolve};

/// Where and how to create one lane's worktree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorktreeSpec {
    /// Admin name under `<common_dir>/worktrees/`; unique per repository.
    pub name: String,
    /// Directory to create; must not exist yet. Parent directories are created.
    pub path: PathBuf,
    /// Branch to create at `base` and check out.
    pub branch: String,
    /// Revision the lane starts from.
    pub base: String,
}

/// Creates `spec.branch` at `spec.base` and a worktree at `spec.path` with that
/// branch checked out.
///
/// Fails with [`GitError::BranchExists`] if the branch is already there. On failure
/// nothing is left behind: the branch, the directory and the admin entry are undone.
///
/// The worktree is laid out here rather than by `git_worktree_add`: libgit2's
/// "is this branch checked out anywhere" scan misreads a sibling worktree that is
/// half created or half removed as having the branch checked out, so lanes set up
/// or cleaned in parallel would fail at random. A branch made a moment ago cannot
/// be checked out anywhere, so the scan is not needed.
pub fn create_worktree(repo_dir: &Path, spec: &WorktreeSpec) -> Result<(), GitError> {
    create_with(repo_dir, spec, Fill::Checkout(Method::Auto))
}

/// How a new worktree gets its files.
pub(super) enum Fill<'a> {
    /// Checked out now.
    Checkout(Method),
    /// Read through an overlay of the race's shared base until
    /// [`super::shared_base::settle`] writes them (see `shared_base`).
    Shared(&'a super::shared_base::SharedBase),
}

pub(super) fn create_with(repo_dir: &Path, spec: &WorktreeSpec, fill: Fill<'_>) -> Result<(), GitError> {
    check_name(&spec.name)?;
    let repo = open(repo_dir)?;
    let base = resolve(&repo, &spec.base)?;
    let commit = repo.find_commit(base).ctx(format!("read commit {base}"))?;
    if !git2::Branch::name_is_valid(&spec.branch).unwrap_or(false) {
        return Err(GitError::InvalidBranchName {
            branch: spec.branch.clone(),
        });
    }
    let admin_root = repo.commondir().join("worktrees");
    let admin = admin_root.join(&spec.name);
    if admin.exists() {
        return Err(GitError::WorktreeExists {
            name: spec.name.clone(),
        });
    }
    if fs::symlink_metadata(&spec.path).is_ok() {
        return Err(GitError::PathExists {
            path: spec.path.clone(),
        });
    }
    repo.branch(&spec.branch, &commit, false)
        .map_err(|e| match e.code() {
            ErrorCode::Exists => GitError::BranchExists {
                branch: spec.branch.clone(),
            },
            _ => GitError::git(format!("create branch '{}'", spec.branch), e),
        })?;

    let mut made = Made::default();
    let result = lay_out(&admin_root, &admin, spec, &mut made).and_then(|()| match fill {
        Fill::Checkout(method) => check_out(spec, &admin, method),
        Fill::Shared(base) => super::shared_base::lay_out_overlay(base, spec, &admin),
    });
    if result.is_err() {
        // Best effort: the error is what the caller needs to see.
        if made.path {
            let _ = remove_dir(&spec.path);
        }
        if made.admin {
            let _ = remove_dir(&admin);
        }
        let _ = remove_dir(&super::shared_base::overlay_dir(&spec.path));
        if let Ok(r) = repo.find_reference(&format!("refs/heads/{}", spec.branch)) {
            let _ = { r }.delete();
        }
    }
    result
}

/// What [`lay_out`] created, so a failure undoes only that.
#[derive(Default)]
struct Made {
    admin: bool,
    path: bool,
}

/// Writes the admin entry and the worktree's `.git` file as `git worktree add`
/// does, with the entry locked until the checkout is done so a concurrent
/// `git worktree prune` cannot take it away half made.
fn lay_out(admin_root: &Path, admin: &Path, spec: &WorktreeSpec, made: &mut Made) -> Result<(), GitError> {
    fs::create_dir_all(admin_root).map_err(|e| GitError::io("create directory", admin_root, e))?;
    match fs::create_dir(admin) {
        Ok(()) => made.admin = true,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            return Err(GitError::WorktreeExists {
                name: spec.name.clone(),
            })
        }
        Err(e) => return Err(GitError::io("create directory", admin, e)),
    }
    write(&admin.join("locked"), "initializing\n")?;
    if let Some(parent) = spec.path.parent() {
        fs::create_dir_all(parent).map_err(|e| GitError::io("create directory", parent, e))?;
    }
    match fs::create_dir(&spec.path) {
        Ok(()) => made.path = true,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            return Err(GitError::PathExists {
                path: spec.path.clone(),
            })
        }
        Err(e) => return Err(GitError::io("create directory", &spec.path, e)),
    }
    let abs = |p: &Path| p.canonicalize().map_err(|e| GitError::io("resolve", p, e));
    let (admin_abs, path_abs) = (abs(admin)?, abs(&spec.path)?);
    write(
        &spec.path.join(".git"),
        &format!("gitdir: {}\n", admin_abs.display()),
    )?;
    write(
        &admin.join("gitdir"),
        &format!("{}\n", path_abs.join(".git").display()),
    )?;
    write(&admin.join("commondir"), "../..\n")?;
    write(&admin.join("HEAD"), &format!("ref: refs/heads/{}\n", spec.branch))?;
    Ok(())
}

/// Fills the new worktree from its branch and writes its index, then unlocks it.
fn check_out(spec: &WorktreeSpec, admin: &Path, method: Method) -> Result<(), GitError> {
    populate(&spec.path, admin, method)?;
    let lock = repo::open(&spec.path)?.path().join("locked");
    fs::remove_file(&lock).map_err(|e| GitError::io("unlock worktree", &lock, e))
}

fn write(path: &Path, text: &str) -> Result<(), GitError> {
    fs::write(path, text).map_err(|e| GitError::io("write", path, e))
}

/// Removes the lane worktree `name` at `path` and, if given, its branch.
///
/// Idempotent: a directory, admin entry or branch that is already gone is fine.
/// Refuses ([`GitError::NotOurWorktree`]) to delete a non-empty directory that is
/// not this repository's worktree `name`, so a wrong path cannot wipe user files.
pub fn remove_worktree(
    repo_dir: &Path,
    name: &str,
    path: &Path,
    branch: Option<&str>,
) -> Result<(), GitError> {
    check_name(name)?;
    let repo = open(repo_dir)?;
    let admin = repo.commondir().join("worktrees").join(name);

    if fs::symlink_metadata(path).is_ok() {
        if !is_our_worktree(path, &admin) && !is_empty_dir(path) {
            return Err(GitError::NotOurWorktree {
                path: path.to_path_buf(),
                name: name.to_owned(),
            });
        }
        remove_dir(path)?;
    }

    // With the directory gone the entry is prunable; pruning through libgit2 also
    // drops a lock the agent may have left.
    if let Ok(wt) = repo.find_worktree(name) {
        let mut opts = WorktreePruneOptions::new();
        opts.valid(true).locked(true).working_tree(false);
        wt.prune(Some(&mut opts))
            .ctx(format!("prune worktree '{name}'"))?;
    }
    if admin.exists() {
        remove_dir(&admin)?;
    }
    let overlay = super::shared_base::overlay_dir(path);
    if fs::symlink_metadata(&overlay).is_ok() {
        remove_dir(&overlay)?;
    }

    if let Some(branch) = branch {
        delete_branch(&repo, branch)?;
    }
    Ok(())
}

fn delete_branch(repo: &Repository, name: &str) -> Result<(), GitError> {
    let branch = match repo.find_branch(name, BranchType::Local) {
        Ok(b) => b,
        Err(e) if e.code() == ErrorCode::NotFound => return Ok(()),
        Err(e) => return Err(GitError::git(format!("find branch '{name}'"), e)),
    };
    if branch.is_head() || checked_out_elsewhere(repo, name) {
        return Err(GitError::BranchCheckedOut {
            branch: name.to_owned(),
        });
    }
    // Deleting the reference rather than the branch skips libgit2's own
    // checked-out scan, which misfires while sibling lanes are being removed (see
    // `create_worktree`); the check above reads each worktree's HEAD directly.
    let mut reference = branch.into_reference();
    reference.delete().ctx(format!("delete branch '{name}'"))
}

/// Whether the main or a linked worktree of `repo` has `refs/heads/<branch>`
/// checked out.
fn checked_out_elsewhere(repo: &Repository, branch: &str) -> bool {
    let full = format!("refs/heads/{branch}");
    let Ok(names) = repo.worktrees() else {
        return false;
    };
    let common = repo.commondir();
    let heads = std::iter::once(common.join("HEAD")).chain(
        names
            .iter()
            .flatten()
            .map(|wt| common.join("worktrees").join(wt).join("HEAD")),
    );
    heads
        .into_iter()
        .any(|head| fs::read_to_string(head).is_ok_and(|h| h.trim() == format!("ref: {full}")))
}

/// Whether `path/.git` is the gitfile of the worktree whose admin dir is `admin`.
fn is_our_worktree(path: &Path, admin: &Path) -> bool {
    let Ok(text) = fs::read_to_string(path.join(".git")) else {
        return false;
    };
    let Some(target) = text.trim().strip_prefix("gitdir:") else {
        return false;
    };
    let target = Path::new(target.trim());
    let target = if target.is_relative() {
        path.join(target)
    } else {
        target.to_path_buf()
    };
    match (target.canonicalize(), admin.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        // The admin dir may already be pruned: compare the spelling instead.
        _ => clean(&target) == clean(admin),
    }
}

fn is_empty_dir(path: &Path) -> bool {
    fs::read_dir(path)
        .map(|mut d| d.next().is_none())
        .unwrap_or(false)
}

/// Removes a directory tree; an agent may have left read-only directories in it,
/// so on a permission error it makes them writable and tries again.
pub(super) fn remove_dir(path: &Path) -> Result<(), GitError> {
    match fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            make_writable(path);
            match fs::remove_dir_all(path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    Err(GitError::io("remove directory", path, e))
                }
                _ => Ok(()),
            }
        }
        Err(e) => Err(GitError::io("remove directory", path, e)),
    }
}

fn make_writable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = fs::symlink_metadata(dir) else {
        return;
    };
    if !meta.is_dir() {
        return;
    }
    let _ = fs::set_permissions(dir, fs::Permissions::from_mode(meta.permissions().mode() | 0o700));
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            make_writable(&entry.path());
        }
    }
}

/// Admin names become a directory under `worktrees/`, so they must be one plain
/// path component.
fn check_name(name: &str) -> Result<(), GitError> {
    let ok = !name.is_empty()
        && name != "."
        && name != ".."
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(GitError::InvalidWorktreeName {
            name: name.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::testutil::{fixture, git, write, IsErr};
    use std::os::unix::fs::PermissionsExt;

    fn spec(fx: &crate::git::testutil::Fixture, i: usize) -> WorktreeSpec {
        WorktreeSpec {
            name: format!("lane-{i}"),
            path: fx.sibling(&format!("lanes/r1/lane-{i}")),
            branch: format!("bakeoff/r1/lane-{i}"),
            base: "main".into(),
        }
    }

    #[test]
    fn create_in_parallel_then_remove_leaves_nothing() {
        let fx = fixture();
        let specs: Vec<WorktreeSpec> = (0..4).map(|i| spec(&fx, i)).collect();
        std::thread::scope(|s| {
            let handles: Vec<_> = specs
                .iter()
                .map(|sp| s.spawn(|| create_worktree(&fx.dir, sp)))
                .collect();
            for h in handles {
                h.join().unwrap().unwrap();
            }
        });

        let list = git(&fx.dir, &["worktree", "list", "--porcelain"]);
        for sp in &specs {
            let canon = sp.path.canonicalize().unwrap();
            assert!(list.contains(&format!("worktree {}", canon.display())), "{list}");
            assert!(
                list.contains(&format!("branch refs/heads/{}", sp.branch)),
                "{list}"
            );
            assert_eq!(std::fs::read_to_string(sp.path.join("a.txt")).unwrap(), "alpha\n");
            // Git itself sees a clean checkout on the lane branch.
            assert_eq!(git(&sp.path, &["status", "--porcelain"]), "");
            assert_eq!(git(&sp.path, &["branch", "--show-current"]), sp.branch);
        }

        std::thread::scope(|s| {
            for sp in &specs {
                s.spawn(|| remove_worktree(&fx.dir, &sp.name, &sp.path, Some(&sp.branch)).unwrap());
            }
        });
        let list = git(&fx.dir, &["worktree", "list", "--porcelain"]);
        assert_eq!(list.matches("worktree ").count(), 1, "{list}");
        assert_eq!(git(&fx.dir, &["branch", "--list", "bakeoff/*"]), "");
        for sp in &specs {
            assert!(!sp.path.exists());
            assert!(!fx.dir.join(".git/worktrees").join(&sp.name).exists());
        }
        // Idempotent: a second removal of the same lane is fine.
        let sp = &specs[0];
        remove_worktree(&fx.dir, &sp.name, &sp.path, Some(&sp.branch)).unwrap();
    }

    #[test]
    fn both_checkout_methods_give_a_clean_worktree() {
        let fx = fixture();
        write(&fx.dir, "bin/run", "#!/bin/sh\n");
        git(&fx.dir, &["update-index", "--add", "--chmod=+x", "bin/run"]);
        std::os::unix::fs::symlink("a.txt", fx.dir.join("link")).unwrap();
        git(&fx.dir, &["add", "link"]);
        git(&fx.dir, &["commit", "-q", "-m", "modes"]);
        for (i, method) in [Method::Auto, Method::Libgit2].into_iter().enumerate() {
            let sp = spec(&fx, i);
            create_with(&fx.dir, &sp, Fill::Checkout(method)).unwrap();
            assert_eq!(git(&sp.path, &["status", "--porcelain"]), "", "{method:?}");
            assert!(std::fs::symlink_metadata(sp.path.join("link"))
                .unwrap()
                .file_type()
                .is_symlink());
            let mode = std::fs::metadata(sp.path.join("bin/run"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o111, 0o111, "{method:?}");
            assert!(!fx
                .dir
                .join(".git/worktrees")
                .join(&sp.name)
                .join("locked")
                .exists());
        }
    }

    #[test]
    fn create_errors_and_rollback() {
        let fx = fixture();
        git(&fx.dir, &["branch", "taken"]);
        let base = spec(&fx, 0);
        let cases: [(WorktreeSpec, IsErr); 4] = [
            (
                WorktreeSpec {
                    branch: "taken".into(),
                    ..base.clone()
                },
                |e| matches!(e, GitError::BranchExists { .. }),
            ),
            (
                WorktreeSpec {
                    base: "nope".into(),
                    ..base.clone()
                },
                |e| matches!(e, GitError::UnknownRef { .. }),
            ),
            (
                WorktreeSpec {
                    name: "a/b".into(),
                    ..base.clone()
                },
                |e| matches!(e, GitError::InvalidWorktreeName { .. }),
            ),
            (
                WorktreeSpec {
                    branch: "bad..name".into(),
                    ..base.clone()
                },
                |e| matches!(e, GitError::InvalidBranchName { .. }),
            ),
        ];
        for (sp, want) in cases {
            let err = create_worktree(&fx.dir, &sp).unwrap_err();
            assert!(want(&err), "{sp:?}: {err}");
            assert!(!sp.path.exists());
        }
        assert_eq!(
            git(&fx.dir, &["worktree", "list", "--porcelain"])
                .matches("worktree ")
                .count(),
            1
        );

        create_worktree(&fx.dir, &base).unwrap();
        let again = WorktreeSpec {
            path: fx.sibling("elsewhere"),
            branch: "x".into(),
            ..base.clone()
        };
        assert!(matches!(
            create_worktree(&fx.dir, &again),
            Err(GitError::WorktreeExists { .. })
        ));
        let taken_path = WorktreeSpec {
            name: "other".into(),
            branch: "y".into(),
            ..base.clone()
        };
        assert!(matches!(
            create_worktree(&fx.dir, &taken_path),
            Err(GitError::PathExists { .. })
        ));
        assert_eq!(git(&fx.dir, &["branch", "--list", "x", "y"]), "");
    }

    #[test]
    fn remove_refuses_foreign_directory() {
        let fx = fixture();
        let foreign = fx.sibling("precious");
        write(&foreign, "keep.txt", "x");
        let err = remove_worktree(&fx.dir, "lane-0", &foreign, None).unwrap_err();
        assert!(matches!(err, GitError::NotOurWorktree { .. }), "{err}");
        assert!(foreign.join("keep.txt").exists());
        // The user's own work tree is never a lane worktree either.
        let err = remove_worktree(&fx.dir, "lane-0", &fx.dir, None).unwrap_err();
        assert!(matches!(err, GitError::NotOurWorktree { .. }), "{err}");
    }

    #[test]
    fn remove_copes_with_read_only_dirs_and_checked_out_branch() {
        let fx = fixture();
        let sp = spec(&fx, 0);
        create_worktree(&fx.dir, &sp).unwrap();
        write(&sp.path, "ro/f.txt", "x");
        std::fs::set_permissions(sp.path.join("ro"), std::fs::Permissions::from_mode(0o555)).unwrap();
        // The user's current branch is never deleted.
        let err = remove_worktree(&fx.dir, &sp.name, &sp.path, Some("main")).unwrap_err();
        assert!(matches!(err, GitError::BranchCheckedOut { .. }), "{err}");
        assert!(!sp.path.exists());
        remove_worktree(&fx.dir, &sp.name, &sp.path, Some(&sp.branch)).unwrap();
        assert_eq!(
            git(&fx.dir, &["worktree", "list", "--porcelain"])
                .matches("worktree ")
                .count(),
            1
        );
    }
}
