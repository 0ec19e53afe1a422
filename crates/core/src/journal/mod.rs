//! Records of races under `<git common dir>/bakeoff/races/<race-id>/`: the race
//! description (`race.json`), the append-only event journal (`events.jsonl`), per-lane
//! logs and patches, and the leaderboard; the seal over them (what bakeoff wrote
//! there, checked after each agent); and the index of ended races beside them, which
//! `list` reads instead of every journal. They outlive worktrees and the process, so
//! `list`, `show`, `diff`, `merge` and `clean` work later, after a crash too.

mod events;
mod index;
mod record;
mod seal;
mod store;
mod summary;

use std::path::PathBuf;

pub use events::{parse_events, read_events, EventLog, JournalReporter};
pub use index::{RaceIndex, RaceListing, RaceStatus, INDEX_FORMAT};
pub use record::redact;
pub use record::{LaneRecord, RaceRecord, SynthesisRecord, RACE_FORMAT};
pub use seal::{Seal, SharedSeal};
pub use store::{Listed, RaceDir, RaceLock, Store};
pub use summary::{Comparison, EarlierRound, LaneSummary, RaceSummary};

/// A record that cannot be written or read.
#[derive(Clone, Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot write {path}: {message}")]
    Write { path: PathBuf, message: String },
    #[error("cannot read {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("no race '{name}' in {root} (see `bakeoff list`)")]
    NoSuchRace { name: String, root: PathBuf },
    #[error("race name '{name}' is ambiguous: it begins {} (give more of the id)", candidates.join(", "))]
    Ambiguous { name: String, candidates: Vec<String> },
    #[error("no races recorded yet in {root} (start one with `bakeoff race`)")]
    NoRaces { root: PathBuf },
    #[error("race {id} is still running in another bakeoff (it holds {path})")]
    Running { id: String, path: PathBuf },
    #[error("race record {path} has format {found}, this bakeoff reads format {supported} (use a matching bakeoff version)")]
    Format {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
}

impl JournalError {
    fn write(path: &std::path::Path, e: impl std::fmt::Display) -> JournalError {
        JournalError::Write {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }

    fn read(path: &std::path::Path, e: impl std::fmt::Display) -> JournalError {
        JournalError::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }
}
