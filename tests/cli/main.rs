//! Integration tests: the real `bakeoff` executable in a hermetic environment.

mod support;

mod adapters;
mod bad_input;
mod builtin;
mod capture;
mod demo;
mod fake_agent;
mod faults;
mod merge;
mod race;
mod real_clis;
mod records;
mod review;
