//! `bakeoff diff RACE LANE [LANE2]`: a lane's diff against the base, or the difference
//! between two lanes' results.

use std::path::Path;

use bakeoff_core::error::{exit, Error};
use bakeoff_core::git::{self, Repo};
use bakeoff_core::journal::{RaceSummary, Store};

pub fn diff(cwd: &Path, race: &str, lane: &str, lane2: Option<&str>) -> Result<u8, Error> {
    let repo = Repo::discover(cwd)?;
    let dir = Store::new(repo.common_dir()).resolve(race)?;
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
