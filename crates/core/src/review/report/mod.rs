//! Reports of one review of one diff, used by `bakeoff review` and by race reports:
//! plain text for a terminal, Markdown for a PR comment, versioned JSON, and SARIF 2.1.0
//! for code scanning; plus the `--fail-on` decision. Renderers are pure functions from a
//! [`ReviewReport`] to a string.

mod json;
mod markdown;
mod model;
mod sarif;
mod text;

pub use json::{json, REPORT_FORMAT};
pub use markdown::markdown;
pub use model::{fails, incomplete, worst, ReviewReport, ReviewerResult};
pub use sarif::sarif;
pub use text::text;

#[cfg(test)]
mod tests;
