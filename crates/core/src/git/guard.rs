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
        Ok(UserState {
            git_dir,
            head,
            index,
            refs,
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
}
