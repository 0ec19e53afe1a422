//! `events.jsonl`: one stamped event per line, appended and flushed as it happens.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{JournalError, SharedSeal};
use crate::vocab::Reporter;
use crate::vocab::Stamped;

/// An append-only journal file.
pub struct EventLog {
    path: PathBuf,
    file: File,
    /// The race's seal, told every byte written, when the journal is a live race's.
    seal: Option<SharedSeal>,
}

impl EventLog {
    /// Opens (or creates) a journal for appending. A torn last line, left by a crash
    /// mid-write, is ended first, so the next event starts a line of its own instead of
    /// being glued to the torn one (and skipped with it).
    pub fn open(path: &Path) -> Result<EventLog, JournalError> {
        EventLog::open_with(path, None)
    }

    /// [`EventLog::open`] for a race that runs: every byte it writes, the end of a torn
    /// line too, goes into `seal`, so the lanes can tell the file is exactly that.
    pub fn open_sealed(path: &Path, seal: SharedSeal) -> Result<EventLog, JournalError> {
        EventLog::open_with(path, Some(seal))
    }

    fn open_with(path: &Path, seal: Option<SharedSeal>) -> Result<EventLog, JournalError> {
        let mut sealed = seal.as_ref().map(SharedSeal::lock);
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .map_err(|e| JournalError::write(path, e))?;
        if ends_torn(&mut file).map_err(|e| JournalError::read(path, e))? {
            file.write_all(b"\n").map_err(|e| JournalError::write(path, e))?;
            if let Some(sealed) = sealed.as_mut() {
                sealed.journal_appended(b"\n");
            }
        }
        drop(sealed);
        Ok(EventLog {
            path: path.to_path_buf(),
            file,
            seal,
        })
    }

    /// Appends one event as a single `write` of a whole line, so a crash can tear at most
    /// the last line, which `read_events` skips.
    pub fn append(&mut self, event: &Stamped) -> Result<(), JournalError> {
        let mut line = serde_json::to_vec(event).map_err(|e| JournalError::write(&self.path, e))?;
        line.push(b'\n');
        let mut sealed = self.seal.as_ref().map(SharedSeal::lock);
        self.file
            .write_all(&line)
            .and_then(|_| self.file.flush())
            .map_err(|e| JournalError::write(&self.path, e))?;
        // A line that failed half-written is not sealed: the lanes then see a journal
        // that is not what bakeoff meant to write, and are not merged on that doubt.
        if let Some(sealed) = sealed.as_mut() {
            sealed.journal_appended(&line);
        }
        Ok(())
    }
}

/// True when the file is not empty and does not end with a newline.
pub(super) fn ends_torn(file: &mut File) -> std::io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    if file.metadata()?.len() == 0 {
        return Ok(false);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] != b'\n')
}

/// Reads a journal; a torn or unreadable line (from a crash mid-write) is skipped.
pub fn read_events(path: &Path) -> Result<Vec<Stamped>, JournalError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(parse_events(&bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(JournalError::read(path, e)),
    }
}

/// The events of a journal's bytes; a torn or unreadable line is skipped.
pub fn parse_events(bytes: &[u8]) -> Vec<Stamped> {
    bytes
        .split(|b| *b == b'\n')
        .filter_map(|line| serde_json::from_slice::<Stamped>(line).ok())
        .collect()
}

/// The journal as a reporter: every event the coordinator emits lands in the file.
pub struct JournalReporter {
    log: EventLog,
    /// The first write error, reported once at the end instead of aborting the race.
    pub error: Option<JournalError>,
}

impl JournalReporter {
    pub fn new(log: EventLog) -> JournalReporter {
        JournalReporter { log, error: None }
    }
}

impl Reporter for JournalReporter {
    fn event(&mut self, event: &Stamped) {
        if let Err(e) = self.log.append(event) {
            self.error.get_or_insert(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::{RaceEvent, EVENT_FORMAT};

    #[test]
    fn torn_last_line_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        let mut log = EventLog::open(&path).unwrap();
        let ev = Stamped {
            v: EVENT_FORMAT,
            at_ms: 1,
            event: RaceEvent::Interrupted { forced: false },
        };
        log.append(&ev).unwrap();
        log.append(&ev).unwrap();
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"v\":1,\"at_ms\":2,\"type\":\"inter").unwrap();
        assert_eq!(read_events(&path).unwrap(), vec![ev.clone(), ev.clone()]);
        // A journal reopened after the crash (by `resume`) goes on on a line of its own.
        let mut log = EventLog::open(&path).unwrap();
        log.append(&ev).unwrap();
        assert_eq!(read_events(&path).unwrap(), vec![ev.clone(), ev.clone(), ev]);
    }

    #[test]
    fn a_sealed_journal_is_exactly_what_was_written_torn_line_end_and_all() {
        use crate::journal::{Seal, SharedSeal, Store};
        let tmp = tempfile::tempdir().unwrap();
        let dir = Store::new(tmp.path()).reserve("r").unwrap();
        let ev = Stamped {
            v: EVENT_FORMAT,
            at_ms: 1,
            event: RaceEvent::Interrupted { forced: false },
        };
        std::fs::write(dir.events(), b"{\"v\":1,\"at_").unwrap();
        // As `resume` does: the folder sealed as found, then the journal reopened.
        let seal = SharedSeal::new(Seal::found(&dir, []).unwrap());
        let mut log = EventLog::open_sealed(&dir.events(), seal.clone()).unwrap();
        log.append(&ev).unwrap();
        assert_eq!(seal.verify(&dir.path), Vec::<String>::new());
        // The same line again, not through the log: bakeoff did not write it.
        let line = std::fs::read_to_string(dir.events()).unwrap();
        let line = line.lines().last().unwrap().to_string() + "\n";
        OpenOptions::new()
            .append(true)
            .open(dir.events())
            .unwrap()
            .write_all(line.as_bytes())
            .unwrap();
        assert_eq!(
            seal.verify(&dir.path),
            [format!(
                "events.jsonl has {} bytes bakeoff did not write in the race's records",
                line.len()
            )]
        );
    }
}
