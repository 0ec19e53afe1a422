//! Ranking: a pure function from lane results to an ordered, explained leaderboard.

use serde::{Deserialize, Serialize};

/// The ranked lanes. (Placeholder shape; the rank module owns it.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Leaderboard {
    pub winner: Option<String>,
}
