//! The tree a lane is graded on: the base commit's tree with the lane's changes laid
//! over it file by file, as a caller's policy decides for each changed path (take the
//! lane's file, keep the base's, or write a blend of the two). Built in the object
//! database, never in a work tree, then written out to a plain folder.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use git2::{Delta, FileMode, ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};

use super::error::{GitContext, GitError};
use super::repo::{open, resolve};

/// What to do with one path the lane changed.
pub enum Take {
    /// The lane's version (or its deletion).
    Lane,
    /// The base's version (or its absence).
    Base,
    /// These bytes, as a regular file.
    Blend(Vec<u8>),
}

/// A changed path as the policy sees it: both sides' content, `None` where absent.
pub struct Changed<'a> {
    pub path: &'a str,
    pub base: Option<&'a [u8]>,
    pub lane: Option<&'a [u8]>,
}

/// The tree of `base` with each path `lane` changed resolved by `policy`; returns the new
/// tree's id. Renames are seen as a deletion and an addition, so each side is judged
/// by its own path; a path whose type changed (a file become a link, a folder become a
/// file) is one change. Built in an index held in memory, never the repository's, with
/// every removal made before any addition so a folder can give way to a file.
pub fn graded_tree(
    repo_dir: &Path,
    base: &str,
    lane: &str,
    policy: &mut dyn FnMut(&Changed) -> Take,
) -> Result<String, GitError> {
    let repo = open(repo_dir)?;
    let base_tree = commit_tree(&repo, base)?;
    let lane_tree = commit_tree(&repo, lane)?;
    let mut opts = git2::DiffOptions::new();
    opts.include_typechange(true);
    let diff = repo
        .diff_tree_to_tree(Some(&base_tree), Some(&lane_tree), Some(&mut opts))
        .ctx("diff the lane against its base")?;
    let mut removals: Vec<String> = Vec::new();
    let mut additions: Vec<(String, Oid, u32)> = Vec::new();
    for delta in diff.deltas() {
        let old = delta.old_file();
        let new = delta.new_file();
        let Some(path) = new.path().or(old.path()).and_then(Path::to_str) else {
            return Err(GitError::git(
                "build the graded tree",
                git2::Error::from_str("the lane changed a path that is not UTF-8"),
            ));
        };
        let base_blob = blob(&repo, delta.status() != Delta::Added, old.id())?;
        let lane_blob = blob(&repo, delta.status() != Delta::Deleted, new.id())?;
        let take = policy(&Changed {
            path,
            base: base_blob.as_ref().map(|b| b.content()),
            lane: lane_blob.as_ref().map(|b| b.content()),
        });
        match (take, delta.status()) {
            (Take::Base, _) => {}
            (Take::Lane, Delta::Deleted) => removals.push(path.to_string()),
            (Take::Lane, _) => {
                removals.push(path.to_string());
                additions.push((path.to_string(), new.id(), u32::from(file_mode(new.mode()))));
            }
            (Take::Blend(bytes), _) => {
                let id = repo.blob(&bytes).ctx("write a graded file")?;
                removals.push(path.to_string());
                additions.push((path.to_string(), id, u32::from(FileMode::Blob)));
            }
        }
    }
    let mut index = git2::Index::new().ctx("make an index in memory")?;
    index.read_tree(&base_tree).ctx("read the base's tree")?;
    for path in &removals {
        // A path the base had as a folder: everything under it goes.
        let _ = index.remove_dir(Path::new(path), 0);
        let _ = index.remove_path(Path::new(path));
    }
    for (path, id, mode) in additions {
        let entry = git2::IndexEntry {
            ctime: git2::IndexTime::new(0, 0),
            mtime: git2::IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode,
            uid: 0,
            gid: 0,
            file_size: 0,
            id,
            flags: 0,
            flags_extended: 0,
            path: path.into_bytes(),
        };
        index
            .add(&entry)
            .ctx("build the graded tree (a lane's file stands where the base keeps a folder)")?;
    }
    let tree = index.write_tree_to(&repo).ctx("build the graded tree")?;
    Ok(tree.to_string())
}

/// Writes every file of `tree` under `dir` (which must not exist yet): regular files
/// with their executable bit, symbolic links as links. Written by walking the tree
/// rather than with libgit2's checkout, which would also update the repository's
/// index: the user's index must never change for a graded tree.
pub fn export_tree(repo_dir: &Path, tree: &str, dir: &Path) -> Result<(), GitError> {
    let repo = open(repo_dir)?;
    let tree = repo
        .find_tree(Oid::from_str(tree).ctx("read the graded tree's id")?)
        .ctx("find the graded tree")?;
    fs::create_dir_all(dir).map_err(|e| GitError::io("create", dir, e))?;
    let mut failed: Option<GitError> = None;
    tree.walk(TreeWalkMode::PreOrder, |parent, entry| {
        let Some(name) = entry.name() else {
            return TreeWalkResult::Skip;
        };
        let path = dir.join(parent).join(name);
        let rel = format!("{parent}{name}");
        let written = match entry.kind() {
            Some(ObjectType::Tree) => fs::create_dir_all(&path).map_err(|e| GitError::io("create", &path, e)),
            Some(ObjectType::Blob) => write_entry(&repo, entry.id(), entry.filemode(), &path, &rel),
            // A submodule's commit: nothing to write.
            _ => Ok(()),
        };
        match written {
            Ok(()) => TreeWalkResult::Ok,
            Err(e) => {
                failed = Some(e);
                TreeWalkResult::Abort
            }
        }
    })
    .ctx("write the graded tree")
    .or_else(|e| failed.take().map_or(Err(e), Err))?;
    failed.map_or(Ok(()), Err)
}

fn write_entry(repo: &Repository, id: Oid, mode: i32, path: &Path, rel: &str) -> Result<(), GitError> {
    let blob = repo.find_blob(id).ctx("read a graded file")?;
    if mode == i32::from(FileMode::Link) {
        let target = std::str::from_utf8(blob.content()).unwrap_or_default();
        // A link out of the tree would grade code the diff never shows, or let the
        // checks write outside it.
        if !stays_inside(rel, target) {
            return Err(GitError::git(
                "write the graded tree",
                git2::Error::from_str(&format!("{rel} links to {target}, outside the lane's tree")),
            ));
        }
        return std::os::unix::fs::symlink(target, path).map_err(|e| GitError::io("link", path, e));
    }
    fs::write(path, blob.content()).map_err(|e| GitError::io("write", path, e))?;
    if mode == i32::from(FileMode::BlobExecutable) {
        fs::set_permissions(path, fs::Permissions::from_mode(0o755))
            .map_err(|e| GitError::io("chmod", path, e))?;
    }
    Ok(())
}

/// True when the link at `rel` (a path in the tree) pointing at `target` resolves
/// inside the tree, by its components alone.
fn stays_inside(rel: &str, target: &str) -> bool {
    if target.starts_with('/') {
        return false;
    }
    let mut depth: usize = rel.split('/').filter(|p| !p.is_empty()).count().saturating_sub(1);
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return false,
            },
            _ => depth += 1,
        }
    }
    true
}

fn commit_tree<'r>(repo: &'r Repository, rev: &str) -> Result<git2::Tree<'r>, GitError> {
    let id = resolve(repo, rev)?;
    repo.find_commit(id)
        .and_then(|c| c.tree())
        .ctx(format!("read the tree of {rev}"))
}

fn blob(repo: &Repository, present: bool, id: Oid) -> Result<Option<git2::Blob<'_>>, GitError> {
    if !present || id.is_zero() {
        return Ok(None);
    }
    // A submodule's commit is not a blob: seen as absent.
    Ok(repo.find_blob(id).ok())
}

fn file_mode(mode: FileMode) -> FileMode {
    match mode {
        FileMode::BlobExecutable | FileMode::Link | FileMode::Commit => mode,
        _ => FileMode::Blob,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::testutil::{fixture, git};

    #[test]
    fn links_that_leave_the_tree_are_told_apart() {
        assert!(stays_inside("pkg/a.py", "b.py"));
        assert!(stays_inside("pkg/a.py", "../src/b.py"));
        assert!(stays_inside("a", "./b/../c"));
        assert!(!stays_inside("pkg/a.py", "../../etc/passwd"));
        assert!(!stays_inside("a", "/tmp/outside.py"));
        assert!(!stays_inside("a", ".."));
    }

    #[test]
    fn a_file_become_a_link_and_a_folder_become_a_file_are_graded() {
        let fx = fixture();
        fs::create_dir(fx.dir.join("pkg")).unwrap();
        fs::write(fx.dir.join("pkg/calc.py"), "x\n").unwrap();
        git(&fx.dir, &["add", "-A"]);
        git(&fx.dir, &["commit", "-q", "-m", "pkg"]);
        let base = git(&fx.dir, &["rev-parse", "HEAD"]);
        fs::remove_file(fx.dir.join("a.txt")).unwrap();
        std::os::unix::fs::symlink("b.txt", fx.dir.join("a.txt")).unwrap();
        fs::remove_dir_all(fx.dir.join("pkg")).unwrap();
        fs::write(fx.dir.join("pkg"), "now a file\n").unwrap();
        git(&fx.dir, &["add", "-A"]);
        git(&fx.dir, &["commit", "-q", "-m", "lane"]);
        let lane = git(&fx.dir, &["rev-parse", "HEAD"]);
        let tree = graded_tree(&fx.dir, &base, &lane, &mut |_| Take::Lane).unwrap();
        let out = fx.sibling("graded");
        export_tree(&fx.dir, &tree, &out).unwrap();
        assert_eq!(fs::read_link(out.join("a.txt")).unwrap(), Path::new("b.txt"));
        assert_eq!(fs::read_to_string(out.join("pkg")).unwrap(), "now a file\n");

        // A link out of the tree is refused when written out.
        std::os::unix::fs::symlink("/etc/hostname", fx.dir.join("out.txt")).unwrap();
        git(&fx.dir, &["add", "-A"]);
        git(&fx.dir, &["commit", "-q", "-m", "escape"]);
        let lane = git(&fx.dir, &["rev-parse", "HEAD"]);
        let tree = graded_tree(&fx.dir, &base, &lane, &mut |_| Take::Lane).unwrap();
        let err = export_tree(&fx.dir, &tree, &fx.sibling("graded2")).unwrap_err();
        assert!(
            err.to_string().contains("out.txt links to /etc/hostname"),
            "{err}"
        );
    }

    #[test]
    fn the_policy_picks_each_side_and_the_export_writes_exactly_that_tree() {
        let fx = fixture();
        let base = git(&fx.dir, &["rev-parse", "HEAD"]);
        fs::write(fx.dir.join("a.txt"), "alpha, fixed\n").unwrap();
        fs::write(fx.dir.join("b.txt"), "bravo, gamed\n").unwrap();
        fs::write(fx.dir.join("c.sh"), "#!/bin/sh\n").unwrap();
        fs::set_permissions(fx.dir.join("c.sh"), fs::Permissions::from_mode(0o755)).unwrap();
        fs::write(fx.dir.join("conftest.py"), "planted\n").unwrap();
        git(&fx.dir, &["add", "-A"]);
        git(&fx.dir, &["commit", "-q", "-m", "lane"]);
        let lane = git(&fx.dir, &["rev-parse", "HEAD"]);
        let index_before = fs::read(fx.dir.join(".git/index")).unwrap();

        let mut seen = Vec::new();
        let tree = graded_tree(&fx.dir, &base, &lane, &mut |c| {
            seen.push((c.path.to_string(), c.base.is_some(), c.lane.is_some()));
            match c.path {
                "b.txt" => Take::Base,
                "conftest.py" => Take::Base,
                "a.txt" => Take::Blend(b"alpha, blended\n".to_vec()),
                _ => Take::Lane,
            }
        })
        .unwrap();
        seen.sort();
        assert_eq!(
            seen,
            [
                ("a.txt".to_string(), true, true),
                ("b.txt".to_string(), true, true),
                ("c.sh".to_string(), false, true),
                ("conftest.py".to_string(), false, true),
            ]
        );
        let out = fx.sibling("graded");
        export_tree(&fx.dir, &tree, &out).unwrap();
        assert_eq!(fs::read_to_string(out.join("a.txt")).unwrap(), "alpha, blended\n");
        assert_eq!(fs::read_to_string(out.join("b.txt")).unwrap(), "bravo\n");
        assert!(!out.join("conftest.py").exists());
        let mode = fs::metadata(out.join("c.sh")).unwrap().permissions().mode();
        assert_eq!(mode & 0o111, 0o111, "the executable bit is kept");
        assert_eq!(
            fs::read(fx.dir.join(".git/index")).unwrap(),
            index_before,
            "the repository's index is untouched"
        );
    }
}
