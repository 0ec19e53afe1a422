//! Holdout files: laid into a lane's worktree only after its work is captured, so the
//! agent never saw them and they never reach the lane's commit.

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
            std::fs::create_dir_all(&target)
                .map_err(|e| format!("cannot create {}: {e}", target.display()))?;
            copy_dir(root, dst_root, &path, laid)?;
        } else {
            if target.is_dir() || target.is_symlink() {
                let _ = std::fs::remove_file(&target);
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
}
