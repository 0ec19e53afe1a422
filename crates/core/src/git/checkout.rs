//! Filling a freshly laid-out lane worktree with the files of its branch.
//!
//! The git CLI does this the way `git worktree add` itself does (`git reset
//! --hard` in the new worktree), which is markedly faster than libgit2 on large
//! trees: libgit2 looks up attributes for every file through `realpath`, about 16
//! extra system calls a file. The CLI also runs the user's configured filters
//! (Git LFS smudge, for one), which libgit2 cannot. libgit2 is the fallback
//! when no `git` is on PATH.

use std::io;
use std::path::Path;
use std::process::{Command, Stdio};

use git2::build::CheckoutBuilder;

use super::error::{GitContext, GitError};
use super::repo::open;

/// How to populate a worktree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    /// The git CLI, falling back to libgit2 when git is not installed.
    Auto,
    /// libgit2 only; what `Auto` falls back to, chosen directly by tests.
    #[cfg_attr(not(test), allow(dead_code))]
    Libgit2,
}

/// Checks out HEAD of the worktree at `path`, whose administration entry is `admin`,
/// into its (empty) directory and writes its index.
pub(crate) fn populate(path: &Path, admin: &Path, method: Method) -> Result<(), GitError> {
    if method == Method::Auto {
        match with_git_cli(path, admin) {
            Err(CliError::NotInstalled) => {}
            Err(CliError::Failed(e)) => return Err(e),
            Ok(()) => return Ok(()),
        }
    }
    with_libgit2(path)
}

enum CliError {
    NotInstalled,
    Failed(GitError),
}

/// What of bakeoff's environment a git child keeps: enough to find programs, the
/// user's global config (an LFS filter, say) and a locale. Nothing else, so no key
/// bakeoff holds reaches a hook or filter that a lane may have planted in the shared
/// repository, and no `GIT_*` variable points it elsewhere.
const GIT_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "XDG_CONFIG_HOME",
];

/// `git` for a lane: the git dir and work tree given explicitly (never read from the
/// worktree's `.git` file), hooks off, no fsmonitor, and the environment of [`GIT_ENV`].
pub(crate) fn lane_git(admin: &Path, worktree: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.env_clear();
    for var in GIT_ENV {
        if let Some(value) = std::env::var_os(var) {
            cmd.env(var, value);
        }
    }
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .arg("--git-dir")
        .arg(admin)
        .arg("--work-tree")
        .arg(worktree)
        .args(["-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false"])
        .current_dir(worktree)
        .stdin(Stdio::null());
    cmd
}

fn with_git_cli(path: &Path, admin: &Path) -> Result<(), CliError> {
    let mut cmd = lane_git(admin, path);
    cmd.args(["reset", "--hard", "--quiet", "--no-recurse-submodules"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let out = match cmd.output() {
        Ok(out) => out,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(CliError::NotInstalled),
        Err(e) => {
            return Err(CliError::Failed(GitError::io(
                "run `git reset --hard` in",
                path,
                e,
            )))
        }
    };
    if out.status.success() {
        return Ok(());
    }
    Err(CliError::Failed(GitError::Command {
        command: "git reset --hard".into(),
        dir: path.to_path_buf(),
        stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
    }))
}

fn with_libgit2(path: &Path) -> Result<(), GitError> {
    let wt = open(path)?;
    // The directory holds nothing but `.git`, so forcing overwrites nothing; safe
    // mode would instead treat every file as deleted by the user and skip it.
    wt.checkout_head(Some(CheckoutBuilder::new().force()))
        .ctx(format!("check out HEAD in {}", path.display()))
}
