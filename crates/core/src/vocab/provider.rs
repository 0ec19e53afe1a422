//! What a provider call used and reported while it worked, for the journal.

use serde::{Deserialize, Serialize};

/// Tokens one reply used, as the provider counted them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsage {
    /// Prompt tokens neither read from nor written to a cache (OpenAI's and Gemini's
    /// totals minus their cached share, so every format counts alike for pricing).
    pub input: u64,
    /// Reply tokens, thinking included.
    pub output: u64,
    pub cache_read: u64,
    pub cache_write: u64,
}

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
