//! A race: lanes × one spec × one base commit. `plan` checks everything before anything
//! is created; `coordinator` runs the lanes (`lane`) and ranks and merges at the end;
//! `resume` takes up a race whose bakeoff died.

mod coordinator;
mod delta;
mod fix;
mod holdout;
mod lane;
mod options;
mod plan;
mod resources;
mod resume;
mod standings;
pub mod synthesis;
mod synthesize;

pub use coordinator::{merged_event, run, RaceOutcome};
pub use options::RaceOptions;
pub use plan::{default_worktree_root, preflight, RacePlan};
pub use resources::is_resource_failure;
pub use resume::{prepare as prepare_resume, resume, Prepared, Resumable};
pub use standings::{judge_outcomes, lane_results, standings, Standings};
pub use synthesize::{prepare as prepare_synthesis, SynthesizeOptions};
