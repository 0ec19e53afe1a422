//! What the shell completes as values, read at completion time: race ids (newest first,
//! with their titles), the lanes of the last race, and agent names (the `[agents]` tables
//! of the config, then `adapter:` for every adapter). Completion must never fail or
//! print: anything that cannot be read completes to nothing.

use std::path::PathBuf;

use clap_complete::engine::CompletionCandidate;

use bakeoff_core::agent::AdapterKind;
use bakeoff_core::git::Repo;
use bakeoff_core::journal::{Listed, Store};

fn repo() -> Option<Repo> {
    Repo::discover(&std::env::current_dir().ok()?).ok()
}

fn store() -> Option<Store> {
    Some(Store::new(repo()?.common_dir()))
}

/// `last`, then every recorded race, newest first, each with its title as help.
pub fn races() -> Vec<CompletionCandidate> {
    let listed = store().and_then(|s| s.listings().ok()).unwrap_or_default();
    race_candidates(&listed)
}

fn race_candidates(listed: &[Listed]) -> Vec<CompletionCandidate> {
    let mut out = vec![CompletionCandidate::new("last").help(Some("the newest race".into()))];
    out.extend(listed.iter().rev().filter_map(|race| match race {
        Listed::Race(r) => Some(CompletionCandidate::new(r.id.clone()).help(Some(r.title.clone().into()))),
        Listed::Unreadable(_) => None,
    }));
    out
}

/// The lanes of the last race, each with its agent as help.
pub fn lanes() -> Vec<CompletionCandidate> {
    let Some(store) = store() else { return Vec::new() };
    let last = store.resolve("last").ok().map(|dir| dir.id);
    lanes_of(&store, last.as_deref())
}

fn lanes_of(store: &Store, race: Option<&str>) -> Vec<CompletionCandidate> {
    let record = race.and_then(|id| store.dir(id).record().ok());
    record
        .map(|r| {
            r.lanes
                .into_iter()
                .map(|lane| CompletionCandidate::new(lane.name).help(Some(lane.agent.into())))
                .collect()
        })
        .unwrap_or_default()
}

/// `diff [RACE] LANE [LANE2]`: a lane of the last race or a race. The races are listed
/// once; the last of them is the race whose lanes are offered (resolving `last` would
/// read the index a second time).
pub fn races_and_lanes() -> Vec<CompletionCandidate> {
    let Some(store) = store() else { return Vec::new() };
    let listed = store.listings().unwrap_or_default();
    let last = listed.iter().rev().find_map(|race| match race {
        Listed::Race(r) => Some(r.id.as_str()),
        Listed::Unreadable(_) => None,
    });
    let mut out = lanes_of(&store, last);
    out.extend(race_candidates(&listed));
    out
}

/// The `[agents.NAME]` tables of the config in effect here, then `adapter:` for each
/// adapter, to be followed by a model.
pub fn agents() -> Vec<CompletionCandidate> {
    let top: Option<PathBuf> = repo().map(|r| r.workdir().to_path_buf());
    let config = bakeoff_core::config::load(top.as_deref(), None).ok();
    let mut out: Vec<CompletionCandidate> = config
        .map(|c| {
            c.agents
                .iter()
                .map(|(name, spec)| {
                    CompletionCandidate::new(name.clone())
                        .help(Some(format!("{}:{}", spec.adapter, spec.model).into()))
                })
                .collect()
        })
        .unwrap_or_default();
    out.extend(AdapterKind::ALL.into_iter().map(|kind| {
        CompletionCandidate::new(format!("{}:", kind.as_str())).help(Some("then a model".into()))
    }));
    out
}
