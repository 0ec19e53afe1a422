//! Ranking: a pure function from lane results to an ordered, explained leaderboard.
//!
//! Nothing here does I/O. The race coordinator gathers a [`LaneResult`] per lane (with
//! [`detect_tampering`] run over the lane's diff), calls [`rank`], and journals the
//! [`Leaderboard`] it gets back. The rules are those of DESIGN.md "Ranking": gates, then
//! tier, then (once reviews exist) confirmed blockers, pairwise judging of a close call's
//! finalists ([`crate::review::judge::apply_judging`]) and the review — verdict, then a
//! leniency-corrected score where the difference counts ([`review_signal`],
//! `review_order`) — then cost, diff size, time and lane name. Without reviews the order is that of
//! version 1. Every row says in one line what decided its place.

mod assess;
mod board;
mod order;
mod reason;
mod review_order;
mod signal;
mod tamper;

pub use crate::vocab::{
    ConfirmedBlocker, JudgeSignal, LaneResult, Leaderboard, Provenance, ReviewMark, ReviewSignal, Row, Tier,
    LEADERBOARD_FORMAT,
};
pub use crate::vocab::{Tamper, TamperKind};
pub use board::rank;
pub use signal::review_signal;
pub use tamper::{detect_tampering, is_test_path, FileDelta};

#[cfg(test)]
mod tests;
