//! `bakeoff synthesize RACE --with MODEL`: a synthesis lane added to a race that has
//! finished. The race's record gains the lane (as `race --synthesize` would have made
//! it), and the race goes on as a resumed one: its lanes keep their results, the
//! synthesis lane runs on the standings they made — captured, checked, reviewed by a lab
//! other than the synthesiser's — and the race is ranked again. Nothing is merged: the
//! winner, whichever it is, is merged with `bakeoff merge`.

use std::path::Path;

use crate::config;
use crate::error::Error;
use crate::journal::{LaneRecord, RaceDir, RaceSummary};
use crate::review::pool as reviewers;

use super::options::RaceOptions;
use super::plan;
use super::resume::{self, Resumable};
use super::synthesis;

/// What `bakeoff synthesize` asks.
#[derive(Clone, Debug, Default)]
pub struct SynthesizeOptions {
    /// The synthesiser, `provider/model`.
    pub model: String,
    /// The lanes to combine, best first (default: the top two of the standings).
    pub lanes: Vec<String>,
    pub allow_same_lab: bool,
}

/// Checks the race and the synthesiser, adds the synthesis lane to the race's record, and
/// returns the race ready to go on. Refused (exit 2, the record unchanged) for a race
/// that has not finished, one synthesised already, or a synthesiser of an author's lab.
pub fn prepare(
    dir: RaceDir,
    opts: &SynthesizeOptions,
    config_file: Option<&Path>,
) -> Result<Box<Resumable>, Error> {
    let mut record = dir.record()?;
    let lock = dir.lock()?;
    let events = dir.events_list()?;
    let summary = RaceSummary::from_events(&events);
    if !summary.finished || summary.interrupted {
        return Err(Error::input_with_hint(
            format!(
                "race {} has not finished, so it has no standings to synthesise from",
                record.id
            ),
            format!("finish it first: bakeoff resume {}", record.id),
        ));
    }
    let name = synthesis::LANE;
    if record.lane(name).is_some() {
        return Err(Error::input_with_hint(
            format!("race {} already has a {name} lane", record.id),
            format!("see it with: bakeoff show {}", record.id),
        ));
    }
    let config = config::load(Some(&record.repo), config_file)?;
    let mut lanes: Vec<plan::Lane> = record
        .lanes
        .iter()
        .map(|l| (l.name.clone(), l.agent.clone(), l.spec.clone(), l.tier))
        .collect();
    let asked = RaceOptions {
        synthesize: Some(opts.model.clone()),
        synthesize_lanes: opts.lanes.clone(),
        allow_same_lab: opts.allow_same_lab || record.allow_same_lab,
        ..RaceOptions::default()
    };
    let Some(mut asked_synthesis) =
        plan::synthesis_lane_as(&config, &asked, &mut lanes, ("--with", "--lanes"))?
    else {
        return Err(Error::internal("the synthesis lane was not made"));
    };
    let Some((_, agent, mut spec, _)) = lanes.pop() else {
        return Err(Error::internal("the synthesis lane was not made"));
    };
    plan::builtin_agent(&config, name, &mut spec)?;
    // Its reviewers, from the pool the race had, each of a lab other than its own.
    let allow_same_lab = asked.allow_same_lab || config.review.allow_same_lab;
    let assigned = match resume::review_plan(&config, &record)? {
        Some(review) => {
            let per_lane = record
                .lanes
                .iter()
                .map(|l| l.reviewers.len())
                .max()
                .unwrap_or(1)
                .max(1);
            let per_lane = reviewers::per_lane(per_lane, review.reviewers.len())?;
            reviewers::assign(
                &review.reviewers,
                plan::author_lab(&config, &spec).as_deref(),
                per_lane,
                allow_same_lab,
            )
            .map_err(|e| e.context(&format!("lane {name}")))?
        }
        None => reviewers::LaneReviewers {
            author_lab: plan::author_lab(&config, &spec),
            ..Default::default()
        },
    };
    asked_synthesis.lanes = opts.lanes.clone();
    let (branch, worktree, worktree_name) = plan::lane_names(&record.id, &record.worktree_root, name);
    let index = record.lanes.len() as u16;
    record.lanes.push(LaneRecord {
        name: name.to_string(),
        agent,
        spec,
        branch,
        worktree,
        worktree_name,
        port: config
            .port_base
            .saturating_add(index.saturating_mul(config.ports_per_lane)),
        author_lab: assigned.author_lab,
        reviewers: assigned.reviewers,
        same_lab: assigned.same_lab,
        tier: record.lanes.iter().map(|l| l.tier).max().unwrap_or(0) + 1,
        synthesis: Some(asked_synthesis),
    });
    // A new phase of the race: what it merged stays merged, and an approved lane does
    // not stop the synthesis from running.
    record.merge = None;
    record.until_first_approved = false;
    super::resources::ensure_open_files(record.lanes.len())?;
    let plan = resume::replan(dir, record, config_file)?;
    dir_write_record(&plan)?;
    let kept = plan.record.lanes.iter().map(|l| l.name != name).collect();
    Ok(Box::new(Resumable {
        plan,
        lock,
        killed: Vec::new(),
        marked: Vec::new(),
        kept,
        events,
    }))
}

/// `race.json` with the synthesis lane, written only once everything was checked.
fn dir_write_record(plan: &plan::RacePlan) -> Result<(), Error> {
    plan.dir.write_json(&plan.dir.race_json(), &plan.record)?;
    Ok(())
}
