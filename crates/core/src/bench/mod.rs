//! `bakeoff bench`: agents benchmarked on real repositories. A suite of tasks × agents ×
//! repeats runs as one-lane races of the race machinery (`runner`), journaled trial by
//! trial (`journal`) so it resumes and shards (`trial`); `report` turns the trials into
//! statistics (`stats`) and pages (`html`); `export` writes what runs the shards on Kubernetes or
//! GitHub Actions.

pub mod export;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod html;
pub mod journal;
pub mod report;
pub mod repos;
pub mod runner;
pub mod stats;
pub mod suite;
pub mod trial;
