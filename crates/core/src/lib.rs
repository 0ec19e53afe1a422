//! The race core of bakeoff: it races coding agents against each other on the same task,
//! each in its own git worktree, runs the checks in every lane, has every diff reviewed by
//! a model of another lab, ranks the candidates with rules a person can read, and merges
//! the winner.
//!
//! The library never prints, draws or handles signals: it reports through
//! [`vocab::Reporter`] and takes interrupts as messages. The `bakeoff` executable is the
//! front end that does those things.

pub mod agent;
pub mod bench;
pub mod builtin_agent;
pub mod config;
pub mod doctor;
pub mod error;
pub mod git;
pub mod grade;
pub mod journal;
pub mod lab;
pub mod markup;
pub mod merge;
pub mod planner;
pub mod price;
pub mod process;
pub mod provider;
pub mod race;
pub mod rank;
pub mod report;
pub mod review;
pub mod sandbox;
pub mod secret;
pub mod units;
pub mod vocab;
