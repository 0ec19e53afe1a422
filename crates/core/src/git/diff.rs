//! Reading what a lane changed: per-file stats, the unified patch, and single
//! files at a commit.

use std::path::Path;

use git2::{Delta, Diff, DiffFindOptions, DiffFormat, DiffOptions, ErrorCode, ObjectType, Patch, Repository};
use serde::{Deserialize, Serialize};

use super::error::{GitContext, GitError};
use super::repo::{open, resolve};
use crate::vocab::{ChangeKind, FileChange};

/// The files of a diff and their totals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffStats {
    pub files: Vec<FileChange>,
    pub insertions: usize,
    pub deletions: usize,
}

/// Per-file changes from `from` to `to` (revisions), with rename detection.
pub fn diff_stats(repo_dir: &Path, from: &str, to: &str) -> Result<DiffStats, GitError> {
    let repo = open(repo_dir)?;
    let diff = tree_diff(&repo, from, to, 3)?;
    let mut stats = DiffStats {
        files: Vec::with_capacity(diff.deltas().len()),
        insertions: 0,
        deletions: 0,
    };
    for idx in 0..diff.deltas().len() {
        // Building the patch is what makes libgit2 look at the content, which both
        // counts lines and settles whether the file is binary.
        let patch = Patch::from_diff(&diff, idx).ctx("compute file diff")?;
        let (insertions, deletions) = match &patch {
            Some(p) => {
                let (_, ins, del) = p.line_stats().ctx("count changed lines")?;
                (ins, del)
            }
            None => (0, 0),
        };
        let Some(delta) = patch.as_ref().map(|p| p.delta()).or_else(|| diff.get_delta(idx)) else {
            continue;
        };
        let kind = match delta.status() {
            Delta::Added => ChangeKind::Added,
            Delta::Deleted => ChangeKind::Deleted,
            Delta::Renamed => ChangeKind::Renamed,
            Delta::Copied => ChangeKind::Copied,
            Delta::Typechange => ChangeKind::TypeChange,
            // Unmodified, ignored, untracked and conflicted do not occur between two
            // trees; count anything else as a modification rather than drop it.
            _ => ChangeKind::Modified,
        };
        let new_path = delta.new_file().path_bytes().map(lossy);
        let old_path = delta.old_file().path_bytes().map(lossy);
        let path = match kind {
            ChangeKind::Deleted => old_path.clone(),
            _ => new_path.clone(),
        }
        .or_else(|| new_path.clone())
        .unwrap_or_default();
        let old_path = match kind {
            ChangeKind::Renamed | ChangeKind::Copied => old_path,
            _ => None,
        };
        let binary = delta.flags().is_binary();
        stats.insertions += insertions;
        stats.deletions += deletions;
        stats.files.push(FileChange {
            path,
            old_path,
            kind,
            insertions,
            deletions,
            binary,
            old_mode: u32::from(delta.old_file().mode()),
            new_mode: u32::from(delta.new_file().mode()),
        });
    }
    Ok(stats)
}

/// The unified patch from `from` to `to`, as `git diff` prints it: `diff --git`
/// headers, rename and mode lines, `Binary files … differ` for binaries.
///
/// Content that is not UTF-8 is replaced lossily; the patch is for reading.
pub fn diff_patch(repo_dir: &Path, from: &str, to: &str) -> Result<String, GitError> {
    diff_patch_with_context(repo_dir, from, to, 3)
}

/// [`diff_patch`] with `context` lines around each change instead of git's 3: reviewers
/// read more of the code around a change without being sent whole files.
pub fn diff_patch_with_context(
    repo_dir: &Path,
    from: &str,
    to: &str,
    context: u32,
) -> Result<String, GitError> {
    let repo = open(repo_dir)?;
    let diff = tree_diff(&repo, from, to, context)?;
    print_patch(&diff)
}

/// A diff as unified patch text, exactly as `git diff` prints it.
pub(crate) fn print_patch(diff: &Diff<'_>) -> Result<String, GitError> {
    let mut out = Vec::new();
    diff.print(DiffFormat::Patch, |_, _, line| {
        // Content lines come without their marker; headers, hunk headers and the
        // "no newline" notice come complete.
        if matches!(line.origin(), '+' | '-' | ' ') {
            out.push(line.origin() as u8);
        }
        out.extend_from_slice(line.content());
        true
    })
    .ctx("print patch")?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// The content of `path` at `commit`, or `None` if the commit has no such path.
/// A symlink yields its target. A directory or submodule is [`GitError::NotAFile`].
pub fn file_at(repo_dir: &Path, commit: &str, path: &str) -> Result<Option<Vec<u8>>, GitError> {
    let repo = open(repo_dir)?;
    let id = resolve(&repo, commit)?;
    let tree = repo
        .find_commit(id)
        .and_then(|c| c.tree())
        .ctx(format!("read tree of {id}"))?;
    let rel = Path::new(path);
    if path.is_empty() || rel.is_absolute() {
        return Ok(None);
    }
    let entry = match tree.get_path(rel) {
        Ok(entry) => entry,
        Err(e) if matches!(e.code(), ErrorCode::NotFound | ErrorCode::InvalidSpec) => return Ok(None),
        Err(e) => return Err(GitError::git(format!("look up '{path}' in {id}"), e)),
    };
    if entry.kind() != Some(ObjectType::Blob) {
        return Err(GitError::NotAFile {
            commit: id.to_string(),
            path: path.to_owned(),
        });
    }
    let blob = repo.find_blob(entry.id()).ctx(format!("read '{path}' in {id}"))?;
    Ok(Some(blob.content().to_vec()))
}

/// Every file path (blobs and symlinks) in `commit`'s tree, sorted, as `git ls-files`
/// lists them at that commit.
pub fn files_at(repo_dir: &Path, commit: &str) -> Result<Vec<String>, GitError> {
    let repo = open(repo_dir)?;
    let id = resolve(&repo, commit)?;
    let tree = repo
        .find_commit(id)
        .and_then(|c| c.tree())
        .ctx(format!("read tree of {id}"))?;
    let mut paths = Vec::new();
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        if entry.kind() == Some(ObjectType::Blob) {
            if let Some(name) = entry.name() {
                paths.push(format!("{dir}{name}"));
            }
        }
        git2::TreeWalkResult::Ok
    })
    .ctx(format!("list files of {id}"))?;
    paths.sort();
    Ok(paths)
}

/// The tree-to-tree diff between two revisions, renames found as `git diff` does.
fn tree_diff<'r>(repo: &'r Repository, from: &str, to: &str, context: u32) -> Result<Diff<'r>, GitError> {
    let tree_of = |rev: &str| -> Result<git2::Tree<'r>, GitError> {
        let id = resolve(repo, rev)?;
        repo.find_commit(id)
            .and_then(|c| c.tree())
            .ctx(format!("read tree of {id}"))
    };
    let old = tree_of(from)?;
    let new = tree_of(to)?;
    let mut opts = DiffOptions::new();
    opts.include_typechange(true).context_lines(context);
    let mut diff = repo
        .diff_tree_to_tree(Some(&old), Some(&new), Some(&mut opts))
        .ctx(format!("diff {from}..{to}"))?;
    find_renames(&mut diff)?;
    Ok(diff)
}

/// Like `git diff -M`: exact and similar renames; copies left out as git does by default.
pub(crate) fn find_renames(diff: &mut Diff<'_>) -> Result<(), GitError> {
    let mut find = DiffFindOptions::new();
    find.renames(true).rename_threshold(50);
    diff.find_similar(Some(&mut find)).ctx("detect renames")
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::testutil::{fixture, git, write};

    #[test]
    fn stats_and_patch_match_git() {
        let fx = fixture();
        let base = git(&fx.dir, &["rev-parse", "HEAD"]);
        write(&fx.dir, "a.txt", "alpha\nbeta\n");
        write(&fx.dir, "bin.dat", [0u8, 1, 2, 0, 255]);
        write(&fx.dir, "noeol.txt", "x");
        git(&fx.dir, &["rm", "-q", "b.txt"]);
        git(&fx.dir, &["add", "-A"]);
        git(&fx.dir, &["commit", "-q", "-m", "c"]);

        let stats = diff_stats(&fx.dir, &base, "HEAD").unwrap();
        assert_eq!((stats.insertions, stats.deletions), (2, 1));
        let numstat = git(&fx.dir, &["diff", "--numstat", &base, "HEAD"]);
        for f in &stats.files {
            let want = if f.binary {
                format!("-\t-\t{}", f.path)
            } else {
                format!("{}\t{}\t{}", f.insertions, f.deletions, f.path)
            };
            assert!(numstat.lines().any(|l| l == want), "{want} not in {numstat}");
        }
        assert_eq!(stats.files.len(), numstat.lines().count());

        let patch = diff_patch(&fx.dir, &base, "HEAD").unwrap();
        let cli = git(&fx.dir, &["diff", "--no-color", &base, "HEAD"]);
        assert_eq!(patch.trim_end(), cli);
        assert!(
            patch.contains("Binary files /dev/null and b/bin.dat differ"),
            "{patch}"
        );
        assert!(patch.contains("\\ No newline at end of file"), "{patch}");
    }

    #[test]
    fn patch_shows_renames_and_modes() {
        let fx = fixture();
        let base = git(&fx.dir, &["rev-parse", "HEAD"]);
        git(&fx.dir, &["mv", "a.txt", "renamed.txt"]);
        git(&fx.dir, &["update-index", "--chmod=+x", "b.txt"]);
        git(&fx.dir, &["commit", "-q", "-m", "c"]);
        let patch = diff_patch(&fx.dir, &base, "HEAD").unwrap();
        for want in [
            "rename from a.txt",
            "rename to renamed.txt",
            "old mode 100644",
            "new mode 100755",
        ] {
            assert!(patch.contains(want), "{want} not in {patch}");
        }
        let empty = diff_stats(&fx.dir, "HEAD", "HEAD").unwrap();
        assert!(empty.files.is_empty());
        assert_eq!(diff_patch(&fx.dir, "HEAD", "HEAD").unwrap(), "");
    }

    #[test]
    fn file_at_cases() {
        let fx = fixture();
        write(&fx.dir, "dir/inner.txt", "inner\n");
        git(&fx.dir, &["add", "-A"]);
        git(&fx.dir, &["commit", "-q", "-m", "c"]);
        let cases: [(&str, Option<&[u8]>); 5] = [
            ("a.txt", Some(b"alpha\n")),
            ("dir/inner.txt", Some(b"inner\n")),
            ("missing.txt", None),
            ("/a.txt", None),
            ("", None),
        ];
        for (path, want) in cases {
            assert_eq!(file_at(&fx.dir, "HEAD", path).unwrap().as_deref(), want, "{path}");
        }
        assert!(matches!(
            file_at(&fx.dir, "HEAD", "dir"),
            Err(GitError::NotAFile { .. })
        ));
        assert!(matches!(
            file_at(&fx.dir, "nope", "a.txt"),
            Err(GitError::UnknownRef { .. })
        ));
    }
}
