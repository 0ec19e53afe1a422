//! Per-file line changes of a lane's patch, for the tampering gate.

use crate::git::{ChangeKind, DiffStats};
use crate::rank::FileDelta;

/// Pairs each changed file with what was removed and added, read from the unified patch
/// text the lane already saved (so no second diff is computed).
pub fn file_deltas(stats: &DiffStats, patch: &str) -> Vec<(String, FileDelta)> {
    let sections = split_patch(patch);
    stats
        .files
        .iter()
        .map(|file| {
            let delta = match file.kind {
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
}
