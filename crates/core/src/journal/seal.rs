//! The seal of a race's records folder: what bakeoff itself last wrote there, each file
//! by the sha256 of its content, and the journal as the running digest of every byte
//! `EventLog` appended. After each agent stops the lane checks the folder against it, so
//! an agent that rewrote a record, forged a journal line or planted a file is caught
//! like one that reached into the user's checkout. Detection only: nothing is put back.
//!
//! A lane may write in a few places of the folder, and they are not checked: each lane's
//! `agent-home/` (the agent's HOME), the logs bakeoff opens for its children (the child
//! writes them itself), the race's lock and `merge-intent`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use sha2::{Digest, Sha256};

use super::{JournalError, RaceDir};

/// A sha256 digest.
type Sum = [u8; 32];

/// At most this many differences are named; the rest are counted.
const SHOWN: usize = 5;

/// What bakeoff wrote into one race's folder, and where a lane may write.
#[derive(Clone, Debug)]
pub struct Seal {
    /// Files bakeoff wrote (by full path), and the digest of what it wrote.
    files: BTreeMap<PathBuf, Sum>,
    journal: PathBuf,
    /// Every byte `EventLog` appended to the journal, digested as it went, and how many.
    journal_sum: Sha256,
    journal_len: u64,
    /// Files a lane or a child may write: the logs bakeoff opened, the lock, the intent.
    open_files: BTreeSet<PathBuf>,
    /// Folders a lane may write anything into: each lane's `agent-home/`.
    open_dirs: BTreeSet<PathBuf>,
}

impl Seal {
    /// The seal of a race whose folder bakeoff has just reserved: nothing written yet.
    pub fn new<'a>(dir: &RaceDir, lanes: impl IntoIterator<Item = &'a str>) -> Seal {
        Seal {
            files: BTreeMap::new(),
            journal: dir.events(),
            journal_sum: Sha256::new(),
            journal_len: 0,
            open_files: [dir.lock_file(), dir.merge_intent()].into_iter().collect(),
            open_dirs: lanes.into_iter().map(|l| dir.agent_home(l)).collect(),
        }
    }

    /// The seal of a race's folder as it is now, for `resume`: what a crashed run wrote
    /// cannot be known, so everything found is taken as bakeoff's.
    pub fn found<'a>(dir: &RaceDir, lanes: impl IntoIterator<Item = &'a str>) -> Result<Seal, JournalError> {
        let mut seal = Seal::new(dir, lanes);
        for path in seal.unopened_entries(&dir.path) {
            if path == seal.journal {
                let text = std::fs::read(&path).map_err(|e| JournalError::read(&path, e))?;
                seal.journal_appended(&text);
            } else {
                let sum = fingerprint(&path).map_err(|e| JournalError::read(&path, e))?;
                seal.files.insert(path, sum);
            }
        }
        Ok(seal)
    }

    /// Bakeoff wrote `bytes` to `path`.
    pub fn record(&mut self, path: &Path, bytes: &[u8]) {
        self.files
            .insert(path.to_path_buf(), Sha256::digest(bytes).into());
    }

    /// `EventLog` appended `bytes` to the journal.
    pub fn journal_appended(&mut self, bytes: &[u8]) {
        self.journal_sum.update(bytes);
        self.journal_len += bytes.len() as u64;
    }

    /// A log bakeoff opens for a child, which the child writes itself.
    pub fn open_log(&mut self, path: &Path) {
        self.open_files.insert(path.to_path_buf());
    }

    /// What differs in `race_dir` from the seal, one short phrase each: a sealed file
    /// rewritten or gone, the journal not exactly what bakeoff appended, and any file or
    /// link bakeoff did not write outside the places a lane may write.
    pub fn verify(&self, race_dir: &Path) -> Vec<String> {
        let mut found = Vec::new();
        let name = |p: &Path| p.strip_prefix(race_dir).unwrap_or(p).display().to_string();
        if let Some(what) = self.journal_differs() {
            found.push(format!("{} {what}", name(&self.journal)));
        }
        for (path, sum) in self.files.iter().filter(|(p, _)| !self.is_open(p)) {
            match fingerprint(path) {
                Ok(now) if now == *sum => {}
                Ok(_) => found.push(format!("{} was changed", name(path))),
                Err(_) => found.push(format!("{} was removed", name(path))),
            }
        }
        for path in self.unopened_entries(race_dir) {
            if path != self.journal && !self.files.contains_key(&path) {
                found.push(format!("{} was added", name(&path)));
            }
        }
        let mut phrases: Vec<String> = found
            .iter()
            .take(SHOWN)
            .map(|f| format!("{f} in the race's records"))
            .collect();
        if found.len() > SHOWN {
            phrases.push(format!("and {} more in the race's records", found.len() - SHOWN));
        }
        phrases
    }

    /// How the journal differs from what `EventLog` appended, if it does. A line added
    /// while bakeoff goes on appending is not at the end, so only the lengths and the
    /// digest are compared: facts true whatever was done.
    fn journal_differs(&self) -> Option<String> {
        let text = match std::fs::read(&self.journal) {
            Ok(text) => text,
            Err(_) if self.journal_len == 0 => return None,
            Err(_) => return Some("was removed".into()),
        };
        let (now, written) = (text.len() as u64, self.journal_len);
        let sum: Sum = self.journal_sum.clone().finalize().into();
        match now.cmp(&written) {
            std::cmp::Ordering::Greater => {
                Some(format!("has {} bakeoff did not write", bytes(now - written)))
            }
            std::cmp::Ordering::Less => Some(format!("lost {} bakeoff wrote", bytes(written - now))),
            std::cmp::Ordering::Equal if <Sum>::from(Sha256::digest(&text)) != sum => {
                Some("was rewritten".into())
            }
            std::cmp::Ordering::Equal => None,
        }
    }

    fn is_open(&self, path: &Path) -> bool {
        self.open_files.contains(path) || self.open_dirs.iter().any(|d| path.starts_with(d))
    }

    /// Every file, link or other non-folder under `dir`, open places left out. Links are
    /// not followed; an unreadable folder is skipped (what it holds cannot be told).
    fn unopened_entries(&self, dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let Ok(entries) = std::fs::read_dir(dir) else {
            return out;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if self.is_open(&path) {
                continue;
            }
            match entry.file_type() {
                Ok(t) if t.is_dir() => out.extend(self.unopened_entries(&path)),
                _ => out.push(path),
            }
        }
        out.sort();
        out
    }
}

fn bytes(n: u64) -> String {
    match n {
        1 => "1 byte".into(),
        n => format!("{n} bytes"),
    }
}

/// A file's content digest; a link's is of its target, marked so a link never passes
/// for the file it points at.
fn fingerprint(path: &Path) -> std::io::Result<Sum> {
    let meta = std::fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(path)?;
        let mut sum = Sha256::new();
        sum.update(b"link\0");
        sum.update(std::os::unix::ffi::OsStrExt::as_bytes(target.as_os_str()));
        return Ok(sum.finalize().into());
    }
    if !meta.is_file() {
        return Ok(Sha256::digest(b"special\0").into());
    }
    Ok(Sha256::digest(std::fs::read(path)?).into())
}

/// A race's seal as the coordinator's journal and the lane workers share it. Bakeoff's
/// writes and their sealing happen under one hold of the lock, so a check never sees a
/// file bakeoff wrote without its seal.
#[derive(Clone, Debug)]
pub struct SharedSeal(Arc<Mutex<Seal>>);

impl SharedSeal {
    pub fn new(seal: Seal) -> SharedSeal {
        SharedSeal(Arc::new(Mutex::new(seal)))
    }

    /// The seal itself, held. A poisoned lock is taken over: the seal is a map of digests
    /// that no panic leaves half-updated in a way that matters.
    pub fn lock(&self) -> MutexGuard<'_, Seal> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes `bytes` to `path` and seals them.
    pub fn write(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        let mut seal = self.lock();
        std::fs::write(path, bytes)?;
        seal.record(path, bytes);
        Ok(())
    }

    /// Writes `value` as [`RaceDir::write_json`] does, and seals it.
    pub fn write_json<T: serde::Serialize>(
        &self,
        dir: &RaceDir,
        path: &Path,
        value: &T,
    ) -> Result<(), JournalError> {
        let mut seal = self.lock();
        let bytes = dir.write_json(path, value)?;
        seal.record(path, &bytes);
        Ok(())
    }

    /// See [`Seal::open_log`].
    pub fn open_log(&self, path: &Path) {
        self.lock().open_log(path);
    }

    /// See [`Seal::verify`].
    pub fn verify(&self, race_dir: &Path) -> Vec<String> {
        self.lock().verify(race_dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Store;

    /// A race folder of two lanes, `a` and `b`, as bakeoff writes it, and its seal.
    fn race() -> (tempfile::TempDir, RaceDir, SharedSeal) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = Store::new(tmp.path()).reserve("r").unwrap();
        let seal = SharedSeal::new(Seal::new(&dir, ["a", "b"]));
        seal.write_json(&dir, &dir.race_json(), &serde_json::json!({"format": 1}))
            .unwrap();
        seal.write(&dir.spec_file(), b"add a line\n").unwrap();
        for lane in ["a", "b"] {
            std::fs::create_dir_all(dir.agent_home(lane)).unwrap();
            seal.write(&dir.lane_dir(lane).join("diff.patch"), b"+four\n")
                .unwrap();
        }
        let line = b"{\"v\":1,\"at_ms\":1,\"type\":\"interrupted\",\"forced\":false}\n";
        std::fs::write(dir.events(), line).unwrap();
        seal.lock().journal_appended(line);
        (tmp, dir, seal)
    }

    fn verify(dir: &RaceDir, seal: &SharedSeal) -> Vec<String> {
        seal.verify(&dir.path)
    }

    #[test]
    fn an_untouched_folder_has_nothing_to_say() {
        let (_tmp, dir, seal) = race();
        assert_eq!(verify(&dir, &seal), Vec::<String>::new());
    }

    #[test]
    fn what_a_lane_did_to_the_records_is_named() {
        type Tamper = fn(&RaceDir);
        let cases: &[(&str, Tamper, &str)] = &[
            (
                "a rewritten sealed file",
                |d| std::fs::write(d.lane_dir("a").join("diff.patch"), "+evil\n").unwrap(),
                "lanes/a/diff.patch was changed in the race's records",
            ),
            (
                "a removed sealed file",
                |d| std::fs::remove_file(d.spec_file()).unwrap(),
                "spec.md was removed in the race's records",
            ),
            (
                "a sealed file swapped for a link to the same content",
                |d| {
                    let copy = d.path.join("..").join("spec.copy");
                    std::fs::copy(d.spec_file(), &copy).unwrap();
                    std::fs::remove_file(d.spec_file()).unwrap();
                    std::os::unix::fs::symlink(&copy, d.spec_file()).unwrap();
                },
                "spec.md was changed in the race's records",
            ),
            (
                "a forged journal line",
                |d| {
                    let mut f = std::fs::OpenOptions::new().append(true).open(d.events()).unwrap();
                    std::io::Write::write_all(&mut f, b"{\"type\":\"merged\"}\n").unwrap();
                },
                "events.jsonl has 18 bytes bakeoff did not write in the race's records",
            ),
            (
                "a truncated journal",
                |d| {
                    let f = std::fs::OpenOptions::new().write(true).open(d.events()).unwrap();
                    f.set_len(10).unwrap();
                },
                "events.jsonl lost 44 bytes bakeoff wrote in the race's records",
            ),
            (
                "a journal line rewritten in place, same length",
                |d| {
                    let text = std::fs::read_to_string(d.events()).unwrap();
                    std::fs::write(d.events(), text.replace("false", "fals3")).unwrap();
                },
                "events.jsonl was rewritten in the race's records",
            ),
            (
                "a file planted at the race's root",
                |d| std::fs::write(d.path.join("verdict.json"), "{}").unwrap(),
                "verdict.json was added in the race's records",
            ),
            (
                "a file planted in another lane's folder",
                |d| {
                    std::fs::create_dir_all(d.lane_dir("b").join("reviews")).unwrap();
                    std::fs::write(d.lane_dir("b").join("reviews/x.json"), "{}").unwrap();
                },
                "lanes/b/reviews/x.json was added in the race's records",
            ),
            (
                "a link planted in a lane's folder",
                |d| std::os::unix::fs::symlink("/etc/passwd", d.lane_dir("a").join("diff2.patch")).unwrap(),
                "lanes/a/diff2.patch was added in the race's records",
            ),
            (
                "an agent home for a lane the race does not have",
                |d| {
                    std::fs::create_dir_all(d.agent_home("c")).unwrap();
                    std::fs::write(d.agent_home("c").join("x"), "x").unwrap();
                },
                "lanes/c/agent-home/x was added in the race's records",
            ),
        ];
        for (what, tamper, phrase) in cases {
            let (_tmp, dir, seal) = race();
            tamper(&dir);
            assert_eq!(verify(&dir, &seal), [phrase.to_string()], "{what}");
        }
    }

    #[test]
    fn where_a_lane_may_write_is_not_reported() {
        let (_tmp, dir, seal) = race();
        let log = dir.lane_dir("a").join("checks/01-test.log");
        seal.open_log(&log);
        std::fs::create_dir_all(log.parent().unwrap()).unwrap();
        std::fs::write(&log, "ok\n").unwrap();
        std::fs::create_dir_all(dir.agent_home("a").join(".cache")).unwrap();
        std::fs::write(dir.agent_home("a").join(".cache/session"), "x").unwrap();
        std::fs::write(dir.agent_home("b").join(".bashrc"), "x").unwrap();
        std::fs::write(dir.merge_intent(), "new old main\n").unwrap();
        let _lock = dir.lock().unwrap();
        assert_eq!(verify(&dir, &seal), Vec::<String>::new());
        // A log is open by its exact name, not by its folder or its suffix.
        std::fs::write(dir.lane_dir("a").join("checks/02-other.log"), "forged\n").unwrap();
        assert_eq!(
            verify(&dir, &seal),
            ["lanes/a/checks/02-other.log was added in the race's records"]
        );
    }

    #[test]
    fn many_differences_are_capped() {
        let (_tmp, dir, seal) = race();
        for i in 0..8 {
            std::fs::write(dir.path.join(format!("planted-{i}")), "x").unwrap();
        }
        let phrases = verify(&dir, &seal);
        assert_eq!(phrases.len(), SHOWN + 1, "{phrases:?}");
        assert_eq!(phrases[SHOWN], "and 3 more in the race's records");
    }

    #[test]
    fn a_resumed_race_is_sealed_as_found_and_goes_on_sealing() {
        let (_tmp, dir, seal) = race();
        // A crashed run left a file bakeoff never sealed, and a torn journal line.
        std::fs::write(dir.path.join("leaderboard.json.tmp"), "{").unwrap();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.events())
            .unwrap();
        std::io::Write::write_all(&mut f, b"{\"v\":1,\"at_").unwrap();
        assert_eq!(verify(&dir, &seal).len(), 2);
        let found = SharedSeal::new(Seal::found(&dir, ["a", "b"]).unwrap());
        assert_eq!(verify(&dir, &found), Vec::<String>::new());
        found.write(&dir.leaderboard(), b"{}\n").unwrap();
        assert_eq!(verify(&dir, &found), Vec::<String>::new());
        std::fs::write(dir.spec_file(), "another spec\n").unwrap();
        assert_eq!(
            verify(&dir, &found),
            ["spec.md was changed in the race's records"]
        );
    }
}
