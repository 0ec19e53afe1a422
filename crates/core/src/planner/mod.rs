//! `bakeoff plan`: a model reads the task and a bounded view of the repository (never
//! its holdout files) and writes the delegation brief every lane receives — goal,
//! inputs, output, constraints and acceptance checks — with each check that can be a
//! command run once on the base commit, where it should fail. `bakeoff race
//! --plan-with` plans first and races on the brief.

mod brief;
mod context;
mod on_base;
mod prompt;
mod run;

pub use brief::{parse_brief, Acceptance, BaseResult, Brief};
pub use context::{
    named_paths, Excerpt, Hidden, RepoView, FILE_BYTES, NAMED_FILES, README_BYTES, TREE_PATHS,
};
pub use on_base::{run_on_base, BaseLimits};
pub use prompt::{plan_request, schema, SYSTEM_PROMPT};
pub use run::{for_race, plan, PlanOptions, Planned};
