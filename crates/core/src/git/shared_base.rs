//! Lanes that start on one shared checkout of the base.
//!
//! On a disk, checking out N worktrees costs N times the file system's work of
//! creating every file, and writing them at once makes it slower still (see
//! docs/benchmarks.md). A race whose lanes share a base commit checks it out once,
//! into `<race root>/.base`; each lane's agent then starts at once, seeing its
//! worktree as an overlay of that checkout with its writes going to the lane's own
//! upper folder (`<race root>/.overlay/<lane>/upper`; the mount is the child's own,
//! see `process::Overlay`). While the agent works, the lane's real worktree is checked
//! out in the background ([`fill`]); when the agent has stopped, what it wrote is moved
//! onto that checkout ([`settle`]), so from capture on the lane is an ordinary
//! worktree, exactly as the agent left it.
//!
//! The base is read-only to every lane: the overlay never writes its lower folder, and
//! the sandbox hides the worktree root that holds it.

use std::ffi::CString;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use super::checkout::lane_git;
use super::error::GitError;
use super::repo::{open, resolve};
use super::worktree::{create_with, remove_dir, Fill, WorktreeSpec};
use crate::process::Overlay;

/// The base's folder under a race's worktree root.
const BASE_DIR: &str = ".base";
/// The lanes' overlay folders under a race's worktree root.
const OVERLAY_DIR: &str = ".overlay";
/// The index of the background checkout, in the lane's administration entry until it
/// becomes the lane's own.
const FILL_INDEX: &str = "bakeoff-fill.index";

/// One checkout of a race's base commit, shared by its lanes until each has its own.
#[derive(Debug)]
pub struct SharedBase {
    /// The checked-out files; nothing else is in it.
    pub dir: PathBuf,
    /// Its index, with the stat data of those files: a lane starts with a copy, so
    /// `git status` in the overlay finds every unchanged file clean without reading it.
    pub index: PathBuf,
    pub commit: String,
}

/// The folder holding a lane's upper and work folders, beside its worktree.
pub(crate) fn overlay_dir(worktree: &Path) -> PathBuf {
    let name = worktree.file_name().unwrap_or_default();
    worktree.parent().unwrap_or(worktree).join(OVERLAY_DIR).join(name)
}

/// The overlay a lane's first children see its worktree through.
pub fn lane_overlay(base: &SharedBase, worktree: &Path) -> Overlay {
    let dir = overlay_dir(worktree);
    Overlay {
        lower: base.dir.clone(),
        upper: dir.join("upper"),
        work: dir.join("work"),
        target: worktree.to_path_buf(),
    }
}

/// Checks out `base` (a revision) of the repository at `repo_dir` into `race_root/.base`,
/// replacing what a crashed run left there. Needs the git CLI.
pub fn check_out_base(repo_dir: &Path, race_root: &Path, base: &str) -> Result<SharedBase, GitError> {
    let repo = open(repo_dir)?;
    let commit = resolve(&repo, base)?.to_string();
    let common = repo.commondir().to_path_buf();
    let dir = race_root.join(BASE_DIR);
    let index = race_root.join(format!("{BASE_DIR}.index"));
    remove_shared_base(race_root)?;
    fs::create_dir_all(&dir).map_err(|e| GitError::io("create directory", &dir, e))?;
    let shared = SharedBase { dir, index, commit };
    let made = read_tree(&common, &shared.dir, &shared.index, &shared.commit);
    if made.is_err() {
        let _ = remove_shared_base(race_root);
    }
    made.map(|()| shared)
}

/// Removes a race's shared base, once no lane reads through it (or after a crash).
pub fn remove_shared_base(race_root: &Path) -> Result<(), GitError> {
    remove_dir(&race_root.join(BASE_DIR))?;
    let index = race_root.join(format!("{BASE_DIR}.index"));
    match fs::remove_file(&index) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(GitError::io("remove", &index, e)),
        _ => Ok(()),
    }
}

/// A new lane worktree whose files are, for now, the shared base's: its branch and
/// administration entry as [`super::create_worktree`] makes them, its folder holding
/// only `.git`, and an overlay (upper and work folders) for its first children. The
/// entry stays locked until [`settle`].
pub fn create_shared_worktree(
    repo_dir: &Path,
    spec: &WorktreeSpec,
    base: &SharedBase,
) -> Result<(), GitError> {
    create_with(repo_dir, spec, Fill::Shared(base))
}

/// The [`Fill::Shared`] step of laying out a worktree: the base's index as the lane's,
/// and the upper folder holding the lane's own `.git` over the base's files.
pub(super) fn lay_out_overlay(base: &SharedBase, spec: &WorktreeSpec, admin: &Path) -> Result<(), GitError> {
    let overlay = lane_overlay(base, &spec.path);
    for dir in [&overlay.upper, &overlay.work] {
        fs::create_dir_all(dir).map_err(|e| GitError::io("create directory", dir, e))?;
    }
    let index = admin.join("index");
    fs::copy(&base.index, &index).map_err(|e| GitError::io("copy the base's index to", &index, e))?;
    let dot_git = spec.path.join(".git");
    fs::copy(&dot_git, overlay.upper.join(".git")).map_err(|e| GitError::io("copy", &dot_git, e))?;
    Ok(())
}

/// Writes the base's files into the lane's real worktree, with an index of their own
/// (the lane's index and HEAD are the agent's meanwhile). Runs while the agent works
/// in the overlay, which hides this folder from it.
pub fn fill(repo_dir: &Path, name: &str, worktree: &Path, commit: &str) -> Result<(), GitError> {
    let repo = open(repo_dir)?;
    let admin = repo.commondir().join("worktrees").join(name);
    read_tree(&admin, worktree, &admin.join(FILL_INDEX), commit)
}

/// Once every child that saw the overlay has stopped: moves what they wrote (the upper
/// folder) onto the filled worktree as the overlay showed it (deletions, replaced
/// folders, modes, links), gives the lane the fill's index, removes the overlay's
/// folders and unlocks the entry. The worktree is then what the agent saw.
pub fn settle(repo_dir: &Path, name: &str, worktree: &Path) -> Result<(), GitError> {
    let repo = open(repo_dir)?;
    let admin = repo.commondir().join("worktrees").join(name);
    let dir = overlay_dir(worktree);
    let upper = dir.join("upper");
    if upper.is_dir() {
        apply(&upper, worktree)?;
    }
    let fill_index = admin.join(FILL_INDEX);
    if fill_index.exists() {
        let index = admin.join("index");
        fs::rename(&fill_index, &index)
            .map_err(|e| GitError::io("move the checkout's index to", &index, e))?;
    }
    remove_dir(&dir)?;
    let parent = dir.parent().unwrap_or(&dir);
    // The last lane out removes the folder they shared.
    let _ = fs::remove_dir(parent);
    let lock = admin.join("locked");
    match fs::remove_file(&lock) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(GitError::io("unlock worktree", &lock, e)),
        _ => Ok(()),
    }
}

/// `git read-tree --reset -u COMMIT` into `worktree` with `index` as the index: the
/// files of COMMIT written as `git worktree add` writes them (filters included),
/// without touching any HEAD.
fn read_tree(git_dir: &Path, worktree: &Path, index: &Path, commit: &str) -> Result<(), GitError> {
    let mut cmd = lane_git(git_dir, worktree);
    cmd.env("GIT_INDEX_FILE", index)
        // Every file: a sparse pattern of the user's own checkout is not the lane's.
        .args([
            "-c",
            "core.sparseCheckout=false",
            "read-tree",
            "--reset",
            "-u",
            commit,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let out = cmd
        .output()
        .map_err(|e| GitError::io("run `git read-tree` in", worktree, e))?;
    if out.status.success() {
        return Ok(());
    }
    Err(GitError::Command {
        command: "git read-tree --reset -u".into(),
        dir: worktree.to_path_buf(),
        stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
    })
}

/// Moves the entries of the overlay's upper folder `upper` onto `dest` as the overlay
/// merged them: a whiteout deletes, an opaque folder replaces, a folder over a folder
/// merges, anything else replaces. Never follows a link: it descends only into folders
/// that are folders in both.
fn apply(upper: &Path, dest: &Path) -> Result<(), GitError> {
    let entries = fs::read_dir(upper).map_err(|e| GitError::io("read", upper, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| GitError::io("read", upper, e))?;
        let (from, to) = (entry.path(), dest.join(entry.file_name()));
        let meta = fs::symlink_metadata(&from).map_err(|e| GitError::io("read", &from, e))?;
        let there = fs::symlink_metadata(&to).ok();
        if is_whiteout(&meta) {
            if there.is_some() {
                remove_any(&to)?;
            }
            continue;
        }
        if meta.is_dir() && there.as_ref().is_some_and(|t| t.is_dir()) && !is_opaque(&from) {
            apply(&from, &to)?;
            fs::set_permissions(&to, meta.permissions())
                .map_err(|e| GitError::io("set the mode of", &to, e))?;
            continue;
        }
        if there.is_some() {
            remove_any(&to)?;
        }
        fs::rename(&from, &to).map_err(|e| GitError::io("move the lane's file to", &to, e))?;
        if meta.is_dir() {
            drop_whiteouts(&to)?;
        }
    }
    Ok(())
}

/// An overlay whiteout: a character device numbered 0:0.
fn is_whiteout(meta: &fs::Metadata) -> bool {
    meta.file_type().is_char_device() && meta.rdev() == 0
}

/// Whether the overlay marked a folder as hiding the lower one (`user.overlay.opaque`,
/// as an unprivileged overlay writes it).
fn is_opaque(dir: &Path) -> bool {
    let Ok(path) = CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    let mut value = [0u8; 2];
    // SAFETY: both strings are NUL-terminated and the buffer's length is passed.
    let n = unsafe {
        libc::lgetxattr(
            path.as_ptr(),
            c"user.overlay.opaque".as_ptr(),
            value.as_mut_ptr().cast(),
            value.len(),
        )
    };
    n == 1 && value[0] == b'y'
}

/// Whiteouts inside a folder moved whole have nothing left to hide.
fn drop_whiteouts(dir: &Path) -> Result<(), GitError> {
    for entry in fs::read_dir(dir).map_err(|e| GitError::io("read", dir, e))? {
        let entry = entry.map_err(|e| GitError::io("read", dir, e))?;
        let meta = fs::symlink_metadata(entry.path()).map_err(|e| GitError::io("read", &entry.path(), e))?;
        if is_whiteout(&meta) {
            remove_any(&entry.path())?;
        } else if meta.is_dir() {
            drop_whiteouts(&entry.path())?;
        }
    }
    Ok(())
}

fn remove_any(path: &Path) -> Result<(), GitError> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => remove_dir(path),
        Ok(_) => fs::remove_file(path).map_err(|e| GitError::io("remove", path, e)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(GitError::io("read", path, e)),
    }
}
