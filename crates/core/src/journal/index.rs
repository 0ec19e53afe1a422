//! The race index, `<git common dir>/bakeoff/race-index.jsonl`: one line per race that
//! has ended, holding what `bakeoff list` prints of it, so listing thousands of races
//! reads one file instead of every race's `race.json` and journal.
//!
//! It is a cache, never the truth. A line counts only while its race's journal is still
//! the length it had when the line was written (the journal is append-only, so any event
//! added since — a merge, a resume — changes its length); otherwise the race is read from
//! its folder, as it is when it has no line at all (a crashed or still running race, a
//! race recorded by an older bakeoff). A line whose folder is gone is dropped, and a
//! torn or unreadable one is skipped; `list` rewrites the index when it found any of
//! these. Lines are appended under a lock of the index's own (`race-index.lock`), each
//! in one `write`, so races ending at once never interleave, and a rewrite (to a
//! temporary file, then renamed) never loses an append.
//!
//! The index lives beside `races/`, not in it, so that every name in `races/` stays a
//! race id (tools and scripts take the newest name there as the newest race).

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{parse_events, JournalError, RaceDir, RaceSummary};

/// Version of an index line; a line of another version is skipped (and rewritten).
pub const INDEX_FORMAT: u32 = 1;

/// How a race stands, as `list` and `show` say it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RaceStatus {
    /// Still running, or its bakeoff died (see `bakeoff resume`).
    Unfinished,
    Interrupted,
    NoWinner,
    Winner(String),
    /// The winner, merged by the race or by `bakeoff merge`.
    Merged(String),
}

impl RaceStatus {
    pub fn of(s: &RaceSummary) -> RaceStatus {
        match (&s.winner, s.finished, s.interrupted) {
            (_, _, true) => RaceStatus::Interrupted,
            (Some(w), true, _) if !s.merges.is_empty() => RaceStatus::Merged(w.clone()),
            (Some(w), true, _) => RaceStatus::Winner(w.clone()),
            (None, true, _) => RaceStatus::NoWinner,
            (_, false, _) => RaceStatus::Unfinished,
        }
    }

    /// True once nothing but `merge` (which appends to the journal) changes the status.
    pub fn ended(&self) -> bool {
        *self != RaceStatus::Unfinished
    }
}

impl std::fmt::Display for RaceStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RaceStatus::Unfinished => f.write_str("unfinished"),
            RaceStatus::Interrupted => f.write_str("interrupted"),
            RaceStatus::NoWinner => f.write_str("no winner"),
            RaceStatus::Winner(w) => write!(f, "winner {w}"),
            RaceStatus::Merged(w) => write!(f, "merged {w}"),
        }
    }
}

/// What `bakeoff list` shows of one race.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RaceListing {
    pub id: String,
    /// When the race started, as `race.json` says (RFC 3339).
    pub created_at: String,
    pub title: String,
    pub lanes: usize,
    pub status: RaceStatus,
}

impl RaceListing {
    /// The race as its folder tells it, and the length of the journal it was read from;
    /// `Ok(None)` when its `race.json` cannot be read. A journal that cannot be read is
    /// an error, as it is for `show`.
    pub fn read(dir: &RaceDir) -> Result<Option<(RaceListing, u64)>, JournalError> {
        let Ok(record) = dir.record() else {
            return Ok(None);
        };
        let path = dir.events();
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(JournalError::read(&path, e)),
        };
        let summary = RaceSummary::from_events(&parse_events(&bytes));
        let listing = RaceListing {
            id: dir.id.clone(),
            created_at: record.created_at.clone(),
            title: record.title(),
            lanes: record.lanes.len(),
            status: RaceStatus::of(&summary),
        };
        Ok(Some((listing, bytes.len() as u64)))
    }
}

/// One line of the index. Written flat (see [`Wire`]): serde's `flatten` would parse each
/// line twice over.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "Wire", into = "Wire")]
pub(super) struct IndexLine {
    pub v: u32,
    pub race: RaceListing,
    /// The length of the race's journal when the line was written: the line holds while
    /// the journal has that length.
    pub events_len: u64,
}

/// An index line as it is on disk.
#[derive(Serialize, Deserialize)]
struct Wire {
    v: u32,
    id: String,
    created_at: String,
    title: String,
    lanes: usize,
    status: RaceStatus,
    events_len: u64,
}

impl From<Wire> for IndexLine {
    fn from(w: Wire) -> IndexLine {
        IndexLine {
            v: w.v,
            race: RaceListing {
                id: w.id,
                created_at: w.created_at,
                title: w.title,
                lanes: w.lanes,
                status: w.status,
            },
            events_len: w.events_len,
        }
    }
}

impl From<IndexLine> for Wire {
    fn from(l: IndexLine) -> Wire {
        Wire {
            v: l.v,
            id: l.race.id,
            created_at: l.race.created_at,
            title: l.race.title,
            lanes: l.race.lanes,
            status: l.race.status,
            events_len: l.events_len,
        }
    }
}

impl IndexLine {
    pub fn new(race: RaceListing, events_len: u64) -> IndexLine {
        IndexLine {
            v: INDEX_FORMAT,
            race,
            events_len,
        }
    }

    /// Whether the line still tells the truth about its race, whose journal is now
    /// `journal_len` bytes long (`None`: gone).
    pub fn holds(&self, journal_len: Option<u64>) -> bool {
        journal_len == Some(self.events_len)
    }
}

/// What the index file holds, read.
#[derive(Debug, Default)]
pub(super) struct IndexRead {
    /// The last line of each race.
    pub lines: BTreeMap<String, IndexLine>,
    /// Lines that were torn, unreadable, of another version, or followed by a later line
    /// of the same race: a rewrite would drop them.
    pub stale: usize,
}

/// The index of one repository's races (see the module's documentation).
#[derive(Clone, Debug)]
pub struct RaceIndex {
    path: PathBuf,
    lock: PathBuf,
}

impl RaceIndex {
    /// The index of the races under `races_root` (`<common dir>/bakeoff/races`).
    pub(super) fn beside(races_root: &Path) -> RaceIndex {
        let parent = races_root.parent().unwrap_or(races_root);
        RaceIndex {
            path: parent.join("race-index.jsonl"),
            lock: parent.join("race-index.lock"),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the index; a missing or unreadable file is an empty index.
    pub(super) fn read(&self) -> IndexRead {
        match std::fs::read(&self.path) {
            Ok(bytes) => parse(&bytes),
            Err(_) => IndexRead::default(),
        }
    }

    /// Records how a race stands now, read from its folder: called when a race ends,
    /// when `resume` ends one and when `merge` merges one. A race that has not ended gets
    /// no line. The index is a cache: a caller may ignore the error.
    pub fn note(&self, dir: &RaceDir) -> Result<(), JournalError> {
        match RaceListing::read(dir)? {
            Some((race, len)) if race.status.ended() => self.append(&[IndexLine::new(race, len)]),
            _ => Ok(()),
        }
    }

    /// Drops the lines of races whose folders were removed (`clean --purge`).
    pub fn forget(&self, ids: &[String]) -> Result<(), JournalError> {
        if ids.is_empty() {
            return Ok(());
        }
        let _held = self.hold()?;
        let mut read = self.read();
        let before = read.lines.len();
        for id in ids {
            read.lines.remove(id);
        }
        if read.lines.len() == before && read.stale == 0 {
            return Ok(());
        }
        self.write_all(read.lines.values())
    }

    /// Appends lines in one `write`, after ending a torn last line so they start a line
    /// of their own.
    pub(super) fn append(&self, lines: &[IndexLine]) -> Result<(), JournalError> {
        let mut text = Vec::new();
        for line in lines {
            serde_json::to_writer(&mut text, line).map_err(|e| JournalError::write(&self.path, e))?;
            text.push(b'\n');
        }
        let _held = self.hold()?;
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(&self.path)
            .map_err(|e| JournalError::write(&self.path, e))?;
        if super::events::ends_torn(&mut file).map_err(|e| JournalError::read(&self.path, e))? {
            text.insert(0, b'\n');
        }
        file.write_all(&text)
            .map_err(|e| JournalError::write(&self.path, e))
    }

    /// Rewrites the index from what `list` read the slow way (`fresh`) and what the file
    /// holds now, without the lines of races whose folders are not in `present`. Done
    /// under the lock, from the file as it is then, so a line appended since `list` read
    /// it is kept; of two lines of one race, the one of the longer journal wins.
    pub(super) fn rebuild(
        &self,
        fresh: Vec<IndexLine>,
        present: &dyn Fn(&str) -> bool,
    ) -> Result<(), JournalError> {
        let _held = self.hold()?;
        let mut lines = self.read().lines;
        lines.retain(|id, _| present(id));
        for line in fresh {
            match lines.get(&line.race.id) {
                Some(kept) if kept.events_len >= line.events_len => {}
                _ => {
                    lines.insert(line.race.id.clone(), line);
                }
            }
        }
        self.write_all(lines.values())
    }

    /// Replaces the file with `lines`: written beside it, then renamed over it, so a
    /// reader sees the old index or the new one. The caller holds the lock.
    fn write_all<'a>(&self, lines: impl Iterator<Item = &'a IndexLine>) -> Result<(), JournalError> {
        let mut text = Vec::new();
        for line in lines {
            serde_json::to_writer(&mut text, line).map_err(|e| JournalError::write(&self.path, e))?;
            text.push(b'\n');
        }
        let tmp = self.path.with_extension("jsonl.tmp");
        std::fs::write(&tmp, &text)
            .and_then(|_| std::fs::rename(&tmp, &self.path))
            .map_err(|e| JournalError::write(&self.path, e))
    }

    /// Takes the index's lock, waiting for another bakeoff that holds it (for the time
    /// of one append or one rewrite).
    fn hold(&self) -> Result<File, JournalError> {
        use std::os::fd::AsRawFd;
        if let Some(parent) = self.lock.parent() {
            std::fs::create_dir_all(parent).map_err(|e| JournalError::write(parent, e))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.lock)
            .map_err(|e| JournalError::write(&self.lock, e))?;
        // SAFETY: flock(2) on a descriptor we own; no memory is shared.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(JournalError::write(&self.lock, std::io::Error::last_os_error()));
        }
        Ok(file)
    }
}

/// The lines of an index file: the last line of each race wins; torn and unreadable
/// lines are counted as stale.
fn parse(bytes: &[u8]) -> IndexRead {
    let mut read = IndexRead::default();
    for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        match serde_json::from_slice::<IndexLine>(line) {
            Ok(line) if line.v == INDEX_FORMAT => {
                if read.lines.insert(line.race.id.clone(), line).is_some() {
                    read.stale += 1;
                }
            }
            _ => read.stale += 1,
        }
    }
    read
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Store;

    fn line(id: &str, len: u64, status: RaceStatus) -> IndexLine {
        IndexLine::new(
            RaceListing {
                id: id.into(),
                created_at: "2026-11-21T15:00:00+00:00".into(),
                title: "Fix it".into(),
                lanes: 2,
                status,
            },
            len,
        )
    }

    #[test]
    fn the_last_line_of_a_race_wins_and_torn_lines_are_stale() {
        let tmp = tempfile::tempdir().unwrap();
        let index = Store::new(tmp.path()).index();
        index.append(&[line("a", 10, RaceStatus::NoWinner)]).unwrap();
        index
            .append(&[line("a", 20, RaceStatus::Merged("x".into()))])
            .unwrap();
        // A crash mid-append, then another race's line.
        let mut f = OpenOptions::new().append(true).open(index.path()).unwrap();
        f.write_all(b"{\"v\":1,\"id\":\"b\",\"crea").unwrap();
        index
            .append(&[line("c", 5, RaceStatus::Winner("y".into()))])
            .unwrap();
        let read = index.read();
        assert_eq!(read.lines.keys().collect::<Vec<_>>(), ["a", "c"]);
        assert_eq!(read.lines["a"].race.status, RaceStatus::Merged("x".into()));
        assert_eq!(read.stale, 2);
        // A rewrite keeps the newest line of each race present, and nothing stale.
        index
            .rebuild(vec![line("a", 15, RaceStatus::Winner("x".into()))], &|id| {
                id != "c"
            })
            .unwrap();
        let read = index.read();
        assert_eq!(read.lines.keys().collect::<Vec<_>>(), ["a"]);
        assert_eq!(read.lines["a"].events_len, 20);
        assert_eq!(read.stale, 0);
        index.forget(&["a".into()]).unwrap();
        assert!(index.read().lines.is_empty());
    }

    #[test]
    fn a_status_reads_as_list_prints_it() {
        let cases = [
            (RaceStatus::Unfinished, "unfinished", "\"unfinished\""),
            (RaceStatus::Interrupted, "interrupted", "\"interrupted\""),
            (RaceStatus::NoWinner, "no winner", "\"no-winner\""),
            (RaceStatus::Winner("a".into()), "winner a", "{\"winner\":\"a\"}"),
            (RaceStatus::Merged("a".into()), "merged a", "{\"merged\":\"a\"}"),
        ];
        for (status, shown, json) in cases {
            assert_eq!(status.to_string(), shown);
            assert_eq!(serde_json::to_string(&status).unwrap(), json);
        }
    }
}
