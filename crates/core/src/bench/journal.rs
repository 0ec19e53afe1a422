//! A bench's results folder: `bench.json` (what was asked: the suite, its fingerprint,
//! the shard) written once, and `trials.jsonl`, one line per finished trial, appended and
//! flushed as each trial ends. `--resume` and `bench merge` read them back; a torn last
//! line (a crash mid-write) is dropped, never misread.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::suite::Suite;
use super::trial::{Shard, TrialKey};
use crate::error::Error;

/// `bench.json`'s format.
pub const BENCH_FORMAT: u32 = 1;

/// `bench.json`: the resolved suite and the slice of it this folder holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchRecord {
    pub format: u32,
    /// SHA-256 of the resolved suite: shards of one suite share it, a changed suite does
    /// not.
    pub fingerprint: String,
    pub shard: Shard,
    pub suite: Suite,
}

impl BenchRecord {
    pub fn new(suite: Suite, shard: Shard) -> Result<BenchRecord, Error> {
        Ok(BenchRecord {
            format: BENCH_FORMAT,
            fingerprint: fingerprint(&suite)?,
            shard,
            suite,
        })
    }
}

/// The resolved suite's hash, over its JSON. A suite JSON cannot hold (a path that is
/// not UTF-8) cannot be recorded either, so it is refused here, before anything runs.
pub fn fingerprint(suite: &Suite) -> Result<String, Error> {
    let json = serde_json::to_vec(suite).map_err(|e| {
        Error::input_with_hint(
            format!("the suite cannot be recorded: {e}"),
            "give the suite's repositories and holdout folders paths that are valid UTF-8",
        )
    })?;
    Ok(Sha256::digest(&json).iter().map(|b| format!("{b:02x}")).collect())
}

/// How one trial ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrialStatus {
    /// Every gate and check passed (tier FULL): the task is solved.
    Resolved,
    /// The trial ran to its end and did not solve the task.
    Unresolved,
    /// bakeoff could not run the trial (a resource ran out, the set-up failed): it says
    /// nothing of the agent, is left out of the statistics, and `--resume` runs it again.
    Error,
}

/// One finished trial, as `trials.jsonl` keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrialResult {
    #[serde(flatten)]
    pub key: TrialKey,
    pub status: TrialStatus,
    /// FULL, PARTIAL or NONE, as the race ranked the lane.
    pub tier: String,
    /// Why the lane was not merged, one phrase per gate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gates_failed: Vec<String>,
    /// The race's reason line for the lane.
    pub reason: String,
    pub checks_passed: usize,
    pub checks_total: usize,
    /// `None` when the agent reported no cost: never read as zero.
    pub cost_usd: Option<f64>,
    /// The lane's time, from set-up to its last check.
    pub elapsed_ms: u64,
    /// The agent's own run time.
    pub agent_ms: u64,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub turns: Option<u64>,
    /// The reviewers' median score (0..100) when the trial was reviewed.
    pub review_score: Option<f64>,
    pub diff_lines: usize,
    /// The trial's race and where its records are.
    pub race: String,
    pub records: PathBuf,
    /// What went wrong, for an [`TrialStatus::Error`] trial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A results folder.
#[derive(Clone, Debug)]
pub struct BenchDir {
    root: PathBuf,
}

impl BenchDir {
    pub fn new(root: impl Into<PathBuf>) -> BenchDir {
        BenchDir { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn record_path(&self) -> PathBuf {
        self.root.join("bench.json")
    }

    pub fn trials_path(&self) -> PathBuf {
        self.root.join("trials.jsonl")
    }

    /// Where the trials' repositories are cloned.
    pub fn repos(&self) -> PathBuf {
        self.root.join("repos")
    }

    /// Where holdout folders made from test patches go.
    pub fn holdouts(&self) -> PathBuf {
        self.root.join("holdouts")
    }

    /// Starts a folder for `record`, or takes up the one there with `resume`. A folder
    /// that already holds results is never started over: that would pay for them twice.
    pub fn open(&self, record: &BenchRecord, resume: bool) -> Result<(), Error> {
        let existing = self.read_record_if_any()?;
        match (existing, resume) {
            (None, _) => {
                std::fs::create_dir_all(&self.root)
                    .map_err(|e| Error::io("create the results folder", &self.root, e))?;
                let json = serde_json::to_vec_pretty(record).map_err(|e| Error::input(e.to_string()))?;
                write_new(&self.record_path(), &json)
            }
            (Some(old), true) => {
                if old.fingerprint != record.fingerprint || old.shard != record.shard {
                    return Err(Error::input_with_hint(
                        format!(
                            "{} holds shard {} of a suite with fingerprint {}, not shard {} of this one ({})",
                            self.root.display(),
                            old.shard,
                            &old.fingerprint[..12.min(old.fingerprint.len())],
                            record.shard,
                            &record.fingerprint[..12.min(record.fingerprint.len())]
                        ),
                        "resume with the same suite file, agents, repeats and shard, or give a new --out",
                    ));
                }
                // The run before may have died mid-line: the next line must start afresh.
                self.close_torn_line()
            }
            (Some(_), false) => Err(Error::input_with_hint(
                format!("{} already holds a bench's results", self.root.display()),
                "add --resume to run only the trials that did not finish, or give another --out",
            )),
        }
    }

    fn read_record_if_any(&self) -> Result<Option<BenchRecord>, Error> {
        match std::fs::read(self.record_path()) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                Error::input_with_hint(
                    format!("{} is not a bench record: {e}", self.record_path().display()),
                    "point --out (or `bench merge`) at a folder `bakeoff bench` wrote",
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("read the bench record", &self.record_path(), e)),
        }
    }

    /// `bench.json`, which must be there.
    pub fn record(&self) -> Result<BenchRecord, Error> {
        self.read_record_if_any()?.ok_or_else(|| {
            Error::input_with_hint(
                format!("{} has no bench.json", self.root.display()),
                "point `bench merge` at folders `bakeoff bench --out` wrote",
            )
        })
    }

    /// The finished trials, one per key (the last line wins). A torn or unreadable
    /// line is skipped: its trial did not finish.
    pub fn results(&self) -> Result<BTreeMap<TrialKey, TrialResult>, Error> {
        let text = match std::fs::read_to_string(self.trials_path()) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(Error::io("read the trials journal", &self.trials_path(), e)),
        };
        let mut out = BTreeMap::new();
        for line in text.lines() {
            if let Ok(result) = serde_json::from_str::<TrialResult>(line) {
                out.insert(result.key.clone(), result);
            }
        }
        Ok(out)
    }

    /// Appends one finished trial and flushes it to the disk before returning, so a
    /// crash right after never loses a trial that was paid for.
    pub fn append(&self, result: &TrialResult) -> Result<(), Error> {
        let path = self.trials_path();
        let mut line = serde_json::to_vec(result)
            .map_err(|e| Error::internal(format!("cannot record trial {}: {e}", result.key.label())))?;
        line.push(b'\n');
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| Error::io("open the trials journal", &path, e))?;
        file.write_all(&line)
            .and_then(|_| file.sync_data())
            .map_err(|e| Error::io("write the trials journal", &path, e))
    }
}

impl BenchDir {
    /// Ends a last line a crash left without its newline, so the next line is not glued
    /// onto it.
    fn close_torn_line(&self) -> Result<(), Error> {
        use std::io::{Read, Seek, SeekFrom};
        let path = &self.trials_path();
        let mut file = match std::fs::OpenOptions::new().append(true).open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::io("open the trials journal", path, e)),
        };
        let len = file
            .metadata()
            .map_err(|e| Error::io("read the trials journal", path, e))?
            .len();
        if len == 0 {
            return Ok(());
        }
        let mut reader =
            std::fs::File::open(path).map_err(|e| Error::io("read the trials journal", path, e))?;
        reader
            .seek(SeekFrom::Start(len - 1))
            .map_err(|e| Error::io("read the trials journal", path, e))?;
        let mut last = [0u8; 1];
        reader
            .read_exact(&mut last)
            .map_err(|e| Error::io("read the trials journal", path, e))?;
        if last[0] != b'\n' {
            file.write_all(b"\n")
                .map_err(|e| Error::io("write the trials journal", path, e))?;
        }
        Ok(())
    }
}

fn write_new(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, bytes)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| Error::io("write the bench record", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::fixtures;

    fn suite() -> Suite {
        fixtures::suite("s", &["t".to_string()], &["a"], 2)
    }

    fn result(repeat: u32, status: TrialStatus) -> TrialResult {
        TrialResult {
            status,
            ..fixtures::result("t", "a", repeat, true, None)
        }
    }

    #[test]
    fn a_folder_is_resumed_only_for_the_same_suite_and_never_started_over() {
        let dir = tempfile::tempdir().unwrap();
        let bench = BenchDir::new(dir.path().join("out"));
        let record = BenchRecord::new(suite(), Shard::ALL).unwrap();
        bench.open(&record, false).unwrap();
        bench.append(&result(0, TrialStatus::Resolved)).unwrap();
        let again = bench.open(&record, false).unwrap_err().to_string();
        assert!(again.contains("already holds"), "{again}");
        bench.open(&record, true).unwrap();
        let mut other = suite();
        other.repeats = 3;
        let changed = bench
            .open(&BenchRecord::new(other, Shard::ALL).unwrap(), true)
            .unwrap_err()
            .to_string();
        assert!(changed.contains("not shard 0/1 of this one"), "{changed}");
        let shard = bench
            .open(
                &BenchRecord::new(suite(), Shard { index: 0, count: 2 }).unwrap(),
                true,
            )
            .unwrap_err()
            .to_string();
        assert!(shard.contains("not shard 0/2"), "{shard}");
    }

    #[test]
    fn a_torn_last_line_is_dropped_and_closed_before_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let bench = BenchDir::new(dir.path());
        bench
            .open(&BenchRecord::new(suite(), Shard::ALL).unwrap(), false)
            .unwrap();
        bench.append(&result(0, TrialStatus::Resolved)).unwrap();
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(bench.trials_path())
            .unwrap();
        file.write_all(br#"{"task":"t","agent":"a","repeat":1,"sta"#)
            .unwrap();
        assert_eq!(bench.results().unwrap().len(), 1);
        // As after a crash: the next run takes the folder up, then appends.
        bench
            .open(&BenchRecord::new(suite(), Shard::ALL).unwrap(), true)
            .unwrap();
        bench.append(&result(1, TrialStatus::Unresolved)).unwrap();
        let results = bench.results().unwrap();
        assert_eq!(results.len(), 2);
        assert_eq!(results.values().nth(1).unwrap().status, TrialStatus::Unresolved);
    }
}
