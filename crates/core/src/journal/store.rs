//! Where races are recorded, how they are named, and how a name like `last` resolves.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::index::{IndexLine, IndexRead};
use super::{read_events, JournalError, RaceIndex, RaceListing, RaceRecord, RACE_FORMAT};
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

    /// The index of the store's ended races (see [`RaceIndex`]).
    pub fn index(&self) -> RaceIndex {
        RaceIndex::beside(&self.root)
    }

    /// The names in the records folder: race ids, folders still being created, and
    /// whatever else was put there. One read of the folder, no file opened.
    fn names(&self) -> Result<Vec<String>, JournalError> {
        let entries = match std::fs::read_dir(&self.root) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(JournalError::read(&self.root, e)),
        };
        Ok(entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .collect())
    }

    /// Whether `id` names a race: a folder with its `race.json` (a folder without one is
    /// a race still being created, or not a race).
    fn is_race(&self, id: &str) -> bool {
        self.root.join(id).join("race.json").is_file()
    }

    /// The records folder, opened for looking up many races' files in it.
    fn opened(&self) -> Opened {
        Opened {
            root: self.root.clone(),
            dir: std::fs::File::open(&self.root).ok(),
        }
    }

    /// Race ids, oldest first: by the start time `race.json` records, then by the
    /// sequence suffix a race got when its name was taken (ids of the same minute and
    /// spec), then by name. Names alone do not order races: two specs started in turn
    /// can sort either way. The start times of indexed races come from the index, so
    /// only the `race.json` of races without a line is read.
    pub fn ids(&self) -> Result<Vec<String>, JournalError> {
        let opened = self.opened();
        let ids = self
            .names()?
            .into_iter()
            .filter(|id| opened.is_file(&format!("{id}/race.json")))
            .collect();
        Ok(self.in_order(ids, &self.index().read()))
    }

    fn in_order(&self, ids: Vec<String>, index: &IndexRead) -> Vec<String> {
        let mut races: Vec<(Option<Started>, u32, String)> = ids
            .into_iter()
            .map(|id| {
                let at = match index.lines.get(&id) {
                    Some(line) => parse_started(&line.race.created_at),
                    None => started_at(&self.root.join(&id)),
                };
                (at, sequence(&id), id)
            })
            .collect();
        races.sort();
        races.into_iter().map(|(_, _, id)| id).collect()
    }

    /// Resolves `last` (the newest race), a full id, or an unambiguous prefix of one.
    /// Only `last` needs every race's start time (from the index, mostly); an id or a
    /// prefix is found by name.
    pub fn resolve(&self, name: &str) -> Result<RaceDir, JournalError> {
        if name == "last" {
            let id = self.ids()?.pop().ok_or_else(|| JournalError::NoRaces {
                root: self.root.clone(),
            })?;
            return Ok(self.dir(&id));
        }
        let plain = !name.is_empty() && !name.contains('/') && name != "." && name != "..";
        if plain && self.is_race(name) {
            return Ok(self.dir(name));
        }
        let matches: Vec<String> = self
            .names()?
            .into_iter()
            .filter(|id| id.starts_with(name) && self.is_race(id))
            .collect();
        match matches.len() {
            1 => Ok(self.dir(&matches[0])),
            0 => Err(JournalError::NoSuchRace {
                name: name.to_string(),
                root: self.root.clone(),
            }),
            _ => Err(JournalError::Ambiguous {
                name: name.to_string(),
                candidates: self.in_order(matches, &self.index().read()),
            }),
        }
    }

    /// Every race as `bakeoff list` shows it, oldest first (as [`Store::ids`]). A race
    /// with an index line that still holds is taken from the index without opening its
    /// folder's files; any other is read from its folder. When the index lacked ended
    /// races, held lines of removed folders, or torn or stale lines, it is rewritten.
    pub fn listings(&self) -> Result<Vec<Listed>, JournalError> {
        let index = self.index();
        let read = index.read();
        let names = self.names()?;
        let opened = self.opened();
        let mut fresh = Vec::new();
        let mut listed = Vec::with_capacity(names.len());
        for id in &names {
            let dir = self.dir(id);
            let line = read.lines.get(id);
            if let Some(line) = line.filter(|l| l.holds(opened.len(&format!("{id}/events.jsonl")))) {
                listed.push(Listed::Race(line.race.clone()));
                continue;
            }
            if !self.is_race(id) {
                continue;
            }
            match RaceListing::read(&dir)? {
                Some((race, len)) => {
                    if race.status.ended() {
                        fresh.push(IndexLine::new(race.clone(), len));
                    }
                    listed.push(Listed::Race(race));
                }
                None => listed.push(Listed::Unreadable(id.clone())),
            }
        }
        let present: HashSet<&str> = names.iter().map(String::as_str).collect();
        let gone = read.lines.keys().any(|id| !present.contains(id.as_str()));
        if !fresh.is_empty() || gone || read.stale > 0 {
            // A cache: if the rewrite fails, the next `list` reads those races again.
            let _ = index.rebuild(fresh, &|id| present.contains(id) || self.root.join(id).is_dir());
        }
        let mut keyed: Vec<(Option<Started>, u32, Listed)> = listed
            .into_iter()
            .map(|l| {
                let (at, id) = match &l {
                    Listed::Race(r) => (parse_started(&r.created_at), &r.id),
                    Listed::Unreadable(id) => (None, id),
                };
                (at, sequence(id), l)
            })
            .collect();
        keyed.sort_by(|a, b| (&a.0, a.1, a.2.id()).cmp(&(&b.0, b.1, b.2.id())));
        Ok(keyed.into_iter().map(|(_, _, l)| l).collect())
    }

    pub fn dir(&self, id: &str) -> RaceDir {
        RaceDir {
            id: id.to_string(),
            path: self.root.join(id),
        }
    }

    /// The id a race starting now would like: `20261121-1530-fix-retry`. Whether it is
    /// free is for [`Store::reserve`] to find out, atomically.
    pub fn new_id(&self, now: chrono::DateTime<chrono::Local>, spec: &str) -> String {
        let slug = slug(spec);
        match slug.is_empty() {
            true => now.format("%Y%m%d-%H%M").to_string(),
            false => format!("{}-{slug}", now.format("%Y%m%d-%H%M")),
        }
    }

    /// Creates the records folder of a new race named `wanted`, or `wanted-2`,
    /// `wanted-3`… when that name is taken, and returns it. Each name is claimed with an
    /// exclusive create, so any number of bakeoffs starting at once each get their own.
    pub fn reserve(&self, wanted: &str) -> Result<RaceDir, JournalError> {
        std::fs::create_dir_all(&self.root).map_err(|e| JournalError::write(&self.root, e))?;
        let mut id = wanted.to_string();
        for n in 2u32.. {
            let path = self.root.join(&id);
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(RaceDir { id, path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => id = format!("{wanted}-{n}"),
                Err(e) => return Err(JournalError::write(&path, e)),
            }
        }
        unreachable!("u32 names run out before a repository's races do")
    }
}

/// The records folder held open, so that the files of thousands of races are looked up
/// from it (`fstatat`) rather than each walked to from `/`: at 10,000 races those path
/// walks were most of what a `list` from the index did.
struct Opened {
    root: PathBuf,
    dir: Option<std::fs::File>,
}

impl Opened {
    /// The size and type of `rel`, a path under the records folder; `None` when it
    /// cannot be looked up.
    fn stat(&self, rel: &str) -> Option<(u64, bool)> {
        use std::os::fd::AsRawFd;
        let Some(dir) = &self.dir else {
            let meta = std::fs::metadata(self.root.join(rel)).ok()?;
            return Some((meta.len(), meta.is_file()));
        };
        let name = std::ffi::CString::new(rel).ok()?;
        // SAFETY: a zeroed `stat` is a valid value of a plain C struct.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: `dir` is an open descriptor we own, `name` a NUL-terminated string, and
        // `st` a live struct fstatat(2) writes into.
        if unsafe { libc::fstatat(dir.as_raw_fd(), name.as_ptr(), &mut st, 0) } != 0 {
            return None;
        }
        Some((st.st_size as u64, st.st_mode & libc::S_IFMT == libc::S_IFREG))
    }

    fn len(&self, rel: &str) -> Option<u64> {
        self.stat(rel).map(|(len, _)| len)
    }

    fn is_file(&self, rel: &str) -> bool {
        matches!(self.stat(rel), Some((_, true)))
    }
}

/// A race as `bakeoff list` shows it: how it stands, or only its id when its
/// `race.json` cannot be read.
#[derive(Clone, Debug, PartialEq)]
pub enum Listed {
    Race(RaceListing),
    Unreadable(String),
}

impl Listed {
    pub fn id(&self) -> &str {
        match self {
            Listed::Race(r) => &r.id,
            Listed::Unreadable(id) => id,
        }
    }
}

/// When a race started.
type Started = chrono::DateTime<chrono::FixedOffset>;

/// When a race started, as its `race.json` says; `None` when it cannot be read (such a
/// race sorts first, never as `last`).
fn started_at(dir: &Path) -> Option<Started> {
    #[derive(serde::Deserialize)]
    struct Record {
        created_at: String,
    }
    let text = std::fs::read(dir.join("race.json")).ok()?;
    let record: Record = serde_json::from_slice(&text).ok()?;
    parse_started(&record.created_at)
}

fn parse_started(created_at: &str) -> Option<Started> {
    chrono::DateTime::parse_from_rfc3339(created_at).ok()
}

/// The sequence number [`Store::reserve`] gave an id: 1 for the name as wanted, `n` for
/// a `-n` suffix.
fn sequence(id: &str) -> u32 {
    id.rsplit_once('-')
        .and_then(|(_, n)| n.parse::<u32>().ok())
        .filter(|n| *n >= 2)
        .unwrap_or(1)
}

impl RaceDir {
    /// The store this race's folder is in.
    pub fn store(&self) -> Store {
        Store {
            root: self.path.parent().map(Path::to_path_buf).unwrap_or_default(),
        }
    }

    pub fn race_json(&self) -> PathBuf {
        self.path.join("race.json")
    }
    pub fn events(&self) -> PathBuf {
        self.path.join("events.jsonl")
    }
    /// A merge under way: written before the user's work tree is touched, removed once
    /// the branch has moved (see `git::finish_interrupted`).
    pub fn merge_intent(&self) -> PathBuf {
        self.path.join("merge-intent")
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
    /// The lane's agent's HOME, the same in every round (a resumed CLI finds its session
    /// there).
    pub fn agent_home(&self, lane: &str) -> PathBuf {
        self.lane_dir(lane).join("agent-home")
    }
    /// The file [`RaceDir::lock`] locks.
    pub fn lock_file(&self) -> PathBuf {
        self.path.join("lock")
    }

    /// Writes `value` as pretty JSON; returns what it wrote.
    pub fn write_json<T: serde::Serialize>(&self, path: &Path, value: &T) -> Result<Vec<u8>, JournalError> {
        let mut text = serde_json::to_vec_pretty(value).map_err(|e| JournalError::write(path, e))?;
        text.push(b'\n');
        // Write then rename, so a reader never sees half a file.
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, &text)
            .and_then(|_| std::fs::rename(&tmp, path))
            .map_err(|e| JournalError::write(path, e))?;
        Ok(text)
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
        let path = self.lock_file();
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
        assert_eq!(store.reserve(&id).unwrap().id, id);
        assert_eq!(store.reserve(&id).unwrap().id, format!("{id}-2"));
        assert_eq!(store.reserve(&id).unwrap().id, format!("{id}-3"));
        assert!(store.root().join(format!("{id}-3")).is_dir());
    }

    #[test]
    fn concurrent_reservations_each_get_their_own_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let threads: Vec<_> = (0..16)
            .map(|_| {
                let root = root.clone();
                std::thread::spawn(move || Store::new(&root).reserve("20261121-1530-same").unwrap().id)
            })
            .collect();
        let mut ids: Vec<String> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 16);
    }

    fn recorded(store: &Store, id: &str, created_at: &str) {
        std::fs::create_dir_all(store.root().join(id)).unwrap();
        std::fs::write(
            store.root().join(id).join("race.json"),
            format!("{{\"created_at\": \"{created_at}\"}}"),
        )
        .unwrap();
    }

    #[test]
    fn resolve_last_and_prefixes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        assert!(matches!(store.resolve("last"), Err(JournalError::NoRaces { .. })));
        recorded(&store, "20261121-1500-a", "2026-11-21T15:00:00+00:00");
        recorded(&store, "20261121-1600-b", "2026-11-21T16:00:00+00:00");
        assert_eq!(store.resolve("last").unwrap().id, "20261121-1600-b");
        assert_eq!(store.resolve("20261121-15").unwrap().id, "20261121-1500-a");
        match store.resolve("20261121") {
            Err(JournalError::Ambiguous { candidates, .. }) => {
                assert_eq!(candidates, ["20261121-1500-a", "20261121-1600-b"])
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            store.resolve("2025"),
            Err(JournalError::NoSuchRace { .. })
        ));
    }

    #[test]
    fn last_is_the_newest_start_then_the_highest_sequence() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        // Started second, sorts first by name.
        recorded(&store, "20261121-1500-zebra", "2026-11-21T15:00:01.5+00:00");
        recorded(&store, "20261121-1500-apple", "2026-11-21T15:00:02+00:00");
        assert_eq!(store.resolve("last").unwrap().id, "20261121-1500-apple");
        recorded(&store, "20261121-1600-x-10", "2026-11-21T16:00:00+00:00");
        recorded(&store, "20261121-1600-x-9", "2026-11-21T16:00:00+00:00");
        recorded(&store, "20261121-1600-x", "2026-11-21T16:00:00+00:00");
        assert_eq!(
            store.ids().unwrap()[2..],
            ["20261121-1600-x", "20261121-1600-x-9", "20261121-1600-x-10"]
        );
        assert_eq!(store.resolve("last").unwrap().id, "20261121-1600-x-10");
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
