//! Integration tests: the real `bakeoff` executable in a hermetic environment.

mod support;
mod witness;

mod adapters;
mod agents;
mod bad_input;
mod bench;
mod boundary;
mod builtin;
mod capture;
mod coexist;
mod demo;
mod doctor;
mod early_stop;
mod fake_agent;
mod faults;
mod fix_rounds;
mod grading;
mod merge;
mod merge_crash;
mod processes;
mod provenance;
mod race;
mod real_clis;
mod real_code;
mod records;
mod records_guard;
mod records_index;
mod replay;
mod report;
mod resources;
mod resume;
mod review;
mod sandbox;
mod terminal;
mod unreviewed;
