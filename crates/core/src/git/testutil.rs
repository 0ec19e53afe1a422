//! Test fixtures: throwaway repositories built with the git CLI in a hermetic
//! environment (no user or system config, a fixed identity).

use std::path::{Path, PathBuf};
use std::process::Command;

/// A temporary repository on branch `main` with one commit holding `a.txt` and
/// `b.txt`. The directory is deleted when the fixture drops.
pub(crate) struct Fixture {
    pub dir: PathBuf,
    _tmp: tempfile::TempDir,
}

impl Fixture {
    /// A path beside the repository (for worktrees), inside the same temp dir.
    pub fn sibling(&self, name: &str) -> PathBuf {
        self._tmp.path().join(name)
    }
}

pub(crate) fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo");
    std::fs::create_dir(&dir).unwrap();
    git(&dir, &["init", "-q", "-b", "main"]);
    std::fs::write(dir.join("a.txt"), "alpha\n").unwrap();
    std::fs::write(dir.join("b.txt"), "bravo\n").unwrap();
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "init"]);
    Fixture { dir, _tmp: tmp }
}

/// Runs git in `dir`, panicking with its stderr on failure; returns trimmed stdout.
pub(crate) fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_cmd(dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "git {args:?} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A git command with no global or system config and a fixed identity.
pub(crate) fn git_cmd(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .args(["-c", "user.name=t", "-c", "user.email=t@t"]);
    cmd
}

/// Writes `contents` at `rel` under `root`, creating parent directories.
pub(crate) fn write(root: &Path, rel: &str, contents: impl AsRef<[u8]>) {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, contents).unwrap();
}

/// A predicate on an error, for tables of expected failures.
pub(crate) type IsErr = fn(&super::GitError) -> bool;
