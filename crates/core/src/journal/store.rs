//! Where races are recorded, how they are named, and how a name like `last` resolves.

use std::path::{Path, PathBuf};

use super::{read_events, JournalError, RaceRecord, RACE_FORMAT};
use crate::vocab::Stamped;

/// The records folder of one repository: `<git common dir>/bakeoff/races/`.
pub struct Store {
    root: PathBuf,
}

/// The folder of one race's records.
#[derive(Clone, Debug)]
pub struct RaceDir {
    pub id: String,
    pub path: PathBuf,
}

impl Store {
    pub fn new(common_dir: &Path) -> Store {
        Store {
            root: common_dir.join("bakeoff").join("races"),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Race ids, oldest first. Ids start with the time, so name order is time order.
    pub fn ids(&self) -> Result<Vec<String>, JournalError> {
        let entries = match std::fs::read_dir(&self.root) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(JournalError::read(&self.root, e)),
        };
        let mut ids: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.path().join("race.json").is_file())
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// Resolves `last`, a full id, or an unambiguous prefix of one.
    pub fn resolve(&self, name: &str) -> Result<RaceDir, JournalError> {
        let ids = self.ids()?;
        let found = if name == "last" {
            ids.last().cloned().ok_or_else(|| JournalError::NoRaces {
                root: self.root.clone(),
            })?
        } else if ids.iter().any(|id| id == name) {
            name.to_string()
        } else {
            let matches: Vec<_> = ids.iter().filter(|id| id.starts_with(name)).collect();
            match matches.as_slice() {
                [one] => (*one).clone(),
                _ => {
                    return Err(JournalError::NoSuchRace {
                        name: name.to_string(),
                        root: self.root.clone(),
                    })
                }
            }
        };
        Ok(self.dir(&found))
    }

    pub fn dir(&self, id: &str) -> RaceDir {
        RaceDir {
            id: id.to_string(),
            path: self.root.join(id),
        }
    }

    /// Picks a fresh id for a race starting now: `20261121-1530-fix-retry`, with `-2`,
    /// `-3`… when that name is taken.
    pub fn new_id(&self, now: chrono::DateTime<chrono::Local>, spec: &str) -> String {
        let slug = slug(spec);
        let stem = match slug.is_empty() {
            true => now.format("%Y%m%d-%H%M").to_string(),
            false => format!("{}-{slug}", now.format("%Y%m%d-%H%M")),
        };
        let mut id = stem.clone();
        let mut n = 2;
        while self.root.join(&id).exists() {
            id = format!("{stem}-{n}");
            n += 1;
        }
        id
    }
}

impl RaceDir {
    pub fn race_json(&self) -> PathBuf {
        self.path.join("race.json")
    }
    pub fn events(&self) -> PathBuf {
        self.path.join("events.jsonl")
    }
    pub fn leaderboard(&self) -> PathBuf {
        self.path.join("leaderboard.json")
    }
    pub fn spec_file(&self) -> PathBuf {
        self.path.join("spec.md")
    }
    pub fn lane_dir(&self, lane: &str) -> PathBuf {
        self.path.join("lanes").join(lane)
    }

    pub fn write_json<T: serde::Serialize>(&self, path: &Path, value: &T) -> Result<(), JournalError> {
        let mut text = serde_json::to_vec_pretty(value).map_err(|e| JournalError::write(path, e))?;
        text.push(b'\n');
        // Write then rename, so a reader never sees half a file.
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, &text)
            .and_then(|_| std::fs::rename(&tmp, path))
            .map_err(|e| JournalError::write(path, e))
    }

    pub fn read_json<T: serde::de::DeserializeOwned>(&self, path: &Path) -> Result<T, JournalError> {
        let text = std::fs::read(path).map_err(|e| JournalError::read(path, e))?;
        serde_json::from_slice(&text).map_err(|e| JournalError::read(path, e))
    }

    pub fn record(&self) -> Result<RaceRecord, JournalError> {
        let path = self.race_json();
        let value: serde_json::Value = self.read_json(&path)?;
        let found = value.get("format").and_then(|f| f.as_u64()).unwrap_or(0) as u32;
        if found != RACE_FORMAT {
            return Err(JournalError::Format {
                path,
                found,
                supported: RACE_FORMAT,
            });
        }
        serde_json::from_value(value).map_err(|e| JournalError::read(&path, e))
    }

    /// Takes the race's lock, held for as long as a bakeoff drives the race: `resume`
    /// must never take up a race whose bakeoff is alive. The kernel releases the lock
    /// when its holder dies, however it dies, so a crash never leaves it stale.
    pub fn lock(&self) -> Result<RaceLock, JournalError> {
        use std::os::fd::AsRawFd;
        let path = self.path.join("lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| JournalError::write(&path, e))?;
        // SAFETY: flock(2) on a descriptor we own; no memory is shared.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let err = std::io::Error::last_os_error();
            return Err(match err.raw_os_error() {
                Some(libc::EWOULDBLOCK) => JournalError::Running {
                    id: self.id.clone(),
                    path,
                },
                _ => JournalError::write(&path, err),
            });
        }
        Ok(RaceLock { _file: file })
    }

    pub fn events_list(&self) -> Result<Vec<Stamped>, JournalError> {
        read_events(&self.events())
    }
}

/// A race's lock (see [`RaceDir::lock`]); released when dropped.
#[derive(Debug)]
pub struct RaceLock {
    _file: std::fs::File,
}

/// A few words of the spec, for a race id that reads well.
fn slug(spec: &str) -> String {
    let mut out = String::new();
    let words = spec
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(4);
    for word in words {
        if out.len() + word.len() > 24 {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&word.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_well_and_never_collide() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let now = chrono::TimeZone::with_ymd_and_hms(&chrono::Local, 2026, 11, 21, 15, 30, 0).unwrap();
        let id = store.new_id(now, "# Fix the retry loop!\nmore text");
        assert_eq!(id, "20261121-1530-fix-the-retry-loop");
        std::fs::create_dir_all(store.root().join(&id)).unwrap();
        assert_eq!(store.new_id(now, "Fix the retry loop"), format!("{id}-2"));
    }

    #[test]
    fn resolve_last_and_prefixes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        assert!(matches!(store.resolve("last"), Err(JournalError::NoRaces { .. })));
        for id in ["20261121-1500-a", "20261121-1600-b"] {
            std::fs::create_dir_all(store.root().join(id)).unwrap();
            std::fs::write(store.root().join(id).join("race.json"), "{}").unwrap();
        }
        assert_eq!(store.resolve("last").unwrap().id, "20261121-1600-b");
        assert_eq!(store.resolve("20261121-15").unwrap().id, "20261121-1500-a");
        assert!(store.resolve("20261121").is_err());
    }

    #[test]
    fn a_race_is_locked_while_held() {
        let dir = tempfile::tempdir().unwrap();
        let race = Store::new(dir.path()).dir("r");
        std::fs::create_dir_all(&race.path).unwrap();
        let held = race.lock().unwrap();
        assert!(matches!(race.lock(), Err(JournalError::Running { .. })));
        drop(held);
        race.lock().unwrap();
    }
}
