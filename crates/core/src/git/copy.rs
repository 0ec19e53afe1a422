//! Copying ignored files a lane needs (`.env`, `node_modules`, `target/`) from the
//! user's work tree into a lane worktree: reflinked where the file system can
//! share extents, copied otherwise; symlinks stay symlinks, modes are kept.

use std::fs;
use std::io;
use std::path::{Component, Path};

use super::error::GitError;

/// Copies each of `rel_paths` (files or directory trees, relative to both roots)
/// from `src_root` to `dst_root`. Paths missing in `src_root` are skipped; the
/// returned list holds the ones that were copied, in the order given.
///
/// Absolute paths, `..` and paths into `.git` are refused before anything is
/// copied. Existing files at the destination are replaced.
pub fn copy_into_worktree(
    src_root: &Path,
    dst_root: &Path,
    rel_paths: &[String],
) -> Result<Vec<String>, GitError> {
    for rel in rel_paths {
        check_relative(rel)?;
    }
    let mut copied = Vec::new();
    for rel in rel_paths {
        let src = src_root.join(rel);
        let meta = match fs::symlink_metadata(&src) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(GitError::io("read", &src, e)),
        };
        let dst = dst_root.join(rel);
        check_no_symlinked_parent(dst_root, rel)?;
        if let Some(parent) = dst.parent() {
            fs::create_dir_all(parent).map_err(|e| GitError::io("create directory", parent, e))?;
        }
        copy_entry(&src, &dst, &meta)?;
        copied.push(rel.clone());
    }
    Ok(copied)
}

fn check_relative(rel: &str) -> Result<(), GitError> {
    let unsafe_path = |reason| {
        Err(GitError::UnsafePath {
            path: rel.to_owned(),
            reason,
        })
    };
    let path = Path::new(rel);
    if rel.is_empty() {
        return unsafe_path("empty path");
    }
    if path.is_absolute() {
        return unsafe_path("absolute path");
    }
    let mut normal = 0;
    for comp in path.components() {
        match comp {
            Component::ParentDir => return unsafe_path("'..' leaves the repository"),
            Component::Normal(c) if c == ".git" => return unsafe_path("'.git' belongs to git"),
            Component::Normal(_) => normal += 1,
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return unsafe_path("absolute path"),
        }
    }
    if normal == 0 {
        return unsafe_path("names the whole repository");
    }
    Ok(())
}

/// A tracked symlink in the lane (say `vendor -> /usr/lib`) would otherwise let a
/// copy into `vendor/x` write outside the worktree.
fn check_no_symlinked_parent(dst_root: &Path, rel: &str) -> Result<(), GitError> {
    let mut at = dst_root.to_path_buf();
    let comps: Vec<_> = Path::new(rel).components().collect();
    for comp in &comps[..comps.len().saturating_sub(1)] {
        at.push(comp);
        if fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(GitError::UnsafePath {
                path: rel.to_owned(),
                reason: "a parent directory in the worktree is a symlink",
            });
        }
    }
    Ok(())
}

fn copy_entry(src: &Path, dst: &Path, meta: &fs::Metadata) -> Result<(), GitError> {
    let kind = meta.file_type();
    if kind.is_dir() {
        match fs::symlink_metadata(dst) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                remove_any(dst)?;
                fs::create_dir(dst).map_err(|e| GitError::io("create directory", dst, e))?;
            }
            Err(_) => fs::create_dir(dst).map_err(|e| GitError::io("create directory", dst, e))?,
        }
        let entries = fs::read_dir(src).map_err(|e| GitError::io("read directory", src, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| GitError::io("read directory", src, e))?;
            let child = entry.path();
            let child_meta = fs::symlink_metadata(&child).map_err(|e| GitError::io("read", &child, e))?;
            copy_entry(&child, &dst.join(entry.file_name()), &child_meta)?;
        }
        // Set last: a read-only source directory would otherwise block its own copy.
        fs::set_permissions(dst, meta.permissions())
            .map_err(|e| GitError::io("set permissions on", dst, e))?;
    } else if kind.is_symlink() {
        let target = fs::read_link(src).map_err(|e| GitError::io("read symlink", src, e))?;
        remove_if_present(dst)?;
        std::os::unix::fs::symlink(&target, dst).map_err(|e| GitError::io("create symlink", dst, e))?;
    } else if kind.is_file() {
        remove_if_present(dst)?;
        copy_file(src, dst, meta)?;
    }
    // Sockets, FIFOs and devices are not things a lane can use from a copy.
    Ok(())
}

fn copy_file(src: &Path, dst: &Path, meta: &fs::Metadata) -> Result<(), GitError> {
    if !reflink(src, dst) {
        // `fs::copy` uses copy_file_range, which may still share extents.
        fs::copy(src, dst).map_err(|e| GitError::io("copy", src, e))?;
    }
    fs::set_permissions(dst, meta.permissions()).map_err(|e| GitError::io("set permissions on", dst, e))
}

/// Clones `src` into a new `dst` with FICLONE; false (and no `dst`) when the
/// file system cannot.
#[cfg(target_os = "linux")]
fn reflink(src: &Path, dst: &Path) -> bool {
    use std::os::fd::AsRawFd;
    let Ok(from) = fs::File::open(src) else {
        return false;
    };
    let Ok(to) = fs::OpenOptions::new().write(true).create_new(true).open(dst) else {
        return false;
    };
    // SAFETY: both descriptors are open for the duration of the call, and FICLONE
    // takes the source descriptor by value as its argument.
    let rc = unsafe { libc::ioctl(to.as_raw_fd(), libc::FICLONE, from.as_raw_fd()) };
    if rc == 0 {
        return true;
    }
    drop(to);
    let _ = fs::remove_file(dst);
    false
}

#[cfg(not(target_os = "linux"))]
fn reflink(_src: &Path, _dst: &Path) -> bool {
    false
}

fn remove_if_present(path: &Path) -> Result<(), GitError> {
    match fs::symlink_metadata(path) {
        Ok(_) => remove_any(path),
        Err(_) => Ok(()),
    }
}

fn remove_any(path: &Path) -> Result<(), GitError> {
    let meta = fs::symlink_metadata(path).map_err(|e| GitError::io("read", path, e))?;
    let res = if meta.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    };
    res.map_err(|e| GitError::io("remove", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::testutil::write;
    use std::os::unix::fs::PermissionsExt;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn copies_env_and_node_modules_and_skips_missing() {
        let src = tempfile::tempdir().unwrap();
        let dst = tempfile::tempdir().unwrap();
        let (s, d) = (src.path(), dst.path());
        write(s, ".env", "KEY=1\n");
        write(s, "node_modules/left-pad/index.js", "module.exports = 1;\n");
        write(s, "node_modules/.bin/tool", "#!/bin/sh\n");
        fs::set_permissions(
            s.join("node_modules/.bin/tool"),
            fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        std::os::unix::fs::symlink("../left-pad/index.js", s.join("node_modules/.bin/pad")).unwrap();
        write(d, "node_modules/stale.js", "old\n");

        let copied = copy_into_worktree(s, d, &strings(&[".env", "node_modules", "target", "x/y"])).unwrap();
        assert_eq!(copied, [".env", "node_modules"]);
        assert_eq!(fs::read_to_string(d.join(".env")).unwrap(), "KEY=1\n");
        assert_eq!(
            fs::read_to_string(d.join("node_modules/left-pad/index.js")).unwrap(),
            "module.exports = 1;\n"
        );
        let mode = fs::metadata(d.join("node_modules/.bin/tool"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);
        let link = d.join("node_modules/.bin/pad");
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(fs::read_link(&link).unwrap(), Path::new("../left-pad/index.js"));
        assert!(!d.join("target").exists());
        // Copying merges into what is there; a second copy replaces files.
        assert!(d.join("node_modules/stale.js").exists());
        write(s, ".env", "KEY=2\n");
        copy_into_worktree(s, d, &strings(&[".env", "node_modules"])).unwrap();
        assert_eq!(fs::read_to_string(d.join(".env")).unwrap(), "KEY=2\n");
    }

    #[test]
    fn rejects_unsafe_paths_before_copying() {
        let src = tempfile::tempdir().unwrap();
        let dst = tempfile::tempdir().unwrap();
        write(src.path(), ".env", "x");
        for bad in ["/etc/passwd", "../x", "a/../../x", ".git", ".git/config", "", "."] {
            let err = copy_into_worktree(src.path(), dst.path(), &strings(&[".env", bad])).unwrap_err();
            assert!(matches!(err, GitError::UnsafePath { .. }), "{bad}: {err}");
            assert!(!dst.path().join(".env").exists(), "{bad}: copied before refusing");
        }
    }

    #[test]
    fn refuses_to_write_through_a_symlinked_directory() {
        let src = tempfile::tempdir().unwrap();
        let dst = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        write(src.path(), "vendor/x", "x");
        std::os::unix::fs::symlink(outside.path(), dst.path().join("vendor")).unwrap();
        let err = copy_into_worktree(src.path(), dst.path(), &strings(&["vendor/x"])).unwrap_err();
        assert!(matches!(err, GitError::UnsafePath { .. }), "{err}");
        assert!(!outside.path().join("x").exists());
    }
}
