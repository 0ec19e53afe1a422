//! `bakeoff resume`: finish a race whose bakeoff died, from its records.

use std::path::Path;

use bakeoff_core::error::{exit, Error};
use bakeoff_core::git::Repo;
use bakeoff_core::journal::Store;
use bakeoff_core::race::{self, Prepared};

pub async fn resume(cwd: &Path, race: &str, json: bool, config: Option<&Path>) -> Result<u8, Error> {
    let repo = Repo::discover(cwd)?;
    let dir = Store::new(repo.common_dir()).resolve(race)?;
    let resumable = match race::prepare_resume(dir, config)? {
        Prepared::Finished { id } => {
            super::out_line(
                false,
                &format!("race {id} has already finished: nothing to resume (`bakeoff show {id}`)"),
            );
            return Ok(exit::OK);
        }
        Prepared::Ready(r) => r,
    };
    for w in &resumable.plan.warnings {
        eprintln!("warning: {w}");
    }
    if !resumable.killed.is_empty() {
        eprintln!(
            "killed {} agent process group(s) left running by the crash",
            resumable.killed.len()
        );
    }
    if !resumable.marked.is_empty() {
        eprintln!(
            "killed {} process(es) of the race left running by the crash",
            resumable.marked.len()
        );
    }
    let (kept, rerun) = resumable.lanes();
    eprintln!(
        "resuming race {}: keeping {}; running again {}",
        resumable.plan.record.id,
        names(&kept),
        names(&rerun)
    );
    let outcome = race::resume(
        *resumable,
        super::race::reporters(json),
        super::race::interrupts(),
    )
    .await?;
    super::race::print_ending(&outcome, json)
}

/// `bakeoff synthesize`: the synthesis lane added to a finished race, which then goes on
/// as a resumed race does.
pub async fn synthesize(
    cwd: &Path,
    race: &str,
    opts: &race::SynthesizeOptions,
    json: bool,
    config: Option<&Path>,
) -> Result<u8, Error> {
    let repo = Repo::discover(cwd)?;
    let dir = Store::new(repo.common_dir()).resolve(race)?;
    let resumable = race::prepare_synthesis(dir, opts, config)?;
    for w in &resumable.plan.warnings {
        eprintln!("warning: {w}");
    }
    eprintln!(
        "race {}: {} synthesises a new lane from its finalists",
        resumable.plan.record.id, opts.model
    );
    let outcome = race::resume(
        *resumable,
        super::race::reporters(json),
        super::race::interrupts(),
    )
    .await?;
    super::race::print_ending(&outcome, json)
}

fn names(lanes: &[String]) -> String {
    match lanes.is_empty() {
        true => "no lane".to_string(),
        false => lanes.join(", "),
    }
}
