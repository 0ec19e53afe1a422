//! The user's checkout as bakeoff found it: HEAD, the index and every ref that is not
//! a lane branch. Read when a race starts and again after each lane's agent stops; a
//! difference means something reached past the lane's worktree (the agent, or the user
//! working in the checkout meanwhile: either way that lane is not merged). A HEAD that
//! was switched away is put back, with the index it had.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::error::{GitContext, GitError};
use super::repo::open;

/// Refs under this prefix are bakeoff's lane branches: they change during a race.
const LANE_REFS: &str = "refs/heads/bakeoff/";

/// A snapshot of the user's checkout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserState {
    git_dir: PathBuf,
    /// `ref: refs/heads/main` or a detached commit id.
    head: String,
    index: Option<Vec<u8>>,
    refs: BTreeMap<String, String>,
    /// The work tree's changed and untracked files (ignored ones aside), each with its
    /// size and modification time, so a write into the checkout shows.
    files: BTreeMap<String, (u64, i64)>,
}

impl UserState {
    pub fn read(repo_dir: &Path) -> Result<UserState, GitError> {
        let repo = open(repo_dir)?;
        let git_dir = repo.path().to_path_buf();
        let head = match repo.find_reference("HEAD") {
            Ok(r) => match r.symbolic_target() {
                Some(target) => format!("ref: {target}"),
                None => r.target().map(|o| o.to_string()).unwrap_or_default(),
            },
            Err(_) => String::new(),
        };
        let mut refs = BTreeMap::new();
        for r in repo.references().ctx("list refs")?.flatten() {
            let Some(name) = r.name().map(str::to_string) else {
                continue;
            };
            if name.starts_with(LANE_REFS) {
                continue;
            }
            let target = match r.symbolic_target() {
                Some(t) => format!("ref: {t}"),
                None => r.target().map(|o| o.to_string()).unwrap_or_default(),
            };
            refs.insert(name, target);
        }
        let index = fs::read(git_dir.join("index")).ok();
        let mut files = BTreeMap::new();
        if let Some(workdir) = repo.workdir().map(Path::to_path_buf) {
            let mut opts = git2::StatusOptions::new();
            opts.include_untracked(true)
                .recurse_untracked_dirs(true)
                .include_ignored(false);
            for entry in repo
                .statuses(Some(&mut opts))
                .ctx("read the work tree's status")?
                .iter()
            {
                let Some(path) = entry.path().map(str::to_string) else {
                    continue;
                };
                let stamp = fs::symlink_metadata(workdir.join(&path))
                    .map(|m| {
                        (
                            m.len(),
                            std::os::unix::fs::MetadataExt::mtime_nsec(&m)
                                + 1_000_000_000 * std::os::unix::fs::MetadataExt::mtime(&m),
                        )
                    })
                    .unwrap_or((0, 0));
                files.insert(path, stamp);
            }
        }
        Ok(UserState {
            git_dir,
            head,
            index,
            refs,
            files,
        })
    }

    /// What differs in `now` from this snapshot, one phrase each.
    pub fn changes(&self, now: &UserState) -> Vec<String> {
        let mut changes = Vec::new();
        if self.head != now.head {
            changes.push(format!("HEAD moved from {} to {}", self.head, now.head));
        }
        if self.index != now.index {
            changes.push("the index was rewritten".to_string());
        }
        for (name, target) in &self.refs {
            match now.refs.get(name) {
                None => changes.push(format!("{name} was deleted")),
                Some(t) if t != target => changes.push(format!("{name} moved")),
                _ => {}
            }
        }
        let touched: Vec<&String> = self
            .files
            .iter()
            .filter(|(p, stamp)| now.files.get(*p) != Some(stamp))
            .map(|(p, _)| p)
            .chain(now.files.keys().filter(|p| !self.files.contains_key(*p)))
            .collect();
        if !touched.is_empty() {
            let shown: Vec<&str> = touched.iter().take(5).map(|p| p.as_str()).collect();
            let more = touched.len().saturating_sub(shown.len());
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            changes.push(format!(
                "files in the checkout changed: {}{more}",
                shown.join(", ")
            ));
        }
        // Refs are shared by every worktree, so a branch an agent makes in its lane lands
        // beside the user's: new refs are the lane's own business, not a breach.
        changes
    }

    /// Puts a switched HEAD back, with the index it had. Refs are only reported: the
    /// user may have moved them on purpose, and a lost commit is still in the reflog.
    pub fn restore_head(&self, now: &UserState) -> Result<bool, GitError> {
        if self.head == now.head {
            return Ok(false);
        }
        let head = self.git_dir.join("HEAD");
        fs::write(&head, format!("{}\n", self.head)).map_err(|e| GitError::io("restore", &head, e))?;
        if let Some(index) = &self.index {
            let path = self.git_dir.join("index");
            fs::write(&path, index).map_err(|e| GitError::io("restore", &path, e))?;
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::testutil::{fixture, git};

    #[test]
    fn a_switched_head_is_seen_and_put_back() {
        let fx = fixture();
        let before = UserState::read(&fx.dir).unwrap();
        git(&fx.dir, &["branch", "bakeoff/r/lane"]);
        assert!(
            before.changes(&UserState::read(&fx.dir).unwrap()).is_empty(),
            "a lane branch is not the user's"
        );
        git(&fx.dir, &["checkout", "-q", "-b", "elsewhere"]);
        let now = UserState::read(&fx.dir).unwrap();
        let changes = before.changes(&now);
        assert!(changes.iter().any(|c| c.starts_with("HEAD moved")), "{changes:?}");
        assert_eq!(changes.len(), 1, "a new branch is not a breach: {changes:?}");
        assert!(before.restore_head(&now).unwrap());
        let after = UserState::read(&fx.dir).unwrap();
        assert_eq!(after.head, before.head);
        assert_eq!(after.index, before.index);
    }

    #[test]
    fn a_write_into_the_checkout_is_seen() {
        let fx = fixture();
        std::fs::write(fx.dir.join("scratch.txt"), "the user's own\n").unwrap();
        let before = UserState::read(&fx.dir).unwrap();
        assert!(before.changes(&UserState::read(&fx.dir).unwrap()).is_empty());
        std::fs::write(fx.dir.join("planted.txt"), "x").unwrap();
        std::fs::write(fx.dir.join("scratch.txt"), "rewritten by a lane\n").unwrap();
        let changes = before.changes(&UserState::read(&fx.dir).unwrap());
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert!(
            changes[0].contains("planted.txt") && changes[0].contains("scratch.txt"),
            "{changes:?}"
        );
    }
}
