//! `bakeoff diff [RACE] LANE [LANE2]`: a lane's diff against the base, or the difference
//! between two lanes' results; the race is `last` unless named.

use std::path::Path;

use bakeoff_core::error::{exit, Error};
use bakeoff_core::git::{self, Repo};
use bakeoff_core::journal::{RaceSummary, Store};

/// Which race and lanes `args` (one to three words) name. Two words are a race and a
/// lane when the first names a race that has the second as a lane, else two lanes of the
/// last race.
fn read_args<'a>(store: &Store, args: &'a [String]) -> Result<(&'a str, &'a str, Option<&'a str>), Error> {
    match args {
        [lane] => Ok(("last", lane, None)),
        [first, second] => {
            let is_race_and_lane = match store.resolve(first) {
                Ok(dir) => dir.record().is_ok_and(|record| record.lane(second).is_some()),
                // A prefix of several races names a race, just not one race.
                Err(e @ bakeoff_core::journal::JournalError::Ambiguous { .. }) => return Err(e.into()),
                Err(_) => false,
            };
            Ok(match is_race_and_lane {
                true => (first, second, None),
                false => ("last", first, Some(second)),
            })
        }
        [race, lane, lane2] => Ok((race, lane, Some(lane2))),
        _ => Err(Error::input_with_hint(
            "diff takes [RACE] LANE [LANE2]",
            "e.g. `bakeoff diff tidy`, `bakeoff diff last tidy quick`",
        )),
    }
}

pub fn diff(cwd: &Path, args: &[String]) -> Result<u8, Error> {
    let repo = Repo::discover(cwd)?;
    let store = Store::new(repo.common_dir());
    let (race, lane, lane2) = read_args(&store, args)?;
    let dir = store.resolve(race)?;
    let record = dir.record()?;
    let summary = RaceSummary::from_events(&dir.events_list()?);
    let commit_of = |name: &str| -> Result<String, Error> {
        if record.lane(name).is_none() {
            let names: Vec<_> = record.lanes.iter().map(|l| l.name.as_str()).collect();
            return Err(Error::input(format!(
                "race {} has no lane '{name}' (lanes: {})",
                record.id,
                names.join(", ")
            )));
        }
        summary.commit(name).map(str::to_string).ok_or_else(|| {
            Error::input(format!(
                "lane '{name}' of race {} has no captured work (cancelled or failed)",
                record.id
            ))
        })
    };
    let from = commit_of(lane)?;
    let patch = match lane2 {
        None => git::diff_patch(repo.workdir(), &record.base, &from)?,
        Some(other) => git::diff_patch(repo.workdir(), &from, &commit_of(other)?)?,
    };
    print!("{}", colorize(&patch, super::color_on_stdout()));
    Ok(exit::OK)
}

fn colorize(patch: &str, color: bool) -> String {
    if !color {
        return patch.to_string();
    }
    let mut out = String::with_capacity(patch.len() + patch.len() / 8);
    for line in patch.lines() {
        let code = if line.starts_with("+++") || line.starts_with("---") || line.starts_with("diff ") {
            "\x1b[1m"
        } else if line.starts_with('+') {
            "\x1b[32m"
        } else if line.starts_with('-') {
            "\x1b[31m"
        } else if line.starts_with("@@") {
            "\x1b[36m"
        } else {
            ""
        };
        if code.is_empty() {
            out.push_str(line);
        } else {
            out.push_str(code);
            out.push_str(line);
            out.push_str("\x1b[0m");
        }
        out.push('\n');
    }
    out
}
