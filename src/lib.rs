//! bakeoff races coding agents against each other on the same task, each in its own git
//! worktree, runs the checks in every lane, ranks the candidates with rules a person can
//! read, and merges the winner.

pub mod agent;
pub mod cli;
pub mod config;
pub mod demo;
pub mod doctor;
pub mod error;
pub mod fake_provider;
pub mod git;
pub mod journal;
pub mod lab;
pub mod merge;
pub mod price;
pub mod process;
pub mod provider;
pub mod race;
pub mod rank;
pub mod report;
pub mod review;
pub mod reviewer;
pub mod scripted_agent;
pub mod ui;
