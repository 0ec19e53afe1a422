//! Creating a repository from files on disk, for the demo's sample project.

use std::path::Path;

use super::GitError;

/// `git init` + commit everything in `dir` on `branch`, as the demo's author.
pub fn init_with_commit(dir: &Path, branch: &str, message: &str) -> Result<String, GitError> {
    let wrap = |e: git2::Error| GitError::git(format!("create repository {}", dir.display()), e);
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head(branch);
    let repo = git2::Repository::init_opts(dir, &opts).map_err(wrap)?;
    let mut index = repo.index().map_err(wrap)?;
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .map_err(wrap)?;
    index.write().map_err(wrap)?;
    let tree = repo.find_tree(index.write_tree().map_err(wrap)?).map_err(wrap)?;
    let sig = git2::Signature::now("bakeoff demo", "demo@bakeoff.invalid").map_err(wrap)?;
    let oid = repo
        .commit(Some("HEAD"), &sig, &sig, message, &tree, &[])
        .map_err(wrap)?;
    Ok(oid.to_string())
}
