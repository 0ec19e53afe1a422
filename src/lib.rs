//! The `bakeoff` command line over the race core (`bakeoff-core`): arguments, commands,
//! exit codes, the terminal reporters and signals.

pub mod cli;
pub mod ui;
