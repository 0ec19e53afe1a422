//! What a provider call reports while it works — attempts, retries and fallbacks — for
//! the race to journal and show.

use serde::{Deserialize, Serialize};

/// One step of a provider call, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProviderEvent {
    /// Attempt `n` (from 1) is being sent.
    Attempt { provider: String, model: String, n: u32 },
    /// The attempt failed and will be repeated after `wait_ms`.
    Retrying {
        provider: String,
        model: String,
        status: Option<u16>,
        reason: String,
        wait_ms: u64,
    },
    /// `from` gave up (overloaded or unavailable) and `to` takes over; both are
    /// `provider/model`.
    FellBack {
        from: String,
        to: String,
        reason: String,
    },
}
