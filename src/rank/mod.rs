//! Ranking: a pure function from lane results to an ordered, explained leaderboard.
//!
//! Nothing here does I/O. The race coordinator gathers a [`LaneResult`] per lane (with
//! [`detect_tampering`] run over the lane's diff), calls [`rank`], and journals the
//! [`Leaderboard`] it gets back. The rules are those of DESIGN.md "Ranking", version 1:
//! gates, then tier, then (once reviews exist) review signals, then cost, diff size,
//! time and lane name. Every row says in one line what decided its place.

mod assess;
mod board;
pub(crate) mod fmt;
mod order;
mod reason;
mod tamper;

pub use board::{LaneResult, Leaderboard, ReviewSignal, Row, Tier, LEADERBOARD_FORMAT};
pub use order::rank;
pub use tamper::{detect_tampering, is_test_path, FileDelta, Tamper, TamperKind};

#[cfg(test)]
mod tests;
