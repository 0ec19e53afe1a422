//! Per-file line changes of a lane's patch, for the tampering gate.

use crate::git::{ChangeKind, DiffStats};
use crate::rank::{self, FileDelta};

/// Pairs each changed file with what was removed and added, read from the unified patch
/// text the lane already saved (so no second diff is computed).
pub fn file_deltas(stats: &DiffStats, patch: &str) -> Vec<(String, FileDelta)> {
    let sections = split_patch(patch);
    stats
        .files
        .iter()
        .map(|file| {
            // A test moved out of the tests, or turned into a link, is gone as a test.
            let moved_away = file.kind == ChangeKind::Renamed
                && file.old_path.as_deref().is_some_and(rank::is_test_path)
                && !rank::is_test_path(&file.path);
            let linked = file.kind == ChangeKind::TypeChange && file.new_mode == 0o120000;
            let delta = match file.kind {
                _ if moved_away || linked => FileDelta::Deleted,
                ChangeKind::Deleted => FileDelta::Deleted,
                ChangeKind::Modified | ChangeKind::Renamed => {
                    let (removed_lines, added_lines) = sections
                        .iter()
                        .find(|(path, _, _)| *path == file.path)
                        .map(|(_, r, a)| (r.clone(), a.clone()))
                        .unwrap_or_default();
                    FileDelta::Modified {
                        removed_lines,
                        added_lines,
                    }
                }
                _ => FileDelta::Other,
            };
            (file.old_path.clone().unwrap_or_else(|| file.path.clone()), delta)
        })
        .collect()
}

/// (new path, removed lines, added lines) per `diff --git` section.
fn split_patch(patch: &str) -> Vec<(String, Vec<String>, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>, Vec<String>)> = Vec::new();
    for line in patch.lines() {
        if let Some(rest) = line.strip_prefix("diff --git ") {
            let path = rest.rsplit_once(" b/").map(|(_, p)| p).unwrap_or(rest);
            out.push((path.to_string(), Vec::new(), Vec::new()));
        } else if let Some((_, removed, added)) = out.last_mut() {
            if line.starts_with("---") || line.starts_with("+++") {
                continue;
            }
            if let Some(l) = line.strip_prefix('-') {
                removed.push(l.to_string());
            } else if let Some(l) = line.strip_prefix('+') {
                added.push(l.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_sections_by_file() {
        let patch = "diff --git a/t/a.py b/t/a.py\n--- a/t/a.py\n+++ b/t/a.py\n@@ -1,2 +1,1 @@\n-assert x\n+pass\ndiff --git a/b b/b\n+++ b/b\n+new\n";
        let s = split_patch(patch);
        assert_eq!(s.len(), 2);
        assert_eq!(
            s[0],
            ("t/a.py".into(), vec!["assert x".into()], vec!["pass".into()])
        );
        assert_eq!(s[1].2, vec!["new".to_string()]);
    }

    fn change(path: &str, old: Option<&str>, kind: ChangeKind, new_mode: u32) -> crate::git::FileChange {
        crate::git::FileChange {
            path: path.into(),
            old_path: old.map(str::to_string),
            kind,
            insertions: 0,
            deletions: 0,
            binary: false,
            old_mode: 0o100644,
            new_mode,
        }
    }

    #[test]
    fn a_test_moved_out_of_the_tests_or_made_a_link_counts_as_deleted() {
        let stats = DiffStats {
            files: vec![
                change(
                    "docs/calc.py",
                    Some("tests/test_calc.py"),
                    ChangeKind::Renamed,
                    0o100644,
                ),
                change("tests/test_misc.py", None, ChangeKind::TypeChange, 0o120000),
                change(
                    "tests/test_b.py",
                    Some("tests/test_a.py"),
                    ChangeKind::Renamed,
                    0o100644,
                ),
            ],
            insertions: 0,
            deletions: 0,
        };
        let deltas = file_deltas(&stats, "");
        assert_eq!(deltas[0], ("tests/test_calc.py".to_string(), FileDelta::Deleted));
        assert_eq!(deltas[1], ("tests/test_misc.py".to_string(), FileDelta::Deleted));
        assert!(
            matches!(deltas[2].1, FileDelta::Modified { .. }),
            "a rename among the tests is not"
        );
    }
}
