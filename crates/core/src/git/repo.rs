//! The user's repository: finding it, naming its directories, resolving revisions
//! and reading the state of its work tree.
//!
//! [`Repo`] holds paths, not an open `git2::Repository`, so it is `Send + Sync` and
//! cheap to clone; every method opens the repository afresh, which keeps calls from
//! several threads independent of each other.

use std::path::{Path, PathBuf};

use git2::{ErrorCode, ObjectType, Oid, Repository, StatusOptions};

use super::error::{GitContext, GitError};

/// The user's repository, as found from the directory bakeoff was started in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repo {
    workdir: PathBuf,
    common_dir: PathBuf,
}

impl Repo {
    /// Finds the repository containing `cwd`.
    ///
    /// Fails with [`GitError::NotARepo`] outside a repository, [`GitError::BareRepo`]
    /// in a bare one and [`GitError::NoCommits`] when HEAD has no commit yet.
    pub fn discover(cwd: &Path) -> Result<Repo, GitError> {
        let repo = Repository::discover(cwd).map_err(|e| match e.code() {
            ErrorCode::NotFound => GitError::NotARepo {
                path: cwd.to_path_buf(),
            },
            _ => GitError::git(format!("open repository at {}", cwd.display()), e),
        })?;
        let Some(workdir) = repo.workdir() else {
            return Err(GitError::BareRepo {
                path: clean(repo.path()),
            });
        };
        let workdir = clean(workdir);
        match repo.head() {
            Ok(head) if head.peel_to_commit().is_ok() => {}
            // An unborn branch, or a HEAD naming a ref that is gone: either way there is
            // no commit to race from.
            Ok(_) => return Err(GitError::NoCommits { path: workdir }),
            Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => {
                return Err(GitError::NoCommits { path: workdir })
            }
            Err(e) => return Err(GitError::git("read HEAD", e)),
        }
        Ok(Repo {
            common_dir: clean(repo.commondir()),
            workdir,
        })
    }

    /// The top of the user's work tree.
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// The `.git` directory shared by all worktrees; bakeoff keeps its records in
    /// `<common_dir>/bakeoff/`.
    pub fn common_dir(&self) -> &Path {
        &self.common_dir
    }

    /// Resolves a revision (branch, tag, sha, `HEAD~2`, …) to a commit id in hex.
    pub fn resolve_commit(&self, rev: &str) -> Result<String, GitError> {
        let repo = self.open()?;
        Ok(resolve(&repo, rev)?.to_string())
    }

    /// The branch HEAD is on (`"main"`), or `None` when HEAD is detached.
    pub fn head_branch(&self) -> Result<Option<String>, GitError> {
        let repo = self.open()?;
        let head = repo.find_reference("HEAD").ctx("read HEAD")?;
        Ok(head
            .symbolic_target()
            .and_then(|t| t.strip_prefix("refs/heads/"))
            .map(str::to_owned))
    }

    /// The commit HEAD points at, in hex.
    pub fn head_commit(&self) -> Result<String, GitError> {
        let repo = self.open()?;
        self.head_commit_in(&repo).map(|oid| oid.to_string())
    }

    /// Paths of tracked files with staged or unstaged changes, sorted. Untracked and
    /// ignored files do not count: they cannot be lost by a merge.
    pub fn tracked_changes(&self) -> Result<Vec<String>, GitError> {
        let repo = self.open()?;
        tracked_changes_in(&repo)
    }

    /// The submodules of `commit`: every gitlink (mode 160000) in its tree, and
    /// `.gitmodules` if it has one, as paths. A lane's worktree would get them as empty
    /// folders, so preflight refuses such a base.
    pub fn submodules(&self, commit: &str) -> Result<Vec<String>, GitError> {
        let repo = self.open()?;
        let oid = resolve(&repo, commit)?;
        let tree = repo
            .find_commit(oid)
            .and_then(|c| c.tree())
            .ctx("read the base commit's tree")?;
        let mut found = Vec::new();
        if tree.get_name(".gitmodules").is_some() {
            found.push(".gitmodules".to_string());
        }
        tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
            if entry.filemode() == 0o160000 {
                found.push(format!("{dir}{}", entry.name().unwrap_or("?")));
            }
            git2::TreeWalkResult::Ok
        })
        .ctx("walk the base commit's tree")?;
        Ok(found)
    }

    fn open(&self) -> Result<Repository, GitError> {
        open(&self.workdir)
    }

    fn head_commit_in(&self, repo: &Repository) -> Result<Oid, GitError> {
        let head = repo.head().map_err(|_| GitError::NoCommits {
            path: self.workdir.clone(),
        })?;
        let commit = head.peel_to_commit().map_err(|_| GitError::NoCommits {
            path: self.workdir.clone(),
        })?;
        Ok(commit.id())
    }
}

/// Opens the repository at `dir` (a work tree, a linked worktree or a `.git`
/// directory), without searching upwards.
pub(crate) fn open(dir: &Path) -> Result<Repository, GitError> {
    Repository::open(dir).map_err(|e| match e.code() {
        ErrorCode::NotFound => GitError::NotARepo {
            path: dir.to_path_buf(),
        },
        _ => GitError::git(format!("open repository at {}", dir.display()), e),
    })
}

/// Resolves `rev` to a commit, peeling tags; anything else is [`GitError::UnknownRef`].
pub(crate) fn resolve(repo: &Repository, rev: &str) -> Result<Oid, GitError> {
    let unknown = || GitError::UnknownRef { rev: rev.to_owned() };
    // An empty revision would otherwise be a libgit2 "invalid spec" error that does
    // not say which input was wrong.
    if rev.trim().is_empty() {
        return Err(unknown());
    }
    let object = repo.revparse_single(rev).map_err(|_| unknown())?;
    let commit = object.peel(ObjectType::Commit).map_err(|_| unknown())?;
    Ok(commit.id())
}

/// Tracked paths with staged or unstaged changes in `repo`'s work tree, sorted.
pub(crate) fn tracked_changes_in(repo: &Repository) -> Result<Vec<String>, GitError> {
    let mut opts = StatusOptions::new();
    opts.include_untracked(false)
        .include_ignored(false)
        .renames_head_to_index(false);
    let statuses = repo.statuses(Some(&mut opts)).ctx("read work tree status")?;
    let mut paths: Vec<String> = statuses
        .iter()
        .filter(|s| {
            let st = s.status();
            !st.is_empty() && !st.is_ignored() && st != git2::Status::WT_NEW
        })
        .map(|s| String::from_utf8_lossy(s.path_bytes()).into_owned())
        .collect();
    paths.sort();
    paths.dedup();
    Ok(paths)
}

/// Drops the trailing slash libgit2 puts on directory paths, so they print and
/// compare like paths from anywhere else.
pub(crate) fn clean(path: &Path) -> PathBuf {
    path.components().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::testutil::{fixture, git, IsErr};

    #[test]
    fn discover_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let plain = tmp.path().join("plain");
        std::fs::create_dir(&plain).unwrap();
        let empty = tmp.path().join("empty");
        git(tmp.path(), &["init", "-q", "empty"]);
        let bare = tmp.path().join("bare.git");
        git(tmp.path(), &["init", "-q", "--bare", "bare.git"]);

        let cases: [(&Path, IsErr); 3] = [
            (&plain, |e| matches!(e, GitError::NotARepo { .. })),
            (&empty, |e| matches!(e, GitError::NoCommits { .. })),
            (&bare, |e| matches!(e, GitError::BareRepo { .. })),
        ];
        for (dir, want) in cases {
            let err = Repo::discover(dir).unwrap_err();
            assert!(want(&err), "{}: got {err}", dir.display());
        }
        let msg = Repo::discover(&empty).unwrap_err().to_string();
        assert!(msg.contains("has no commits yet"), "{msg}");
    }

    #[test]
    fn discover_from_subdirectory_and_read_head() {
        let fx = fixture();
        let sub = fx.dir.join("src");
        std::fs::create_dir_all(&sub).unwrap();
        let repo = Repo::discover(&sub).unwrap();
        assert_eq!(repo.workdir(), fx.dir.canonicalize().unwrap());
        assert_eq!(repo.common_dir(), fx.dir.canonicalize().unwrap().join(".git"));
        assert_eq!(repo.head_branch().unwrap().as_deref(), Some("main"));
        let head = repo.head_commit().unwrap();
        assert_eq!(head.len(), 40);
        assert_eq!(repo.resolve_commit("main").unwrap(), head);
        assert_eq!(repo.resolve_commit(&head[..7]).unwrap(), head);

        git(&fx.dir, &["tag", "-a", "-m", "t", "v1"]);
        assert_eq!(repo.resolve_commit("v1").unwrap(), head);

        git(&fx.dir, &["checkout", "-q", "--detach"]);
        assert_eq!(repo.head_branch().unwrap(), None);
    }

    #[test]
    fn resolve_unknown_refs() {
        let fx = fixture();
        let repo = Repo::discover(&fx.dir).unwrap();
        let tree = git(&fx.dir, &["rev-parse", "HEAD^{tree}"]);
        for rev in ["nope", "", "HEAD~5", "refs/heads/x", tree.as_str()] {
            let err = repo.resolve_commit(rev).unwrap_err();
            assert!(
                matches!(&err, GitError::UnknownRef { rev: r } if r == rev),
                "{rev}: {err}"
            );
        }
    }

    #[test]
    fn tracked_changes_ignores_untracked() {
        let fx = fixture();
        let repo = Repo::discover(&fx.dir).unwrap();
        assert!(repo.tracked_changes().unwrap().is_empty());
        std::fs::write(fx.dir.join("new.txt"), "x").unwrap();
        assert!(repo.tracked_changes().unwrap().is_empty());
        std::fs::write(fx.dir.join("a.txt"), "changed\n").unwrap();
        std::fs::write(fx.dir.join("b.txt"), "staged\n").unwrap();
        git(&fx.dir, &["add", "b.txt"]);
        assert_eq!(repo.tracked_changes().unwrap(), ["a.txt", "b.txt"]);
    }
}
