//! Holdout files: laid into a lane's worktree only after its work is captured, so the
//! agent never saw them and they never reach the lane's commit. The worktree is the
//! agent's: a folder it turned into a symbolic link (to the user's checkout, to `$HOME`)
//! is never followed; such a lane is refused.

use std::path::Path;

/// Copies every file under `src` into `dst` at the same relative path, replacing what is
/// there. Returns the relative paths laid in. (A plain recursive copy: the holdout folder
/// is small and must overwrite files in place, which reflinking whole trees does not do.)
pub fn lay_in(src: &Path, dst: &Path) -> Result<Vec<String>, String> {
    let mut laid = Vec::new();
    copy_dir(src, dst, src, &mut laid)?;
    laid.sort();
    Ok(laid)
}

fn copy_dir(root: &Path, dst_root: &Path, dir: &Path, laid: &mut Vec<String>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read holdout folder {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read holdout folder {}: {e}", dir.display()))?;
        let path = entry.path();
        let rel = path.strip_prefix(root).unwrap_or(&path);
        let target = dst_root.join(rel);
        let kind = entry
            .file_type()
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if kind.is_dir() {
            real_dir(dst_root, rel)?;
            copy_dir(root, dst_root, &path, laid)?;
        } else {
            if let Some(parent) = rel.parent() {
                real_dir(dst_root, parent)?;
            }
            // A symbolic link where the file goes is replaced, never written through.
            if std::fs::symlink_metadata(&target).is_ok_and(|m| m.file_type().is_symlink()) {
                std::fs::remove_file(&target)
                    .map_err(|e| format!("cannot replace {}: {e}", target.display()))?;
            }
            std::fs::copy(&path, &target).map_err(|e| {
                format!(
                    "cannot lay holdout file {} into {}: {e}",
                    path.display(),
                    target.display()
                )
            })?;
            laid.push(rel.to_string_lossy().into_owned());
        }
    }
    Ok(())
}

/// Makes `root/rel` a real folder, one component at a time, refusing any component the
/// agent made a symbolic link.
fn real_dir(root: &Path, rel: &Path) -> Result<(), String> {
    let mut at = root.to_path_buf();
    for part in rel.components() {
        at.push(part);
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(format!(
                    "the lane made {} a symbolic link; holdout files are not laid through it",
                    at.strip_prefix(root).unwrap_or(&at).display()
                ))
            }
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                std::fs::remove_file(&at).map_err(|e| format!("cannot replace {}: {e}", at.display()))?;
                std::fs::create_dir(&at).map_err(|e| format!("cannot create {}: {e}", at.display()))?;
            }
            Err(_) => std::fs::create_dir(&at).map_err(|e| format!("cannot create {}: {e}", at.display()))?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lays_nested_files_over_existing_ones() {
        let src = tempfile::tempdir().unwrap();
        let dst = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(src.path().join("tests/deep")).unwrap();
        std::fs::write(src.path().join("tests/deep/a.sh"), "new").unwrap();
        std::fs::write(src.path().join("top.txt"), "t").unwrap();
        std::fs::create_dir_all(dst.path().join("tests/deep")).unwrap();
        std::fs::write(dst.path().join("tests/deep/a.sh"), "old").unwrap();
        std::fs::write(dst.path().join("tests/keep.sh"), "k").unwrap();
        let laid = lay_in(src.path(), dst.path()).unwrap();
        assert_eq!(laid, ["tests/deep/a.sh", "top.txt"]);
        assert_eq!(
            std::fs::read_to_string(dst.path().join("tests/deep/a.sh")).unwrap(),
            "new"
        );
        assert_eq!(
            std::fs::read_to_string(dst.path().join("tests/keep.sh")).unwrap(),
            "k"
        );
    }

    #[test]
    fn a_folder_the_lane_made_a_symlink_is_never_followed() {
        let src = tempfile::tempdir().unwrap();
        let dst = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(src.path().join("hidden")).unwrap();
        std::fs::write(src.path().join("hidden/t.sh"), "secret test").unwrap();
        std::os::unix::fs::symlink(outside.path(), dst.path().join("hidden")).unwrap();
        let err = lay_in(src.path(), dst.path()).unwrap_err();
        assert!(err.contains("hidden a symbolic link"), "{err}");
        assert_eq!(
            std::fs::read_dir(outside.path()).unwrap().count(),
            0,
            "a file went through the link"
        );
        // A file the lane made a link is replaced, and its target is left alone.
        let src = tempfile::tempdir().unwrap();
        let dst = tempfile::tempdir().unwrap();
        std::fs::write(src.path().join("t.sh"), "new").unwrap();
        std::fs::write(outside.path().join("victim"), "mine").unwrap();
        std::os::unix::fs::symlink(outside.path().join("victim"), dst.path().join("t.sh")).unwrap();
        lay_in(src.path(), dst.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(outside.path().join("victim")).unwrap(),
            "mine"
        );
        assert_eq!(std::fs::read_to_string(dst.path().join("t.sh")).unwrap(), "new");
    }
}
