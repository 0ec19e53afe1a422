//! A race: lanes × one spec × one base commit, run by one coordinator.

pub mod event;
