//! `bakeoff merge`: merge a lane of a finished race into the branch it began on.

use std::path::Path;

use bakeoff_core::error::{exit, Error};
use bakeoff_core::git::Repo;
use bakeoff_core::journal::{EventLog, RaceSummary, Store};
use bakeoff_core::merge::{self, MergeMode, Merged};
use bakeoff_core::rank::Leaderboard;
use bakeoff_core::vocab::{RaceEvent, Stamped, EVENT_FORMAT};

/// What `bakeoff merge` was asked, besides the race.
pub struct MergeArgs<'a> {
    /// The lane to merge instead of the winner (its gates are not asked for).
    pub lane: Option<&'a str>,
    pub strategy: Option<MergeMode>,
    /// `--allow-unreviewed`: merge without a successful cross-lab review.
    pub allow_unreviewed: bool,
}

pub fn merge(cwd: &Path, race: &str, args: MergeArgs<'_>, config: Option<&Path>) -> Result<u8, Error> {
    let MergeArgs {
        lane,
        strategy,
        allow_unreviewed,
    } = args;
    let repo = Repo::discover(cwd)?;
    let dir = Store::new(repo.common_dir()).resolve(race)?;
    let record = dir.record()?;
    let summary = RaceSummary::from_events(&dir.events_list()?);
    let board: Leaderboard = dir.read_json(&dir.leaderboard()).map_err(|_| {
        Error::input_with_hint(
            format!("race {} has not been ranked (it did not finish)", record.id),
            "let it finish, or inspect it with `bakeoff show`",
        )
    })?;
    let lane_name = match lane {
        Some(l) => l.to_string(),
        None => board.winner.clone().ok_or_else(|| {
            Error::input_with_hint(
                format!("race {} has no passing lane to merge", record.id),
                "see why with `bakeoff show`; to merge a lane anyway, name it with --lane NAME",
            )
        })?,
    };
    let lane_record = record.lane(&lane_name).ok_or_else(|| {
        let names: Vec<_> = record.lanes.iter().map(|l| l.name.as_str()).collect();
        Error::input(format!(
            "race {} has no lane '{lane_name}' (lanes: {})",
            record.id,
            names.join(", ")
        ))
    })?;
    let row = board.rows.iter().find(|r| r.lane == lane_name).ok_or_else(|| {
        Error::input(format!(
            "lane '{lane_name}' is not on the leaderboard of race {}",
            record.id
        ))
    })?;
    let commit = summary.commit(&lane_name).ok_or_else(|| {
        Error::input_with_hint(
            format!("lane '{lane_name}' of race {} has no captured work", record.id),
            "it was cancelled or failed before its agent finished; pick another lane with --lane",
        )
    })?;
    // Merging it again would only add an empty commit (or conflict with itself).
    if let Some((target, commit)) = summary.merged(&lane_name) {
        println!(
            "lane {lane_name} of race {} was merged already, into {target} as {}; nothing to do",
            record.id,
            &commit[..12.min(commit.len())]
        );
        return Ok(exit::OK);
    }
    let reviews = summary
        .lanes
        .get(&lane_name)
        .map(|s| s.reviews.as_slice())
        .unwrap_or_default();
    let mut log = EventLog::open(&dir.events())?;
    if let Some(refusal) = merge::review_refusal(&record, lane_record, reviews, allow_unreviewed) {
        log.append(&stamp(RaceEvent::MergeRefused {
            lane: lane_name.clone(),
            reason: refusal.reason.clone(),
        }))?;
        return Err(refusal.into_error());
    }
    let mode = match strategy {
        Some(s) => s,
        None => bakeoff_core::config::load(Some(repo.workdir()), config)?.merge,
    };
    let merged = merge::merge_lane(repo.workdir(), &record, lane_record, row, reviews, commit, mode)?;
    log.append(&stamp(bakeoff_core::race::merged_event(
        &lane_name, mode, &merged,
    )))?;
    // `list` says the race was merged. A cache: if this fails, `list` reads the race.
    let _ = dir.store().index().note(&dir);
    // The race's page shows the merge too; best effort, as when the race wrote it.
    if bakeoff_core::report::html_path(&dir).exists() {
        let env: Vec<(String, String)> = std::env::vars().collect();
        let known =
            bakeoff_core::review::secrets::known_values(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let _ = bakeoff_core::report::write_html(&dir, &known);
    }
    match merged {
        Merged::Committed {
            commit,
            target,
            three_way,
            ..
        } => {
            let how = if three_way {
                " (three-way: the branch had moved)"
            } else {
                ""
            };
            println!(
                "merged lane {lane_name} of race {} into {target} as {}{how}",
                record.id,
                &commit[..12.min(commit.len())]
            );
        }
        Merged::Branch { branch } => println!("{}", merge::branch_instructions(&branch)),
    }
    Ok(exit::OK)
}

/// An event `bakeoff merge` appends to the race's journal, stamped now.
fn stamp(event: RaceEvent) -> Stamped {
    Stamped {
        v: EVENT_FORMAT,
        at_ms: chrono::Utc::now().timestamp_millis().max(0) as u64,
        event,
    }
}
