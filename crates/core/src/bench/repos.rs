//! Where a task's trials run: a clone of its repository owned by the bench (so hundreds
//! of trial races never touch the user's checkout or crowd its `bakeoff list`), its base
//! resolved to a commit, and a holdout folder made from a test patch.
//!
//! Git URLs are mirrored once into the user's cache (`~/.cache/bakeoff/repos/`) and every
//! bench clones from the mirror; local repositories are cloned without hard links, so a
//! trial can never reach the source's object files.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

use super::journal::BenchDir;
use super::suite::{patch_files, Holdout, RepoSource, Task};
use crate::error::Error;
use crate::git::Repo;

/// A task made ready to race.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The bench's clone of the task's repository; its trials race here.
    pub clone: PathBuf,
    /// The task's base, as a commit id.
    pub base: String,
    pub holdout: Option<PathBuf>,
}

/// Clones the task's repository if this bench has not yet, resolves its base and lays
/// out its holdout. Safe to call again on `--resume`: what exists is reused.
pub fn prepare(bench: &BenchDir, task: &Task, cache: &Path) -> Result<Prepared, Error> {
    let clone = bench.repos().join(slug(&task.repo));
    if !clone.join(".git").is_dir() {
        let source = match &task.repo {
            RepoSource::Path(path) => path.clone(),
            RepoSource::Url(url) => mirror(url, cache)?,
        };
        clone_into(&source, &clone)?;
    }
    let repo = Repo::discover(&clone)?;
    let base = repo
        .resolve_commit(&task.base)
        .or_else(|_| repo.resolve_commit(&format!("origin/{}", task.base)))
        .map_err(|_| {
            Error::input_with_hint(
                format!(
                    "task {}: base {:?} is not a commit of {}",
                    task.id,
                    task.base,
                    task.repo.describe()
                ),
                "set the task's `base` to a branch, tag or commit of its repository",
            )
        })?;
    let holdout = match &task.holdout {
        Holdout::None => None,
        Holdout::Dir(dir) => Some(dir.clone()),
        Holdout::TestPatch(patch) => Some(holdout_from_patch(bench, task, &clone, &base, patch)?),
    };
    Ok(Prepared { clone, base, holdout })
}

/// A folder name for a source: its last path part and a short hash of the whole.
fn slug(source: &RepoSource) -> String {
    let text = source.describe();
    let tail: String = text
        .trim_end_matches('/')
        .trim_end_matches(".git")
        .rsplit(['/', ':'])
        .next()
        .unwrap_or("repo")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(40)
        .collect();
    format!(
        "{}-{}",
        if tail.is_empty() { "repo" } else { &tail },
        short_hash(&text)
    )
}

fn short_hash(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The cached mirror of `url`, fetched the first time it is asked for.
fn mirror(url: &str, cache: &Path) -> Result<PathBuf, Error> {
    let dest = cache.join(format!("{}.git", slug(&RepoSource::Url(url.to_string()))));
    if dest.join("HEAD").is_file() {
        return Ok(dest);
    }
    std::fs::create_dir_all(cache).map_err(|e| Error::io("create the repository cache", cache, e))?;
    let tmp = tempfile::Builder::new()
        .prefix(".mirror-")
        .tempdir_in(cache)
        .map_err(|e| Error::io("create the repository cache", cache, e))?;
    let target = tmp.path().join("m.git");
    git(&["clone", "--quiet", "--mirror", url], &target, url)?;
    std::fs::rename(&target, &dest).map_err(|e| Error::io("keep the mirror in", &dest, e))?;
    Ok(dest)
}

/// `git clone` of `source` into `dest`, atomically: a half-made clone is never left
/// where the next run would take it for a finished one.
fn clone_into(source: &Path, dest: &Path) -> Result<(), Error> {
    let parent = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .map_err(|e| Error::io("create the bench's repository folder", parent, e))?;
    let tmp = tempfile::Builder::new()
        .prefix(".clone-")
        .tempdir_in(parent)
        .map_err(|e| Error::io("create the bench's repository folder", parent, e))?;
    let target = tmp.path().join("c");
    let source_text = source.display().to_string();
    git(
        &["clone", "--quiet", "--no-hardlinks", &source_text],
        &target,
        &source_text,
    )?;
    std::fs::rename(&target, dest).map_err(|e| Error::io("keep the clone in", dest, e))?;
    Ok(())
}

/// Runs `git ARGS TARGET` with hooks off and no terminal prompts.
fn git(args: &[&str], target: &Path, what: &str) -> Result<(), Error> {
    let out = Command::new("git")
        .args(["-c", "core.hooksPath=/dev/null"])
        .args(args)
        .arg(target)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::input_with_hint(format!("cannot run git to clone {what}: {e}"), "install git"))?;
    if out.status.success() {
        return Ok(());
    }
    Err(Error::input_with_hint(
        format!(
            "git could not clone {what}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        "check the task's `repo`: a path to a git repository or a URL git can fetch",
    ))
}

/// The files of `patch` applied to `base`, written under `holdouts/TASK/`.
fn holdout_from_patch(
    bench: &BenchDir,
    task: &Task,
    clone: &Path,
    base: &str,
    patch: &str,
) -> Result<PathBuf, Error> {
    let fail = |e: git2::Error| {
        Error::input_with_hint(
            format!(
                "task {}: its test patch does not apply to {base}: {}",
                task.id,
                e.message()
            ),
            "the test patch must be a unified diff against the task's base commit",
        )
    };
    let repo = git2::Repository::open(clone).map_err(fail)?;
    let diff = git2::Diff::from_buffer(patch.as_bytes()).map_err(fail)?;
    let tree = repo
        .find_commit(git2::Oid::from_str(base).map_err(fail)?)
        .and_then(|c| c.tree())
        .map_err(fail)?;
    let index = repo.apply_to_tree(&tree, &diff, None).map_err(fail)?;
    let dest = bench.holdouts().join(&task.id);
    if dest.exists() {
        std::fs::remove_dir_all(&dest).map_err(|e| Error::io("clear the holdout folder", &dest, e))?;
    }
    for file in patch_files(patch) {
        let Some(entry) = index.get_path(Path::new(&file), 0) else {
            continue;
        };
        let blob = repo.find_blob(entry.id).map_err(fail)?;
        let path = dest.join(&file);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io("create the holdout folder", dir, e))?;
        }
        std::fs::write(&path, blob.content()).map_err(|e| Error::io("write a holdout file", &path, e))?;
    }
    std::fs::create_dir_all(&dest).map_err(|e| Error::io("create the holdout folder", &dest, e))?;
    Ok(dest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::testutil::{fixture, git, write};

    #[test]
    fn a_task_gets_a_clone_its_base_and_a_holdout_from_its_test_patch() {
        let src = fixture();
        write(&src.dir, "lib.py", "def f():\n    return 1\n");
        write(&src.dir, "tests/test_lib.py", "def test_old():\n    pass\n");
        git(&src.dir, &["add", "-A"]);
        git(&src.dir, &["commit", "-qm", "base"]);
        let base = git(&src.dir, &["rev-parse", "HEAD"]);
        let patch = "diff --git a/tests/test_lib.py b/tests/test_lib.py\n--- a/tests/test_lib.py\n+++ b/tests/test_lib.py\n@@ -1,2 +1,4 @@\n def test_old():\n     pass\n+def test_new():\n+    pass\n";
        let task = Task {
            repo: RepoSource::Path(src.dir.clone()),
            holdout: Holdout::TestPatch(patch.into()),
            ..crate::bench::fixtures::task("t1")
        };
        let out = tempfile::tempdir().unwrap();
        let bench = BenchDir::new(out.path());
        let p = prepare(&bench, &task, &out.path().join("cache")).unwrap();
        assert_eq!(p.base, base);
        assert!(p.clone.starts_with(bench.repos()));
        let holdout = p.holdout.unwrap();
        let text = std::fs::read_to_string(holdout.join("tests/test_lib.py")).unwrap();
        assert!(text.contains("def test_new"), "{text}");
        assert_eq!(std::fs::read_dir(&holdout).unwrap().count(), 1);
        // Again, as on --resume: the clone is reused.
        write(&src.dir, "lib.py", "changed\n");
        git(&src.dir, &["commit", "-qam", "later"]);
        let again = prepare(&bench, &task, &out.path().join("cache")).unwrap();
        assert_eq!(again.base, base, "the clone was reused, not made again");

        let bad = Task {
            base: "no-such-ref".into(),
            ..task.clone()
        };
        let err = prepare(&bench, &bad, &out.path().join("cache"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("is not a commit"), "{err}");
        let unappliable = Task {
            holdout: Holdout::TestPatch("--- a/nope.py\n+++ b/nope.py\n@@ -1 +1 @@\n-a\n+b\n".into()),
            ..task
        };
        let err = prepare(&bench, &unappliable, &out.path().join("cache"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not apply"), "{err}");
    }

    #[test]
    fn a_git_url_is_mirrored_once_into_the_cache_and_cloned_from_there() {
        let src = fixture();
        let url = format!("file://{}", src.dir.display());
        let task = Task {
            repo: RepoSource::Url(url),
            base: "main".into(),
            ..crate::bench::fixtures::task("u")
        };
        let out = tempfile::tempdir().unwrap();
        let cache = out.path().join("cache");
        let first = prepare(&BenchDir::new(out.path().join("a")), &task, &cache).unwrap();
        assert_eq!(first.base, git(&src.dir, &["rev-parse", "main"]));
        let mirrors: Vec<_> = std::fs::read_dir(&cache)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(mirrors.len(), 1, "{mirrors:?}");
        assert!(mirrors[0].join("HEAD").is_file());
        // Another bench clones from the mirror: the source may be gone by then.
        std::fs::remove_dir_all(&src.dir).unwrap();
        let second = prepare(&BenchDir::new(out.path().join("b")), &task, &cache).unwrap();
        assert_eq!(second.base, first.base);
    }
}
